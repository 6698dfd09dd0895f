"""The Poller: callers of one key share each fetch; the caller that fetched judges the answer for all of them and
wakes only those it decided, and the one due to fetch next."""

from __future__ import annotations

import threading
import time

import pytest
from _clock import FakeClock, ObservedClock
from _waits import joined

from pulumi_vpsorg._clock import MONOTONIC
from pulumi_vpsorg._poller import Poller, Watch
from pulumi_vpsorg.errors import WaitTimeoutError


def _timed_out(_: object) -> WaitTimeoutError:
    return WaitTimeoutError("timed out")


def _set_at_second_reading_of_this_thread(event: threading.Event) -> ObservedClock:
    """The real clock, setting ``event`` at this thread's second reading: in ``Poller.wait`` that one is taken in the
    group, after joining it."""
    this, readings = threading.current_thread(), []

    def on_reading() -> None:
        if threading.current_thread() is this:
            readings.append(None)
            if len(readings) == 2:
                event.set()

    return ObservedClock(on_reading)


def test_on_the_clock_it_is_given_a_wait_of_minutes_takes_no_real_time():
    clock, fetched_at = FakeClock(), []

    def fetch() -> int:
        fetched_at.append(clock())
        return len(fetched_at)

    started = time.monotonic()
    got = Poller(clock).wait("k", fetch, Watch(lambda n: n if n >= 3 else None, _timed_out, 600, lambda _: 60))
    assert got == 3 and fetched_at == pytest.approx([1060.0, 1120.0, 1180.0], abs=0.01)  # in the clock's time
    assert time.monotonic() - started < 1
    with pytest.raises(WaitTimeoutError):
        Poller(clock).wait("k", fetch, Watch(lambda _: None, _timed_out, 600, lambda _: 60))
    assert clock() == pytest.approx(1780.0, abs=0.01)  # it ran out when the clock said so


def test_the_next_fetch_comes_when_the_earliest_caller_is_due_whoever_fetched_last():
    fetching, caller_joined = threading.Event(), threading.Event()
    poller, fetches = Poller(_set_at_second_reading_of_this_thread(caller_joined)), []

    def fetch() -> int:
        fetches.append(time.monotonic())
        if len(fetches) == 1:
            fetching.set()
            assert caller_joined.wait(5)  # the quick caller joins while the slow one's first fetch runs
        return len(fetches)

    def slow() -> None:  # fetches at once, then would poll again only in 10 s
        with pytest.raises(WaitTimeoutError):
            poller.wait("k", fetch, Watch(lambda _: None, _timed_out, 1.0, lambda _: 10, due=time.monotonic()))

    thread = threading.Thread(target=slow)
    thread.start()
    assert fetching.wait(5)
    started = time.monotonic()
    got = poller.wait("k", fetch, Watch(lambda n: n if n >= 2 else None, _timed_out, 5.0, lambda _: 0.05))
    assert got == 2 and time.monotonic() - started < 5  # on the quick caller's schedule, not the slow one's 10 s
    joined([thread])


def test_an_answer_is_judged_for_every_caller_by_the_one_that_fetched_it():
    poller, fetched_by, judged = Poller(MONOTONIC), {}, []
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
    joined(threads)
    # Callers not yet done sleep through answers (no wake-up each): the thread that fetched judges for all.
    assert len(judged) >= 20 and all(ident == fetched_by[n] for n, ident in judged)


def test_a_caller_never_judges_by_a_fetch_begun_before_it_joined_or_before_its_since():
    """A wait judges only answers of fetches begun after it started (no ``since``), or at or after its ``since``: an
    answer begun earlier may predate what it waits for (a snapshot created just before it joined)."""
    in_first_fetch, caller_joined = threading.Event(), threading.Event()
    poller, began = Poller(_set_at_second_reading_of_this_thread(caller_joined)), []

    def fetch() -> int:
        began.append(time.monotonic())
        if len(began) == 1:
            in_first_fetch.set()
            assert caller_joined.wait(5), "the second caller never joined"
        return len(began)

    def first() -> None:
        poller.wait("k", fetch, Watch(lambda n: n if n >= 2 else None, _timed_out, 5, lambda _: 0.01, due=0.0))

    thread = threading.Thread(target=first)
    thread.start()
    assert in_first_fetch.wait(5), "the first fetch never began"
    seen: list[int] = []
    poller.wait("k", fetch, Watch(lambda n: seen.append(n) or n, _timed_out, 5, lambda _: 0.01))
    thread.join(5)
    assert not thread.is_alive() and seen and min(seen) >= 2  # fetch 1 began before it joined: never judged

    kept = len(began)
    served_at_once: list[int] = []
    poller.wait("k", fetch, Watch(lambda n: served_at_once.append(n) or n, _timed_out, 5, lambda _: 5, since=0.0))
    assert served_at_once == [kept] and len(began) == kept  # a kept answer begun after `since`: no new fetch
    later: list[int] = []
    since = time.monotonic()
    poller.wait("k", fetch, Watch(lambda n: later.append(n) or n, _timed_out, 5, lambda _: 0.01, since=since))
    assert later and min(later) > kept and began[min(later) - 1] >= since
