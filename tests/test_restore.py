"""SnapshotRestore, driven through `python -m pulumi.dynamic` over gRPC as the engine drives it."""

from __future__ import annotations

import time

import grpc
import pytest
from _consts import TOKEN
from _engine import RESTORE_TYPE, SNAPSHOT_TYPE, UNKNOWN, run_program, urn
from pulumi.output import Unknown

from pulumi_vpsorg import Snapshot, SnapshotRestore

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


def test_restore_once_and_wait_for_the_server(host, api, restore_props):
    sid = _snapshot(api)
    api.emu.log.clear()
    inputs, failures = host.check(R, {}, restore_props(snapshot_id=float(sid), triggers=["release-1"]))
    assert failures == [] and inputs["snapshot_id"] == sid
    id_, outs = host.create(R, inputs)
    assert id_.startswith(f"{sid}@")
    assert outs["server_id"] == 12345 and outs["server_name"] == "web-server-01"
    assert outs["server_status"] == "active" and "being restored" in outs["message"]
    assert outs["restored_at"].endswith("Z") and outs["triggers"] == ["release-1"]
    assert [(r["method"], r["path"], r.get("json")) for r in _restores(api)] == [
        ("POST", f"/api/v1/snapshots/{sid}/restore/", None)
    ]
    # first where the restore would land (the snapshot's server, and whether it is restoring already)
    assert [(r["method"], r["path"]) for r in api.emu.log[:3]] == [
        ("GET", "/api/v1/snapshots/"),
        ("GET", "/api/v1/servers/"),
        ("POST", f"/api/v1/snapshots/{sid}/restore/"),
    ]
    assert {r["path"] for r in api.emu.log[3:]} == {"/api/v1/servers/"}

    # a second up with the same inputs: no change, so the engine calls nothing else
    same = restore_props(snapshot_id=sid, triggers=["release-1"], wait=False, wait_timeout="5m")
    d = host.diff(R, id_, outs, same)
    assert d.changes == d.DIFF_NONE
    # new triggers replace (and so restore again); a new snapshot too
    d = host.diff(R, id_, outs, restore_props(snapshot_id=sid, triggers=["release-2"]))
    assert list(d.replaces) == ["triggers"]
    d = host.diff(R, id_, outs, restore_props(snapshot_id=sid + 1, triggers=["release-1"]))
    assert list(d.replaces) == ["snapshot_id"]

    # refresh and destroy never call the API
    api.emu.log.clear()
    rid, routs = host.read(R, id_, outs)
    assert rid == id_ and routs == outs
    host.delete(R, id_, outs)
    assert api.emu.log == []
    assert len(api.emu.snapshots()) == 1  # destroy leaves the snapshot alone


def test_restore_without_wait_returns_at_once(host, api, restore_props):
    sid = _snapshot(api)
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait=False))[0])
    assert outs["server_status"] == "restoring"
    assert api.emu.log[-1]["path"].endswith("/restore/")  # nothing polled after the POST


def test_unfinished_snapshot_fails_clearly_after_one_post(host, api, restore_props):
    api.emu.snapshot_seconds = 60
    sid = _snapshot(api, ready=False)
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=sid))[0])
    msg = e.value.details()
    assert "HTTP 400" in msg and "only a completed snapshot can be restored" in msg
    assert "wait for the running operation" in msg
    assert len(_restores(api)) == 1


ODD_ANSWERS = {
    "gateway 504": {"status": 504, "text": "<html><title>504 Gateway Time-out</title></html>"},
    "server error 503": {"status": 503, "retry_after": 0},
    "200 with an HTML page": {"status": 200, "text": "<html><body>Welcome to nginx!</body></html>"},
    "200 with a server of another shape": {"status": 200, "body": {"status": "success", "server": "web-01"}},
}


@pytest.mark.parametrize("fault", ODD_ANSWERS.values(), ids=ODD_ANSWERS.keys())
def test_a_restore_that_may_have_reached_vpsorg_is_recorded_and_never_sent_again(own_host, api, restore_props, fault):
    host = own_host  # a 503 slows the host's request budget for the tests after it, as a 429 does
    sid = _snapshot(api)
    api.emu.inject(method="POST", path=f"/api/v1/snapshots/{sid}/restore/", **fault)
    id_, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, triggers=["r1"]))[0])
    assert len(_restores(api)) == 1
    assert "may have reached VPS.org" in outs["message"] and "never sent twice" in outs["message"]
    assert outs["server_id"] == 12345  # known from the look before sending
    d = host.diff(R, id_, outs, restore_props(snapshot_id=sid, triggers=["r1"]))
    assert d.changes == d.DIFF_NONE  # recorded: the next `pulumi up` sends nothing


def test_a_server_already_restoring_is_not_sent_a_second_restore(host, api, restore_props):
    api.emu.restore_seconds = 30
    sid = _snapshot(api)
    api.emu.handle("POST", f"/api/v1/snapshots/{sid}/restore/", f"Bearer {TOKEN}", b"")  # an interrupted run's
    _, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid))[0])
    assert len(_restores(api)) == 1  # only the earlier one
    assert outs["server_status"] == "restoring" and "was already restoring" in outs["message"]


def test_wait_timeout_bounds_the_whole_restore_even_when_the_api_says_retry_later(own_host, api, restore_props):
    host = own_host
    api.emu.restore_seconds = 60
    sid = _snapshot(api)
    api.emu.inject(status=429, count=1000, retry_after=3, method="GET", path="/api/v1/servers/")
    started = time.monotonic()
    with pytest.raises(grpc.RpcError):  # the look before sending cannot be made: nothing is sent
        host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait_timeout="2s"))[0])
    assert time.monotonic() - started < 20 and _restores(api) == []  # the 2 s limit, not 12 retries of 3 s


def test_missing_snapshot(host, api, restore_props):
    with pytest.raises(grpc.RpcError) as e:
        host.create(R, host.check(R, {}, restore_props(snapshot_id=4242))[0])
    assert "HTTP 404" in e.value.details() and "Snapshot 4242 does not exist" in e.value.details()


def test_wait_timeout_still_records_the_restore(host, api, restore_props):
    api.emu.restore_seconds = 5
    sid = _snapshot(api)
    id_, outs = host.create(R, host.check(R, {}, restore_props(snapshot_id=sid, wait_timeout="1s"))[0])
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
    assert list(d.replaces) == ["snapshot_id"]
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
