"""Waits in tests, each with a deadline that fails the test with a message (never a hang to pytest's timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable


def until(condition: Callable[[], object], *, within: float, what: str, every: float = 0.02) -> None:
    """Poll ``condition`` (another process's requests, in the emulator's log, have no event to wait on) until it
    holds; fail naming ``what`` after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"after {within:g} s still waiting for: {what}"
        time.sleep(every)


def joined(threads: Iterable[threading.Thread], *, within: float = 60) -> None:
    """Join every thread; fail naming the ones still running after ``within`` seconds in all."""
    deadline = time.monotonic() + within
    threads = list(threads)
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    running = [t.name for t in threads if t.is_alive()]
    assert not running, f"after {within:g} s these threads still run: {', '.join(running)}"
