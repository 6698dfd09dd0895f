"""The ``SnapshotSeries`` resource's steps and its dynamic provider: a snapshot on create and on every change of
``triggers``, the newest ``keep`` kept. Its properties, rules and lifecycle are declared in :mod:`pulumi_vpsorg.spec`
(``SERIES``); the class Python programs use is generated from it (``_resources.py``).

Which snapshots are the series': those whose description carries its mark, ``[pulumi series: <prefix> take <key>]``
(before the stack's own mark, :func:`~pulumi_vpsorg.operations.with_owner`). A snapshot made by hand, or by another
resource, has no such mark and is never deleted, whatever its name. ``key`` names the take: 12 hex of SHA-256 over
the triggers and the snapshot that was the series' latest before it, so a re-run of an interrupted take (on any
machine) finds its snapshot and adopts it instead of taking a second one, while a return to earlier triggers takes a
new one.

Never deleted either: the newest of the series, and any snapshot a ``SnapshotRestore`` (or ``vpsorg restore``)
restored, as the safety snapshot taken before that restore names it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from . import _provider, spec
from ._deadline import deadline
from .durations import parse_duration
from .errors import VpsorgError, WaitTimeoutError
from .rules import normal_value
from .spec import Done, Spell, snake

if TYPE_CHECKING:  # the steps import the client's modules when they run: a Pulumi program needs none of them
    from .client import Client
    from .models import Snapshot

log: logging.Logger = logging.getLogger("pulumi_vpsorg")
DECLARED = spec.SERIES
DEFAULT_WAIT_TIMEOUT = 3600.0
STACK = "stack"  # a property the front door adds: the stack declaring the resource (organization/project/stack)
_MARK = re.compile(r"\[pulumi series: (?P<prefix>[A-Za-z0-9_-]+) take (?P<take>[0-9a-f]{12})\]")
_RESTORED = re.compile(r"before (?:SnapshotRestore \S+ restored snapshot|restoring snapshot) (?P<id>[0-9]+)")


def declared_at(_resource_name: str) -> dict[str, Any]:
    """What the Python front door adds to a new resource's properties: the stack declaring it."""
    return {STACK: f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"}


def provider() -> _SeriesProvider:
    return _SeriesProvider()


@dataclass(frozen=True)
class _Inputs:
    server_id: int
    prefix: str
    keep: int
    triggers: list[Any]
    description: str | None
    timeout: float

    @classmethod
    def of(cls, props: dict[str, Any], spell: Spell = snake) -> _Inputs:
        values = spec.parsed(props, DECLARED.inputs, spell)
        return cls(
            server_id=values["server_id"],
            prefix=values["name_prefix"],
            keep=values["keep"],
            triggers=list(values.get("triggers") or []),
            description=values.get("description"),
            timeout=parse_duration(values.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT),
        )


# ----- membership ----------------------------------------------------------------------------------------------


def take_key(triggers: Sequence[Any], previous: Any) -> str:
    """The mark of one take: the same on every re-run of it, a new one for each change."""
    text = json.dumps([normal_value(list(triggers)), normal_value(previous)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def members(snaps: Sequence[Snapshot], server_id: int, prefix: str, stack: str | None) -> list[Snapshot]:
    """The series' snapshots among ``snaps``, newest first: on ``server_id``, marked for ``prefix``, taken by this
    stack (or by none named: an imported series)."""
    from .operations import owner_of, same_stack

    def ours(s: Snapshot) -> bool:
        mark = _MARK.search(s.description or "")
        owner = owner_of(s)
        return (
            s.server_id == server_id
            and mark is not None
            and mark["prefix"] == prefix
            and s.name.startswith(f"{prefix}-")
            and (owner is None or stack is None or same_stack(owner, stack))
        )

    return sorted((s for s in snaps if ours(s)), key=lambda s: (s.created_at or "", s.id), reverse=True)


def _take_of(snap: Snapshot) -> str | None:
    mark = _MARK.search(snap.description or "")
    return mark["take"] if mark else None


def restored_targets(snaps: Sequence[Snapshot]) -> set[int]:
    """The snapshots a restore of this server restored, as the safety snapshots taken before them say."""
    from .safety import is_safety_snapshot

    return {int(m["id"]) for s in snaps if is_safety_snapshot(s) for m in _RESTORED.finditer(s.description or "")}


def _deletable(mine: list[Snapshot], snaps: Sequence[Snapshot]) -> list[Snapshot]:
    """The series' snapshots that may go, oldest first: never the newest, never one being taken, never a restore's
    target."""
    protected = restored_targets(snaps)
    return [s for s in reversed(mine[1:]) if s.id not in protected and not s.is_in_progress]


def _delete(api: Client, snaps: list[Snapshot], why: str) -> None:
    from .errors import NotFoundError

    for s in snaps:
        try:
            api.delete_snapshot(s.id, server_id=s.server_id)
        except NotFoundError:
            pass
        log.warning("deleted snapshot %s %r of the series %s", s.id, s.name, why)


# ----- the steps, shared with the native plugin ------------------------------------------------------------------


def _take(
    api: Client,
    args: _Inputs,
    stack: str | None,
    previous: Any,
    on_poll: Callable[[Snapshot, float], None] | None,
) -> list[Snapshot]:
    """Take the series' next snapshot (or adopt the one an interrupted run of this take left), making room first;
    then keep ``keep``. Returns the series, newest first."""
    from . import listing
    from .operations import SNAPSHOT_LIMIT, limit_error, take_snapshot, time_left

    key = take_key(args.triggers, previous)
    snaps = listing.snapshots_now(api, args.server_id)
    mine = members(snaps, args.server_id, args.prefix, stack)
    earlier = next((s for s in mine if _take_of(s) == key and not s.is_failed), None)
    if earlier is not None:
        name = earlier.name
    else:
        name = f"{args.prefix}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}-{key[:6]}"
        deletable = _deletable(mine, snaps)
        over_keep = max(0, len(mine) + 1 - args.keep)
        over_limit = max(0, len(snaps) + 1 - SNAPSHOT_LIMIT)
        if over_limit > len(deletable):
            raise limit_error(args.server_id, list(snaps)).with_hint(
                f"The series {args.prefix!r} deletes only its own snapshots (never its newest, never a restore's "
                "target) and has none to spare. Nothing was sent. Delete one of the others (`vpsorg snapshots "
                "delete ID --yes`) and run again."
            )
        _delete(api, deletable[: max(over_keep, over_limit)], f"{args.prefix!r}: room for the next one")
    description = _marked(args.description, args.prefix, key)
    take_snapshot(api, args.server_id, name, description, timeout=time_left(args.timeout), owner=stack, on_poll=on_poll)
    snaps = listing.snapshots_now(api, args.server_id)
    return _kept(api, members(snaps, args.server_id, args.prefix, stack), snaps, args)


def _kept(api: Client, mine: list[Snapshot], snaps: Sequence[Snapshot], args: _Inputs) -> list[Snapshot]:
    """The series after deleting its oldest beyond ``keep`` (never the newest or a restore's target)."""
    extra = _deletable(mine, snaps)[: max(0, len(mine) - args.keep)]
    _delete(api, extra, f"{args.prefix!r}: beyond keep={args.keep}")
    gone = {s.id for s in extra}
    return [s for s in mine if s.id not in gone]


def _marked(description: str | None, prefix: str, key: str) -> str:
    mark = f"[pulumi series: {prefix} take {key}]"
    return f"{description} {mark}" if description else mark


def _outputs(props: dict[str, Any], mine: list[Snapshot], spell: Spell) -> dict[str, Any]:
    """State: the inputs as given, the series as listed, and the stack that owns it (delete deletes only its own)."""
    outs = {p.name: props.get(p.name) for p in DECLARED.inputs}
    outs[STACK] = _stack(props)
    latest = mine[0] if mine else None
    outs.update(
        latest_snapshot_id=latest.id if latest else None,
        latest_name=latest.name if latest else None,
        snapshots=[_info(s, spell) for s in mine],
    )
    return outs


def _info(snap: Snapshot, spell: Spell) -> dict[str, Any]:
    """One snapshot of the list output, keys as the front door spells them (``SnapshotInfo``)."""
    from .operations import without_owner

    fields = {
        "snapshot_id": snap.id,
        "server_id": snap.server_id,
        "server_name": snap.server.name if snap.server else None,
        "name": snap.name,
        "description": without_owner(snap.description),
        "status": snap.status,
        "size_mb": snap.size_mb,
        "created_at": snap.created_at,
    }
    return {spell(k): v for k, v in fields.items() if v is not None}


def _stack(props: dict[str, Any]) -> str | None:
    return props.get(STACK) if isinstance(props.get(STACK), str) else None


def _timed_out(e: WaitTimeoutError, args: _Inputs, spell: Spell) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"{e} It goes on, but is not recorded in this stack: the next `pulumi up` adopts it and keeps waiting (if "
        f"this happens often, raise {spell('wait_timeout')}).",
        e.last_seen,
    )


def create_step(
    api: Client,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[Snapshot, float], None] | None = None,
    spell: Spell = snake,
) -> Done:
    """The series' first snapshot; ``timeout`` (the engine's customTimeouts) overrides ``wait_timeout``."""
    args = _Inputs.of(props, spell)
    try:
        with deadline(timeout or args.timeout):
            mine = _take(api, args, _stack(props), None, on_poll)
    except WaitTimeoutError as e:
        raise _timed_out(e, args, spell) from None
    return Done(f"{args.server_id}/{args.prefix}", _outputs(props, mine, spell))


def update_step(
    api: Client,
    olds: dict[str, Any],
    news: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[Snapshot, float], None] | None = None,
    spell: Spell = snake,
) -> dict[str, Any]:
    """New ``triggers``: the next snapshot; a new ``keep``: the series cut to it; the rest is recorded."""
    from . import listing

    args = _Inputs.of(news, spell)
    triggers = next(p for p in DECLARED.inputs if p.name == "triggers")
    stack = _stack(news) or _stack(olds)
    try:
        with deadline(timeout or args.timeout):
            if not spec.same(triggers, olds.get("triggers"), news.get("triggers")):
                mine = _take(api, args, stack, olds.get("latest_snapshot_id"), on_poll)
            else:
                snaps = listing.snapshots_now(api, args.server_id)
                mine = _kept(api, members(snaps, args.server_id, args.prefix, stack), snaps, args)
    except WaitTimeoutError as e:
        raise _timed_out(e, args, spell) from None
    return _outputs({**news, STACK: stack}, mine, spell)


