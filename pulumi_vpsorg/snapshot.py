"""The ``Snapshot`` resource: a VPS.org server snapshot managed by Pulumi.

What each step does:

- **preview / check / diff**: validate inputs offline; no token, no network. ``server_id`` and ``name`` replace
  the snapshot; a new ``description`` is recorded in state only (the API cannot change a snapshot, and a new one
  would hold the server as it is now, not as it was); ``wait_timeout`` alone changes nothing.
- **create**: list the server's snapshots; adopt one with the same name (``adopted`` is true) or fail at the
  5-per-server limit naming those that exist; else ``POST /snapshots/`` and wait until ``completed``, then make
  sure no other process made one of the same name (the lowest id survives; see ``operations``).
- **update**: records a new ``description``; sends nothing.
- **read** (refresh, ``Snapshot.get``): list and find the id; gone only when a complete list lacks it.
- **delete**: ``DELETE /snapshots/{id}/`` (waiting first if it is still being created); already gone is fine.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import _provider
from .errors import VpsorgError, WaitTimeoutError
from .models import Snapshot as SnapshotModel, snapshot_name_problem
from .operations import delete_snapshot, take_snapshot
from .wait import list_snapshots_shared, parse_duration

DEFAULT_WAIT_TIMEOUT = 3600.0

INPUTS = ("server_id", "name", "description", "wait_timeout")
REQUIRED = ("server_id", "name")
REPLACE_ON_CHANGES = ("server_id", "name")
UPDATE_ON_CHANGES = ("description",)
OUTPUTS = (
    "snapshot_id",
    "server_id",
    "server_name",
    "name",
    "description",
    "status",
    "size_mb",
    "created_at",
    "wait_timeout",
    "adopted",
)


def check_snapshot_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Validate and normalise ``Snapshot`` inputs offline; returns ``(inputs, failures)``."""
    inputs: dict[str, Any] = {k: news.get(k) for k in INPUTS if news.get(k) is not None}
    failures: list[CheckFailure] = []

    def fail(prop: str, reason: str) -> None:
        failures.append(CheckFailure(prop, reason))

    for prop in REQUIRED:
        if news.get(prop) is None:
            what = "the id of the server to snapshot, such as 12345" if prop == "server_id" else (
                "letters, digits, hyphens and underscores, such as 'pre-upgrade'"
            )
            fail(prop, f"{prop} is required: {what}")

    server_id = news.get("server_id")
    if server_id is not None and not _provider.is_unknown(server_id):
        value, reason = _provider.positive_int("server_id", server_id, "a server id")
        if reason:
            fail("server_id", reason)
        else:
            inputs["server_id"] = value

    name = news.get("name")
    if name is not None and not _provider.is_unknown(name):
        problem = snapshot_name_problem(name)
        if problem:
            fail("name", problem)

    description = news.get("description")
    if description is not None and not _provider.is_unknown(description) and not isinstance(description, str):
        fail("description", f"description must be a string, got {type(description).__name__} {description!r}")

    timeout = news.get("wait_timeout")
    if timeout is not None and not _provider.is_unknown(timeout):
        try:
            parse_duration(timeout)
        except ValueError as e:
            fail("wait_timeout", f"wait_timeout {e}")
    return inputs, failures


def _same(prop: str, old: Any, new: Any) -> bool:
    if prop == "server_id":
        return _provider.as_int(old) == _provider.as_int(new)
    if prop == "description":
        return (old or "") == (new or "")
    return old == new


def _outputs(snap: SnapshotModel, props: dict[str, Any], adopted: bool) -> dict[str, Any]:
    """State: what the API says, with the user's own inputs kept as given (the API has no update)."""
    return {
        "snapshot_id": snap.id,
        "server_id": snap.server_id if snap.server_id is not None else _provider.as_int(props.get("server_id")),
        "server_name": snap.server.name if snap.server else None,
        "name": props.get("name") or snap.name,
        "description": props["description"] if props.get("description") is not None else snap.description,
        "status": snap.status,
        "size_mb": snap.size_mb,
        "created_at": snap.created_at,
        "wait_timeout": props.get("wait_timeout"),
        "adopted": bool(props.get("adopted", adopted)),
    }


