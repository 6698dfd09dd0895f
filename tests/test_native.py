"""The native plugin ``pulumi-resource-vpsorg``, driven over gRPC as the engine drives it (tests/_native.py):
the same rules and guarantees as the dynamic resources, under camelCase schema names, plus what only a native
provider can do (import, customTimeouts, functions, progress under the resource, explicit providers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from _consts import CLOCK_SCALE, TOKEN
from _engine import plain, struct
from _native import RESTORE, SNAPSHOT, FakeEngine, NativeHost, urn
from _waits import until
from google.protobuf import empty_pb2
from pulumi.runtime import proto, rpc

from pulumi_vpsorg import __version__
from pulumi_vpsorg.emulator import Emulator, serve

QUIET = {"VPSORG_READ_MAX_AGE": "0", "VPSORG_MAX_RPS": "0"}
SCHEMA = json.load(open(os.path.join(os.path.dirname(__file__), "..", "schema.json")))


@pytest.fixture(scope="module")
def _shared_native() -> Iterator[NativeHost]:
    h = NativeHost(env=QUIET, clock_scale=CLOCK_SCALE)
    yield h
    h.close()


@pytest.fixture
def native(_scaled_api, _shared_native: NativeHost) -> NativeHost:
    """One plugin process for the module (as one serves a whole deployment), configured for this test's fresh
    emulator as an explicit provider's inputs would configure it; both on a clock ten times as fast as real time."""
    _shared_native.configure(token=TOKEN, endpoint=_scaled_api.endpoint)
    return _shared_native


def _error(e: pytest.ExceptionInfo[grpc.RpcError]) -> str:
    return str(e.value.details())


def _take(native: NativeHost, **props) -> tuple[str, dict]:
    inputs, failures = native.check(SNAPSHOT, props)
    assert failures == []
    return native.create(SNAPSHOT, inputs)


def test_serves_the_schema_file_and_its_version(native):
    assert json.loads(native.schema()) == SCHEMA
    assert SCHEMA["version"] == __version__
    assert native.stub.GetPluginInfo(empty_pb2.Empty()).version == __version__


def test_create_read_update_delete_under_schema_names(native, api):
    id_, outs = _take(native, serverId=12345, name="pre-upgrade", description="before")
    assert id_ == "801"
    # every schema property but the unset ones (None is not sent): this stack took it, and no waitTimeout was given
    assert set(outs) == set(SCHEMA["resources"][SNAPSHOT]["properties"]) - {"managedBy", "waitTimeout"}
    assert outs["snapshotId"] == 801 and outs["serverId"] == 12345 and outs["status"] == "completed"
    assert outs["adopted"] is False and "stack" not in outs
    assert api.emu.snapshots()[0]["description"] == "before [pulumi stack: proj/dev]"
    rid, read, _ = native.read(SNAPSHOT, id_, outs)
    assert rid == "801" and read["name"] == "pre-upgrade"
    assert native.update(SNAPSHOT, outs, {**outs, "description": "after"})["description"] == "after"
    assert len(api.emu.requests("POST")) == 1
    native.delete(SNAPSHOT, id_, outs)
    assert api.emu.snapshots() == []
    rid, read, _ = native.read(SNAPSHOT, id_, outs)
    assert rid == "" and read == {}  # gone from a complete list: the engine drops it


def test_check_names_each_bad_property_as_the_schema_does_and_calls_nothing(native, api):
    _, failures = native.check(SNAPSHOT, {"serverId": -3, "name": "no spaces", "waitTimeout": "soon"})
    props = {p for p, _ in failures}
    assert props == {"serverId", "name", "waitTimeout"}
    assert all("server_id" not in r and "wait_timeout" not in r for _, r in failures), failures
    assert any(r.startswith("serverId must be a server id") for _, r in failures)
    _, failures = native.check(SNAPSHOT, {})
    assert ("serverId", "serverId is required: the id of the server to snapshot, such as 12345") in failures
    assert api.emu.requests() == []


