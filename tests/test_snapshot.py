"""The Snapshot resource, driven through `python -m pulumi.dynamic` over gRPC as the engine drives it."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest
from _consts import TOKEN
from _engine import SNAPSHOT_TYPE, UNKNOWN, ProviderHost, plain, run_program, struct, urn
from _waits import until
from pulumi.runtime import proto

from pulumi_vpsorg import Snapshot
from pulumi_vpsorg.emulator import Emulator, serve

U = urn(SNAPSHOT_TYPE, "pre-upgrade")


def _create(host, snap_props, **props):
    inputs, failures = host.check(U, {}, snap_props(**props))
    assert failures == []
    return host.create(U, inputs)


def _error(excinfo) -> str:
    return excinfo.value.details()


def test_check_create_read_diff_delete_read_gone(host, api, snap_props):
    inputs, failures = host.check(U, {}, snap_props(server_id=12345, name="pre-upgrade", description="before"))
    assert failures == []
    assert inputs["server_id"] == 12345
    id_, outs = host.create(U, inputs)
    assert id_ == "801"
    assert outs["status"] == "completed" and outs["snapshot_id"] == 801
    assert outs["server_name"] == "web-server-01" and outs["size_mb"] > 0 and outs["adopted"] is False
    assert set(outs) >= {
        "snapshot_id",
        "server_id",
        "server_name",
        "name",
        "description",
        "status",
        "size_mb",
        "created_at",
        "adopted",
        "__provider",
    }
    posts = api.emu.requests("POST", "/api/v1/snapshots/")
    assert [p["json"] for p in posts] == [{"server_id": 12345, "name": "pre-upgrade", "description": "before"}]
    assert type(posts[0]["json"]["server_id"]) is int
    assert api.emu.requests("GET", "/api/v1/snapshots/")[0]["query"] == {"server_id": "12345"}

    rid, routs = host.read(U, id_, outs)
    assert rid == "801" and routs["size_mb"] == outs["size_mb"] and routs["status"] == "completed"

    d = host.diff(
        U, id_, outs, snap_props(server_id=12345.0, name="pre-upgrade", description="before", wait_timeout="2h")
    )
    assert d.changes == d.DIFF_NONE and list(d.replaces) == []

    host.delete(U, id_, outs)
    assert api.emu.snapshots() == []
    assert [r["path"] for r in api.emu.requests("DELETE")] == ["/api/v1/snapshots/801/"]
    rid, _ = host.read(U, id_, outs)
    assert rid == ""  # gone: the engine drops it from state


def test_preview_needs_no_token_and_no_network(provider_values, snap_props):
    h = ProviderHost()
    try:
        h.configure({"vpsorg:endpoint": "http://127.0.0.1:9/api/v1"})  # nothing listens there; no token at all
        inputs, failures = h.check(U, {}, snap_props(server_id=12345, name="n", wait_timeout="20m"))
        assert failures == []
        old = {**inputs, "snapshot_id": 801, "status": "completed"}
        d = h.diff(U, "801", old, snap_props(server_id=12345, name="m"))
        assert list(d.replaces) == ["name"]
    finally:
        h.close()


def test_unknown_preview_values_pass_check_and_may_replace(host, api, snap_props):
    inputs, failures = host.check(U, {}, snap_props(server_id=UNKNOWN, name=UNKNOWN, description=UNKNOWN))
    assert failures == []
    old = snap_props(server_id=12345, name="n", description="", snapshot_id=801, status="completed")
    d = host.diff(U, "801", old, snap_props(server_id=12345, name=UNKNOWN))
    assert d.changes == d.DIFF_SOME and list(d.replaces) == ["name"]
    assert api.emu.log == []


@pytest.mark.parametrize(
    "props, prop, words",
    [
        ({"name": "n"}, "server_id", "server_id is required"),
        ({"server_id": 12345}, "name", "name is required"),
        ({"server_id": 12345.5, "name": "n"}, "server_id", "a whole number from 1 to 9007199254740991, got 12345.5"),
        ({"server_id": -3, "name": "n"}, "server_id", "a whole number from 1 to 9007199254740991, got -3"),
        ({"server_id": 0, "name": "n"}, "server_id", "got 0"),
        ({"server_id": 2.0**60, "name": "n"}, "server_id", "got 1152921504606846976"),
        ({"server_id": True, "name": "n"}, "server_id", "not a boolean"),
        ({"server_id": "web", "name": "n"}, "server_id", "(ASCII digits only), got 'web'"),
        ({"server_id": "\u0661\u0662\u0663", "name": "n"}, "server_id", "(ASCII digits only)"),
        ({"server_id": "9" * 5000, "name": "n"}, "server_id", "(ASCII digits only), got '99999"),
        ({"server_id": 12345, "name": "bad name!"}, "name", "only letters, digits, hyphens and underscores"),
        ({"server_id": 12345, "name": "n\n"}, "name", "only letters, digits, hyphens and underscores"),
        ({"server_id": 12345, "name": "\u0661x"}, "name", "only letters, digits, hyphens and underscores"),
        ({"server_id": 12345, "name": "x" * 256}, "name", "at most 255 characters, got 256"),
        ({"server_id": 12345, "name": 5}, "name", "name must be a string"),
        ({"server_id": 12345, "name": "n", "description": 7}, "description", "description must be a string"),
        ({"server_id": 12345, "name": "n", "wait_timeout": "soon"}, "wait_timeout", "is not a duration"),
        ({"server_id": 12345, "name": "n", "wait_timeout": -5}, "wait_timeout", "more than zero"),
        ({"server_id": 12345, "name": "n", "wait_timeout": "48h"}, "wait_timeout", "at most 24 hours"),
        ({"server_id": 12345, "name": "n", "wait_timeout": "1h1h"}, "wait_timeout", "each unit once"),
        ({"server_id": 12345, "name": "n", "wait_timeout": "1e3"}, "wait_timeout", "is not a duration"),
        ({"server_id": 12345, "name": "n", "wait_timeout": "1_000"}, "wait_timeout", "is not a duration"),
    ],
)
def test_every_bad_input_is_named_in_check(host, api, snap_props, props, prop, words):
    _, failures = host.check(U, {}, snap_props(**props))
    assert len(failures) == 1
    assert failures[0][0] == prop and words in failures[0][1], failures
    assert api.emu.log == []  # no API call for validation


def test_digit_string_server_id_is_accepted_and_sent_as_integer(host, api, snap_props):
    _create(host, snap_props, server_id="12346", name="n")
    assert api.emu.requests("POST")[0]["json"]["server_id"] == 12346


def test_diff_replaces_only_for_server_or_name_and_never_for_description(host, snap_props):
    old = snap_props(server_id=12345, name="n", description="a", snapshot_id=801, status="completed")
    d = host.diff(U, "801", old, snap_props(server_id=12345, name="n", description="b"))
    assert d.changes == d.DIFF_SOME and list(d.replaces) == []
    d = host.diff(U, "801", old, snap_props(server_id=12346, name="n", description="a"))
    assert list(d.replaces) == ["server_id"] and d.deleteBeforeReplace is False
    d = host.diff(U, "801", old, snap_props(server_id=12345, name="m", description="a"))
    assert list(d.replaces) == ["name"] and d.deleteBeforeReplace is False
    d = host.diff(U, "801", old, snap_props(server_id=12345, name="n", description="a", wait_timeout=10))
    assert d.changes == d.DIFF_NONE


def test_a_description_change_keeps_the_snapshot_and_records_the_text(host, api, snap_props):
    id_, outs = _create(host, snap_props, server_id=12345, name="keep", description="before the upgrade")
    calls = len(api.emu.log)
    resp = host.stub.Update(
        proto.UpdateRequest(
            id=id_,
            urn=U,
            olds=struct(outs),
            news=struct(snap_props(server_id=12345, name="keep", description="the good one")),
        )
    )
    new = plain(resp.properties)
    assert new["description"] == "the good one" and new["snapshot_id"] == outs["snapshot_id"]
    assert len(api.emu.log) == calls  # nothing sent: the snapshot, the restore point, is untouched
    assert [s["id"] for s in api.emu.snapshots()] == [int(id_)]


def test_limit_fails_before_posting_and_names_the_snapshots(host, api, snap_props):
    api.emu.snapshot_seconds = 0
    for i in range(5):
        _create(host, snap_props, server_id=12345, name=f"keep-{i}")
    with pytest.raises(grpc.RpcError) as e:
        _create(host, snap_props, server_id=12345, name="sixth")
    msg = _error(e)
    assert "already has 5 of its 5 snapshots" in msg
    for i in range(5):
        assert f"'keep-{i}'" in msg
    assert "delete_before_replace" in msg
    assert len(api.emu.requests("POST")) == 5


def test_unknown_server_says_so(host, snap_props):
    with pytest.raises(grpc.RpcError) as e:
        _create(host, snap_props, server_id=99999, name="n")
    assert "HTTP 404" in _error(e) and "Server 99999 does not exist" in _error(e)


def test_bad_token_is_explained_and_never_echoed(api, snap_props):
    secret = "vps_wrong_secret_token_42"
    h = ProviderHost()
    try:
        h.configure({"vpsorg:token": secret, "vpsorg:endpoint": api.endpoint})
        with pytest.raises(grpc.RpcError) as e:
            _create(h, snap_props, server_id=12345, name="n")
    finally:
        h.close()
        stderr = h.proc.stderr.read().decode() if h.proc.stderr and not h.proc.stderr.closed else ""
    msg = _error(e)
    assert "HTTP 401" in msg and "VPSORG_TOKEN" in msg and "vpsorg:token" in msg and "--token" not in msg
    assert secret not in msg and secret not in stderr
    # what the engine shows as the resource's row is the first line: the problem, not "Traceback (most recent ..."
    first = msg.splitlines()[0]
    assert first.startswith("pulumi_vpsorg.errors.AuthenticationError: VPS.org API") and "HTTP 401" in first
    assert "Traceback" not in msg


def test_missing_token_is_a_configuration_error(api, snap_props):
    h = ProviderHost()
    try:
        h.configure({"vpsorg:endpoint": api.endpoint})
        with pytest.raises(grpc.RpcError) as e:
            _create(h, snap_props, server_id=12345, name="n")
    finally:
        h.close()
    assert "No VPS.org API token is configured" in _error(e)
    assert api.emu.log == []


def test_environment_configures_the_provider(api, snap_props):
    h = ProviderHost({"VPSORG_TOKEN": TOKEN, "VPSORG_ENDPOINT": api.endpoint})
    try:
        h.configure({})
        id_, _ = _create(h, snap_props, server_id=12345, name="n")
    finally:
        h.close()
    assert id_ == "801"


def test_stack_config_sets_the_request_budget_and_a_bad_one_says_which_setting(api, snap_props):
    h = ProviderHost()
    try:
        h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": api.endpoint, "vpsorg:maxRequestsPerSecond": "lots"})
        with pytest.raises(grpc.RpcError) as e:
            _create(h, snap_props, server_id=12345, name="n")
    finally:
        h.close()
    assert "request budget must be a number of requests a second" in _error(e) and "'lots'" in _error(e)
    assert "vpsorg:maxRequestsPerSecond" in _error(e)
    assert api.emu.log == []


def test_lost_post_response_leaves_exactly_one_snapshot(host, api, snap_props):
    api.emu.inject(drop_after_create=1)
    id_, outs = _create(host, snap_props, server_id=12345, name="n")
    assert [s["id"] for s in api.emu.snapshots()] == [int(id_)]
    assert len(api.emu.requests("POST")) == 1 and outs["status"] == "completed"


def test_a_dropped_post_leaves_exactly_one_snapshot(host, api, snap_props):
    api.emu.inject(drop_after_create=1)
    id_, _ = _create(host, snap_props, server_id=12345, name="n")
    assert [s["id"] for s in api.emu.snapshots()] == [int(id_)]
    methods = [r["method"] for r in api.emu.log]
    assert methods[:3] == ["GET", "POST", "GET"] and methods.count("POST") == 1  # found by name, not re-posted


def test_429_with_retry_after_while_waiting_is_honoured(own_host, api, snap_props):
    api.emu.snapshot_seconds = 1.0
    api.emu.inject(status=429, count=2, retry_after=0.5, method="GET")
    _create(own_host, snap_props, server_id=12345, name="n")
    gets = api.emu.requests("GET")
    assert [g["status"] for g in gets[:3]] == [429, 429, 200]
    assert gets[1]["t"] - gets[0]["t"] >= 0.45 and gets[2]["t"] - gets[1]["t"] >= 0.45


def test_failed_snapshot_is_cleaned_up_and_explained(host, api, snap_props):
    api.emu.inject(fail_snapshots=1)
    with pytest.raises(grpc.RpcError) as e:
        _create(host, snap_props, server_id=12345, name="n")
    assert "ended in status 'failed'" in _error(e) and "has been deleted" in _error(e)
    assert api.emu.snapshots() == []


def test_wait_timeout_then_the_next_up_adopts(host, api, snap_props):
    api.emu.snapshot_seconds = 1.5
    with pytest.raises(grpc.RpcError) as e:
        _create(host, snap_props, server_id=12345, name="slow", wait_timeout="1s")
    msg = _error(e)
    assert "Snapshot 801 ('slow')" in msg and "still being created" in msg and "next `pulumi up` adopts" in msg
    id_, outs = _create(host, snap_props, server_id=12345, name="slow", wait_timeout="1m")
    assert id_ == "801" and outs["adopted"] is True and outs["status"] == "completed"
    assert len(api.emu.requests("POST")) == 1 and len(api.emu.snapshots()) == 1


@contextmanager
def _paged_host() -> Iterator[tuple[Emulator, ProviderHost]]:
    """An emulator with pages of 2 on loopback, and a provider host of the test's own configured for it."""
    emulator = Emulator(token=TOKEN, snapshot_seconds=0, page_size=2)
    server = serve(emulator)
    h = ProviderHost()
    try:
        h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": server.endpoint})
        yield emulator, h
    finally:
        h.close()
        server.close()


