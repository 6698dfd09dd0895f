"""SnapshotSeries under the real engine, through both front doors (the Python dynamic resource, and the native
plugin with Pulumi's YAML host): four trigger changes with `keep: 2` end with the series' two newest, every other
snapshot untouched (one made by hand with a series-like name, and the target of a SnapshotRestore); a full server
fails before any POST, naming the snapshots; a `pulumi up` killed mid-take and re-run from another machine leaves
no duplicate."""

from __future__ import annotations

import json
import textwrap

import _docs
import pytest
from _pulumi import TS_CONFIG, Project, completed_snapshot, native_project

PYTHON = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import SnapshotRestore, SnapshotSeries

    config = pulumi.Config()
    series = SnapshotSeries(
        "before-deploy",
        server_id=config.require_int("serverId"),
        name_prefix="app",
        keep=2,
        triggers=[config.require("appVersion")],
    )
    golden = config.get_int("rollbackTo")
    if golden:
        SnapshotRestore("rollback", snapshot_id=golden, triggers=[config.require("ticket")])
    pulumi.export("latest", series.latest_snapshot_id)
    """
)
YAML = textwrap.dedent(
    """
    name: series
    runtime: yaml
    config:
      serverId: {type: integer}
      appVersion: {type: string}
    resources:
      beforeDeploy:
        type: vpsorg:index:SnapshotSeries
        properties:
          serverId: ${serverId}
          namePrefix: app
          keep: 2
          triggers: ["${appVersion}"]
    outputs:
      latest: ${beforeDeploy.latestSnapshotId}
    """
)
YAML_ROLLBACK = textwrap.dedent(
    """
      rollback:
        type: vpsorg:index:SnapshotRestore
        properties:
          snapshotId: ${rollbackTo}
          triggers: ["${ticket}"]
    """
)


@pytest.fixture(params=["python", "yaml"])
def door(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _project(door: str, make_project, tmp_path, tools: str, live) -> Project:
    if door == "python":
        return make_project("series", program=PYTHON, endpoint=live.endpoint)
    proj = native_project("series", str(tmp_path), tools, {"Pulumi.yaml": YAML})
    proj.use_api(live.endpoint)
    return proj


def _with_rollback(door: str, proj: Project) -> None:
    """Declare the SnapshotRestore of config `rollbackTo` (YAML has no conditionals: the program gains it)."""
    if door == "yaml":
        text = YAML.replace(
            "  appVersion: {type: string}\n",
            "  appVersion: {type: string}\n  rollbackTo: {type: integer}\n  ticket: {type: string}\n",
        )
        text = text.replace("outputs:\n", textwrap.indent(YAML_ROLLBACK.lstrip("\n"), "  ") + "outputs:\n")
        with open(f"{proj.dir}/Pulumi.yaml", "w") as f:
            f.write(text)


def _on_server(live, server_id: int) -> dict[int, str]:
    return {s["id"]: s["name"] for s in live.emu.snapshots() if s["server"]["id"] == server_id}


def _series_posts(live) -> list[dict]:
    return [
        r for r in live.calls("POST", "/api/v1/snapshots/") if str(r.get("json", {}).get("name", "")).startswith("app-")
    ]


def test_four_trigger_changes_keep_the_two_newest_and_touch_nothing_else(door, make_project, tmp_path, tools, live):
    by_hand = completed_snapshot(live, 12345, "app-20200101T000000Z-aaaaaa")  # series-like, but made by hand
    golden = completed_snapshot(live, 12345, "golden")
    proj = _project(door, make_project, tmp_path, tools, live)
    proj.config("serverId", "12345")
    latest = []
    for step, version in enumerate(["v1", "v2", "v3", "v4", "v5"]):
        if step == 2:  # a rollback in between: its safety snapshot, and its target, are not the series'
            _with_rollback(door, proj)
            proj.config("rollbackTo", str(golden))
            proj.config("ticket", "incident-1")
        proj.config("appVersion", version)
        proj.up()
        latest.append(proj.outputs()["latest"])
    assert len(set(latest)) == 5  # one snapshot per trigger value
    on_server = _on_server(live, 12345)
    assert set(latest[-2:]) <= set(on_server) and not set(latest[:-2]) & set(on_server)
    assert by_hand in on_server and golden in on_server  # and the restore's safety snapshot:
    assert len([n for n in on_server.values() if n.startswith("vpsorg-safety-")]) == 1 and len(on_server) == 5
    [series] = proj.resources(":SnapshotSeries")
    kept = [s.get("snapshotId", s.get("snapshot_id")) for s in series["outputs"]["snapshots"]]
    assert kept == [latest[-1], latest[-2]]
    proj.run("destroy", "--yes")
    on_server = _on_server(live, 12345)
    assert by_hand in on_server and golden in on_server and not set(latest) & set(on_server)


def test_a_full_server_fails_before_any_post_naming_its_snapshots(door, make_project, tmp_path, tools, live):
    for i in range(5):
        completed_snapshot(live, 12346, f"keep-me-{i}")
    proj = _project(door, make_project, tmp_path, tools, live)
    proj.config("serverId", "12346")
    proj.config("appVersion", "v1")
    result = proj.up(check=False)
    assert result.code != 0
    assert "already has 5 of its 5 snapshots" in result.output and "keep-me-0" in result.output, result.output
    assert "Nothing was sent" in result.output and _series_posts(live) == []


def test_a_kill_mid_take_then_a_rerun_from_another_machine_leaves_no_duplicate(
    door, make_project, tmp_path, tools, live
):
    proj = _project(door, make_project, tmp_path, tools, live)
    proj.config("serverId", "12345")
    proj.config("appVersion", "v1")
    proj.up()
    proj.config("appVersion", "v2")
    live.emu.snapshot_seconds = 30.0  # the take is under way when the run dies
    proj.kill_mid_up(lambda: len(_series_posts(live)) == 2)
    live.emu.complete_all()
    live.emu.snapshot_seconds = 1.0
    proj.run("cancel", "--yes")
    proj.up(env={"VPSORG_LOCK_DIR": str(tmp_path / "another-machine")})
    assert len(_series_posts(live)) == 2  # the re-run adopted the take the killed run posted
    on_server = _on_server(live, 12345)
    assert len(on_server) == 2 and proj.outputs()["latest"] == max(on_server)


@pytest.mark.parametrize("language", ["yaml", "typescript"])
def test_readmes_series_programs_run_as_printed(language, tmp_path, tools, live):
    """README's SnapshotSeries in YAML and TypeScript (the TypeScript SDK as `pulumi package add` names it, here
    the checked-in sdk/nodejs): each new appVersion takes one snapshot; two are kept."""
    if language == "yaml":
        files = {"Pulumi.yaml": _docs.block("yaml", "vpsorg:index:SnapshotSeries")}
    else:
        code = _docs.block("typescript", "vpsorg.SnapshotSeries(").replace('"@pulumi-vpsorg/vpsorg"', '"./vpsorg"')
        files = {
            "Pulumi.yaml": "name: deploy\nruntime: nodejs\n",
            "package.json": json.dumps({"name": "deploy", "main": "index.ts"}),
            "tsconfig.json": TS_CONFIG,
            "index.ts": code,
        }
    proj = native_project(f"readme-series-{language}", str(tmp_path), tools, files)
    proj.use_api(live.endpoint)
    latest = []
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        proj.config("appVersion", version)
        proj.up()
        latest.append(proj.outputs()["rollbackTo"])
    assert len(set(latest)) == 3 and set(_on_server(live, 12345)) == set(latest[1:])
