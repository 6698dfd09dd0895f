"""Time limits that hold whatever the server does: a per-thread deadline, and a network layer that obeys it.

httpx's timeouts bound each socket read, so a server that drips one byte every few seconds keeps a request alive
for ever. Here every connect, read and write of a request is given at most the time left before the request's
deadline (and the enclosing operation's), so a request ends on time even then.

    with deadline(20):           # everything this thread sends inside the block ends within 20 s
        client.list_snapshots(server_id=12345)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

log: logging.Logger = logging.getLogger("pulumi_vpsorg")
_local = threading.local()


def remaining() -> float | None:
    """Seconds left before this thread's deadline (may be negative), or None without one."""
    until: float | None = getattr(_local, "until", None)
    return None if until is None else until - time.monotonic()


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Bound everything this thread sends inside the block to ``seconds`` (an outer, earlier deadline stays)."""
    previous: float | None = getattr(_local, "until", None)
    if seconds is not None:
        mine = time.monotonic() + seconds
        _local.until = mine if previous is None else min(previous, mine)
    try:
        yield
    finally:
        _local.until = previous


def _bounded(timeout: float | None, timed_out: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise timed_out("the time limit for this request ran out")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bounded_transport() -> httpx.BaseTransport:
    """httpx's own transport, with its network layer bounded by :func:`deadline`.

    httpx has no public hook for the network layer, so this swaps the connection pool's backend. If httpx ever
    stops looking as expected, requests keep httpx's per-read timeouts and a warning says so.
    """
    # Keep as many connections open as the client uses at once (httpx keeps 20): a fleet's calls then reuse them
    # instead of opening (and, on the real API, TLS-handshaking) new ones.
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=32, max_keepalive_connections=32))
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if isinstance(inner, httpcore.NetworkBackend):
        pool._network_backend = _Backend(inner)  # type: ignore[union-attr]
    else:
        log.warning("httpx's network layer is not where expected: requests are bounded per read, not in total")
    return transport
