"""The native plugin under the real engine, with Pulumi's real YAML and Node.js language hosts: each scenario as a
YAML program and as a TypeScript program on the generated SDK (sdk/nodejs), against the emulator. The plugin is
installed the way README says (`vpsorg plugin install`), and no run may print the engine's PATH warning."""

from __future__ import annotations

import json
import os
import shlex
import textwrap
from collections.abc import Callable, Iterator

import _docs
import pytest
from _pulumi import TOKEN, TS_CONFIG, Project, completed_snapshot, install_plugin, native_project, project

from pulumi_vpsorg import Client
from pulumi_vpsorg.emulator import Emulator, serve

PROGRAMS: dict[str, dict[str, str]] = {
    "lifecycle": {
        "yaml": """
            config:
              snapName: {type: string, default: pre-upgrade}
            resources:
              snap:
                type: vpsorg:index:Snapshot
                properties: {serverId: 12345, name: "${snapName}", description: before the upgrade}
                options: {deleteBeforeReplace: true}
            outputs:
              snapshotId: ${snap.snapshotId}
              status: ${snap.status}
              serverName: ${snap.serverName}
            """,
        "typescript": """
            const snap = new vpsorg.Snapshot(
                "snap",
                { serverId: 12345, name: config.get("snapName") ?? "pre-upgrade", description: "before the upgrade" },
                { deleteBeforeReplace: true },
            );
            export const snapshotId = snap.snapshotId;
            export const status = snap.status;
            export const serverName = snap.serverName;
            """,
    },
    "timeouts": {
        "yaml": """
            resources:
              slow:
                type: vpsorg:index:Snapshot
                properties: {serverId: 12345, name: slow-one}
                options:
                  customTimeouts: {create: 2s}
            outputs:
              adopted: ${slow.adopted}
            """,
        "typescript": """
            const slow = new vpsorg.Snapshot(
                "slow", { serverId: 12345, name: "slow-one" }, { customTimeouts: { create: "2s" } },
            );
            export const adopted = slow.adopted;
            """,
    },
    "providers": {
        "yaml": """
            config:
              endpointA: {type: string}
              endpointB: {type: string}
              tokenB: {type: string, secret: true}
            resources:
              a:
                type: pulumi:providers:vpsorg
                properties: {endpoint: "${endpointA}"}
              b:
                type: pulumi:providers:vpsorg
                properties: {endpoint: "${endpointB}", token: "${tokenB}"}
              onA:
                type: vpsorg:index:Snapshot
                properties: {serverId: 12345, name: on-a}
                options: {provider: "${a}"}
              onB:
                type: vpsorg:index:Snapshot
                properties: {serverId: 12345, name: on-b}
                options: {provider: "${b}"}
            """,
        "typescript": """
            const a = new vpsorg.Provider("a", { endpoint: config.require("endpointA") });
            const b = new vpsorg.Provider(
                "b", { endpoint: config.require("endpointB"), token: config.requireSecret("tokenB") },
            );
            new vpsorg.Snapshot("onA", { serverId: 12345, name: "on-a" }, { provider: a });
            new vpsorg.Snapshot("onB", { serverId: 12345, name: "on-b" }, { provider: b });
            """,
    },
    "rollback": {
        "yaml": """
            config:
              rollbackId: {type: string}
            variables:
              good:
                fn::invoke:
                  function: vpsorg:index:getSnapshot
                  arguments: {serverId: 12345, namePrefix: nightly-, status: completed}
            resources:
              rollback:
                type: vpsorg:index:SnapshotRestore
                properties:
                  snapshotId: ${good.snapshotId}
                  triggers: ["${rollbackId}"]
            outputs:
              restored: ${good.name}
              serverStatus: ${rollback.serverStatus}
            """,
        "typescript": """
            const good = vpsorg.getSnapshotOutput({ serverId: 12345, namePrefix: "nightly-", status: "completed" });
            const rollback = new vpsorg.SnapshotRestore("rollback", {
                snapshotId: good.snapshotId,
                triggers: [config.require("rollbackId")],
            });
            export const restored = good.name;
            export const serverStatus = rollback.serverStatus;
            """,
    },
    "chained": {
        "yaml": """
            config:
              note: {type: string}
              rollbackId: {type: string}
            resources:
              first:
                type: vpsorg:index:Snapshot
                properties: {serverId: 12345, name: chain-first, description: "${note}"}
              second:
                type: vpsorg:index:Snapshot
                properties: {serverId: "${first.serverId}", name: chain-second}
              rollback:
                type: vpsorg:index:SnapshotRestore
                properties:
                  snapshotId: ${first.snapshotId}
                  triggers: ["${rollbackId}"]
            outputs:
              secondServer: ${second.serverId}
              restored: ${rollback.restoredSnapshotId}
            """,
        "typescript": """
            const first = new vpsorg.Snapshot("first", {
                serverId: 12345, name: "chain-first", description: config.requireSecret("note"),
            });
            const second = new vpsorg.Snapshot("second", { serverId: first.serverId, name: "chain-second" });
            const rollback = new vpsorg.SnapshotRestore("rollback", {
                snapshotId: first.snapshotId, triggers: [config.requireSecret("rollbackId")],
            });
            export const secondServer = second.serverId;
            export const restored = rollback.restoredSnapshotId;
            """,
    },
}
PATH_WARNING = "from $PATH"


