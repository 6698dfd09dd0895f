"""The ``SnapshotRestore`` resource's steps and its dynamic provider: restore a server from a snapshot, once per value
of ``triggers``. Its properties, rules and lifecycle are declared in :mod:`pulumi_vpsorg.spec` (``RESTORE``); the
class Python programs use is generated from it (``_resources.py``). The restore itself, at most once across runs and
machines, is :mod:`pulumi_vpsorg.safety`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from . import _provider, spec
from ._deadline import deadline, thread_time_left
from .durations import format_duration, parse_duration
from .errors import VpsorgError
from .spec import Done, Spell, snake

if TYPE_CHECKING:  # the steps import the client's modules when they run: a Pulumi program needs none of them
    from .client import Client
    from .models import Server, ServerRef
    from .safety import Restore

log: logging.Logger = logging.getLogger("pulumi_vpsorg")

DEFAULT_WAIT_TIMEOUT = 3600.0  # a safety snapshot (3-10 minutes at VPS.org), then the restore (5-15)
DECLARED = spec.RESTORE
RESOURCE = "resource_path"  # a property the front door adds: project/stack/name, which names the safety snapshot


def declared_at(resource_name: str) -> dict[str, Any]:
    """What the Python front door adds to a new resource's properties: where it is declared."""
    return {RESOURCE: f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"}


def provider() -> _RestoreProvider:
    return _RestoreProvider()


@dataclass(frozen=True)
class _Inputs:
    """A SnapshotRestore's inputs as create uses them: parsed by the spec's rules, as ``check`` did."""

    snapshot_id: int
    triggers: list[Any]
    wait: bool
    timeout: float
    safety: bool

    @classmethod
    def of(cls, props: dict[str, Any], spell: Spell = snake) -> _Inputs:
        values = spec.parsed(props, DECLARED.inputs, spell)
        return cls(
            snapshot_id=values["snapshot_id"],
            triggers=list(values.get("triggers") or []),
            wait=values.get("wait") is not False,
            timeout=parse_duration(values.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT),
            safety=values.get("safety_snapshot") is not False,
        )


def _restore_once(
    api: Client, args: _Inputs, resource: str, on_poll: Callable[[Any, float], None] | None, spell: Spell
) -> dict[str, Any]:
    """The restore, sent at most once (after a safety snapshot unless ``args.safety`` is false): what create records
    about it (target, server, safety snapshot and message)."""
    again = f"To restore once more, change `{spell('triggers')}`."
    from .models import RESTORING
    from .operations import restore_once

    started_at = api.clock()
    outs: dict[str, Any] = {"restored_snapshot_id": args.snapshot_id, "safety_snapshot_id": None}
    if args.safety:
        done = _with_safety_snapshot(api, args, resource, on_poll)
        outs["safety_snapshot_id"] = done.safety.id if done.safety is not None else None
        if done.outcome is None:  # an earlier run took the safety snapshot and may have sent the restore
            message = done.earlier_run_message(args.snapshot_id, again)
            log.warning("%s", message)
            outs.update(_server_outs(done.server), message=message)
            if args.wait and done.server is not None and done.server.status == RESTORING:
                _wait(api, done.server.id, outs, started_at, on_poll)
            return outs
        outcome = done.outcome
    else:
        outcome = restore_once(api, args.snapshot_id)
        if outcome.already_restoring:
            return dict(
                outs,
                **_server_outs(outcome.server),
                message=f"Server {_id_of(outcome.server)} was already restoring, so the restore of snapshot "
                f"{args.snapshot_id} was not sent ({spell('safety_snapshot')} is false, so nothing tells an earlier "
                f"run's restore from someone else's). Wait until it is done. {again}",
            )
    # From here on the restore may have been accepted: whatever happens, create succeeds and records it, so that
    # a later `pulumi up` never sends it a second time.
    response = outcome.response
    outs.update(_server_outs(outcome.server), message=response.message if response is not None else None)
    if outcome.doubt is not None:
        outs["server_status"] = None
        outs["message"] = (
            f"The restore request for snapshot {args.snapshot_id} may have reached VPS.org, but its answer was "
            f"unusable ({outcome.doubt}). It is recorded as sent so that it is never sent twice. Check the server "
            f"(`vpsorg servers`). {again}"
        )
    if outs["safety_snapshot_id"] is not None:
        outs["message"] = (
            f"{outs['message'] or 'Restore started.'} Safety snapshot {outs['safety_snapshot_id']} holds the server as "
            "it was before: to undo, restore it (`vpsorg rollback --undo --server "
            f"{_id_of(outcome.server)}`, or point {spell('snapshot_id')} at {spell('safety_snapshot_id')} and change "
            f"{spell('triggers')})."
        )
    if args.wait and outcome.server is not None:
        _wait(api, outcome.server.id, outs, started_at, on_poll)
    return outs


def _with_safety_snapshot(
    api: Client, args: _Inputs, resource: str, on_poll: Callable[[Any, float], None] | None
) -> Restore:
    from .safety import by_name, resource_safety_name, restore_with_safety_snapshot

    name = resource_safety_name(resource, args.triggers)
    return restore_with_safety_snapshot(
        api,
        args.snapshot_id,
        name=name,
        earlier=by_name(name),
        description=f"Safety snapshot taken by pulumi-vpsorg before SnapshotRestore {resource} restored snapshot "
        f"{args.snapshot_id}: restore it to undo that restore.",
        on_poll=on_poll,
    )


def _id_of(server: ServerRef | Server | None) -> str:
    return str(server.id) if server is not None else "(unknown)"


def _server_outs(server: ServerRef | Server | None) -> dict[str, Any]:
    if server is None:
        return {"server_id": None, "server_name": None, "server_status": None}
    return {"server_id": server.id, "server_name": server.name, "server_status": server.status}


def _wait(
    api: Client,
    server_id: int,
    outs: dict[str, Any],
    started_at: float,
    on_poll: Callable[[Server | None, float], None] | None,
) -> None:
    """Wait until the server is no longer ``restoring``; a wait that fails or runs out is noted, not raised."""
    from .wait import wait_for_restore

    try:
        outs["server_status"] = wait_for_restore(
            api, server_id, timeout=max(0.001, thread_time_left() or 0.0), on_poll=on_poll
        ).status
    except VpsorgError as e:
        last = getattr(e, "last_seen", None)
        outs["server_status"] = getattr(last, "status", None) or outs["server_status"]
        outs["message"] = (
            f"{outs['message'] or 'Restore started.'} Waiting for the server stopped after "
            f"{format_duration(api.clock() - started_at)}: {e} The restore goes on; it will not be sent again."
        )


def create_step(
    api: Client,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[Any, float], None] | None = None,
    spell: Spell = snake,
) -> Done:
    """The safety snapshot, the restore sent at most once, and the wait; ``timeout`` (the engine's customTimeouts)
    overrides ``wait_timeout``; ``props[RESOURCE]`` (project/stack/name) names the safety snapshot. Shared with the
    native plugin (pulumi_vpsorg.native); ``spell`` names properties in messages as the front door's users write
    them."""
    args = _Inputs.of(props, spell)
    resource = props.get(RESOURCE)
    if args.safety and not isinstance(resource, str):
        raise VpsorgError(
            "SnapshotRestore: the resource's project/stack/name is missing: no safety snapshot can be named."
        )
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    outs: dict[str, Any] = {p.name: props.get(p.name) for p in DECLARED.inputs}
    outs.update(snapshot_id=args.snapshot_id, restored_at=started)
    with deadline(timeout or args.timeout):
        outs.update(_restore_once(api, args, resource or "", on_poll, spell))
    return Done(f"{args.snapshot_id}@{started}", outs)


