"""The VPS.org API client: one transport core (retries, timeouts, status -> exception) and thin methods above it.

    from pulumi_vpsorg import Client
    with Client() as api:                       # token from VPSORG_TOKEN, endpoint from VPSORG_ENDPOINT
        for snap in api.list_snapshots(server_id=12345):
            print(snap.id, snap.name, snap.status)

Retries are deliberate: GET and DELETE retry 429, 5xx and connection errors with capped, jittered exponential
backoff, honouring ``Retry-After``; the create POST is retried only when the request provably never reached the
server (the connection could not be opened); a restore POST is never retried.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import re
import time
from typing import Any, Callable, Literal, Optional, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SnapshotLimitError,
    TOKEN_HINT,
)
from .models import RestoreResponse, Server, ServerList, ServerRef, Snapshot, SnapshotCreated, SnapshotList

__version__ = "0.1.0"

DEFAULT_ENDPOINT = "https://admin.vps.org/api/v1"
TOKEN_ENV = "VPSORG_TOKEN"
ENDPOINT_ENV = "VPSORG_ENDPOINT"

log = logging.getLogger("pulumi_vpsorg")

Retry = Literal["idempotent", "connect_only", "never"]
_M = TypeVar("_M", bound=BaseModel)
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
_LIMIT_WORDS = re.compile(r"\b(limit|maximum|max)\b", re.IGNORECASE)
_MAX_PAGES = 1000


def resolve_endpoint(endpoint: Optional[str] = None) -> str:
    """The API base URL: the argument, else ``VPSORG_ENDPOINT``, else the public endpoint; no trailing slash."""
    value = (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"The VPS.org endpoint {value!r} is not an http(s) URL. Set VPSORG_ENDPOINT (or vpsorg:endpoint) "
            f"to a URL such as {DEFAULT_ENDPOINT}."
        )
    return value


class Client:
    """A synchronous client for the VPS.org snapshot and server endpoints.

    Args:
        token: API token (``vps_...``); defaults to ``VPSORG_TOKEN``. Never logged or shown in errors.
        endpoint: API base URL; defaults to ``VPSORG_ENDPOINT``, else ``https://admin.vps.org/api/v1``.
        timeout: seconds to wait for an answer; ``connect_timeout``: seconds to open a connection.
        max_retries: retries after the first attempt, for the calls that may be retried.
        transport: an httpx transport (tests pass the emulator's in-process transport or respx).
        sleep: how to wait between retries (tests pass a recorder so they never wait).
    """

    def __init__(
        self,
        token: Optional[str] = None,
        endpoint: Optional[str] = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float = 60.0,
        transport: Optional[httpx.BaseTransport] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        token = token or os.environ.get(TOKEN_ENV)
        if not token or not token.strip():
            raise ConfigurationError(f"No VPS.org API token is configured. {TOKEN_HINT}")
        self._token = token.strip()
        self.endpoint = resolve_endpoint(endpoint)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=self.endpoint + "/",
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": f"pulumi-vpsorg/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"Client(endpoint={self.endpoint!r}, token='***')"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- snapshots -----------------------------------------------------------------------------------------

    def list_snapshots(self, server_id: Optional[int] = None) -> list[Snapshot]:
        """All snapshots (of one server when ``server_id`` is given), following pagination to the end."""
        params = {"server_id": int(server_id)} if server_id is not None else None
        return self._list("snapshots/", params, SnapshotList, Snapshot)

    def create_snapshot(self, server_id: int, name: str, description: Optional[str] = None) -> SnapshotCreated:
        """``POST /snapshots/``. Retried only if the connection could not even be opened."""
        body: dict[str, Any] = {"server_id": int(server_id), "name": name}
        if description is not None:
            body["description"] = description
        resp = self._request(
            "POST",
            "snapshots/",
            json=body,
            retry="connect_only",
            hints={404: f"Server {int(server_id)} does not exist, or this token cannot see it: check server_id."},
        )
        created = _parse(resp, SnapshotCreated)
        if created.server is None:
            created.server = ServerRef(id=int(server_id))
        return created

    def restore_snapshot(self, snapshot_id: int) -> RestoreResponse:
        """``POST /snapshots/{id}/restore/``: overwrites the server's data. Never retried automatically."""
        resp = self._request(
            "POST",
            f"snapshots/{int(snapshot_id)}/restore/",
            retry="never",
            hints={
                400: "The server is not in a state that allows a restore: wait for the running operation "
                "(a snapshot in progress, another restore) to finish, then try again.",
                404: f"Snapshot {int(snapshot_id)} does not exist: `vpsorg snapshots list` shows the ones that do.",
            },
        )
        return _parse(resp, RestoreResponse) if resp.content else RestoreResponse()

    def delete_snapshot(self, snapshot_id: int) -> None:
        """``DELETE /snapshots/{id}/``. A 404 raises :class:`NotFoundError`; callers decide whether that is done."""
        self._request("DELETE", f"snapshots/{int(snapshot_id)}/")

    # ----- servers -------------------------------------------------------------------------------------------

    def list_servers(self, status: Optional[str] = None, location: Optional[str] = None) -> list[Server]:
        """All servers, optionally filtered by ``status`` and ``location``."""
        params = {k: v for k, v in (("status", status), ("location", location)) if v is not None}
        return self._list("servers/", params or None, ServerList, Server)

    # ----- transport core ------------------------------------------------------------------------------------

    def _list(self, path: str, params: Optional[dict[str, Any]], page_model: type, item: type[_M]) -> list[_M]:
        items: list[_M] = []
        url: Optional[str] = path
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            assert url is not None
            resp = self._request("GET", url, params=params)
            data = _parse(resp, None)
            if isinstance(data, list):  # a bare JSON list
                return items + [_parse(resp, item, x) for x in data]
            page = _parse(resp, page_model, data)
            items.extend(page.results)
            if not page.next:
                return items
            url, params = self._same_origin(page.next), None
            if url in seen:
                raise APIError(200, f"pagination loops at {page.next}", method="GET", path=path)
            seen.add(url)
        raise APIError(200, f"more than {_MAX_PAGES} pages", method="GET", path=path)

    def _same_origin(self, next_url: str) -> str:
        """Follow a ``next`` link only to the configured host, so the token never goes elsewhere."""
        target = self._http.base_url.join(next_url)
        base = self._http.base_url
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise APIError(200, f"the pagination link {next_url!r} points to another host; not following it")
        return str(target)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[dict[str, Any]] = None,
        json: Optional[dict[str, Any]] = None,
        retry: Optional[Retry] = None,
        hints: Optional[dict[int, str]] = None,
    ) -> httpx.Response:
        if retry is None:
            retry = "idempotent" if method in ("GET", "DELETE") else "never"
        attempt = 0
        while True:
            err: Exception
            try:
                log.debug("%s %s params=%s", method, path, params)
                resp = self._http.request(method, path, params=params, json=json)
            except httpx.TimeoutException as e:
                never_sent = isinstance(e, (httpx.ConnectTimeout, httpx.PoolTimeout))
                err = APITimeoutError(
                    f"VPS.org did not answer {method} {_short(path)} in time ({type(e).__name__}). "
                    "Try again; if it keeps happening, raise the timeout or check the endpoint.",
                    maybe_sent=not never_sent,
                )
            except httpx.TransportError as e:
                err = APIConnectionError(
                    f"Could not complete {method} {_short(path)} at {self.endpoint}: {type(e).__name__}: {e}. "
                    "Check VPSORG_ENDPOINT (or vpsorg:endpoint) and the network.",
                    maybe_sent=not isinstance(e, httpx.ConnectError),
                )
            else:
                log.debug("%s %s -> %s", method, path, resp.status_code)
                if resp.status_code < 400:
                    return resp
                err = self._status_error(resp, method, path, (hints or {}).get(resp.status_code))
            if attempt >= self.max_retries or not _retryable(err, retry):
                raise err
            delay = self._retry_delay(attempt, err)
            log.info("retrying %s %s in %.2fs after: %s", method, _short(path), delay, err)
            self._sleep(delay)
            attempt += 1

    def _retry_delay(self, attempt: int, err: Exception) -> float:
        if isinstance(err, APIError) and err.retry_after is not None:
            return min(err.retry_after, self.max_retry_after)
        return min(self.backoff_cap, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)

    def _status_error(self, resp: httpx.Response, method: str, path: str, hint: Optional[str]) -> APIError:
        said, body = _parse_error_body(resp)
        said = said.replace(self._token, "***")
        status = resp.status_code
        cls: type[APIError]
        if status == 400:
            is_limit = method == "POST" and path == "snapshots/" and _LIMIT_WORDS.search(said)
            cls = SnapshotLimitError if is_limit else BadRequestError
        elif status == 401:
            cls = AuthenticationError
        elif status == 403:
            cls = PermissionDeniedError
        elif status == 404:
            cls = NotFoundError
        elif status == 429:
            cls = RateLimitError
        elif status >= 500:
            cls = ServerError
        else:
            cls = APIError
        if cls is SnapshotLimitError:
            hint = None  # the class hint says what to do at the limit
        return cls(
            status,
            said,
            method=method,
            path="/" + _short(path),
            body=body,
            hint=hint,
            retry_after=_parse_retry_after(resp.headers.get("Retry-After")),
        )