class _SnapshotProvider(_provider._Provider):
    """The dynamic provider behind :class:`Snapshot` (module-level, so it pickles by reference)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_snapshot_inputs(news)
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _provider.changed(REPLACE_ON_CHANGES, olds, news, _same)
        updates = _provider.changed(UPDATE_ON_CHANGES, olds, news, _same)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces)

    @_provider.plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        api = _provider.client()
        server_id = int(_provider.as_int(props["server_id"]) or 0)
        name = props["name"]
        timeout = parse_duration(props.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        try:
            snap, adopted = take_snapshot(api, server_id, name, props.get("description"), timeout=timeout)
        except WaitTimeoutError as e:
            raise WaitTimeoutError(
                f"{e} It goes on, but is not recorded in this stack: the next `pulumi up` adopts "
                f"snapshot {name!r} by name and keeps waiting (raise wait_timeout if this happens often).",
                e.last_seen,
            ) from None
        return CreateResult(str(snap.id), _outputs(snap, props, adopted))

    @_provider.plain_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        api = _provider.client()
        snapshot_id = _snapshot_id(id_)
        server_id = _provider.as_int(props.get("server_id"))
        found = next((s for s in list_snapshots_shared(api, server_id) if s.id == snapshot_id), None)
        if found is None:
            return ReadResult("", {})
        outs = _outputs(found, props, adopted=False)
        return ReadResult(str(found.id), outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record the new ``description`` / ``wait_timeout``: the snapshot itself stays as it is."""
        return UpdateResult({**olds, "description": news.get("description"), "wait_timeout": news.get("wait_timeout")})

    @_provider.plain_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        timeout = parse_duration(props.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT)
        delete_snapshot(
            _provider.client(), _snapshot_id(id_), _provider.as_int(props.get("server_id")), timeout=timeout
        )


def _snapshot_id(id_: str) -> int:
    try:
        return int(id_)
    except ValueError:
        raise VpsorgError(f"{id_!r} is not a VPS.org snapshot id: ids are whole numbers such as 801.") from None


class Snapshot(pulumi.dynamic.Resource, module="vpsorg", name="Snapshot"):
    """A snapshot of a VPS.org server, taken on create and deleted on destroy.

    Stack config ``vpsorg:token`` (a secret) and ``vpsorg:endpoint``, else ``VPSORG_TOKEN`` / ``VPSORG_ENDPOINT``.

    A server holds at most 5 snapshots. Changing ``server_id`` or ``name`` takes a new snapshot and deletes the
    old one; to rotate at the limit use ``opts=ResourceOptions(delete_before_replace=True)``. Changing
    ``description`` never replaces the snapshot (a new one would hold the server as it is now): the new text is
    recorded in state, and VPS.org keeps the description it was taken with.
    If a snapshot of the same name already exists on the server it is adopted (``adopted`` is true), which is also
    how a create that timed out is picked up by the next ``pulumi up``.
    """

    snapshot_id: pulumi.Output[int]
    """The snapshot's id (also the resource id, as a string)."""
    server_id: pulumi.Output[int]
    server_name: pulumi.Output[str]
    name: pulumi.Output[str]
    description: pulumi.Output[Optional[str]]
    status: pulumi.Output[str]
    """``completed`` once created; refresh shows what the API reports now."""
    size_mb: pulumi.Output[Optional[int]]
    created_at: pulumi.Output[str]
    wait_timeout: pulumi.Output[Optional[Any]]
    adopted: pulumi.Output[bool]
    """True when an existing snapshot of the same name was taken under management instead of a new one made."""

    def __init__(
        self,
        resource_name: str,
        server_id: pulumi.Input[int] = None,  # type: ignore[assignment]
        name: pulumi.Input[str] = None,  # type: ignore[assignment]
        description: Optional[pulumi.Input[str]] = None,
        wait_timeout: Optional[pulumi.Input[Any]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        """
        :param resource_name: the Pulumi resource name.
        :param server_id: the VPS.org server to snapshot (required). Stop it first for a consistent filesystem.
        :param name: the snapshot's name (required): letters, digits, hyphens and underscores, at most 255.
        :param description: free text shown in the VPS.org panel.
        :param wait_timeout: how long create waits for ``completed``: seconds, or "90s", "20m", "1h" (default 1h).
        :param opts: resource options, e.g. ``delete_before_replace=True`` for rotation at the limit.
        """
        props: dict[str, Any] = {k: None for k in OUTPUTS}
        props.update(server_id=server_id, name=name, description=description, wait_timeout=wait_timeout)
        super().__init__(_SnapshotProvider(), resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: Optional[pulumi.ResourceOptions] = None) -> "Snapshot":
        """Look up an existing snapshot by id, read-only: Pulumi reads it and never creates or deletes it."""
        return Snapshot(resource_name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
