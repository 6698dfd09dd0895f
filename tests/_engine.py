"""Drive our dynamic providers the way the Pulumi engine does, without the Pulumi CLI.

``python -m pulumi.dynamic`` is the plugin the engine starts for Python dynamic providers. ``ProviderHost``
starts it as a subprocess, reads its port from the first stdout line, and calls it over gRPC with the stubs in
``pulumi.runtime.proto``. Values travel as protobuf Structs, as from the engine: numbers become floats, and an
unknown preview value is the string ``UNKNOWN``.

``run_program`` runs a Pulumi program under ``pulumi.runtime.set_mocks`` and returns what it registered: that is
where the ``__provider`` value a real program builds comes from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import grpc
import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SNAPSHOT_TYPE = "pulumi-python:dynamic/vpsorg:Snapshot"
RESTORE_TYPE = "pulumi-python:dynamic/vpsorg:SnapshotRestore"
SERIES_TYPE = "pulumi-python:dynamic/vpsorg:SnapshotSeries"


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update({k: v for k, v in props.items()})
    return s


def plain(s: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(s)


def python_m(module: str, clock_scale: float | None) -> list[str]:
    """``python -m module``; with ``clock_scale``, its clients on a clock that many times as fast (tests/_host.py)."""
    if clock_scale is None:
        return [sys.executable, "-m", module]
    host = os.path.join(os.path.dirname(__file__), "_host.py")
    return [sys.executable, host, "--clock-scale", f"{clock_scale}", module]


class ProviderHost:
    """One ``python -m pulumi.dynamic`` process, as the engine starts it for one deployment."""

    def __init__(
        self, env: dict[str, str] | None = None, engine: str | None = None, clock_scale: float | None = None
    ) -> None:
        """``engine``: the engine's address, which the engine passes to the host as its argument. ``clock_scale``:
        the host's clients on a clock that many times as fast as real time (``tests/_host.py``)."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [*python_m("pulumi.dynamic", clock_scale), *([engine] if engine else [])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        assert self.proc.stdout is not None
        port = self.proc.stdout.readline().decode().strip()
        if not port.isdigit():
            raise RuntimeError(f"provider host did not start: {port!r} {self.proc.stderr.read().decode()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def close(self) -> None:
        self.channel.close()
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def configure(self, config: dict[str, str] | None = None) -> None:
        self.stub.Configure(proto.ConfigureRequest(args=struct(config or {}), acceptSecrets=True))

    def check(
        self, urn: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        resp = self.stub.Check(proto.CheckRequest(urn=urn, olds=struct(olds), news=struct(news)))
        return plain(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self.stub.Diff(proto.DiffRequest(id=id_, urn=urn, olds=struct(olds), news=struct(news)))

    def create(self, urn: str, props: dict[str, Any], timeout: float = 60) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Create(proto.CreateRequest(urn=urn, properties=struct(props)), timeout=timeout)
        return resp.id, plain(resp.properties)

    def read(
        self, urn: str, id_: str, props: dict[str, Any], inputs: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Read(proto.ReadRequest(id=id_, urn=urn, properties=struct(props), inputs=struct(inputs or {})))
        return resp.id, plain(resp.properties)

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        resp = self.stub.Update(proto.UpdateRequest(id=id_, urn=urn, olds=struct(olds), news=struct(news)))
        return plain(resp.properties)

    def delete(self, urn: str, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(proto.DeleteRequest(id=id_, urn=urn, properties=struct(props)))


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::vpsorg::{type_}::{name}"


class Recorder(pulumi.runtime.Mocks):
    """Records every resource a program registers; outputs echo the inputs, ids are made up.

    In up mode a new snapshot also gets the outputs the provider computes; in preview those stay unknown.
    """

    def __init__(self, preview: bool = False) -> None:
        self.preview = preview
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        outs = dict(args.inputs)
        if args.typ == SNAPSHOT_TYPE and not args.resource_id and not self.preview:
            outs.update(snapshot_id=801, status="completed", server_name="web-server-01")
        return (args.resource_id or f"{args.name}-id"), outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def run_program(program: Callable[[], Any], *, preview: bool = False) -> Recorder:
    """Run ``program`` as a Pulumi program under mocks; returns the recorder of what it registered."""
    recorder = Recorder(preview)
    pulumi.runtime.set_mocks(recorder, preview=preview)
    pulumi.runtime.test(program)()
    return recorder
