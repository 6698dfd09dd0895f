"""The transport core of the VPS.org client: one way to send a request, whatever the endpoint.

A request goes through the process's request budget, honours the thread's deadline, is read with a size cap and a
total time limit, and its status becomes an exception (:mod:`pulumi_vpsorg.errors`). Retries are deliberate, per
call (``retry``): GET and DELETE retry 429, 5xx and connection errors with capped, jittered exponential backoff,
honouring ``Retry-After``; ``refused_only`` (the create POST) only when VPS.org provably did nothing (a 429, a
connection that could not be opened); ``never`` (a restore) never. Only a 2xx answer is a success: a redirect is
never followed, and is an error naming where it pointed.

What each endpoint means (its paths, its errors) lives above this, in :mod:`pulumi_vpsorg._endpoints`;
:class:`~pulumi_vpsorg.client.Client` puts the two together.
"""

from __future__ import annotations

import contextlib
import email.utils
import html
import itertools
import logging
import math
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from . import settings
from ._clock import MONOTONIC, Clock
from ._deadline import deadline, thread_time_left
from ._transport import http_client
from ._version import __version__
from .budget import RequestBudget, for_endpoint
from .errors import (
    TOKEN_HINT,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from .models import Page
from .settings import ENDPOINT_ENV as ENDPOINT_ENV
from .settings import TOKEN_ENV as TOKEN_ENV

DEFAULT_ENDPOINT = "https://admin.vps.org/api/v1"

log: logging.Logger = logging.getLogger("pulumi_vpsorg")

Retry = Literal["idempotent", "refused_only", "never"]
_M = TypeVar("_M", bound=BaseModel)
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}
_MAX_PAGES = 1000
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: what an HTTP header can carry unchanged
_MAX_BODY = 8 * 1024 * 1024  # no answer of this API comes near it; a larger one (on the wire, or any layer of its
# decoding) is not read to the end
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
_MESSAGE_MAX = 300
_SERIALS = itertools.count(1)
_IN_FLIGHT = 8  # requests (and kept-alive connections) at once per client: more gained nothing in a fleet


