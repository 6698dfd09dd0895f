"""The API client: the exact requests it sends, how it reads answers and errors, and when it retries."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
import respx

from pulumi_vpsorg import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    Client,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SnapshotLimitError,
)
from pulumi_vpsorg._deadline import deadline
from pulumi_vpsorg.budget import JITTER

BASE = "https://admin.vps.org/api/v1"
TOKEN = "vps_secret_abcdef123456"
SNAP = {
    "id": 801,
    "server": {"id": 12345, "name": "web-server-01"},
    "name": "pre-migration-snapshot",
    "status": "completed",
    "size_mb": 5120,
    "created_at": "2025-01-15T18:30:00Z",
    "description": "Before major migration",
}


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _over(router: respx.Router) -> httpx.MockTransport:
    return httpx.MockTransport(router.handler)


@pytest.fixture
def mock():
    with respx.mock(base_url=BASE, assert_all_called=False) as m:
        yield m


@pytest.fixture
def client(sleeps, mock):
    c = Client(TOKEN, sleep=sleeps.append, transport=_over(mock))
    yield c
    c.close()


# ----- requests as sent ------------------------------------------------------------------------------------


def test_list_sends_the_documented_request(client, mock):
    route = mock.get("/snapshots/").respond(200, json={"count": 1, "results": [SNAP]})
    [snap] = client.list_snapshots(server_id=12345.0)
    req = route.calls.last.request
    assert req.method == "GET" and req.url.path == "/api/v1/snapshots/"
    assert dict(req.url.params) == {"server_id": "12345"}
    assert req.headers["Authorization"] == f"Bearer {TOKEN}" and req.headers["Accept"] == "application/json"
    assert snap.id == 801 and snap.server_id == 12345 and snap.size_mb == 5120 and snap.is_completed


def test_list_without_server_sends_no_query(client, mock):
    route = mock.get("/snapshots/").respond(200, json={"count": 0, "results": []})
    assert client.list_snapshots() == []
    assert route.calls.last.request.url.query == b""


def test_list_follows_next_and_accepts_a_bare_list(client, mock):
    page2 = f"{BASE}/snapshots/?page=2&server_id=12345"
    mock.get("/snapshots/", params={"page": "2"}).respond(200, json=[dict(SNAP, id=803)])
    mock.get("/snapshots/").respond(200, json={"count": 3, "next": page2, "results": [SNAP, dict(SNAP, id=802)]})
    assert [s.id for s in client.list_snapshots(server_id=12345)] == [801, 802, 803]


def test_next_link_to_another_host_is_not_followed(client, mock):
    mock.get("/snapshots/").respond(200, json={"results": [], "next": "https://evil.example/steal?page=2"})
    with pytest.raises(APIError, match="another host"):
        client.list_snapshots()


def test_unknown_fields_and_statuses_are_kept(client, mock):
    mock.get("/snapshots/").respond(200, json={"results": [dict(SNAP, status="archiving", region="eu")]})
    [snap] = client.list_snapshots()
    assert snap.status == "archiving" and snap.is_failed and snap.model_extra == {"region": "eu"}


def test_create_posts_integer_server_id_and_parses_201(client, mock):
    body = dict(SNAP, id=802, status="in_progress", size_mb=None, message="Snapshot is being created.")
    route = mock.post("/snapshots/").respond(201, json=body)
    snap = client.create_snapshot(12345.0, "before-update", "Snapshot before system update")
    req = route.calls.last.request
    assert req.url.path == "/api/v1/snapshots/" and req.headers["Content-Type"] == "application/json"
    sent = json.loads(req.content)
    assert sent == {"server_id": 12345, "name": "before-update", "description": "Snapshot before system update"}
    assert type(sent["server_id"]) is int
    assert snap.id == 802 and snap.is_in_progress and snap.message == "Snapshot is being created."


def test_create_without_description_sends_none(client, mock):
    route = mock.post("/snapshots/").respond(201, json=dict(SNAP, status="in_progress"))
    client.create_snapshot(12345, "n")
    assert json.loads(route.calls.last.request.content) == {"server_id": 12345, "name": "n"}


def test_restore_posts_without_body(client, mock):
    route = mock.post("/snapshots/801/restore/").respond(
        200,
        json={
            "status": "success",
            "message": "Server is being restored from snapshot.",
            "snapshot": {"id": 801, "name": "pre-migration-snapshot", "created_at": "2025-01-15T18:30:00Z"},
            "server": {"id": 12345, "name": "web-server-01", "status": "restoring"},
        },
    )
    resp = client.restore_snapshot(801)
    assert route.calls.last.request.content == b""
    assert resp.server.status == "restoring" and resp.snapshot.id == 801


@pytest.mark.parametrize("status", [204, 200, 202])
def test_delete_accepts_204_200_202(client, mock, status):
    route = mock.delete("/snapshots/801/").respond(status)
    client.delete_snapshot(801)
    assert route.calls.last.request.url.path == "/api/v1/snapshots/801/"


def test_list_servers_with_filters(client, mock):
    route = mock.get("/servers/").respond(
        200,
        json={"count": 1, "results": [{"id": 12345, "name": "web-server-01", "status": "active", "plan": {"id": 1}}]},
    )
    [server] = client.list_servers(status="active", location="us-west")
    assert dict(route.calls.last.request.url.params) == {"status": "active", "location": "us-west"}
    assert server.status == "active"


# ----- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, body, cls, words",
    [
        (400, {"name": ["Invalid characters."]}, BadRequestError, "name: Invalid characters"),
        (401, {"detail": "Invalid token."}, AuthenticationError, "VPSORG_TOKEN"),
        (403, {"detail": "Token lacks scope."}, PermissionDeniedError, "permission"),
        (404, {"detail": "Not found."}, NotFoundError, "Server 12345 does not exist"),
        (429, {"detail": "Throttled."}, RateLimitError, "rate limiting"),
        (
            500,
            "<html><head><title>Oops &amp; co</title></head>\n<body>\n<h1>x</h1></body></html>",
            ServerError,
            "HTTP 500: an HTML page (Oops & co). VPS.org had a problem",
        ),
        (418, {"error": "teapot"}, APIStatusError, "HTTP 418: teapot"),
    ],
)
def test_each_status_has_its_error(client, mock, status, body, cls, words):
    kwargs = {"json": body} if isinstance(body, dict) else {"text": body}
    mock.post("/snapshots/").respond(status, **kwargs)
    with pytest.raises(cls) as e:
        client.create_snapshot(12345, "n")
    assert type(e.value) is cls and e.value.status_code == status and isinstance(e.value, APIError)
    assert words in str(e.value) and f"HTTP {status}" in str(e.value)


def test_400_at_the_limit_is_its_own_error(client, mock):
    mock.post("/snapshots/").respond(400, json={"detail": "Maximum 5 snapshots per server reached"})
    with pytest.raises(SnapshotLimitError, match="at most 5 snapshots"):
        client.create_snapshot(12345, "n")


@pytest.mark.parametrize(
    "body, said",
    [
        ({"detail": "a", "error": "b"}, "a"),
        ({"error": "b", "message": "c"}, "b"),
        ({"message": "c", "non_field_errors": ["d"]}, "c"),
        ({"non_field_errors": ["d", "e"]}, "d; e"),
        ({"name": ["too long"], "server_id": ["required"]}, "name: too long; server_id: required"),
        ({"error": {"message": "nested"}}, "nested"),
    ],
)
def test_error_body_is_read_in_order(client, mock, body, said):
    mock.get("/snapshots/").respond(400, json=body)
    with pytest.raises(BadRequestError) as e:
        client.list_snapshots()
    assert e.value.api_message == said


def test_token_never_appears(client, mock, caplog):
    caplog.set_level(logging.DEBUG, logger="pulumi_vpsorg")
    caplog.set_level(logging.DEBUG, logger="httpx")
    mock.get("/snapshots/").respond(401, json={"detail": f"Token {TOKEN} is revoked"})
    with pytest.raises(AuthenticationError) as e:
        client.list_snapshots()
    assert TOKEN not in str(e.value) and "***" in str(e.value)
    assert TOKEN not in repr(client) and TOKEN not in caplog.text


# ----- retries ---------------------------------------------------------------------------------------------


def test_get_retries_5xx_with_capped_jittered_backoff(client, mock, sleeps):
    mock.get("/snapshots/").mock(
        side_effect=[
            httpx.Response(504),
            httpx.Response(502),
            httpx.Response(500),
            httpx.Response(200, json={"results": []}),
        ]
    )
    assert client.list_snapshots() == []
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        assert 0.5 * 0.5 * 2**attempt <= delay <= 0.5 * 2**attempt


def test_backoff_is_capped(sleeps, mock):
    c = Client(TOKEN, sleep=sleeps.append, max_retries=8, backoff_cap=2.0, transport=_over(mock))
    mock.get("/snapshots/").respond(500)
    with pytest.raises(ServerError):
        c.list_snapshots()
    assert len(sleeps) == 8 and max(sleeps) <= 2.0


def test_retry_after_seconds_and_date_are_honoured(client, mock, sleeps):
    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    mock.get("/snapshots/").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(429, headers={"Retry-After": soon}),
            httpx.Response(200, json={"results": []}),
        ]
    )
    client.list_snapshots()
    # A 429 pauses every caller of the process until Retry-After has passed (and up to JITTER of it more, so that
    # processes refused together do not come back together): this one waits out that pause.
    assert 6.95 <= sleeps[0] <= 7 * (1 + JITTER) and 25 <= sleeps[1] <= 30 * (1 + JITTER)


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "garbage"])
def test_retry_after_zero_negative_or_unreadable_means_normal_backoff(client, mock, sleeps, value):
    mock.get("/snapshots/").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": value}), httpx.Response(200, json={"results": []})]
    )
    client.list_snapshots()
    # backoff_base * 2**0, jittered; a 503 pauses the budget for it, up to JITTER of it more
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5 * (1 + JITTER)


@pytest.mark.parametrize("value", ["3600", "86400", "Wed, 01 Jan 2099 00:00:00 GMT"])
def test_retry_after_above_the_cap_fails_at_once_without_sleeping(client, mock, sleeps, value):
    route = mock.get("/snapshots/").respond(429, headers={"Retry-After": value})
    with pytest.raises(RateLimitError) as e:
        client.list_snapshots()
    assert sleeps == [] and route.call_count == 1 and e.value.retry_after >= 3600


@pytest.mark.parametrize("status, error, calls", [(503, ServerError, 5), (429, RateLimitError, 13)])
def test_retries_give_up_after_max_retries(client, mock, sleeps, status, error, calls):
    route = mock.get("/snapshots/").respond(status)
    with pytest.raises(error):
        client.list_snapshots()
    assert route.call_count == calls and len(sleeps) == calls - 1  # 429s: three times as many, the budget slowing


def test_get_and_delete_retry_connection_errors(client, mock):
    listed = mock.get("/snapshots/").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(200, json={"results": []})]
    )
    deleted = mock.delete("/snapshots/801/").mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(204)])
    assert client.list_snapshots() == []
    client.delete_snapshot(801)
    assert listed.call_count == 2 and deleted.call_count == 2


def test_create_is_not_retried_when_it_may_have_arrived(client, mock):
    route = mock.post("/snapshots/").mock(side_effect=[httpx.Response(500)])
    with pytest.raises(ServerError):
        client.create_snapshot(12345, "n")
    assert route.call_count == 1
    route = mock.post("/snapshots/").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as e:
        client.create_snapshot(12345, "n")
    assert route.call_count == 2 and e.value.maybe_sent  # the same route: one call each time


def test_create_is_retried_when_the_connection_never_opened(client, mock):
    route = mock.post("/snapshots/").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json=dict(SNAP, status="in_progress"))]
    )
    assert client.create_snapshot(12345, "n").id == 801
    assert route.call_count == 2


def test_restore_is_never_retried(client, mock):
    route = mock.post("/snapshots/801/restore/").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as e:
        client.restore_snapshot(801)
    assert route.call_count == 1 and not e.value.maybe_sent


# ----- configuration ---------------------------------------------------------------------------------------


def test_missing_token_fails_before_any_request(mock):
    with pytest.raises(ConfigurationError, match="VPSORG_TOKEN"):
        Client()
    assert not mock.calls


def test_token_and_endpoint_from_environment(monkeypatch):
    monkeypatch.setenv("VPSORG_TOKEN", TOKEN)
    monkeypatch.setenv("VPSORG_ENDPOINT", "http://127.0.0.1:8080/api/v1/")
    with respx.mock(base_url="http://127.0.0.1:8080/api/v1") as m:
        c = Client(transport=_over(m))
        assert c.endpoint == "http://127.0.0.1:8080/api/v1"
        route = m.get("/servers/").respond(200, json={"results": []})
        c.list_servers()
    assert route.calls.last.request.url.path == "/api/v1/servers/"


def test_default_endpoint_and_timeouts():
    sent = []
    c = Client(
        TOKEN,
        timeout=12,
        connect_timeout=3,
        transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json=[])),
    )
    assert c.endpoint == BASE
    c.list_servers()
    assert sent[0].extensions["timeout"] == {"connect": 3, "read": 12, "write": 12, "pool": 12}


def test_bad_endpoint_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="not an http"):
        Client(TOKEN, "admin.vps.org")


@pytest.mark.parametrize("answer", [{"text": "<html>proxy error page</html>"}, {"json": {"results": [{"id": "x"}]}}])
def test_an_unexpected_answer_is_a_clear_error(client, mock, answer):
    mock.get("/snapshots/").respond(200, **answer)
    with pytest.raises(APIError, match="does not understand") as e:
        client.list_snapshots()
    assert "Traceback" not in str(e.value)


def test_create_answer_without_server_keeps_the_server_id(client, mock):
    mock.post("/snapshots/").respond(201, json={"id": 802, "name": "n", "status": "in_progress"})
    assert client.create_snapshot(12345, "n").server_id == 12345


@pytest.mark.parametrize(
    "method, path, call, status, cls",
    [
        ("GET", "/snapshots/", lambda c: c.list_snapshots(12345), 401, AuthenticationError),
        ("POST", "/snapshots/", lambda c: c.create_snapshot(12345, "n"), 400, BadRequestError),
        ("POST", "/snapshots/", lambda c: c.create_snapshot(12345, "n"), 401, AuthenticationError),
        ("POST", "/snapshots/", lambda c: c.create_snapshot(12345, "n"), 404, NotFoundError),
        ("POST", "/snapshots/801/restore/", lambda c: c.restore_snapshot(801), 400, BadRequestError),
        ("POST", "/snapshots/801/restore/", lambda c: c.restore_snapshot(801), 401, AuthenticationError),
        ("POST", "/snapshots/801/restore/", lambda c: c.restore_snapshot(801), 404, NotFoundError),
        ("DELETE", "/snapshots/801/", lambda c: c.delete_snapshot(801), 401, AuthenticationError),
        ("DELETE", "/snapshots/801/", lambda c: c.delete_snapshot(801), 404, NotFoundError),
        ("GET", "/servers/", lambda c: c.list_servers(), 401, AuthenticationError),
    ],
)
def test_every_documented_error_status_of_every_endpoint(client, mock, method, path, call, status, cls):
    route = mock.route(method=method, path=path).respond(status, json={"detail": "said so"})
    with pytest.raises(cls) as e:
        call(client)
    assert route.call_count == 1  # none of these is retried
    assert f"VPS.org API {method} {path} returned HTTP {status}: said so." in str(e.value)


def test_restore_errors_say_what_to_do(client, mock):
    mock.post("/snapshots/801/restore/").respond(400, json={"detail": "Server is not in a valid state"})
    with pytest.raises(BadRequestError, match="wait for the running operation"):
        client.restore_snapshot(801)
    mock.post("/snapshots/801/restore/").respond(404, json={"detail": "Not found."})
    with pytest.raises(NotFoundError, match="Snapshot 801 does not exist"):
        client.restore_snapshot(801)


def test_authorization_header_is_redacted_in_reprs(client):
    assert TOKEN not in repr(client._headers) and TOKEN not in repr(client)


# ----- bounded in time and size, whatever the server does -----------------------------------------------------


class _OddServer:
    """A loopback HTTP server of the tests' own that answers every request with ``reply(socket)``."""

    def __init__(self, reply) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v1"
        self.stop = threading.Event()
        self.reply = reply
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.reply(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def _drip_body(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    while not stop.wait(0.2):
        conn.sendall(b" ")


def _drip_headers(conn, stop):
    for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
        if stop.wait(0.2):
            return
        conn.sendall(bytes([byte]))


def _endless_body(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
    while not stop.is_set():
        conn.sendall(chunk)


@pytest.mark.parametrize("reply", [_drip_body, _drip_headers], ids=["drips its body", "drips its headers"])
def test_a_dripping_server_cannot_hold_a_request_past_its_total_time(reply):
    server = _OddServer(reply)
    try:
        with Client(TOKEN, server.endpoint, request_timeout=1.5, max_retries=0) as api:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="did not answer GET snapshots/ in time"):
                api.list_snapshots()
            assert time.monotonic() - started < 10  # a 1.5 s limit, against a drip that never ends
    finally:
        server.close()


def test_an_endless_body_is_cut_off_at_the_size_cap():
    server = _OddServer(_endless_body)
    try:
        with Client(TOKEN, server.endpoint, max_retries=0) as api:
            with pytest.raises(APIConnectionError, match="larger than 8 MiB"):
                api.list_snapshots()
    finally:
        server.close()


def test_an_operation_deadline_bounds_retries_and_their_sleeps(mock):
    mock.get("/snapshots/").respond(503, headers={"Retry-After": "50"})
    with Client(TOKEN, max_retry_after=120, transport=_over(mock)) as api:
        started = time.monotonic()
        with deadline(1.0), pytest.raises(ServerError):  # 50 s fits the cap, not the deadline: not slept
            api.list_snapshots()
        assert time.monotonic() - started < 10  # not the 50 s Retry-After


def test_nothing_is_sent_once_the_operation_deadline_has_passed(mock):
    route = mock.get("/snapshots/").respond(200, json={"results": []})
    with Client(TOKEN, transport=_over(mock)) as api, deadline(0.0):
        with pytest.raises(APITimeoutError, match="was not sent") as e:
            api.list_snapshots()
    assert route.call_count == 0 and e.value.maybe_sent is False


# ----- tokens, endpoints and what errors may show ------------------------------------------------------------------


@pytest.mark.parametrize("token", ["vps_a b", "vps_tab\there", "vps_ctl\x07", "vps_\u00e9t\u00e9", "vps_nl\nx"])
def test_a_malformed_token_is_refused_without_showing_it(token):
    with pytest.raises(ConfigurationError) as e:
        Client(token)
    assert "cannot be the token VPS.org issued" in str(e.value)
    assert token.strip() not in str(e.value) and "vps_" not in str(e.value).split("VPSORG_TOKEN")[0]


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://[::1",
        "http://h:99999/api/v1",
        "ftp://h/api/v1",
        "http://h/a b",
        "http://h\u00e9/api/v1",
        "http:///api/v1",
    ],
)
def test_a_malformed_endpoint_is_one_clear_error(endpoint):
    with pytest.raises(ConfigurationError, match="is not usable"):
        Client(TOKEN, endpoint)


