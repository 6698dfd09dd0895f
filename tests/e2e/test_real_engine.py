"""Every example, and the claims README makes about Pulumi, under the real `pulumi` CLI against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from _pulumi import TOKEN

from pulumi_vpsorg import Client

ROTATING = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    config = pulumi.Config()
    Snapshot("nightly", server_id=12346, name=config.require("name"),
             opts=pulumi.ResourceOptions(delete_before_replace=config.get_bool("deleteFirst") is not False))
    """
)

TIMED = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    snap = Snapshot("slow", server_id=12345, name="slow-one", wait_timeout=pulumi.Config().require("waitTimeout"))
    pulumi.export("adopted", snap.adopted)
    pulumi.export("snapshot_id", snap.snapshot_id)
    """
)

FLEET = textwrap.dedent(
    """
    from pulumi_vpsorg import Snapshot

    for i in range(20):
        Snapshot(f"s{i}", server_id=12345 + i % 5, name=f"fleet-{i}")
    """
)


def _api(live) -> Client:
    return Client(TOKEN, live.endpoint)


def _completed_snapshot(live, server_id: int, name: str) -> int:
    seconds, live.emu.snapshot_seconds = live.emu.snapshot_seconds, 0.0
    try:
        with _api(live) as api:
            return api.create_snapshot(server_id, name).id
    finally:
        live.emu.snapshot_seconds = seconds


# ----- preview ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["snapshot-before-upgrade", "rollback", "ci-preview"])
def test_preview_needs_no_token_and_makes_no_api_call(example, live, make_project):
    proj = make_project(example, endpoint=live.endpoint, token=None)
    if example == "rollback":
        proj.config("snapshotId", "801")
        proj.config("rollbackId", "incident-1")
    result = proj.run("preview")
    assert "+ " in result.stdout and "create" in result.stdout, result.stdout
    assert live.calls() == []


def test_ci_preview_as_the_workflow_runs_it_with_the_api_unreachable(make_project):
    proj = make_project("ci-preview", endpoint="http://127.0.0.1:9/api/v1", token=None)
    result = proj.run("preview")
    assert "web-nightly" in result.stdout and "db-nightly" in result.stdout


def test_preview_fails_on_bad_input_naming_the_property(make_project):
    proj = make_project("snapshot-before-upgrade", token=None)
    proj.config("snapshotName", "pre upgrade!")
    result = proj.run("preview", check=False)
    assert result.code != 0
    assert "name may contain only letters, digits, hyphens and underscores" in result.output


# ----- Snapshot lifecycle ------------------------------------------------------------------------------------------


def test_up_up_refresh_destroy(live, make_project):
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint)
    proj.up()
    [snap] = live.emu.snapshots()
    assert snap["status"] == "completed" and snap["server"]["id"] == 12345 and snap["name"] == "pre-upgrade"
    outputs = proj.outputs()
    assert outputs["snapshot_id"] == snap["id"] and outputs["status"] == "completed"
    assert outputs["server_name"] == "web-server-01" and outputs["size_mb"] == snap["size_mb"]

    second = proj.up()
    assert len(live.calls("POST")) == 1
    assert "2 unchanged" in second.stdout and "+ " not in second.stdout, second.stdout  # the stack and the snapshot

    proj.run("refresh", "--yes")
    assert len(proj.resources(":Snapshot")) == 1

    with _api(live) as api:
        api.delete_snapshot(snap["id"])  # behind Pulumi's back
    proj.run("refresh", "--yes")
    assert proj.resources(":Snapshot") == []

    proj.up()
    [again] = live.emu.snapshots()
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []
    assert live.calls("DELETE", f"/api/v1/snapshots/{again['id']}/")


def test_rotation_at_the_limit_deletes_first(live, make_project):
    for i in range(4):
        _completed_snapshot(live, 12346, f"manual-{i}")
    proj = make_project("rotating", program=ROTATING, endpoint=live.endpoint)
    proj.config("name", "nightly-1")
    proj.up()
    proj.config("name", "nightly-2")
    proj.up()
    names = sorted(s["name"] for s in live.emu.snapshots())
    assert names == ["manual-0", "manual-1", "manual-2", "manual-3", "nightly-2"]


def test_create_first_at_the_limit_fails_naming_the_five(live, make_project):
    for i in range(4):
        _completed_snapshot(live, 12346, f"manual-{i}")
    proj = make_project("rotating", program=ROTATING, endpoint=live.endpoint)
    proj.config("name", "nightly-1")
    proj.config("deleteFirst", "false")
    proj.up()
    proj.config("name", "nightly-2")
    result = proj.up(check=False)
    assert result.code != 0
    assert "Server 12346 already has 5 of its 5 snapshots" in result.output
    for name in ("manual-0", "manual-3", "nightly-1"):
        assert name in result.output
    assert len([s for s in live.emu.snapshots() if s["name"] == "nightly-1"]) == 1


def test_a_create_that_timed_out_is_adopted_by_the_next_up(live, make_project):
    live.emu.snapshot_seconds = 6.0
    proj = make_project("timed", program=TIMED, endpoint=live.endpoint)
    proj.config("waitTimeout", "1s")
    failed = proj.up(check=False)
    assert failed.code != 0
    assert "is still being created" in failed.output and "the next `pulumi up` adopts" in failed.output
    assert proj.resources(":Snapshot") == []
    proj.config("waitTimeout", "2m")
    proj.up()
    [snap] = live.emu.snapshots()
    assert snap["status"] == "completed"
    assert len(live.calls("POST", "/api/v1/snapshots/")) == 1
    outputs = proj.outputs()
    assert outputs["adopted"] is True and outputs["snapshot_id"] == snap["id"]


# ----- SnapshotRestore -----------------------------------------------------------------------------------------


def _restores(live) -> int:
    return len([r for r in live.calls("POST") if r["path"].endswith("/restore/")])


def test_rollback_example_restores_once_per_rollback_id(live, make_project):
    snapshot_id = _completed_snapshot(live, 12345, "pre-deploy")
    proj = make_project("rollback", endpoint=live.endpoint)
    proj.up()
    assert _restores(live) == 0 and proj.resources(":SnapshotRestore") == []

    proj.config("snapshotId", str(snapshot_id))
    proj.config("rollbackId", "incident-1")
    proj.up()
    assert _restores(live) == 1
    assert proj.outputs()["server_status"] == "active"

    proj.up()
    proj.run("refresh", "--yes")
    assert _restores(live) == 1

    proj.config("rollbackId", "incident-2")
    proj.up()
    assert _restores(live) == 2

    proj.run("config", "rm", "snapshotId")
    proj.up()
    assert proj.resources(":SnapshotRestore") == [] and _restores(live) == 2


def test_rollback_with_the_automation_api(live, make_project):
    snapshot_id = _completed_snapshot(live, 12345, "pre-deploy")
    proj = make_project("rollback", token=TOKEN)
    script = os.path.join(proj.dir, "automation.py")

    def rollback(rollback_id: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [
                sys.executable,
                script,
                "--stack",
                proj.stack,
                "--snapshot-id",
                str(snapshot_id),
                "--rollback-id",
                rollback_id,
                "--endpoint",
                live.endpoint,
            ],
            env=proj.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    first = rollback("incident-7")
    assert _restores(live) == 1
    assert "server web-server-01 is active" in first.stdout
    rollback("incident-7")
    assert _restores(live) == 1
    rollback("incident-8")
    assert _restores(live) == 2


# ----- many at once, state and errors --------------------------------------------------------------------------


@pytest.mark.parametrize("parallel", [None, "64"])
def test_twenty_snapshots_on_five_servers(parallel, live, make_project):
    live.emu.snapshot_seconds = 2.0
    proj = make_project("fleet", program=FLEET, endpoint=live.endpoint)
    proj.up(*(["--parallel", parallel] if parallel else []))
    snaps = live.emu.snapshots()
    assert len(snaps) == 20 and all(s["status"] == "completed" for s in snaps)
    assert len({(s["server"]["id"], s["name"]) for s in snaps}) == 20  # no duplicates
    assert len(live.calls("POST", "/api/v1/snapshots/")) == 20
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []


def test_a_rate_limited_api_and_the_budget_from_stack_config(live, make_project):
    """VPS.org answering 429 beyond 5 requests a second: 20 snapshots at --parallel 64 with a budget of 40 a
    second set in stack config all succeed; the first 429 slows every request down."""
    live.emu.snapshot_seconds = 2.0
    live.emu.inject(rate_limit=5)
    proj = make_project("fleet", program=FLEET, endpoint=live.endpoint)
    proj.config("vpsorg:maxRequestsPerSecond", "40")
    proj.up("--parallel", "64")
    statuses = [r["status"] for r in live.emu.log]
    posts = [p["status"] for p in live.calls("POST", "/api/v1/snapshots/")]
    assert len(live.emu.snapshots()) == 20 and posts.count(201) == 20  # a POST refused with 429 made nothing
    assert set(posts) <= {201, 429} and 429 in statuses, "the budget of 40/s should have met the limit of 5/s"
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []


def test_state_holds_no_token_and_a_small_provider(live, make_project):
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint)
    proj.up()
    exported = proj.run("stack", "export").stdout
    assert TOKEN not in exported
    [snap] = proj.resources(":Snapshot")
    provider = snap["outputs"]["__provider"]
    assert isinstance(provider, str) and len(provider) < 200, provider


def test_a_bad_token_reads_well(live, make_project):
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint, token="vps_wrong_token")
    result = proj.up(check=False)
    assert result.code != 0
    assert "returned HTTP 401: Invalid token" in result.output
    assert "vpsorg:token" in result.output and "vps_wrong_token" not in result.output


DESCRIBED = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    snap = Snapshot("kept", server_id=12345, name="restore-point", description=pulumi.Config().require("text"))
    pulumi.export("description", snap.description)
    """
)


