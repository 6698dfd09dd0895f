"""The two ways to reach an :class:`~pulumi_vpsorg.emulator.Emulator`: an in-process httpx transport (no socket),
and a small threaded HTTP server on loopback."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import httpx

from .api import API_PREFIX, Emulator, log
from .reply import Drop, Reply


def transport(emulator: Emulator) -> httpx.MockTransport:
    """An httpx transport that answers from ``emulator`` in-process."""

    def handler(request: httpx.Request) -> httpx.Response:
        url = request.url
        reply = emulator.handle(
            request.method,
            url.raw_path.decode(),
            request.headers.get("authorization"),
            request.content,
            base=f"{url.scheme}://{url.netloc.decode()}",
        )
        if isinstance(reply, Drop):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(reply.status, headers=reply.all_headers(), content=reply.content())

    return httpx.MockTransport(handler)


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

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is its own business; anything else is logged, never printed."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            log.warning("error answering %s: %r", client_address, error)

    def close(self) -> None:
        """Stop serving and release the port."""
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go as two writes: without this each answer waits ~40 ms
    timeout = 10  # a client that sends less than its Content-Length is dropped, not waited for forever
    max_body = 1024 * 1024

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            self.close_connection = True
            return
        server = cast(EmulatorServer, self.server)
        host = self.headers.get("Host") or server.address
        reply = server.emulator.handle(
            self.command, self.path, self.headers.get("Authorization"), body, base=f"http://{host}"
        )
        if isinstance(reply, Drop):
            self.close_connection = True
            return
        self._reply(reply)

    def _body(self) -> bytes | None:
        """The request body, or None when the framing is bad (answered 400) or the client sent too little."""
        length = (self.headers.get("Content-Length") or "0").strip()
        if not (length.isascii() and length.isdigit()) or int(length) > self.max_body:
            self._reply(Reply(400, {"detail": f"Bad Content-Length (at most {self.max_body} bytes)."}))
            return None
        try:
            body = self.rfile.read(int(length)) if int(length) else b""
        except TimeoutError:
            return None
        return body if len(body) == int(length) else None

    def _reply(self, reply: Reply) -> None:
        content = reply.content()
        self.send_response(reply.status)
        for key, value in reply.all_headers().items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Serve ``emulator`` over HTTP on a background thread; ``port=0`` picks a free port."""
    server = EmulatorServer((host, port), _Handler)
    server.emulator = emulator
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="vpsorg-emulator", daemon=True
    ).start()
    return server
