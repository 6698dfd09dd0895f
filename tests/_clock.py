"""A clock the test controls: its ``sleep`` moves time on at once, so a client's budget (and anything else reading
the clock) sees the pause pass without the test waiting for it."""

from __future__ import annotations


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
