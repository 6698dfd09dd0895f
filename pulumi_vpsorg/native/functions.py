"""The plugin's functions: ``vpsorg:index:getSnapshots`` and ``vpsorg:index:getSnapshot``, what a rollback program
uses to pick its restore point. Both read the API (in preview too, like every Pulumi function)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import listing, spec
from ..client import Client
from ..errors import NotFoundError
from ..models import Snapshot
from ..safety import SAFETY_PREFIX, is_safety_snapshot
from ._values import camel


@dataclass(frozen=True)
class Function:
    declared: spec.Function
    run: Callable[[Client, dict[str, Any]], dict[str, Any]]
    rule: Callable[[dict[str, Any]], tuple[str, str] | None] = lambda _: None  # a rule across arguments

    def parse(self, args: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The arguments checked by the spec's rules, before any API call; failures named as the schema names them."""
        values, failures = spec.check(args, self.declared.args, camel)
        broken = None if failures else self.rule(values)
        return values, failures + ([broken] if broken else [])


def _server_or_snapshot(values: dict[str, Any]) -> tuple[str, str] | None:
    if values.get("snapshot_id") is None and values.get("server_id") is None:
        return "serverId", "serverId is required unless snapshotId is given, such as 12345"
    return None


def info(snap: Snapshot) -> dict[str, Any]:
    """A snapshot as the functions return it (``vpsorg:index:SnapshotInfo``, camelCase at every level)."""
    fields = {
        "snapshot_id": snap.id,
        "server_id": snap.server_id,
        "server_name": snap.server.name if snap.server else None,
        "name": snap.name,
        "description": snap.description,
        "status": snap.status,
        "size_mb": snap.size_mb,
        "created_at": snap.created_at,
    }
    return {camel(k): v for k, v in fields.items()}


def _matching(api: Client, args: dict[str, Any]) -> list[Snapshot]:
    """The server's snapshots matching the filters, newest first (``created_at``, then id)."""
    server_id = args["server_id"]
    listed = listing.snapshots_now(api, server_id)  # a list begun now: the newest in it
    found = [
        s
        for s in listed
        if s.server_id == server_id
        and (args.get("name") is None or s.name == args["name"])
        and s.name.startswith(args.get("name_prefix") or "")
        and (args.get("status") is None or s.status == args["status"])
    ]
    return sorted(found, key=lambda s: (s.created_at or "", s.id), reverse=True)


def _wanted(snap: Snapshot, args: dict[str, Any]) -> bool:
    """A safety snapshot (taken before a restore) is never the newest restore point unless asked for by name or prefix:
    a rollback that picks the newest would otherwise undo the last one."""
    return not is_safety_snapshot(snap) or bool(
        args.get("name") or (args.get("name_prefix") or "").startswith(SAFETY_PREFIX)
    )


def get_snapshots(api: Client, args: dict[str, Any]) -> dict[str, Any]:
    return {"snapshots": [info(s) for s in _matching(api, args)]}


def get_snapshot(api: Client, args: dict[str, Any]) -> dict[str, Any]:
    snapshot_id, server_id = args.get("snapshot_id"), args.get("server_id")
    if snapshot_id is not None:
        snap = listing.snapshot_by_id(api, snapshot_id, server_id)
        if snap is None or (server_id is not None and snap.server_id != server_id):
            on = f" on server {server_id}" if server_id is not None else ""
            raise NotFoundError(
                404,
                "",
                message=f"Snapshot {snapshot_id} does not exist{on} (or this token cannot see it): "
                "`vpsorg snapshots list` shows the ones that do.",
            )
        return info(snap)
    matching = [s for s in _matching(api, args) if _wanted(s, args)]
    if not matching:
        wanted = ", ".join(f"{camel(k)} {v!r}" for k, v in args.items() if v is not None and k != "server_id")
        raise NotFoundError(
            404,
            "",
            message=f"Server {server_id} has no snapshot{' with ' + wanted if wanted else ''}: "
            f"`vpsorg snapshots list --server {server_id}` shows the ones it has.",
        )
    return info(matching[0])


FUNCTIONS: dict[str, Function] = {
    spec.GET_SNAPSHOTS.token: Function(spec.GET_SNAPSHOTS, get_snapshots),
    spec.GET_SNAPSHOT.token: Function(spec.GET_SNAPSHOT, get_snapshot, _server_or_snapshot),
}