def test_get_finds_a_snapshot_on_a_later_page(snap_props):
    with _paged_host() as (emulator, h):
        for i, sid in enumerate([12345, 12346, 12347, 12345, 12346]):
            _create(h, snap_props, server_id=sid, name=f"s{i}")
        # Snapshot.get: the engine sends no state, only the inputs with the provider
        rid, outs = h.read(U, "805", {}, inputs=snap_props())
    assert rid == "805" and outs["name"] == "s4" and outs["server_id"] == 12346
    pages = [r["query"].get("page") for r in emulator.requests("GET") if "server_id" not in r["query"]]
    assert pages == [None, "2", "3"]


def test_read_error_keeps_state(host, api, snap_props):
    id_, outs = _create(host, snap_props, server_id=12345, name="n")
    api.emu.inject(status=401, method="GET")  # a revoked token must not empty the stack
    with pytest.raises(grpc.RpcError) as e:
        host.read(U, id_, outs)
    assert "HTTP 401" in _error(e) and [s["id"] for s in api.emu.snapshots()] == [int(id_)]


def test_delete_waits_for_a_snapshot_in_progress(host, api, snap_props):
    api.emu.snapshot_seconds = 1.0
    api.emu.inject(drop_after_create=0)
    old = {"snapshot_id": 801, "server_id": 12345, "name": "n"}
    api.emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "n"}')
    host.delete(U, "801", snap_props(**old))
    assert api.emu.snapshots() == []
    assert [r["status"] for r in api.emu.requests("DELETE")] == [204]


