"""Time limits that hold whatever the server does: a per-thread deadline, which the transport obeys.

Per-read timeouts alone let a server that drips one byte every few seconds keep a request alive for ever. The
transport (:mod:`pulumi_vpsorg._transport`) gives every connect, read and write of a request at most the time left
before the request's deadline (and the enclosing operation's), so a request ends on time even then.

    with deadline(20):           # everything this thread sends inside the block ends within 20 s
        client.list_snapshots(server_id=12345)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


def bounded(timeout: float | None, timed_out: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline; ``timed_out`` raised once none is left."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise timed_out("the time limit for this request ran out")
    return left if timeout is None else min(timeout, left)