def test_a_description_change_updates_in_place_and_keeps_the_snapshot(live, make_project):
    proj = make_project("described", program=DESCRIBED, endpoint=live.endpoint)
    proj.config("text", "before the upgrade")
    proj.up()
    [snap] = live.emu.snapshots()
    calls = len(live.calls())
    proj.config("text", "the good one")
    result = proj.up()
    assert "1 updated" in result.stdout, result.stdout
    assert len(live.calls()) == calls  # the update sent nothing to VPS.org
    assert [s["id"] for s in live.emu.snapshots()] == [snap["id"]]
    assert proj.outputs()["description"] == "the good one"


def test_a_long_create_shows_progress_under_the_resource(live, make_project):
    live.emu.snapshot_seconds = 6.0
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint)
    result = proj.up(env={"VPSORG_PROGRESS_SECONDS": "1"})
    rows = [line for line in result.stdout.splitlines() if "vpsorg:Snapshot" in line and "pre-upgrade" in line]
    assert any("snapshot 801 'pre-upgrade' is in_progress (" in row for row in rows), result.stdout
    assert any("snapshot 801 'pre-upgrade' is completed (" in row for row in rows), result.stdout
    proj.run("destroy", "--yes")


# ----- what a user reads when `pulumi up` fails -------------------------------------------------------------------