def updated_state(olds: dict[str, Any], news: dict[str, Any], spell: Spell = snake) -> dict[str, Any]:
    """``wait``, ``wait_timeout`` and ``safety_snapshot`` as given; a new ``snapshot_id`` recorded as the target, with
    a message (and a warning) that nothing was restored: triggers alone restore."""
    state = {**olds, **{p.name: news.get(p.name) for p in DECLARED.inputs if p.change == "none"}}
    target = next(p for p in DECLARED.inputs if p.name == "snapshot_id")
    if spec.same(target, olds.get("snapshot_id"), news.get("snapshot_id")):
        return state
    restored = olds.get("restored_snapshot_id", olds.get("snapshot_id"))
    message = (
        f"{spell('snapshot_id')} changed to {_provider.as_int(news.get('snapshot_id'))}, and nothing was restored: "
        f"only a change of {spell('triggers')} restores (snapshot {_provider.as_int(restored)} is the one this "
        f"resource restored). To restore the new snapshot, change {spell('triggers')} too."
    )
    log.warning("%s", message)
    return {**state, "snapshot_id": news.get("snapshot_id"), "restored_snapshot_id": restored, "message": message}


class _RestoreProvider(_provider.StepsProvider):
    """The dynamic provider behind :class:`SnapshotRestore` (module-level, so it pickles by reference)."""

    declared = DECLARED
    added = RESOURCE

    @_provider.step("restore_line")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(*create_step(_provider.client(), props, on_poll=_provider.on_poll()))

    @_provider.step()
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    @_provider.step()
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(updated_state(olds, news))

    @_provider.step()
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None
