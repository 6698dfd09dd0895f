"""The Snapshot resource, driven through `python -m pulumi.dynamic` over gRPC as the engine drives it."""

from __future__ import annotations

import grpc
import pytest

from _engine import SNAPSHOT_TYPE, UNKNOWN, urn

U = urn(SNAPSHOT_TYPE, "pre-upgrade")


def test_check_create_read_diff_delete_read_gone(host, api, snap_props):
    inputs, failures = host.check(U, {}, snap_props(server_id=12345, name="pre-upgrade", description="before"))
    assert failures == []
    assert inputs["server_id"] == 12345
    id_, outs = host.create(U, inputs)
    assert id_ == "801"
    assert outs["status"] == "completed" and outs["snapshot_id"] == 801
    posts = api.emu.requests("POST", "/api/v1/snapshots/")
    assert [p["json"] for p in posts] == [{"server_id": 12345, "name": "pre-upgrade", "description": "before"}]
    assert type(posts[0]["json"]["server_id"]) is int
    rid, routs = host.read(U, id_, outs)
    assert rid == "801" and routs["size_mb"] == outs["size_mb"]
    d = host.diff(U, id_, outs, snap_props(server_id=12345.0, name="pre-upgrade", description="before", wait_timeout="2h"))
    assert d.changes == d.DIFF_NONE
    host.delete(U, id_, outs)
    assert api.emu.snapshots() == []
    rid, routs = host.read(U, id_, outs)
    assert rid == ""