MAX_FAILURE_LINES = 40  # the whole output of a failed `pulumi up` of one snapshot: the problem, briefly


def _failure(result) -> str:
    assert result.code != 0, result.output
    assert "KeyboardInterrupt" not in result.output, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) <= MAX_FAILURE_LINES, f"{len(lines)} lines:\n{result.output}"
    # the resource's row and its diagnostic say the problem, not "error: Traceback (most recent call last):"
    assert "Traceback" not in result.output, result.output
    assert re.search(r"vpsorg:Snapshot\S* .*error: pulumi_vpsorg\.errors\.\w+: ", result.output), result.output
    return result.output


def test_a_failed_up_shows_the_problem_first_and_briefly(live, make_project):
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint, token="vps_wrong_token")
    said = _failure(proj.up(check=False))
    assert "returned HTTP 401: Invalid token" in said and "vps_wrong_token" not in said

    proj.config("vpsorg:token", TOKEN, secret=True)
    proj.config("serverId", "99999")
    said = _failure(proj.up(check=False))
    assert "Server 99999 does not exist" in said

    proj.config("serverId", "12346")
    for i in range(5):
        _completed_snapshot(live, 12346, f"manual-{i}")
    said = _failure(proj.up(check=False))
    assert "Server 12346 already has 5 of its 5 snapshots" in said