def _parse(resp: httpx.Response, model: Optional[type[_M]], data: Any = None) -> Any:
    """The answer as ``model`` (or as JSON when ``model`` is None); an unexpected answer is an :class:`APIError`."""
    try:
        if data is None:
            data = resp.json()
        return data if model is None else model.model_validate(data)
    except (ValueError, ValidationError) as e:
        what = f"{e.error_count()} problem(s), first: {e.errors()[0]['msg']} at {e.errors()[0]['loc']}" if isinstance(
            e, ValidationError) else "not JSON"
        raise APIError(
            resp.status_code,
            "",
            message=f"VPS.org answered {resp.request.method} {resp.request.url.path} with something this provider "
            f"does not understand ({what}). Check that the endpoint {resp.request.url.host} is the VPS.org API.",
        ) from None


def _retryable(err: Exception, retry: Retry) -> bool:
    if retry == "never":
        return False
    if isinstance(err, APIConnectionError):
        return retry == "idempotent" or not err.maybe_sent
    if retry == "idempotent" and isinstance(err, APIError):
        return err.status_code in _RETRYABLE_STATUS
    return False


def _short(path: str) -> str:
    """A path for messages: the part after the endpoint, without query strings."""
    return path.split("?", 1)[0].split("/api/v1/", 1)[-1]


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_error_body(resp: httpx.Response) -> tuple[str, Any]:
    """What the API said, in the order: detail, error, message, non_field_errors, field errors, raw text."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return (text[:500] if text else resp.reason_phrase), text
    return _describe(body)[:1000], body


def _describe(body: Any) -> str:
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(_describe(x) for x in body)
    if not isinstance(body, dict):
        return str(body)
    for key in ("detail", "error", "message", "non_field_errors"):
        if body.get(key):
            return _describe(body[key])
    fields = [f"{k}: {_describe(v)}" for k, v in body.items() if isinstance(v, (list, str))]
    return "; ".join(fields) if fields else str(body)
