"""A local, stateful stand-in for the VPS.org API, for examples, tests and benchmarks.

The request handling (:meth:`Emulator.handle`) is plain Python; :meth:`Emulator.transport` serves it in-process as
an httpx transport (no socket) and :func:`serve` puts a small HTTP server in front of it::

    emu = Emulator(snapshot_seconds=2)
    server = serve(emu, port=0)                 # real HTTP on 127.0.0.1, a free port
    print(server.endpoint)                      # http://127.0.0.1:PORT/api/v1
    ...
    server.close()

It behaves as the API notes describe (statuses, bodies, the 5-per-server limit) and, because the real API leaves it
open, it allows two snapshots with the same name: the worst case for a client that must never make two.

Fault injection (``POST /_emulator/faults`` with a JSON body, or :meth:`Emulator.inject`):
``{"status": 429, "count": 2, "retry_after": 1, "method": "GET", "path": "/api/v1/snapshots/"}`` answers the next
matching requests with that status; ``{"drop_after_create": 1}`` performs the next create and then drops the
connection; ``{"fail_snapshots": 1}`` makes the next snapshot end ``failed``; ``{"latency": 0.2}`` delays every
request. ``GET /_emulator/stats`` returns the request log and every snapshot's completion time.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

API_PREFIX = "/api/v1"
SNAPSHOT_LIMIT = 5
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_SNAPSHOT_PATH = re.compile(r"^/snapshots/(\d+)/$")
_RESTORE_PATH = re.compile(r"^/snapshots/(\d+)/restore/$")

DOC_SERVERS = [
    (12345, "web-server-01", "us-west"),
    (12346, "db-server-01", "us-west"),
    (12347, "app-server-01", "us-east"),
    (12348, "cache-server-01", "us-east"),
    (12349, "worker-server-01", "eu-central"),
    (12350, "backup-server-01", "eu-central"),
]


class Drop:
    """Returned by :meth:`Emulator.handle` when the connection must be dropped without an answer."""


DROP = Drop()


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # sent as it is (an HTML error page, say) instead of ``body`` as JSON

    def content(self) -> bytes:
        if self.text is not None:
            return self.text.encode()
        return b"" if self.body is None else json.dumps(self.body).encode()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _server_record(sid: int, name: str, location: str, now: float) -> dict[str, Any]:
    n = sid - 12345
    return {
        "id": sid,
        "name": name,
        "hostname": f"{name.replace('-server', '')}.example.com",
        "status": "active",
        "ip_address": f"203.0.113.{10 + n}",
        "location": location,
        "plan": {"id": 1, "name": "Standard VPS", "vcpus": 2, "memory": 4096, "storage": 80},
        "os": {"id": 5, "name": "Ubuntu 22.04 LTS"},
        "created_at": _iso(now),
        "updated_at": _iso(now),
        "restoring_until": None,
    }


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.snapshot_seconds = snapshot_seconds
        self.restore_seconds = restore_seconds
        self.state_file = state_file
        self.page_size = page_size
        self.latency = latency
        self.clock = clock
        self.log: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._faults: list[dict[str, Any]] = []
        self._drop_after_create = 0
        self._fail_snapshots = 0
        self._state: dict[str, Any] = {"next_id": 801, "servers": {}, "snapshots": {}}
        if state_file and os.path.exists(state_file):
            self._state = _load_state(state_file)
        else:
            now = self.clock()
            for i in range(servers):
                if i < len(DOC_SERVERS):
                    sid, name, loc = DOC_SERVERS[i]
                else:
                    sid, name, loc = 12345 + i, f"node-{i + 1:02d}", "us-west"
                self._state["servers"][str(sid)] = _server_record(sid, name, loc, now)
            self._save()

    # ----- test helpers --------------------------------------------------------------------------------------

    def inject(
        self,
        *,
        status: int | None = None,
        count: int = 1,
        retry_after: float | str | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
        text: str | None = None,
        drop_after_create: int = 0,
        fail_snapshots: int = 0,
        latency: float | None = None,
    ) -> None:
        """Arm faults; see the module docstring. ``path`` matches the request path without the query; ``body``
        (JSON) or ``text`` (sent as an HTML page) replace the answer's body. A malformed fault raises ValueError
        and arms nothing."""
        problem = _fault_problem(
            status, count, retry_after, method, path, text, drop_after_create, fail_snapshots, latency
        )
        if problem:
            raise ValueError(problem)
        with self._lock:
            if status is not None:
                self._faults.append(
                    {
                        "status": status,
                        "count": count,
                        "retry_after": retry_after,
                        "method": method,
                        "path": path,
                        "body": body,
                        "text": text,
                    }
                )
            self._drop_after_create += drop_after_create
            self._fail_snapshots += fail_snapshots
            if latency is not None:
                self.latency = latency

    def snapshots(self) -> list[dict[str, Any]]:
        """Every snapshot as the API shows it, plus ``ready_at`` (epoch seconds when it stopped being in progress)."""
        with self._lock:
            now = self.clock()
            return [dict(self._snapshot_view(s, now), ready_at=s["ready_at"]) for s in self._all_snapshots()]

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The request log, optionally filtered by method and path (without the query)."""
        with self._lock:
            return [
                r for r in self.log if (method is None or r["method"] == method) and (path is None or r["path"] == path)
            ]

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this emulator in-process."""

        def handler(request: httpx.Request) -> httpx.Response:
            url = request.url
            reply = self.handle(
                request.method,
                url.raw_path.decode(),
                request.headers.get("authorization"),
                request.content,
                base=f"{url.scheme}://{url.netloc.decode()}",
            )
            if isinstance(reply, Drop):
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            return httpx.Response(reply.status, headers=_headers(reply), content=reply.content())

        return httpx.MockTransport(handler)

    # ----- request handling ----------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, authorization: str | None, body: bytes, *, base: str = ""
    ) -> Reply | Drop:
        """Answer one request. ``target`` is the path with its query string."""
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(target)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            entry: dict[str, Any] = {"method": method, "path": path, "query": query, "t": self.clock()}
            if body:
                try:
                    entry["json"] = json.loads(body)
                except ValueError:
                    entry["body"] = body.decode(errors="replace")
            self.log.append(entry)
            reply = self._route(method, path, query, authorization, body, base)
            if isinstance(reply, Reply):
                entry["status"] = reply.status
            else:
                entry["status"] = "dropped"
            return reply

    def _route(
        self, method: str, path: str, query: dict[str, str], auth: str | None, body: bytes, base: str
    ) -> Reply | Drop:
        if path.startswith("/_emulator/"):
            return self._admin(method, path, body)
        if not path.startswith(API_PREFIX + "/"):
            return Reply(404, {"detail": "Not found."})
        path = path[len(API_PREFIX) :]
        denied = self._authenticate(auth)
        if denied:
            return denied
        fault = self._take_fault(method, API_PREFIX + path)
        if fault:
            return fault
        if path == "/snapshots/":
            if method == "GET":
                return self._list_snapshots(query, base)
            if method == "POST":
                return self._create(body)
            return _not_allowed(method)
        if m := _RESTORE_PATH.match(path):
            return self._restore(int(m.group(1))) if method == "POST" else _not_allowed(method)
        if m := _SNAPSHOT_PATH.match(path):
            return self._delete(int(m.group(1))) if method == "DELETE" else _not_allowed(method)
        if path == "/servers/":
            return self._list_servers(query, base) if method == "GET" else _not_allowed(method)
        if path == "/account/me/" and method == "GET":
            return Reply(
                200,
                {"account": {"id": 1, "email": "dev@example.com"}, "token": {"name": "emulator", "permissions": ["*"]}},
            )
        return Reply(404, {"detail": "Not found."})

    def _authenticate(self, auth: str | None) -> Reply | None:
        if not auth or not auth.startswith("Bearer ") or not auth[7:].strip():
            return Reply(401, {"detail": "Authentication credentials were not provided."})
        if self.token is not None and auth[7:] != self.token:
            return Reply(401, {"detail": "Invalid token."})
        return None

    def _take_fault(self, method: str, path: str) -> Reply | None:
        for fault in self._faults:
            if (fault["method"] in (None, method)) and (fault["path"] in (None, path)):
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self._faults.remove(fault)
                headers = {}
                if fault["retry_after"] is not None:
                    after = fault["retry_after"]
                    headers["Retry-After"] = after if isinstance(after, str) else f"{after:g}"
                detail = "Request was throttled." if fault["status"] == 429 else "Internal server error (injected)."
                body = fault["body"] if fault["body"] is not None else {"detail": detail}
                return Reply(fault["status"], body, headers, text=fault["text"])
        return None

    def _admin(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/_emulator/faults" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                if not isinstance(spec, dict):
                    raise ValueError("a fault is a JSON object")
                self.inject(**spec)
            except (TypeError, ValueError, RecursionError) as e:
                return Reply(400, {"detail": f"bad fault: {str(e)[:300]}"})
            return Reply(204)
        if path == "/_emulator/stats" and method == "GET":
            return Reply(200, {"requests": self.log, "snapshots": self.snapshots()})
        return Reply(404, {"detail": "Not found."})

    # ----- snapshots -----------------------------------------------------------------------------------------

    def _all_snapshots(self) -> list[dict[str, Any]]:
        return sorted(self._state["snapshots"].values(), key=lambda s: s["id"])

    def _snapshot_view(self, s: dict[str, Any], now: float) -> dict[str, Any]:
        done = now >= s["ready_at"]
        server = self._state["servers"].get(str(s["server_id"]), {})
        return {
            "id": s["id"],
            "server": {"id": s["server_id"], "name": server.get("name")},
            "name": s["name"],
            "status": s["final_status"] if done else "in_progress",
            "size_mb": s["final_size_mb"] if done and s["final_status"] == "completed" else None,
            "created_at": _iso(s["created"]),
            "description": s["description"],
        }

    def _list_snapshots(self, query: dict[str, str], base: str) -> Reply:
        items = self._all_snapshots()
        if "server_id" in query:
            try:
                server_id = int(query["server_id"])
            except ValueError:
                return Reply(400, {"server_id": ["A valid integer is required."]})
            items = [s for s in items if s["server_id"] == server_id]
        now = self.clock()
        return self._page([self._snapshot_view(s, now) for s in items], query, base, "/snapshots/")

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], base: str, path: str) -> Reply:
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            return Reply(404, {"detail": "Invalid page."})
        start = (page - 1) * self.page_size
        chunk = items[start : start + self.page_size]
        nxt = None
        if start + self.page_size < len(items):
            nxt = f"{base}{API_PREFIX}{path}?{urlencode(dict(query, page=page + 1))}"
        prev = f"{base}{API_PREFIX}{path}?{urlencode(dict(query, page=page - 1))}" if page > 1 else None
        return Reply(200, {"count": len(items), "next": nxt, "previous": prev, "results": chunk})

    def _create(self, body: bytes) -> Reply | Drop:
        try:
            data = json.loads(body or b"")
        except ValueError:
            return Reply(400, {"detail": "JSON parse error."})
        if not isinstance(data, dict):
            return Reply(400, {"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors: dict[str, list[str]] = {}
        server_id, name, description = data.get("server_id"), data.get("name"), data.get("description")
        if server_id is None:
            errors["server_id"] = ["This field is required."]
        elif not isinstance(server_id, int) or isinstance(server_id, bool):
            errors["server_id"] = ["A valid integer is required."]
        if not name:
            errors["name"] = ["This field is required."]
        elif not isinstance(name, str) or not _NAME.match(name):
            errors["name"] = ["Snapshot name may contain only letters, digits, hyphens and underscores."]
        elif len(name) > 255:
            errors["name"] = ["Ensure this field has no more than 255 characters."]
        if description is not None and not isinstance(description, str):
            errors["description"] = ["Not a valid string."]
        if errors:
            return Reply(400, errors)
        server = self._state["servers"].get(str(server_id))
        if server is None:
            return Reply(404, {"detail": f"Server {server_id} not found."})
        now = self.clock()
        if self._server_status(server, now) == "restoring":
            return Reply(400, {"detail": "Server is being restored; try again when the restore is over."})
        count = sum(1 for s in self._all_snapshots() if s["server_id"] == server_id)
        if count >= SNAPSHOT_LIMIT:
            return Reply(
                400, {"detail": f"Snapshot limit reached: a server can have at most {SNAPSHOT_LIMIT} snapshots."}
            )
        sid = self._state["next_id"]
        self._state["next_id"] = sid + 1
        failed = self._fail_snapshots > 0
        self._fail_snapshots -= 1 if failed else 0
        record = {
            "id": sid,
            "server_id": server_id,
            "name": name,
            "description": description or "",
            "created": now,
            "ready_at": now + self.snapshot_seconds,
            "final_status": "failed" if failed else "completed",
            "final_size_mb": 1024 + (sid * 389) % 8192,
        }
        self._state["snapshots"][str(sid)] = record
        self._save()
        if self._drop_after_create > 0:
            self._drop_after_create -= 1
            return DROP
        view = self._snapshot_view(record, now)
        view["message"] = "Snapshot is being created. This may take 3-10 minutes depending on server size."
        return Reply(201, view)

    def _restore(self, snapshot_id: int) -> Reply:
        record = self._state["snapshots"].get(str(snapshot_id))
        if record is None:
            return Reply(404, {"detail": "Snapshot not found."})
        now = self.clock()
        view = self._snapshot_view(record, now)
        if view["status"] != "completed":
            return Reply(400, {"detail": f"Snapshot is {view['status']}; only a completed snapshot can be restored."})
        server = self._state["servers"][str(record["server_id"])]
        if self._server_status(server, now) == "restoring":
            return Reply(400, {"detail": "Server is not in a valid state for restoration (restoring)."})
        server["restoring_until"] = now + self.restore_seconds
        server["updated_at"] = _iso(now)
        self._save()
        return Reply(
            200,
            {
                "status": "success",
                "message": "Server is being restored from snapshot. This may take 5-15 minutes.",
                "snapshot": {"id": record["id"], "name": record["name"], "created_at": view["created_at"]},
                "server": {"id": server["id"], "name": server["name"], "status": "restoring"},
            },
        )

    def _delete(self, snapshot_id: int) -> Reply:
        record = self._state["snapshots"].get(str(snapshot_id))
        if record is None:
            return Reply(404, {"detail": "Snapshot not found."})
        if self.clock() < record["ready_at"]:
            return Reply(400, {"detail": "Snapshot is being created; delete it once it is completed."})
        del self._state["snapshots"][str(snapshot_id)]
        self._save()
        return Reply(204)

    # ----- servers -------------------------------------------------------------------------------------------

    def _server_status(self, server: dict[str, Any], now: float) -> str:
        until = server.get("restoring_until")
        return "restoring" if until is not None and now < until else server["status"]

    def _list_servers(self, query: dict[str, str], base: str) -> Reply:
        now = self.clock()
        items = []
        for server in sorted(self._state["servers"].values(), key=lambda s: s["id"]):
            view = {k: v for k, v in server.items() if k != "restoring_until"}
            view["status"] = self._server_status(server, now)
            if (
                query.get("status", view["status"]) == view["status"]
                and query.get("location", view["location"]) == view["location"]
            ):
                items.append(view)
        return self._page(items, query, base, "/servers/")

    def _save(self) -> None:
        if not self.state_file:
            return
        folder = os.path.dirname(os.path.abspath(self.state_file))
        fd, tmp = tempfile.mkstemp(prefix=".vpsorg-emulator-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._state, f)
        os.replace(tmp, self.state_file)


_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


def _count(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= 1_000_000


def _fault_problem(
    status: Any,
    count: Any,
    retry_after: Any,
    method: Any,
    path: Any,
    text: Any,
    drop_after_create: Any,
    fail_snapshots: Any,
    latency: Any,
) -> str | None:
    """What is wrong with a fault spec, or None."""
    checks = [
        (status is None or (_count(status, 100) and status <= 599), "status must be an HTTP status, 100 to 599"),
        (_count(count, 1), "count must be a whole number from 1 to 1000000"),
        (
            retry_after is None
            or (
                isinstance(retry_after, (int, float))
                and not isinstance(retry_after, bool)
                and math.isfinite(retry_after)
            )
            or (isinstance(retry_after, str) and retry_after.isascii() and retry_after.isprintable()),
            "retry_after must be a number of seconds or a header value (printable ASCII)",
        ),
        (method is None or method in _METHODS, f"method must be one of {', '.join(_METHODS)}"),
        (path is None or (isinstance(path, str) and path.startswith("/")), "path must start with /"),
        (text is None or isinstance(text, str), "text must be a string"),
        (_count(drop_after_create, 0), "drop_after_create must be a whole number from 0 to 1000000"),
        (_count(fail_snapshots, 0), "fail_snapshots must be a whole number from 0 to 1000000"),
        (
            latency is None
            or (isinstance(latency, (int, float)) and not isinstance(latency, bool) and 0 <= latency <= 60),
            "latency must be 0 to 60 seconds",
        ),
    ]
    return next((why for ok, why in checks if not ok), None)


_STATE_KEYS = {
    "servers": {"id", "name", "status", "location", "restoring_until"},
    "snapshots": {"id", "server_id", "name", "description", "created", "ready_at", "final_status", "final_size_mb"},
}


def _load_state(path: str) -> dict[str, Any]:
    """The emulator's state file, checked for shape: ValueError saying what is wrong, never a broken start."""
    with open(path, encoding="utf-8") as f:
        state = json.load(f)
    if not isinstance(state, dict) or not _count(state.get("next_id"), 1):
        raise ValueError("not an emulator state file (no whole-number next_id)")
    for key, needed in _STATE_KEYS.items():
        table = state.get(key)
        if not isinstance(table, dict):
            raise ValueError(f"{key!r} is not an object of records")
        for record_id, record in table.items():
            if not isinstance(record, dict) or not needed <= set(record) or str(record.get("id")) != record_id:
                raise ValueError(f"{key} record {record_id!r} lacks some of {', '.join(sorted(needed))}")
    return state


