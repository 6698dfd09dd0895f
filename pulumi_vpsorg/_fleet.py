"""What one client's callers have in progress on its shared lists (:mod:`pulumi_vpsorg.listing`): each
:class:`~pulumi_vpsorg.client.Client` owns one, with its own :class:`~pulumi_vpsorg._poller.Poller`, so no state of
the waiting core lives in a module."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import settings

if TYPE_CHECKING:
    from .listing import Listing


@dataclass
class Fleet:
    """What one client's callers have in progress, and what the last walk cost."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    busy: Counter[int] = field(default_factory=Counter)
    waiting: Counter[int] = field(default_factory=Counter)  # snapshot waits in progress, per server
    settled: dict[int, threading.Condition] = field(default_factory=dict)  # per server: notified when they end
    read: dict[int, float] = field(default_factory=dict)  # when each server was last read (refresh, delete)
    walk_pages: int = 1
    certain: dict[int | None, tuple[float, Listing]] = field(default_factory=dict)  # see _remember()
    last_walk: tuple[float, Listing] | None = None
    walk_completed: int = 0  # completed snapshots in the last walk
    progress_at: float = -math.inf  # when a walk last showed more completed snapshots than the one before

    def interest(self) -> int:
        """How many servers are in play: operations in progress, and reads within the read age."""
        oldest = time.monotonic() - settings.tuning().read_max_age
        for server, at in list(self.read.items()):
            if at < oldest:
                del self.read[server]
        return len(self.busy.keys() | self.read.keys())
