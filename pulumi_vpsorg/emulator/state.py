"""The emulator's state: servers and snapshots as dataclasses, kept in a JSON file when asked.

The file holds ``{"next_id": N, "servers": {"ID": {...}}, "snapshots": {"ID": {...}}}``, each record the fields of
:class:`ServerRecord` / :class:`SnapshotRecord`. A file of another shape is refused at start with what is wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, TypeVar

DOC_SERVERS = [
    (12345, "web-server-01", "us-west"),
    (12346, "db-server-01", "us-west"),
    (12347, "app-server-01", "us-east"),
    (12348, "cache-server-01", "us-east"),
    (12349, "worker-server-01", "eu-central"),
    (12350, "backup-server-01", "eu-central"),
]
_R = TypeVar("_R", "ServerRecord", "SnapshotRecord")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ServerRecord:
    id: int
    name: str
    location: str
    hostname: str
    ip_address: str
    created_at: str
    updated_at: str
    status: str = "active"
    plan: dict[str, Any] = field(
        default_factory=lambda: {"id": 1, "name": "Standard VPS", "vcpus": 2, "memory": 4096, "storage": 80}
    )
    os: dict[str, Any] = field(default_factory=lambda: {"id": 5, "name": "Ubuntu 22.04 LTS"})
    restoring_until: float | None = None

    def __post_init__(self) -> None:
        _expect(self, int, "id")
        _expect(self, str, "name", "location", "status")
        if self.restoring_until is not None:
            _expect(self, (int, float), "restoring_until")

    @classmethod
    def make(cls, sid: int, name: str, location: str, now: float) -> ServerRecord:
        n = sid - 12345
        return cls(
            sid, name, location, f"{name.replace('-server', '')}.example.com", f"203.0.113.{10 + n}", iso(now), iso(now)
        )

    def status_at(self, now: float) -> str:
        return "restoring" if self.restoring_until is not None and now < self.restoring_until else self.status

    def view(self, now: float) -> dict[str, Any]:
        """As ``GET /servers/`` shows it."""
        shown = {k: v for k, v in asdict(self).items() if k != "restoring_until"}
        shown["status"] = self.status_at(now)
        return shown


@dataclass
class SnapshotRecord:
    id: int
    server_id: int
    name: str
    description: str
    created: float
    ready_at: float
    final_status: str
    final_size_mb: int

    def __post_init__(self) -> None:
        _expect(self, int, "id", "server_id", "final_size_mb")
        _expect(self, str, "name", "description", "final_status")
        _expect(self, (int, float), "created", "ready_at")

    def status_at(self, now: float) -> str:
        return self.final_status if now >= self.ready_at else "in_progress"

    def view(self, server_name: str | None, now: float) -> dict[str, Any]:
        """As ``GET /snapshots/`` shows it."""
        status = self.status_at(now)
        return {
            "id": self.id,
            "server": {"id": self.server_id, "name": server_name},
            "name": self.name,
            "status": status,
            "size_mb": self.final_size_mb if status == "completed" else None,
            "created_at": iso(self.created),
            "description": self.description,
        }


@dataclass
class State:
    next_id: int = 801
    servers: dict[int, ServerRecord] = field(default_factory=dict)
    snapshots: dict[int, SnapshotRecord] = field(default_factory=dict)

    @classmethod
    def new(cls, servers: int, now: float) -> State:
        state = cls()
        for i in range(servers):
            sid, name, loc = DOC_SERVERS[i] if i < len(DOC_SERVERS) else (12345 + i, f"node-{i + 1:02d}", "us-west")
            state.servers[sid] = ServerRecord.make(sid, name, loc, now)
        return state

    def sorted_snapshots(self) -> list[SnapshotRecord]:
        return [self.snapshots[k] for k in sorted(self.snapshots)]

    def to_json(self) -> dict[str, Any]:
        return {
            "next_id": self.next_id,
            "servers": {str(k): asdict(v) for k, v in self.servers.items()},
            "snapshots": {str(k): asdict(v) for k, v in self.snapshots.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        """The state a file holds; ValueError saying what is wrong when it is not an emulator state file."""
        if not isinstance(data, dict) or not _whole(data.get("next_id")):
            raise ValueError("not an emulator state file (no whole-number next_id)")
        return cls(
            data["next_id"], _records(data, "servers", ServerRecord), _records(data, "snapshots", SnapshotRecord)
        )

    def save(self, path: str) -> None:
        """Write atomically: a crash never leaves half a file."""
        fd, tmp = tempfile.mkstemp(prefix=".vpsorg-emulator-", dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str) -> State:
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


def _expect(record: object, kind: type | tuple[type, ...], *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TypeError(f"{name} has the wrong type ({type(value).__name__})")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _records(data: dict[str, Any], key: str, kind: type[_R]) -> dict[int, _R]:
    table = data.get(key)
    if not isinstance(table, dict):
        raise ValueError(f"{key!r} is not an object of records")
    needed = {f.name for f in fields(kind)}
    out: dict[int, _R] = {}
    for record_id, record in table.items():
        if not isinstance(record, dict) or set(record) != needed or str(record.get("id")) != record_id:
            raise ValueError(f"{key} record {str(record_id)[:20]!r} must have exactly: {', '.join(sorted(needed))}")
        try:
            out[int(record_id)] = kind(**record)
        except TypeError as e:
            raise ValueError(f"{key} record {record_id!r}: {e}") from None
    return out
