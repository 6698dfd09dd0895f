"""SnapshotSeries through both front doors as the engine drives them: the dynamic provider host
(`python -m pulumi.dynamic`) and the native plugin. A snapshot per trigger change, the newest `keep` kept, and only
the series' own snapshots ever deleted."""

from __future__ import annotations

import grpc
import pytest
from _consts import TOKEN
from _engine import SERIES_TYPE, urn
from _native import SERIES, NativeHost

from pulumi_vpsorg import Client

U = urn(SERIES_TYPE, "before-deploy")


@pytest.fixture
def native(api):
    h = NativeHost(env={"VPSORG_READ_MAX_AGE": "0", "VPSORG_MAX_RPS": "0"})
    h.configure(token=TOKEN, endpoint=api.endpoint)
    yield h
    h.close()


class Dynamic:
    """The dynamic door: snake_case names, the series' stack as the constructor adds it."""

    def __init__(self, host, series_props):
        self.host, self.props = host, series_props

    def check(self, **inputs):
        return self.host.check(U, {}, self.props(**inputs))

    def create(self, **inputs):
        checked, failures = self.check(**inputs)
        assert failures == []
        return self.host.create(U, checked)

    def update(self, olds, **inputs):
        checked, failures = self.check(**inputs)
        assert failures == []
        return self.host.update(U, "12345/app", olds, checked)

    def read(self, id_, props):
        return self.host.read(U, id_, props)[1]

    def delete(self, props):
        self.host.delete(U, "12345/app", props)


def _names(outs, key="snapshots"):
    return [s["name"] for s in outs[key]]


def _server(api, server_id=12345):
    return sorted((s for s in api.emu.snapshots() if s["server"]["id"] == server_id), key=lambda s: s["id"])


def test_four_trigger_changes_keep_the_two_newest_and_leave_every_other_snapshot(host, api, series_props):
    series = Dynamic(host, series_props)
    client = Client(TOKEN, api.endpoint)
    by_hand = client.create_snapshot(12345, "app-20200101T000000Z", "made by hand, named like the series").id
    _, outs = series.create(server_id=12345, name_prefix="app", keep=2, triggers=["v1"])
    first = outs["latest_snapshot_id"]
    assert [s["snapshot_id"] for s in outs["snapshots"]] == [first] and outs["latest_name"].startswith("app-")
    taken = [first]
    for version in ("v2", "v3", "v4", "v5"):
        outs = series.update(outs, server_id=12345, name_prefix="app", keep=2, triggers=[version])
        taken.append(outs["latest_snapshot_id"])
    assert len(set(taken)) == 5  # one snapshot per trigger value
    assert [s["snapshot_id"] for s in outs["snapshots"]] == [taken[-1], taken[-2]]
    assert [s["id"] for s in _server(api)] == sorted([by_hand, taken[-2], taken[-1]])
    assert len(api.emu.requests("POST", "/api/v1/snapshots/")) == 6  # the hand-made one, then one per take


def test_the_same_triggers_take_nothing_and_a_lower_keep_cuts_the_series(host, api, series_props):
    series = Dynamic(host, series_props)
    _, outs = series.create(server_id=12345, name_prefix="app", keep=3, triggers=["v1"])
    for version in ("v2", "v3"):
        outs = series.update(outs, server_id=12345, name_prefix="app", keep=3, triggers=[version])
    diff = host.diff(U, "12345/app", outs, series.check(server_id=12345, name_prefix="app", keep=3, triggers=["v3"])[0])
    assert diff.changes == diff.DIFF_NONE
    posts = len(api.emu.requests("POST"))
    outs = series.update(outs, server_id=12345, name_prefix="app", keep=1, triggers=["v3"])
    assert len(api.emu.requests("POST")) == posts and len(outs["snapshots"]) == 1
    assert [s["id"] for s in _server(api)] == [outs["latest_snapshot_id"]]


def test_a_full_server_fails_before_anything_is_sent_naming_the_snapshots(host, api, series_props):
    client = Client(TOKEN, api.endpoint)
    for i in range(5):
        client.create_snapshot(12345, f"mine-{i}")
    series = Dynamic(host, series_props)
    with pytest.raises(grpc.RpcError) as e:
        series.create(server_id=12345, name_prefix="app", keep=2, triggers=["v1"])
    assert "already has 5 of its 5 snapshots" in e.value.details() and "mine-0" in e.value.details()
    assert "deletes only its own snapshots" in e.value.details()
    assert len(api.emu.requests("POST")) == 5 and api.emu.requests("DELETE") == []


