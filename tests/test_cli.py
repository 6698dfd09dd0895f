"""The `vpsorg` command line against the emulator: in-process through `main(argv, Environment(...))`, and a few
tests through the real console script where the process is the point (a terminal, the installed entry point)."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from dataclasses import dataclass

import pytest
from conftest import TOKEN

from pulumi_vpsorg.cli import Environment, ExitStatus, main

VPSORG = os.path.join(os.path.dirname(sys.executable), "vpsorg")


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


class Terminal(io.StringIO):
    """A stdin that is a terminal, with the user's answers typed in advance."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def run(api, monkeypatch):
    def run(*args: str, token: str | None = TOKEN, stdin: io.StringIO | None = None) -> Ran:
        monkeypatch.setenv("VPSORG_ENDPOINT", api.endpoint)
        if token is None:
            monkeypatch.delenv("VPSORG_TOKEN", raising=False)
        else:
            monkeypatch.setenv("VPSORG_TOKEN", token)
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), Environment(stdin=stdin or io.StringIO(), stdout=out, stderr=err))
        return Ran(int(code), out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def console(api):
    """The installed `vpsorg` console script, as a subprocess."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
        env.update(VPSORG_ENDPOINT=api.endpoint, VPSORG_TOKEN=TOKEN)
        return subprocess.run([VPSORG, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)  # fmt: skip

    return run


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("vpsorg:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_the_console_script_runs_and_exits_with_the_status(console, api):
    proc = console("snapshots", "create", "--server-id", "12345", "--name", "via-console", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["name"] == "via-console"
    assert console("snapshots", "delete", "4242").returncode == ExitStatus.USAGE  # no terminal, no --yes


def test_help_lists_exit_codes(run):
    proc = run("--help")
    assert proc.returncode == 0
    out = proc.stdout
    assert "exit codes: 0 success, 1 API or operation error, 2 usage or configuration error" in out
    assert "3 a wait timed out" in out


def test_create_waits_then_list_in_both_shapes(run, api):
    proc = run("snapshots", "create", "--server-id", "12345", "--name", "pre-change", "--description", "d", "--json")
    assert proc.returncode == 0, proc.stderr
    snap = json.loads(proc.stdout)
    assert snap["status"] == "completed" and snap["name"] == "pre-change" and snap["server"]["id"] == 12345
    assert "snapshot 801 'pre-change': in_progress" in proc.stderr and "is completed" in proc.stderr
    assert api.emu.requests("POST")[0]["json"] == {"server_id": 12345, "name": "pre-change", "description": "d"}

    again = run("snapshots", "create", "--server-id", "12345", "--name", "pre-change")
    assert again.returncode == 0 and "adopted, not duplicated" in again.stderr
    assert len(api.emu.requests("POST")) == 1

    table = run("snapshots", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "SERVER", "NAME", "STATUS", "SIZE", "CREATED"]
    assert table[1].split()[:5] == ["801", "12345", "web-server-01", "pre-change", "completed"]
    listed = json.loads(run("snapshots", "list", "--server-id", "12345", "--json").stdout)
    assert listed == [{k: v for k, v in s.items() if k != "ready_at"} for s in api.emu.snapshots()]
    assert json.loads(run("snapshots", "list", "--server-id", "12346", "--json").stdout) == []


def test_create_no_wait(run):
    proc = run("snapshots", "create", "--server-id", "12345", "--name", "n", "--no-wait", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "in_progress"


def test_create_timeout_exits_3(run, api):
    api.emu.snapshot_seconds = 5
    proc = run("snapshots", "create", "--server-id", "12345", "--name", "slow", "--timeout", "1s")
    assert proc.returncode == 3
    assert "still being created" in _one_line_error(proc) and "adopts the snapshot by name" in proc.stderr


@pytest.mark.parametrize(
    "args", [["snapshots", "delete", "801"], ["snapshots", "restore", "801"], ["rollback", "--server-id", "12345"]]
)
def test_destructive_commands_refuse_without_a_terminal(run, api, args):
    run("snapshots", "create", "--server-id", "12345", "--name", "n")
    api.emu.log.clear()
    proc = run(*args)
    assert proc.returncode == 2 and "--yes" in _one_line_error(proc)
    assert [r["method"] for r in api.emu.log if r["method"] != "GET"] == []


def test_delete_with_yes(run, api):
    run("snapshots", "create", "--server-id", "12345", "--name", "n")
    proc = run("snapshots", "delete", "801", "--yes")
    assert proc.returncode == 0 and "deleted" in proc.stderr and api.emu.snapshots() == []
    assert run("snapshots", "delete", "801", "--yes").stderr.strip().endswith("nothing to delete.")


def test_restore_with_yes_waits_for_the_server(run, api):
    run("snapshots", "create", "--server-id", "12346", "--name", "n")
    proc = run("snapshots", "restore", "801", "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "success" and out["snapshot"]["id"] == 801
    assert out["server"] == {"id": 12346, "name": "db-server-01", "status": "active"}
    assert len([r for r in api.emu.log if r["path"].endswith("/restore/")]) == 1


def test_rollback_picks_the_newest_completed_or_the_named(run, api):
    for name in ("older", "newer"):
        run("snapshots", "create", "--server-id", "12345", "--name", name)
    api.emu.snapshot_seconds = 60
    run("snapshots", "create", "--server-id", "12345", "--name", "unfinished", "--no-wait")
    proc = run("rollback", "--server-id", "12345", "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["snapshot"]["name"] == "newer"
    proc = run("rollback", "--server-id", "12345", "--snapshot", "801", "--yes", "--no-wait", "--json")
    assert json.loads(proc.stdout)["snapshot"]["name"] == "older"
    proc = run("rollback", "--server-id", "12345", "--snapshot", "unfinished", "--yes")
    assert proc.returncode == 1 and "only a completed snapshot" in _one_line_error(proc)
    proc = run("rollback", "--server-id", "12346", "--yes")
    assert proc.returncode == 1 and "no completed snapshot" in _one_line_error(proc)


def test_missing_token_exits_2(run, api):
    proc = run("snapshots", "list", token=None)
    assert proc.returncode == 2 and "VPSORG_TOKEN" in _one_line_error(proc)
    assert api.emu.log == []


def test_api_errors_are_one_line_without_traceback_or_token(run):
    proc = run("snapshots", "create", "--server-id", "99", "--name", "n")
    assert proc.returncode == 1 and "HTTP 404" in _one_line_error(proc)
    secret = "vps_not_the_right_one"
    proc = run("snapshots", "list", token=secret)
    line = _one_line_error(proc)
    assert proc.returncode == 1 and "HTTP 401" in line and "VPSORG_TOKEN" in line and secret not in proc.stderr


def test_usage_errors_exit_2(run, api):
    assert run("snapshots", "create", "--name", "n").returncode == 2
    proc = run("snapshots", "create", "--server-id", "12345", "--name", "no spaces")
    assert proc.returncode == 2 and "only letters, digits" in _one_line_error(proc)
    assert run("snapshots", "create", "--server-id", "1", "--name", "n", "--timeout", "soon").returncode == 2
    assert api.emu.log == []


def test_confirmation_on_a_terminal(run, api):
    run("snapshots", "create", "--server-id", "12345", "--name", "n")
    for answer, code, deleted in (("no\n", 2, False), ("yes\n", 0, True)):
        proc = run("snapshots", "delete", "801", stdin=Terminal(answer))
        assert proc.returncode == code, proc.stderr
        assert "Delete snapshot 801?" in proc.stderr
        assert (api.emu.snapshots() == []) is deleted


def test_servers(run):
    proc = run("servers", "--json")
    assert {s["name"] for s in json.loads(proc.stdout)} >= {"web-server-01", "db-server-01"}


def test_live_progress_line_on_a_terminal(api):
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
    env.update(VPSORG_ENDPOINT=api.endpoint, VPSORG_TOKEN=TOKEN)
    proc = subprocess.run(
        [VPSORG, "snapshots", "create", "--server-id", "12345", "--name", "n"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=60,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.returncode == 0
    text = seen.decode()
    assert "\r\x1b[K  snapshot 801 'n': in_progress" in text and "\r\x1b[K  snapshot 801 'n': completed" in text


@pytest.mark.parametrize(
    "args, words",
    [
        (["rollback", "--server-id", "12345", "--snapshot", "", "--yes"], "--snapshot is empty"),
        (["rollback", "--server-id", "12345", "--snapshot", "  ", "--yes"], "--snapshot is empty"),
        (["snapshots", "list", "--server-id", "\u0661\u0662"], "ASCII digits only"),
        (["snapshots", "list", "--server-id", "-5"], "a whole number from 1 to"),
        (["snapshots", "list", "--server-id", "0"], "a whole number from 1 to"),
        (["snapshots", "delete", "9" * 5000, "--yes"], "a whole number from 1 to"),
        (["emulator", "--port", "70000"], "a port number from 0 to 65535"),
        (["--endpoint", "http://[::1", "snapshots", "list"], "is not usable"),
    ],
)
def test_odd_input_is_refused_in_one_line_before_any_request(run, api, args, words):
    proc = run(*args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and words in proc.stderr, proc.stderr
    assert api.emu.log == []


def test_a_malformed_token_is_refused_without_showing_it(run, api):
    proc = run("snapshots", "list", token="vps_abc\u00e9def")
    assert proc.returncode == 2 and "vps_abc" not in proc.stderr and "not shown" in _one_line_error(proc)
    assert api.emu.log == []
