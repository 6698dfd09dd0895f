"""pydantic models of what the VPS.org API returns.

Unknown fields are kept (``extra="allow"``) and status strings are plain ``str``: an undocumented status
never makes parsing fail.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .rules import MAX_ID as MAX_ID
from .rules import NAME_MAX as NAME_MAX
from .rules import positive_int as positive_int
from .rules import snapshot_name_problem as snapshot_name_problem

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
RESTORING = "restoring"
_T = TypeVar("_T")
Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
"""An id from the API: a JSON whole number from 1 up (not ``true``, not ``"5"``, not -5)."""


class _Model(BaseModel):
    model_config: ClassVar[ConfigDict] = ConfigDict(extra="allow")


class ServerRef(_Model):
    """The short server object nested in snapshots and restore responses."""

    id: Id
    name: str | None = None
    status: str | None = None


class Snapshot(_Model):
    """A snapshot as listed by ``GET /snapshots/``."""

    id: Id
    server: ServerRef | None = None
    name: str
    status: str
    size_mb: int | None = None
    created_at: str | None = None
    description: str | None = None

    @property
    def server_id(self) -> int | None:
        return self.server.id if self.server else None

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def is_in_progress(self) -> bool:
        return self.status == IN_PROGRESS

    @property
    def is_failed(self) -> bool:
        """Any status other than ``in_progress`` and ``completed`` is a terminal failure (per the API notes)."""
        return self.status not in (IN_PROGRESS, COMPLETED)


class SnapshotCreated(Snapshot):
    """The 201 answer to ``POST /snapshots/``: a snapshot plus the API's ``message``."""

    message: str | None = None


class RestoreSnapshotRef(_Model):
    id: Id
    name: str | None = None
    created_at: str | None = None


class RestoreResponse(_Model):
    """The 200 answer to ``POST /snapshots/{id}/restore/``."""

    status: str | None = None
    message: str | None = None
    snapshot: RestoreSnapshotRef | None = None
    server: ServerRef | None = None


class Server(_Model):
    """A server as listed by ``GET /servers/``."""

    id: Id
    name: str | None = None
    hostname: str | None = None
    status: str | None = None
    ip_address: str | None = None
    location: str | None = None
    plan: dict[str, Any] | None = None
    os: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Page(_Model, Generic[_T]):
    """One page of a list endpoint: ``results``, and a ``next`` link while more pages follow."""

    count: Annotated[int, Field(strict=True, ge=0)] | None = None
    next: str | None = None
    results: list[_T]


SnapshotList = Page[Snapshot]
ServerList = Page[Server]
