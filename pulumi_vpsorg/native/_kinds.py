"""The two resource types of the native plugin, each a table of the dynamic resource's own rules and steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import restore, snapshot
from .._provider import Field
from ..durations import format_duration
from ..models import RESTORING, Server
from ..models import Snapshot as SnapshotModel


@dataclass(frozen=True)
class Kind:
    """What the plugin does for one resource type: the same fields, diff rules and steps as the dynamic resource."""

    fields: dict[str, Field]
    replace_on_changes: tuple[str, ...]
    update_on_changes: tuple[str, ...]
    same: Callable[[str, Any, Any], bool]
    delete_before_replace: bool
    create: Callable[..., Any]
    read: Callable[..., Any] | None  # None: refresh returns the state as recorded, no API call
    update: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    delete: Callable[..., None] | None  # None: delete does nothing
    progress: Callable[[Any, float], tuple[str, bool]]  # a line while a step waits; whether the wait is over


def _snapshot_line(snap: SnapshotModel | None, waited: float) -> tuple[str, bool]:
    if snap is None:
        return f"waiting for the snapshot ({format_duration(waited)} so far)", False
    return f"snapshot {snap.id} {snap.name!r} is {snap.status} ({format_duration(waited)} waited)", not (
        snap.is_in_progress
    )


def _restore_line(seen: Server | SnapshotModel | None, waited: float) -> tuple[str, bool]:
    """A restore waits for its safety snapshot, then for the server."""
    if isinstance(seen, SnapshotModel):
        line, done = _snapshot_line(seen, waited)
        return f"safety {line}", done
    return _server_line(seen, waited)


def _server_line(server: Server | None, waited: float) -> tuple[str, bool]:
    if server is None:
        return f"restore: waiting for the server ({format_duration(waited)} so far)", False
    done = server.status != RESTORING
    return f"restore: server {server.id} is {server.status} ({format_duration(waited)} waited)", done


SNAPSHOT = "vpsorg:index:Snapshot"
RESTORE = "vpsorg:index:SnapshotRestore"

KINDS: dict[str, Kind] = {
    SNAPSHOT: Kind(
        fields=snapshot.FIELDS,
        replace_on_changes=snapshot.REPLACE_ON_CHANGES,
        update_on_changes=snapshot.UPDATE_ON_CHANGES,
        same=snapshot.same_value,
        delete_before_replace=False,
        create=snapshot.create_step,
        read=snapshot.read_step,
        update=snapshot.updated_state,
        delete=snapshot.delete_step,
        progress=_snapshot_line,
    ),
    RESTORE: Kind(
        fields=restore.FIELDS,
        replace_on_changes=restore.REPLACE_ON_CHANGES,
        update_on_changes=restore.UPDATE_ON_CHANGES,
        same=restore.same_value,
        delete_before_replace=True,
        create=restore.create_step,
        read=None,
        update=restore.updated_state,
        delete=None,
        progress=_restore_line,
    ),
}
