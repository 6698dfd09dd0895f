"""Waiting for snapshots and restores, shared by every waiter in the process.

All waiters that watch the same thing (one server's snapshot list, or the servers list) through the same client
share one poll: when any of them is due, one list call is made and every waiter reads its answer. So 16 snapshots
on 4 servers cost about 4 list calls per tick, not 16.

The schedule starts fast and backs off to a cap (see :func:`default_poll_interval`); pass ``poll_interval`` to
change it. A wait raises :class:`~pulumi_vpsorg.errors.WaitTimeoutError` or
:class:`~pulumi_vpsorg.errors.SnapshotFailedError` carrying the last object seen.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .client import Client
from .errors import (
    APIConnectionError,
    RateLimitError,
    ServerError,
    SnapshotFailedError,
    VpsorgError,
    WaitTimeoutError,
)
from .models import RESTORING, Server, Snapshot

T = TypeVar("T")
R = TypeVar("R")
PollInterval = Callable[[float], float]

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_SECONDS = re.compile(_NUMBER)
_DURATION = re.compile(rf"(?:(?P<h>{_NUMBER})h)?(?:(?P<m>{_NUMBER})m(?!s))?(?:(?P<s>{_NUMBER})s)?(?:(?P<ms>[0-9]+)ms)?")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_MAX_TIMEOUT = 24 * 3600.0
_DURATION_RULE = "use seconds (90) or a duration such as '90s', '20m', '1h30m' (each unit once, largest first)"


def parse_duration(value: str | int | float) -> float:
    """Seconds from a number of seconds or a duration string: ``"90s"``, ``"20m"``, ``"1h30m"``, ``"45"``.

    Raises ``ValueError`` with the rule when the value is not a positive duration of at most 24 hours.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"must be a number of seconds or a duration: {_DURATION_RULE}")
    if isinstance(value, str):
        seconds = _duration_seconds(value)
    else:
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    if not seconds > 0:
        raise ValueError(f"must be more than zero seconds (got {value!r})")
    if seconds > _MAX_TIMEOUT:
        raise ValueError(f"must be at most 24 hours (got {str(value)[:40]!r})")
    return seconds


def _duration_seconds(value: str) -> float:
    text = value.strip().lower()
    if _SECONDS.fullmatch(text):
        return float(text)
    m = _DURATION.fullmatch(text) if len(text) <= 40 else None
    if not text or m is None or not any(m.groupdict().values()):
        raise ValueError(f"{value[:40]!r} is not a duration: {_DURATION_RULE}")
    return sum(float(v) * _UNITS[k] for k, v in m.groupdict().items() if v)


def format_duration(seconds: float) -> str:
    """``125`` -> ``"2m05s"``: for progress lines and messages."""
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m"
    return f"{m}m{s:02d}s" if m else f"{s}s"


def default_poll_interval(elapsed: float) -> float:
    """Seconds between polls after ``elapsed`` seconds of waiting.

    0.5 s for the first 10 s, 1 s up to a minute, then elapsed/30 capped at 15 s: a completion is seen within 1 s
    during the first minute, and within elapsed/30 (at most 15 s) after that.
    """
    if elapsed < 10:
        return 0.5
    if elapsed < 60:
        return 1.0
    return min(15.0, elapsed / 30)


@dataclass
class _Group:
    """Waiters sharing one poll, with a Condition of their own (a finished poll wakes only them).

    Polls are numbered; one runs at a time. Every field but ``waiters`` is guarded by ``cond``.
    """

    cond: threading.Condition = field(default_factory=threading.Condition)
    waiters: int = 0  # guarded by _Poller._lock
    polling: bool = False
    started: int = 0  # polls started so far
    finished: int = 0  # number of the poll whose answer ``result``/``error`` hold
    polled_at: float = 0.0
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Waiter(Generic[T, R]):
    """One waiter's view of its group: which answers it may read, when it is due, what it saw last."""

    evaluate: Callable[[T], R | None]
    on_timeout: Callable[[T | None], BaseException]
    poll_interval: PollInterval
    on_poll: Callable[[T, float], None] | None
    survive_transient: bool
    clock: Callable[[], float]
    start: float
    deadline: float
    first_fresh: int  # the first poll that started after this waiter joined
    next_due: float
    seen: int = 0
    last: T | None = None

    def fresh(self, group: _Group) -> bool:
        return group.finished >= self.first_fresh and group.finished != self.seen

    def read(self, group: _Group, now: float) -> R | None:
        """Judge the group's newest answer: the outcome, None to go on, or raise (a failure, a lasting error)."""
        self.seen = group.finished
        self.next_due = group.polled_at + self.poll_interval(now - self.start)
        if group.error is not None:
            if self.survive_transient and _transient(group.error):
                return None
            raise group.error
        self.last = group.result
        if self.on_poll is not None:
            self.on_poll(group.result, now - self.start)
        return self.evaluate(group.result)


