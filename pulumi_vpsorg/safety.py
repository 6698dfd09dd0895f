"""Restores with a safety snapshot: the server as it is now is kept before a restore overwrites it, and that
snapshot, which lives at VPS.org, is the record that a restore was started.

    take the safety snapshot (wait until completed)  ->  POST /snapshots/{target}/restore/  (once)

The safety snapshot's name says who asked for the restore: a ``SnapshotRestore`` names it by its project, stack,
resource name and ``triggers`` (:func:`resource_safety_name`), the command line by the target and the time
(:func:`command_safety_name`). Before anything is sent, the server's snapshots are looked at:

- an earlier safety snapshot of the same name, **completed**: an earlier run (perhaps on another machine, perhaps
  killed) got as far as the restore and may have sent it, so it is **never sent again** (:class:`Restore` says so);
- one **in progress**: an earlier run stopped while it was being taken, before any restore was sent: it is waited
  for, then the restore is sent;
- none, and the server is ``restoring``: someone else's restore; :class:`RestoreRefusedError`, nothing sent.

At the 5-per-server limit, room is made only by deleting the oldest completed safety snapshot of that server
(never the restore's target, never a snapshot this package did not make); with none to delete it fails before
anything is sent, naming the five.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from . import listing
from .client import Client
from .errors import NotFoundError, VpsorgError
from .models import RESTORING, Server, Snapshot
from .operations import (
    SNAPSHOT_LIMIT,
    RestoreOutcome,
    limit_error,
    restore_once,
    server_by_id,
    take_snapshot,
    time_left,
)
from .rules import normal_value

log: logging.Logger = logging.getLogger("pulumi_vpsorg")

SAFETY_PREFIX = "vpsorg-safety-"
_COMMAND_PREFIX = f"{SAFETY_PREFIX}cli-"
COMMAND_MEMORY = timedelta(days=1)  # how long a command's safety snapshot stops a re-run from restoring again


class RestoreRefusedError(VpsorgError):
    """Nothing was sent: the restore would not be safe (someone else's restore under way, no room, no target)."""


def resource_safety_name(resource: str, triggers: Any) -> str:
    """The safety snapshot's name for one ``SnapshotRestore`` (``project/stack/name``) and one value of its
    ``triggers``: the same on every machine and every re-run, a new one for new triggers."""
    text = json.dumps([resource, normal_value(triggers or [])], sort_keys=True, separators=(",", ":"), default=str)
    return f"{SAFETY_PREFIX}{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def command_safety_name(target_id: int, now: datetime | None = None) -> str:
    """The safety snapshot's name for a restore of ``target_id`` from the command line, at ``now`` (UTC)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S")
    return f"{_COMMAND_PREFIX}{target_id}-{stamp}"


def is_safety_snapshot(snap: Snapshot) -> bool:
    return snap.name.startswith(SAFETY_PREFIX)


def newest_safety_snapshot(snaps: Sequence[Snapshot]) -> Snapshot | None:
    """The newest completed safety snapshot of ``snaps`` (what ``vpsorg rollback --undo`` restores)."""
    ours = [s for s in snaps if is_safety_snapshot(s) and s.is_completed]
    return max(ours, key=lambda s: (s.created_at or "", s.id)) if ours else None


def by_name(name: str) -> Callable[[Sequence[Snapshot]], Snapshot | None]:
    """A resource's record: its safety snapshot, by its exact name (the lowest id, when there are two)."""
    return lambda snaps: min((s for s in snaps if s.name == name and not s.is_failed), key=lambda s: s.id, default=None)


def recent_command_record(
    target_id: int, now: datetime | None = None
) -> Callable[[Sequence[Snapshot]], Snapshot | None]:
    """A command's record: the newest safety snapshot a command took for ``target_id`` within a day."""
    prefix = f"{_COMMAND_PREFIX}{target_id}-"
    since = (now or datetime.now(timezone.utc)) - COMMAND_MEMORY

    def find(snaps: Sequence[Snapshot]) -> Snapshot | None:
        recent = [s for s in snaps if s.name.startswith(prefix) and not s.is_failed and _taken_after(s, since)]
        return max(recent, key=lambda s: (s.created_at or "", s.id), default=None)

    return find


def _taken_after(snap: Snapshot, since: datetime) -> bool:
    try:
        taken = datetime.fromisoformat((snap.created_at or "").replace("Z", "+00:00"))
    except ValueError:
        return True  # no usable time: count it, so that nothing is restored twice
    return taken.tzinfo is None or taken >= since


@dataclass(frozen=True)
class Restore:
    """What :func:`restore_with_safety_snapshot` did.

    ``outcome`` is the restore sent now (as :func:`~pulumi_vpsorg.operations.restore_once` tells it), or None when
    an earlier run's safety snapshot ``safety`` was found completed: that run may have sent the restore, so it was
    not sent again (``server`` says whether the server is restoring now).
    """

    safety: Snapshot | None
    server: Server | None
    outcome: RestoreOutcome | None

    @property
    def earlier_run(self) -> bool:
        return self.outcome is None

    def earlier_run_message(self, target_id: int, again: str) -> str:
        """What to tell a user when an earlier run's record stopped the restore (``again``: how to restore anyway)."""
        assert self.safety is not None
        sid = self.server.id if self.server is not None else self.safety.server_id
        state = (
            "The server is restoring now: that restore is under way."
            if self.server is not None and self.server.status == RESTORING
            else f"Check the server (`vpsorg servers get {sid}`) to see whether it holds the restored data."
        )
        return (
            f"An earlier run (perhaps interrupted, perhaps on another machine) took safety snapshot {self.safety.id} "
            f"{self.safety.name!r} of server {sid} at {self.safety.created_at or 'an unknown time'} and may have sent "
            f"the restore of snapshot {target_id}, so it was not sent again. {state} {again}"
        )


def restore_with_safety_snapshot(
    client: Client,
    target_id: int,
    *,
    name: str,
    earlier: Callable[[Sequence[Snapshot]], Snapshot | None],
    description: str,
    on_poll: Callable[[Snapshot, float], None] | None = None,
) -> Restore:
    """Take safety snapshot ``name`` of the target's server, wait until it is completed, then restore ``target_id``
    with one request at most (see the module docstring). ``earlier`` finds an earlier run's record among the
    server's snapshots. Bounded by the thread's deadline (the caller's ``deadline``).
    """
    target = _target(client, target_id)
    server_id = target.server_id
    assert server_id is not None  # _target found it in a list of the account: every snapshot there has a server
    server = server_by_id(client, server_id)
    snaps = listing.snapshots_now(client, server_id)  # read now, never a kept one
    found = earlier(snaps)
    if found is not None and found.is_completed:
        return Restore(found, server, None)
    if server is not None and server.status == RESTORING:
        raise RestoreRefusedError(
            f"Server {server_id} ({server.name}) is restoring, and not from a restore this run or an earlier run of it "
            f"started (no safety snapshot {name!r}): someone else's restore is under way. Nothing was sent. Wait "
            f"until `vpsorg servers get {server_id}` shows it active, make sure that restore is not the one you "
            "wanted, then run again."
        )
    if found is None and len(snaps) >= SNAPSHOT_LIMIT:
        make_room(client, server_id, snaps, keep=target)
    safety, _ = take_snapshot(
        client, server_id, found.name if found else name, description, timeout=time_left(3600.0), on_poll=on_poll
    )
    try:
        outcome = restore_once(client, target_id, server_id)
    except VpsorgError as e:  # provably not sent: the safety snapshot must not stand as a record of a restore
        raise VpsorgError(f"{e} {_discard_unless_restoring(client, safety)}") from None
    if outcome.already_restoring:
        raise RestoreRefusedError(
            f"Server {server_id} started restoring while its safety snapshot was taken: another restore is under "
            f"way. Nothing was sent. {_discard_unless_restoring(client, safety)}"
        )
    return Restore(safety, server, outcome)


def _target(client: Client, target_id: int) -> Snapshot:
    """The snapshot to restore, from a list of the account; refused before anything is sent unless completed."""
    target = listing.snapshot_by_id(client, target_id)  # an account list that cannot tell raises: nothing is sent
    if target is None or target.server_id is None:
        raise NotFoundError(
            404,
            "",
            message=f"Snapshot {target_id} does not exist (or this token cannot see it, or VPS.org's list of the "
            "account did not show it): nothing was sent. `vpsorg snapshots list` shows the ones that do.",
        )
    if not target.is_completed:
        raise RestoreRefusedError(
            f"Snapshot {target_id} {target.name!r} is {target.status}; only a completed snapshot can be restored. "
            "Nothing was sent: wait for the running operation to finish (`vpsorg snapshots get "
            f"{target_id}`), then run again."
        )
    return target


def make_room(client: Client, server_id: int, snaps: Sequence[Snapshot], *, keep: Snapshot) -> Snapshot:
    """Delete the oldest completed safety snapshot of the server (never ``keep``) to make room for one more;
    :class:`~pulumi_vpsorg.errors.SnapshotLimitError` naming the snapshots when there is none."""
    candidates = [s for s in snaps if is_safety_snapshot(s) and s.is_completed and s.id != keep.id]
    if not candidates:
        raise limit_error(server_id, list(snaps)).with_hint(
            "A safety snapshot is taken before every restore, and room is made only by deleting an older safety "
            "snapshot, never one you made. Nothing was sent. Either delete one of them (`vpsorg snapshots delete "
            "ID --yes`) and run again, or restore without a safety snapshot (`safetySnapshot: false` on the "
            "resource, `--no-safety-snapshot` on the command line)."
        )
    oldest = min(candidates, key=lambda s: (s.created_at or "", s.id))
    try:
        client.delete_snapshot(oldest.id, server_id=server_id)
    except NotFoundError:
        pass
    log.warning(
        "deleted safety snapshot %s %r of server %s to make room for a new one", oldest.id, oldest.name, server_id
    )
    return oldest


def _discard_unless_restoring(client: Client, safety: Snapshot) -> str:
    """What becomes of a safety snapshot whose restore was provably not sent: deleted, so that it does not read as a
    record of one; but kept while the server is restoring, since that restore may be another run's of the same
    resource and trigger (which took, or adopted, this same safety snapshot) and then it is that run's record."""
    assert safety.server_id is not None
    try:
        server = server_by_id(client, safety.server_id)
    except VpsorgError:
        server = None
    if server is None or server.status == RESTORING:
        return (
            f"Its safety snapshot {safety.id} {safety.name!r} is kept: another restore may be under way, and it may be "
            "that run's record, so the next run will not restore unless `triggers` change (`--force` for vpsorg). "
            f"Check the server (`vpsorg servers get {safety.server_id}`)."
        )
    return _discard(client, safety)


def _discard(client: Client, safety: Snapshot) -> str:
    """Delete a safety snapshot whose restore was provably not sent (it must not read as a record of one)."""
    try:
        client.delete_snapshot(safety.id, server_id=safety.server_id)
    except NotFoundError:
        pass
    except VpsorgError as e:
        return (
            f"Its safety snapshot {safety.id} {safety.name!r} could not be deleted ({e}): delete it "
            f"(`vpsorg snapshots delete {safety.id} --yes`) before running again, or the next run will take it as a "
            "sign that the restore was sent."
        )
    return f"Its safety snapshot {safety.id} was deleted (the server did not change)."
