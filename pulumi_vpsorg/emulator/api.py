"""The emulated API: its request handling, as plain Python (the adapters put httpx or HTTP in front of it)."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from . import faults
from .reply import DROP, Drop, Reply, detail
from .state import DOC_SERVERS, SnapshotRecord, State, iso

log: logging.Logger = logging.getLogger("pulumi_vpsorg.emulator")
log.propagate = False  # its request lines go only where `vpsorg emulator -v` sends them, never into a client's log
API_PREFIX = "/api/v1"
SNAPSHOT_LIMIT = 5
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_NOT_FOUND = "Not found."


@dataclass
class Request:
    """One request as the handlers see it: the path below ``/api/v1``, the query, the body, the id in the path."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes
    base: str
    match: re.Match[str] | None = field(default=None, repr=False)

    @property
    def path_id(self) -> int:
        assert self.match is not None
        return int(self.match.group(1))


Handler = Callable[["Emulator", Request], "Reply | Drop"]


class Emulator:
    """The emulated API's state and request handling; thread-safe.

    Args:
        token: accept only this bearer token; ``None`` accepts any non-empty token.
        snapshot_seconds: how long a snapshot stays ``in_progress``.
        restore_seconds: how long a server stays ``restoring``.
        state_file: keep state in this JSON file (loaded at start, written atomically after each change).
        page_size: list pages hold at most this many items (``next`` links to the rest).
        servers: how many servers exist at start (the two of the docs first); more allow larger benchmarks.
        latency: seconds to wait before answering each request.
        rate_limit: answer 429 (``Retry-After: 1``) beyond this many API requests a second (None: no limit).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        snapshot_seconds: float = 5.0,
        restore_seconds: float = 5.0,
        state_file: str | None = None,
        page_size: int = 20,
        servers: int = len(DOC_SERVERS),
        latency: float = 0.0,
        rate_limit: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token: str | None = token
        self.snapshot_seconds: float = snapshot_seconds
        self.restore_seconds: float = restore_seconds
        self.state_file: str | None = state_file
        self.page_size: int = page_size
        self.latency: float = latency
        self.clock: Callable[[], float] = clock
        self.log: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._faults = faults.Faults()
        self._limit = faults.RateLimit(rate_limit, time.monotonic()) if rate_limit else None
        self._servers = servers
        self._state: State
        if state_file and os.path.exists(state_file):
            self._state = State.load(state_file)
        else:
            self._state = State.new(servers, self.clock())
            self._save()

    # ----- test helpers --------------------------------------------------------------------------------------

    def inject(self, **spec: Any) -> None:
        """Arm faults (see :mod:`pulumi_vpsorg.emulator.faults`); a malformed one raises ValueError, arms nothing."""
        unknown = set(spec) - {
            "status",
            "count",
            "retry_after",
            "method",
            "path",
            "body",
            "text",
            "drop_after_create",
            "fail_snapshots",
            "latency",
            "rate_limit",
            "ignore_server_filter",
        }
        why = f"unknown fault keys: {', '.join(sorted(unknown))}" if unknown else faults.problem(spec)
        if why:
            raise ValueError(why)
        with self._lock:
            if spec.get("status") is not None:
                keys = ("status", "count", "retry_after", "method", "path", "body", "text")
                self._faults.armed.append(faults.Fault(**{k: spec[k] for k in keys if k in spec}))
            self._faults.drop_after_create += spec.get("drop_after_create", 0)
            self._faults.fail_snapshots += spec.get("fail_snapshots", 0)
            if spec.get("latency") is not None:
                self.latency = spec["latency"]
            if spec.get("ignore_server_filter") is not None:
                self._faults.ignore_server_filter = spec["ignore_server_filter"]
            if spec.get("rate_limit") is not None:
                rate = spec["rate_limit"]
                self._limit = faults.RateLimit(rate, time.monotonic()) if rate else None

    def reset(self, *, snapshot_seconds: float | None = None, restore_seconds: float | None = None) -> None:
        """Back to a fresh start: the servers only, no snapshots, faults, latency or log (for shared test fixtures)."""
        with self._lock:
            self._state = State.new(self._servers, self.clock())
            self._faults = faults.Faults()
            self._limit = None
            self.latency = 0.0
            self.log.clear()
            if snapshot_seconds is not None:
                self.snapshot_seconds = snapshot_seconds
            if restore_seconds is not None:
                self.restore_seconds = restore_seconds

    def snapshots(self) -> list[dict[str, Any]]:
        """Every snapshot as the API shows it, plus ``ready_at`` (epoch seconds when it stopped being in progress)."""
        with self._lock:
            now = self.clock()
            return [dict(self._view(s, now), ready_at=s.ready_at) for s in self._state.sorted_snapshots()]

    def complete_all(self) -> None:
        """Mark every snapshot in progress as done now (tests that need a completed one without waiting)."""
        with self._lock:
            for snap in self._state.snapshots.values():
                snap.ready_at = min(snap.ready_at, self.clock())

    def finish_restores(self) -> None:
        """End every restore under way now (tests of what a run does once a restore is over)."""
        with self._lock:
            for server in self._state.servers.values():
                server.restoring_until = None

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The request log, optionally filtered by method and path (without the query)."""
        with self._lock:
            return [r for r in self.log if method in (None, r["method"]) and path in (None, r["path"])]

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this emulator in-process (no socket)."""
        from .adapters import transport

        return transport(self)

    # ----- request handling ----------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, authorization: str | None, body: bytes, *, base: str = ""
    ) -> Reply | Drop:
        """Answer one request. ``target`` is the path with its query string."""
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            entry: dict[str, Any] = {"method": method, "path": parts.path, "query": query, "t": self.clock()}
            if body:
                try:
                    entry["json"] = json.loads(body)
                except (ValueError, RecursionError):
                    entry["body"] = body.decode(errors="replace")
            self.log.append(entry)
            reply = self._route(Request(method, parts.path, query, body, base), authorization)
            entry["status"] = reply.status if isinstance(reply, Reply) else "dropped"
            log.info("%s %s -> %s", method, target[:200], entry["status"])
            return reply

    def _route(self, req: Request, authorization: str | None) -> Reply | Drop:
        if req.path.startswith("/_emulator/"):
            return self._admin(req)
        if not req.path.startswith(API_PREFIX + "/"):
            return detail(404, _NOT_FOUND)
        denied = self._authenticate(authorization)
        limited = self._limit.take(time.monotonic()) if self._limit and not denied else None
        fault = denied or limited or self._faults.take(req.method, req.path)
        if fault:
            return fault
        req.path = req.path[len(API_PREFIX) :]
        for pattern, methods in _ROUTES:
            req.match = pattern.fullmatch(req.path)
            if req.match:
                handler = methods.get(req.method)
                return handler(self, req) if handler else detail(405, f'Method "{req.method}" not allowed.')
        return detail(404, _NOT_FOUND)

    def _authenticate(self, auth: str | None) -> Reply | None:
        if not auth or not auth.startswith("Bearer ") or not auth[7:].strip():
            return detail(401, "Authentication credentials were not provided.")
        if self.token is not None and auth[7:] != self.token:
            return detail(401, "Invalid token.")
        return None

    def _admin(self, req: Request) -> Reply:
        if req.path == "/_emulator/faults" and req.method == "POST":
            try:
                spec = json.loads(req.body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("a fault is a JSON object")
                self.inject(**spec)
            except (TypeError, ValueError, RecursionError) as e:
                return detail(400, f"bad fault: {str(e)[:300]}")
            return Reply(204)
        if req.path == "/_emulator/stats" and req.method == "GET":
            return Reply(200, {"requests": self.log, "snapshots": self.snapshots()})
        return detail(404, _NOT_FOUND)

    # ----- snapshots -----------------------------------------------------------------------------------------

    def _view(self, snap: SnapshotRecord, now: float) -> dict[str, Any]:
        server = self._state.servers.get(snap.server_id)
        return snap.view(server.name if server else None, now)

    def _list_snapshots(self, req: Request) -> Reply:
        items = self._state.sorted_snapshots()
        if "server_id" in req.query and not self._faults.ignore_server_filter:
            wanted = req.query["server_id"]
            if not (wanted.isascii() and wanted.isdigit()):
                return Reply(400, {"server_id": ["A valid integer is required."]})
            items = [s for s in items if s.server_id == int(wanted)]
        now = self.clock()
        return self._page(items, req, lambda s: self._view(s, now))

    def _page(self, items: list[Any], req: Request, view: Callable[[Any], dict[str, Any]] = lambda x: x) -> Reply:
        page_text = req.query.get("page", "1")
        if not (page_text.isascii() and page_text.isdigit()) or int(page_text) < 1:
            return detail(404, "Invalid page.")
        page = int(page_text)
        start = (page - 1) * self.page_size
        link = f"{req.base}{API_PREFIX}{req.path}?"
        nxt = f"{link}{urlencode(dict(req.query, page=page + 1))}" if start + self.page_size < len(items) else None
        prev = f"{link}{urlencode(dict(req.query, page=page - 1))}" if page > 1 else None
        return Reply(
            200,
            {
                "count": len(items),
                "next": nxt,
                "previous": prev,
                "results": [view(x) for x in items[start : start + self.page_size]],
            },
        )

    def _create(self, req: Request) -> Reply | Drop:
        data, errors = _create_body(req.body)
        if errors:
            return Reply(400, errors)
        server = self._state.servers.get(data["server_id"])
        if server is None:
            return detail(404, f"Server {data['server_id']} not found.")
        now = self.clock()
        if server.status_at(now) == "restoring":
            return detail(400, "Server is being restored; try again when the restore is over.")
        if sum(1 for s in self._state.snapshots.values() if s.server_id == server.id) >= SNAPSHOT_LIMIT:
            return detail(400, f"Snapshot limit reached: a server can have at most {SNAPSHOT_LIMIT} snapshots.")
        sid = self._state.next_id
        self._state.next_id += 1
        record = SnapshotRecord(
            sid,
            server.id,
            data["name"],
            data.get("description") or "",
            now,
            now + self.snapshot_seconds,
            "failed" if self._faults.take_failure() else "completed",
            1024 + (sid * 389) % 8192,
        )
        self._state.snapshots[sid] = record
        self._save()
        if self._faults.take_drop():
            return DROP
        view = self._view(record, now)
        view["message"] = "Snapshot is being created. This may take 3-10 minutes depending on server size."
        return Reply(201, view)

    def _restore(self, req: Request) -> Reply:
        record = self._state.snapshots.get(req.path_id)
        if record is None:
            return detail(404, "Snapshot not found.")
        now = self.clock()
        if record.status_at(now) != "completed":
            return detail(400, f"Snapshot is {record.status_at(now)}; only a completed snapshot can be restored.")
        server = self._state.servers[record.server_id]
        if server.status_at(now) == "restoring":
            return detail(400, "Server is not in a valid state for restoration (restoring).")
        server.restoring_until = now + self.restore_seconds
        server.updated_at = iso(now)
        self._save()
        return Reply(
            200,
            {
                "status": "success",
                "message": "Server is being restored from snapshot. This may take 5-15 minutes.",
                "snapshot": {"id": record.id, "name": record.name, "created_at": iso(record.created)},
                "server": {"id": server.id, "name": server.name, "status": "restoring"},
            },
        )

    def _delete(self, req: Request) -> Reply:
        record = self._state.snapshots.get(req.path_id)
        if record is None:
            return detail(404, "Snapshot not found.")
        if self.clock() < record.ready_at:
            return detail(400, "Snapshot is being created; delete it once it is completed.")
        del self._state.snapshots[req.path_id]
        self._save()
        return Reply(204)

    # ----- servers and account ---------------------------------------------------------------------------------

    def _list_servers(self, req: Request) -> Reply:
        now = self.clock()
        views = [self._state.servers[k].view(now) for k in sorted(self._state.servers)]
        wanted = {k: v for k, v in req.query.items() if k in ("status", "location")}
        return self._page([v for v in views if all(v[k] == x for k, x in wanted.items())], req)

    def _account(self, req: Request) -> Reply:
        return Reply(
            200, {"account": {"id": 1, "email": "dev@example.com"}, "token": {"name": "emulator", "permissions": ["*"]}}
        )

    def _save(self) -> None:
        if self.state_file:
            self._state.save(self.state_file)


def _create_body(body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The create body and the field errors DRF would answer with (empty when it is fine)."""
    try:
        data = json.loads(body or b"")
    except (ValueError, RecursionError):
        return {}, {"detail": "JSON parse error."}
    if not isinstance(data, dict):
        return {}, {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    errors: dict[str, list[str]] = {}
    server_id, name, description = data.get("server_id"), data.get("name"), data.get("description")
    if server_id is None:
        errors["server_id"] = ["This field is required."]
    elif not isinstance(server_id, int) or isinstance(server_id, bool):
        errors["server_id"] = ["A valid integer is required."]
    if not name:
        errors["name"] = ["This field is required."]
    elif not isinstance(name, str) or not _NAME.fullmatch(name):
        errors["name"] = ["Snapshot name may contain only letters, digits, hyphens and underscores."]
    elif len(name) > 255:
        errors["name"] = ["Ensure this field has no more than 255 characters."]
    if description is not None and not isinstance(description, str):
        errors["description"] = ["Not a valid string."]
    return data, errors


_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"/snapshots/"), {"GET": Emulator._list_snapshots, "POST": Emulator._create}),
    (re.compile(r"/snapshots/([0-9]+)/restore/"), {"POST": Emulator._restore}),
    (re.compile(r"/snapshots/([0-9]+)/"), {"DELETE": Emulator._delete}),
    (re.compile(r"/servers/"), {"GET": Emulator._list_servers}),
    (re.compile(r"/account/me/"), {"GET": Emulator._account}),
]
