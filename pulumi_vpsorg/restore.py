"""The ``SnapshotRestore`` resource: restore a server from a snapshot, once per value of ``triggers``.

What each step does:

- **preview / check / diff**: validate inputs offline; never restores, never calls the API. Only new ``triggers``
  replace the resource (and so restore); a new ``snapshot_id`` alone is an update that restores nothing.
- **create**: with ``safety_snapshot`` (the default), take a snapshot of the server as it is now and wait until it
  is completed, then exactly one ``POST /snapshots/{id}/restore/``, never retried (:mod:`pulumi_vpsorg.safety`).
  The safety snapshot is named after the resource and its triggers: a re-run that finds it completed (an
  interrupted run, on any machine) never sends the restore again. A server ``restoring`` with no safety snapshot
  of ours is someone else's restore: refused, nothing sent. Without a safety snapshot: a server already
  ``restoring`` gets nothing (an earlier run's restore, recorded as such). Once the restore may have reached
  VPS.org create succeeds and records it, the doubt in ``message``. Then with ``wait`` poll the servers list until
  the server is no longer ``restoring``. All of it within ``wait_timeout``.
- **update**: a new ``snapshot_id`` is recorded as the target and restores nothing (``message`` says so); ``wait``,
  ``wait_timeout`` and ``safety_snapshot`` alone change nothing.
- **read** (refresh): returns the recorded state; never restores and never calls the API.
- **delete**: does nothing at all: it does not delete the snapshot or the safety snapshot, and does not undo the
  restore.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, overload

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import _provider
from ._deadline import deadline, thread_time_left
from ._program import end_quietly_when_cancelled
from ._provider import Field
from .durations import format_duration, parse_duration
from .errors import VpsorgError
from .rules import normal_value

if TYPE_CHECKING:  # the steps import the client's modules when they run: a Pulumi program needs none of them
    from .client import Client
    from .models import Server, ServerRef
    from .safety import Restore

log: logging.Logger = logging.getLogger("pulumi_vpsorg")

DEFAULT_WAIT_TIMEOUT = 3600.0  # a safety snapshot (3-10 minutes at VPS.org), then the restore (5-15)
RESOURCE = "resource_path"  # a property the program adds: project/stack/name, which names the safety snapshot

FIELDS: dict[str, Field] = {
    "snapshot_id": Field(
        _provider.positive("snapshot_id", "a snapshot id"), required="the id of the snapshot to restore"
    ),
    "triggers": Field(_provider.of_type("triggers", (list, tuple), "a list")),
    "wait": Field(_provider.of_type("wait", bool, "true or false")),
    "wait_timeout": Field(_provider.duration("wait_timeout")),
    "safety_snapshot": Field(_provider.of_type("safety_snapshot", bool, "true or false")),
}
INPUTS = tuple(FIELDS)
REQUIRED = tuple(k for k, f in FIELDS.items() if f.required)
REPLACE_ON_CHANGES = ("triggers",)  # triggers alone decide when a restore runs
UPDATE_ON_CHANGES = ("snapshot_id",)
OUTPUTS = (
    "snapshot_id",
    "triggers",
    "wait",
    "wait_timeout",
    "safety_snapshot",
    "restored_snapshot_id",
    "safety_snapshot_id",
    "server_id",
    "server_name",
    "server_status",
    "message",
    "restored_at",
)


@dataclass(frozen=True)
class SnapshotRestoreArgs:
    """The inputs of a :class:`SnapshotRestore`.

    Attributes:
        snapshot_id: the snapshot to restore; its own server is overwritten. A new value alone restores nothing.
        triggers: any values; when they change, the resource is replaced and the restore runs again.
        wait: wait until the server is no longer ``restoring`` (default true).
        wait_timeout: how long the whole restore may take, safety snapshot included: seconds, or "90s", "20m",
            "1h" (default 1h).
        safety_snapshot: first take a snapshot of the server as it is now, the way back (default true).
    """

    snapshot_id: pulumi.Input[int]
    triggers: pulumi.Input[Sequence[Any]] | None = None
    wait: pulumi.Input[bool] | None = None
    wait_timeout: pulumi.Input[str | float] | None = None
    safety_snapshot: pulumi.Input[bool] | None = None


@dataclass(frozen=True)
class _Inputs:
    """A SnapshotRestore's inputs as create uses them: parsed by ``FIELDS``, as ``check`` did."""

    snapshot_id: int
    triggers: list[Any]
    wait: bool
    timeout: float
    safety: bool

    @classmethod
    def of(cls, props: dict[str, Any]) -> _Inputs:
        values = _provider.parsed({k: v for k, v in props.items() if k in FIELDS}, FIELDS)
        return cls(
            snapshot_id=values["snapshot_id"],
            triggers=list(values.get("triggers") or []),
            wait=values.get("wait") is not False,
            timeout=parse_duration(values.get("wait_timeout") or DEFAULT_WAIT_TIMEOUT),
            safety=values.get("safety_snapshot") is not False,
        )