def test_delete_of_a_snapshot_already_gone_is_done(host, api, snap_props):
    host.delete(U, "4242", snap_props(server_id=12345, name="n", snapshot_id=4242))  # no error: done
    assert [r["status"] for r in api.emu.requests("DELETE")] == [404]  # the DELETE was sent, and said it is gone


def test_sixteen_creates_on_four_servers_are_all_posted_while_none_has_completed(snap_props):
    """Served 4 at a time (the host's own pool) the 5th create would wait for one of the first four: on a widened
    pool all 16 are posted while none has completed, and then share their waits."""
    emulator = Emulator(token=TOKEN, snapshot_seconds=600)
    server = serve(emulator)
    h = ProviderHost()
    results: list[object] = []
    try:
        h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": server.endpoint})
        todo = [(12345 + i % 4, f"snap-{i}") for i in range(16)]
        checked = [h.check(U, {}, snap_props(server_id=s, name=n))[0] for s, n in todo]
        threads = [threading.Thread(target=lambda p=p: results.append(h.create(U, p))) for p in checked]
        for t in threads:
            t.start()
        until(lambda: len(emulator.requests("POST")) == 16, within=30, what="16 POSTs, all at once")
        assert all(s["status"] == "in_progress" for s in emulator.snapshots())
        emulator.complete_all()
        for t in threads:
            t.join(60)
    finally:
        h.close()
        server.close()
    assert len(results) == 16 and all(outs["status"] == "completed" for _, outs in results)
    lists = emulator.requests("GET", "/api/v1/snapshots/")
    assert len(lists) / 16 <= 3.0, len(lists)


