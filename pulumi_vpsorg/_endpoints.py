"""What each VPS.org endpoint means: its paths, its parameters, its answers' models, and its errors in its own
terms (a 400 of ``POST /snapshots/`` that speaks of a limit is a :class:`~pulumi_vpsorg.errors.SnapshotLimitError`).
Thin: every request goes through the transport core (:class:`~pulumi_vpsorg._base_client.BaseClient`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._base_client import parse_model
from .errors import BadRequestError, SnapshotLimitError
from .models import RestoreResponse, Server, ServerList, ServerRef, Snapshot, SnapshotCreated, SnapshotList

if TYPE_CHECKING:
    from ._base_client import BaseClient

_LIMIT_WORDS = re.compile(r"\b(limit|maximum|max)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SnapshotListing:
    """One answer of ``GET /snapshots/``: its snapshots, whether it is ``complete`` (absence from it is proof), and
    how many pages it took."""

    snapshots: list[Snapshot]
    complete: bool
    pages: int


class Snapshots:
    """``/snapshots/``: list, create, restore, delete."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def list(self, server_id: int | None = None) -> list[Snapshot]:
        """All snapshots (of one server when ``server_id`` is given), following pagination to the end."""
        return self.listing(server_id).snapshots

    def listing(self, server_id: int | None = None) -> SnapshotListing:
        """The snapshots (of one server when ``server_id`` is given), page by page, and whether the answer is
        ``complete``: absence from it proves a snapshot gone only then.

        Complete means one page whose ``count`` (when given) is the number of its results and, for one server,
        nothing of another server in it. A list of several pages is not one consistent answer (a deletion during it
        can shift a live snapshot past the page being read), and an API that ignored ``server_id`` may page the
        account. Presence is proof either way. Seen twice, a snapshot counts once.
        """
        params = None if server_id is None else {"server_id": int(server_id)}
        snaps: dict[int, Snapshot] = {}
        pages = foreign = 0
        complete = True
        for results, count in self._client._pages("snapshots/", params, SnapshotList, Snapshot):
            pages += 1
            complete = complete and pages == 1 and count in (None, len(results))
            for s in results:
                # Trust nothing the API says about ownership: a list that ignored the filter must not hand us
                # another server's snapshot to adopt or delete. One that names no server is kept (it cannot be judged).
                if server_id is not None and s.server_id not in (None, int(server_id)):
                    foreign += 1
                else:
                    snaps[s.id] = s
        return SnapshotListing(list(snaps.values()), complete=complete and not foreign, pages=pages)

    def create(self, server_id: int, name: str, description: str | None = None) -> SnapshotCreated:
        """``POST /snapshots/``. Retried only when VPS.org provably did nothing: a 429, or a connection that could
        not be opened. Any other failure may have made the snapshot: never sent again here (see ``operations``).
        """
        body: dict[str, Any] = {"server_id": int(server_id), "name": name}
        if description is not None:
            body["description"] = description
        with self._client.on_write(int(server_id), name):
            try:
                resp = self._client._request(
                    "POST",
                    "snapshots/",
                    json=body,
                    retry="refused_only",
                    hints={
                        404: f"Server {int(server_id)} does not exist, or this token cannot see it: check server_id."
                    },
                )
            except BadRequestError as e:  # VPS.org says so in words: 5 snapshots per server
                if not _LIMIT_WORDS.search(e.api_message):
                    raise
                said = e.api_message
                raise SnapshotLimitError(
                    said, message=f"VPS.org API POST /snapshots/ returned HTTP 400: {said}."
                ) from None
        created = parse_model(resp, SnapshotCreated)
        if created.server is None:
            created.server = ServerRef(id=int(server_id))
        return created

    def restore(self, snapshot_id: int) -> RestoreResponse:
        """``POST /snapshots/{id}/restore/``: overwrites the server's data. Never retried automatically."""
        resp = self._client._request(
            "POST",
            f"snapshots/{int(snapshot_id)}/restore/",
            retry="never",
            hints={
                400: "The server is not in a state that allows a restore: wait for the running operation "
                "(a snapshot in progress, another restore) to finish, then try again.",
                404: f"Snapshot {int(snapshot_id)} does not exist: `vpsorg snapshots list` shows the ones that do.",
            },
        )
        return parse_model(resp, RestoreResponse) if resp.content else RestoreResponse()

    def delete(self, snapshot_id: int, *, server_id: int | None = None) -> None:
        """``DELETE /snapshots/{id}/``. A 404 raises :class:`NotFoundError`; callers decide whether that is done.

        ``server_id``, the snapshot's server when known, narrows which cached lists stop being trusted.
        """
        with self._client.on_write(server_id, None):
            self._client._request("DELETE", f"snapshots/{int(snapshot_id)}/")


class Servers:
    """``/servers/``: list."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def list(self, status: str | None = None, location: str | None = None) -> list[Server]:
        """All servers, optionally filtered by ``status`` and ``location``."""
        params = {k: v for k, v in (("status", status), ("location", location)) if v is not None}
        return self._client._list("servers/", params or None, ServerList, Server)