def test_an_echoed_token_is_redacted_before_the_message_is_cut(client, mock):
    mock.post("/snapshots/").respond(400, json={"detail": "x" * 290 + TOKEN, "echo": {"deep": [TOKEN]}})
    with pytest.raises(BadRequestError) as e:
        client.create_snapshot(12345, "n")
    shown = str(e.value) + repr(e.value.body) + e.value.api_message
    assert TOKEN[4:12] not in shown  # not even the part before the cut at 300 characters
    assert "***" in json.dumps(e.value.body)


def test_deeply_nested_json_is_a_clear_error_not_a_traceback(client, mock):
    mock.get("/snapshots/").respond(
        200, content=b"[" * 100000 + b"]" * 100000, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(APIResponseValidationError, match="does not understand"):
        client.list_snapshots()
    mock.post("/snapshots/").respond(400, content=b"[" * 100000 + b"]" * 100000)
    with pytest.raises(BadRequestError) as e:
        client.create_snapshot(12345, "n")
    assert "\n" not in str(e.value) and len(str(e.value)) < 600


def test_a_list_that_ignores_the_server_filter_yields_only_that_servers_snapshots(client, mock):
    mock.get("/snapshots/").respond(200, json={"results": [SNAP, dict(SNAP, id=802, server={"id": 12346})]})
    assert [s.id for s in client.list_snapshots(server_id=12346)] == [802]


def test_the_error_tree_is_the_one_openai_readers_expect():
    from pulumi_vpsorg import VpsorgError

    assert issubclass(APIConnectionError, APIError) and issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APIResponseValidationError, APIError) and issubclass(APIStatusError, APIError)
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        RateLimitError,
        ServerError,
    ):
        assert issubclass(cls, APIStatusError)
    assert issubclass(SnapshotLimitError, BadRequestError) and issubclass(APIError, VpsorgError)
    assert not issubclass(ConfigurationError, APIError)