def read_step(api: Client, id_: str, props: dict[str, Any], spell: Spell = snake) -> Done:
    """Refresh: the series as VPS.org lists it (a recorded snapshot drops out only when a complete list lacks it);
    import: ``SERVER_ID/NAME_PREFIX``, the marked snapshots of that prefix on that server."""
    from . import listing

    server, _, prefix = id_.partition("/")
    server_id, reason = _provider.positive_int("the resource id", server, "a server id")
    if reason or server_id is None or spec.series_prefix()("namePrefix", prefix)[1]:
        raise VpsorgError(
            f"{id_[:60]!r} is not a series id: it is SERVER_ID/NAME_PREFIX, such as 12345/app (`pulumi import "
            "vpsorg:index:SnapshotSeries NAME 12345/app`)."
        )
    snaps, certain = listing.snapshots_for_refresh(api, server_id)
    mine = members(snaps, server_id, prefix, _stack(props))
    if not certain:
        listed = {s.id for s in mine}
        recorded = [r for r in props.get("snapshots") or [] if r.get(spell("snapshot_id")) not in listed]
        if recorded:
            log.warning(
                "The list of server %s came in several pages or ignored the server filter: %s of the series stay "
                "as recorded; refresh again later.",
                server_id,
                ", ".join(str(r.get(spell("snapshot_id"))) for r in recorded),
            )
        outs = _outputs(props, mine, spell)
        outs["snapshots"] = sorted(
            outs["snapshots"] + recorded,
            key=lambda r: (r.get(spell("created_at")) or "", r.get(spell("snapshot_id"))),
            reverse=True,
        )
        return Done(id_, outs)
    if "snapshots" not in props:  # an import: the inputs a program needs
        props = {**props, "server_id": server_id, "name_prefix": prefix, "keep": min(5, max(1, len(mine)))}
    return Done(id_, _outputs(props, mine, spell))


