"""The client's HTTP on httpx's own transport: keep-alive, TLS, proxies from the environment, a bounded look-up,
and answers that are cut short, inflate without end or redirect."""

from __future__ import annotations

import gzip
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _consts import TOKEN

from pulumi_vpsorg import APIConnectionError, APIResponseValidationError, APITimeoutError, Client, ConfigurationError
from pulumi_vpsorg._deadline import deadline
from pulumi_vpsorg.client import endpoint_key

Reply = Callable[[BaseHTTPRequestHandler], None]


class _Server:
    """A loopback HTTP/1.1 server answering every request with ``reply``; records each request's client port and
    request line (a proxy sees absolute URLs there)."""

    def __init__(self, reply: Reply, tls: ssl.SSLContext | None = None) -> None:
        ports, lines = self.ports, self.lines = [], []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                ports.append(self.client_address[1])
                lines.append(self.requestline)
                reply(self)

            do_POST = do_DELETE = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        self.port = self.http.server_address[1]
        self.endpoint = f"{'https' if tls else 'http'}://localhost:{self.port}/api/v1"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


def _answer(h: BaseHTTPRequestHandler, body: bytes, status: int = 200, **headers: str) -> None:
    if "Content-Length" in h.headers:
        h.rfile.read(int(h.headers["Content-Length"]))
    h.send_response(status)
    for k, v in {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}.items():
        h.send_header(k.replace("_", "-"), v)
    h.end_headers()
    h.wfile.write(body)


def _empty(h: BaseHTTPRequestHandler) -> None:
    _answer(h, b'{"count": 0, "results": []}')


@pytest.fixture
def serve() -> Iterator[Callable[..., _Server]]:
    servers: list[_Server] = []

    def start(reply: Reply = _empty, tls: ssl.SSLContext | None = None) -> _Server:
        servers.append(_Server(reply, tls))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_one_connection_serves_request_after_request(serve):
    server = serve()
    with Client(TOKEN, server.endpoint) as api:
        for _ in range(5):
            assert api.list_snapshots() == []
    assert len(set(server.ports)) == 1


def test_a_connection_the_server_closed_is_not_reused_for_a_post(serve):
    """Were it reused, the POST would fail as maybe sent, and a create is never sent twice."""
    closed = threading.Event()

    def answer_and_hang_up(h: BaseHTTPRequestHandler) -> None:
        _answer(h, b'{"id": 5, "name": "n", "status": "in_progress"}', 201)
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)  # without a "Connection: close" to warn the client
        h.close_connection = True
        closed.set()

    server = serve(answer_and_hang_up)
    with Client(TOKEN, server.endpoint, max_retries=0) as api:
        api.create_snapshot(1, "n")
        assert closed.wait(5)
        assert api.create_snapshot(1, "n").id == 5
    assert len(set(server.ports)) == 2


def test_a_refused_connection_is_known_unsent(serve):
    server = serve()
    endpoint = server.endpoint
    server.close()  # nothing listens on that port now
    with Client(TOKEN, endpoint, max_retries=0) as api, pytest.raises(APIConnectionError) as e:
        api.create_snapshot(1, "n")
    assert e.value.maybe_sent is False and "ConnectError" in str(e.value)


def test_a_body_shorter_than_its_content_length_is_an_error_not_a_success(serve):
    def cut(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b'{"status": "success"')  # and hangs up
        h.close_connection = True

    server = serve(cut)
    with Client(TOKEN, server.endpoint, max_retries=0) as api:
        with pytest.raises(APIConnectionError) as e:
            api.restore_snapshot(801)
        assert e.value.maybe_sent is True and "RemoteProtocolError" in str(e.value)
        with pytest.raises(APIConnectionError):
            api.delete_snapshot(801)


def test_nested_gzip_that_inflates_past_the_cap_stops_there(serve):
    bomb = gzip.compress(gzip.compress(b" " * (64 * 1024 * 1024)))  # 64 MiB of spaces, twice compressed
    assert len(bomb) < 100_000
    server = serve(lambda h: _answer(h, bomb, Content_Encoding="gzip, gzip"))
    with Client(TOKEN, server.endpoint, max_retries=0) as api, pytest.raises(APIConnectionError, match="8 MiB"):
        api.list_snapshots()