def _files(name: str, language: str) -> dict[str, str]:
    body = textwrap.dedent(PROGRAMS[name][language]).strip() + "\n"
    if language == "yaml":
        return {"Pulumi.yaml": f"name: {name}\nruntime: yaml\n{body}"}
    head = 'import * as pulumi from "@pulumi/pulumi";\nimport * as vpsorg from "./vpsorg";\n'
    head += "const config = new pulumi.Config();\n"
    return {
        "Pulumi.yaml": f"name: {name}\nruntime: nodejs\n",
        "package.json": json.dumps({"name": name, "main": "index.ts"}),
        "tsconfig.json": TS_CONFIG,
        "index.ts": head + body,
    }


@pytest.fixture(params=["yaml", "typescript"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_native(tmp_path, tools: str, language: str) -> Iterator[Callable[..., Project]]:
    made: list[Project] = []

    def make(name: str, *, endpoint: str | None = None, token: str | None = TOKEN) -> Project:
        proj = native_project(name, str(tmp_path), tools, _files(name, language))
        proj.use_api(endpoint, token)
        made.append(proj)
        return proj

    yield make
    for proj in made:
        for _, result in proj.log:
            assert PATH_WARNING not in result.output, result.output
        proj.run("stack", "rm", "--yes", "--force", proj.stack, check=False)


def test_a_chained_program_with_secret_inputs_previews_runs_and_keeps_its_secrets(live, make_native):
    """One resource's outputs into another's inputs (unknown in preview), and secrets as inputs."""
    proj = make_native("chained", endpoint=live.endpoint, token=None)
    proj.config("note", "the-vault-code-4711", secret=True)
    proj.config("rollbackId", "rollback-secret-42", secret=True)
    preview = proj.run("preview")
    assert "+ 4 to create" in preview.stdout and live.calls() == []  # no token, no API call, no crash on unknowns
    proj.config("vpsorg:token", TOKEN, secret=True)
    proj.up()
    snaps = {s["name"]: s for s in live.emu.snapshots()}
    assert snaps["chain-second"]["server"]["id"] == 12345 and len(_restores(live)) == 1
    assert proj.outputs()["restored"] == snaps["chain-first"]["id"]
    calls = len(live.calls())
    again = proj.up()
    assert "4 unchanged" in again.stdout and live.calls("POST")[-1]["path"].endswith("/restore/")
    assert len(live.calls("POST")) == 4 and len(live.calls()) >= calls
    state = json.dumps(proj.export())
    for secret in ("the-vault-code-4711", "rollback-secret-42"):
        assert secret not in state, [p for p in state.split(",") if secret in p][:3]
    assert state.count("ciphertext") >= 4  # the config, the inputs and the outputs that held them
    proj.config("note", "another-vault-code", secret=True)
    preview = proj.run("preview", "--diff")
    # the snapshot's description is updated; the restore's snapshotId is unknown until then: an update, never a
    # replacement (only triggers restore)
    assert "~ description: [secret] => [secret]" in preview.stdout and "~ 2 to update" in preview.stdout
    assert "replace" not in preview.stdout and "another-vault-code" not in preview.stdout, preview.stdout
    proj.up()
    assert len(_restores(live)) == 1
    proj.run("destroy", "--yes")
    left = [s["name"] for s in live.emu.snapshots()]
    assert "chain-first" not in left and "chain-second" not in left and len(left) == 1  # the safety snapshot stays


def _restores(live) -> list[dict]:
    return [r for r in live.calls("POST") if r["path"].endswith("/restore/")]


def test_preview_shows_which_property_changes(live, make_native):
    proj = make_native("lifecycle", endpoint=live.endpoint)
    proj.up()
    proj.config("snapName", "renamed")
    preview = proj.run("preview", "--diff")
    assert "+-" in preview.stdout and "name" in preview.stdout and "replace" in preview.stdout, preview.stdout
    proj.run("destroy", "--yes")


def test_preview_up_up_refresh_rotate_destroy(live, make_native):
    proj = make_native("lifecycle", endpoint=live.endpoint, token=None)
    preview = proj.run("preview")
    assert "+ 2 to create" in preview.stdout and live.calls() == []  # no token, no API call

    proj.config("vpsorg:token", TOKEN, secret=True)
    live.emu.snapshot_seconds = 3.0
    first = proj.up(env={"VPSORG_PROGRESS_SECONDS": "1"})
    [snap] = live.emu.snapshots()
    assert snap["name"] == "pre-upgrade" and snap["description"].startswith("before the upgrade [pulumi stack: ")
    assert proj.outputs() == {"snapshotId": snap["id"], "status": "completed", "serverName": "web-server-01"}
    assert f"snapshot {snap['id']} 'pre-upgrade' is in_progress (" in first.output  # progress under the resource

    again = proj.up()
    assert len(live.calls("POST")) == 1 and "2 unchanged" in again.stdout

    with Client(TOKEN, live.endpoint) as api:
        api.delete_snapshot(snap["id"])  # behind Pulumi's back
    proj.run("refresh", "--yes")
    assert proj.resources(":Snapshot") == []
    proj.up()
    [recreated] = live.emu.snapshots()

    proj.config("snapName", "pre-upgrade-2")  # rotation: deleteBeforeReplace deletes the old one first
    proj.up()
    writes = [(r["method"], r["path"]) for r in live.calls() if r["method"] in ("POST", "DELETE")]
    assert writes[-2:] == [("DELETE", f"/api/v1/snapshots/{recreated['id']}/"), ("POST", "/api/v1/snapshots/")]
    assert [s["name"] for s in live.emu.snapshots()] == ["pre-upgrade-2"]

    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []


def test_import_of_an_existing_id_and_of_a_missing_one(live, make_native):
    proj = make_native("lifecycle", endpoint=live.endpoint)
    snapshot_id = completed_snapshot(live, 12346, "made-by-hand")
    proj.run("import", "vpsorg:index:Snapshot", "imported", str(snapshot_id), "--yes")
    [imported] = proj.resources(":Snapshot")
    assert imported["id"] == str(snapshot_id) and imported["outputs"]["name"] == "made-by-hand"
    assert imported["inputs"] == {"serverId": 12346, "name": "made-by-hand"}

    missing = proj.run("import", "vpsorg:index:Snapshot", "nothing", "9999", "--yes", check=False)
    assert missing.code != 0
    assert "Snapshot 9999 does not exist (or this token cannot see it)" in missing.output
    assert "Traceback" not in missing.output
    assert len(live.calls("POST")) == 1  # only the one made by hand


def test_import_writes_a_program_that_matches_and_keeps_another_stacks_snapshot(live, tmp_path, tools):
    """The YAML `pulumi import` writes, pasted as the program, previews with no change; a snapshot another stack
    took (its description says so) is recorded as that stack's, so destroy leaves it."""
    with Client(TOKEN, live.endpoint) as api:
        theirs = api.create_snapshot(12345, "theirs", "before the upgrade [pulumi stack: other/dev]").id
    proj = native_project("imported", str(tmp_path), tools, {"Pulumi.yaml": "name: imported\nruntime: yaml\n"})
    proj.use_api(live.endpoint)
    code = os.path.join(proj.dir, "generated.yaml")
    proj.run("import", "vpsorg:index:Snapshot", "theirs", str(theirs), "--yes", "--protect=false", "--out", code)
    [imported] = proj.resources(":Snapshot")
    assert imported["outputs"]["managedBy"] == "other/dev"
    generated = open(code).read()
    assert "description: before the upgrade" in generated and "pulumi stack" not in generated, generated
    with open(os.path.join(proj.dir, "Pulumi.yaml"), "a") as f:
        f.write(generated)
    preview = proj.run("preview")
    assert "unchanged" in preview.stdout and "to update" not in preview.stdout, preview.stdout
    assert "to create" not in preview.stdout and "to replace" not in preview.stdout, preview.stdout
    proj.run("destroy", "--yes")
    assert [s["id"] for s in live.emu.snapshots()] == [theirs]


def test_custom_timeouts_bound_a_create_and_the_next_up_adopts(live, make_native):
    live.emu.snapshot_seconds = 600.0
    proj = make_native("timeouts", endpoint=live.endpoint)
    failed = proj.up(check=False)
    assert failed.code != 0 and failed.seconds < 60
    assert "is still being created" in failed.output and "the next `pulumi up` adopts" in failed.output
    assert proj.resources(":Snapshot") == []
    live.emu.complete_all()
    proj.up()
    assert proj.outputs() == {"adopted": True}
    assert len(live.calls("POST")) == 1 and len(live.emu.snapshots()) == 1


def test_two_explicit_providers_reach_two_endpoints(live, make_native):
    other = Emulator(token="vps_other_0123456789", snapshot_seconds=1.0)
    server = serve(other)
    try:
        proj = make_native("providers", endpoint=None)
        proj.config("endpointA", live.endpoint)
        proj.config("endpointB", server.endpoint)
        proj.config("tokenB", "vps_other_0123456789", secret=True)
        proj.up(env={"VPSORG_TOKEN": TOKEN})  # provider a: its token from the environment
        assert [s["name"] for s in live.emu.snapshots()] == ["on-a"]
        assert [s["name"] for s in other.snapshots()] == ["on-b"]
        state = json.dumps(proj.export())
        for token in ("vps_other_0123456789", TOKEN):  # secret config is stored encrypted; the environment's not at all
            assert token not in state, [line for line in state.split(",") if token in line][:3]
        proj.run("destroy", "--yes", env={"VPSORG_TOKEN": TOKEN})
        assert live.emu.snapshots() == [] and other.snapshots() == []
    finally:
        server.close()


def test_a_rollback_picks_its_snapshot_with_get_snapshot_and_restores_once(live, make_native):
    completed_snapshot(live, 12345, "nightly-1")
    newest = completed_snapshot(live, 12345, "nightly-2")
    completed_snapshot(live, 12346, "nightly-9")  # another server's
    proj = make_native("rollback", endpoint=live.endpoint)
    proj.config("rollbackId", "r1")
    proj.up()
    restores = [r["path"] for r in live.calls("POST") if r["path"].endswith("/restore/")]
    assert restores == [f"/api/v1/snapshots/{newest}/restore/"]
    assert proj.outputs() == {"restored": "nightly-2", "serverStatus": "active"}
    proj.up()
    proj.run("refresh", "--yes")
    assert len([r for r in live.calls("POST") if r["path"].endswith("/restore/")]) == 1
    proj.config("rollbackId", "r2")
    proj.up()
    assert len([r for r in live.calls("POST") if r["path"].endswith("/restore/")]) == 2


DYNAMIC = """
import pulumi
from pulumi_vpsorg import Snapshot

snap = Snapshot("pre-upgrade", server_id=12345, name="pre-upgrade", description="before the upgrade")
"""


def _readme(kind: str, containing: str) -> str:
    return _docs.block(kind, containing)


def test_readme_programs_run(live, make_native, tmp_path, tools, language):
    """README's YAML and TypeScript programs, as printed, under the real engine."""
    if language == "yaml":
        files = {"Pulumi.yaml": _readme("yaml", "name: upgrade")}
    else:
        files = dict(_files("lifecycle", "typescript"), **{"index.ts": _readme("typescript", "vpsorg.Snapshot(")})
    proj = native_project(f"readme-{language}", str(tmp_path), tools, files)
    proj.use_api(live.endpoint)
    proj.up()
    [snap] = live.emu.snapshots()
    assert snap["name"] == "pre-upgrade" and proj.outputs() == {"snapshotId": snap["id"]}
    proj.run("destroy", "--yes")
    if language == "yaml":
        completed_snapshot(live, 12345, "nightly-1")
        rollback = native_project("rollback", str(tmp_path), tools, {"Pulumi.yaml": _readme("yaml", "name: rollback")})
        rollback.use_api(live.endpoint)
        rollback.config("rollbackId", "r1")
        rollback.up()
        assert rollback.outputs() == {"restored": "nightly-1"}
        assert len([r for r in live.calls("POST") if r["path"].endswith("/restore/")]) == 1


def test_a_stack_moves_from_python_to_yaml_with_readmes_commands_and_one_snapshot(live, tmp_path, cli_bin, tools):
    """README's steps, run as printed: forget the dynamic resource, replace the program, `up` adopts it by name;
    the stack then owns it (destroy deletes it)."""
    proj = project("upgrade", str(tmp_path), cli_bin, tools, program=DYNAMIC, stack="dev")
    proj.use_api(live.endpoint)
    proj.up()
    [snap] = live.emu.snapshots()
    install_plugin(proj, tools)
    for line in _readme("sh", "pulumi state delete").strip().splitlines():
        if line.startswith("# now replace"):
            os.remove(os.path.join(proj.dir, "__main__.py"))
            with open(os.path.join(proj.dir, "Pulumi.yaml"), "w") as f:
                f.write(_readme("yaml", "name: upgrade"))
        elif not line.startswith("#"):
            args = shlex.split(line.split("  #")[0])[1:]
            proj.run(*args, *(["--yes"] if args == ["up"] else []))  # the user answers "yes" at the prompt
    assert len(live.calls("POST")) == 1 and [s["id"] for s in live.emu.snapshots()] == [snap["id"]]
    [new] = proj.resources(":Snapshot")
    assert new["type"] == "vpsorg:index:Snapshot" and new["outputs"]["adopted"] is True
    assert "managedBy" not in new["outputs"]  # the same stack took it: it is this stack's to delete
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []
