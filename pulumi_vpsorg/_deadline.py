"""Time limits that hold whatever the server does: a per-thread deadline, which the transport obeys.

Per-read timeouts alone let a server that drips one byte every few seconds keep a request alive for ever. The
transport (:mod:`pulumi_vpsorg._transport`) gives every connect, read and write of a request at most the time left
before the request's deadline (and the enclosing operation's), so a request ends on time even then.

    with deadline(20):           # everything this thread sends inside the block ends within 20 s
        client.list_snapshots(server_id=12345)

Why a thread's deadline and not a parameter: it must reach httpcore's network backend, below httpx's API, where no
argument of ours can travel; and an operation's limit must bound everything under it (retries and their sleeps,
lock waits, list waits) without every signature on the way carrying it. Where it is read, the name says so:
:func:`thread_time_left` (``Client`` retries and request limits, ``_locks``, ``listing.shared_list``,
``operations``, the restore wait, ``vpsorg plugin install``) and :func:`cut_to_thread_deadline` (every connect,
TLS handshake, read, write and address look-up of ``_transport``). :func:`deadline` sets it: each operation
(``take_snapshot``, ``delete_snapshot``, a restore's create) and each ``vpsorg`` command (``--timeout``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


def thread_time_left() -> float | None:
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


def cut_to_thread_deadline(timeout: float | None, timed_out: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline; ``timed_out`` raised once none is left."""
    left = thread_time_left()
    if left is None:
        return timeout
    if left <= 0:
        raise timed_out("the time limit for this request ran out")
    return left if timeout is None else min(timeout, left)
