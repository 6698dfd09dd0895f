"""`pulumi package add <this repository's provider/ folder>`: the source-based plugin, from a fresh PULUMI_HOME with
no plugin installed, as README's per-language commands say (TypeScript, Go, Python). The Python language host makes
the plugin's virtualenv (provider/venv) from its requirements, the CLI asks the plugin for its schema, generates an
SDK in the program's language and links it; then preview, up and destroy under the real engine. YAML cannot (its
host, v1.25.0, does not implement Link, and starts the Python host with flags that host no longer has): README says
so, and a YAML program uses `vpsorg plugin install` (tests/e2e/test_native_engine.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from _pulumi import REPO, TOKEN, Project, _project_at

PROVIDER = os.path.join(REPO, "provider")
PROGRAMS = {
    "typescript": {
        "Pulumi.yaml": "name: added\nruntime: nodejs\n",
        "package.json": json.dumps(
            {"name": "added", "main": "index.ts", "dependencies": {"@pulumi/pulumi": "3.248.0", "typescript": "5.9.3"}}
        ),
        "tsconfig.json": json.dumps(
            {"compilerOptions": {"target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext"}}
        ),
        "index.ts": (
            'import * as vpsorg from "@pulumi-vpsorg/vpsorg";\n\n'
            'const snap = new vpsorg.Snapshot("pre-upgrade", { serverId: 12345, name: "pre-upgrade" });\n'
            "export const snapshotId = snap.snapshotId;\n"
        ),
    },
    "python": {
        "Pulumi.yaml": "name: added\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n",
        "requirements.txt": "pulumi>=3.150,<4\n",
        "__main__.py": (
            "import pulumi\n"
            "import pulumi_vpsorg_native as vpsorg\n\n"
            'snap = vpsorg.Snapshot("pre-upgrade", server_id=12345, name="pre-upgrade")\n'
            'pulumi.export("snapshotId", snap.snapshot_id)\n'
        ),
    },
    "go": {
        "Pulumi.yaml": "name: added\nruntime: go\n",
        "main.go": (
            "package main\n\n"
            "import (\n"
            '\t"github.com/pulumi-vpsorg/pulumi-vpsorg/sdk/go/vpsorg"\n'
            '\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"\n'
            ")\n\n"
            "func main() {\n"
            "\tpulumi.Run(func(ctx *pulumi.Context) error {\n"
            '\t\tsnap, err := vpsorg.NewSnapshot(ctx, "pre-upgrade", &vpsorg.SnapshotArgs{\n'
            "\t\t\tServerId: pulumi.Int(12345),\n"
            '\t\t\tName:     pulumi.String("pre-upgrade"),\n'
            "\t\t})\n"
            "\t\tif err != nil {\n"
            "\t\t\treturn err\n"
            "\t\t}\n"
            '\t\tctx.Export("snapshotId", snap.SnapshotId)\n'
            "\t\treturn nil\n"
            "\t})\n"
            "}\n"
        ),
    },
}


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_package_add_from_a_fresh_pulumi_home_then_preview_up_destroy(live, tmp_path, tools, language):
    dest = tmp_path / "added"
    dest.mkdir()
    for name, text in PROGRAMS[language].items():
        (dest / name).write_text(text)
    proj: Project = _project_at(str(dest), str(tmp_path), tools, "e2e")  # a PULUMI_HOME of its own: no plugin
    if language == "go":
        subprocess.run(["go", "mod", "init", "example.com/added"], cwd=dest, check=True, capture_output=True)
    if language == "python":
        proj.run("install", timeout=900)  # the program's own virtualenv, as `pulumi new` would make it
    added = proj.run("package", "add", PROVIDER, timeout=900)
    assert "Added package" in added.output, added.output
    assert os.path.isdir(os.path.join(str(dest), "sdks", "vpsorg"))
    assert f"vpsorg: {PROVIDER}" in (dest / "Pulumi.yaml").read_text()
    plugins = os.path.join(proj.env["PULUMI_HOME"], "plugins")
    assert not any(p.startswith("resource-vpsorg") for p in os.listdir(plugins)) if os.path.isdir(plugins) else True

    preview = proj.run("preview", timeout=900)
    assert "+ 2 to create" in preview.stdout and live.calls() == []  # no token, no API call
    proj.use_api(live.endpoint, TOKEN)
    proj.up()
    assert [s["name"] for s in live.emu.snapshots()] == ["pre-upgrade"]
    assert proj.outputs()["snapshotId"] == live.emu.snapshots()[0]["id"]
    proj.run("destroy", "--yes")
    assert live.emu.snapshots() == []
    shutil.rmtree(dest / "sdks", ignore_errors=True)