@pytest.mark.parametrize("bad", [-5, 0, True, "801", 2**60], ids=["negative", "zero", "true", "a string", "huge"])
def test_an_id_from_the_api_that_is_not_a_whole_number_from_1_is_refused(client, mock, bad):
    mock.get("/snapshots/").respond(200, json={"results": [{"id": bad, "name": "n", "status": "completed"}]})
    with pytest.raises(APIResponseValidationError, match="at results.0.id"):
        client.list_snapshots()


def test_a_read_age_that_is_not_a_number_is_a_configuration_error(monkeypatch):
    from pulumi_vpsorg import listing

    monkeypatch.setenv("VPSORG_READ_MAX_AGE", "abc")
    with pytest.raises(ConfigurationError, match="VPSORG_READ_MAX_AGE must be a number of seconds"):
        listing.read_since(Client(TOKEN, transport=httpx.MockTransport(lambda r: httpx.Response(500))), 1)


ODD_TOKEN = "vps_a&b<c>d+e/f_123456"  # characters that a link encodes and a page escapes


@pytest.fixture
def odd_client(sleeps, mock):
    c = Client(ODD_TOKEN, sleep=sleeps.append, transport=_over(mock))
    yield c
    c.close()


def _token_forms() -> list[str]:
    from html import escape
    from urllib.parse import quote, quote_plus

    return [ODD_TOKEN, quote(ODD_TOKEN, safe=""), quote_plus(ODD_TOKEN, safe=""), escape(ODD_TOKEN)]