def test_diff_replaces_on_server_or_name_and_restores_delete_first(native):
    olds = {"snapshotId": 801, "serverId": 12345, "name": "a", "description": "x"}
    diff = native.diff(SNAPSHOT, olds, {"serverId": 12345.0, "name": "b", "description": "x"})
    assert list(diff.replaces) == ["name"] and not diff.deleteBeforeReplace
    diff = native.diff(SNAPSHOT, olds, {"serverId": 12345, "name": "a", "description": "y"})
    assert list(diff.replaces) == [] and diff.changes == diff.DIFF_SOME
    diff = native.diff(RESTORE, {"snapshotId": 801, "triggers": [1]}, {"snapshotId": 801, "triggers": [2]})
    assert list(diff.replaces) == ["triggers"] and diff.deleteBeforeReplace


def test_diff_says_which_property_changes_and_how(native):
    """What previews show: `[diff: ~description]`, a rename as a replacement of `name`."""
    olds = {"snapshotId": 801, "serverId": 12345, "name": "a", "description": "x"}
    diff = native.diff(SNAPSHOT, olds, {"serverId": 12345, "name": "b", "description": "y"})
    assert sorted(diff.diffs) == ["description", "name"]
    kinds = {k: (v.kind, v.inputDiff) for k, v in diff.detailedDiff.items()}
    assert kinds == {
        "name": (proto.PropertyDiff.UPDATE_REPLACE, True),
        "description": (proto.PropertyDiff.UPDATE, True),
    }
    diff = native.diff(SNAPSHOT, {**olds, "description": None}, {"serverId": 12345, "name": "a", "description": "new"})
    assert {k: v.kind for k, v in diff.detailedDiff.items()} == {"description": proto.PropertyDiff.ADD}
    diff = native.diff(RESTORE, {"snapshotId": 801, "triggers": [1]}, {"snapshotId": 802, "triggers": [1]})
    assert {k: v.kind for k, v in diff.detailedDiff.items()} == {"snapshotId": proto.PropertyDiff.UPDATE}
    assert list(diff.replaces) == []


def test_preview_create_sends_nothing(native, api):
    inputs, _ = native.check(SNAPSHOT, {"serverId": 12345, "name": "n"})
    id_, _ = native.create(SNAPSHOT, inputs, preview=True)
    inputs, _ = native.check(RESTORE, {"snapshotId": 801})
    native.create(RESTORE, inputs, preview=True)
    assert id_ == "" and api.emu.requests() == []


def test_import_reads_by_id_alone_and_gives_the_inputs_to_write(native, api):
    _take(native, serverId=12346, name="nightly", description="before the upgrade")
    rid, outs, inputs = native.read(SNAPSHOT, "801")  # `pulumi import`: an id and no properties
    # the program `pulumi import` writes from these inputs matches the state: the description without the stack mark
    assert rid == "801" and outs["serverId"] == 12346
    assert inputs == {"serverId": 12346, "name": "nightly", "description": "before the upgrade"}
    assert outs["description"] == "before the upgrade" and "managedBy" not in outs  # this stack's own


def test_import_of_another_stacks_snapshot_records_its_owner_so_destroy_leaves_it(native, api):
    _take(native, serverId=12345, name="theirs")  # taken by proj/dev
    resp = native.stub.Read(
        proto.ReadRequest(id="801", urn=urn(SNAPSHOT, "r", stack="other"), properties=struct({}), inputs=struct({}))
    )
    outs = plain(resp.properties)
    assert outs["managedBy"] == "proj/dev"
    native.delete(SNAPSHOT, "801", outs)
    assert [s["id"] for s in api.emu.snapshots()] == [801]  # that stack's to delete


def test_refresh_keeps_a_snapshot_the_api_lists_under_another_server_and_destroy_deletes_it(native, api):
    _, outs = _take(native, serverId=12345, name="moved")
    recorded = {**outs, "serverId": 12346}  # VPS.org lists it under 12345; the state says 12346
    rid, read, _ = native.read(SNAPSHOT, "801", recorded)
    assert rid == "801" and read == recorded  # kept as it was, not dropped (and nothing added to it)
    native.delete(SNAPSHOT, "801", recorded)
    assert api.emu.snapshots() == []


