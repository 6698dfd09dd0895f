"""The jobs that the resources and the command line share: take a snapshot (adopting one of the same name) and
delete one. Each is a few client calls and a wait; none keeps state of its own.

Never two snapshots of one name on one server, by three means:

1. look, then post, as one step: per name within a process (a lock) and on one machine (a lock file); the look
   judges by a list whose absences are certain (the server's own, or a one-page walk), begun after the lock's last
   release, after this process last posted that name or deleted on that server, and at most 5 s old;
2. a POST whose answer was lost (a dropped connection, a gateway error, an unreadable answer) is never sent again
   in the same run: the name is looked for while it may still land, and the run fails if it has not;
3. across machines, once the snapshot is complete, by a list of the server whose absences are certain and which was
   read after it completed (one that shows it completed, or one begun after that was seen; once this process's
   other snapshots of that server are done too, so one list serves them all): if two of the name exist, the
   lowest id survives; whoever made another deletes it and takes the survivor (``adopted``). This relies on
   another machine's POST following its look-up within the snapshot's duration.

The window left: a process stopped between its POST and step 3 leaves its duplicate behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from . import listing
from ._deadline import deadline, remaining
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
    WaitTimeoutError,
)
from .models import Snapshot
from .wait import PollInterval, default_poll_interval, wait_for_snapshot

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: the in-process lock and reconciliation remain
    fcntl = None  # type: ignore[assignment]

log: logging.Logger = logging.getLogger("pulumi_vpsorg")
SNAPSHOT_LIMIT = 5
_POST_ATTEMPTS = 8
POST_GRACE = 30.0  # how long a POST whose answer was lost is looked for before giving up (no second POST)
_LOOK_EVERY = 2.0
_NAME_LOCKS: defaultdict[tuple[int, int, str], threading.Lock] = defaultdict(threading.Lock)
LOCK_DIR_ENV = "VPSORG_LOCK_DIR"
_CLOCK_MARGIN = 0.5  # the wall clock another process read may be a little off ours


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
    usable = [
        s for s in snapshots if s.name == name and not s.is_failed and (server_id is None or s.server_id == server_id)
    ]
    return min(usable, key=lambda s: s.id) if usable else None


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
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Snapshot, bool]:
    """Make sure server ``server_id`` has a snapshot called ``name``; returns ``(snapshot, adopted)``.

    A usable snapshot of that name already on the server is adopted, not duplicated. At the limit it fails before
    posting, naming the snapshots that exist. With ``wait`` it returns once the snapshot is ``completed`` and
    reconciled (see the module docstring); a snapshot that ends failed is deleted (best effort) and
    :class:`SnapshotFailedError` raised. Everything, retries included, ends within ``timeout`` seconds
    (:class:`~pulumi_vpsorg.errors.WaitTimeoutError` when waiting ran out).
    """
    with deadline(timeout):
        with listing.busy(client, server_id):  # the check after is one certain list, not a poll: not counted
            with _name_lock(client, server_id, name) as since:
                snap, adopted = _look_then_post(client, server_id, name, description, since, sleep)
            if not wait:
                return snap, adopted
            posted = time.monotonic()
            snap = _wait_or_clean_up(client, snap, _left(timeout), poll_interval, on_poll)
        seen = time.monotonic()
        # One list of the server after this process's other snapshots of it are done serves all their checks; wait
        # for them at most a fifth of the time this one took.
        listing.settle(client, server_id, min(_left(timeout), 0.2 * (seen - posted)))
        return _reconcile(client, snap, adopted, seen, _left(timeout), poll_interval)


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
    since = max(since, listing.read_since(client, server_id, name, max_age=listing.LOOKUP_MAX_AGE))
    existing = listing.server_snapshots(client, server_id, since=min(since, time.monotonic()))
    snap = find_by_name(existing, name, server_id)
    if snap is not None:
        return snap, True
    if len(existing) >= SNAPSHOT_LIMIT:
        raise limit_error(server_id, existing)
    return _post(client, server_id, name, description, sleep), False


def _left(timeout: float) -> float:
    left = remaining()
    return max(0.001, left) if left is not None else timeout


@contextmanager
def _name_lock(client: Client, server_id: int, name: str) -> Iterator[float]:
    """Look-then-post is one step per (endpoint, server, name): across threads, and across processes here.

    Yields the oldest start a list may have to judge by: when the lock was last released by any process on this
    machine (written in the lock file), or now when there is no lock file.
    """
    with _NAME_LOCKS[(client.serial, server_id, name)]:
        f = _lock_file(client, server_id, name)
        if f is None:
            yield time.monotonic()
            return
        with f:
            _flock(f, server_id, name)
            try:
                yield _released_at(f)
            finally:
                _release(f)


def _lock_file(client: Client, server_id: int, name: str) -> IO[str] | None:
    if fcntl is None:
        return None
    key = hashlib.sha256(f"{client.endpoint}\0{server_id}\0{name}".encode()).hexdigest()[:32]
    folder = os.environ.get(LOCK_DIR_ENV) or os.path.join(tempfile.gettempdir(), "pulumi-vpsorg-locks")
    try:
        os.makedirs(folder, exist_ok=True)
        return open(os.path.join(folder, key + ".lock"), "a+")
    except OSError as e:  # the in-process lock and reconciliation still hold
        log.warning("cannot use the lock folder %s (%s); set %s to a writable folder", folder, e, LOCK_DIR_ENV)
        return None


def _flock(f: IO[str], server_id: int, name: str) -> None:
    assert fcntl is not None  # _lock_file opens no file without it
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = remaining()
            if left is not None and left <= 0:
                raise WaitTimeoutError(
                    f"Another process on this machine kept taking snapshot {name!r} of server {server_id} "
                    "until the time limit ran out; run again once it is done (it adopts that snapshot)."
                ) from None
            time.sleep(0.05)


def _release(f: IO[str]) -> None:
    """Record when the lock was released (for the next holder's look), then release it."""
    assert fcntl is not None
    f.seek(0)
    f.truncate()
    f.write(repr(time.time()))
    f.flush()
    fcntl.flock(f, fcntl.LOCK_UN)


def _released_at(f: IO[str]) -> float:
    """The monotonic time the lock was last released, by any process (0 when never); unreadable: now."""
    f.seek(0)
    text = f.read().strip()
    if not text:
        return 0.0
    try:
        ago = time.time() - float(text)
    except ValueError:
        return time.monotonic()
    return time.monotonic() - max(0.0, ago) + _CLOCK_MARGIN


def _post(
    client: Client, server_id: int, name: str, description: str | None, sleep: Callable[[float], None]
) -> Snapshot:
    """POST the snapshot once; a refused POST (429/503) may be sent again, a lost answer never is."""
    for attempt in range(_POST_ATTEMPTS):
        try:
            with listing.writing(client, server_id, name):
                return client.create_snapshot(server_id, name, description)
        except SnapshotLimitError as e:  # someone else made one since we looked
            raise limit_error(server_id, _list_quietly(client, server_id), e.api_message) from None
        except (RateLimitError, ServerError, APIConnectionError, APIResponseValidationError) as e:
            if isinstance(e, APIConnectionError) and not e.maybe_sent:
                raise  # never reached the server: the client already retried the connection
            refused = isinstance(e, RateLimitError) or (isinstance(e, ServerError) and e.status_code == 503)
            if not refused:
                return _look_for_lost_post(client, server_id, name, e, sleep)
            delay = client.retry_delay(attempt, e)
            if delay is None or attempt == _POST_ATTEMPTS - 1:
                raise VpsorgError(
                    f"VPS.org refused to take snapshot {name!r} of server {server_id} ({e}); nothing was made. "
                    "Try again later."
                ) from None
            if isinstance(e, RateLimitError):
                client.budget.refused(delay)  # every caller in the process slows down, not this one alone
            sleep(delay)
            found = find_by_name(client.list_snapshots(server_id=server_id), name, server_id)
            if found is not None:  # made after all (or by someone else meanwhile): never post a second
                return found
    raise AssertionError("unreachable")


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
        left = remaining()
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
    client: Client, mine: Snapshot, adopted: bool, seen: float, timeout: float, poll_interval: PollInterval
) -> tuple[Snapshot, bool]:
    """After completion, by a certain list of the server read since: the newest kept one if it shows ``mine``
    completed, else one begun after ``seen`` (when completion was seen). If several usable snapshots share the name,
    the lowest id survives (see module doc)."""
    server_id = mine.server_id
    snaps = listing.showing_completed(client, server_id, mine.id)
    if snaps is None:
        snaps = listing.server_snapshots(client, server_id, since=seen)
    winner = find_by_name(snaps, mine.name, server_id)
    if winner is None or winner.id >= mine.id:
        return mine, adopted
    if not winner.is_completed:
        try:
            winner = wait_for_snapshot(client, winner, timeout=timeout, poll_interval=poll_interval)
        except VpsorgError:  # the other one failed or is not done in time: ours stays, and is recorded
            return mine, adopted
    if not adopted:  # ours is the duplicate: remove it; one we adopted is its maker's to remove
        try:
            with listing.writing(client, server_id, None):
                client.delete_snapshot(mine.id)
        except NotFoundError:
            pass
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
            with listing.writing(client, failed.server_id, None):
                client.delete_snapshot(failed.id)
            outcome = "It has been deleted; nothing is left behind."
        except NotFoundError:
            outcome = "It is already gone."
        except VpsorgError as d:
            outcome = f"Deleting it failed ({d}); delete it with `vpsorg snapshots delete {failed.id} --yes`."
        raise SnapshotFailedError(f"{e} {outcome} Try again; if it keeps failing, contact VPS.org.", failed) from None


def delete_snapshot(client: Client, snapshot_id: int, server_id: int | None = None, *, timeout: float = 3600.0) -> bool:
    """Delete a snapshot, waiting first (up to ``timeout``) if it is still being created.

    Returns False when it was already gone. With ``server_id`` known, the server's list is checked first (shared
    with other callers in the process), so a snapshot in progress is waited for instead of refused. Everything,
    retries included, ends within ``timeout`` seconds.
    """
    with deadline(timeout), listing.busy(client, server_id, reading=True):
        return _delete(client, snapshot_id, server_id, timeout)


def _delete(client: Client, snapshot_id: int, server_id: int | None, timeout: float) -> bool:
    if server_id is not None:
        snap = listing.find_snapshot(client, server_id, snapshot_id, since=listing.read_since(client, server_id))
        if snap is None:
            return False
        if snap.is_in_progress:
            try:
                wait_for_snapshot(client, snap, timeout=_left(timeout))
            except SnapshotFailedError:
                pass  # a failed snapshot is deleted all the same
    try:
        with listing.writing(client, server_id, None):
            client.delete_snapshot(snapshot_id)
    except NotFoundError:
        return False
    return True
