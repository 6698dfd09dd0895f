"""Drive the native plugin ``pulumi-resource-vpsorg`` the way the engine does, without the Pulumi CLI.

``NativeHost`` starts ``python -m pulumi_vpsorg.native <engine address>`` (what the installed plugin's shim runs),
reads its port from the first stdout line and calls it over gRPC. ``FakeEngine`` is the engine's side of the
plugin's logging: it records every ``Log`` call (progress lines, warnings) with its URN.
"""

from __future__ import annotations

import os
import subprocess
import threading
from concurrent import futures
from typing import Any

import grpc
from _engine import plain, python_m, struct
from google.protobuf import empty_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

SNAPSHOT = "vpsorg:index:Snapshot"
RESTORE = "vpsorg:index:SnapshotRestore"
SERIES = "vpsorg:index:SnapshotSeries"


def urn(type_: str, name: str, stack: str = "dev", project: str = "proj") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's ``Log`` service: ``logs`` holds ``(severity, message, urn)``; ``logged`` is set on each."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str, str]] = []
        self.logged = threading.Event()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        engine_pb2_grpc.add_EngineServicer_to_server(self, self.server)
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        self.logs.append((request.severity, request.message, request.urn))
        self.logged.set()
        return empty_pb2.Empty()

    def close(self) -> None:
        self.server.stop(None)


class NativeHost:
    """One plugin process, as the engine starts one per provider instance."""

    def __init__(
        self, engine: FakeEngine | None = None, env: dict[str, str] | None = None, clock_scale: float | None = None
    ) -> None:
        """``clock_scale``: the plugin's clients on a clock that many times as fast as real time (tests/_host.py)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_") or k == "VPSORG_LOCK_DIR"}
        full_env.update(env or {})
        args = [engine.address] if engine else []
        self.proc = subprocess.Popen(
            [*python_m("pulumi_vpsorg.native", clock_scale), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        port = self.proc.stdout.readline().decode().strip()
        if not port.isdigit():
            raise RuntimeError(f"plugin did not start: {port!r} {self.proc.stderr.read().decode()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def close(self) -> str:
        """Stops the plugin; returns what it wrote on stderr."""
        self.channel.close()
        self.proc.kill()
        self.proc.wait()
        assert self.proc.stderr is not None and self.proc.stdout is not None
        err = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err

    def configure(self, **args: Any) -> None:
        self.stub.Configure(proto.ConfigureRequest(args=struct(args), acceptSecrets=True))

    def schema(self) -> str:
        return str(self.stub.GetSchema(proto.GetSchemaRequest(version=0)).schema)

    def check(self, type_: str, news: dict[str, Any], name: str = "r") -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self.stub.Check(proto.CheckRequest(urn=urn(type_, name), news=struct(news)))
        return plain(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, type_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.stub.Diff(proto.DiffRequest(id="1", urn=urn(type_, "r"), olds=struct(olds), news=struct(news)))

    def create(
        self, type_: str, props: dict[str, Any], name: str = "r", timeout: float = 0, preview: bool = False
    ) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Create(
            proto.CreateRequest(urn=urn(type_, name), properties=struct(props), timeout=timeout, preview=preview),
            timeout=120,
        )
        return resp.id, plain(resp.properties)

    def read(self, type_: str, id_: str, props: dict[str, Any] | None = None) -> tuple[str, dict[str, Any], Any]:
        resp = self.stub.Read(
            proto.ReadRequest(id=id_, urn=urn(type_, "r"), properties=struct(props or {}), inputs=struct({}))
        )
        return resp.id, plain(resp.properties), plain(resp.inputs)

    def update(self, type_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        resp = self.stub.Update(proto.UpdateRequest(id="1", urn=urn(type_, "r"), olds=struct(olds), news=struct(news)))
        return plain(resp.properties)

    def delete(self, type_: str, id_: str, props: dict[str, Any], timeout: float = 0) -> None:
        self.stub.Delete(proto.DeleteRequest(id=id_, urn=urn(type_, "r"), properties=struct(props), timeout=timeout))

    def invoke(self, tok: str, **args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self.stub.Invoke(proto.InvokeRequest(tok=tok, args=struct(args)))
        return plain(getattr(resp, "return")), [(f.property, f.reason) for f in resp.failures]