GET_MISSING = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    pulumi.export("name", Snapshot.get("missing", pulumi.Config().require("id")).name)
    """
)


def test_get_of_an_id_that_does_not_exist_fails_naming_it(live, make_project):
    proj = make_project("getter", program=GET_MISSING, endpoint=live.endpoint)
    proj.config("id", "99999")
    said = _failure(proj.up(check=False))
    assert "Snapshot 99999 does not exist" in said
    proj.config("id", str(_completed_snapshot(live, 12345, "known")))
    proj.up()
    assert proj.outputs()["name"] == "known"


def test_refresh_uses_the_token_stored_by_the_last_up_until_the_next_up(live, make_project):
    """What README says about rotating a token: refresh and destroy use the configuration stored by the last `up`."""
    proj = make_project("snapshot-before-upgrade", endpoint=live.endpoint)
    proj.up()

    def refresh() -> set:
        """The statuses VPS.org answered a refresh with (it makes one or two list calls)."""
        before = len(live.calls())
        proj.run("refresh", "--yes", check=False)
        return {c["status"] for c in live.calls()[before:]}

    proj.run("config", "rm", "vpsorg:token")
    assert refresh() == {200}  # no token in config or environment: the stored one is still used
    proj.config("vpsorg:token", "vps_the_new_one", secret=True)  # not one the emulator takes
    assert refresh() == {200}  # still the stored one
    calls = len(live.calls())
    proj.up()  # nothing to change, so no API call: it stores the new configuration
    assert len(live.calls()) == calls
    assert refresh() == {401}  # from now on, the new token
    proj.config("vpsorg:token", TOKEN, secret=True)
    proj.up()
    assert refresh() == {200}


SHARED_NAME = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    snap = Snapshot("shared", server_id=12345, name="release-1")
    pulumi.export("managed_by", snap.managed_by)
    pulumi.export("adopted", snap.adopted)
    """
)


def test_destroy_leaves_a_snapshot_another_stack_took(live, make_project):
    first = make_project("first", program=SHARED_NAME, endpoint=live.endpoint)
    first.up()
    second = make_project("second", program=SHARED_NAME, endpoint=live.endpoint)
    second.up()
    [snap] = live.emu.snapshots()
    assert snap["description"] == "[pulumi stack: organization/first/e2e]"
    assert second.outputs() == {"managed_by": "organization/first/e2e", "adopted": True}
    second.run("destroy", "--yes")
    assert [s["id"] for s in live.emu.snapshots()] == [snap["id"]]
    first.run("destroy", "--yes")
    assert live.emu.snapshots() == []


# ----- fleets without checkpoints: killed mid-up, the next `up` recovers everything, once --------------------------

KILLED_FLEET = textwrap.dedent(
    """
    from pulumi_vpsorg import Snapshot

    for i in range(24):
        Snapshot(f"s{i}", server_id=12345 + i % 6, name=f"fleet-{i}")
    """
)


@pytest.mark.parametrize("posts", [1, 12, 24], ids=["after the first POST", "half posted", "all posted"])
def test_an_up_without_checkpoints_killed_mid_fleet_is_recovered_by_the_next_up(posts, live, make_project):
    live.emu.snapshot_seconds = 3.0
    proj = make_project("killed", program=KILLED_FLEET, endpoint=live.endpoint)
    skip = {"PULUMI_SKIP_CHECKPOINTS": "true"}
    proj.kill_mid_up(lambda: len(live.calls("POST", "/api/v1/snapshots/")) >= posts, "--parallel", "64", env=skip)
    proj.run("cancel", "--yes")  # the killed CLI left its lock on the stack: what a user runs, as Pulumi says
    proj.up("--parallel", "64")
    made = live.emu.snapshots()
    assert sorted(s["name"] for s in made) == sorted(f"fleet-{i}" for i in range(24))  # each once: no duplicate
    in_state = proj.resources(":Snapshot")
    assert len(in_state) == 24 and {r["outputs"]["snapshot_id"] for r in in_state} == {s["id"] for s in made}
    assert all(s["status"] == "completed" for s in made)
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []
