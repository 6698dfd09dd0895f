"""A stand-in for the Go ``pulumi-language-python`` plugin, for the end-to-end tests only.

The real language host is its own Go module (``github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3``)
with no release tags, and the Go module proxy here refuses it ("This module version is not available"), so it
cannot be built. The engine only needs an executable on PATH that prints its gRPC port and serves the
``LanguageRuntime`` service; the program itself is then run exactly as the real host runs it: by Pulumi's own
``pulumi-language-python-exec`` script (from the ``sdk/v3`` module zip), with the stack config in
``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS`` and the Python of ``runtime.options.virtualenv``.

What the real host also does and this one does not: install dependencies, report plugins required by installed
``pulumi-*`` packages (so it cannot show what ``pulumi_vpsorg/pulumi-plugin.json`` prevents), code generation.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

VERSION = "3.259.0"
_BAILED = 32  # pulumi-language-python-exec: "an error message was displayed to the user"


def _python(info: Any, root: str) -> str:
    options = json_format.MessageToDict(info.options) if info and info.HasField("options") else {}
    venv = options.get("virtualenv") or os.environ.get("PULUMI_RUNTIME_VIRTUALENV")
    if not venv:
        return os.environ.get("PULUMI_PYTHON_CMD", "python3")
    venv = venv if os.path.isabs(venv) else os.path.join(root, venv)
    return os.path.join(venv, "bin", "python")


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.root = os.getcwd()

    def Handshake(self, request: Any, context: Any) -> Any:
        self.engine = request.engine_address or self.engine
        self.root = request.root_directory or self.root
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse()

    def GetProgramDependencies(self, request: Any, context: Any) -> Any:
        return language_pb2.GetProgramDependenciesResponse()

    def About(self, request: Any, context: Any) -> Any:
        return language_pb2.AboutResponse(executable=sys.executable, version=VERSION)

    def InstallDependencies(self, request: Any, context: Any) -> Any:
        return iter(())

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def Run(self, request: Any, context: Any) -> Any:
        info = request.info if request.HasField("info") else None
        root = (info.root_directory if info else "") or self.root
        program_dir = (info.program_directory if info else "") or request.pwd
        exec_script = shutil.which("pulumi-language-python-exec")
        if exec_script is None:
            return language_pb2.RunResponse(
                error="pulumi-language-python-exec is not on PATH (scripts/pulumi-cli puts it beside pulumi)"
            )
        args = [
            _python(info, root),
            "-u",
            exec_script,
            "--monitor",
            request.monitor_address,
            "--engine",
            self.engine,
            "--project",
            request.project,
            "--stack",
            request.stack,
            "--pwd",
            request.pwd,
            "--dry_run",
            "true" if request.dryRun else "false",
            "--parallel",
            str(request.parallel),
            "--organization",
            request.organization,
            "--root_directory",
            root,
            program_dir or request.program,
            *request.args,
        ]
        env = dict(os.environ)
        env["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(list(request.configSecretKeys))
        code = subprocess.call(args, cwd=request.pwd or None, env=env)
        if code == 0:
            return language_pb2.RunResponse()
        if code == _BAILED:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {code}")


def main() -> None:
    engine = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageHost(engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    for sig in (signal.SIGTERM, signal.SIGINT):  # the engine stops its plugins with SIGINT
        signal.signal(sig, lambda *_: server.stop(0))
    server.wait_for_termination()


if __name__ == "__main__":
    main()