class _Poller:
    """Leader/follower polling: the first due waiter of a group polls, the others read its answer.

    A waiter only reads answers of polls that started after it joined, so it never judges by a list that was
    requested before (say) its own snapshot existed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[Hashable, _Group] = {}

    def wait(
        self,
        key: Hashable,
        fetch: Callable[[], T],
        evaluate: Callable[[T], R | None],
        *,
        timeout: float,
        on_timeout: Callable[[T | None], BaseException],
        poll_interval: PollInterval = default_poll_interval,
        on_poll: Callable[[T, float], None] | None = None,
        survive_transient: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> R:
        """Poll ``fetch`` (shared under ``key``) until ``evaluate`` returns non-None, raises, or time runs out.

        With ``survive_transient``, errors that are worth waiting out (429, 5xx, connection) only delay the wait;
        any other error fails every waiter of the group.
        """
        group = self._join(key)
        start = clock()
        with group.cond:
            waiter: _Waiter[T, R] = _Waiter(
                evaluate, on_timeout, poll_interval, on_poll, survive_transient, clock,
                start=start, deadline=start + timeout, first_fresh=group.started + 1,
                next_due=start + poll_interval(0.0),
            )  # fmt: skip
        try:
            while True:
                done, value = self._decide(group, waiter)
                if done:
                    return value  # type: ignore[no-any-return]
                self._poll(group, value, fetch, clock)
        finally:
            self._leave(key, group)

    def _join(self, key: Hashable) -> _Group:
        with self._lock:
            group = self._groups.setdefault(key, _Group())
            group.waiters += 1
            return group

    def _leave(self, key: Hashable, group: _Group) -> None:
        with self._lock:
            group.waiters -= 1
            if group.waiters == 0 and self._groups.get(key) is group:
                del self._groups[key]

    @staticmethod
    def _decide(group: _Group, waiter: _Waiter[Any, Any]) -> tuple[bool, Any]:
        """Under the group's lock: ``(True, outcome)``, or ``(False, n)`` when this waiter must run poll ``n``."""
        with group.cond:
            while True:
                now = waiter.clock()
                if waiter.fresh(group):
                    outcome = waiter.read(group, now)
                    if outcome is not None:
                        return True, outcome
                if now >= waiter.deadline:
                    raise waiter.on_timeout(waiter.last)
                if not group.polling and now >= waiter.next_due:
                    group.polling = True
                    group.started += 1
                    return False, group.started
                wake = waiter.deadline if group.polling else min(waiter.next_due, waiter.deadline)
                group.cond.wait(max(0.0, wake - now))

    @staticmethod
    def _poll(group: _Group, number: int, fetch: Callable[[], Any], clock: Callable[[], float]) -> None:
        """Outside the lock: run poll ``number`` and hand its answer (or error) to every waiter of the group."""
        result: Any = None
        error: BaseException | None = VpsorgError("polling was interrupted")
        try:
            result = fetch()
            error = None
        except Exception as e:  # handed to every waiter of the group, not swallowed
            error = e
        finally:  # even when interrupted, so that no waiter is left waiting for this poll
            with group.cond:
                group.polling = False
                group.finished = number
                group.polled_at = clock()
                group.result, group.error = result, error
                group.cond.notify_all()


def _transient(error: BaseException) -> bool:
    return isinstance(error, (RateLimitError, ServerError, APIConnectionError))


_POLLER = _Poller()
_GATHER_SECONDS = 0.05