def test_provider_pickles_small_and_by_reference(provider_values):
    value = provider_values[SNAPSHOT_TYPE]
    raw = base64.b64decode(value)
    assert len(value) < 400
    assert b"pulumi_vpsorg.snapshot" in raw and b"_SnapshotProvider" in raw
    assert b"vps_" not in raw and b"Client" not in raw


# ----- the program side, under pulumi.runtime.set_mocks -------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False])
def test_program_registers_typed_inputs(preview):
    def program():
        snap = Snapshot("pre-upgrade", server_id=12345, name="pre-upgrade", description="d", wait_timeout="30m")
        return snap.snapshot_id

    recorder = run_program(program, preview=preview)
    [res] = recorder.resources
    assert res.typ == SNAPSHOT_TYPE and res.name == "pre-upgrade"
    assert {k: res.inputs[k] for k in ("server_id", "name", "description", "wait_timeout")} == {
        "server_id": 12345,
        "name": "pre-upgrade",
        "description": "d",
        "wait_timeout": "30m",
    }


def test_get_reads_by_id():
    def program():
        return Snapshot.get("known", "801").id

    recorder = run_program(program)
    [res] = recorder.resources
    assert res.resource_id == "801" and res.typ == SNAPSHOT_TYPE


def _taken_by(api, stack: str | None, name: str = "shared") -> int:
    description = f"by hand [pulumi stack: {stack}]" if stack else "by hand"
    body = f'{{"server_id": 12345, "name": "{name}", "description": "{description}"}}'.encode()
    api.emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", body)
    api.emu.complete_all()
    return api.emu.snapshots()[-1]["id"]


