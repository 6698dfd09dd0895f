"""The Poller: callers of one key share each fetch; the caller that fetched judges the answer for all of them and
wakes only those it decided, and the one due to fetch next."""

from __future__ import annotations

import threading
import time

import pytest

from pulumi_vpsorg._poller import Poller, Watch
from pulumi_vpsorg.errors import WaitTimeoutError


def _timed_out(_: object) -> WaitTimeoutError:
    return WaitTimeoutError("timed out")


def test_the_next_fetch_comes_when_the_earliest_caller_is_due_whoever_fetched_last():
    poller, fetches = Poller(), []
    fetching, joined = threading.Event(), threading.Event()

    def fetch() -> int:
        fetches.append(time.monotonic())
        if len(fetches) == 1:
            fetching.set()
            assert joined.wait(5)  # the quick caller joins while the slow one's first fetch runs
        return len(fetches)

    def slow() -> None:  # fetches at once, then would poll again only in 10 s
        with pytest.raises(WaitTimeoutError):
            poller.wait("k", fetch, Watch(lambda _: None, _timed_out, 3.0, lambda _: 10, due=time.monotonic()))

    readings = []

    def quick_clock() -> float:  # its second reading is taken in the group, after joining it
        readings.append(None)
        if len(readings) == 2:
            joined.set()
        return time.monotonic()

    thread = threading.Thread(target=slow)
    thread.start()
    assert fetching.wait(5)
    started = time.monotonic()
    got = poller.wait("k", fetch, Watch(lambda n: n if n >= 2 else None, _timed_out, 5.0, lambda _: 0.05), quick_clock)
    assert got == 2 and time.monotonic() - started < 5  # on the quick caller's schedule, not the slow one's 10 s
    thread.join()


def test_an_answer_is_judged_for_every_caller_by_the_one_that_fetched_it():
    poller, fetched_by, judged = Poller(), {}, []
    lock = threading.Lock()

    def fetch() -> int:
        with lock:
            n = len(fetched_by) + 1
            fetched_by[n] = threading.get_ident()
        return n

    def caller() -> None:
        def evaluate(n: int) -> int | None:
            judged.append((n, threading.get_ident()))
            return n if n >= 3 else None

        poller.wait("k", fetch, Watch(evaluate, _timed_out, 5, lambda _: 0.02))

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Callers not yet done sleep through answers (no wake-up each): the thread that fetched judges for all.
    assert len(judged) >= 20 and all(ident == fetched_by[n] for n, ident in judged)
