"""What time it is, and how to pass time, for one client and everything that waits through it.

A :class:`~pulumi_vpsorg.client.Client` has one :class:`Clock`: its request budget, its retries' sleeps, its shared
lists (:mod:`pulumi_vpsorg.listing`), its poller and the waits (:mod:`pulumi_vpsorg.wait`) all read it, so a test
that gives the client (and the emulator) its own clock controls every pause of the waiting core, and never waits.
The default is the process's monotonic clock. The thread deadlines of :mod:`pulumi_vpsorg._deadline` stay on it:
they bound real sockets.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """``clock()`` is now in seconds; ``sleep`` passes time; ``wait`` waits on a condition (its lock held) until
    notified or until ``seconds`` have passed."""

    def __call__(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def wait(self, condition: threading.Condition, seconds: float) -> None: ...


class MonotonicClock:
    """The process's monotonic clock, and real sleeps and waits."""

    def __call__(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(seconds)


MONOTONIC = MonotonicClock()
