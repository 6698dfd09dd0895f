"""A Go program on the generated Go SDK (sdk/go, module github.com/pulumi-vpsorg/pulumi-vpsorg/sdk, taken through a
`replace` as README says) under the real engine and Pulumi's real Go language host: preview with no token, up, up
again, a chained restore, destroy."""

from __future__ import annotations

import os
import subprocess
import textwrap

from _pulumi import REPO, TOKEN, native_project

GO_MOD = textwrap.dedent(
    f"""
    module example.com/rollback

    go 1.25.11

    require (
    \tgithub.com/pulumi-vpsorg/pulumi-vpsorg/sdk v0.0.0
    \tgithub.com/pulumi/pulumi/sdk/v3 v3.259.0
    )

    replace github.com/pulumi-vpsorg/pulumi-vpsorg/sdk => {os.path.join(REPO, "sdk")}
    """
).lstrip()
MAIN_GO = textwrap.dedent(
    """
    package main

    import (
    \t"github.com/pulumi-vpsorg/pulumi-vpsorg/sdk/go/vpsorg"
    \t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
    \t"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
    )

    func main() {
    \tpulumi.Run(func(ctx *pulumi.Context) error {
    \t\tsnap, err := vpsorg.NewSnapshot(ctx, "pre-upgrade", &vpsorg.SnapshotArgs{
    \t\t\tServerId: pulumi.Int(12345),
    \t\t\tName:     pulumi.String("pre-upgrade"),
    \t\t})
    \t\tif err != nil {
    \t\t\treturn err
    \t\t}
    \t\tctx.Export("snapshotId", snap.SnapshotId)
    \t\tif rollbackID := config.Get(ctx, "rollbackId"); rollbackID != "" {
    \t\t\trollback, err := vpsorg.NewSnapshotRestore(ctx, "rollback", &vpsorg.SnapshotRestoreArgs{
    \t\t\t\tSnapshotId: snap.SnapshotId,
    \t\t\t\tTriggers:   pulumi.Array{pulumi.String(rollbackID)},
    \t\t\t})
    \t\t\tif err != nil {
    \t\t\t\treturn err
    \t\t\t}
    \t\t\tctx.Export("serverStatus", rollback.ServerStatus)
    \t\t\tctx.Export("safetySnapshotId", rollback.SafetySnapshotId)
    \t\t}
    \t\treturn nil
    \t})
    }
    """
).lstrip()


def test_a_go_program_previews_runs_restores_once_and_destroys(live, tmp_path, tools):
    files = {"Pulumi.yaml": "name: gorollback\nruntime: go\n", "go.mod": GO_MOD, "main.go": MAIN_GO}
    proj = native_project("gorollback", str(tmp_path), tools, files)
    tidy = subprocess.run(["go", "mod", "tidy"], cwd=proj.dir, capture_output=True, text=True, timeout=600)
    assert tidy.returncode == 0, tidy.stderr
    preview = proj.run("preview")
    assert "+ 2 to create" in preview.stdout and live.calls() == []  # no token, no API call

    proj.use_api(live.endpoint)
    proj.up()
    assert [s["name"] for s in live.emu.snapshots()] == ["pre-upgrade"]
    again = proj.up()
    assert "2 unchanged" in again.stdout and len(live.calls("POST")) == 1

    proj.config("rollbackId", "incident-1")
    proj.up()
    restores = [r["path"] for r in live.calls("POST") if r["path"].endswith("/restore/")]
    outputs = proj.outputs()
    assert restores == [f"/api/v1/snapshots/{outputs['snapshotId']}/restore/"]
    assert outputs["serverStatus"] == "active" and outputs["safetySnapshotId"] != outputs["snapshotId"]
    proj.up()
    assert len([r for r in live.calls("POST") if r["path"].endswith("/restore/")]) == 1

    proj.run("destroy", "--yes")
    assert [s["id"] for s in live.emu.snapshots()] == [outputs["safetySnapshotId"]]  # the way back stays
    assert TOKEN not in str(proj.export())
