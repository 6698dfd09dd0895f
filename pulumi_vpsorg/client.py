"""The VPS.org API client: the transport core (:mod:`pulumi_vpsorg._base_client`: retries, timeouts, status ->
exception), the endpoints above it (:mod:`pulumi_vpsorg._endpoints`: ``client.snapshots``, ``client.servers``),
and the lists its callers share (:mod:`pulumi_vpsorg.listing`, which learns of each create and delete through the
client's ``on_write`` hook, so a list read before a write is never trusted after it).

    from pulumi_vpsorg import Client
    with Client() as api:                       # token from VPSORG_TOKEN, endpoint from VPSORG_ENDPOINT
        for snap in api.list_snapshots(server_id=12345):
            print(snap.id, snap.name, snap.status)
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from ._base_client import DEFAULT_ENDPOINT as DEFAULT_ENDPOINT
from ._base_client import ENDPOINT_ENV as ENDPOINT_ENV
from ._base_client import TOKEN_ENV as TOKEN_ENV
from ._base_client import BaseClient
from ._base_client import backoff as backoff
from ._base_client import check_token as check_token
from ._base_client import endpoint_key as endpoint_key
from ._base_client import endpoint_problem as endpoint_problem
from ._base_client import redact as redact
from ._base_client import resolve_endpoint as resolve_endpoint
from ._endpoints import Servers, Snapshots
from ._endpoints import SnapshotListing as SnapshotListing
from ._fleet import Fleet
from ._poller import Poller
from .models import RestoreResponse, Server, Snapshot, SnapshotCreated


class Client(BaseClient):
    """A synchronous client for the VPS.org snapshot and server endpoints (the arguments: :class:`BaseClient`).

    ``snapshots`` and ``servers`` are the endpoints; the methods below are their short names. ``fleet`` and
    ``poller`` are this client's shared lists (:mod:`pulumi_vpsorg.listing`): every wait, read and look-up through
    it shares them.
    """

    def _after_init(self) -> None:
        self.snapshots: Snapshots = Snapshots(self)
        self.servers: Servers = Servers(self)
        self.fleet: Fleet = Fleet(self.clock)  # what its callers have in progress on the shared lists, its writes
        self.poller: Poller = Poller(self.clock)  # its callers share each fetch of one list (listing, wait)

    def on_write(self, server_id: int | None, name: str | None) -> AbstractContextManager[None]:
        return self.fleet.writes.recording(server_id, name)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def list_snapshots(self, server_id: int | None = None) -> list[Snapshot]:
        """All snapshots (of one server when ``server_id`` is given), following pagination to the end."""
        return self.snapshots.list(server_id)

    def snapshot_listing(self, server_id: int | None = None) -> SnapshotListing:
        """:meth:`Snapshots.listing`: the snapshots, and whether absence from them is proof."""
        return self.snapshots.listing(server_id)

    def create_snapshot(self, server_id: int, name: str, description: str | None = None) -> SnapshotCreated:
        """:meth:`Snapshots.create`: ``POST /snapshots/``, retried only when VPS.org provably did nothing."""
        return self.snapshots.create(server_id, name, description)

    def restore_snapshot(self, snapshot_id: int) -> RestoreResponse:
        """:meth:`Snapshots.restore`: ``POST /snapshots/{id}/restore/``, never retried."""
        return self.snapshots.restore(snapshot_id)

    def delete_snapshot(self, snapshot_id: int, *, server_id: int | None = None) -> None:
        """:meth:`Snapshots.delete`: ``DELETE /snapshots/{id}/``; a 404 raises :class:`NotFoundError`."""
        self.snapshots.delete(snapshot_id, server_id=server_id)

    def list_servers(self, status: str | None = None, location: str | None = None) -> list[Server]:
        """All servers, optionally filtered by ``status`` and ``location``."""
        return self.servers.list(status, location)
