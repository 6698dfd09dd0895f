"""Leader/follower polling: every caller that needs the same list shares one request for it.

Callers that watch the same thing (a server's snapshots, the account's, the servers list) through one client join
one group. When the first of them is due, it fetches, judges the answer for every member and wakes only the ones it
decided and the one due next; the others sleep on. Each caller says which answers it may judge by
(:attr:`Watch.since`): only those of fetches that began at or after that time, so that no caller judges by a list
requested before (say) its own snapshot existed. A group keeps its last answer after its callers leave, so a later
caller whose ``since`` it meets is served at once (refresh shares one list across the run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ._clock import Clock
from .errors import APIConnectionError, RateLimitError, ServerError, VpsorgError

T = TypeVar("T")
R = TypeVar("R")
PollInterval = Callable[[float], float]


@dataclass(frozen=True)
class Watch(Generic[T, R]):
    """What one caller waits for in its group's answers, and on what schedule.

    Attributes:
        evaluate: the answer's verdict: a value ends the wait, None waits on, an error fails it.
        on_timeout: the error to raise when ``timeout`` runs out, given the last answer seen (or None).
        timeout: seconds this caller waits at most.
        poll_interval: seconds to the next fetch, given the seconds waited so far.
        on_poll: told of every answer this caller reads, with the seconds waited.
        survive_transient: errors worth waiting out (429, 5xx, connection) only delay the wait; any other error
            fails every caller of the group.
        since: answers of fetches begun at or after this time (on the poller's clock) may be judged, a kept one at
            once; None: only fetches begun after the wait starts.
        started: when the wait began, for the schedule (a wait resumed after a check goes on at its pace).
        due: when its first fetch is due (default: by the schedule).
    """

    evaluate: Callable[[T], R | None]
    on_timeout: Callable[[T | None], BaseException]
    timeout: float
    poll_interval: PollInterval
    on_poll: Callable[[T, float], None] | None = None
    survive_transient: bool = True
    since: float | None = None
    started: float | None = None
    due: float | None = None


@dataclass
class _Group:
    """Callers sharing one fetch. Fetches are numbered; one runs at a time. Every field is guarded by ``lock``.

    A finished fetch is judged for every caller by the one that ran it, which wakes only the callers it decides
    (and the one due to fetch next): 500 waits on one walk of the account cost one wake-up each when their snapshot
    completes, not one per walk.
    """

    lock: threading.Lock = field(default_factory=threading.Lock)
    members: set[_Waiter[Any, Any]] = field(default_factory=set)
    leader: _Waiter[Any, Any] | None = None  # the member due to fetch next; the others sleep until woken
    polling: bool = False
    started: int = 0  # fetches started so far
    started_at: float = 0.0  # when fetch number ``started`` began
    finished: int = 0  # number of the fetch whose answer ``result``/``error`` hold
    finished_began: float = 0.0  # when that fetch began
    polled_at: float = 0.0  # when it ended
    result: Any = None
    error: BaseException | None = None

    def first_fetch_usable(self, since: float | None) -> int:
        """The number of the first fetch whose answer a caller joining now may judge by."""
        if since is not None:
            if self.finished and self.error is None and self.finished_began >= since:
                return self.finished
            if self.polling and self.started_at >= since:
                return self.started
        return self.started + 1

    def join(self, waiter: _Waiter[Any, Any]) -> None:
        """Under ``lock``: add a caller; it fetches next if it is due first."""
        self.members.add(waiter)
        if self.leader is None or waiter.next_due < self.leader.next_due:
            self.leader = waiter

    def leave(self, waiter: _Waiter[Any, Any]) -> None:
        with self.lock:
            self.members.discard(waiter)
            if self.leader is waiter:
                self.choose_leader()

    def choose_leader(self) -> None:
        """Make the member due first the one to fetch next, and wake it to sleep until then."""
        self.leader = min((m for m in self.members if m.outcome is None), key=lambda m: m.next_due, default=None)
        if self.leader is not None:
            self.leader.wakeup.notify()


@dataclass(eq=False)
class _Waiter(Generic[T, R]):
    """One caller in its group: its :class:`Watch`, which answers it may judge, when it is due, what it saw last."""

    watch: Watch[T, R]
    start: float
    deadline: float
    first_usable: int  # the first fetch whose answer this caller may judge by
    next_due: float
    wakeup: threading.Condition
    judged: int = 0  # the last fetch whose answer it judged
    last: T | None = None
    outcome: tuple[R | None, BaseException | None] | None = None  # decided: (value, None) or (None, error)

    def has_unjudged_answer(self, group: _Group) -> bool:
        return group.finished >= self.first_usable and group.finished != self.judged

    def decided_by_newest(self, group: _Group, now: float) -> bool:
        """Judge the group's newest answer; True when that decided the wait (``outcome`` set)."""
        self.judged = group.finished
        self.next_due = group.polled_at + self.watch.poll_interval(now - self.start)
        try:
            value = self._verdict(group, now)
        except Exception as e:  # a failure or a lasting error: raised in the caller's own thread
            self.outcome = (None, e)
            return True
        if value is not None:
            self.outcome = (value, None)
        return value is not None

    def _verdict(self, group: _Group, now: float) -> R | None:
        if group.error is not None:
            if self.watch.survive_transient and transient(group.error):
                return None
            raise group.error
        self.last = group.result
        if self.watch.on_poll is not None:
            self.watch.on_poll(group.result, now - self.start)
        return self.watch.evaluate(group.result)


class Poller:
    """Groups of callers by key, on one clock (its client's); see the module docstring."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._groups: dict[Hashable, _Group] = {}

    def wait(self, key: Hashable, fetch: Callable[[], T], watch: Watch[T, R]) -> R:
        """Fetch (shared under ``key``) until ``watch.evaluate`` returns non-None, raises, or time runs out.

        ``watch.evaluate`` and ``watch.on_poll`` may run in the thread of another caller of the group (the one that
        fetched).
        """
        group = self._group(key)
        now = self._clock()
        start = now if watch.started is None else watch.started
        with group.lock:
            waiter: _Waiter[T, R] = _Waiter(
                watch,
                start=start,
                deadline=now + watch.timeout,
                first_usable=group.first_fetch_usable(watch.since),
                next_due=watch.due if watch.due is not None else now + watch.poll_interval(now - start),
                wakeup=threading.Condition(group.lock),
            )
            group.join(waiter)
        try:
            while (number := self._decide(group, waiter)) is not None:
                self._poll(group, number, fetch)
        finally:
            group.leave(waiter)
        value, error = waiter.outcome  # type: ignore[misc]
        if error is not None:
            raise error
        return value  # type: ignore[return-value]

    def _group(self, key: Hashable) -> _Group:
        with self._lock:
            return self._groups.setdefault(key, _Group())

    def _decide(self, group: _Group, waiter: _Waiter[Any, Any]) -> int | None:
        """Under the group's lock: None once the wait is decided, or the number of the fetch this caller must run."""
        with group.lock:
            while True:
                now = self._clock()
                if waiter.outcome is not None or (
                    waiter.has_unjudged_answer(group) and waiter.decided_by_newest(group, now)
                ):
                    return None
                if now >= waiter.deadline:
                    waiter.outcome = (None, waiter.watch.on_timeout(waiter.last))
                    return None
                if not group.polling and now >= waiter.next_due:
                    group.polling = True
                    group.started += 1
                    group.started_at = now
                    return group.started
                leads = not group.polling and group.leader is waiter  # the others sleep until woken
                wake = min(waiter.next_due, waiter.deadline) if leads else waiter.deadline
                self._clock.wait(waiter.wakeup, max(0.0, wake - now))

    def _poll(self, group: _Group, number: int, fetch: Callable[[], Any]) -> None:
        """Outside the lock: run fetch ``number``; then judge its answer (or error) for every caller of the group and
        wake those it decided, and the one due to fetch next."""
        result: Any = None
        error: BaseException | None = VpsorgError("polling was interrupted")
        try:
            result = fetch()
            error = None
        except Exception as e:  # handed to every caller of the group, not swallowed
            error = e
        finally:  # even when interrupted, so that no caller is left waiting for this fetch
            with group.lock:
                group.polling = False
                group.finished, group.finished_began = number, group.started_at
                group.polled_at = now = self._clock()
                group.result, group.error = result, error
                for member in group.members:
                    if member.has_unjudged_answer(group) and member.decided_by_newest(group, now):
                        member.wakeup.notify()
                group.choose_leader()


def transient(error: BaseException) -> bool:
    """An error worth waiting out: a 429, a 5xx, a connection problem."""
    return isinstance(error, (RateLimitError, ServerError, APIConnectionError))