def check_restore_inputs(news: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """Validate and normalise ``SnapshotRestore`` inputs offline; returns ``(inputs, failures)``."""
    return _provider.parse_props(news, FIELDS)


def same_value(prop: str, old: Any, new: Any) -> bool:
    if prop == "snapshot_id":
        return _provider.as_int(old) == _provider.as_int(new)
    return bool(normal_value(old or []) == normal_value(new or []))


def _restore_once(
    api: Client, args: _Inputs, resource: str, on_poll: Callable[[Any, float], None] | None
) -> dict[str, Any]:
    """The restore, sent at most once (after a safety snapshot unless ``args.safety`` is false): what create records
    about it (target, server, safety snapshot and message)."""
    from .models import RESTORING
    from .operations import restore_once

    started_at = time.monotonic()
    outs: dict[str, Any] = {"restored_snapshot_id": args.snapshot_id, "safety_snapshot_id": None}
    if args.safety:
        done = _with_safety_snapshot(api, args, resource, on_poll)
        outs["safety_snapshot_id"] = done.safety.id if done.safety is not None else None
        if done.outcome is None:  # an earlier run took the safety snapshot and may have sent the restore
            message = done.earlier_run_message(args.snapshot_id, "To restore once more, change `triggers`.")
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
                f"{args.snapshot_id} was not sent (safetySnapshot is false, so nothing tells an earlier run's restore "
                "from someone else's). To restore once more, wait until it is done and change `triggers`.",
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
            "(`vpsorg servers`); to restore once more, change `triggers`."
        )
    if outs["safety_snapshot_id"] is not None:
        outs["message"] = (
            f"{outs['message'] or 'Restore started.'} Safety snapshot {outs['safety_snapshot_id']} holds the server as "
            "it was before: to undo, restore it (`vpsorg rollback --undo --server "
            f"{_id_of(outcome.server)}`, or point snapshotId at safetySnapshotId and change triggers)."
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
            f"{format_duration(time.monotonic() - started_at)}: {e} The restore goes on; it will not be sent again."
        )


def create_step(
    api: Client,
    props: dict[str, Any],
    *,
    timeout: float | None = None,
    on_poll: Callable[[Any, float], None] | None = None,
) -> CreateResult:
    """The safety snapshot, the restore sent at most once, and the wait; ``timeout`` (the engine's customTimeouts)
    overrides ``wait_timeout``; ``props[RESOURCE]`` (project/stack/name) names the safety snapshot. Shared with the
    native plugin (pulumi_vpsorg.native)."""
    args = _Inputs.of(props)
    resource = props.get(RESOURCE)
    if args.safety and not isinstance(resource, str):
        raise VpsorgError(
            "SnapshotRestore: the resource's project/stack/name is missing: no safety snapshot can be named."
        )
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    outs: dict[str, Any] = {k: props.get(k) for k in INPUTS}
    outs.update(snapshot_id=args.snapshot_id, restored_at=started)
    with deadline(timeout or args.timeout):
        outs.update(_restore_once(api, args, resource or "", on_poll))
    return CreateResult(f"{args.snapshot_id}@{started}", outs)


