"""The resource types of the native plugin: each the spec's declaration with the steps the dynamic resource runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import restore, series, snapshot, spec
from .._progress import restore_line, snapshot_line


@dataclass(frozen=True)
class Kind:
    """What the plugin does for one resource type: the spec's properties and rules, and the dynamic resource's steps."""

    declared: spec.Resource
    added: str  # the property the front door adds: where the resource is declared (from its URN)
    create: Callable[..., spec.Done]
    read: Callable[..., spec.Done] | None  # None: refresh returns the state as recorded, no API call
    update: Callable[..., dict[str, Any]]  # (olds, news, spell), or with ``update_calls_api`` (client, olds, news, ...)
    update_calls_api: bool
    delete: Callable[..., None] | None  # None: delete does nothing
    progress: Callable[[Any, float], tuple[str, bool]]  # a line while a step waits; whether the wait is over


SNAPSHOT = spec.SNAPSHOT.token
RESTORE = spec.RESTORE.token
SERIES = spec.SERIES.token

KINDS: dict[str, Kind] = {
    SNAPSHOT: Kind(
        declared=spec.SNAPSHOT,
        added=snapshot.STACK,
        create=snapshot.create_step,
        read=snapshot.read_step,
        update=snapshot.updated_state,
        update_calls_api=False,
        delete=snapshot.delete_step,
        progress=snapshot_line,
    ),
    RESTORE: Kind(
        declared=spec.RESTORE,
        added=restore.RESOURCE,
        create=restore.create_step,
        read=None,
        update=restore.updated_state,
        update_calls_api=False,
        delete=None,
        progress=restore_line,
    ),
    SERIES: Kind(
        declared=spec.SERIES,
        added=series.STACK,
        create=series.create_step,
        read=series.read_step,
        update=series.update_step,
        update_calls_api=True,
        delete=series.delete_step,
        progress=snapshot_line,
    ),
}