def _not_allowed(method: str) -> Reply:
    return Reply(405, {"detail": f'Method "{method}" not allowed.'})


def _headers(reply: Reply) -> dict[str, str]:
    headers = dict(reply.headers)
    if reply.text is not None:
        headers["Content-Type"] = "text/html; charset=utf-8"
    elif reply.body is not None:
        headers["Content-Type"] = "application/json"
    return headers


class EmulatorServer(ThreadingHTTPServer):
    """The HTTP front of an :class:`Emulator`; ``endpoint`` is its API base URL."""

    daemon_threads = True
    emulator: Emulator

    @property
    def address(self) -> str:
        """``host:port`` this server listens on."""
        host, port = self.server_address[:2]
        return f"{host.decode() if isinstance(host, bytes) else host}:{port}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}{API_PREFIX}"

    def close(self) -> None:
        """Stop serving and release the port."""
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"
    timeout = 10  # a client that sends less than its Content-Length is dropped, not waited for forever
    max_body = 1024 * 1024

    def _serve(self) -> None:
        length_header = (self.headers.get("Content-Length") or "0").strip()
        if not (length_header.isascii() and length_header.isdigit()) or int(length_header) > self.max_body:
            self._reply(Reply(400, {"detail": f"Bad Content-Length (at most {self.max_body} bytes)."}))
            self.close_connection = True
            return
        length = int(length_header)
        try:
            body = self.rfile.read(length) if length else b""
        except TimeoutError:
            self.close_connection = True
            return
        if len(body) < length:
            self.close_connection = True
            return
        host = self.headers.get("Host") or self.server.address
        reply = self.server.emulator.handle(
            self.command, self.path, self.headers.get("Authorization"), body, base=f"http://{host}"
        )
        if isinstance(reply, Drop):
            self.close_connection = True
            return
        self._reply(reply)

    def _reply(self, reply: Reply) -> None:
        content = reply.content()
        self.send_response(reply.status)
        for key, value in _headers(reply).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Serve ``emulator`` over HTTP on a background thread; ``port=0`` picks a free port."""
    server = EmulatorServer((host, port), _Handler)
    server.emulator = emulator
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="vpsorg-emulator", daemon=True
    ).start()
    return server
