"""The jobs that the resources and the command line share: take a snapshot (adopting one of the same name) and
delete one. Each is a few client calls and a wait; none keeps state of its own.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from typing import Callable, Optional

from .client import Client
from .errors import (
    APIConnectionError,
    NotFoundError,
    RateLimitError,
    ServerError,
    SnapshotFailedError,
    SnapshotLimitError,
    VpsorgError,
)
from .models import Snapshot
from .wait import PollInterval, default_poll_interval, list_snapshots_shared, wait_for_snapshot

SNAPSHOT_LIMIT = 5
_POST_ATTEMPTS = 3
# Look-then-post is one step per (client, server, name) within a process, so two creates of one name never both post.
_NAME_LOCKS: defaultdict[tuple[int, int, str], threading.Lock] = defaultdict(threading.Lock)


def limit_error(server_id: int, existing: list[Snapshot], api_said: str = "") -> SnapshotLimitError:
    """The error for a server at its snapshot limit, naming the snapshots that exist."""
    names = ", ".join(f"{s.id} {s.name!r} ({s.status})" for s in existing) or "none could be listed"
    said = f" (the API said: {api_said})" if api_said else ""
    err = SnapshotLimitError(
        400,
        api_said,
        message=(
            f"Server {server_id} already has {len(existing)} of its {SNAPSHOT_LIMIT} snapshots{said}: {names}. "
            f"{SnapshotLimitError.hint}"
        ),
    )
    err.existing = existing
    return err


def find_by_name(snapshots: list[Snapshot], name: str) -> Optional[Snapshot]:
    """The newest usable (not failed) snapshot called ``name``, if any."""
    usable = [s for s in snapshots if s.name == name and not s.is_failed]
    return max(usable, key=lambda s: s.id) if usable else None


def take_snapshot(
    client: Client,
    server_id: int,
    name: str,
    description: Optional[str] = None,
    *,
    wait: bool = True,
    timeout: float = 3600.0,
    poll_interval: PollInterval = default_poll_interval,
    on_poll: Optional[Callable[[Snapshot, float], None]] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Snapshot, bool]:
    """Make sure server ``server_id`` has a snapshot called ``name``; returns ``(snapshot, adopted)``.

    A usable snapshot of that name already on the server is adopted, not duplicated. At the limit it fails before
    posting, naming the snapshots that exist. After an ambiguous POST failure (5xx, a dropped connection, a read
    timeout) it looks for the name again before any new POST, so it never makes two. With ``wait`` it returns once
    the snapshot is ``completed``; a snapshot that ends failed is deleted (best effort) and
    :class:`SnapshotFailedError` raised; a timeout raises :class:`~pulumi_vpsorg.errors.WaitTimeoutError`.
    """
    with _NAME_LOCKS[(id(client), server_id, name)]:
        existing = list_snapshots_shared(client, server_id)  # one list serves every create on the server just now
        snap = find_by_name(existing, name)
        adopted = snap is not None
        if snap is None:
            if len(existing) >= SNAPSHOT_LIMIT:
                raise limit_error(server_id, existing)
            snap, adopted = _post_without_duplicates(client, server_id, name, description, sleep)
    if wait:
        snap = _wait_or_clean_up(client, snap, timeout, poll_interval, on_poll)
    return snap, adopted


def _post_without_duplicates(
    client: Client, server_id: int, name: str, description: Optional[str], sleep: Callable[[float], None]
) -> tuple[Snapshot, bool]:
    """POST the snapshot; after an ambiguous failure look for it by name before posting again."""
    for attempt in range(_POST_ATTEMPTS):
        try:
            return client.create_snapshot(server_id, name, description), False
        except SnapshotLimitError as e:  # someone else made one since we looked
            raise limit_error(server_id, _list_quietly(client, server_id), e.api_message) from None
        except (ServerError, RateLimitError, APIConnectionError) as e:
            if isinstance(e, APIConnectionError) and not e.maybe_sent:
                raise  # never reached the server: the client already retried the connection
            failure = e
        retry_after = getattr(failure, "retry_after", None)
        sleep(retry_after if retry_after is not None else min(8.0, 1.0 * 2**attempt) * random.uniform(0.5, 1.0))
        try:
            found = find_by_name(client.list_snapshots(server_id=server_id), name)
        except VpsorgError as e:
            raise VpsorgError(
                f"Creating snapshot {name!r} on server {server_id} failed ({failure}), and listing the server's "
                f"snapshots to see whether it was made anyway failed too ({e}). Run the same command (or "
                f"`pulumi up`) again: a snapshot called {name!r} that exists by then is adopted, never duplicated."
            ) from None
        if found is not None:
            return found, False  # our own POST went through: it is ours, not adopted
    raise VpsorgError(
        f"Creating snapshot {name!r} on server {server_id} failed {_POST_ATTEMPTS} times; the last error: "
        f"{failure} No snapshot of that name exists. Try again later."
    )


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
    on_poll: Optional[Callable[[Snapshot, float], None]],
) -> Snapshot:
    try:
        return wait_for_snapshot(client, snap, timeout=timeout, poll_interval=poll_interval, on_poll=on_poll)
    except SnapshotFailedError as e:
        failed = e.snapshot
        if failed is None or not failed.is_failed:
            raise
        try:
            client.delete_snapshot(failed.id)
            outcome = "It has been deleted; nothing is left behind."
        except NotFoundError:
            outcome = "It is already gone."
        except VpsorgError as d:
            outcome = f"Deleting it failed ({d}); delete it with `vpsorg snapshots delete {failed.id} --yes`."
        raise SnapshotFailedError(f"{e} {outcome} Try again; if it keeps failing, contact VPS.org.", failed) from None


def delete_snapshot(
    client: Client, snapshot_id: int, server_id: Optional[int] = None, *, timeout: float = 3600.0
) -> bool:
    """Delete a snapshot, waiting first (up to ``timeout``) if it is still being created.

    Returns False when it was already gone. With ``server_id`` known, the server's list is checked first (shared
    with other callers in the process), so a snapshot in progress is waited for instead of refused.
    """
    if server_id is not None:
        snap = next((s for s in list_snapshots_shared(client, server_id) if s.id == snapshot_id), None)
        if snap is None:
            return False
        if snap.is_in_progress:
            try:
                wait_for_snapshot(client, snap, timeout=timeout)
            except SnapshotFailedError:
                pass  # a failed snapshot is deleted all the same
    try:
        client.delete_snapshot(snapshot_id)
    except NotFoundError:
        return False
    return True
