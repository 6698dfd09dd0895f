"""The jobs that the resources and the command line share: take a snapshot (adopting one of the same name) and
delete one. Each is a few client calls and a wait; none keeps state of its own.

Never two snapshots of one name on one server, by three means:

1. look, then post, as one step: per name within a process and on one machine (:mod:`_locks`); the look
   judges by a list whose absences are certain (the server's own, or a one-page walk), begun after the lock's last
   release, after this process last posted that name or deleted on that server, and at most 5 s old;
2. a POST is sent again only when VPS.org provably did nothing (a 429, a connection that never opened: the client
   retries those); one whose answer was lost (a dropped connection, a 5xx, an unreadable answer) is never sent again
   in the same run: the name is looked for while it may still land, and the run fails if it has not;
3. across machines, once the snapshot is complete, by a list of the server whose absences are certain and which was
   read after it completed (one that shows it completed, or one begun after that was seen; once this process's
   other snapshots of that server are done too, so one list serves them all): if two of the name exist, the
   lowest id survives; whoever made another deletes it and takes the survivor (``adopted``). This relies on
   another machine's POST following its look-up within the snapshot's duration;
4. adoption removes what the others left: a create that adopts a snapshot deletes the completed snapshots of the
   same name on that server with a higher id (left by a run stopped, timed out or refused between its POST and
   step 3). A delete that fails names the duplicate and fails the create, so the next run tries again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import listing
from ._deadline import deadline, thread_time_left
from ._locks import name_lock
from .client import Client
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SnapshotFailedError,
    SnapshotLimitError,
    VpsorgError,
)
from .models import RESTORING, RestoreResponse, Server, ServerRef, Snapshot
from .wait import PollInterval, default_poll_interval, wait_for_snapshot

log: logging.Logger = logging.getLogger("pulumi_vpsorg")
SNAPSHOT_LIMIT = 5
POST_GRACE = 30.0  # how long a POST whose answer was lost is looked for before giving up (no second POST)
_LOOK_EVERY = 2.0


_OWNER = re.compile(r"\[pulumi stack: ([^\]\s]+)\]\s*$")


def with_owner(description: str | None, owner: str | None) -> str | None:
    """The description sent with a POST: the user's, then which stack takes the snapshot (``[pulumi stack: o/p/s]``),
    so that a stack that adopts it later knows whose it is (see :func:`owner_of`)."""
    if not owner:
        return description
    mark = f"[pulumi stack: {owner}]"
    return f"{description} {mark}" if description else mark


def without_owner(description: str | None) -> str | None:
    """The description as its maker wrote it: without the ``[pulumi stack: ...]`` mark :func:`with_owner` added."""
    if description is None:
        return None
    return _OWNER.sub("", description).rstrip() or None


def owner_of(snap: Snapshot) -> str | None:
    """The stack that took ``snap``, as its description says (None: not taken by a stack of this provider)."""
    found = _OWNER.search(snap.description or "")
    return found.group(1) if found else None


def same_stack(owner: str, stack: str | None) -> bool:
    """Whether ``owner`` (from a description) names ``stack``: by project and stack, the parts both front doors know
    (a native plugin is not told the organization)."""
    return stack is not None and owner.split("/")[-2:] == stack.split("/")[-2:]


def limit_error(server_id: int, existing: list[Snapshot], api_said: str = "") -> SnapshotLimitError:
    """The error for a server at its snapshot limit, naming the snapshots that exist."""
    names = ", ".join(f"{s.id} {s.name!r} ({s.status})" for s in existing) or "none could be listed"
    said = f" (the API said: {api_said})" if api_said else ""
    return SnapshotLimitError(
        api_said,
        message=f"Server {server_id} already has {len(existing)} of its {SNAPSHOT_LIMIT} snapshots{said}: {names}.",
        existing=existing,
    )


def find_by_name(snapshots: list[Snapshot], name: str, server_id: int | None = None) -> Snapshot | None:
    """The usable (not failed) snapshot called ``name`` with the lowest id: the one every process agrees on.

    With ``server_id``, only a snapshot the API says belongs to that server counts.
    """
    usable = _named(snapshots, name, server_id)
    return usable[0] if usable else None


def _named(snapshots: list[Snapshot], name: str, server_id: int | None) -> list[Snapshot]:
    """The usable snapshots called ``name`` (of ``server_id``, when given), lowest id first."""
    return sorted(
        (s for s in snapshots if s.name == name and not s.is_failed and server_id in (None, s.server_id)),
        key=lambda s: s.id,
    )


def take_snapshot(
    client: Client,
    server_id: int,
    name: str,
    description: str | None = None,
    *,
    wait: bool = True,
    timeout: float = 3600.0,
    poll_interval: PollInterval = default_poll_interval,
    on_poll: Callable[[Snapshot, float], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    owner: str | None = None,
) -> tuple[Snapshot, bool]:
    """Make sure server ``server_id`` has a snapshot called ``name``; returns ``(snapshot, adopted)``.

    A usable snapshot of that name already on the server is adopted, not duplicated. At the limit it fails before
    posting, naming the snapshots that exist. With ``wait`` it returns once the snapshot is ``completed`` and
    reconciled (see the module docstring); a snapshot that ends failed is deleted (best effort) and
    :class:`SnapshotFailedError` raised. Everything, retries included, ends within ``timeout`` seconds
    (:class:`~pulumi_vpsorg.errors.WaitTimeoutError` when waiting ran out). ``owner``, the stack taking it, is
    written into the description VPS.org keeps (:func:`with_owner`).
    """
    with deadline(timeout):
        with listing.operating(client, server_id):  # the check after is one certain list, not a poll: not counted
            with name_lock(client, server_id, name) as since:
                described = with_owner(description, owner)
                snap, adopted = _look_then_post(client, server_id, name, described, since, sleep or client.clock.sleep)
            if not wait:
                return snap, adopted
            posted = client.clock()
            snap = _wait_or_clean_up(client, snap, time_left(timeout), poll_interval, on_poll)
        # One list of the server after this process's other snapshots of it are done serves all their checks: wait
        # for them at most a fifth of the time this one took.
        seen = client.clock()
        snaps = listing.list_after_completion(
            client, snap, seen, others_for=min(time_left(timeout), 0.2 * (seen - posted))
        )
        return _reconcile(client, snap, adopted, snaps, time_left(timeout), poll_interval)


def _look_then_post(
    client: Client,
    server_id: int,
    name: str,
    description: str | None,
    since: float,
    sleep: Callable[[float], None],
) -> tuple[Snapshot, bool]:
    """Under the name lock: adopt the snapshot of that name, or POST one.

    Judged by a list whose absences are certain (the server's own, or a one-page walk), shared with every create
    that may use it: one begun after ``since`` (the lock's last release, by any process), after this process
    last posted that name or deleted anything on that server, and at most ``LOOKUP_MAX_AGE`` old. A count below
    the limit may be stale (a POST of another name since); VPS.org refuses a POST beyond it, and that refusal
    names the snapshots that exist.
    """
    existing = listing.list_for_lookup(client, server_id, name, after=since)
    named = _named(existing, name, server_id)
    if named:
        _remove_duplicates(client, named[0], named[1:])
        return named[0], True
    if len(existing) >= SNAPSHOT_LIMIT:
        raise limit_error(server_id, existing)
    return _post(client, server_id, name, description, sleep), False


def _remove_duplicates(client: Client, kept: Snapshot, others: list[Snapshot]) -> None:
    """Delete the completed snapshots named as ``kept`` with a higher id: left by a run that stopped, timed out or
    failed between its POST and its own duplicate check. One still in progress is left to its maker (or the next
    run). A delete that fails raises, naming the duplicate, so that the next run tries again.
    """
    for dup in others:
        if not dup.is_completed:
            continue
        _delete_duplicate(client, dup, kept)


def _delete_duplicate(client: Client, dup: Snapshot, kept: Snapshot) -> None:
    try:
        client.delete_snapshot(dup.id, server_id=dup.server_id)
        log.info("deleted snapshot %s, a duplicate of %s %r (the lowest id is kept)", dup.id, kept.id, kept.name)
    except NotFoundError:
        pass
    except VpsorgError as e:
        raise VpsorgError(
            f"Snapshot {dup.id} is a duplicate of snapshot {kept.id} {kept.name!r} on server {kept.server_id} (the "
            f"lowest id is kept), and deleting it failed: {e} Run again: the next run deletes it; or delete it "
            f"yourself with `vpsorg snapshots delete {dup.id} --yes`."
        ) from None


def time_left(timeout: float) -> float:
    """Seconds left before this thread's deadline (at least a millisecond), or ``timeout`` without one."""
    left = thread_time_left()
    return max(0.001, left) if left is not None else timeout


def _post(
    client: Client, server_id: int, name: str, description: str | None, sleep: Callable[[float], None]
) -> Snapshot:
    """POST the snapshot (the client retries only what provably did nothing); a lost answer is looked for."""
    try:
        return client.create_snapshot(server_id, name, description)
    except SnapshotLimitError as e:  # someone else made one since we looked
        raise limit_error(server_id, _list_quietly(client, server_id), e.api_message) from None
    except RateLimitError as e:  # still refused after the client's retries: nothing was made
        raise VpsorgError(
            f"VPS.org refused to take snapshot {name!r} of server {server_id} ({e}); nothing was made. Try again later."
        ) from None
    except (ServerError, APIConnectionError, APIResponseValidationError) as e:
        if isinstance(e, APIConnectionError) and not e.maybe_sent:
            raise  # never reached the server: the client already retried the connection
        return _look_for_lost_post(client, server_id, name, e, sleep)


def _look_for_lost_post(
    client: Client, server_id: int, name: str, failure: Exception, sleep: Callable[[float], None]
) -> Snapshot:
    """The POST may have reached VPS.org: look for the name while it may still land; never POST again."""
    looks = int(POST_GRACE / _LOOK_EVERY)
    look = 0
    for look in range(looks + 1):
        try:
            found = find_by_name(client.list_snapshots(server_id=server_id), name, server_id)
        except VpsorgError:
            found = None
        if found is not None:
            return found
        left = thread_time_left()
        if look == looks or (left is not None and left <= _LOOK_EVERY):
            break
        sleep(_LOOK_EVERY)
    raise VpsorgError(
        f"The request to take snapshot {name!r} of server {server_id} may or may not have reached VPS.org "
        f"({failure}), and no snapshot of that name appeared in the {look + 1} looks after it. It is not sent "
        f"again now, so that it can never make two. Run the same command (or `pulumi up`) again later: a "
        f"snapshot called {name!r} that exists by then is adopted, otherwise one is taken."
    ) from None


def _reconcile(
    client: Client, mine: Snapshot, adopted: bool, snaps: list[Snapshot], timeout: float, poll_interval: PollInterval
) -> tuple[Snapshot, bool]:
    """After completion, by ``snaps``, a certain list of the server read since: if several usable snapshots share
    the name, the lowest id survives (see module doc)."""
    winner = find_by_name(snaps, mine.name, mine.server_id)
    if winner is None or winner.id >= mine.id:
        return mine, adopted
    if not winner.is_completed:
        try:
            winner = wait_for_snapshot(client, winner, timeout=timeout, poll_interval=poll_interval)
        except VpsorgError:  # the other one failed or is not done in time: ours stays, and is recorded
            return mine, adopted
    if not adopted:  # ours is the duplicate: remove it; one we adopted is its maker's (or the next adopter's)
        _delete_duplicate(client, mine, winner)
    return winner, True


def _list_quietly(client: Client, server_id: int) -> list[Snapshot]:
    try:
        return client.list_snapshots(server_id=server_id)
    except VpsorgError:
        return []


def _wait_or_clean_up(
    client: Client,
    snap: Snapshot,
    timeout: float,
    poll_interval: PollInterval,
    on_poll: Callable[[Snapshot, float], None] | None,
) -> Snapshot:
    try:
        return wait_for_snapshot(client, snap, timeout=timeout, poll_interval=poll_interval, on_poll=on_poll)
    except SnapshotFailedError as e:
        failed = e.snapshot
        if failed is None or not failed.is_failed:
            raise
        try:
            client.delete_snapshot(failed.id, server_id=failed.server_id)
            outcome = "It has been deleted; nothing is left behind."
        except NotFoundError:
            outcome = "It is already gone."
        except VpsorgError as d:
            outcome = f"Deleting it failed ({d}); delete it with `vpsorg snapshots delete {failed.id} --yes`."
        raise SnapshotFailedError(f"{e} {outcome} Try again; if it keeps failing, contact VPS.org.", failed) from None


def delete_snapshot(
    client: Client,
    snapshot_id: int,
    server_id: int | None = None,
    *,
    timeout: float = 3600.0,
    on_poll: Callable[[Snapshot, float], None] | None = None,
) -> bool:
    """Delete a snapshot, waiting first (up to ``timeout``) if it is still being created.

    Returns False when it was already gone. With ``server_id`` known, the server's list is checked first (shared
    with other callers in the process), so a snapshot in progress is waited for instead of refused. Everything,
    retries included, ends within ``timeout`` seconds.
    """
    with deadline(timeout), listing.reading(client, server_id):
        return _delete(client, snapshot_id, server_id, timeout, on_poll)


def _delete(
    client: Client,
    snapshot_id: int,
    server_id: int | None,
    timeout: float,
    on_poll: Callable[[Snapshot, float], None] | None,
) -> bool:
    if server_id is not None:
        try:
            snap = listing.snapshot_by_id(client, snapshot_id, server_id)
        except listing.AbsenceUncertainError:
            snap = None  # the DELETE itself tells: a 404 means gone
        # absent from the server's list, the DELETE is sent all the same: VPS.org may list it under another server,
        # and a 404 says it is gone
        if snap is not None and snap.is_in_progress:
            try:
                wait_for_snapshot(client, snap, timeout=time_left(timeout), on_poll=on_poll)
            except SnapshotFailedError:
                pass  # a failed snapshot is deleted all the same
    try:
        client.delete_snapshot(snapshot_id, server_id=server_id)
    except NotFoundError:
        return False
    return True


@dataclass(frozen=True)
class RestoreOutcome:
    """What :func:`restore_once` did: ``already_restoring`` (nothing sent), or the one request sent, with VPS.org's
    ``response`` or, when its answer was lost or unusable, the ``doubt`` (it may have started all the same)."""

    server: Server | ServerRef | None
    response: RestoreResponse | None = None
    doubt: VpsorgError | None = None
    already_restoring: bool = False


def restore_once(client: Client, snapshot_id: int, server_id: int | None = None) -> RestoreOutcome:
    """Restore ``snapshot_id`` onto its server with at most one request, never retried.

    The server is looked up first (``server_id``, else the snapshot's as listed): one already ``restoring`` gets
    nothing (an earlier run's restore, whose answer may have been lost, is under way). A refusal that provably did
    nothing (4xx, a connection never opened) raises. Everything else is an outcome: the restore may have started.
    """
    server = _server_of(client, snapshot_id, server_id)
    if server is not None and server.status == RESTORING:
        return RestoreOutcome(server, already_restoring=True)
    try:
        response = client.restore_snapshot(snapshot_id)
    except APIConnectionError as e:
        if not e.maybe_sent:
            raise VpsorgError(f"The restore of snapshot {snapshot_id} was not sent: {e}") from None
        return RestoreOutcome(server, doubt=e)
    except (ServerError, APIResponseValidationError) as e:
        return RestoreOutcome(server, doubt=e)
    return RestoreOutcome(response.server or server, response)


def _server_of(client: Client, snapshot_id: int, server_id: int | None) -> Server | None:
    """The server that restoring ``snapshot_id`` would overwrite, as listed now (None when it cannot be told)."""
    if server_id is None:
        try:
            snap = listing.snapshot_by_id(client, snapshot_id)
        except listing.AbsenceUncertainError:
            snap = None
        server_id = snap.server_id if snap is not None else None
    if server_id is None:
        return None  # unknown or unlisted: the API itself says whether it exists
    return server_by_id(client, server_id)


def server_by_id(client: Client, server_id: int) -> Server | None:
    """Server ``server_id`` as the servers list shows it now (None when it is not listed)."""
    return next((x for x in client.list_servers() if x.id == server_id), None)
