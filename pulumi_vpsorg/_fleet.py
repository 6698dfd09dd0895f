"""What one client's callers have in progress on its shared lists (:mod:`pulumi_vpsorg.listing`): each
:class:`~pulumi_vpsorg.client.Client` owns one, with its own :class:`~pulumi_vpsorg._poller.Poller`, so no state of
the waiting core lives in a module."""

from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import settings
from ._clock import Clock

if TYPE_CHECKING:
    from .listing import Listing


class Writes:
    """When this client's creates and deletes ended (answered, refused or lost), per server and name.

    A list of a server read before a write there ended may not show it, so the list cache (:mod:`listing`) asks
    :meth:`last` before it trusts one. :class:`~pulumi_vpsorg.client.Client` records every write it sends through
    its ``on_write`` hook.
    """

    _ANY_SERVER = -1  # a delete whose server was not known: it may have changed any server's list

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._ended: dict[int, dict[str | None, float]] = {}  # server -> name (None: a delete) -> when it ended

    @contextlib.contextmanager
    def recording(self, server_id: int | None, name: str | None) -> Iterator[None]:
        """Around a create of ``name`` on ``server_id``, or a delete (``name`` None) there (None: on any server)."""
        try:
            yield
        finally:
            with self._lock:
                server = self._ANY_SERVER if server_id is None else server_id
                self._ended.setdefault(server, {})[name] = self._clock()

    def last(self, server_id: int | None = None, name: str | None = None) -> float:
        """When the last write ended that could change what a list of ``server_id`` shows (None: of any server);
        with ``name``, only creates of that name and deletes count (what a look-up by name cares about). 0: never.
        """
        with self._lock:
            if server_id is None:
                return max((t for names in self._ended.values() for t in names.values()), default=0.0)
            anywhere = self._ended.get(self._ANY_SERVER, {}).get(None, 0.0)
            here = self._ended.get(server_id, {})
            if name is None:
                return max(anywhere, max(here.values(), default=0.0))
            return max(anywhere, here.get(name, 0.0), here.get(None, 0.0))


@dataclass
class Fleet:
    """What one client's callers have in progress, and what the last walk cost; times are on ``clock``, the
    client's."""

    clock: Clock
    lock: threading.Lock = field(default_factory=threading.Lock)
    writes: Writes = field(init=False)  # what the client wrote, and when (its on_write hook)
    busy: Counter[int] = field(default_factory=Counter)
    waiting: Counter[int] = field(default_factory=Counter)  # snapshot waits in progress, per server
    settled: dict[int, threading.Condition] = field(default_factory=dict)  # per server: notified when they end
    read: dict[int, float] = field(default_factory=dict)  # when each server was last read (refresh, delete)
    walk_pages: int = 1
    certain: dict[int | None, tuple[float, Listing]] = field(default_factory=dict)  # see _remember()
    last_walk: tuple[float, Listing] | None = None
    walk_completed: int = 0  # completed snapshots in the last walk
    progress_at: float = -math.inf  # when a walk last showed more completed snapshots than the one before

    def __post_init__(self) -> None:
        self.writes = Writes(self.clock)

    def interest(self) -> int:
        """How many servers are in play: operations in progress, and reads within the read age."""
        oldest = self.clock() - settings.tuning().read_max_age
        for server, at in list(self.read.items()):
            if at < oldest:
                del self.read[server]
        return len(self.busy.keys() | self.read.keys())
