"""The snapshot lists a process shares: each server's own list, or one walk of the whole account.

A server's own list (``GET /snapshots/?server_id=``) holds at most 5 snapshots, so it is one page: one consistent
answer. When the operations in progress span more servers than a walk of the account has pages, one walk
(``GET /snapshots/`` page by page) serves them all. Absence is certain only from a complete answer (see
:meth:`~pulumi_vpsorg.client.Client.snapshot_listing`: one page whose ``count`` matches its results, nothing of
another server in a server's list); what an incomplete one lacks is looked for in the server's own list, and when
that is incomplete too (an API that ignores ``server_id`` and pages its answer) nothing is judged gone:
:class:`AbsenceUncertainError`.

Every caller says which lists it may use (``since``): a wait only lists begun after it started; a read any list
begun after this process last wrote to that server and at most ``READ_MAX_AGE`` old (so a refresh of 500
snapshots shares one walk, whatever order the engine reads them in); a look-up before a POST a certain list begun
after this process last posted that name or deleted on that server, and at most ``LOOKUP_MAX_AGE`` old. The
newest certain list of each server and the last walk are kept for that.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from . import settings
from ._deadline import thread_time_left
from ._fleet import Fleet
from ._poller import Watch
from .client import Client
from .errors import VpsorgError, WaitTimeoutError
from .models import Snapshot

READ_MAX_AGE = settings.READ_MAX_AGE  # a read may judge by a list this old (begun after this process's last write)
LOOKUP_MAX_AGE = 5.0  # a look-up before a POST, by one this old: another machine's POST follows its look soon
GATHER_SECONDS = 0.05  # callers asking within this long share one list
_SERVER_UNKNOWN = -1  # a wait whose server is not known
LIST_TIMEOUT = 300.0
WALK_SPEEDUP_MAX = 4.0  # a wait served by walks polls at most this many times as often as by its server's own list


class AbsenceUncertainError(VpsorgError):
    """A snapshot was not in any list read, but no list read was complete: it may still exist."""


@dataclass(frozen=True)
class Listing:
    """One answer: snapshots by server, and whether absence from it is certain."""

    by_server: dict[int | None, list[Snapshot]]
    certain: bool
    walk: bool

    @staticmethod
    def of_snapshots(snaps: list[Snapshot], *, certain: bool, walk: bool) -> Listing:
        by_server: dict[int | None, list[Snapshot]] = {}
        for s in snaps:
            by_server.setdefault(s.server_id, []).append(s)
        return Listing(by_server, certain, walk)

    def server(self, server_id: int | None) -> list[Snapshot]:
        if server_id is None:
            return [s for snaps in self.by_server.values() for s in snaps]
        return self.by_server.get(server_id, []) + (self.by_server.get(None, []) if not self.walk else [])


@contextmanager
def _counting(
    fleet: Fleet, counter: Counter[int], key: int, notify: dict[int, threading.Condition] | None = None
) -> Iterator[None]:
    """Count ``key`` in ``counter`` while the block runs; when its count ends, ``notify[key]`` (if any) is notified."""
    with fleet.lock:
        counter[key] += 1
    try:
        yield
    finally:
        with fleet.lock:
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]
                if notify is not None and key in notify:
                    notify.pop(key).notify_all()


@contextmanager
def operating(client: Client, server_id: int | None) -> Iterator[None]:
    """Count an operation on ``server_id`` as in progress while the block runs. With the recent reads (see
    :func:`reading`) that decides between a list per server and walks of the account (:func:`list_source`)."""
    fleet = client.fleet
    if server_id is None:
        yield
        return
    with _counting(fleet, fleet.busy, server_id):
        yield


@contextmanager
def reading(client: Client, server_id: int | None) -> Iterator[None]:
    """:func:`operating`, and once the block is done, a read of ``server_id`` recent for the read age."""
    with operating(client, server_id):
        yield
    if server_id is not None:
        fleet = client.fleet
        with fleet.lock:
            fleet.read[server_id] = client.clock()


@contextmanager
def waiting_for_snapshot(client: Client, server_id: int | None) -> Iterator[None]:
    """Around a wait for a snapshot of ``server_id`` to complete (see :func:`await_other_waits`)."""
    fleet = client.fleet
    with _counting(fleet, fleet.waiting, server_id if server_id is not None else _SERVER_UNKNOWN, fleet.settled):
        yield


def await_other_waits(client: Client, server_id: int | None, timeout: float) -> None:
    """Wait (at most ``timeout``) until no snapshot of ``server_id`` is still being waited for in this process, so
    that one list of the server, after all of them, serves every check that follows (see ``operations``).
    """
    fleet = client.fleet
    key = server_id if server_id is not None else _SERVER_UNKNOWN
    with fleet.lock:
        if fleet.waiting[key]:
            client.clock.wait(fleet.settled.setdefault(key, threading.Condition(fleet.lock)), max(0.0, timeout))


def walks_show_completions(client: Client, within: float) -> bool:
    """Whether a walk begun in the last ``within`` seconds showed more snapshots completed than the one before."""
    fleet = client.fleet
    with fleet.lock:
        return client.clock() - fleet.progress_at <= within


def walk_speedup(client: Client, server_id: int | None) -> float:
    """How many times as often a wait on ``server_id`` may poll as it would its server's own list: 1 unless walks
    serve it; else the servers in play over the pages of a walk, at most ``WALK_SPEEDUP_MAX``. A walk replaces a
    list per server, so at that speed the walks cost no more requests than those lists would."""
    key, _ = list_source(client, server_id)
    if key != (client.serial, "walk"):
        return 1.0
    fleet = client.fleet
    with fleet.lock:
        return max(1.0, min(WALK_SPEEDUP_MAX, fleet.interest() / fleet.walk_pages))


def read_since(client: Client, server_id: int | None, name: str | None = None, max_age: float | None = None) -> float:
    """The oldest start a list may have to serve, now, a read of ``server_id`` or (``name``) a look-up by name; at
    most the read age old, or ``max_age`` if that is less.
    """
    last = client.fleet.writes.last(server_id, name)
    age = _read_max_age() if max_age is None else min(max_age, _read_max_age())
    return max(client.clock() - age, last + 1e-6)


def _read_max_age() -> float:
    """``VPSORG_READ_MAX_AGE`` seconds, else ``READ_MAX_AGE`` (:mod:`pulumi_vpsorg.settings`)."""
    return settings.tuning().read_max_age


def walk(client: Client) -> Listing:
    """One walk of the account; its page count decides the next choice between walks and per-server lists, and
    whether it shows more snapshots completed than the last walk did (see :func:`walks_show_completions`).
    """
    fleet = client.fleet
    started = client.clock()
    answer = client.snapshot_listing()
    completed = sum(1 for s in answer.snapshots if s.is_completed)
    found = Listing.of_snapshots(answer.snapshots, certain=answer.complete, walk=True)
    with fleet.lock:
        fleet.walk_pages = answer.pages
        if completed > fleet.walk_completed:
            fleet.progress_at = started
        fleet.walk_completed = completed
        fleet.last_walk = (started, found)
    if found.certain:
        _remember(client, None, started, found)
    return found


def own_list(client: Client, server_id: int) -> Listing:
    started = client.clock()
    answer = client.snapshot_listing(server_id)
    found = Listing.of_snapshots(answer.snapshots, certain=answer.complete, walk=False)
    _remember(client, server_id, started, found)
    return found


def _remember(client: Client, key: int | None, started: float, found: Listing) -> None:
    """Keep the newest certain list of a server (``key``), or of the account (None, a one-page walk)."""
    fleet = client.fleet
    with fleet.lock:
        if key not in fleet.certain or fleet.certain[key][0] < started:
            fleet.certain[key] = (started, found)


def _certain_lists_kept(client: Client, server_id: int) -> list[tuple[float, Listing]]:
    """The certain lists kept that show the server: its own newest, and the newest one-page walk."""
    fleet = client.fleet
    with fleet.lock:
        return [k for k in (fleet.certain.get(server_id), fleet.certain.get(None)) if k is not None]


def _certain_list_since(client: Client, server_id: int, since: float) -> Listing | None:
    """The newest certain list of the server (its own, or a one-page walk) begun at or after ``since``, if any."""
    return next((found for began, found in _certain_lists_kept(client, server_id) if began >= since), None)


def list_source(
    client: Client, server_id: int | None, *, need_certain: bool = False, own: bool = False
) -> tuple[Hashable, Callable[[], Listing]]:
    """Where callers listing ``server_id`` now share: a walk of the account (when no server is known, or when more
    servers are in play than the last walk had pages; with ``need_certain`` only while walks are one page), or the
    server's own list (``own``: always).

    While the last walk showed snapshots completing, own lists are kept for up to twice as many servers as it had
    pages: a server's own list that shows its snapshots completed also serves their duplicate check (see
    ``operations``), which after a walk costs one more list per server.
    """
    if server_id is None:
        return (client.serial, "walk"), lambda: walk(client)
    fleet = client.fleet
    with fleet.lock:
        pages = fleet.walk_pages * (2 if fleet.last_walk is not None and fleet.progress_at >= fleet.last_walk[0] else 1)
        use_walk = not own and fleet.interest() > pages and (not need_certain or fleet.walk_pages == 1)
    if use_walk:
        return (client.serial, "walk"), lambda: walk(client)
    return (client.serial, "snapshots", server_id), lambda: own_list(client, server_id)


def shared_list(
    client: Client, server_id: int | None, *, since: float | None = None, need_certain: bool = False, own: bool = False
) -> tuple[list[Snapshot], bool]:
    """The snapshots of ``server_id`` from a list begun at or after ``since`` (None: after this call), shared with
    every caller that may use the same list; and whether absence from it is certain. See :func:`list_source`.
    """
    key, fetch = list_source(client, server_id, need_certain=need_certain, own=own)
    left = thread_time_left()
    timeout = LIST_TIMEOUT if left is None else max(0.001, min(LIST_TIMEOUT, left))

    def timed_out(_: object) -> WaitTimeoutError:
        return WaitTimeoutError(f"Listing the snapshots of server {server_id} took more than {timeout:g}s.")

    first_answer: Watch[Listing, Listing] = Watch(
        lambda x: x, timed_out, timeout, lambda _: GATHER_SECONDS, survive_transient=False, since=since
    )
    listing = client.poller.wait(key, fetch, first_answer)
    return listing.server(server_id), listing.certain


def server_snapshots(client: Client, server_id: int | None, *, since: float | None = None) -> list[Snapshot]:
    """The server's snapshots, from a list whose absences are certain (its own, or a one-page walk); a kept one
    begun at or after ``since`` serves at once.
    """
    kept = _certain_list_since(client, server_id, since) if since is not None and server_id is not None else None
    if kept is not None:
        return kept.server(server_id)
    snaps, certain = shared_list(client, server_id, since=since, need_certain=True)
    return snaps if certain else shared_list(client, server_id, since=since, own=True)[0]


def list_for_lookup(client: Client, server_id: int, name: str, *, after: float) -> list[Snapshot]:
    """The server's snapshots for a look-up of ``name`` before a POST: from a certain list begun after ``after``
    (the name lock's last release), after this process last posted that name or deleted on that server, and at
    most ``LOOKUP_MAX_AGE`` old."""
    since = max(after, read_since(client, server_id, name, max_age=LOOKUP_MAX_AGE))
    return server_snapshots(client, server_id, since=min(since, client.clock()))


def list_after_completion(client: Client, snap: Snapshot, seen: float, *, others_for: float) -> list[Snapshot]:
    """The server's snapshots from a certain list read after ``snap`` was seen completed (at ``seen``): the newest
    kept one if it shows ``snap`` completed, else one begun after ``seen``; taken once this process's other waits
    on that server have ended (at most ``others_for`` seconds), so that one list serves all their checks."""
    await_other_waits(client, snap.server_id, others_for)
    found = showing_completed(client, snap.server_id, snap.id)
    return found if found is not None else server_snapshots(client, snap.server_id, since=seen)


def showing_completed(client: Client, server_id: int | None, snapshot_id: int) -> list[Snapshot] | None:
    """The server's snapshots from the newest certain list kept, if it shows ``snapshot_id`` completed (so it was
    read after that completion); else None.
    """
    if server_id is None:
        return None
    kept = _certain_lists_kept(client, server_id)
    if not kept:
        return None
    snaps = max(kept, key=lambda k: k[0])[1].server(server_id)
    snap = _by_id(snaps, snapshot_id)
    return snaps if snap is not None and snap.is_completed else None


def _from_lists_kept(client: Client, server_id: int, snapshot_id: int, since: float) -> tuple[bool, Snapshot | None]:
    """From the lists kept (begun at or after ``since``): ``(True, snapshot)`` when one shows it, ``(True, None)``
    when a certain one lacks it, ``(False, None)`` when none can tell.
    """
    fleet = client.fleet
    with fleet.lock:
        last = fleet.last_walk
    if last is not None and last[0] >= since:
        snap = _by_id(last[1].server(server_id), snapshot_id)
        if snap is not None or last[1].certain:
            return True, snap
    found = _certain_list_since(client, server_id, since)
    return (True, _by_id(found.server(server_id), snapshot_id)) if found is not None else (False, None)


def _by_id(snaps: list[Snapshot], snapshot_id: int) -> Snapshot | None:
    return next((s for s in snaps if s.id == snapshot_id), None)


def find_snapshot(client: Client, server_id: int | None, snapshot_id: int, *, since: float) -> Snapshot | None:
    """Snapshot ``snapshot_id`` as listed at or after ``since``; None only when a complete list lacks it.

    :class:`AbsenceUncertainError` when no list read could tell (the account walk had several pages and no server
    is known, or the server's own list was incomplete too).
    """
    if server_id is not None:
        told, snap = _from_lists_kept(client, server_id, snapshot_id, since)
        if told:
            return snap
    snaps, certain = shared_list(client, server_id, since=since)
    found = _by_id(snaps, snapshot_id)
    if found is None and not certain and server_id is not None:
        snaps, certain = shared_list(client, server_id, since=since, own=True)
        found = _by_id(snaps, snapshot_id)
    if found is not None or certain:
        return found
    where = f"server {server_id}'s list" if server_id is not None else "the account's list (no server known)"
    raise AbsenceUncertainError(
        f"Snapshot {snapshot_id} was not in {where}, but VPS.org answered in several pages or ignored the server "
        "filter, so its absence is not proof that it is gone."
    )


def snapshot_by_id(client: Client, snapshot_id: int, server_id: int | None = None) -> Snapshot | None:
    """The one look-up by id, for the provider, the plugin's functions and the command line alike: snapshot
    ``snapshot_id`` (of ``server_id``'s list when it is known, else of the account's) as listed now, or None only when
    a complete list lacks it. :class:`AbsenceUncertainError` when no list could tell: absent from an incomplete list is
    never taken for gone."""
    with reading(client, server_id):
        return find_snapshot(client, server_id, snapshot_id, since=read_since(client, server_id))


def snapshots_now(client: Client, server_id: int) -> list[Snapshot]:
    """The server's snapshots from a list begun now (never a kept one), whose absences are certain (its own list, or
    a one-page walk): what a step judges by just before it deletes or takes one."""
    return server_snapshots(client, server_id, since=client.clock())


def snapshots_for_refresh(client: Client, server_id: int) -> tuple[list[Snapshot], bool]:
    """The server's snapshots for a refresh, and whether absence from them is certain: the server's own list, at
    most the read age old and begun after this process's last write there, shared with the other reads of the run."""
    with reading(client, server_id):
        return shared_list(client, server_id, since=read_since(client, server_id), own=True)
