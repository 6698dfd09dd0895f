"""The dynamic resources' typed surface: ``Args`` classes, constructors and outputs, generated from
:mod:`pulumi_vpsorg.spec` by ``python -m pulumi_vpsorg._generate``. Do not edit: change the spec and
regenerate (a test fails when this file differs from what the spec makes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import pulumi
import pulumi.dynamic

from . import spec as _spec
from ._register import register as _register


@dataclass(frozen=True)
class SnapshotArgs:
    """The inputs of a :class:`Snapshot`.

    Attributes:
        server_id: The server to snapshot.
        name: Snapshot name: letters, digits, hyphens and underscores, at most 255 characters.
        description: Free text shown in the VPS.org panel, sent when the snapshot is taken. Changing it later
            updates state only: the snapshot is kept.
        wait_timeout: How long create waits for ``completed``: seconds, or a duration such as ``90s``, ``20m``,
            ``1h``. Default ``1h``; the resource option ``customTimeouts.create`` (and ``.delete``) takes
            precedence. Changing it alone changes nothing.
    """

    server_id: pulumi.Input[int]
    name: pulumi.Input[str]
    description: pulumi.Input[str] | None = None
    wait_timeout: pulumi.Input[str | float] | None = None


class Snapshot(pulumi.dynamic.Resource, module="vpsorg", name="Snapshot"):
    """A snapshot of a VPS.org server. Create takes it (adopting an existing snapshot of the same name on the server)
    and waits until it is ``completed``; read lists the server's snapshots; delete deletes it. A server holds at
    most 5 snapshots. A change of ``server_id`` or ``name`` takes a new snapshot; a change of ``description`` is
    recorded in state only and never replaces the snapshot (VPS.org cannot change one, and a new one would hold the
    server as it is now).

    Either ``Snapshot(name, SnapshotArgs(...), opts)`` or ``Snapshot(name, <inputs as keywords>, opts=...)``; the
    lifecycle, step by step: docs/reference/snapshot.md.
    """

    # For type checkers only: at run time the SDK would resolve these annotations again (typing.get_type_hints)
    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).
    if TYPE_CHECKING:
        snapshot_id: pulumi.Output[int]
        """The snapshot's id (also the resource id, as a string)."""
        server_id: pulumi.Output[int]
        """The server the snapshot belongs to."""
        server_name: pulumi.Output[str | None]
        """The server's name."""
        name: pulumi.Output[str]
        """The snapshot's name."""
        description: pulumi.Output[str | None]
        """The snapshot's description."""
        status: pulumi.Output[str]
        """``completed`` after create; refresh shows what the API reports now."""
        size_mb: pulumi.Output[int | None]
        """Size in MB, once completed."""
        created_at: pulumi.Output[str | None]
        """When the snapshot was made (ISO 8601, UTC)."""
        wait_timeout: pulumi.Output[str | float | None]
        """The wait timeout given as input."""
        adopted: pulumi.Output[bool]
        """True when an existing snapshot of the same name was taken under management."""
        managed_by: pulumi.Output[str | None]
        """The other stack that took the snapshot, when this resource adopted it from that stack: destroy then leaves
        it in place. Unset when this stack took it."""

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
        :param args: the inputs (see :class:`SnapshotArgs`), or give them as keywords: ``server_id``, ``name``
            (required), ``description``, ``wait_timeout``.
        :param opts: resource options.
        """
        _register(self, resource_name, _spec.PACKAGE.resource("Snapshot"), args, kwargs, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Snapshot:
        """Look up an existing snapshot by id, read-only: Pulumi reads it and never creates or deletes it."""
        found = Snapshot.__new__(Snapshot)
        _register(found, resource_name, _spec.PACKAGE.resource("Snapshot"), None, {}, opts, id=id)
        return found


@dataclass(frozen=True)
class SnapshotRestoreArgs:
    """The inputs of a :class:`SnapshotRestore`.

    Attributes:
        snapshot_id: The snapshot to restore; its own server is overwritten. A new value alone restores nothing:
            change ``triggers`` to restore it.
        triggers: Any values; when they change the resource is replaced and the restore runs again (the only change
            that restores).
        wait: Wait until the server is no longer ``restoring`` (default true).
        wait_timeout: How long the whole restore may take, safety snapshot included: seconds, or a duration such as
            ``20m``. Default ``1h``; ``customTimeouts.create`` takes precedence.
        safety_snapshot: First take a snapshot of the server as it is now and wait until it is completed: the way
            back, and the record that stops a re-run from restoring twice (default true). At the 5-per-server limit
            room is made only by deleting an older safety snapshot.
    """

    snapshot_id: pulumi.Input[int]
    triggers: pulumi.Input[Sequence[Any]] | None = None
    wait: pulumi.Input[bool] | None = None
    wait_timeout: pulumi.Input[str | float] | None = None
    safety_snapshot: pulumi.Input[bool] | None = None


class SnapshotRestore(pulumi.dynamic.Resource, module="vpsorg", name="SnapshotRestore"):
    """Restores a server from a snapshot, once per value of ``triggers``. DANGER: overwrites all data on the snapshot's
    server and stops it first. Create takes a safety snapshot of the server as it is now (unless ``safety_snapshot``
    is false) and waits until it is completed, then sends exactly one restore request (then waits, with ``wait``).
    The safety snapshot is named after the resource and its triggers: a re-run that finds it completed (an
    interrupted run, on any machine) never sends the restore again. Only a change of ``triggers`` replaces the
    resource and restores again; a new ``snapshot_id`` alone is recorded and restores nothing. Preview and refresh
    never restore; delete does nothing (the snapshots are left alone). To undo, restore ``safety_snapshot_id``.

    Either ``SnapshotRestore(name, SnapshotRestoreArgs(...), opts)`` or ``SnapshotRestore(name, <inputs as
    keywords>, opts=...)``; the lifecycle, step by step: docs/reference/snapshot-restore.md.
    """

    # For type checkers only: at run time the SDK would resolve these annotations again (typing.get_type_hints)
    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).
    if TYPE_CHECKING:
        snapshot_id: pulumi.Output[int]
        """The ``snapshot_id`` input: the target (a new value alone restores nothing)."""
        triggers: pulumi.Output[list[Any] | None]
        """The triggers of this restore."""
        wait: pulumi.Output[bool | None]
        """Whether create waited for the server."""
        wait_timeout: pulumi.Output[str | float | None]
        """The wait timeout given as input."""
        safety_snapshot: pulumi.Output[bool | None]
        """The ``safety_snapshot`` input, as given."""
        restored_snapshot_id: pulumi.Output[int]
        """The snapshot this resource restored."""
        safety_snapshot_id: pulumi.Output[int | None]
        """The safety snapshot taken before the restore: the server as it was. Restore it to undo (point
        ``snapshot_id`` at it and change ``triggers``, or ``vpsorg rollback --undo``)."""
        server_id: pulumi.Output[int]
        """The server that was restored."""
        server_name: pulumi.Output[str | None]
        """The server's name."""
        server_status: pulumi.Output[str | None]
        """The server's status when create finished (``active`` after a finished restore; ``restoring`` if the wait ran
        out)."""
        message: pulumi.Output[str | None]
        """What the API said, plus a note if the wait ran out."""
        restored_at: pulumi.Output[str]
        """When the restore request was sent (ISO 8601, UTC)."""

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
        _register(self, resource_name, _spec.PACKAGE.resource("SnapshotRestore"), args, kwargs, opts)