def check_token(token: str | None, hint: str = TOKEN_HINT) -> str:
    """The token, stripped; a :class:`ConfigurationError` (that never shows it) when it is missing or malformed,
    ending with ``hint``."""
    value = (token or "").strip()
    if not value:
        raise ConfigurationError(f"No VPS.org API token is configured. {hint}")
    if not _TOKEN.fullmatch(value):
        raise ConfigurationError(
            f"The VPS.org API token holds spaces, control or non-ASCII characters ({len(value)} characters; not "
            f"shown), so it cannot be the token VPS.org issued: copy it again. {hint}"
        )
    return value


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The API base URL: the argument, else the public endpoint; no trailing slash (``settings.connection`` gives
    the environment's ``VPSORG_ENDPOINT`` first).

    An endpoint with a user name or password in it is refused (and never echoed): VPS.org takes the token only.
    Plain ``http://`` to a host other than this machine is allowed, with one warning per process: the token would
    cross the network readable by anyone on the way.
    """
    value = (endpoint or DEFAULT_ENDPOINT).strip().rstrip("/")
    problem = _url_problem(value)
    if problem:
        shown = value if "@" not in value else "(not shown: it holds credentials)"
        raise ConfigurationError(
            f"The VPS.org endpoint {shown[:200]!r} is not usable: {problem}. Set VPSORG_ENDPOINT (or "
            f"vpsorg:endpoint, or --endpoint) to a URL such as {DEFAULT_ENDPOINT}."
        )
    parts = urlsplit(value)
    if parts.scheme == "http" and (parts.hostname or "").lower() not in _LOOPBACK and value not in _WARNED_HTTP:
        _WARNED_HTTP.add(value)
        log.warning(
            "the endpoint %s is plain http:// to another machine: the API token crosses the network unencrypted. "
            "Use https:// unless this is a test server on a network you trust.",
            value,
        )
    return value


_WARNED_HTTP: set[str] = set()


def endpoint_problem(endpoint: str) -> str | None:
    """Why ``endpoint`` is not a usable API base URL (never quoting it), or None."""
    return _url_problem(endpoint.strip().rstrip("/"))


def _url_problem(value: str) -> str | None:
    if not value.isascii() or any(c.isspace() or not c.isprintable() for c in value):
        return "it holds spaces, control or non-ASCII characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError when out of range or not a number
    except ValueError as e:
        return f"it is not a valid URL ({e})" if "@" not in value else "it is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it is not an http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return "it holds a user name or password; VPS.org takes the API token only (VPSORG_TOKEN)"
    if parts.query or parts.fragment:
        return "it has a query or fragment"
    return None


def endpoint_key(endpoint: str) -> str:
    """One spelling for every way of writing the same API: lower-case scheme and host, the port even when it is the
    default, no trailing slash, and this machine's loopback names (``localhost``, ``127.0.0.1``, ``::1``) as one.
    Locks shared by processes are named by it.
    """
    parts = urlsplit(endpoint)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    host = "loopback" if host in _LOOPBACK else host
    port = parts.port or (443 if scheme == "https" else 80)
    return urlunsplit((scheme, f"{host}:{port}", parts.path.rstrip("/"), "", ""))


class BaseClient:
    """The transport core (see the module doc); :class:`~pulumi_vpsorg.client.Client` is the client to use.

    Args:
        token: API token (``vps_...``); defaults to ``VPSORG_TOKEN``. Never logged or shown in errors.
        endpoint: API base URL; defaults to ``VPSORG_ENDPOINT``, else ``https://admin.vps.org/api/v1``.
        timeout: seconds one socket read may wait; ``connect_timeout``: seconds to open a connection;
        ``request_timeout``: seconds one request may take in all, however the server drips its answer.
        max_retries: retries after the first attempt, for the calls that may be retried (429s: three times as many,
            since the shared budget slows every caller down after one).
        max_retry_after: the longest ``Retry-After`` honoured; a longer one fails at once with ``retry_after`` set.
        max_requests_per_second: the ceiling of the process-wide request budget for this endpoint (see
            :mod:`pulumi_vpsorg.budget`); None: ``VPSORG_MAX_RPS``, else none (the rate adapts from 10 a second);
            0: unpaced.
        transport: an httpx transport (tests pass the emulator's in-process transport or respx); by default httpx's
            own, bounded by the deadline, with proxies from the environment (see :mod:`pulumi_vpsorg._transport`).
        sleep: how to wait between retries and for the budget; by default the clock's ``sleep`` (tests pass a
            recorder so they never wait).
        clock: what time it is, and how to pass time, for the request budget, the shared lists, the poller and the
            waits (:mod:`pulumi_vpsorg._clock`); given (a test's clock), the client has a budget of its own on that
            clock instead of the process's one for the endpoint.

    Every call also ends by the deadline of an enclosing :func:`pulumi_vpsorg._deadline.deadline` block (a
    resource's ``wait_timeout``), retries and their sleeps included.
    """

    def __init__(
        self,
        token: str | None = None,
        endpoint: str | None = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        request_timeout: float = 60.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float = 60.0,
        max_requests_per_second: float | str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        token_hint: str = TOKEN_HINT,
        clock: Clock | None = None,
    ) -> None:
        resolved = settings.connection(token, endpoint, max_requests_per_second)
        self._token = check_token(resolved.token, token_hint)
        self._token_hint = token_hint
        self.serial: int = next(_SERIALS)  # names this client's shared lists (an id() can be reused)
        self.endpoint: str = resolved.endpoint
        self.endpoint_key: str = resolved.key  # names the request budget and the locks: one per endpoint
        self.clock: Clock = MONOTONIC if clock is None else clock
        self.budget: RequestBudget = (
            for_endpoint(resolved.key, resolved.max_rps, self.clock)
            if clock is None
            else RequestBudget(resolved.max_rps, clock=clock)
        )
        self.request_timeout = request_timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self._sleep = self.clock.sleep if sleep is None else sleep
        self._in_flight = threading.BoundedSemaphore(_IN_FLIGHT)
        self._base = httpx.URL(self.endpoint + "/")
        self._headers = httpx.Headers(
            {
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": f"pulumi-vpsorg/{__version__}",
            }
        )
        self._timeouts = httpx.Timeout(timeout, connect=connect_timeout).as_dict()
        self._http = (
            http_client(_IN_FLIGHT)
            if transport is None
            else httpx.Client(transport=transport, follow_redirects=False, trust_env=False)
        )
        self._after_init()

    def _after_init(self) -> None:
        """What a client built on this core adds once the core is ready (its endpoints, its lists)."""

    def __repr__(self) -> str:
        return f"Client(endpoint={self.endpoint!r}, token='***')"

    def close(self) -> None:
        self._http.close()

    def on_write(self, server_id: int | None, name: str | None) -> contextlib.AbstractContextManager[None]:
        """Around each create (of ``name``) or delete (``name`` None) sent to ``server_id`` (None: unknown): the hook
        through which whoever keeps lists of this client learns of its writes (:class:`~pulumi_vpsorg.client.Client`
        gives it to its list cache)."""
        return contextlib.nullcontext()

    # ----- transport core ------------------------------------------------------------------------------------

    def _list(self, path: str, params: dict[str, Any] | None, page_model: type[Page[_M]], item: type[_M]) -> list[_M]:
        return [x for results, _ in self._pages(path, params, page_model, item) for x in results]

    def _pages(
        self, path: str, params: dict[str, Any] | None, page_model: type[Page[_M]], item: type[_M]
    ) -> Iterator[tuple[list[_M], int | None]]:
        """Each page's items and the ``count`` it claims, following ``next`` to the end."""
        url: str | None = path
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            assert url is not None
            resp = self._request("GET", url, params=params, hints={404: self._list_404})
            data = _json(resp)
            if isinstance(data, list):  # a bare JSON list
                yield [parse_model(resp, item, x) for x in data], None
                return
            page = parse_model(resp, page_model, data)
            yield page.results, page.count
            if not page.next:
                return
            url, params = self._same_origin(page.next), None
            if url in seen:
                shown = redact(page.next, self._token)[:200]
                raise APIResponseValidationError(f"VPS.org's pagination of GET /{path} loops at {shown!r}.")
            seen.add(url)
        raise APIResponseValidationError(f"VPS.org's GET /{path} has more than {_MAX_PAGES} pages; not reading on.")

    @property
    def _list_404(self) -> str:
        return (
            f"A list endpoint is never missing on VPS.org, so {self.endpoint} is probably not the API's base URL: "
            f"it ends in /api/v1 (such as {DEFAULT_ENDPOINT}); check VPSORG_ENDPOINT, vpsorg:endpoint or --endpoint."
        )

    def _same_origin(self, next_url: str) -> str:
        """Follow a ``next`` link only to the configured host, so the token never goes elsewhere."""
        try:
            target = self._base.join(next_url)
        except (httpx.InvalidURL, ValueError):
            target = None
        base = self._base
        if target is None or (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise APIResponseValidationError(
                f"VPS.org's pagination link {redact(next_url, self._token)[:200]!r} points to another host; not "
                "following it."
            )
        return str(target)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        retry: Retry | None = None,
        hints: dict[int, str] | None = None,
    ) -> httpx.Response:
        if retry is None:
            retry = "idempotent" if method in ("GET", "DELETE") else "never"
        attempt = 0
        while True:
            err = self._attempt(method, path, params, json, hints)
            if isinstance(err, httpx.Response):
                return err
            most = self.max_retries * (3 if isinstance(err, RateLimitError) else 1)
            delay = self.retry_delay(attempt, err) if attempt < most and _retryable(err, retry) else None
            refused = isinstance(err, APIStatusError) and err.status_code in (429, 503)
            if refused:  # every caller slows down, whether or not this one is retried
                self.budget.refused(delay if delay is not None else backoff(attempt, self.backoff_base))
            if delay is None:
                raise err
            log.info("retrying %s %s in %.2fs after: %s", method, _short(path), delay, err)
            if not refused:
                self._sleep(delay)  # a refusal's retry waits for the budget's pause in _attempt instead
            attempt += 1

    def _attempt(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: dict[str, Any] | None,
        hints: dict[int, str] | None,
    ) -> httpx.Response | APIError:
        """One request, bounded in time and size: the answer (status < 400), or the error it amounts to."""
        left = thread_time_left()
        if left is not None and left <= 0:
            return APITimeoutError(
                f"{method} {_short(path)} was not sent: the operation's time limit (wait_timeout, or the command's "
                "--timeout) ran out.",
                maybe_sent=False,
            )
        if not self._wait_for_budget():
            return APITimeoutError(
                f"{method} {_short(path)} was not sent: the request budget ({self.budget.rate:.3g}/s now, slowed "
                "by VPS.org's refusals, or capped by vpsorg:maxRequestsPerSecond) would not let it go before the "
                "operation's time limit (wait_timeout). Raise the time limit, or the cap if VPS.org allows more.",
                maybe_sent=False,
            )
        started = time.monotonic()
        try:
            with deadline(self.request_timeout):
                log.debug("%s %s params=%s", method, _short(path), params)
                resp = self._read(self._build(method, path, params, json))
        except httpx.TimeoutException as e:
            return APITimeoutError(
                f"VPS.org did not answer {method} {_short(path)} in time ({type(e).__name__} after "
                f"{time.monotonic() - started:.1f}s{_detail(e)}). Try again; if it keeps happening, check the "
                "endpoint.",
                maybe_sent=not isinstance(e, (httpx.ConnectTimeout, httpx.PoolTimeout)),
            )
        except httpx.TransportError as e:
            return APIConnectionError(
                f"Could not complete {method} {_short(path)} at {self.endpoint}: {type(e).__name__}: "
                f"{_one_line(str(e))}. Check VPSORG_ENDPOINT (or vpsorg:endpoint) and the network.",
                maybe_sent=not isinstance(e, httpx.ConnectError),
            )
        log.debug("%s %s -> %s in %.3fs", method, _short(path), resp.status_code, time.monotonic() - started)
        if resp.status_code not in (429, 503):
            self.budget.answered()
        if 200 <= resp.status_code < 300:
            return resp
        if resp.status_code < 400:
            return _not_understood(
                resp,
                f"a redirect to {redact(resp.headers.get('Location', 'nowhere'), self._token)[:200]!r}, which is never "
                "followed: "
                "the endpoint is probably not the API's base URL (it ends in /api/v1)",
            )
        return self._status_error(resp, method, path, (hints or {}).get(resp.status_code))

    def _wait_for_budget(self) -> bool:
        """Wait for this request's turn in the process's budget; False when it would come after the deadline.

        A pause begun by anyone's refusal while waiting voids a turn taken before it: the turn is asked for again.
        """
        while True:
            wait, taken, pauses = self.budget.reserve()
            if taken and wait <= 0:
                return True
            left = thread_time_left()
            if left is not None and wait >= left:
                return False
            self._sleep(wait)
            if taken and self.budget.pauses == pauses:
                return True

    def _build(
        self, method: str, path: str, params: dict[str, Any] | None, json: dict[str, Any] | None
    ) -> httpx.Request:
        return httpx.Request(
            method,
            path if "://" in path else f"{self.endpoint}/{path}",  # a next link is absolute (see _same_origin)
            params=params,
            json=json,
            headers=self._headers,
            extensions={"timeout": self._timeouts},
        )

    def _read(self, request: httpx.Request) -> httpx.Response:
        """Send and read the answer, at most ``_MAX_BODY`` bytes of it (decoded); at most ``_IN_FLIGHT`` at once."""
        left = thread_time_left()
        if not self._in_flight.acquire(timeout=max(0.0, left) if left is not None else -1):
            raise httpx.PoolTimeout("no connection came free before the time limit", request=request)
        try:
            return self._read_one(request)
        finally:
            self._in_flight.release()

    def _read_one(self, request: httpx.Request) -> httpx.Response:
        resp = self._http.send(request, stream=True)
        if resp.is_stream_consumed:  # a test's transport that handed over an answer already read (and decoded)
            body = resp.content
        else:
            try:
                chunks, size = [], 0
                for chunk in resp.iter_raw():
                    size += len(chunk)
                    if size > _MAX_BODY:
                        raise _too_large(request)
                    chunks.append(chunk)
            finally:
                resp.close()
            body = _decoded(b"".join(chunks), resp.headers.get_list("content-encoding", split_commas=True), request)
        headers = [(k, v) for k, v in resp.headers.raw if k.lower() not in (b"content-encoding", b"content-length")]
        return httpx.Response(resp.status_code, headers=headers, content=body, request=request)

    def retry_delay(self, attempt: int, err: Exception) -> float | None:
        """Seconds to sleep before retry ``attempt + 1``, or None when it must not be waited for.

        ``Retry-After`` is honoured when it is positive and at most ``max_retry_after`` (0, negative or not finite:
        the normal backoff; above the cap: None, the error is raised with ``retry_after`` set, never slept on).
        Nothing is slept past the enclosing operation's deadline.
        """
        after = err.retry_after if isinstance(err, APIStatusError) else None
        if after is not None and math.isfinite(after) and after > 0:
            if after > self.max_retry_after:
                return None
            delay = after
        else:
            delay = backoff(attempt, self.backoff_base, self.backoff_cap)
        left = thread_time_left()
        return None if left is not None and delay >= left else delay

    def _status_error(self, resp: httpx.Response, method: str, path: str, hint: str | None) -> APIStatusError:
        said, body = _parse_error_body(resp, self._token)
        status = resp.status_code
        cls = _STATUS_CLASSES.get(status, ServerError if status >= 500 else APIStatusError)
        return cls(
            status,
            said,
            method=method,
            path="/" + _short(path),
            body=body,
            hint=hint or (self._token_hint if status == 401 else None),
            retry_after=_parse_retry_after(resp.headers.get("Retry-After")),
        )


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _too_large(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        f"the answer is larger than {_MAX_BODY // (1024 * 1024)} MiB; not read to the end", request=request
    )


def _decoded(body: bytes, encodings: list[str], request: httpx.Request) -> bytes:
    """``body`` with its content codings undone, last first, each layer's output capped at ``_MAX_BODY`` (a small
    answer that inflates without end, a gzip bomb, stops there)."""
    for coding in reversed([e.strip().lower() for e in encodings if e.strip()]):
        if coding == "identity":
            continue
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise httpx.DecodingError(
                f"the answer is encoded as {coding[:40]!r}, which is not supported", request=request
            )
        wbits = (
            zlib.MAX_WBITS | 16 if coding != "deflate" else (zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS)
        )
        inflate = zlib.decompressobj(wbits)
        try:
            out = inflate.decompress(body, _MAX_BODY + 1)
        except zlib.error as e:
            raise httpx.DecodingError(f"the answer's {coding} encoding is broken ({e})", request=request) from None
        if len(out) > _MAX_BODY or inflate.unconsumed_tail:
            raise _too_large(request)
        body = out
    return body


def backoff(attempt: int, base: float = 0.5, cap: float = 8.0) -> float:
    """Capped exponential backoff with jitter: ``min(cap, base * 2**attempt)`` times a factor in [0.5, 1]."""
    return min(cap, base * 2.0 ** min(attempt, 30)) * random.uniform(0.5, 1.0)


def _json(resp: httpx.Response) -> Any:
    """The answer's JSON; an answer that is not JSON raises :class:`APIResponseValidationError`."""
    try:
        return resp.json()
    except (ValueError, RecursionError):
        what = "JSON this provider cannot read" if _looks_like_json(resp) else "not JSON"
        raise _not_understood(resp, what) from None


def parse_model(resp: httpx.Response, model: type[_M], data: Any = None) -> _M:
    """The answer (or ``data`` from it) as ``model``; another shape raises :class:`APIResponseValidationError`."""
    try:
        return model.model_validate(_json(resp) if data is None else data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise _not_understood(resp, f"{e.error_count()} problem(s), first: {first['msg']} at {where}") from None


def _not_understood(resp: httpx.Response, what: str) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"VPS.org answered {resp.request.method} {resp.request.url.path} (HTTP {resp.status_code}) with something "
        f"this provider does not understand ({what}). Check that the endpoint {resp.request.url.host} is the "
        "VPS.org API.",
        status_code=resp.status_code,
        method=resp.request.method,
        path=resp.request.url.path,
    )


def _looks_like_json(resp: httpx.Response) -> bool:
    return resp.content[:1].strip() in (b"{", b"[")


def _retryable(err: Exception, retry: Retry) -> bool:
    """Whether ``err`` may be retried under the call's policy: ``idempotent`` (GET, DELETE) retries 429, 5xx and
    connection errors; ``refused_only`` (the create POST) only what provably did nothing: a 429, a connection that
    never opened; ``never`` (the restore POST) nothing."""
    if retry == "never":
        return False
    if isinstance(err, APIConnectionError):
        return retry == "idempotent" or not err.maybe_sent
    if isinstance(err, RateLimitError):
        return True
    return retry == "idempotent" and isinstance(err, APIStatusError) and err.status_code in _RETRYABLE_STATUS


def _short(path: str) -> str:
    """A path for messages: the part after the endpoint, without query strings."""
    return path.split("?", 1)[0].split("/api/v1/", 1)[-1]


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() - time.time()


def _detail(e: Exception) -> str:
    """What a timeout said beyond "timed out" (the host name whose look-up ran out, say), or nothing."""
    text = _one_line(str(e))
    return f": {text}" if text and "timed out" not in text and "time limit" not in text else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def redact(text: str, token: str) -> str:
    """``text`` with the token replaced as it may appear in it: as is, URL-encoded (a link) or HTML-escaped (a page)."""
    if not token:
        return text
    for form in {token, quote(token, safe=""), quote_plus(token, safe=""), html.escape(token)}:
        text = text.replace(form, "***")
    return text


def _redact(value: Any, token: str) -> Any:
    """``value`` with every occurrence of the token replaced, in every string however deep (before any cut)."""
    if isinstance(value, str):
        return redact(value, token)
    if isinstance(value, list):
        return [_redact(v, token) for v in value]
    if isinstance(value, dict):
        return {_redact(k, token): _redact(v, token) for k, v in value.items()}
    return value


def _parse_error_body(resp: httpx.Response, token: str) -> tuple[str, Any]:
    """What the API said, in the order: detail, error, message, non_field_errors, field errors, raw text.

    One line, the token redacted before anything is cut, at most ``_MESSAGE_MAX`` characters.
    """
    try:
        body = _redact(resp.json(), token)
        said = _describe(body)
    except (ValueError, RecursionError):
        body = _redact(resp.text, token)
        said = redact(_html_title(resp.text) or "", token) or body  # redacted after the page's entities are read
    said = _one_line(said) or resp.reason_phrase
    return (said if len(said) <= _MESSAGE_MAX else said[: _MESSAGE_MAX - 1] + "…"), body


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _html_title(text: str) -> str | None:
    """For an HTML error page (a gateway's, say): its title, without tags."""
    if "<html" not in text[:1000].lower() and "<!doctype" not in text[:1000].lower():
        return None
    m = _TITLE.search(text)
    title = html.unescape(re.sub(r"<[^>]+>", " ", m.group(1))) if m else ""
    return f"an HTML page ({_one_line(title)})" if title.strip() else "an HTML page"


def _describe(body: Any, depth: int = 0) -> str:
    if depth > 5:
        return "…"
    if isinstance(body, str):
        return body
    if isinstance(body, list):
        return "; ".join(_describe(x, depth + 1) for x in body[:20])
    if not isinstance(body, dict):
        return str(body)[:_MESSAGE_MAX]
    for key in ("detail", "error", "message", "non_field_errors"):
        if body.get(key):
            return _describe(body[key], depth + 1)
    fields = [f"{k}: {_describe(v, depth + 1)}" for k, v in list(body.items())[:20] if isinstance(v, (list, str))]
    return "; ".join(fields) if fields else _one_line(str(body)[:_MESSAGE_MAX])
