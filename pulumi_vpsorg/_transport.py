"""The client's HTTP/1.1 transport: httpx's interface on the standard library's ``http.client``.

The client calls it directly, not through ``httpx.Client`` (whose cookie, redirect and URL-merging layers it never
used): a request then costs the calling thread about half the CPU it did through ``httpx.Client`` and httpcore
(table 4 of ``make bench``). A fleet's creates all go through one provider host, whose CPU is what spreads their
POSTs out (README, Benchmarks), and every snapshot of the fleet waits for that.

What it keeps of httpx's transport: keep-alive connections (up to ``max_idle``; one the server has closed is never
reused), TLS verified as httpx verifies it, and httpx's exceptions (a ``ConnectError`` or ``ConnectTimeout`` means
the request was never sent). What it adds: every connect, read and write is given at most the time left before the
thread's :func:`~pulumi_vpsorg._deadline.deadline`, so a request ends on time even when the server drips its
answer. Not supported: HTTP/2, streamed request bodies, and proxies (``HTTPS_PROXY`` is not honoured, nor was it
before: httpx ignores the proxy variables once it is given a transport).
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ._deadline import bounded

_Key = tuple[str, str, int]
_CHUNK = 64 * 1024


class Transport(httpx.BaseTransport):
    """Keeps up to ``max_idle`` connections a host open between requests; safe to share between threads."""

    def __init__(self, max_idle: int = 32) -> None:
        self._max_idle = max_idle
        self._idle: dict[_Key, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        conn = self._take_idle(key) or self._connect(key, timeouts.get("connect"))
        conn.timeouts = timeouts
        try:
            answer = conn.exchange(request)
        except BaseException:
            conn.close()
            raise
        return httpx.Response(
            answer.status,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.getheaders()],  # as read
            stream=_Body(self, key, conn, answer, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1")},
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    def _take_idle(self, key: _Key) -> _Connection | None:
        while True:
            with self._lock:
                conns = self._idle.get(key)
                conn = conns.pop() if conns else None
            if conn is None or conn.usable():
                return conn
            conn.close()

    def give_back(self, key: _Key, conn: _Connection) -> None:
        with self._lock:
            conns = self._idle.setdefault(key, [])
            if not self._closed and len(conns) < self._max_idle:
                conns.append(conn)
                return
        conn.close()

    def _connect(self, key: _Key, timeout: float | None) -> _Connection:
        scheme, host, port = key
        with _mapped(httpx.ConnectTimeout, httpx.ConnectError, None):
            sock = socket.create_connection((host, port), bounded(timeout, TimeoutError))
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if scheme == "https":
                    sock = self._tls().wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        return _Connection(host, port, sock)

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl


class _Connection:
    """One ``http.client`` connection over a socket whose every read and write obeys the deadline."""

    def __init__(self, host: str, port: int, sock: socket.socket) -> None:
        self.sock = sock
        self.timeouts: dict[str, float | None] = {}
        self.http = http.client.HTTPConnection(host, port)
        self.http.sock = _Socket(self)

    def exchange(self, request: httpx.Request) -> http.client.HTTPResponse:
        """Send the request (headers as httpx built them, Host included) and read the answer's head."""
        with _mapped(httpx.WriteTimeout, httpx.WriteError, request):
            self.http.putrequest(request.method, request.url.raw_path.decode("ascii"), True, True)  # skip Host, A-E
            for name, value in request.headers.raw:
                self.http.putheader(name, value)
            self.http.endheaders(request.read() or None)
        with _mapped(httpx.ReadTimeout, httpx.ReadError, request):
            return self.http.getresponse()

    def usable(self) -> bool:
        """Idle and still open: an idle connection the server closed (or wrote to) reads as ready."""
        if self.http.sock is None:  # http.client closed it: it would reconnect on its own, unbounded
            return False
        try:
            if hasattr(select, "poll"):  # select() cannot watch a descriptor above 1023
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return not poller.poll(0)
            return not select.select([self.sock], [], [], 0)[0]  # pragma: no cover - Windows
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        self.http.close()
        self.sock.close()


class _Socket:
    """What ``http.client`` uses of a socket: ``sendall``, ``makefile`` and ``close``, each bounded in time."""

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn

    def sendall(self, data: bytes) -> None:
        self._conn.sock.settimeout(bounded(self._conn.timeouts.get("write"), TimeoutError))
        self._conn.sock.sendall(data)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self._conn))

    def close(self) -> None:
        pass  # the connection closes the socket itself: http.client drops this one after a "Connection: close"


class _Reader(io.RawIOBase):
    def __init__(self, conn: _Connection) -> None:
        self._conn = conn

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._conn.sock.settimeout(bounded(self._conn.timeouts.get("read"), TimeoutError))
        return self._conn.sock.recv_into(buffer)


class _Body(httpx.SyncByteStream):
    def __init__(
        self,
        transport: Transport,
        key: _Key,
        conn: _Connection,
        answer: http.client.HTTPResponse,
        request: httpx.Request,
    ) -> None:
        self._transport, self._key, self._conn, self._answer, self._request = transport, key, conn, answer, request
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        with _mapped(httpx.ReadTimeout, httpx.ReadError, self._request):
            while chunk := self._answer.read(_CHUNK):
                yield chunk

    def close(self) -> None:
        if self._closed:  # a connection is given back once, or two requests would share it
            return
        self._closed = True
        if self._answer.isclosed() and not self._answer.will_close:
            self._transport.give_back(self._key, self._conn)
        else:
            self._conn.close()


@contextmanager
def _mapped(
    timeout: type[httpx.TransportError], other: type[httpx.TransportError], request: httpx.Request | None
) -> Iterator[None]:
    """Turn what the standard library raises into httpx's exceptions."""
    try:
        yield
    except httpx.TransportError:
        raise
    except TimeoutError as e:
        raise timeout(str(e) or "timed out", request=request) from e
    except http.client.HTTPException as e:
        raise httpx.RemoteProtocolError(f"{type(e).__name__}: {e}", request=request) from e
    except OSError as e:
        raise other(f"{type(e).__name__}: {e}", request=request) from e
