"""Every example project: its program under pulumi.runtime.set_mocks (preview and up). The same projects under the
real `pulumi` CLI are in tests/e2e (`make e2e`)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys

import pytest
from _engine import RESTORE_TYPE, SERIES_TYPE, SNAPSHOT_TYPE, run_program
from pulumi.runtime import config as runtime_config

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")
PROJECTS = ["snapshot-before-upgrade", "rollback", "ci-preview"]


def _exec(path: str) -> None:
    runpy.run_path(path, run_name="__main__")


def _run_example(name: str, preview: bool, config: dict[str, str] | None = None):
    """Config keys are namespaced by the mocks' project name, `project`."""
    runtime_config.set_all_config(dict(config or {}))
    try:
        return run_program(lambda: _exec(os.path.join(EXAMPLES, name, "__main__.py")), preview=preview)
    finally:
        runtime_config.set_all_config({})


@pytest.mark.parametrize("name", PROJECTS)
def test_each_example_is_a_complete_project(name):
    files = set(os.listdir(os.path.join(EXAMPLES, name)))
    assert {"Pulumi.yaml", "__main__.py", "requirements.txt", "README.md"} <= files


@pytest.mark.parametrize("preview", [True, False])
def test_snapshot_before_upgrade(preview):
    recorder = _run_example("snapshot-before-upgrade", preview, {"project:serverId": "12346"})
    [snap] = recorder.resources
    assert snap.typ == SNAPSHOT_TYPE
    assert snap.inputs["server_id"] == 12346
    assert snap.inputs["name"] == "pre-upgrade" and snap.inputs["wait_timeout"] == "30m"


@pytest.mark.parametrize("preview", [True, False])
def test_rollback_with_and_without_config(preview):
    assert _run_example("rollback", preview).resources == []  # no snapshotId: no restore
    recorder = _run_example("rollback", preview, {"project:snapshotId": "801", "project:rollbackId": "incident-42"})
    [restore] = recorder.resources
    assert restore.typ == RESTORE_TYPE
    assert restore.inputs["snapshot_id"] == 801 and restore.inputs["triggers"] == ["incident-42"]


@pytest.mark.parametrize("preview", [True, False])
def test_ci_preview(preview):
    recorder = _run_example("ci-preview", preview)
    assert sorted(r.inputs["server_id"] for r in recorder.resources) == [12345, 12346]


def test_automation_script_parses():
    proc = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "rollback", "automation.py"), "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--snapshot-id" in proc.stdout


def test_the_package_says_it_is_no_resource_plugin():
    """Installed as `pulumi-vpsorg`, the language host would otherwise look for (and try to download) a `vpsorg`
    resource plugin before every up."""
    import json
    from importlib.resources import files

    assert json.loads(files("pulumi_vpsorg").joinpath("pulumi-plugin.json").read_text()) == {"resource": False}


@pytest.mark.parametrize("preview", [True, False])
def test_nightly_stacks(preview):
    recorder = _run_example("nightly-stacks", preview, {"project:serverId": "12347", "project:night": "2026-12-07"})
    [series] = recorder.resources
    assert series.typ == SERIES_TYPE
    assert series.inputs["server_id"] == 12347 and series.inputs["keep"] == 3
    assert series.inputs["triggers"] == ["2026-12-07"] and series.inputs["name_prefix"] == "nightly"
