"""Restores under the real engine, through both front doors (the Python dynamic resource and the native plugin
with Pulumi's YAML host): triggers alone restore, a completed safety snapshot precedes each restore, a kill at any
point followed by a re-run from another machine (a fresh lock folder) sends exactly one restore, someone else's
restore is refused, the 5-limit keeps every snapshot the user made; and the `vpsorg` CLI killed and re-run."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import textwrap
import time
from collections.abc import Callable

import _docs
import pytest
from _pulumi import TOKEN, VENV, Project, completed_snapshot, kill_tree, native_project

from pulumi_vpsorg import Client
from pulumi_vpsorg.safety import SAFETY_PREFIX

README_ROLLBACK = _docs.block("yaml", "name: rollback")
UNDO = _docs.block("bash", "safety_snapshot_id")
BY_CONFIG = textwrap.dedent(
    """
    name: restore
    runtime: yaml
    config:
      snapshotId: {type: integer}
      rollbackId: {type: string}
    resources:
      rollback:
        type: vpsorg:index:SnapshotRestore
        properties:
          snapshotId: ${snapshotId}
          triggers: ["${rollbackId}"]
    outputs:
      serverStatus: ${rollback.serverStatus}
    """
)


def _restores(live) -> list[dict]:
    return [r for r in live.calls("POST") if r["path"].endswith("/restore/")]


def _safety(live) -> list[dict]:
    return [s for s in live.emu.snapshots() if s["name"].startswith(SAFETY_PREFIX)]


def _state(proj: Project) -> dict:
    [restore] = proj.resources(":SnapshotRestore")
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in restore["outputs"].items()}


@pytest.fixture(params=["python", "yaml"])
def door(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def restore_project(door: str, make_project, tmp_path, tools: str, live) -> Callable[[], Project]:
    """A program with one SnapshotRestore of stack config `snapshotId` and `rollbackId`, through ``door``."""

    def make() -> Project:
        if door == "python":
            return make_project("rollback", endpoint=live.endpoint)  # examples/rollback
        proj = native_project("restore", str(tmp_path), tools, {"Pulumi.yaml": BY_CONFIG})
        proj.use_api(live.endpoint)
        return proj

    return make


def _restore_of(proj: Project, snapshot_id: int, rollback_id: str) -> None:
    proj.config("snapshotId", str(snapshot_id))
    proj.config("rollbackId", rollback_id)


def _safety_came_first(live) -> None:
    """Each restore was sent after a safety snapshot of its server had completed."""
    for post in _restores(live):
        done = [s for s in _safety(live) if s["ready_at"] <= post["t"]]
        assert done, f"no completed safety snapshot before the restore at {post['t']}"


# ----- triggers alone restore -------------------------------------------------------------------------------------


def test_readme_yaml_rollback_restores_once_per_trigger_as_newer_snapshots_appear(live, tmp_path, tools):
    completed_snapshot(live, 12345, "nightly-1")
    second = completed_snapshot(live, 12345, "nightly-2")
    proj = native_project("rollback", str(tmp_path), tools, {"Pulumi.yaml": README_ROLLBACK})
    proj.use_api(live.endpoint)
    proj.config("rollbackId", "incident-1")
    proj.up()
    assert [r["path"] for r in _restores(live)] == [f"/api/v1/snapshots/{second}/restore/"]
    _safety_came_first(live)
    assert _state(proj)["safetySnapshotId"] == _safety(live)[0]["id"]

    third = completed_snapshot(live, 12345, "nightly-3")  # tonight's nightly snapshot
    preview = proj.run("preview", "--diff")
    assert "~ 1 to update" in preview.stdout and "replace" not in preview.stdout, preview.stdout
    proj.up()
    assert len(_restores(live)) == 1  # same rollbackId: nothing restored
    state = _state(proj)
    assert state["snapshotId"] == third and state["restoredSnapshotId"] == second
    assert "nothing was restored" in state["message"]
    proj.run("refresh", "--yes")
    proj.up()
    assert len(_restores(live)) == 1

    proj.config("rollbackId", "incident-2")
    proj.up()
    assert [r["path"] for r in _restores(live)][1:] == [f"/api/v1/snapshots/{third}/restore/"]
    assert len(_safety(live)) == 2
    _safety_came_first(live)
    proj.run("destroy", "--yes")
    assert len(_safety(live)) == 2  # destroy leaves the way back in place


def test_python_a_new_snapshot_id_alone_restores_nothing(live, make_project):
    first, second = completed_snapshot(live, 12345, "a"), completed_snapshot(live, 12345, "b")
    proj = make_project("rollback", endpoint=live.endpoint)
    _restore_of(proj, first, "incident-1")
    proj.up()
    assert len(_restores(live)) == 1
    _safety_came_first(live)
    proj.config("snapshotId", str(second))
    preview = proj.run("preview")
    assert "~ 1 to update" in preview.stdout and "replace" not in preview.stdout, preview.stdout
    proj.up()
    assert len(_restores(live)) == 1 and "nothing was restored" in _state(proj)["message"]
    proj.config("rollbackId", "incident-2")
    proj.up()
    assert [r["path"] for r in _restores(live)][1:] == [f"/api/v1/snapshots/{second}/restore/"]

    # README's undo, as printed: restore the last restore's safety snapshot with a new trigger
    way_back = proj.outputs()["safety_snapshot_id"]
    for line in UNDO.strip().splitlines():
        words = shlex.split(line.split("  #")[0].replace("$(pulumi stack output safety_snapshot_id)", str(way_back)))
        proj.up() if words == ["pulumi", "up"] else proj.run(*words[1:])
    assert [r["path"] for r in _restores(live)][2:] == [f"/api/v1/snapshots/{way_back}/restore/"]


# ----- at most once, across kills and machines ----------------------------------------------------------------------

KILL_POINTS = ["while the safety snapshot is taken", "right after the restore POST", "after the restore was over"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_kill_then_a_rerun_from_another_machine_restores_exactly_once(live, restore_project, point, tmp_path):
    target = completed_snapshot(live, 12345, "good")
    # Killed while the safety snapshot is taken, the re-run must begin before it completes: found completed, it
    # means the killed run may have sent the restore, which is then (by design) not sent again. A kill, `pulumi
    # cancel` and a new `pulumi up` took over 3 s on a loaded 2-core CI machine: that snapshot takes 12 s.
    safety_seconds = 12.0 if point == KILL_POINTS[0] else 3.0
    live.emu.snapshot_seconds, live.emu.restore_seconds = safety_seconds, 4.0
    proj = restore_project()
    _restore_of(proj, target, "incident-9")
    posts = len(live.calls("POST"))
    when = {
        KILL_POINTS[0]: lambda: len(live.calls("POST")) > posts,  # the safety snapshot's POST
        KILL_POINTS[1]: lambda: len(_restores(live)) == 1,
        KILL_POINTS[2]: lambda: bool(_restores(live)) and time.time() > _restores(live)[0]["t"] + 1.0,
    }[point]
    proj.kill_mid_up(when)
    if point == KILL_POINTS[2]:
        live.emu.finish_restores()  # a real restore takes 5-15 minutes: the re-run comes after it
    proj.run("cancel", "--yes")  # the killed CLI's lock on the stack
    other_machine = {"VPSORG_LOCK_DIR": str(tmp_path / "another-machine")}
    result = proj.up(env=other_machine)
    assert len(_restores(live)) == 1, result.output
    assert len(_safety(live)) == 1  # and no second safety snapshot
    _safety_came_first(live)
    state = _state(proj)
    assert state["safetySnapshotId"] == _safety(live)[0]["id"]
    if point != KILL_POINTS[0]:
        assert "was not sent again" in state["message"] and "change `triggers`" in state["message"]
    proj.up(env=other_machine)
    assert len(_restores(live)) == 1


def test_a_restore_while_someone_elses_is_under_way_fails_clearly_and_sends_nothing(live, restore_project):
    a, b = completed_snapshot(live, 12345, "a"), completed_snapshot(live, 12345, "b")
    live.emu.restore_seconds = 120
    with Client(TOKEN, live.endpoint) as api:
        api.restore_snapshot(a)  # someone else's
    proj = restore_project()
    _restore_of(proj, b, "incident-3")
    failed = proj.up(check=False)
    assert failed.code != 0
    assert "Server 12345 (web-server-01) is restoring" in failed.output and "someone else's restore" in failed.output
    assert "Nothing was sent" in failed.output
    assert len(_restores(live)) == 1 and _safety(live) == []
    assert proj.resources(":SnapshotRestore") == []  # nothing recorded


def test_at_the_limit_every_snapshot_the_user_made_and_the_target_are_kept(live, restore_project):
    mine = [completed_snapshot(live, 12345, n) for n in ("a", "b", "c", "d")]
    target = completed_snapshot(live, 12345, "target")
    proj = restore_project()
    _restore_of(proj, target, "incident-4")
    failed = proj.up(check=False)
    assert failed.code != 0 and "already has 5 of its 5 snapshots" in failed.output
    assert "`safetySnapshot: false`" in failed.output and "Nothing was sent" in failed.output
    assert {s["id"] for s in live.emu.snapshots()} == {*mine, target} and live.calls("DELETE") == []
    assert _restores(live) == []

    with Client(TOKEN, live.endpoint) as api:  # make room by hand for a safety snapshot, as the error says
        api.delete_snapshot(mine[0])
    proj.up()
    assert len(_restores(live)) == 1
    proj.config("rollbackId", "incident-5")  # full again: room comes from the older safety snapshot only
    proj.up()
    left = {s["id"] for s in live.emu.snapshots()}
    assert {*mine[1:], target} <= left and len(left) == 5 and len(_restores(live)) == 2


# ----- the command line: killed, re-run elsewhere, undone --------------------------------------------------------


def _vpsorg(live, *args: str, lock_dir: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
    env.update(VPSORG_TOKEN=TOKEN, VPSORG_ENDPOINT=live.endpoint, VPSORG_LOCK_DIR=lock_dir)
    return subprocess.Popen(
        [os.path.join(VENV, "bin", "vpsorg"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_the_cli_killed_after_the_restore_post_never_restores_twice_and_undo_brings_the_server_back(
    live, tmp_path, sig
):
    target = completed_snapshot(live, 12345, "pre-deploy-42")
    live.emu.restore_seconds = 4.0
    first = _vpsorg(live, "rollback", "--server", "12345", "--yes", lock_dir=str(tmp_path / "a"))
    limit = time.monotonic() + 60
    while not _restores(live):
        assert first.poll() is None and time.monotonic() < limit, first.communicate()
        time.sleep(0.01)  # polls the emulator's log: no event to wait on across processes
    if sig == signal.SIGKILL:
        kill_tree(first.pid)
    else:
        os.kill(first.pid, sig)
    first.communicate(timeout=30)
    live.emu.finish_restores()
    again = _vpsorg(live, "rollback", "--server", "12345", "--yes", "--json", lock_dir=str(tmp_path / "b"))
    out, err = again.communicate(timeout=120)
    assert again.returncode == 4, err
    assert json.loads(out)["outcome"] == "not_sent_again" and "may have sent the restore" in err
    assert [r["path"] for r in _restores(live)] == [f"/api/v1/snapshots/{target}/restore/"]

    [safety] = _safety(live)
    undo = _vpsorg(live, "rollback", "--server", "12345", "--undo", "--yes", "--json", lock_dir=str(tmp_path / "b"))
    out, err = undo.communicate(timeout=120)
    assert undo.returncode == 0, err
    assert json.loads(out)["snapshot"]["id"] == safety["id"]
    assert [r["path"] for r in _restores(live)][1:] == [f"/api/v1/snapshots/{safety['id']}/restore/"]