def test_a_gzip_answer_is_read(serve):
    body = gzip.compress(b'{"results": [{"id": 9, "name": "a", "status": "x"}]}')
    server = serve(lambda h: _answer(h, body, Content_Encoding="gzip"))
    with Client(TOKEN, server.endpoint) as api:
        assert [s.id for s in api.list_snapshots()] == [9]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_a_success_nor_followed(serve, status):
    server = serve(lambda h: _answer(h, b"", status, Location="https://elsewhere.example/api/v1/snapshots/801/"))
    with Client(TOKEN, server.endpoint, max_retries=0) as api:
        with pytest.raises(APIResponseValidationError, match="redirect to 'https://elsewhere.example"):
            api.delete_snapshot(801)
        with pytest.raises(APIResponseValidationError, match="never followed"):
            api.restore_snapshot(801)
    assert len(server.lines) == 2


def test_https_proxy_from_the_environment_is_used(serve, monkeypatch):
    proxy = serve()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    with Client(TOKEN, "http://api.vpsorg.invalid/api/v1") as api:  # a name nobody resolves: only the proxy can
        assert api.list_snapshots() == []
    assert proxy.lines == ["GET http://api.vpsorg.invalid/api/v1/snapshots/ HTTP/1.1"]


def test_no_proxy_is_honoured(serve, monkeypatch):
    proxy, api_server = serve(), serve()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    with Client(TOKEN, api_server.endpoint) as api:
        assert api.list_snapshots() == []
    assert proxy.lines == [] and len(api_server.lines) == 1


def test_a_host_name_look_up_counts_against_the_deadline(monkeypatch):
    hang = threading.Event()
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: hang.wait(30) and [])
    try:
        with Client(TOKEN, "https://slow-dns.example/api/v1", max_retries=0) as api, deadline(0.5):
            started = time.monotonic()
            with pytest.raises(APITimeoutError) as e:
                api.create_snapshot(1, "n")
        assert time.monotonic() - started < 10  # the 0.5 s deadline, not the 30 s hang
        assert e.value.maybe_sent is False and "looking up the address of slow-dns.example" in str(e.value)
    finally:
        hang.set()


def test_an_endpoint_with_credentials_is_refused_without_showing_them():
    with pytest.raises(ConfigurationError) as e:
        Client(TOKEN, "https://user:hunter2@admin.vps.org/api/v1")
    assert "hunter2" not in str(e.value) and "user name or password" in str(e.value)


def test_plain_http_to_another_machine_warns_once(caplog):
    caplog.set_level(logging.WARNING, "pulumi_vpsorg")
    for _ in range(3):
        Client(TOKEN, "http://api.plain-http.example/api/v1").close()
    Client(TOKEN, "http://127.0.0.1:8080/api/v1").close()
    warned = [r.getMessage() for r in caplog.records if "unencrypted" in r.getMessage()]
    assert len(warned) == 1 and "api.plain-http.example" in warned[0]


@pytest.mark.parametrize(
    "a, b",
    [
        ("http://127.0.0.1:8080/api/v1", "http://localhost:8080/api/v1/"),
        ("https://ADMIN.vps.org/api/v1", "https://admin.vps.org:443/api/v1"),
    ],
)
def test_one_api_spelt_two_ways_is_one_lock_name(a, b):
    assert endpoint_key(a) == endpoint_key(b)
    assert endpoint_key(a) != endpoint_key(a.replace("/api/v1", "/api/v2"))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("SKIPPED LOUDLY: the TLS tests need the openssl command to make a certificate; none is on PATH")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    key_type = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    command = ["openssl", "req", "-x509", *key_type, "-keyout", str(key), "-out", str(cert), "-days", "1", *subject]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


def _tls_server(serve, certificate: tuple[Path, Path]) -> _Server:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return serve(tls=context)


def test_tls_refuses_a_certificate_nobody_trusts(serve, certificate, monkeypatch):
    import pulumi_vpsorg._transport as transport

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setattr(transport, "_SSL", None)
    server = _tls_server(serve, certificate)
    with Client(TOKEN, server.endpoint, max_retries=0) as api, pytest.raises(APIConnectionError) as e:
        api.list_snapshots()
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value)


def test_tls_trusts_what_httpx_trusts(serve, certificate, monkeypatch):
    import pulumi_vpsorg._transport as transport

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # httpx's way to name another CA
    monkeypatch.setattr(transport, "_SSL", None)
    server = _tls_server(serve, certificate)
    with Client(TOKEN, server.endpoint) as api:
        assert [api.list_snapshots() for _ in range(2)] == [[], []]
    assert len(set(server.ports)) == 1
