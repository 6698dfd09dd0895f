"""pydantic models of what the VPS.org API returns.

Unknown fields are kept (``extra="allow"``) and status strings are plain ``str``: an undocumented status
never makes parsing fail.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
RESTORING = "restoring"
NAME_MAX = 255
_NAME = re.compile(r"[A-Za-z0-9_-]+")


def snapshot_name_problem(name: Any) -> str | None:
    """Why ``name`` is not a valid snapshot name (letters, digits, hyphens, underscores; 1-255), or None."""
    if not isinstance(name, str):
        return f"name must be a string, got {type(name).__name__} {repr(name)[:60]}"
    if len(name) > NAME_MAX:
        return f"name must be at most {NAME_MAX} characters, got {len(name)}"
    if not _NAME.fullmatch(name):
        return f"name may contain only letters, digits, hyphens and underscores, got {repr(name)[:60]}"
    return None


MAX_ID = 2**53  # ids beyond what a JSON number holds exactly are not ids
_DIGITS = re.compile(r"[0-9]{1,16}")


def positive_int(prop: str, value: Any, what: str) -> tuple[int | None, str | None]:
    """``(value as int, None)`` or ``(None, reason)``. Numbers arrive as floats (``12345.0``); strings of ASCII
    digits pass; anything else, zero, negative or above 2**53 is refused with the rule."""
    rule = f"{prop} must be {what}: a whole number from 1 to {MAX_ID}"
    if isinstance(value, bool):
        return None, f"{rule}, not a boolean"
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            return None, f"{rule} (ASCII digits only), got {_show(value)}"
        value = int(text)
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None, f"{rule}, got {value!r}"
        value = int(value)
    if not isinstance(value, int):
        return None, f"{rule}, got {type(value).__name__} {_show(value)}"
    if not 1 <= value <= MAX_ID:
        return None, f"{rule}, got {_show(value)}"
    return value, None


def _show(value: Any) -> str:
    """A user's value for a message: at most 60 characters of its repr (never a traceback for a huge one)."""
    text = (
        repr(value) if not isinstance(value, int) or value.bit_length() < 200 else f"a {len(str(value))}-digit number"
    )
    return text if len(text) <= 60 else text[:57] + "..."


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
