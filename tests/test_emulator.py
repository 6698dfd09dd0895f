"""The emulator, through real HTTP: documented behaviour, faults, persistence and the `vpsorg emulator` process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from pulumi_vpsorg.emulator import Emulator, serve

TOKEN = "vps_emu"
H = {"Authorization": f"Bearer {TOKEN}"}


class Clock:
    """The emulator's clock, moved by the test: a snapshot completes when the test says so, not after a sleep."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def http():
    clock = Clock()
    emulator = Emulator(token=TOKEN, snapshot_seconds=0.3, restore_seconds=0.3, clock=clock)
    server = serve(emulator)
    with httpx.Client(base_url=server.endpoint + "/", headers=H) as c:
        c.emu = emulator  # type: ignore[attr-defined]
        c.clock = clock  # type: ignore[attr-defined]
        c.root = server.endpoint[: -len("/api/v1")]  # type: ignore[attr-defined]
        yield c
    server.close()


def _create(http, server_id=12345, name="snap", **extra):
    return http.post("snapshots/", json={"server_id": server_id, "name": name, **extra})


def test_auth(http):
    assert http.get("snapshots/", headers={"Authorization": ""}).status_code == 401
    r = http.get("snapshots/", headers={"Authorization": "Bearer other"})
    assert r.status_code == 401 and r.json() == {"detail": "Invalid token."}


def test_any_token_without_token_flag():
    server = serve(Emulator())
    try:
        assert httpx.get(server.endpoint + "/servers/", headers={"Authorization": "Bearer x"}).status_code == 200
        assert httpx.get(server.endpoint + "/servers/").status_code == 401
    finally:
        server.close()


def test_documented_servers(http):
    body = http.get("servers/").json()
    names = {s["id"]: s["name"] for s in body["results"]}
    assert names[12345] == "web-server-01" and names[12346] == "db-server-01" and len(names) >= 4
    assert all(s["status"] == "active" for s in body["results"])
    assert http.get("servers/", params={"location": "eu-central"}).json()["count"] == 2


def test_snapshot_lifecycle(http):
    r = _create(http, description="d")
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "in_progress" and body["size_mb"] is None and "3-10 minutes" in body["message"]
    assert body["server"] == {"id": 12345, "name": "web-server-01"}
    http.clock.advance(0.35)
    [snap] = http.get("snapshots/", params={"server_id": 12345}).json()["results"]
    assert snap["status"] == "completed" and snap["size_mb"] > 0
    assert http.get("snapshots/", params={"server_id": 12346}).json()["results"] == []
    r = http.post(f"snapshots/{body['id']}/restore/")
    assert r.status_code == 200 and r.json()["server"]["status"] == "restoring"
    assert http.post(f"snapshots/{body['id']}/restore/").status_code == 400  # already restoring
    assert http.get("servers/").json()["results"][0]["status"] == "restoring"
    http.clock.advance(0.35)
    assert http.get("servers/").json()["results"][0]["status"] == "active"
    r = http.delete(f"snapshots/{body['id']}/")
    assert r.status_code == 204 and r.content == b""
    assert http.delete(f"snapshots/{body['id']}/").status_code == 404
    assert http.post(f"snapshots/{body['id']}/restore/").status_code == 404


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"server_id": "12345", "name": "n"}, "server_id"),
        ({"server_id": 12345.0, "name": "n"}, "server_id"),
        ({"server_id": 12345, "name": "bad name"}, "name"),
        ({"name": "n"}, "server_id"),
        ({"server_id": 12345}, "name"),
        ({"server_id": 12345, "name": "n", "description": 3}, "description"),
    ],
)
def test_bad_parameters(http, payload, field):
    r = http.post("snapshots/", json=payload)
    assert r.status_code == 400 and field in r.json()


def test_unknown_server_and_limit(http):
    assert _create(http, server_id=1).status_code == 404
    for i in range(5):
        assert _create(http, name=f"s{i}").status_code == 201
    r = _create(http, name="s5")
    assert r.status_code == 400 and "limit" in r.json()["detail"]


def test_restore_of_unfinished_snapshot_and_delete_in_progress(http):
    sid = _create(http).json()["id"]
    assert http.post(f"snapshots/{sid}/restore/").status_code == 400
    assert http.delete(f"snapshots/{sid}/").status_code == 400


def test_pagination(http):
    http.emu.page_size = 2
    for i in range(5):
        _create(http, server_id=12345 + i, name=f"s{i}")
    first = http.get("snapshots/").json()
    assert first["count"] == 5 and len(first["results"]) == 2
    second = httpx.get(first["next"], headers=H).json()
    assert [s["name"] for s in second["results"]] == ["s2", "s3"]


