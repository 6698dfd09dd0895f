"""The ``Snapshot`` resource: a VPS.org server snapshot managed by Pulumi.

What each step does:

- **preview / check / diff**: validate inputs offline; no token, no network. ``server_id`` and ``name`` replace
  the snapshot; a new ``description`` is recorded in state only (the API cannot change a snapshot, and a new one
  would hold the server as it is now, not as it was); ``wait_timeout`` alone changes nothing.
- **create**: list the server's snapshots; adopt one with the same name (``adopted`` is true) or fail at the
  5-per-server limit naming those that exist; else ``POST /snapshots/`` and wait until ``completed``, then make
  sure no other process made one of the same name (the lowest id survives; see ``operations``).
- **update**: records a new ``description``; sends nothing.
- **read** (refresh): list and find the id; dropped from state only when a complete list lacks it (an incomplete
  one keeps the state as it was, with a warning). ``Snapshot.get`` of an id that does not exist fails, naming it.
- **delete**: ``DELETE /snapshots/{id}/`` (waiting first if it is still being created); already gone is fine. A
  snapshot adopted from another stack (``managed_by``) is left in place: that stack deletes it.

A snapshot this provider takes carries the taking stack in the description VPS.org keeps
(``... [pulumi stack: organization/project/stack]``): that is how adoption tells another stack's snapshot from
one an interrupted run of this stack left behind (which is its own, and deleted on destroy).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import _provider
from ._program import end_quietly_when_cancelled
from ._provider import Field
from .durations import parse_duration
from .errors import NotFoundError, SnapshotLimitError, VpsorgError, WaitTimeoutError
from .rules import snapshot_name_problem

if TYPE_CHECKING:  # the steps import the client's modules when they run: a Pulumi program needs none of them
    from .client import Client
    from .models import Snapshot as SnapshotModel

DEFAULT_WAIT_TIMEOUT = 3600.0
log: logging.Logger = logging.getLogger("pulumi_vpsorg")

FIELDS: dict[str, Field] = {
    "server_id": Field(
        _provider.positive("server_id", "a server id"), required="the id of the server to snapshot, such as 12345"
    ),
    "name": Field(
        lambda v: (v, snapshot_name_problem(v)),
        required="letters, digits, hyphens and underscores, such as 'pre-upgrade'",
    ),
    "description": Field(_provider.of_type("description", str, "a string")),
    "wait_timeout": Field(_provider.duration("wait_timeout")),
}
INPUTS = tuple(FIELDS)
REQUIRED = tuple(k for k, f in FIELDS.items() if f.required)
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
    "managed_by",
)
STACK = "stack"  # a property the program adds: the stack declaring the resource (organization/project/stack)


@dataclass(frozen=True)
class SnapshotArgs:
    """The inputs of a :class:`Snapshot`.

    Attributes:
        server_id: the VPS.org server to snapshot. Stop it first for a consistent filesystem.
        name: the snapshot's name: letters, digits, hyphens and underscores, at most 255. With ``server_id`` it is
            the snapshot's identity: a change takes a new snapshot.
        description: free text shown in the VPS.org panel, sent when the snapshot is taken; a later change is
            recorded in state only.
        wait_timeout: how long create waits for ``completed``: seconds, or "90s", "20m", "1h30m" (default 1h).
    """

    server_id: pulumi.Input[int]
    name: pulumi.Input[str]
    description: pulumi.Input[str] | None = None
    wait_timeout: pulumi.Input[str | float] | None = None


@dataclass(frozen=True)
class _Inputs:
    """A Snapshot's properties (inputs or state) as the steps after ``check`` use them: parsed by ``FIELDS``."""

    server_id: int | None
    name: str | None
    description: str | None
    timeout: float

    @classmethod
    def of(cls, props: dict[str, Any]) -> _Inputs:
        values = _provider.parsed({k: v for k, v in props.items() if k in FIELDS}, _optional(FIELDS))
        return cls(
            server_id=values.get("server_id"),
            name=values.get("name"),
            description=values.get("description"),
            timeout=parse_duration(values.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT),
        )


def _optional(table: dict[str, Field]) -> dict[str, Field]:
    """State read back (refresh, delete, ``Snapshot.get``) may lack what inputs require."""
    return {k: Field(f.parse) for k, f in table.items()}


def check_snapshot_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """Validate and normalise ``Snapshot`` inputs offline; returns ``(inputs, failures)``."""
    return _provider.parse_props(news, FIELDS)


def same_value(prop: str, old: Any, new: Any) -> bool:
    if prop == "server_id":
        return _provider.as_int(old) == _provider.as_int(new)
    if prop == "description":
        return bool((old or "") == (new or ""))
    return bool(old == new)


