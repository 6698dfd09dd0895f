"""SnapshotRestore, driven through `python -m pulumi.dynamic` over gRPC as the engine drives it."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from _consts import TOKEN
from _engine import RESTORE_TYPE, SNAPSHOT_TYPE, UNKNOWN, run_program, urn
from pulumi.output import Unknown

from pulumi_vpsorg import Snapshot, SnapshotRestore
from pulumi_vpsorg.safety import SAFETY_PREFIX, resource_safety_name

R = urn(RESTORE_TYPE, "rollback")


def _snapshot(api, server_id: int = 12345, name: str = "good", ready: bool = True) -> int:
    reply = api.emu.handle(
        "POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", f'{{"server_id": {server_id}, "name": "{name}"}}'.encode()
    )
    if ready:
        api.emu.complete_all()
    return reply.body["id"]


def _restores(api) -> list[dict]:
    return [r for r in api.emu.log if r["path"].endswith("/restore/")]


def _safety(api) -> list[dict]:
    return [s for s in api.emu.snapshots() if s["name"].startswith(SAFETY_PREFIX)]


def _restore_posted_at(api) -> float:
    [post] = _restores(api)
    return float(post["t"])


def test_restore_once_after_a_completed_safety_snapshot_and_wait_for_the_server(host, api, restore_props):
    sid = _snapshot(api)
    api.emu.log.clear()
    inputs, failures = host.check(R, {}, restore_props(snapshot_id=float(sid), triggers=["release-1"]))
    assert failures == [] and inputs["snapshot_id"] == sid
    id_, outs = host.create(R, inputs)
    assert id_.startswith(f"{sid}@")
    assert outs["server_id"] == 12345 and outs["server_name"] == "web-server-01"
    assert outs["server_status"] == "active" and "being restored" in outs["message"]
    assert outs["restored_at"].endswith("Z") and outs["triggers"] == ["release-1"]
    assert outs["restored_snapshot_id"] == sid
    assert [(r["method"], r["path"], r.get("json")) for r in _restores(api)] == [
        ("POST", f"/api/v1/snapshots/{sid}/restore/", None)
    ]
    # the safety snapshot: the server as it was, of the same server, completed before the restore was sent
    [safety] = _safety(api)
    assert safety["id"] == outs["safety_snapshot_id"] and safety["server"]["id"] == 12345
    assert safety["name"] == resource_safety_name("proj/dev/rollback", ["release-1"])
    assert safety["ready_at"] <= _restore_posted_at(api)
    assert "restore it to undo" in safety["description"] and "release-1" not in safety["description"]
    assert f"Safety snapshot {safety['id']}" in outs["message"] and "rollback --undo" in outs["message"]
    posts = [r["path"] for r in api.emu.requests("POST")]
    assert posts == ["/api/v1/snapshots/", f"/api/v1/snapshots/{sid}/restore/"]

    # a second up with the same inputs: no change, so the engine calls nothing else
    same = restore_props(snapshot_id=sid, triggers=["release-1"], wait=False, wait_timeout="5m", safety_snapshot=False)
    d = host.diff(R, id_, outs, same)
    assert d.changes == d.DIFF_NONE
    # new triggers replace (and so restore again); a new snapshot alone is an update that restores nothing
    d = host.diff(R, id_, outs, restore_props(snapshot_id=sid, triggers=["release-2"]))
    assert list(d.replaces) == ["triggers"] and d.deleteBeforeReplace
    d = host.diff(R, id_, outs, restore_props(snapshot_id=sid + 1, triggers=["release-1"]))
    assert d.changes == d.DIFF_SOME and list(d.replaces) == [] and not d.deleteBeforeReplace

    # refresh and destroy never call the API
    api.emu.log.clear()
    rid, routs = host.read(R, id_, outs)
    assert rid == id_ and routs == outs
    host.delete(R, id_, outs)
    assert api.emu.log == []
    assert len(api.emu.snapshots()) == 2  # destroy leaves the snapshot and the safety snapshot alone


def test_a_new_snapshot_id_alone_is_recorded_and_restores_nothing(host, api, restore_props):
    first, second = _snapshot(api, name="nightly-1"), _snapshot(api, name="nightly-2")
    id_, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=first, triggers=["r1"]))[0])
    api.emu.log.clear()
    news = host.check(R, outs, restore_props(snapshot_id=second, triggers=["r1"]))[0]
    state = host.update(R, id_, outs, news)
    assert api.emu.log == []  # nothing sent, nothing read
    assert state["snapshot_id"] == second and state["restored_snapshot_id"] == first
    assert "nothing was restored" in state["message"] and "change triggers" in state["message"]


def test_a_stack_from_before_safety_snapshots_sees_no_change(host, restore_props):
    """Upgrading the package must not re-run a restore: the state of an older version lacks the new properties."""
    old = {"snapshot_id": 801, "triggers": ["r1"], "wait": True, "server_id": 12345, "restored_at": "t"}
    d = host.diff(R, "801@t", old, restore_props(snapshot_id=801.0, triggers=["r1"]))
    assert d.changes == d.DIFF_NONE


def test_restore_without_wait_returns_at_once(host, api, restore_props):
    sid = _snapshot(api)
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait=False))[0])
    assert outs["server_status"] == "restoring"
    assert api.emu.log[-1]["path"].endswith("/restore/")  # nothing polled after the POST


def test_without_a_safety_snapshot_only_the_restore_is_posted(host, api, restore_props):
    sid = _snapshot(api)
    api.emu.log.clear()
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, safety_snapshot=False))[0])
    assert [r["path"] for r in api.emu.requests("POST")] == [f"/api/v1/snapshots/{sid}/restore/"]
    assert outs.get("safety_snapshot_id") is None and _safety(api) == []


def test_an_unfinished_snapshot_is_refused_before_anything_is_sent(host, api, restore_props):
    api.emu.snapshot_seconds = 60
    sid = _snapshot(api, ready=False)
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=sid))[0])
    msg = e.value.details()
    assert "only a completed snapshot can be restored" in msg and "Nothing was sent" in msg
    assert "wait for the running operation" in msg
    assert api.emu.requests("POST") == [api.emu.requests("POST")[0]]  # the test's own snapshot only


ODD_ANSWERS = {
    "gateway 504": {"status": 504, "text": "<html><title>504 Gateway Time-out</title></html>"},
    "server error 503": {"status": 503, "retry_after": 0},
    "200 with an HTML page": {"status": 200, "text": "<html><body>Welcome to nginx!</body></html>"},
    "200 with a server of another shape": {"status": 200, "body": {"status": "success", "server": "web-01"}},
}


@pytest.mark.parametrize("safety", [True, False])
@pytest.mark.parametrize("fault", ODD_ANSWERS.values(), ids=ODD_ANSWERS.keys())
def test_a_restore_that_may_have_reached_vpsorg_is_recorded_and_never_sent_again(
    own_host, api, restore_props, fault, safety
):
    host = own_host  # a 503 slows the host's request budget for the tests after it, as a 429 does
    sid = _snapshot(api)
    api.emu.inject(method="POST", path=f"/api/v1/snapshots/{sid}/restore/", **fault)
    props = restore_props(snapshot_id=sid, triggers=["r1"], safety_snapshot=safety)
    id_, outs = host.create(R, host.check(R, {}, props)[0])
    assert len(_restores(api)) == 1
    assert "may have reached VPS.org" in outs["message"] and "never sent twice" in outs["message"]
    assert outs["server_id"] == 12345  # known from the look before sending
    d = host.diff(R, id_, outs, props)
    assert d.changes == d.DIFF_NONE  # recorded: the next `pulumi up` sends nothing


def test_without_a_safety_snapshot_a_server_already_restoring_is_not_sent_a_second_restore(host, api, restore_props):
    api.emu.restore_seconds = 30
    sid = _snapshot(api)
    api.emu.handle("POST", f"/api/v1/snapshots/{sid}/restore/", f"Bearer {TOKEN}", b"")  # an interrupted run's
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, safety_snapshot=False))[0])
    assert len(_restores(api)) == 1  # only the earlier one
    assert outs["server_status"] == "restoring" and "was already restoring" in outs["message"]


def test_someone_elses_restore_under_way_fails_clearly_and_sends_nothing(host, api, restore_props):
    api.emu.restore_seconds = 30
    a, b = _snapshot(api, name="a"), _snapshot(api, name="b")
    api.emu.handle("POST", f"/api/v1/snapshots/{a}/restore/", f"Bearer {TOKEN}", b"")  # someone else restores A
    api.emu.log.clear()
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=b, triggers=["r1"]))[0])
    msg = e.value.details()
    assert "Server 12345 (web-server-01) is restoring" in msg and "someone else's restore" in msg
    assert "Nothing was sent" in msg
    assert api.emu.requests("POST") == [] and _safety(api) == []


def test_missing_snapshot(host, api, restore_props):
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=4242))[0])
    assert "Snapshot 4242 does not exist" in e.value.details() and "nothing was sent" in e.value.details()
    assert api.emu.requests("POST") == []


def test_wait_timeout_bounds_the_whole_restore_even_when_the_api_says_retry_later(own_host, api, restore_props):
    host = own_host
    api.emu.restore_seconds = 60
    sid = _snapshot(api)
    api.emu.inject(status=429, count=1000, retry_after=3, method="GET", path="/api/v1/servers/")
    started = time.monotonic()
    with pytest.raises(grpc.RpcError):  # the look before sending cannot be made: nothing is sent
        host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait_timeout="2s"))[0])
    assert time.monotonic() - started < 20 and _restores(api) == []  # the 2 s limit, not 12 retries of 3 s


def test_wait_timeout_still_records_the_restore(host, api, restore_props):
    api.emu.restore_seconds = 5
    sid = _snapshot(api)
    id_, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait_timeout="3s"))[0])
    assert outs["server_status"] == "restoring"
    assert "still restoring" in outs["message"] and "will not be sent again" in outs["message"]
    assert len(_restores(api)) == 1


@pytest.mark.parametrize(
    "props, prop, words",
    [
        ({}, "snapshot_id", "snapshot_id is required"),
        ({"snapshot_id": "abc"}, "snapshot_id", "a whole number from 1 to"),
        ({"snapshot_id": 801.5}, "snapshot_id", "got 801.5"),
        ({"snapshot_id": 801, "triggers": "x"}, "triggers", "triggers must be a list"),
        ({"snapshot_id": 801, "wait": "yes"}, "wait", "wait must be true or false"),
        ({"snapshot_id": 801, "wait_timeout": "later"}, "wait_timeout", "is not a duration"),
    ],
)
def test_bad_inputs(host, api, restore_props, props, prop, words):
    _, failures = host.check(R, {}, restore_props(**props))
    assert len(failures) == 1 and failures[0][0] == prop and words in failures[0][1], failures
    assert api.emu.log == []


def test_unknowns_in_preview(host, api, restore_props):
    _, failures = host.check(R, {}, restore_props(snapshot_id=UNKNOWN, triggers=UNKNOWN))
    assert failures == []
    old = restore_props(snapshot_id=801, triggers=["a"], server_id=12345)
    d = host.diff(R, "801@t", old, restore_props(snapshot_id=UNKNOWN, triggers=["a"]))
    assert list(d.replaces) == [] and d.changes == d.DIFF_SOME  # an update: restores nothing
    d = host.diff(R, "801@t", old, restore_props(snapshot_id=801, triggers=UNKNOWN))
    assert list(d.replaces) == ["triggers"]
    assert api.emu.log == []


@pytest.mark.parametrize("preview", [True, False])
def test_program_wires_a_snapshot_into_a_restore(preview):
    def program():
        snap = Snapshot("pre-upgrade", server_id=12345, name="pre-upgrade")
        return SnapshotRestore(
            "rollback", snapshot_id=snap.snapshot_id, triggers=["r1"], wait=True, wait_timeout="30m"
        ).id

    recorder = run_program(program, preview=preview)
    by_type = {r.typ: r for r in recorder.resources}
    restore = by_type[RESTORE_TYPE]
    assert set(by_type) == {SNAPSHOT_TYPE, RESTORE_TYPE}
    assert restore.inputs["triggers"] == ["r1"] and restore.inputs["wait_timeout"] == "30m"
    if preview:
        assert isinstance(restore.inputs["snapshot_id"], Unknown)  # unknown until the snapshot exists
    else:
        assert restore.inputs["snapshot_id"] == 801


# ----- at most once across interrupted runs, on any machine: the safety snapshot is the record -------------------


@pytest.mark.parametrize("restore_over", [False, True], ids=["server still restoring", "restore already over"])
def test_a_rerun_after_an_interrupted_restore_never_sends_it_again(host, own_host, api, restore_props, restore_over):
    """A run that sent the restore and was killed before the engine recorded it: the engine creates again, here
    from another provider process (another machine) with the same inputs."""
    api.emu.restore_seconds = 30
    sid = _snapshot(api)
    props = restore_props(snapshot_id=sid, triggers=["incident-7"], wait=False)
    _, first = host.create(R, host.check(R, {}, props)[0])  # the killed run: its outputs never reach the state
    if restore_over:
        api.emu.finish_restores()
    else:
        threading.Timer(1.0, api.emu.finish_restores).start()  # the re-run waits for that restore
    posts = len(api.emu.requests("POST"))
    _, outs = own_host.create(R, own_host.check(R, {}, {**props, "wait": True})[0])
    assert len(_restores(api)) == 1 and len(api.emu.requests("POST")) == posts  # no restore, no second safety
    assert outs["safety_snapshot_id"] == first["safety_snapshot_id"]
    msg = outs["message"]
    assert f"took safety snapshot {int(first['safety_snapshot_id'])}" in msg and "may have sent the restore" in msg
    assert "was not sent again" in msg and "change `triggers`" in msg
    if restore_over:
        assert "vpsorg servers get 12345" in msg
    else:
        assert "restoring now" in msg and outs["server_status"] == "active"  # it waited for that restore


def test_new_triggers_restore_again_after_an_earlier_record(host, api, restore_props):
    sid = _snapshot(api)
    host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, triggers=["r1"]))[0])
    host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, triggers=["r2"]))[0])
    assert len(_restores(api)) == 2 and len(_safety(api)) == 2


def test_a_run_killed_while_its_safety_snapshot_was_taken_is_finished_by_the_next(host, api, restore_props):
    """Killed before the restore was sent (its safety snapshot still in progress): the re-run waits for that safety
    snapshot instead of taking another, then restores once."""
    sid = _snapshot(api)
    name = resource_safety_name("proj/dev/rollback", ["r1"])
    api.emu.snapshot_seconds = 1.0
    _snapshot(api, name=name, ready=False)  # what the killed run left
    posts = len(api.emu.requests("POST"))
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, triggers=["r1"]))[0])
    assert len(api.emu.requests("POST")) == posts + 1 and len(_restores(api)) == 1  # the restore only
    [safety] = _safety(api)
    assert outs["safety_snapshot_id"] == safety["id"] and safety["ready_at"] <= _restore_posted_at(api)


def test_a_refused_restore_leaves_no_record_so_the_next_run_restores(host, api, restore_props):
    sid = _snapshot(api)
    api.emu.inject(method="POST", path=f"/api/v1/snapshots/{sid}/restore/", status=400, body={"detail": "busy"})
    props = restore_props(snapshot_id=sid, triggers=["r1"])
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, props)[0])
    assert "busy" in e.value.details() and "was deleted (the server did not change)" in e.value.details()
    assert _safety(api) == []
    host.create(R, host.check(R, {}, props)[0])
    assert len(_restores(api)) == 2 and len(_safety(api)) == 1


def _fill(api, names: list[str]) -> list[int]:
    return [_snapshot(api, name=n) for n in names]


def test_at_the_limit_room_is_made_only_from_an_older_safety_snapshot(host, api, restore_props):
    old_safety = _snapshot(api, name=f"{SAFETY_PREFIX}cli-1-20250101T000000")
    mine = _fill(api, ["a", "b", "c"])
    target = _snapshot(api, name="target")
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=target, triggers=["r1"]))[0])
    left = {s["id"] for s in api.emu.snapshots()}
    assert old_safety not in left and set(mine) | {target, outs["safety_snapshot_id"]} == left
    assert len(_restores(api)) == 1


def test_at_the_limit_with_no_safety_snapshot_to_delete_it_fails_before_anything_is_sent(host, api, restore_props):
    mine = _fill(api, ["a", "b", "c", "d"])
    target = _snapshot(api, name="target")
    api.emu.log.clear()
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=target, triggers=["r1"]))[0])
    msg = e.value.details()
    assert "already has 5 of its 5 snapshots" in msg and all(f"{i} " in msg for i in [*mine, target])
    assert "Nothing was sent" in msg and "`safetySnapshot: false`" in msg and "vpsorg snapshots delete" in msg
    assert api.emu.requests("POST") == [] and api.emu.requests("DELETE") == []
    assert {s["id"] for s in api.emu.snapshots()} == {*mine, target}


def test_the_restore_target_is_never_deleted_to_make_room(host, api, restore_props):
    """Undoing a restore: the target is itself a safety snapshot, the only one on a full server."""
    _fill(api, ["a", "b", "c", "d"])
    target = _snapshot(api, name=f"{SAFETY_PREFIX}cli-9-20250101T000000")
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=target, triggers=["undo"]))[0])
    assert "already has 5 of its 5 snapshots" in e.value.details()
    assert target in {s["id"] for s in api.emu.snapshots()} and _restores(api) == []


def test_a_restore_that_starts_while_the_safety_snapshot_is_taken_keeps_it_and_sends_nothing(host, api, restore_props):
    """Another restore began meanwhile: perhaps a twin run of this resource and trigger, whose record this safety
    snapshot then is; so it is kept, and nothing is sent."""
    a, b = _snapshot(api, name="a"), _snapshot(api, name="b")
    api.emu.snapshot_seconds, api.emu.restore_seconds = 2.0, 60
    errors: list[str] = []

    def create() -> None:
        try:
            host.create(R, host.check(R, {}, restore_props(snapshot_id=b, triggers=["r1"]))[0])
        except grpc.RpcError as e:
            errors.append(e.details())

    creating = threading.Thread(target=create)
    creating.start()
    deadline = time.monotonic() + 30
    while not _safety(api):
        assert time.monotonic() < deadline, "the safety snapshot was never posted"
        time.sleep(0.01)  # the provider host is another process: its requests show in the emulator's log
    api.emu.handle("POST", f"/api/v1/snapshots/{a}/restore/", f"Bearer {TOKEN}", b"")  # another restore starts
    creating.join(60)
    assert errors and "started restoring while its safety snapshot was taken" in errors[0]
    assert "is kept" in errors[0] and "Nothing was sent" in errors[0]
    assert [r["path"] for r in _restores(api)] == [f"/api/v1/snapshots/{a}/restore/"] and len(_safety(api)) == 1
