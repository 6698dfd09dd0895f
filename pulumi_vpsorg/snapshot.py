"""The ``Snapshot`` resource's steps and its dynamic provider. Its properties, rules and lifecycle are declared in
:mod:`pulumi_vpsorg.spec` (``SNAPSHOT``); the class Python programs use is generated from it (``_resources.py``).

A snapshot this provider takes carries the taking stack in the description VPS.org keeps
(``... [pulumi stack: organization/project/stack]``): that is how adoption tells another stack's snapshot from
one an interrupted run of this stack left behind (which is its own, and deleted on destroy).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from . import _provider, spec
from .durations import parse_duration
from .errors import NotFoundError, SnapshotLimitError, VpsorgError, WaitTimeoutError
from .spec import Done, Spell, snake

if TYPE_CHECKING:  # the steps import the client's modules when they run: a Pulumi program needs none of them
    from .client import Client
    from .models import Snapshot as SnapshotModel

DEFAULT_WAIT_TIMEOUT = 3600.0
log: logging.Logger = logging.getLogger("pulumi_vpsorg")
DECLARED = spec.SNAPSHOT
STACK = "stack"  # a property the front door adds: the stack declaring the resource (organization/project/stack)


def declared_at(_resource_name: str) -> dict[str, Any]:
    """What the Python front door adds to a new resource's properties: the stack declaring it."""
    return {STACK: f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"}


def provider() -> _SnapshotProvider:
    return _SnapshotProvider()


@dataclass(frozen=True)
class _Inputs:
    """A Snapshot's properties (inputs or state) as the steps after ``check`` use them: parsed by the spec's rules."""

    server_id: int | None
    name: str | None
    description: str | None
    timeout: float

    @classmethod
    def of(cls, props: dict[str, Any], spell: Spell = snake) -> _Inputs:
        values = spec.parsed(props, DECLARED.inputs, spell, optional=True)  # state read back may lack inputs
        return cls(
            server_id=values.get("server_id"),
            name=values.get("name"),
            description=values.get("description"),
            timeout=parse_duration(values.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT),
        )


def _outputs(
    snap: SnapshotModel, props: dict[str, Any], adopted: bool, managed_by: str | None = None
) -> dict[str, Any]:
    """State: every input as given (the API has no update), and what the API says."""
    from .operations import without_owner

    return {
        **{p.name: props.get(p.name) for p in DECLARED.inputs},
        "snapshot_id": snap.id,
        "server_id": snap.server_id if snap.server_id is not None else _provider.as_int(props.get("server_id")),
        "server_name": snap.server.name if snap.server else None,
        "name": props.get("name") or snap.name,
        "description": props["description"] if "description" in props else without_owner(snap.description),
        "status": snap.status,
        "size_mb": snap.size_mb,
        "created_at": snap.created_at,
        "adopted": bool(props.get("adopted", adopted)),
        "managed_by": props.get("managed_by", managed_by),
    }


class _SnapshotProvider(_provider.StepsProvider):
    """The dynamic provider behind :class:`Snapshot` (module-level, so it pickles by reference)."""

    declared = DECLARED
    added = STACK

    @_provider.step("snapshot_line")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(*create_step(_provider.client(), props, on_poll=_provider.on_poll()))

    @_provider.step()
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(*read_step(_provider.client(), id_, props))

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
    spell: Spell = snake,
) -> Done:
    """Take (or adopt) the snapshot; ``timeout`` (the engine's customTimeouts) overrides ``wait_timeout``; ``spell``
    names properties in messages as the front door's users write them."""
    from .operations import owner_of, same_stack, take_snapshot

    args = _Inputs.of(props, spell)
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
            f"snapshot {args.name!r} by name and keeps waiting (if this happens often, raise "
            f"{spell('wait_timeout')}, or with the plugin customTimeouts.create).",
            e.last_seen,
        ) from None
    owner = owner_of(snap)
    managed_by = owner if adopted and owner is not None and not same_stack(owner, stack) else None
    return Done(str(snap.id), _outputs(snap, props, adopted, managed_by))


def read_step(api: Client, id_: str, props: dict[str, Any], spell: Spell = snake) -> Done:
    """Refresh (props hold ``snapshot_id``), or look up an id for ``get`` / import (an id that does not exist
    fails)."""
    from . import listing

    snapshot_id = _snapshot_id(id_)
    server_id = _Inputs.of(props, spell).server_id
    managed = "snapshot_id" in props  # refresh of a resource this stack holds; else `Snapshot.get` or an import
    try:
        found = listing.snapshot_by_id(api, snapshot_id, server_id)
    except listing.AbsenceUncertainError as e:
        if not managed:
            raise
        log.warning("%s It stays in the stack's state as it was; refresh again later.", e)
        return Done(id_, props)
    if found is None and not managed:
        raise NotFoundError(
            404,
            "",
            message=f"Snapshot {snapshot_id} does not exist (or this token cannot see it): "
            "`vpsorg snapshots list` shows the ones that do.",
        )
    if found is None:  # the server's complete list lacks it: gone, unless the account's list shows it elsewhere
        try:
            elsewhere = listing.snapshot_by_id(api, snapshot_id) if server_id is not None else None
        except listing.AbsenceUncertainError as e:
            log.warning("%s It stays in the stack's state as it was; refresh again later.", e)
            return Done(id_, props)
        if elsewhere is not None:
            log.warning(
                "Snapshot %s is listed by VPS.org under server %s, not server %s as this stack recorded: it stays in "
                "the stack's state as it was. Check it with `vpsorg snapshots get %s`.",
                snapshot_id,
                elsewhere.server_id,
                server_id,
                snapshot_id,
            )
            return Done(id_, props)
        return Done("", {})  # gone: the engine drops it from state
    if not managed:  # an import or `get`: whose it is, and the description as its maker wrote it
        props = {**props, **_as_found(found, props.get(STACK) if isinstance(props.get(STACK), str) else None)}
    return Done(str(found.id), _outputs(found, props, adopted=False))


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


def updated_state(olds: dict[str, Any], news: dict[str, Any], spell: Spell = snake) -> dict[str, Any]:
    """Every input that does not replace the snapshot (``description``, ``wait_timeout``) recorded as given: the
    snapshot itself stays as it is."""
    return {**olds, **{p.name: news.get(p.name) for p in DECLARED.inputs if p.change != "replace"}}


def delete_step(
    api: Client,
    id_: str,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[SnapshotModel, float], None] | None = None,
    spell: Spell = snake,
) -> None:
    """Delete the snapshot (already gone is fine), unless another stack took it (``managed_by``)."""
    from .operations import delete_snapshot

    if props.get("managed_by"):  # adopted from the stack that took it: that stack deletes it
        log.warning("snapshot %s is left in place: stack %s took it and manages it", id_, props["managed_by"])
        return
    args = _Inputs.of(props, spell)
    delete_snapshot(api, _snapshot_id(id_), args.server_id, timeout=timeout or args.timeout, on_poll=on_poll)


def _snapshot_id(id_: str) -> int:
    value, reason = _provider.positive_int("the resource id", id_, "a VPS.org snapshot id")
    if reason or value is None:
        raise VpsorgError(f"{id_[:40]!r} is not a VPS.org snapshot id: ids are whole numbers such as 801.")
    return value