@dataclass(frozen=True)
class SnapshotSeriesArgs:
    """The inputs of a :class:`SnapshotSeries`.

    Attributes:
        server_id: The server to snapshot.
        name_prefix: The start of every name in the series: ``<namePrefix>-<UTC time>-<take>``, such as
            ``app-20261207T101500Z-3f9a1c`` (letters, digits, hyphens and underscores, at most 200 characters).
        keep: How many of the series' snapshots to keep, newest first: 1 to 5.
        triggers: Any values; when they change the series takes a new snapshot (such as the version you deploy).
        description: Free text shown in the VPS.org panel, sent with each new snapshot.
        wait_timeout: How long a take waits for ``completed``: seconds, or a duration such as ``90s``, ``20m``,
            ``1h``. Default ``1h``; ``customTimeouts`` take precedence through the plugin.
    """

    server_id: pulumi.Input[int]
    name_prefix: pulumi.Input[str]
    keep: pulumi.Input[int]
    triggers: pulumi.Input[Sequence[Any]] | None = None
    description: pulumi.Input[str] | None = None
    wait_timeout: pulumi.Input[str | float] | None = None


class SnapshotSeries(pulumi.dynamic.Resource, module="vpsorg", name="SnapshotSeries"):
    """A series of snapshots of one server: one taken on create and on every change of ``triggers``, the newest
    ``keep`` kept, the oldest of the series deleted first. Declare your change after it (``dependsOn``) and every
    deploy that changes the triggers first takes a snapshot to roll back to (``latest_snapshot_id``). Only the
    series' own snapshots are ever deleted (they carry its mark in their description): never one made by hand or by
    another resource, never the newest, never one a ``SnapshotRestore`` restored (named by a safety snapshot of the
    server).

    Either ``SnapshotSeries(name, SnapshotSeriesArgs(...), opts)`` or ``SnapshotSeries(name, <inputs as keywords>,
    opts=...)``; the lifecycle, step by step: docs/reference/snapshot-series.md.
    """

    # For type checkers only: at run time the SDK would resolve these annotations again (typing.get_type_hints)
    # for every resource it registers, a cost that grows with the fleet (docs/fleets.md).
    if TYPE_CHECKING:
        server_id: pulumi.Output[int]
        """The server."""
        name_prefix: pulumi.Output[str]
        """The start of every name in the series."""
        keep: pulumi.Output[int]
        """How many of the series' snapshots are kept."""
        triggers: pulumi.Output[list[Any] | None]
        """The triggers of the latest snapshot."""
        description: pulumi.Output[str | None]
        """The description given as input."""
        wait_timeout: pulumi.Output[str | float | None]
        """The wait timeout given as input."""
        latest_snapshot_id: pulumi.Output[int | None]
        """The series' newest snapshot: the one to roll back to."""
        latest_name: pulumi.Output[str | None]
        """Its name."""
        snapshots: pulumi.Output[list[dict[str, Any]]]
        """The series' snapshots as VPS.org lists them, newest first."""

    @overload
    def __init__(
        self, resource_name: str, args: SnapshotSeriesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        *,
        server_id: pulumi.Input[int],
        name_prefix: pulumi.Input[str],
        keep: pulumi.Input[int],
        triggers: pulumi.Input[Sequence[Any]] | None = None,
        description: pulumi.Input[str] | None = None,
        wait_timeout: pulumi.Input[str | float] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    def __init__(
        self,
        resource_name: str,
        args: SnapshotSeriesArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """
        :param resource_name: the Pulumi resource name.
        :param args: the inputs (see :class:`SnapshotSeriesArgs`), or give them as keywords: ``server_id``,
            ``name_prefix``, ``keep`` (required), ``triggers``, ``description``, ``wait_timeout``.
        :param opts: resource options.
        """
        _register(self, resource_name, _spec.PACKAGE.resource("SnapshotSeries"), args, kwargs, opts)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> SnapshotSeries:
        """Look up an existing snapshotseries by id, read-only: Pulumi reads it and never creates or deletes it."""
        found = SnapshotSeries.__new__(SnapshotSeries)
        _register(found, resource_name, _spec.PACKAGE.resource("SnapshotSeries"), None, {}, opts, id=id)
        return found
