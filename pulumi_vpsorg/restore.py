"""The ``SnapshotRestore`` resource: restore a server from a snapshot, once, when the program says so.

What each step does:

- **preview / check / diff**: validate inputs offline; never restores, never calls the API.
- **create**: exactly one ``POST /snapshots/{id}/restore/`` (never retried once it may have reached VPS.org), then
  with ``wait`` poll the servers list until the server is no longer ``restoring``.
- **update**: a change of ``snapshot_id`` or ``triggers`` replaces the resource, which restores again; a change of
  ``wait`` or ``wait_timeout`` alone does nothing.
- **read** (refresh): returns the recorded state; never restores and never calls the API.
- **delete**: does nothing at all: it does not delete the snapshot and does not undo the restore.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional, Sequence

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import _provider
from .errors import APIConnectionError, VpsorgError
from .wait import format_duration, parse_duration, wait_for_restore

DEFAULT_WAIT_TIMEOUT = 1800.0

INPUTS = ("snapshot_id", "triggers", "wait", "wait_timeout")
REQUIRED = ("snapshot_id",)
REPLACE_ON_CHANGES = ("snapshot_id", "triggers")
OUTPUTS = (
    "snapshot_id",
    "triggers",
    "wait",
    "wait_timeout",
    "server_id",
    "server_name",
    "server_status",
    "message",
    "restored_at",
)


def check_restore_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validate and normalise ``SnapshotRestore`` inputs offline; returns ``(inputs, failures)``."""
    inputs: dict[str, Any] = {k: news.get(k) for k in INPUTS if news.get(k) is not None}
    failures: list[CheckFailure] = []
    snapshot_id = news.get("snapshot_id")
    if snapshot_id is None:
        failures.append(CheckFailure("snapshot_id", "snapshot_id is required: the id of the snapshot to restore"))
    elif not _provider.is_unknown(snapshot_id):
        value, reason = _provider.positive_int("snapshot_id", snapshot_id, "a snapshot id")
        if reason:
            failures.append(CheckFailure("snapshot_id", reason))
        else:
            inputs["snapshot_id"] = value
    triggers = news.get("triggers")
    if triggers is not None and not _provider.is_unknown(triggers) and not isinstance(triggers, (list, tuple)):
        failures.append(CheckFailure("triggers", f"triggers must be a list, got {type(triggers).__name__}"))
    wait = news.get("wait")
    if wait is not None and not _provider.is_unknown(wait) and not isinstance(wait, bool):
        failures.append(CheckFailure("wait", f"wait must be true or false, got {wait!r}"))
    timeout = news.get("wait_timeout")
    if timeout is not None and not _provider.is_unknown(timeout):
        try:
            parse_duration(timeout)
        except ValueError as e:
            failures.append(CheckFailure("wait_timeout", f"wait_timeout {e}"))
    return inputs, failures


def _same(prop: str, old: Any, new: Any) -> bool:
    if prop == "snapshot_id":
        return _provider.as_int(old) == _provider.as_int(new)
    return _normal(old or []) == _normal(new or [])


def _normal(value: Any) -> Any:
    """Triggers compare by value: floats that are whole numbers equal ints (numbers arrive as floats)."""
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _RestoreProvider(_provider._Provider):
    """The dynamic provider behind :class:`SnapshotRestore` (module-level, so it pickles by reference)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_restore_inputs(news)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _provider.changed(REPLACE_ON_CHANGES, olds, news, _same)
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=True)

    @_provider.plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        api = _provider.client()
        snapshot_id = int(_provider.as_int(props["snapshot_id"]) or 0)
        wait = props.get("wait", True) is not False
        timeout = parse_duration(props.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        outs: dict[str, Any] = {k: props.get(k) for k in INPUTS}
        outs["snapshot_id"] = snapshot_id
        outs["restored_at"] = started
        try:
            response = api.restore_snapshot(snapshot_id)
        except APIConnectionError as e:
            if not e.maybe_sent:
                raise VpsorgError(f"Restore of snapshot {snapshot_id} was not sent: {e}") from None
            raise VpsorgError(
                f"The restore request for snapshot {snapshot_id} may or may not have reached VPS.org: {e} "
                "It was not recorded, so the next `pulumi up` sends it again: first check the server "
                "(`vpsorg servers`) and wait while it is `restoring`."
            ) from None
        server_ref = response.server
        outs.update(
            server_id=server_ref.id if server_ref else None,
            server_name=server_ref.name if server_ref else None,
            server_status=server_ref.status if server_ref else None,
            message=response.message,
        )
        if wait and server_ref is not None:
            # From here on the restore has been accepted: whatever happens, create succeeds and records it, so
            # that a later `pulumi up` never restores a second time.
            try:
                server = wait_for_restore(api, server_ref.id, timeout=timeout)
                outs["server_status"] = server.status
            except VpsorgError as e:
                last = getattr(e, "last_seen", None)
                outs["server_status"] = getattr(last, "status", None) or outs["server_status"]
                outs["message"] = (
                    f"{response.message or 'Restore started.'} Waiting for the server stopped after "
                    f"{format_duration(timeout)}: {e} The restore goes on; it will not be sent again."
                )
        return CreateResult(f"{snapshot_id}@{started}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**olds, "wait": news.get("wait"), "wait_timeout": news.get("wait_timeout")})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class SnapshotRestore(pulumi.dynamic.Resource, module="vpsorg", name="SnapshotRestore"):
    """Restores a server from a snapshot, once. **Dangerous**: it overwrites all data on the snapshot's server,
    stops the server first, and cannot be undone.

    - create: sends exactly one restore request, then (with ``wait``, the default) waits until the server is no
      longer ``restoring``, within ``wait_timeout`` (default 30 minutes). If that wait runs out or fails, create
      still succeeds and records the restore (``server_status`` shows the last status seen, ``message`` says
      why), because sending it a second time would be worse.
    - a later ``pulumi up`` with the same inputs does nothing; a new ``snapshot_id`` or new ``triggers`` replace
      the resource and restore again; ``wait`` / ``wait_timeout`` alone change nothing.
    - preview and refresh never restore; destroy does nothing (the snapshot is left alone).
    """

    snapshot_id: pulumi.Output[int]
    triggers: pulumi.Output[Optional[list]]
    wait: pulumi.Output[Optional[bool]]
    wait_timeout: pulumi.Output[Optional[Any]]
    server_id: pulumi.Output[int]
    server_name: pulumi.Output[str]
    server_status: pulumi.Output[str]
    """The server's status when create finished: ``active`` after a completed restore."""
    message: pulumi.Output[str]
    restored_at: pulumi.Output[str]
    """When the restore request was sent (UTC, ISO 8601)."""

    def __init__(
        self,
        resource_name: str,
        snapshot_id: pulumi.Input[int] = None,  # type: ignore[assignment]
        triggers: Optional[pulumi.Input[Sequence[Any]]] = None,
        wait: Optional[pulumi.Input[bool]] = None,
        wait_timeout: Optional[pulumi.Input[Any]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        """
        :param resource_name: the Pulumi resource name.
        :param snapshot_id: the snapshot to restore (required); its own server is overwritten.
        :param triggers: any values; when they change, the resource is replaced and the restore runs again.
        :param wait: wait until the server is no longer ``restoring`` (default true).
        :param wait_timeout: how long to wait: seconds, or "90s", "20m", "1h" (default 30m).
        """
        props: dict[str, Any] = {k: None for k in OUTPUTS}
        props.update(snapshot_id=snapshot_id, triggers=triggers, wait=wait, wait_timeout=wait_timeout)
        super().__init__(_RestoreProvider(), resource_name, props, opts)
