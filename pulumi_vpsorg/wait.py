"""Waiting for snapshots and restores, shared by every waiter in the process.

All waiters that watch the same thing through the same client share one poll (see :mod:`pulumi_vpsorg.listing`):
a server's own snapshot list, one walk of the account when many servers are waited on, or the servers list. When
any of them is due, one list is fetched and every waiter reads it. A waiter judges only lists begun after it
started, so never one requested before its snapshot existed; a snapshot missing from a walk is looked for in its
server's own list before the wait fails.

The schedule suits real durations (3-10 minutes): quick completions are seen within a second, a 5-minute snapshot
costs 28 polls (see :func:`default_poll_interval`); pass ``poll_interval`` to change it. A wait raises
:class:`~pulumi_vpsorg.errors.WaitTimeoutError` or :class:`~pulumi_vpsorg.errors.SnapshotFailedError` carrying
the last object seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import listing
from ._poller import PollInterval, Watch
from .client import Client
from .durations import format_duration, parse_duration
from .errors import SnapshotFailedError, VpsorgError, WaitTimeoutError
from .listing import Listing
from .models import RESTORING, Server, Snapshot

__all__ = [
    "PollInterval",
    "default_poll_interval",
    "format_duration",
    "parse_duration",
    "wait_for_restore",
    "wait_for_snapshot",
]


def default_poll_interval(elapsed: float) -> float:
    """Seconds until the next poll after ``elapsed`` seconds of waiting.

    The first poll after 0.5 s, then every fifth of the time waited so far, at least 1 s and at most 60 s. So a
    completion is seen within max(1 s, 20% of the time it took), and a wait costs 10 polls for 10 s, 20 for a
    minute, 28 for 5 minutes and 33 for 10 (one list per server, or per walk, per poll, shared by every waiter).
    """
    if elapsed < 0.5:
        return 0.5
    return min(60.0, max(1.0, elapsed / 5))


@dataclass(frozen=True)
class _AbsentFromWalk:
    """A verdict: the snapshot waited for is absent from a walk of the account: its server's own list must decide."""


@dataclass(frozen=True)
class _ListSourceChanged:
    """A verdict: polls for this wait are now shared elsewhere (a walk became cheaper than a server's own list, or
    not); the next is ``due`` then."""

    due: float


_Verdict = Snapshot | _AbsentFromWalk | _ListSourceChanged


@dataclass
class _SnapshotWatch:
    """How a wait judges each list for one snapshot; keeps the latest seen."""

    latest: Snapshot
    timeout: float
    on_poll: Callable[[Snapshot, float], None] | None

    def find(self, found: Listing) -> Snapshot | None:
        return next((s for s in found.server(self.latest.server_id) if s.id == self.latest.id), None)

    def evaluate(self, found: Listing) -> Snapshot | _AbsentFromWalk | None:
        snap = self.find(found)
        if snap is None:
            if not found.certain:
                return _AbsentFromWalk()
            raise SnapshotFailedError(
                f"Snapshot {self.latest.id} ({self.latest.name!r}) disappeared from VPS.org while it was being "
                "created.",
                self.latest,
            )
        self.latest = snap
        if snap.is_completed:
            return snap
        if snap.is_failed:
            raise SnapshotFailedError(
                f"Snapshot {snap.id} ({snap.name!r}) on server {snap.server_id} ended in status {snap.status!r}.",
                snap,
            )
        return None

    def progress(self, found: Listing, elapsed: float) -> None:
        if self.on_poll is not None:
            self.on_poll(self.find(found) or self.latest, elapsed)

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

    Raises :class:`SnapshotFailedError` when it ends in any other status or is absent from its server's own list,
    and :class:`WaitTimeoutError` (``last_seen`` = the snapshot) after ``timeout`` seconds.
    """
    if snapshot.is_completed:
        return snapshot
    if on_poll is not None:
        on_poll(snapshot, 0.0)
    watch = _SnapshotWatch(snapshot, timeout, on_poll)
    start = client.clock()
    poll_interval = _fleet_schedule(client, snapshot.server_id, poll_interval)
    due: float | None = None
    with listing.operating(client, snapshot.server_id), listing.waiting_for_snapshot(client, snapshot.server_id):
        while True:
            key, fetch = listing.list_source(client, snapshot.server_id)
            judge = _judged_unless_source_changed(client, watch, key, poll_interval, start)
            left = max(0.0, start + timeout - client.clock())
            verdict = client.poller.wait(
                key, fetch, Watch(judge, watch.timed_out, left, poll_interval, watch.progress, started=start, due=due)
            )
            if isinstance(verdict, Snapshot):
                return verdict
            if isinstance(verdict, _ListSourceChanged):
                due = verdict.due  # the next poll, from its new source, when it was due anyway
                continue
            done, due = _confirm(client, watch, start + timeout), None  # a walk lacks it: its own list decides
            if done is not None:
                return done


def _judged_unless_source_changed(
    client: Client, watch: _SnapshotWatch, key: object, poll_interval: PollInterval, start: float
) -> Callable[[Listing], _Verdict | None]:
    """``watch.evaluate``, or :class:`_ListSourceChanged` once polls for this wait are shared under another key."""

    def evaluate(found: Listing) -> _Verdict | None:
        verdict = watch.evaluate(found)
        if verdict is None and listing.list_source(client, watch.latest.server_id)[0] != key:
            now = client.clock()
            return _ListSourceChanged(now + poll_interval(now - start))
        return verdict

    return evaluate


def _confirm(client: Client, watch: _SnapshotWatch, deadline: float) -> Snapshot | None:
    """Judge by the server's own list begun now: the snapshot, or None while it is in progress, or while an
    incomplete list (an API that ignores ``server_id`` and pages) lacks it: only a complete one says it vanished."""
    key, fetch = listing.list_source(client, watch.latest.server_id, own=True)

    def judge(found: Listing) -> tuple[Snapshot | None]:
        if not (found.certain or watch.find(found)):
            return (None,)
        verdict = watch.evaluate(found)  # never _AbsentFromWalk: absence from a certain list fails the wait
        return (verdict if isinstance(verdict, Snapshot) else None,)

    left = max(0.001, deadline - client.clock())
    (done,) = client.poller.wait(key, fetch, Watch(judge, watch.timed_out, left, lambda _: listing.GATHER_SECONDS))
    return done


def _fleet_schedule(client: Client, server_id: int | None, poll_interval: PollInterval) -> PollInterval:
    """The schedule, faster while walks of the account serve this wait: as many times as fast as the walks cost
    fewer requests than the servers' own lists they replace (:func:`~pulumi_vpsorg.listing.walk_speedup`, at most
    four times), at least 1 s apart; and four times as fast again, at least 0.5 s apart, while walks show snapshots
    completing: in a fleet, the ones posted last complete soon after the first ones.
    """

    def interval(elapsed: float) -> float:
        normal = poll_interval(elapsed)
        fleet = max(min(normal, 1.0), normal / listing.walk_speedup(client, server_id))
        return min(fleet, max(0.5, fleet / 4)) if listing.walks_show_completions(client, within=fleet) else fleet

    return interval


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

    return client.poller.wait(
        (client.serial, "servers"), client.list_servers, Watch(evaluate, timed_out, timeout, poll_interval, progress)
    )