def _shows_no_token(text: str) -> None:
    for form in _token_forms():
        assert form not in text, text


def test_a_redirect_location_holding_the_token_is_redacted(odd_client, mock):
    for form in _token_forms():
        mock.get("/snapshots/").respond(302, headers={"Location": f"https://elsewhere.example/?t={form}"})
        with pytest.raises(APIResponseValidationError) as e:
            odd_client.list_snapshots()
        _shows_no_token(str(e.value))
        assert "redirect to 'https://elsewhere.example/?t=***'" in str(e.value)


@pytest.mark.parametrize("same_host", [True, False], ids=["a loop", "another host"])
def test_a_next_link_holding_the_token_is_redacted(odd_client, mock, same_host):
    from urllib.parse import quote

    host = BASE if same_host else "https://elsewhere.example/api/v1"
    link = f"{host}/snapshots/?token={quote(ODD_TOKEN, safe='')}"
    mock.get("/snapshots/").respond(200, json={"count": 2, "next": link, "results": []})
    mock.get(url__startswith=f"{BASE}/snapshots/?token").respond(200, json={"count": 2, "next": link, "results": []})
    with pytest.raises(APIResponseValidationError) as e:
        odd_client.list_snapshots()
    _shows_no_token(str(e.value))


def test_an_html_error_page_echoing_the_token_escaped_is_redacted(odd_client, mock):
    from html import escape

    page = f"<html><head><title>Bad token {escape(ODD_TOKEN)}</title></head><body>{escape(ODD_TOKEN)}</body></html>"
    mock.get("/snapshots/").respond(400, text=page)
    with pytest.raises(BadRequestError) as e:
        odd_client.list_snapshots()
    _shows_no_token(str(e.value) + repr(e.value.body) + e.value.api_message)
    assert "Bad token ***" in str(e.value)
