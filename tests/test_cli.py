"""The `vpsorg` command line against the emulator: in-process through `main(argv, Environment(...))`, and a few
tests through the real console script where the process is the point (a terminal, the installed entry point)."""

from __future__ import annotations

import io
import json
import os
import pty
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
from _clock import FakeClock
from _consts import TOKEN

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
def clock(api, monkeypatch):
    """One clock, the test's, for the emulator and the command line: waits take no real time."""
    clock = FakeClock(start=time.time())
    monkeypatch.setattr(api.emu, "clock", clock)
    return clock


@pytest.fixture
def run(api, monkeypatch, clock):
    def run(*args: str, token: str | None = TOKEN, stdin: io.StringIO | None = None) -> Ran:
        monkeypatch.setenv("VPSORG_ENDPOINT", api.endpoint)
        if token is None:
            monkeypatch.delenv("VPSORG_TOKEN", raising=False)
        else:
            monkeypatch.setenv("VPSORG_TOKEN", token)
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args), Environment(stdin=stdin or io.StringIO(), stdout=out, stderr=err, clock=clock))
        return Ran(int(code), out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def console(api):
    """The installed `vpsorg` console script, as a subprocess."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
        env.update(VPSORG_ENDPOINT=api.endpoint, VPSORG_TOKEN=TOKEN)
        return subprocess.run(
            [VPSORG, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
        )

    return run


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("vpsorg:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_the_console_script_runs_and_exits_with_the_status(console, api):
    proc = console("snapshots", "create", "--server-id", "12345", "--name", "via-console", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["name"] == "via-console"
    assert console("snapshots", "delete", "801").returncode == ExitStatus.USAGE  # no terminal, no --yes
    assert console("snapshots", "delete", "4242").returncode == ExitStatus.ERROR  # no such snapshot: not asked


def test_help_lists_exit_codes(run):
    proc = run("--help")
    assert proc.returncode == 0
    out = proc.stdout
    assert "exit codes: 0 success, 1 API or operation error (or it does not exist), 2 usage or configuration" in out
    assert "3 timed out (a wait, or --timeout" in out and "4 a restore\nmay have started" in out


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
    assert table[0].split() == ["ID", "SERVER_ID", "SERVER_NAME", "NAME", "STATUS", "SIZE_MB", "CREATED"]
    assert table[1].split()[:5] == ["801", "12345", "web-server-01", "pre-change", "completed"]
    assert all(len(line.split()) == 7 for line in table)  # no spaces inside cells
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
    assert proc.returncode == 0 and "Deleted snapshot 801 'n' of server 12345" in proc.stderr
    assert api.emu.snapshots() == []
    gone = run("snapshots", "delete", "801", "--yes")
    assert gone.returncode == ExitStatus.ERROR and "Snapshot 801 does not exist" in _one_line_error(gone)
    ignored = run("snapshots", "delete", "801", "--yes", "--ignore-not-found")
    assert ignored.returncode == 0 and "nothing to delete (--ignore-not-found)" in ignored.stderr


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
    api.emu.snapshot_seconds = 0.3  # the safety snapshots
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
        assert "Delete snapshot 801 'n' of server 12345 (web-server-01), taken " in proc.stderr
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


# ----- issue 12: each problem a user hit, and each new command --------------------------------------------------

README = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()


def _recipe_line() -> str:
    return next(
        line for line in README.splitlines() if line.startswith("vpsorg snapshots create") and "CI_PIPELINE_ID" in line
    ).split("#")[0]


def test_the_readme_ci_recipe_runs_ten_deploys_in_a_row_without_hitting_the_limit(run, api, monkeypatch):
    api.emu.snapshot_seconds = 0
    for pipeline in range(1, 11):
        monkeypatch.setenv("CI_PIPELINE_ID", str(pipeline))
        words = shlex.split(os.path.expandvars(_recipe_line()))
        proc = run(*words[1:])
        assert proc.returncode == 0, proc.stderr
        names = sorted(s["name"] for s in api.emu.snapshots())
        assert len(names) <= 5 and f"pre-deploy-{pipeline}" in names
    assert sorted(s["name"] for s in api.emu.snapshots()) == [f"pre-deploy-{i}" for i in (10, 6, 7, 8, 9)]


def test_at_the_limit_the_hint_names_cli_flags_not_pulumi_options(run, api):
    api.emu.snapshot_seconds = 0
    for i in range(5):
        run("snapshots", "create", "--server", "12345", "--name", f"keep-{i}")
    proc = run("snapshots", "create", "--server", "12345", "--name", "sixth")
    line = _one_line_error(proc)
    assert proc.returncode == 1 and "--rotate" in line and "snapshots prune" in line
    assert "delete_before_replace" not in line


def test_rotate_never_deletes_outside_its_series_nor_one_in_progress(run, api):
    api.emu.snapshot_seconds = 0
    for i in range(4):
        run("snapshots", "create", "--server", "12345", "--name", f"manual-{i}")
    api.emu.snapshot_seconds = 60
    run("snapshots", "create", "--server", "12345", "--name", "deploy-1", "--no-wait")
    proc = run("snapshots", "create", "--server", "12345", "--name", "deploy-2", "--rotate", "--yes")
    assert proc.returncode == 2 and "only 0 completed one(s) start with 'deploy-'" in _one_line_error(proc)
    assert api.emu.requests("DELETE") == []


def test_an_endpoint_without_api_v1_says_so(run, api):
    proc = run("--endpoint", api.endpoint.removesuffix("/api/v1"), "snapshots", "list")
    line = _one_line_error(proc)
    assert proc.returncode == 1 and "/api/v1" in line and "Check the id" not in line


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly(api, monkeypatch):
    monkeypatch.setenv("VPSORG_TOKEN", TOKEN)
    monkeypatch.setenv("VPSORG_ENDPOINT", api.endpoint)
    err = io.StringIO()
    code = main(["servers", "list"], Environment(stdin=io.StringIO(), stdout=_ClosedPipe(), stderr=err))
    assert code == ExitStatus.BROKEN_PIPE and err.getvalue() == ""


def _interrupt_after(api, args: list[str], request_path: str, sig: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
    env.update(VPSORG_ENDPOINT=api.endpoint, VPSORG_TOKEN=TOKEN)
    proc = subprocess.Popen(
        [VPSORG, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def waiting() -> bool:  # the POST was answered and the command is polling: a GET came after it
        methods = [r["method"] for r in api.emu.log]
        posted = [i for i, r in enumerate(api.emu.log) if r["path"].endswith(request_path) and r["method"] == "POST"]
        return bool(posted) and "GET" in methods[posted[0] + 1 :]

    deadline = time.monotonic() + 20
    while not waiting():  # another process: its requests, in the emulator's log, are the events to wait on
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=20)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_sigterm_during_create_says_it_goes_on_and_rerunning_adopts(api):
    api.emu.snapshot_seconds = 60
    proc = _interrupt_after(
        api, ["snapshots", "create", "--server", "12345", "--name", "n"], "/snapshots/", signal.SIGTERM
    )
    assert proc.returncode == ExitStatus.INTERRUPTED
    line = _one_line_error(proc)
    assert "goes on at VPS.org" in line and "adopts the snapshot by name" in line


def test_ctrl_c_during_a_rollback_says_the_restore_goes_on_and_must_not_be_resent(run, api):
    api.emu.snapshot_seconds = 0
    run("snapshots", "create", "--server", "12345", "--name", "good")
    api.emu.restore_seconds = 60
    proc = _interrupt_after(api, ["rollback", "--server", "12345", "--yes"], "/restore/", signal.SIGINT)
    assert proc.returncode == ExitStatus.INTERRUPTED
    line = _one_line_error(proc)
    assert "was sent and goes on at VPS.org" in line and "Do not send it again" in line


def test_json_on_a_restore_timeout_keeps_the_answer_and_the_server_as_last_seen(run, api):
    api.emu.snapshot_seconds = 0
    run("snapshots", "create", "--server", "12345", "--name", "good")
    api.emu.restore_seconds = 30
    proc = run("snapshots", "restore", "801", "--yes", "--json", "--timeout", "1s")
    assert proc.returncode == ExitStatus.TIMEOUT
    out = json.loads(proc.stdout)
    assert out["timed_out"] is True and out["status"] == "success" and out["server"]["status"] == "restoring"


@pytest.mark.parametrize(
    "args",
    [
        ["snapshots", "restore", "99999"],
        ["snapshots", "delete", "99999"],
        ["snapshots", "get", "99999"],
        ["snapshots", "wait", "99999"],
    ],
)
def test_not_found_is_exit_1_and_is_never_asked_about(run, api, args):
    proc = run(*args, stdin=Terminal("yes\n"))
    assert proc.returncode == ExitStatus.ERROR and "Snapshot 99999 does not exist" in _one_line_error(proc)
    assert "Type 'yes'" not in proc.stderr and [r for r in api.emu.log if r["method"] != "GET"] == []


def test_rollback_of_a_server_that_does_not_exist_says_so(run, api):
    proc = run("rollback", "--server-id", "99999", "--yes")
    assert proc.returncode == 1 and "Server 99999 does not exist" in _one_line_error(proc)


def test_adopting_with_another_description_says_so_and_json_tells_adopted(run, api):
    api.emu.snapshot_seconds = 0
    first = json.loads(
        run("snapshots", "create", "--server", "12345", "--name", "n", "--description", "a", "--json").stdout
    )
    again = run("snapshots", "create", "--server", "12345", "--name", "n", "--description", "b", "--json")
    assert first["adopted"] is False and json.loads(again.stdout)["adopted"] is True
    assert "Its description is 'a', not 'b'" in again.stderr


def test_prefixes_are_not_abbreviations_and_typos_are_named(run, api):
    proc = run("snapshots", "create", "--serv", "12345", "--name", "n")
    assert proc.returncode == 2 and "unknown option --serv (did you mean --server?)" in proc.stderr
    proc = run("snapshots", "list", "--server-idd", "12345")
    assert proc.returncode == 2 and "unknown option --server-idd" in proc.stderr
    assert api.emu.log == []


def test_vpsorg_alone_prints_help_and_nouns_are_consistent(run, api):
    proc = run()
    assert proc.returncode == 0 and "usage: vpsorg" in proc.stdout
    assert run("snapshots").returncode == 0
    for args in (["servers"], ["servers", "list"], ["servers", "ls"], ["snapshots", "ls"]):
        assert run(*args, "--json").returncode == 0, args


def test_the_emulator_takes_accept_token_and_refuses_the_api_token(run):
    proc = run("--token", "abc", "emulator", "--port", "0")
    assert proc.returncode == 2 and "--accept-token" in _one_line_error(proc)


def test_every_screen_has_a_description_examples_and_the_exit_codes(run):
    from pulumi_vpsorg.cli import _parser
    from pulumi_vpsorg.cli._completion import tree

    paths = [p for p in tree(_parser()) if p]
    assert len(paths) >= 15
    for path in paths:
        text = run(*path, "--help").stdout
        assert "examples:" in text and "exit codes:" in text, path
    assert "adopted" in run("snapshots", "create", "--help").stdout


def test_verbose_shows_requests_and_retries_never_the_token(run, api):
    api.emu.inject(status=503, retry_after=0.1, method="GET")
    proc = run("snapshots", "list", "-v")
    assert proc.returncode == 0
    assert "retrying GET snapshots/" in proc.stderr and "GET snapshots/ -> 200" in proc.stderr
    assert TOKEN not in proc.stderr


def test_version_and_quiet_ids_for_scripts(run, api):
    from pulumi_vpsorg import __version__

    assert run("version").stdout.strip() == run("--version").stdout.strip() == f"vpsorg {__version__}"
    api.emu.snapshot_seconds = 0
    ident = run("snapshots", "create", "--server", "web-server-01", "--name", "n", "-q").stdout.strip()
    assert ident == "801"
    assert run("snapshots", "list", "-q").stdout.split() == ["801"]
    assert run("snapshots", "list", "--no-header").stdout.split()[0] == "801"


def test_get_wait_list_filters_and_servers_get(run, api):
    api.emu.snapshot_seconds = 0.5
    run("snapshots", "create", "--server", "12345", "--name", "a", "--no-wait")
    assert json.loads(run("snapshots", "get", "801", "--json").stdout)["status"] == "in_progress"
    waited = json.loads(run("snapshots", "wait", "801", "--json").stdout)
    assert waited["status"] == "completed" and waited["timed_out"] is False
    run("snapshots", "create", "--server", "12346", "--name", "b")
    assert run("snapshots", "list", "--name", "b", "-q").stdout.split() == ["802"]
    assert run("snapshots", "list", "--status", "in_progress", "-q").stdout.split() == []
    assert run("snapshots", "list", "--server", "db-server-01", "-q").stdout.split() == ["802"]
    server = json.loads(run("servers", "get", "db-server-01", "--json").stdout)
    assert server["id"] == 12346
    assert run("servers", "list", "--location", "us-east", "-q").stdout.split() == ["12347", "12348"]
    assert run("servers", "get", "nope").returncode == 1


def test_prune_keeps_the_newest_and_dry_run_deletes_nothing(run, api):
    api.emu.snapshot_seconds = 0
    for i in range(4):
        run("snapshots", "create", "--server", "12345", "--name", f"pre-deploy-{i}")
    run("snapshots", "create", "--server", "12345", "--name", "other")
    dry = run("snapshots", "prune", "--server", "12345", "--keep", "1", "--name-prefix", "pre-deploy-", "--dry-run")
    assert dry.returncode == 0 and "would delete" in dry.stderr and api.emu.requests("DELETE") == []
    proc = run("snapshots", "prune", "--server", "12345", "--keep", "1", "--name-prefix", "pre-deploy-", "--yes", "-q")
    assert proc.stdout.split() == ["801", "802", "803"]
    assert sorted(s["name"] for s in api.emu.snapshots()) == ["other", "pre-deploy-3"]


def test_rollback_dry_run_names_the_snapshot_and_sends_nothing(run, api):
    api.emu.snapshot_seconds = 0
    run("snapshots", "create", "--server", "12345", "--name", "good")
    proc = run("rollback", "--server", "web-server-01", "--dry-run")
    assert proc.returncode == 0 and "would restore snapshot 801 'good'" in proc.stderr
    assert [r for r in api.emu.log if r["path"].endswith("/restore/")] == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(run, shell):
    script = run("completion", shell).stdout
    option = (lambda o: f"-l {o}") if shell == "fish" else (lambda o: f"--{o}")
    assert "prune" in script and option("rotate") in script and option("accept-token") in script


def test_bash_completion_completes_subcommands_and_options(run, tmp_path):
    path = tmp_path / "vpsorg.bash"
    path.write_text(run("completion", "bash").stdout)
    probe = (
        f"source {path}; COMP_WORDS=(vpsorg snapshots ''); COMP_CWORD=2; _vpsorg; echo ${{COMPREPLY[@]}}; "
        "COMP_WORDS=(vpsorg snapshots create --ro); COMP_CWORD=3; _vpsorg; echo ${COMPREPLY[@]}"
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30).stdout.splitlines()
    assert {"create", "prune", "restore", "wait"} <= set(out[0].split()) and out[1].split() == ["--rotate"]


def test_retries_are_never_silent(run, api):
    api.emu.inject(status=503, retry_after=0.1, method="GET")
    proc = run("snapshots", "list")
    assert proc.returncode == 0 and "vpsorg: retrying GET snapshots/ in 0.10s after:" in proc.stderr
    assert " -> 200" not in proc.stderr  # request lines only with -v


def test_the_emulator_logs_requests_with_v():
    proc = subprocess.Popen(
        [VPSORG, "emulator", "--port", "0", "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        endpoint = proc.stdout.readline().strip()
        import httpx

        httpx.get(endpoint + "/servers/", headers={"Authorization": "Bearer vps_x"})
    finally:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert "emulator: GET /api/v1/servers/ -> 200" in err and "vps_x" not in err


# ----- a restore is never sent twice, whatever happened to the answer of the first ------------------------------

_LOST = {
    "504": {"status": 504},
    "503": {"status": 503},
    "500": {"status": 500},
    "an HTML 200": {"status": 200, "text": "<html><title>Gateway</title></html>"},
    "odd JSON": {"status": 200, "body": ["not", "a", "restore"]},
}


@pytest.mark.parametrize("answer", list(_LOST), ids=list(_LOST))
@pytest.mark.parametrize("command", [["snapshots", "restore", "801"], ["rollback", "--server", "12345"]])
def test_a_restore_whose_answer_was_lost_is_not_sent_again_by_a_rerun(run, api, command, answer):
    run("snapshots", "create", "--server", "12345", "--name", "pre-deploy-42")
    api.emu.inject(method="POST", path="/api/v1/snapshots/801/restore/", **_LOST[answer])
    first = run(*command, "--yes", "--json")
    assert first.returncode == ExitStatus.UNCERTAIN, first.stderr
    assert json.loads(first.stdout)["outcome"] == "may_have_started"
    assert "MAY HAVE STARTED" in first.stderr and "--force" in first.stderr
    again = run(*command, "--yes", "--json")
    assert again.returncode == ExitStatus.UNCERTAIN and json.loads(again.stdout)["outcome"] == "not_sent_again"
    assert "not sent again" in again.stderr
    assert len([r for r in api.emu.log if r["path"].endswith("/restore/")]) == 1
    forced = run(*command, "--yes", "--json", "--force")
    assert forced.returncode == 0, forced.stderr
    assert len([r for r in api.emu.log if r["path"].endswith("/restore/")]) == 2


def test_without_a_safety_snapshot_a_restore_is_not_sent_to_a_server_that_is_already_restoring(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "n")
    api.emu.restore_seconds = 60
    api.emu.handle("POST", "/api/v1/snapshots/801/restore/", f"Bearer {TOKEN}", b"")  # an earlier run's, answered
    proc = run("rollback", "--server", "12345", "--yes", "--json", "--no-safety-snapshot")
    assert proc.returncode == ExitStatus.UNCERTAIN and json.loads(proc.stdout)["outcome"] == "already_restoring"
    assert "already restoring" in proc.stderr
    assert len([r for r in api.emu.log if r["path"].endswith("/restore/")]) == 1


def test_every_command_is_bounded_by_its_timeout(run, api):
    api.emu.inject(status=429, retry_after=60, count=1000, method="GET")
    started = time.monotonic()
    proc = run("snapshots", "list", "--timeout", "2s")
    assert time.monotonic() - started < 10 and proc.returncode in (ExitStatus.ERROR, ExitStatus.TIMEOUT)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["--token", "", "snapshots", "list"], "--token is empty"),
        (["--endpoint", " ", "snapshots", "list"], "--endpoint is empty"),
        (["emulator", "--host", ""], "--host: is empty"),
        (["emulator", "--servers", "100000000"], "--servers: must be a whole number from 1 to 10000"),
        (["emulator", "--latency", "-1"], "--latency: must be a number of seconds from 0 to 3600"),
        (["emulator", "--snapshot-seconds", "nan"], "--snapshot-seconds: must be a number of seconds"),
        (["emulator", "--rate-limit", "inf"], "--rate-limit: must be 0 (no limit)"),
    ],
)
def test_bad_input_gets_a_clear_error_before_anything_is_sent(run, api, args, words):
    proc = run(*args)
    assert proc.returncode == ExitStatus.USAGE and words in proc.stderr, proc.stderr
    assert api.emu.log == []


def test_the_limit_hint_names_the_server_and_the_series(run, api):
    for i in range(5):
        run("snapshots", "create", "--server", "12345", "--name", f"pre-deploy-{i}", "--no-wait")
    proc = run("snapshots", "create", "--server", "12345", "--name", "pre-deploy-5")
    assert proc.returncode == 1
    assert "vpsorg snapshots prune --server 12345 --keep 4 --name-prefix pre-deploy- --yes" in proc.stderr


def test_o_json_is_json_and_o_wide_adds_columns(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "n", "--description", "before the upgrade")
    assert json.loads(run("snapshots", "list", "-o", "json").stdout) == json.loads(
        run("snapshots", "list", "--json").stdout
    )
    wide = run("snapshots", "list", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[-1] == "DESCRIPTION" and wide[1].split()[-1] == "before_the_upgrade"
    assert run("servers", "get", "12345", "-o", "wide").stdout.split()[5:7] == ["HOSTNAME", "PLAN"]
    assert json.loads(run("servers", "get", "web-server-01", "-o", "json").stdout)["id"] == 12345


def test_listing_the_snapshots_of_a_server_that_does_not_exist_says_so(run, api):
    proc = run("snapshots", "list", "--server", "99999")
    assert proc.returncode == ExitStatus.ERROR and "Server 99999 does not exist" in _one_line_error(proc)


def test_rollback_names_the_server_once(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "good")
    proc = run("rollback", "--server", "12345", "--dry-run")
    [line] = [x for x in proc.stderr.splitlines() if "would restore" in x]
    assert line.count("12345") == 1, line


# ----- safety snapshots: the way back, and the record that crosses machines ---------------------------------------


def _restore_posts(api) -> list[str]:
    return [r["path"] for r in api.emu.log if r["path"].endswith("/restore/")]


def test_a_rollback_takes_a_completed_safety_snapshot_first_and_undo_brings_the_server_back(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "pre-deploy-1")
    proc = run("rollback", "--server", "12345", "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    safety = out["safety_snapshot"]
    assert safety["name"].startswith("vpsorg-safety-cli-801-") and safety["status"] == "completed"
    [post] = [r for r in api.emu.log if r["path"].endswith("/restore/")]
    [record] = [s for s in api.emu.snapshots() if s["id"] == safety["id"]]
    assert record["ready_at"] <= post["t"] and "rollback --undo --server 12345" in proc.stderr

    undo = run("rollback", "--server", "12345", "--undo", "--yes", "--json")
    assert undo.returncode == 0, undo.stderr
    undone = json.loads(undo.stdout)
    assert undone["snapshot"]["id"] == safety["id"]  # restored the server as it was before the rollback
    assert undone["safety_snapshot"]["id"] not in (safety["id"], 801)  # with a safety snapshot of its own first
    assert _restore_posts(api) == ["/api/v1/snapshots/801/restore/", f"/api/v1/snapshots/{safety['id']}/restore/"]


def test_undo_without_a_safety_snapshot_says_so_and_sends_nothing(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "n")
    proc = run("rollback", "--server", "12345", "--undo", "--yes")
    assert proc.returncode == 1 and "no completed safety snapshot" in _one_line_error(proc)
    assert _restore_posts(api) == []


def test_a_rerun_on_another_machine_finds_the_safety_snapshot_and_sends_nothing(run, api, monkeypatch, tmp_path):
    run("snapshots", "create", "--server", "12345", "--name", "n")
    first = run("snapshots", "restore", "801", "--yes", "--no-wait")
    assert first.returncode == 0, first.stderr
    monkeypatch.setenv("VPSORG_LOCK_DIR", str(tmp_path / "another-machine"))  # no journal of the first run
    again = run("snapshots", "restore", "801", "--yes", "--json")
    assert again.returncode == ExitStatus.UNCERTAIN, again.stderr
    out = json.loads(again.stdout)
    assert out["outcome"] == "not_sent_again" and out["safety_snapshot"]["name"].startswith("vpsorg-safety-cli-801-")
    assert "may have sent the restore" in again.stderr and "--force" in again.stderr
    assert _restore_posts(api) == ["/api/v1/snapshots/801/restore/"]
    api.emu.finish_restores()  # that restore is over
    forced = run("snapshots", "restore", "801", "--yes", "--force", "--no-wait")
    assert forced.returncode == 0, forced.stderr
    assert len(_restore_posts(api)) == 2


def test_someone_elses_restore_under_way_is_refused(run, api):
    run("snapshots", "create", "--server", "12345", "--name", "a")
    run("snapshots", "create", "--server", "12345", "--name", "b")
    api.emu.restore_seconds = 60
    api.emu.handle("POST", "/api/v1/snapshots/801/restore/", f"Bearer {TOKEN}", b"")  # someone else restores a
    proc = run("rollback", "--server", "12345", "--snapshot", "b", "--yes")
    assert proc.returncode == ExitStatus.ERROR and "someone else's restore" in _one_line_error(proc)
    assert _restore_posts(api) == ["/api/v1/snapshots/801/restore/"]


def test_the_cli_and_the_provider_agree_on_absence(run, api):
    """One look-up by id for both: absent from an account list of several pages (not one consistent answer) is not
    "does not exist" for `vpsorg` any more than for the provider's import or `get`, and `--ignore-not-found` does
    not excuse it; absent from a complete list is "does not exist" for both."""
    from pulumi_vpsorg import Client
    from pulumi_vpsorg.errors import NotFoundError
    from pulumi_vpsorg.listing import AbsenceUncertainError
    from pulumi_vpsorg.snapshot import read_step

    for name in ("a", "b", "c"):
        Client(TOKEN, api.endpoint).create_snapshot(12345, name)
    api.emu.page_size = 2
    try:
        for args in (["snapshots", "get", "99999"], ["snapshots", "delete", "99999", "--yes", "--ignore-not-found"]):
            proc = run(*args)
            assert proc.returncode == ExitStatus.ERROR, proc.stderr
            assert "not proof that it is gone" in _one_line_error(proc) and "does not exist" not in proc.stderr
        with pytest.raises(AbsenceUncertainError):
            read_step(Client(TOKEN, api.endpoint), "99999", {})
        assert api.emu.requests("DELETE") == []
    finally:
        api.emu.page_size = 20
    proc = run("snapshots", "get", "99999")
    assert proc.returncode == ExitStatus.ERROR and "Snapshot 99999 does not exist" in _one_line_error(proc)
    with pytest.raises(NotFoundError, match="Snapshot 99999 does not exist"):
        read_step(Client(TOKEN, api.endpoint), "99999", {})