def test_unknown_inputs_pass_through_check_and_diff(native, api):
    """A program that feeds one resource's output into another: in preview the engine sends unknowns as the wire's
    unknown string (the plugin does not accept output values), and they must come back the same way."""
    for unknown in (rpc.UNKNOWN,):
        inputs, failures = native.check(RESTORE, {"snapshotId": unknown, "triggers": ["r1", unknown]})
        assert failures == [] and inputs["snapshotId"] == rpc.UNKNOWN and inputs["triggers"] == ["r1", rpc.UNKNOWN]
        inputs, failures = native.check(SNAPSHOT, {"serverId": unknown, "name": "n"})
        assert failures == [] and inputs["serverId"] == rpc.UNKNOWN
        d = native.diff(SNAPSHOT, {"serverId": 12345, "name": "n"}, {"serverId": unknown, "name": "n"})
        assert list(d.replaces) == ["serverId"]
    assert api.emu.requests() == []


def _secret(value):
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def _is_secret(value) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def test_secret_inputs_stay_secret_in_check_create_update_and_read(native, api):
    inputs, _ = native.check(SNAPSHOT, {"serverId": 12345, "name": "n", "description": _secret("the vault key")})
    assert _is_secret(inputs["description"]) and not _is_secret(inputs["name"])
    rid, outs = native.create(SNAPSHOT, inputs)
    assert _is_secret(outs["description"]) and not _is_secret(outs["snapshotId"])
    plain_outs = {**outs, "description": outs["description"]["value"]}
    rid, read, _ = native.read(SNAPSHOT, rid, {**plain_outs, "description": _secret("the vault key")})
    assert _is_secret(read["description"])
    updated = native.update(SNAPSHOT, plain_outs, {**plain_outs, "description": _secret("another")})
    assert _is_secret(updated["description"])

    target = _take(native, serverId=12346, name="t")[1]["snapshotId"]
    inputs, _ = native.check(RESTORE, {"snapshotId": target, "triggers": [_secret("rollback-7")]})
    assert _is_secret(inputs["triggers"])
    _, outs = native.create(RESTORE, inputs)
    assert _is_secret(outs["triggers"]) and not _is_secret(outs["serverStatus"])
    assert all("rollback-7" not in s["name"] + (s["description"] or "") for s in api.emu.snapshots())


@pytest.mark.parametrize("value", [9007199254740993, 9007199254740992, 2**63])
def test_ids_beyond_what_a_json_number_holds_exactly_are_refused(native, api, value):
    _, failures = native.check(SNAPSHOT, {"serverId": float(value), "name": "n"})
    assert failures and failures[0][0] == "serverId" and "9007199254740991" in failures[0][1]
    assert api.emu.requests() == []


def test_import_or_get_of_a_missing_id_fails_plainly(native, api):
    with pytest.raises(grpc.RpcError) as e:
        native.read(SNAPSHOT, "9999")
    assert _error(e) == (
        "Snapshot 9999 does not exist (or this token cannot see it): `vpsorg snapshots list` shows the ones that do."
    )  # our message alone: no traceback


def test_custom_timeouts_bound_the_create_and_the_next_create_adopts(native, api):
    api.emu.snapshot_seconds = 30.0
    inputs, _ = native.check(SNAPSHOT, {"serverId": 12345, "name": "slow", "waitTimeout": "1h"})
    with pytest.raises(grpc.RpcError) as e:
        native.create(SNAPSHOT, inputs, timeout=1.0)  # customTimeouts.create: 1s
    assert "still being created" in _error(e) and "next `pulumi up` adopts" in _error(e)
    assert "raise waitTimeout, or with the plugin customTimeouts.create" in _error(e)  # named as the schema does
    api.emu.complete_all()
    id_, outs = native.create(SNAPSHOT, inputs)
    assert id_ == "801" and outs["adopted"] is True and outs["waitTimeout"] == "1h"
    assert len(api.emu.requests("POST")) == 1


def test_restore_is_sent_once_and_refresh_calls_nothing(native, api):
    _take(native, serverId=12345, name="good")
    inputs, _ = native.check(RESTORE, {"snapshotId": 801, "triggers": ["v1"], "wait": False})
    id_, outs = native.create(RESTORE, inputs)
    assert outs["serverId"] == 12345 and outs["triggers"] == ["v1"] and "restoredAt" in outs
    sent = len(api.emu.requests())
    assert native.read(RESTORE, id_, outs)[1] == outs
    native.delete(RESTORE, id_, outs)
    assert len(api.emu.requests()) == sent
    assert len(api.emu.requests("POST", "/api/v1/snapshots/801/restore/")) == 1


