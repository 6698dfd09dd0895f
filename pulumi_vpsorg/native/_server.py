"""Serving the provider over gRPC, as ``pulumi.provider.experimental.server.main`` does, with two differences: the
engine's address reaches the provider (progress lines and warnings under each resource), and an error of ours
reaches the user as its message alone (the upstream server appends a Python traceback to every error)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from .._progress import Progress, WarningsToEngine
from .._version import __version__
from ..errors import VpsorgError
from .provider import VpsorgProvider

_HANDLERS = ("CheckConfig", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke")
Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def _ours(error: BaseException) -> VpsorgError | None:
    """The error of ours behind ``error`` (the upstream handlers re-raise ours as a plain ``Exception``)."""
    seen: BaseException | None = error
    while seen is not None and not isinstance(seen, VpsorgError):
        seen = seen.__cause__ or seen.__context__
    return seen


def _plain_errors(handler: Handler) -> Handler:
    async def serve(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await handler(self, request, context)
        except Exception as e:
            ours = _ours(e)
            if ours is None:
                raise  # a bug: the traceback helps whoever reports it
            await context.abort(grpc.StatusCode.UNKNOWN, str(ours))

    return serve


_Servicer = type(
    "_Servicer", (ProviderServicer,), {name: _plain_errors(getattr(ProviderServicer, name)) for name in _HANDLERS}
)


async def serve(provider: VpsorgProvider, args: list[str], engine: str | None) -> None:
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        _Servicer(args, __version__, provider, engine_address=engine or ""), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    watch = asyncio.create_task(_stop_when_orphaned(server, os.getppid()))
    await server.wait_for_termination()
    watch.cancel()


async def _stop_when_orphaned(server: grpc.aio.Server, parent: int, every: float = 1.0) -> None:
    """Stop serving once the process that started the plugin (the engine) is gone: a killed ``pulumi up`` must not
    leave the plugin running for good. On Linux and macOS an orphan is handed to another parent."""
    while os.getppid() == parent:
        await asyncio.sleep(every)
    await server.stop(None)


def main(argv: list[str] | None = None) -> None:
    """``pulumi-resource-vpsorg <engine address> [flags]``: serve until the engine stops the plugin."""
    args = sys.argv[1:] if argv is None else argv
    engine = next((a for a in args if not a.startswith("-")), None)
    progress = Progress(engine)
    logger = logging.getLogger("pulumi_vpsorg")
    logger.addHandler(WarningsToEngine(progress))
    logger.setLevel(logging.WARNING)
    try:
        asyncio.run(serve(VpsorgProvider(progress), args, engine))
    except KeyboardInterrupt:
        pass