def test_a_create_writes_its_stack_into_the_description_vpsorg_keeps(host, api, snap_props):
    _, outs = _create(host, snap_props, server_id=12345, name="n", description="before", stack="org/proj/dev")
    [post] = api.emu.requests("POST", "/api/v1/snapshots/")
    assert post["json"]["description"] == "before [pulumi stack: org/proj/dev]"
    assert outs["description"] == "before" and outs.get("managed_by") is None


def test_destroy_leaves_a_snapshot_adopted_from_another_stack(host, api, snap_props):
    theirs = _taken_by(api, "org/proj/prod")
    id_, outs = _create(host, snap_props, server_id=12345, name="shared", stack="org/proj/dev")
    assert id_ == str(theirs) and outs["adopted"] is True and outs["managed_by"] == "org/proj/prod"
    _, refreshed = host.read(U, id_, outs)
    assert refreshed["managed_by"] == "org/proj/prod"
    host.delete(U, id_, refreshed)
    assert api.emu.requests("DELETE") == [] and [s["id"] for s in api.emu.snapshots()] == [theirs]


@pytest.mark.parametrize("maker", ["org/proj/dev", None], ids=["this stack, an interrupted run", "by hand"])
def test_destroy_deletes_an_adopted_snapshot_no_other_stack_manages(host, api, snap_props, maker):
    left = _taken_by(api, maker)
    id_, outs = _create(host, snap_props, server_id=12345, name="shared", stack="org/proj/dev")
    assert id_ == str(left) and outs["adopted"] is True and outs.get("managed_by") is None
    host.delete(U, id_, outs)
    assert api.emu.snapshots() == []


