"""Clocks the tests control (see :mod:`pulumi_vpsorg._clock`).

:class:`FakeClock`: its ``sleep`` and its waits move time on at once, so a client's budget, its retries, its shared
lists, its poller and the waits (and an emulator given the same clock) see every pause pass without the test waiting
for it. It serves one waiting thread at a time: a wait jumps to the time it waits for. Like a real clock, each
reading is later than the one before (by ``TICK``): what happens after a reading never seems to happen at it.

:class:`ScaledClock`: real time, run ``scale`` times as fast: for a provider host in another process and the
emulator it calls, which then live in one world where a minute passes in ``60 / scale`` seconds (``tests/_host.py``).

:class:`ObservedClock`: the real clock, telling the test of each reading (to act at a known point of a wait).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pulumi_vpsorg._clock import MonotonicClock

TICK = 1e-6


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += TICK
            return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        with self._lock:
            self.now += max(0.0, seconds)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(0)  # lets another thread that holds nothing else take the lock, as a real wait would
        with self._lock:
            self.now += max(0.0, seconds)


class ObservedClock(MonotonicClock):
    def __init__(self, on_reading: Callable[[], None]) -> None:
        self.on_reading = on_reading

    def __call__(self) -> float:
        self.on_reading()
        return super().__call__()


class ScaledClock:
    def __init__(self, scale: float, now: Callable[[], float] = time.monotonic) -> None:
        self.scale, self._now = scale, now
        self._origin = now()

    def __call__(self) -> float:
        return self._origin + (self._now() - self._origin) * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.scale)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(max(0.0, seconds) / self.scale)