def delete_step(
    api: Client,
    id_: str,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[Snapshot, float], None] | None = None,
    spell: Spell = snake,
) -> None:
    """Delete the series' snapshots: those VPS.org lists with its mark, and those recorded (already gone is fine)."""
    from . import listing
    from .operations import delete_snapshot, time_left

    args = _Inputs.of(props, spell)
    with deadline(timeout or args.timeout):
        snaps = listing.snapshots_now(api, args.server_id)
        ids = {s.id for s in members(snaps, args.server_id, args.prefix, _stack(props))}
        ids |= {int(r[spell("snapshot_id")]) for r in props.get("snapshots") or [] if r.get(spell("snapshot_id"))}
        for snapshot_id in sorted(ids):
            delete_snapshot(api, snapshot_id, args.server_id, timeout=time_left(args.timeout), on_poll=on_poll)


class _SeriesProvider(_provider.StepsProvider):
    """The dynamic provider behind :class:`SnapshotSeries` (module-level, so it pickles by reference)."""

    declared = DECLARED
    added = STACK

    @_provider.step("snapshot_line")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(*create_step(_provider.client(), props, on_poll=_provider.on_poll()))

    @_provider.step()
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(*read_step(_provider.client(), id_, props))

    @_provider.step("snapshot_line")
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(update_step(_provider.client(), olds, news, on_poll=_provider.on_poll()))

    @_provider.step("snapshot_line")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        delete_step(_provider.client(), id_, props, on_poll=_provider.on_poll())