def test_get_of_an_id_that_does_not_exist_fails_naming_it(host, api, snap_props):
    with pytest.raises(grpc.RpcError) as e:
        host.read(U, "99999", {}, inputs=snap_props())
    assert "Snapshot 99999 does not exist" in _error(e)


def test_refresh_keeps_a_snapshot_an_incomplete_list_lacks(snap_props):
    with _paged_host() as (emulator, h):
        made = [_create(h, snap_props, server_id=sid, name=f"s{i}") for i, sid in enumerate([12345, 12346, 12347])]
        emulator.inject(ignore_server_filter=True)  # the API now pages every server's snapshots for any server
        emulator.handle("DELETE", "/api/v1/snapshots/801/", f"Bearer {TOKEN}", b"")  # gone, or shifted away?
        rid, outs = h.read(U, made[0][0], made[0][1])
    assert rid == made[0][0] and outs["snapshot_id"] == 801  # not dropped on an absence that proves nothing


def test_a_program_under_mocks_keeps_pythons_sigint_handler():
    """Only a program the real engine runs ends quietly on SIGINT (see `_program`); tests keep Ctrl-C as it was."""
    import signal

    run_program(lambda: Snapshot("s", server_id=12345, name="n"))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_long_create_shows_progress_and_warnings_under_the_resource(api, snap_props):
    """Through Pulumi's own dynamic provider host, as the plugin does: the engine's address is the host's argument."""
    from _native import FakeEngine

    engine = FakeEngine()
    h = ProviderHost({"VPSORG_PROGRESS_SECONDS": "0.2", "VPSORG_MAX_RPS": "0"}, engine=engine.address)
    api.emu.snapshot_seconds = 60.0
    try:
        h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": api.endpoint})
        done: list[object] = []
        creating = threading.Thread(target=lambda: done.append(_create(h, snap_props, server_id=12345, name="long")))
        creating.start()
        assert engine.logged.wait(30)
        api.emu.complete_all()
        creating.join(60)
        # adopted from another stack: destroy leaves it, and says so under the resource
        h.delete(U, "801", snap_props(snapshot_id=801, server_id=12345, name="long", managed_by="p/other"))
    finally:
        h.close()
        engine.close()
    severity, line, where = engine.logs[0]
    assert where == U and line.startswith("snapshot 801 'long' is in_progress (")
    assert any(u == U and m.startswith("snapshot 801 'long' is completed (") for _, m, u in engine.logs)
    assert any("left in place" in m and u == U for _, m, u in engine.logs)
    assert done and done[0][1]["status"] == "completed"
