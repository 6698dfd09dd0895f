"""Run real `pulumi` commands on a copy of an example project, with a local file backend and no network.

The CLI and Pulumi's real Python language host come from ``scripts/pulumi-cli`` (built once, cached outside the
repo), or from a `pulumi` already on PATH; the dynamic-provider plugin ``pulumi-resource-pulumi-python`` is
Pulumi's own script. Every project runs on this repository's venv: its Pulumi.yaml gets
``runtime.options.virtualenv`` set to it, as a user's would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(REPO, "examples")
VENV = sys.prefix  # the venv the tests run in has pulumi-vpsorg installed
PASSPHRASE = "e2e-passphrase"
TOKEN = "vps_e2e_0123456789abcdef"


class CLIUnavailable(RuntimeError):
    """The Pulumi CLI could not be built or found: the reason is the message."""


def pulumi_bin() -> str:
    """The directory holding `pulumi` and its Python language host: ``VPSORG_PULUMI_BIN``; else the `pulumi` on
    PATH when its `pulumi-language-python` is found too (a user's own install, used as it is); else the one
    ``scripts/pulumi-cli`` builds (the CLI and Pulumi's real Python host, cached outside the repo)."""
    given = os.environ.get("VPSORG_PULUMI_BIN")
    if given:
        return given
    on_path = shutil.which("pulumi")
    if on_path and (
        os.path.exists(os.path.join(os.path.dirname(on_path), "pulumi-language-python"))
        or shutil.which("pulumi-language-python")
    ):
        return os.path.dirname(os.path.realpath(on_path))
    proc = subprocess.run([os.path.join(REPO, "scripts", "pulumi-cli")], capture_output=True, text=True)
    if proc.returncode != 0:
        raise CLIUnavailable(
            proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "scripts/pulumi-cli failed"
        )
    return proc.stdout.strip().splitlines()[-1]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Project:
    """One example project copied to ``dir``, with its own stack ``stack`` in a file backend."""

    dir: str
    env: dict[str, str]
    stack: str = "e2e"
    log: list[tuple[list[str], Result]] = field(default_factory=list)

    def run(self, *args: str, env: dict[str, str] | None = None, check: bool = True, timeout: float = 600) -> Result:
        cmd = ["pulumi", *args]
        started = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=self.dir, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        self.log.append((cmd, result))
        if check and proc.returncode != 0:
            raise AssertionError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n{result.output}")
        return result

    def config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else []), key, value)

    def use_api(self, endpoint: str | None, token: str | None = TOKEN) -> None:
        """Stack config ``vpsorg:endpoint`` and the secret ``vpsorg:token``, each when given."""
        if endpoint:
            self.config("vpsorg:endpoint", endpoint)
        if token:
            self.config("vpsorg:token", token, secret=True)

    def up(self, *args: str, **kw: Any) -> Result:
        return self.run("up", "--yes", "--skip-preview", *args, **kw)

    def kill_mid_up(self, when: Callable[[], bool], *args: str, env: dict[str, str] | None = None) -> None:
        """Start `pulumi up`, and once ``when()`` holds SIGKILL the CLI and every process it started (the language
        host, the program, the provider host), as a CI runner that loses its machine would."""
        cmd = ["pulumi", "up", "--yes", "--skip-preview", *args]
        proc = subprocess.Popen(
            cmd, cwd=self.dir, env={**self.env, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            limit = time.monotonic() + 300
            while not when():
                if proc.poll() is not None:
                    raise AssertionError(
                        f"`{' '.join(cmd)}` ended (exit {proc.returncode}) before the point to kill it"
                    )
                if time.monotonic() > limit:
                    raise AssertionError("the point to kill `pulumi up` never came")
                time.sleep(0.01)  # polls the emulator's log: no event to wait on across processes
        finally:
            kill_tree(proc.pid)
            proc.wait()

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export").stdout)

    def resources(self, type_suffix: str) -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources") or [] if r["type"].endswith(type_suffix)]


def project(
    example: str, root: str, cli_bin: str, tools: str, *, program: str | None = None, stack: str = "e2e"
) -> Project:
    """Copy ``examples/<example>`` (or write ``program`` as its __main__.py) into ``root`` and init a stack."""
    dest = os.path.join(root, example)
    if program is None:
        shutil.copytree(os.path.join(EXAMPLES, example), dest, ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
    else:
        os.makedirs(dest)
        with open(os.path.join(dest, "__main__.py"), "w") as f:
            f.write(program)
        with open(os.path.join(dest, "Pulumi.yaml"), "w") as f:
            f.write(f"name: {example}\nruntime: python\n")
    _pin_virtualenv(os.path.join(dest, "Pulumi.yaml"))
    return _project_at(dest, root, tools, stack)


def _project_at(dest: str, root: str, tools: str, stack: str) -> Project:
    home = os.path.join(root, ".pulumi-home")
    state = os.path.join(root, ".state")
    os.makedirs(state, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VPSORG_", "PULUMI_"))}
    env.update(
        PATH=os.pathsep.join([tools, os.path.join(VENV, "bin"), env.get("PATH", "")]),
        PULUMI_HOME=home,
        PULUMI_BACKEND_URL=f"file://{state}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
    )
    proj = Project(dest, env, stack)
    proj.run("stack", "init", stack)
    return proj


def native_project(name: str, root: str, tools: str, files: dict[str, str], *, stack: str = "e2e") -> Project:
    """A project in any language that uses the native plugin: ``files`` written into ``root/name`` (a TypeScript
    one, with ``index.ts``, also gets the generated SDK as ``./vpsorg`` and the npm packages of
    ``scripts/node-deps``). The plugin is installed into the project's PULUMI_HOME the way README says, with
    ``vpsorg plugin install``."""
    dest = os.path.join(root, name)
    os.makedirs(dest)
    for file, text in files.items():
        with open(os.path.join(dest, file), "w") as f:
            f.write(text)
    if "index.ts" in files:
        shutil.copytree(os.path.join(REPO, "sdk", "nodejs"), os.path.join(dest, "vpsorg"))
        os.symlink(node_modules(), os.path.join(dest, "node_modules"))
    proj = _project_at(dest, root, tools, stack)
    install_plugin(proj, tools)
    return proj


def install_plugin(proj: Project, tools: str) -> None:
    """``vpsorg plugin install`` into the project's PULUMI_HOME (once), as README tells a user to."""
    if os.path.isdir(os.path.join(proj.env["PULUMI_HOME"], "plugins", f"resource-vpsorg-v{_version()}")):
        return
    done = subprocess.run(
        [os.path.join(VENV, "bin", "vpsorg"), "plugin", "install", "--pulumi", os.path.join(tools, "pulumi")],
        env=proj.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _version() -> str:
    from pulumi_vpsorg import __version__

    return __version__


def node_modules() -> str:
    """The npm packages a TypeScript program needs (scripts/node-deps installs them once, outside the repo)."""
    proc = subprocess.run([os.path.join(REPO, "scripts", "node-deps")], capture_output=True, text=True)
    if proc.returncode != 0:
        raise CLIUnavailable(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "node-deps failed")
    return proc.stdout.strip().splitlines()[-1]


def _pin_virtualenv(path: str) -> None:
    """Point ``runtime`` at this venv, as a user does with ``runtime.options.virtualenv``."""
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if line.strip() == "runtime: python":
            out += ["runtime:", "  name: python", "  options:", "    toolchain: pip", f"    virtualenv: {VENV}"]
        else:
            out.append(line)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def completed_snapshot(live: Any, server_id: int, name: str) -> int:
    """A snapshot taken at once on the live emulator (``live.emu``), as if made by hand before the test: its id."""
    from pulumi_vpsorg import Client

    seconds, live.emu.snapshot_seconds = live.emu.snapshot_seconds, 0.0
    try:
        with Client(TOKEN, live.endpoint) as api:
            return api.create_snapshot(server_id, name).id
    finally:
        live.emu.snapshot_seconds = seconds


def kill_tree(pid: int) -> None:
    """SIGSTOP ``pid`` and all its descendants (so none starts another), then SIGKILL them all."""
    tree = [pid]
    for parent in tree:  # grows as children are found
        tree += [child for child, ppid in _parents().items() if ppid == parent and child not in tree]
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for member in tree:
            try:
                os.kill(member, sig)
            except ProcessLookupError:
                pass


def _parents() -> dict[int, int]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    found[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return found


# A TypeScript program's tsconfig.json: the SDK checked in under sdk/nodejs wants module resolution "nodenext".
TS_CONFIG = json.dumps(
    {
        "compilerOptions": {"target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": True},
        "files": ["index.ts"],
    }
)