def updated_state(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """``wait``, ``wait_timeout`` and ``safety_snapshot`` as given; a new ``snapshot_id`` recorded as the target, with
    a message (and a warning) that nothing was restored: triggers alone restore."""
    state = {**olds, **{k: news.get(k) for k in ("wait", "wait_timeout", "safety_snapshot")}}
    if same_value("snapshot_id", olds.get("snapshot_id"), news.get("snapshot_id")):
        return state
    restored = olds.get("restored_snapshot_id", olds.get("snapshot_id"))
    message = (
        f"snapshotId changed to {_provider.as_int(news.get('snapshot_id'))}, and nothing was restored: only a change "
        f"of triggers restores (snapshot {_provider.as_int(restored)} is the one this resource restored). To restore "
        "the new snapshot, change triggers too."
    )
    log.warning("%s", message)
    return {**state, "snapshot_id": news.get("snapshot_id"), "restored_snapshot_id": restored, "message": message}


class _RestoreProvider(_provider._Provider):
    """The dynamic provider behind :class:`SnapshotRestore` (module-level, so it pickles by reference)."""

    @_provider.step()
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = check_restore_inputs(news)
        if isinstance(news.get(RESOURCE), str):
            inputs[RESOURCE] = news[RESOURCE]
        return CheckResult(inputs, failures)

    @_provider.step()
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = _provider.changed(REPLACE_ON_CHANGES, olds, news, same_value)
        updates = _provider.changed(UPDATE_ON_CHANGES, olds, news, same_value)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=bool(replaces))

    @_provider.step("restore_line")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return create_step(_provider.client(), props, on_poll=_provider.on_poll())

    @_provider.step()
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    @_provider.step()
    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(updated_state(olds, news))

    @_provider.step()
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class SnapshotRestore(pulumi.dynamic.Resource, module="vpsorg", name="SnapshotRestore"):
    """Restores a server from a snapshot, once per value of ``triggers``. **Dangerous**: it overwrites all data on the
    snapshot's server and stops the server first; the safety snapshot taken before it (``safety_snapshot_id``) is
    the way back.

    - create: takes a safety snapshot of the server (unless ``safety_snapshot`` is false) and waits until it is
      completed, then sends exactly one restore request, then (with ``wait``, the default) waits until the server
      is no longer ``restoring``, all within ``wait_timeout`` (default 1 hour). If the last wait runs out or fails,
      create still succeeds and records the restore (``server_status`` shows the last status seen, ``message``
      says why), because sending it a second time would be worse.
    - a later ``pulumi up`` with the same inputs does nothing; new ``triggers`` replace the resource and restore
      again; a new ``snapshot_id`` alone is recorded and restores nothing; ``wait`` / ``wait_timeout`` /
      ``safety_snapshot`` alone change nothing.
    - preview and refresh never restore; destroy does nothing (the snapshots are left alone).
    """

    # For type checkers only: at run time the SDK would resolve these annotations again (typing.get_type_hints)
    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).
    if TYPE_CHECKING:
        snapshot_id: pulumi.Output[int]
        """The ``snapshot_id`` input: the target (a new one alone restores nothing)."""
        restored_snapshot_id: pulumi.Output[int]
        """The snapshot this resource restored."""
        safety_snapshot_id: pulumi.Output[int | None]
        """The safety snapshot taken before the restore (None without one): restore it to undo."""
        safety_snapshot: pulumi.Output[bool | None]
        """The ``safety_snapshot`` input, as given."""
        triggers: pulumi.Output[list[Any] | None]
        """The ``triggers`` input, as given."""
        wait: pulumi.Output[bool | None]
        """The ``wait`` input, as given."""
        wait_timeout: pulumi.Output[str | float | None]
        """The ``wait_timeout`` input, as given."""
        server_id: pulumi.Output[int]
        """The server that was restored."""
        server_name: pulumi.Output[str]
        """Its name, as VPS.org reports it."""
        server_status: pulumi.Output[str]
        """The server's status when create finished: ``active`` after a completed restore."""
        message: pulumi.Output[str]
        """What VPS.org said, and anything create could not be sure of."""
        restored_at: pulumi.Output[str]
        """When the restore request was sent (UTC, ISO 8601)."""

    @overload
    def __init__(
        self, resource_name: str, args: SnapshotRestoreArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        *,
        snapshot_id: pulumi.Input[int],
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        wait: pulumi.Input[bool] | None = None,
        wait_timeout: pulumi.Input[str | float] | None = None,
        safety_snapshot: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    def __init__(
        self,
        resource_name: str,
        args: SnapshotRestoreArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """
        :param resource_name: the Pulumi resource name.
        :param args: the inputs (see :class:`SnapshotRestoreArgs`), or give them as keywords: ``snapshot_id``
            (required), ``triggers``, ``wait``, ``wait_timeout``, ``safety_snapshot``.
        :param opts: resource options.
        """
        props = _provider.resource_props("SnapshotRestore", args, kwargs, INPUTS, OUTPUTS)
        props[RESOURCE] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        end_quietly_when_cancelled()
        super().__init__(_RestoreProvider(), resource_name, props, opts)