def test_at_the_limit_room_is_made_from_the_series_oldest_never_a_restores_target(host, api, series_props):
    client = Client(TOKEN, api.endpoint)
    series = Dynamic(host, series_props)
    _, outs = series.create(server_id=12345, name_prefix="app", keep=3, triggers=["v1"])
    target = outs["latest_snapshot_id"]  # a rollback restores it; the safety snapshot before that names it
    client.create_snapshot(
        12345, "vpsorg-safety-cli-x", f"Safety snapshot taken by vpsorg before restoring snapshot {target} 'app'"
    )
    client.create_snapshot(12345, "other")
    for version in ("v2", "v3"):  # 5 snapshots now: the server's limit
        outs = series.update(outs, server_id=12345, name_prefix="app", keep=3, triggers=[version])
    second = outs["snapshots"][1]["snapshot_id"]
    outs = series.update(outs, server_id=12345, name_prefix="app", keep=3, triggers=["v4"])
    on_server = [s["id"] for s in _server(api)]
    assert second not in on_server and target in on_server and len(on_server) == 5  # the oldest but the target
    client.delete_snapshot(outs["snapshots"][1]["snapshot_id"])
    client.create_snapshot(12345, "other-2")  # now the series holds its newest and the target only
    posts = len(api.emu.requests("POST"))
    with pytest.raises(grpc.RpcError) as e:
        series.update(outs, server_id=12345, name_prefix="app", keep=3, triggers=["v5"])
    assert "already has 5 of its 5 snapshots" in e.value.details() and "has none to spare" in e.value.details()
    assert len(api.emu.requests("POST")) == posts and target in [s["id"] for s in _server(api)]


def test_an_interrupted_take_is_adopted_by_the_next_run_not_taken_twice(host, api, series_props):
    series = Dynamic(host, series_props)
    api.emu.reset(snapshot_seconds=30)
    checked, _ = series.check(server_id=12345, name_prefix="app", keep=2, triggers=["v1"], wait_timeout="1s")
    with pytest.raises(grpc.RpcError, match="the next `pulumi up` adopts it"):
        host.create(U, checked)
    api.emu.complete_all()
    _, outs = series.create(server_id=12345, name_prefix="app", keep=2, triggers=["v1"])  # the re-run
    assert len(api.emu.requests("POST")) == 1 and len(outs["snapshots"]) == 1


def test_refresh_drops_a_snapshot_deleted_by_hand_and_destroy_deletes_the_series_only(host, api, series_props):
    client = Client(TOKEN, api.endpoint)
    series = Dynamic(host, series_props)
    _, outs = series.create(server_id=12345, name_prefix="app", keep=3, triggers=["v1"])
    outs = series.update(outs, server_id=12345, name_prefix="app", keep=3, triggers=["v2"])
    other = client.create_snapshot(12345, "app-by-hand").id
    client.delete_snapshot(outs["snapshots"][1]["snapshot_id"])
    refreshed = series.read("12345/app", outs)
    assert [s["snapshot_id"] for s in refreshed["snapshots"]] == [outs["latest_snapshot_id"]]
    series.delete(refreshed)
    assert [s["id"] for s in _server(api)] == [other]


def test_bad_inputs_are_refused_before_any_call_naming_the_property_in_each_doors_spelling(
    host, api, series_props, native
):
    _, failures = Dynamic(host, series_props).check(server_id=12345, name_prefix="app", keep=6)
    assert failures == [("keep", "keep must be a number of snapshots from 1 to 5, got 6")]
    _, failures = native.check(SERIES, {"serverId": 12345, "namePrefix": "app x", "keep": 2})
    assert failures == [
        ("namePrefix", "namePrefix may contain only letters, digits, hyphens and underscores, got 'app x'")
    ]
    assert api.emu.log == []


def test_the_plugin_runs_the_same_series_and_imports_one_by_server_and_prefix(native, api):
    inputs, failures = native.check(SERIES, {"serverId": 12345, "namePrefix": "app", "keep": 2, "triggers": ["v1"]})
    assert failures == []
    id_, outs = native.create(SERIES, inputs)
    assert id_ == "12345/app" and outs["snapshots"][0]["snapshotId"] == outs["latestSnapshotId"]
    for version in ("v2", "v3"):
        news, _ = native.check(SERIES, {"serverId": 12345, "namePrefix": "app", "keep": 2, "triggers": [version]})
        outs = native.update(SERIES, outs, news)
    assert len(outs["snapshots"]) == 2 and len(_server(api)) == 2
    found_id, found, inputs = native.read(SERIES, "12345/app")  # `pulumi import ... 12345/app`
    assert found_id == "12345/app" and [s["snapshotId"] for s in found["snapshots"]] == [
        s["snapshotId"] for s in outs["snapshots"]
    ]
    assert inputs == {"serverId": 12345, "namePrefix": "app", "keep": 2}
    native.delete(SERIES, id_, outs)
    assert _server(api) == []
