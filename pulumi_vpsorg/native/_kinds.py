"""The two resource types of the native plugin, each a table of the dynamic resource's own rules and steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import restore, snapshot
from .._progress import restore_line, snapshot_line
from .._provider import Field


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
        progress=snapshot_line,
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
        progress=restore_line,
    ),
}