def _outputs(
    snap: SnapshotModel, props: dict[str, Any], adopted: bool, managed_by: str | None = None
) -> dict[str, Any]:
    """State: what the API says, with the user's own inputs kept as given (the API has no update)."""
    from .operations import without_owner

    return {
        "snapshot_id": snap.id,
        "server_id": snap.server_id if snap.server_id is not None else _provider.as_int(props.get("server_id")),
        "server_name": snap.server.name if snap.server else None,
        "name": props.get("name") or snap.name,
        "description": props["description"] if "description" in props else without_owner(snap.description),
        "status": snap.status,
        "size_mb": snap.size_mb,
        "created_at": snap.created_at,
        "wait_timeout": props.get("wait_timeout"),
        "adopted": bool(props.get("adopted", adopted)),
        "managed_by": props.get("managed_by", managed_by),
    }


class _SnapshotProvider(_provider._Provider):
    """The dynamic provider behind :class:`Snapshot` (module-level, so it pickles by reference)."""

    @_provider.step()
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_snapshot_inputs(news)
        if isinstance(news.get(STACK), str):
            inputs[STACK] = news[STACK]
        return CheckResult(inputs, failures)

    @_provider.step()
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _provider.changed(REPLACE_ON_CHANGES, olds, news, same_value)
        updates = _provider.changed(UPDATE_ON_CHANGES, olds, news, same_value)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces)

    @_provider.step("snapshot_line")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return create_step(_provider.client(), props, on_poll=_provider.on_poll())

    @_provider.step()
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return read_step(_provider.client(), id_, props)

    @_provider.step()
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Record the new ``description`` / ``wait_timeout``: the snapshot itself stays as it is."""
        return UpdateResult(updated_state(olds, news))

    @_provider.step("snapshot_line")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        delete_step(_provider.client(), id_, props, on_poll=_provider.on_poll())


# ----- the steps, shared with the native plugin (pulumi_vpsorg.native) -------------------------------------------


def create_step(
    api: Client,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[SnapshotModel, float], None] | None = None,
) -> CreateResult:
    """Take (or adopt) the snapshot; ``timeout`` (the engine's customTimeouts) overrides ``wait_timeout``."""
    from .operations import owner_of, same_stack, take_snapshot

    args = _Inputs.of(props)
    assert args.server_id is not None and args.name is not None  # required: check refused it otherwise
    stack = props.get(STACK) if isinstance(props.get(STACK), str) else None
    limit = timeout or args.timeout
    try:
        snap, adopted = take_snapshot(
            api, args.server_id, args.name, args.description, timeout=limit, owner=stack, on_poll=on_poll
        )
    except SnapshotLimitError as e:
        raise e.with_hint(
            "Delete one of them (`vpsorg snapshots delete ID --yes`), or rotate this resource with "
            "`deleteBeforeReplace` (Python: `opts=pulumi.ResourceOptions(delete_before_replace=True)`)."
        ) from None
    except WaitTimeoutError as e:
        raise WaitTimeoutError(
            f"{e} It goes on, but is not recorded in this stack: the next `pulumi up` adopts "
            f"snapshot {args.name!r} by name and keeps waiting (if this happens often, raise wait_timeout, or with the "
            "plugin customTimeouts.create).",
            e.last_seen,
        ) from None
    owner = owner_of(snap)
    managed_by = owner if adopted and owner is not None and not same_stack(owner, stack) else None
    return CreateResult(str(snap.id), _outputs(snap, props, adopted, managed_by))


def read_step(api: Client, id_: str, props: dict[str, Any]) -> ReadResult:
    """Refresh (props hold ``snapshot_id``), or look up an id for ``get`` / import (an id that does not exist
    fails)."""
    from . import listing

    snapshot_id = _snapshot_id(id_)
    server_id = _Inputs.of(props).server_id
    managed = "snapshot_id" in props  # refresh of a resource this stack holds; else `Snapshot.get` or an import
    try:
        with listing.reading(api, server_id):
            found = listing.find_snapshot(api, server_id, snapshot_id, since=listing.read_since(api, server_id))
    except listing.AbsenceUncertainError as e:
        if not managed:
            raise
        log.warning("%s It stays in the stack's state as it was; refresh again later.", e)
        return ReadResult(id_, props)
    if found is None and not managed:
        raise NotFoundError(
            404,
            "",
            message=f"Snapshot {snapshot_id} does not exist (or this token cannot see it): "
            "`vpsorg snapshots list` shows the ones that do.",
        )
    if found is None:
        elsewhere = _listed_elsewhere(api, snapshot_id) if server_id is not None else None
        if elsewhere is not None:  # the server's complete list lacks it, yet the account lists it: not gone
            log.warning(
                "Snapshot %s is listed by VPS.org under server %s, not server %s as this stack recorded: it stays in "
                "the stack's state as it was. Check it with `vpsorg snapshots get %s`.",
                snapshot_id,
                elsewhere.server_id,
                server_id,
                snapshot_id,
            )
            return ReadResult(id_, props)
        return ReadResult("", {})  # gone: the engine drops it from state
    if not managed:  # an import or `get`: whose it is, and the description as its maker wrote it
        props = {**props, **_as_found(found, props.get(STACK) if isinstance(props.get(STACK), str) else None)}
    return ReadResult(str(found.id), _outputs(found, props, adopted=False))


def _listed_elsewhere(api: Client, snapshot_id: int) -> SnapshotModel | None:
    """The snapshot as a walk of the whole account lists it (under any server), or None."""
    return next((s for s in api.list_snapshots() if s.id == snapshot_id), None)


def _as_found(snap: SnapshotModel, stack: str | None) -> dict[str, Any]:
    """What an import records of a snapshot: another stack's (its description names it) stays that stack's to delete
    (``managed_by``); the description without the stack's mark, so that the program ``pulumi import`` writes
    matches the state."""
    from .operations import owner_of, same_stack, without_owner

    owner = owner_of(snap)
    return {
        "managed_by": owner if owner is not None and not same_stack(owner, stack) else None,
        "description": without_owner(snap.description),
    }


def updated_state(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    return {**olds, "description": news.get("description"), "wait_timeout": news.get("wait_timeout")}


def delete_step(
    api: Client,
    id_: str,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[SnapshotModel, float], None] | None = None,
) -> None:
    """Delete the snapshot (already gone is fine), unless another stack took it (``managed_by``)."""
    from .operations import delete_snapshot

    if props.get("managed_by"):  # adopted from the stack that took it: that stack deletes it
        log.warning("snapshot %s is left in place: stack %s took it and manages it", id_, props["managed_by"])
        return
    args = _Inputs.of(props)
    delete_snapshot(api, _snapshot_id(id_), args.server_id, timeout=timeout or args.timeout, on_poll=on_poll)


def _snapshot_id(id_: str) -> int:
    value, reason = _provider.positive_int("the resource id", id_, "a VPS.org snapshot id")
    if reason or value is None:
        raise VpsorgError(f"{id_[:40]!r} is not a VPS.org snapshot id: ids are whole numbers such as 801.")
    return value


class Snapshot(pulumi.dynamic.Resource, module="vpsorg", name="Snapshot"):
    """A snapshot of a VPS.org server, taken on create and deleted on destroy.

    Stack config ``vpsorg:token`` (a secret) and ``vpsorg:endpoint``, else ``VPSORG_TOKEN`` / ``VPSORG_ENDPOINT``.

    A server holds at most 5 snapshots. Changing ``server_id`` or ``name`` takes a new snapshot and deletes the
    old one; to rotate at the limit use ``opts=ResourceOptions(delete_before_replace=True)``. Changing
    ``description`` never replaces the snapshot (a new one would hold the server as it is now): the new text is
    recorded in state, and VPS.org keeps the description it was taken with.
    If a snapshot of the same name already exists on the server it is adopted (``adopted`` is true), which is also
    how a create that timed out is picked up by the next ``pulumi up``.

    Either ``Snapshot(name, SnapshotArgs(...), opts)`` or ``Snapshot(name, server_id=..., name=..., opts=...)``.
    """

    # For type checkers only: at run time the SDK would resolve these annotations again (typing.get_type_hints)
    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).
    if TYPE_CHECKING:
        snapshot_id: pulumi.Output[int]
        """The snapshot's id (also the resource id, as a string)."""
        server_id: pulumi.Output[int]
        """The server the snapshot is of."""
        server_name: pulumi.Output[str]
        """The server's name, as VPS.org reports it."""
        name: pulumi.Output[str]
        """The snapshot's name."""
        description: pulumi.Output[str | None]
        """The description as last set in the program."""
        status: pulumi.Output[str]
        """``completed`` once created; refresh shows what the API reports now."""
        size_mb: pulumi.Output[int | None]
        """The snapshot's size in MB, once completed."""
        created_at: pulumi.Output[str]
        """When VPS.org started the snapshot (ISO 8601)."""
        wait_timeout: pulumi.Output[str | float | None]
        """The ``wait_timeout`` input, as given."""
        adopted: pulumi.Output[bool]
        """True when an existing snapshot of the same name was taken under management instead of a new one made."""
        managed_by: pulumi.Output[str | None]
        """The other stack that took the snapshot, when this resource adopted it from that stack: destroy then leaves
        it in place (that stack deletes it). None when this stack took it, or it was not taken by a stack."""

    @overload
    def __init__(self, resource_name: str, args: SnapshotArgs, opts: pulumi.ResourceOptions | None = None) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        *,
        server_id: pulumi.Input[int],
        name: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        wait_timeout: pulumi.Input[str | float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    def __init__(
        self,
        resource_name: str,
        args: SnapshotArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """
        :param resource_name: the Pulumi resource name.
        :param args: the inputs (see :class:`SnapshotArgs`), or give them as keywords: ``server_id`` and ``name``
            (required), ``description``, ``wait_timeout``.
        :param opts: resource options, e.g. ``delete_before_replace=True`` for rotation at the limit.
        """
        self._register(resource_name, _provider.resource_props("Snapshot", args, kwargs, INPUTS, OUTPUTS), opts)

    def _register(self, resource_name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
        props[STACK] = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        end_quietly_when_cancelled()
        super().__init__(_SnapshotProvider(), resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Snapshot:
        """Look up an existing snapshot by id, read-only: Pulumi reads it and never creates or deletes it."""
        snap = Snapshot.__new__(Snapshot)
        props = _provider.resource_props("Snapshot", None, {}, INPUTS, OUTPUTS)
        snap._register(resource_name, props, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id)))
        return snap
