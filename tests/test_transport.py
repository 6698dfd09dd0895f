"""The transport: keep-alive without ever reusing a closed connection, httpx's exceptions, TLS verified."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from _consts import TOKEN

from pulumi_vpsorg import APIConnectionError, Client
from pulumi_vpsorg._transport import Transport

Reply = Callable[[BaseHTTPRequestHandler], None]


class _Server:
    """A loopback HTTP/1.1 server answering every request with ``reply``; records each request's client port."""

    def __init__(self, reply: Reply, tls: ssl.SSLContext | None = None) -> None:
        ports = self.ports = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                ports.append(self.client_address[1])
                reply(self)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://localhost:{self.http.server_address[1]}/api/v1/snapshots/"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def _json(handler: BaseHTTPRequestHandler, headers: dict[str, str] | None = None, close: bool = False) -> None:
    if "Content-Length" in handler.headers:
        handler.rfile.read(int(handler.headers["Content-Length"]))
    body = b'{"results": []}'
    handler.send_response(200)
    for k, v in {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}.items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(body)
    handler.close_connection = close


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    servers: list[_Server] = []

    def start(reply: Reply = _json, tls: ssl.SSLContext | None = None) -> _Server:
        servers.append(_Server(reply, tls))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _get(transport: Transport, url: str, method: str = "GET") -> httpx.Response:
    request = httpx.Request(method, url, json={"server_id": 1} if method == "POST" else None)
    response = transport.handle_request(request)
    response.read()
    response.close()
    return response


def test_one_connection_serves_request_after_request(serve):
    server, transport = serve(), Transport()
    answers = [_get(transport, server.url) for _ in range(5)]
    assert [a.json() for a in answers] == [{"results": []}] * 5
    assert len(set(server.ports)) == 1


def test_a_connection_the_server_closed_is_not_reused(serve):
    """Without the check, the POST would go out on the dead connection and fail as maybe sent: never retried."""
    server, transport = serve(lambda h: _json(h, close=True)), Transport()  # closes without saying so
    _get(transport, server.url)
    time.sleep(0.1)  # the server's close reaches us
    assert _get(transport, server.url, "POST").status_code == 200
    assert len(set(server.ports)) == 2


def test_an_answer_saying_connection_close_is_not_kept(serve):
    server, transport = serve(lambda h: _json(h, {"Connection": "close"}, close=True)), Transport()
    for _ in range(3):
        assert _get(transport, server.url).status_code == 200
    assert len(set(server.ports)) == 3


def test_a_chunked_answer_and_odd_header_bytes_are_read(serve):
    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("X-Note", "caf\u00e9")  # latin-1 on the wire
        h.end_headers()
        h.wfile.write(b"5\r\n[1, 2\r\n4\r\n, 3]\r\n0\r\n\r\n")

    server, transport = serve(chunked), Transport()
    answer = _get(transport, server.url)
    assert answer.json() == [1, 2, 3] and answer.headers.raw[-1] == (b"X-Note", "caf\u00e9".encode("latin-1"))
    assert _get(transport, server.url).json() == [1, 2, 3] and len(set(server.ports)) == 1


def test_a_refused_connection_is_a_connect_error_so_the_post_is_known_unsent(serve):
    server = serve()
    endpoint = server.url.rsplit("/snapshots/", 1)[0]
    server.close()  # nothing listens on that port now
    with Client(TOKEN, endpoint, max_retries=0) as api, pytest.raises(APIConnectionError) as e:
        api.create_snapshot(1, "n")
    assert e.value.maybe_sent is False and "ConnectError" in str(e.value)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("SKIPPED LOUDLY: the TLS tests need the openssl command to make a certificate; none is on PATH")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _tls_server(serve, certificate: tuple[Path, Path]) -> _Server:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return serve(tls=context)


def test_tls_refuses_a_certificate_nobody_trusts(serve, certificate, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = _tls_server(serve, certificate)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _get(Transport(), server.url)


def test_tls_trusts_what_httpx_trusts(serve, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # httpx's way to name another CA
    server, transport = _tls_server(serve, certificate), Transport()
    assert [_get(transport, server.url).json() for _ in range(2)] == [{"results": []}] * 2
    assert len(set(server.ports)) == 1


def test_a_connection_is_given_back_once_however_often_its_answer_is_closed(serve):
    server, transport = serve(), Transport()
    answer = _get(transport, server.url)
    answer.stream.close()  # type: ignore[union-attr]  # a second close: two requests must never share it
    assert sum(len(conns) for conns in transport._idle.values()) == 1


def test_an_answer_without_a_body_leaves_the_connection_reusable(serve):
    def no_content(h: BaseHTTPRequestHandler) -> None:
        h.send_response(204)
        h.end_headers()

    server, transport = serve(no_content), Transport()
    assert [_get(transport, server.url, "DELETE").status_code for _ in range(3)] == [204] * 3
    assert len(set(server.ports)) == 1


def test_threads_share_the_transport_without_sharing_a_connection(serve):
    server, transport = serve(), Transport(max_idle=8)
    failures: list[BaseException] = []

    def many() -> None:
        try:
            for _ in range(20):
                assert _get(transport, server.url).json() == {"results": []}
        except BaseException as e:  # reported below
            failures.append(e)

    threads = [threading.Thread(target=many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(server.ports) == 160 and len(set(server.ports)) <= 8
