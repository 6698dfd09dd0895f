"""``vpsorg plugin install``: make the native plugin ``pulumi-resource-vpsorg`` available to every Pulumi program
on this machine (YAML, TypeScript, ...), through Pulumi's own plugin store, so the engine finds it without the
"using ... from $PATH" warning.

The plugin is a two-line shell script that runs this Python (so it uses this installation of the package); it is
handed to ``pulumi plugin install resource vpsorg <version> --file <folder>``, which copies it to
``$PULUMI_HOME/plugins/resource-vpsorg-v<version>/``. Run it again after upgrading the package or moving its venv.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from .._deadline import thread_time_left
from .._version import __version__
from ._env import Environment, ExitStatus, NothingSent

PLUGIN = "pulumi-resource-vpsorg"


def write_shim(folder: str, python: str = sys.executable) -> str:
    """The plugin executable in ``folder``: runs ``python -m pulumi_vpsorg.native`` with the engine's arguments."""
    path = os.path.join(folder, PLUGIN)
    gone = (
        f"{PLUGIN}: {python} is gone (the virtualenv that \\`vpsorg plugin install\\` ran from was moved or "
        "deleted): from the virtualenv you use now, run \\`vpsorg plugin install\\` again."
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            f"#!/bin/sh\npython={shlex.quote(python)}\n"
            f'[ -x "$python" ] || {{ echo "{gone}" >&2; exit 1; }}\n'
            'exec "$python" -m pulumi_vpsorg.native "$@"\n'
        )
    os.chmod(path, 0o755)
    return path


def cmd_plugin_install(args: argparse.Namespace, env: Environment) -> int:
    pulumi = args.pulumi or shutil.which("pulumi")
    command = ["pulumi", "plugin", "install", "resource", "vpsorg", __version__, "--file", "<folder>"]
    if args.pulumi and not os.access(args.pulumi, os.X_OK):
        raise NothingSent(f"--pulumi {args.pulumi}: no executable there; give the path of the `pulumi` CLI.")
    if not pulumi:
        raise NothingSent(
            f"the `pulumi` CLI is not on PATH: install it (https://www.pulumi.com/docs/install/), or pass --pulumi "
            f"PATH. Then run this again; it runs `{' '.join(command)}` with a folder holding {PLUGIN}."
        )
    with tempfile.TemporaryDirectory(prefix="vpsorg-plugin-") as folder:
        write_shim(folder)
        command[0], command[-1] = pulumi, folder
        env.say(f"vpsorg: installing {PLUGIN} {__version__} (runs {sys.executable}) with `pulumi plugin install`")
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=thread_time_left(), check=False)
        except subprocess.TimeoutExpired:
            env.say("vpsorg: timed out: `pulumi plugin install` did not finish within --timeout.")
            return ExitStatus.TIMEOUT
    if done.returncode != 0:
        env.say(f"vpsorg: error: `pulumi plugin install` failed (exit {done.returncode}): {done.stderr.strip()}")
        return ExitStatus.ERROR
    env.print(f"installed resource plugin vpsorg {__version__}: Pulumi programs in any language can use vpsorg:index:*")
    return ExitStatus.SUCCESS