def test_faults(http):
    http.post(http.root + "/_emulator/faults", json={"status": 429, "count": 2, "retry_after": 1.5, "method": "GET"})
    r = http.get("servers/")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1.5"
    assert http.post("snapshots/", json={}).status_code == 400  # POST does not match the GET fault
    assert http.get("servers/").status_code == 429 and http.get("servers/").status_code == 200
    http.post(http.root + "/_emulator/faults", json={"drop_after_create": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        _create(http)
    assert len(http.emu.snapshots()) == 1  # performed, then dropped
    http.post(http.root + "/_emulator/faults", json={"fail_snapshots": 1})
    _create(http, name="bad")
    http.clock.advance(0.35)
    statuses = {s["name"]: s["status"] for s in http.get("snapshots/").json()["results"]}
    assert statuses == {"snap": "completed", "bad": "failed"}
    http.post(http.root + "/_emulator/faults", json={"latency": 0.2})
    t = time.monotonic()
    http.get("servers/")
    assert time.monotonic() - t >= 0.2
    stats = http.get(http.root + "/_emulator/stats").json()
    assert {"requests", "snapshots"} <= set(stats) and stats["snapshots"][0]["ready_at"] > 0


def test_in_process_transport_needs_no_socket():
    emulator = Emulator(token=TOKEN, snapshot_seconds=0)
    with httpx.Client(transport=emulator.transport(), base_url="http://emulator/api/v1/", headers=H) as c:
        assert c.post("snapshots/", json={"server_id": 12346, "name": "n"}).status_code == 201
        assert c.get("snapshots/").json()["results"][0]["status"] == "completed"


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulumi_vpsorg.cli", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    endpoint = proc.stdout.readline().strip()
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/api/v1")
    return proc, endpoint


def test_cli_emulator_keeps_state_across_restarts_and_stops_on_sigterm(tmp_path):
    state = str(tmp_path / "state.json")
    proc, endpoint = _start("--state", state, "--snapshot-seconds", "0", "--accept-token", TOKEN)
    try:
        r = httpx.post(endpoint + "/snapshots/", json={"server_id": 12345, "name": "kept"}, headers=H)
        assert r.status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert json.load(open(state))["snapshots"]
    assert not [f for f in os.listdir(tmp_path) if f != "state.json"]  # atomic writes leave no temp files
    proc, endpoint = _start("--state", state, "--accept-token", TOKEN)
    try:
        results = httpx.get(endpoint + "/snapshots/", headers=H).json()["results"]
        assert [(s["name"], s["status"]) for s in results] == [("kept", "completed")]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_cli_emulator_explains_a_bad_state_file(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("not json")
    proc = subprocess.run(
        [sys.executable, "-m", "pulumi_vpsorg.cli", "emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot use the state file" in proc.stderr and "Fix or remove it" in proc.stderr


@pytest.mark.parametrize(
    "spec",
    [
        {"status": "500"},
        {"status": 99},
        {"status": 500, "count": 0},
        {"status": 500, "count": True},
        {"status": 500, "method": "get"},
        {"status": 500, "path": "api/v1/snapshots/"},
        {"latency": -1},
        {"latency": 1e9},
        {"status": 429, "retry_after": "1\r\nX-Evil: 1"},
        {"drop_after_create": -1},
        {"nonsense": 1},
        [1, 2],
        "x",
    ],
)
def test_a_malformed_fault_is_refused_and_changes_nothing(http, spec):
    resp = http.post(http.root + "/_emulator/faults", json=spec)
    assert resp.status_code == 400 and resp.json()["detail"].startswith("bad fault")
    assert http.get("snapshots/").status_code == 200 and http.emu.latency == 0.0


def test_a_fault_can_answer_with_any_body(http):
    http.post(
        http.root + "/_emulator/faults", json={"status": 200, "text": "<html>hi</html>", "path": "/api/v1/servers/"}
    )
    resp = http.get("servers/")
    assert resp.text == "<html>hi</html>" and resp.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "content",
    [
        "{}",
        '{"next_id": 801}',
        '{"next_id": 801, "servers": {"1": {"id": 2}}, "snapshots": {}}',
        "[]",
        '{"next_id": "x", "servers": {}, "snapshots": {}}',
    ],
)
def test_a_state_file_of_the_wrong_shape_is_refused_at_start(tmp_path, content):
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(ValueError):
        Emulator(state_file=str(state))


@pytest.mark.parametrize("length", ["abc", "-1", "99999999999", "\u0661"])
def test_a_bad_content_length_is_answered_400_not_hung(http, length):
    host, port = http.root.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"POST /api/v1/snapshots/ HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 400")


def test_a_short_body_is_dropped_after_the_handler_timeout(http, monkeypatch):
    from pulumi_vpsorg.emulator import adapters as module

    monkeypatch.setattr(module._Handler, "timeout", 0.5)
    host, port = http.root.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"POST /api/v1/snapshots/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert s.recv(100) == b""  # closed by the handler's 0.5 s read timeout, no answer (a hang: socket.timeout)
    assert http.get("snapshots/").status_code == 200


def test_a_client_that_hangs_up_mid_answer_prints_nothing(http, capfd):
    from pulumi_vpsorg.emulator.adapters import EmulatorServer

    server = EmulatorServer(("127.0.0.1", 0), BaseRequestHandlerStub)
    try:
        raise BrokenPipeError(32, "Broken pipe")
    except BrokenPipeError:
        server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    assert capfd.readouterr().err == ""


class BaseRequestHandlerStub:
    def __init__(self, *args: object) -> None:
        pass