def test_get_snapshots_newest_first_with_filters(native, api):
    for name in ("nightly-1", "nightly-2", "manual", "nightly-3"):
        _take(native, serverId=12345, name=name)
    _take(native, serverId=12346, name="nightly-9")
    found, failures = native.invoke("vpsorg:index:getSnapshots", serverId=12345, namePrefix="nightly-")
    assert failures == []
    assert [s["name"] for s in found["snapshots"]] == ["nightly-3", "nightly-2", "nightly-1"]
    assert set(found["snapshots"][0]) <= set(SCHEMA["types"]["vpsorg:index:SnapshotInfo"]["properties"])
    found, _ = native.invoke("vpsorg:index:getSnapshot", serverId=12345, namePrefix="nightly-", status="completed")
    assert found["name"] == "nightly-3" and found["snapshotId"] == 804
    found, _ = native.invoke("vpsorg:index:getSnapshot", serverId=12345, name="manual")
    assert found["snapshotId"] == 803
    found, _ = native.invoke("vpsorg:index:getSnapshot", snapshotId=805)
    assert found["serverId"] == 12346


def test_get_snapshot_never_picks_a_safety_snapshot_as_the_newest_unless_asked(native, api):
    _take(native, serverId=12345, name="nightly-1")
    safety = _take(native, serverId=12345, name="vpsorg-safety-0123456789abcdef0123")[1]["snapshotId"]
    found, _ = native.invoke("vpsorg:index:getSnapshot", serverId=12345, status="completed")
    assert found["name"] == "nightly-1"  # a rollback to "the newest" must not undo the last rollback
    found, _ = native.invoke("vpsorg:index:getSnapshot", serverId=12345, namePrefix="vpsorg-safety-")
    assert found["snapshotId"] == safety


def test_get_snapshot_refuses_bad_arguments_before_any_call_and_names_what_is_missing(native, api):
    _, failures = native.invoke("vpsorg:index:getSnapshot", name="x")
    assert failures == [("serverId", "serverId is required unless snapshotId is given, such as 12345")]
    _, failures = native.invoke("vpsorg:index:getSnapshots", serverId="abc")
    assert [p for p, _ in failures] == ["serverId"]
    assert api.emu.requests() == []
    with pytest.raises(grpc.RpcError) as e:
        native.invoke("vpsorg:index:getSnapshot", serverId=12345, namePrefix="nightly-")
    assert _error(e).startswith("Server 12345 has no snapshot with namePrefix 'nightly-'")


def test_explicit_providers_reach_their_own_endpoints(api):
    other = Emulator(token="vps_other", snapshot_seconds=0)
    server = serve(other)
    first, second = NativeHost(env=QUIET), NativeHost(env=QUIET)
    try:
        first.configure(token=TOKEN, endpoint=api.endpoint)
        second.configure(token="vps_other", endpoint=server.endpoint)
        _take(first, serverId=12345, name="a")
        _take(second, serverId=12345, name="b")
    finally:
        first.close(), second.close(), server.close()
    assert [s["name"] for s in api.emu.snapshots()] == ["a"] and [s["name"] for s in other.snapshots()] == ["b"]


@pytest.mark.parametrize(
    "endpoint", ["https://alice:hunter2@vps.example/api/v1", "https://:s3cret@vps.example/api/v1", "ftp://x/api/v1"]
)
def test_a_bad_endpoint_is_refused_by_check_config_without_showing_it(api, endpoint):
    h = NativeHost(env=QUIET)
    try:
        request = proto.CheckRequest(urn=urn("pulumi:providers:vpsorg", "p"), news=struct({"endpoint": endpoint}))
        failures = [(f.property, f.reason) for f in h.stub.CheckConfig(request).failures]
    finally:
        h.close()
    assert [p for p, _ in failures] == ["endpoint"] and "vpsorg:endpoint is not usable" in failures[0][1]
    assert all(secret not in failures[0][1] for secret in ("hunter2", "s3cret", "alice"))


