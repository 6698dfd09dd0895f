"""What a step tells the user while it works, through the engine's log with the resource's URN: progress lines
while a step waits, and the package's warnings (a snapshot left in place, a refresh that could not be sure). Used by
both front doors: the plugin, and the dynamic provider host (see ``_provider.step``).

The engine's address comes on the plugin's (or the host's) command line; without one (tests driving a provider
directly) nothing is sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from . import settings
from .durations import format_duration
from .models import RESTORING, Server
from .models import Snapshot as SnapshotModel

PROGRESS_ENV = settings.PROGRESS_ENV
DEFAULT_EVERY = 60.0
_current = threading.local()  # the URN of the step this thread runs


class Progress:
    """Sends lines to the engine's log, each under a resource."""

    def __init__(self, engine_address: str | None) -> None:
        self._address = engine_address
        self._stub: Any = None  # an engine_pb2_grpc.EngineStub, made on the first line sent
        self._lock = threading.Lock()
        self.every: float = settings.tuning().progress_seconds

    def send(self, severity: Any, message: str, urn: str) -> None:
        """``severity`` is an ``engine_pb2`` LogSeverity (``INFO``, ``WARNING``, ``ERROR``)."""
        if self._address is None:
            return
        with self._lock:
            if self._stub is None:
                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address))
        try:
            self._stub.Log(engine_pb2.LogRequest(severity=severity, message=message, urn=urn), timeout=10)
        except grpc.RpcError:
            pass  # a lost progress line is not worth failing a step for

    def reporter(self, urn: str, line: Callable[[Any, float], tuple[str, bool]]) -> Callable[[Any, float], None]:
        """An ``on_poll`` for a wait: a line under ``urn`` once every ``every`` seconds of waiting, and a last one
        when the wait ends (``line`` says the text and whether the thing waited for is done) if any came before,
        so the display does not keep showing an "in progress" line."""
        last = [0.0]

        def report(seen: Any, waited: float) -> None:
            text, done = line(seen, waited)
            if waited - last[0] >= self.every or (done and last[0] > 0):
                last[0] = waited
                self.send(engine_pb2.INFO, text, urn)

        return report

    @contextmanager
    def step(self, urn: str) -> Iterator[None]:
        """Inside: the package's warnings on this thread go under ``urn``."""
        previous = getattr(_current, "urn", None)
        _current.urn = urn
        try:
            yield
        finally:
            _current.urn = previous


class WarningsToEngine(logging.Handler):
    """The ``pulumi_vpsorg`` logger's warnings, under the URN of the step that logged them."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.WARNING)
        self._progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        severity = engine_pb2.ERROR if record.levelno >= logging.ERROR else engine_pb2.WARNING
        self._progress.send(severity, record.getMessage(), getattr(_current, "urn", None) or "")


# ----- the lines: what a wait shows, and whether the thing waited for is done ---------------------------------


def snapshot_line(snap: SnapshotModel | None, waited: float) -> tuple[str, bool]:
    if snap is None:
        return f"waiting for the snapshot ({format_duration(waited)} so far)", False
    return f"snapshot {snap.id} {snap.name!r} is {snap.status} ({format_duration(waited)} waited)", not (
        snap.is_in_progress
    )


def restore_line(seen: Server | SnapshotModel | None, waited: float) -> tuple[str, bool]:
    """A restore waits for its safety snapshot, then for the server."""
    if isinstance(seen, SnapshotModel):
        line, done = snapshot_line(seen, waited)
        return f"safety {line}", done
    return _server_line(seen, waited)


def _server_line(server: Server | None, waited: float) -> tuple[str, bool]:
    if server is None:
        return f"restore: waiting for the server ({format_duration(waited)} so far)", False
    done = server.status != RESTORING
    return f"restore: server {server.id} is {server.status} ({format_duration(waited)} waited)", done