def list_snapshots_shared(client: Client, server_id: int | None, *, timeout: float = 300.0) -> list[Snapshot]:
    """``client.list_snapshots(server_id)``, shared with every caller in the process that asks within ~50 ms.

    Used by refresh and delete, so that a refresh of 20 snapshots on 5 servers makes about 5 list calls. The
    answer always comes from a call that started after this one was made.
    """

    def timed_out(_: Any) -> WaitTimeoutError:
        return WaitTimeoutError(f"Listing the snapshots of server {server_id} took more than {timeout:g}s.")

    return _POLLER.wait(
        (id(client), "snapshots", server_id),
        lambda: client.list_snapshots(server_id=server_id),
        lambda snaps: snaps,
        timeout=timeout,
        on_timeout=timed_out,
        poll_interval=lambda _: _GATHER_SECONDS,
        survive_transient=False,
    )


@dataclass
class _SnapshotWatch:
    """How a wait judges each list of a server's snapshots for one snapshot; keeps the latest seen."""

    latest: Snapshot
    timeout: float
    on_poll: Callable[[Snapshot, float], None] | None

    def evaluate(self, snaps: list[Snapshot]) -> Snapshot | None:
        found = next((s for s in snaps if s.id == self.latest.id), None)
        if found is None:
            raise SnapshotFailedError(
                f"Snapshot {self.latest.id} ({self.latest.name!r}) disappeared from VPS.org while it was being "
                "created.",
                self.latest,
            )
        self.latest = found
        if found.is_completed:
            return found
        if found.is_failed:
            raise SnapshotFailedError(
                f"Snapshot {found.id} ({found.name!r}) on server {found.server_id} ended in status {found.status!r}.",
                found,
            )
        return None

    def progress(self, snaps: list[Snapshot], elapsed: float) -> None:
        if self.on_poll is not None:
            self.on_poll(next((s for s in snaps if s.id == self.latest.id), self.latest), elapsed)

    def timed_out(self, _: Any) -> WaitTimeoutError:
        snap = self.latest
        return WaitTimeoutError(
            f"Snapshot {snap.id} ({snap.name!r}) on server {snap.server_id} is still being created (status "
            f"{snap.status!r}) after {format_duration(self.timeout)}.",
            snap,
        )


def wait_for_snapshot(
    client: Client,
    snapshot: Snapshot,
    *,
    timeout: float,
    poll_interval: PollInterval = default_poll_interval,
    on_poll: Callable[[Snapshot, float], None] | None = None,
) -> Snapshot:
    """Wait until ``snapshot`` is ``completed``; returns it as last listed.

    Raises :class:`SnapshotFailedError` when it ends in any other status or vanishes from a complete list, and
    :class:`WaitTimeoutError` (``last_seen`` = the snapshot) after ``timeout`` seconds.
    """
    if snapshot.is_completed:
        return snapshot
    if on_poll is not None:
        on_poll(snapshot, 0.0)
    server_id = snapshot.server_id
    watch = _SnapshotWatch(snapshot, timeout, on_poll)
    return _POLLER.wait(
        (id(client), "snapshots", server_id),
        lambda: client.list_snapshots(server_id=server_id),
        watch.evaluate,
        timeout=timeout,
        on_timeout=watch.timed_out,
        poll_interval=poll_interval,
        on_poll=watch.progress,
    )


def wait_for_restore(
    client: Client,
    server_id: int,
    *,
    timeout: float,
    poll_interval: PollInterval = default_poll_interval,
    on_poll: Callable[[Server | None, float], None] | None = None,
) -> Server:
    """Wait until server ``server_id`` is no longer ``restoring``; returns the server as last listed.

    Raises :class:`WaitTimeoutError` (``last_seen`` = the server) after ``timeout`` seconds.
    """

    def find(servers: list[Server]) -> Server | None:
        return next((s for s in servers if s.id == server_id), None)

    def evaluate(servers: list[Server]) -> Server | None:
        server = find(servers)
        if server is None:
            raise VpsorgError(f"Server {server_id} disappeared from VPS.org while it was being restored.")
        return server if server.status != RESTORING else None

    def progress(servers: list[Server], elapsed: float) -> None:
        if on_poll is not None:
            on_poll(find(servers), elapsed)

    def timed_out(servers: list[Server] | None) -> WaitTimeoutError:
        server = find(servers) if servers else None
        return WaitTimeoutError(
            f"Server {server_id} is still restoring after {format_duration(timeout)}.",
            server,
        )

    return _POLLER.wait(
        (id(client), "servers"),
        client.list_servers,
        evaluate,
        timeout=timeout,
        on_timeout=timed_out,
        poll_interval=poll_interval,
        on_poll=progress,
    )