def test_a_bad_request_budget_is_refused_naming_the_setting(api):
    h = NativeHost(env=QUIET)
    try:
        request = proto.CheckRequest(urn=urn("pulumi:providers:vpsorg", "p"), news=struct({"maxRequestsPerSecond": -1}))
        failures = h.stub.CheckConfig(request).failures
    finally:
        h.close()
    assert [f.property for f in failures] == ["maxRequestsPerSecond"]


def test_progress_lines_and_warnings_go_under_the_resource(api):
    engine = FakeEngine()
    h = NativeHost(engine, env={**QUIET, "VPSORG_PROGRESS_SECONDS": "0.2"})
    api.emu.snapshot_seconds = 60.0
    try:
        h.configure(token=TOKEN, endpoint=api.endpoint)
        inputs, _ = h.check(SNAPSHOT, {"serverId": 12345, "name": "long"})
        done: list[object] = []
        creating = threading.Thread(target=lambda: done.append(h.create(SNAPSHOT, inputs, name="long")))
        creating.start()
        assert engine.logged.wait(30)
        api.emu.complete_all()
        creating.join(60)
        # adopted from another stack: destroy leaves it, and says so under the resource
        h.delete(SNAPSHOT, "801", {"snapshotId": 801, "serverId": 12345, "name": "long", "managedBy": "p/other"})
    finally:
        h.close()
        engine.close()
    severity, line, where = engine.logs[0]
    assert where == urn(SNAPSHOT, "long") and line.startswith("snapshot 801 'long' is in_progress (")
    finished = [m for _, m, u in engine.logs if u == where and "is completed" in m]
    assert finished and finished[0].startswith("snapshot 801 'long' is completed (")  # the display ends on it
    assert any("left in place" in m and u == urn(SNAPSHOT, "r") for _, m, u in engine.logs)
    assert done and done[0][1]["status"] == "completed"


def test_many_creates_run_at_once_not_four_at_a_time(api):
    """The engine's --parallel is the only cap: 24 creates are all posted while none has completed."""
    h = NativeHost(env=QUIET)
    api.emu.snapshot_seconds = 600.0
    results: list[object] = []
    try:
        h.configure(token=TOKEN, endpoint=api.endpoint)
        todo = [h.check(SNAPSHOT, {"serverId": 12345 + i % 6, "name": f"s{i}"})[0] for i in range(24)]
        threads = [threading.Thread(target=lambda p=p: results.append(h.create(SNAPSHOT, p))) for p in todo]
        for t in threads:
            t.start()
        until(lambda: len(api.emu.requests("POST")) == 24, within=30, what="24 POSTs, all at once")
        api.emu.complete_all()
        for t in threads:
            t.join(60)
    finally:
        h.close()
    assert len(results) == 24 and len(api.emu.snapshots()) == 24


def test_a_missing_token_is_explained_in_pulumi_terms(api):
    h = NativeHost(env=QUIET)  # no VPSORG_TOKEN in its environment
    try:
        h.configure(endpoint=api.endpoint)
        with pytest.raises(grpc.RpcError) as e:
            _take(h, serverId=12345, name="n")
    finally:
        h.close()
    message = _error(e)
    assert "No VPS.org API token is configured" in message and "pulumi config set --secret vpsorg:token" in message
    assert "--token" not in message and api.emu.requests() == []


def test_the_plugin_exits_when_the_process_that_started_it_is_gone(tmp_path):
    """`pulumi up` killed: the plugin it started must not run on for good."""
    pid_file = tmp_path / "plugin.pid"
    starter = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-m', 'pulumi_vpsorg.native'], stdout=subprocess.PIPE)\n"
        "p.stdout.readline()\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    engine = subprocess.Popen([sys.executable, "-c", starter])
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline and engine.poll() is None, "the plugin did not start"
        time.sleep(0.05)  # another process's file: no event to wait on
    plugin = int(pid_file.read_text())
    engine.kill()
    engine.wait()
    deadline = time.monotonic() + 20
    while _running(plugin):
        assert time.monotonic() < deadline, "the plugin kept running after its engine was killed"
        time.sleep(0.1)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
