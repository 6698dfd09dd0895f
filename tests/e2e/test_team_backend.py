"""A team's setup under the real engine: state in a PostgreSQL DIY backend (`pulumi login postgres://...`, CLI 3.176
and later), two "machines" (each its own PULUMI_HOME and lock folder) running two stacks of one project on the same
servers at once. No duplicate snapshot stays (one that both machines posted is reconciled); each stack's snapshots
are its own; destroying one stack leaves the other's, including the one they share by name (taken by one, adopted
by the other: `managed_by`)."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator

import pytest
from _pulumi import PASSPHRASE, TOKEN, VENV, Project, _pin_virtualenv

PG_BIN = max(glob.glob("/usr/lib/postgresql/*/bin"), default="/usr/lib/postgresql/(none)/bin")  # Debian's layout
PROGRAM = textwrap.dedent(
    """
    import pulumi
    from pulumi_vpsorg import Snapshot

    stack = pulumi.get_stack()
    for server in (12345, 12346):
        Snapshot(f"own-{server}", server_id=server, name=f"{stack}-before-upgrade")
    Snapshot("shared", server_id=12345, name="nightly")  # the same name in both stacks: one snapshot
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def postgres() -> Iterator[str]:
    """A PostgreSQL server on loopback (Debian's, started by hand as its own user, in a folder that user can reach),
    and a database for state."""
    if not os.path.exists(os.path.join(PG_BIN, "initdb")):
        pytest.fail(f"E2E NOT RUN: PostgreSQL is not installed ({PG_BIN}/initdb): .ci/run installs it", pytrace=False)
    data = pathlib.Path(tempfile.mkdtemp(prefix="vpsorg-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*as_postgres, f"{PG_BIN}/initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [
            *as_postgres,
            f"{PG_BIN}/pg_ctl",
            "-D",
            str(data / "db"),
            "-o",
            options,
            "-w",
            "start",
            "-l",
            str(data / "log"),
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "create database state"],
            check=True,
            capture_output=True,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/state?sslmode=disable"
    finally:
        subprocess.run(
            [*as_postgres, f"{PG_BIN}/pg_ctl", "-D", str(data / "db"), "-m", "fast", "stop"], capture_output=True
        )


def _machine(name: str, stack: str, root, tools: str, backend: str, endpoint: str) -> Project:
    """A checkout of the project on a machine of its own: its PULUMI_HOME, its lock folder, the team's backend."""
    dest = root / name / "project"
    dest.mkdir(parents=True)
    (dest / "__main__.py").write_text(PROGRAM)
    (dest / "Pulumi.yaml").write_text("name: team\nruntime: python\n")
    _pin_virtualenv(str(dest / "Pulumi.yaml"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VPSORG_", "PULUMI_"))}
    env.update(
        PATH=os.pathsep.join([tools, os.path.join(VENV, "bin"), env.get("PATH", "")]),
        PULUMI_HOME=str(root / name / ".pulumi"),
        PULUMI_BACKEND_URL=backend,
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        VPSORG_LOCK_DIR=str(root / name / "locks"),
    )
    proj = Project(str(dest), env, stack)
    proj.run("stack", "init", stack)
    proj.use_api(endpoint)
    return proj


def _nightly(proj: Project) -> dict:
    [found] = [r for r in proj.resources(":Snapshot") if r["outputs"]["name"] == "nightly"]
    return found


def _names(live, server_id: int) -> list[str]:
    return sorted(s["name"] for s in live.emu.snapshots() if s["server"]["id"] == server_id)


def test_two_machines_two_stacks_one_postgres_backend(postgres, tmp_path, tools, live):
    a = _machine("machine-a", "team-a", tmp_path, tools, postgres, live.endpoint)
    b = _machine("machine-b", "team-b", tmp_path, tools, postgres, live.endpoint)
    ups = [
        subprocess.Popen(
            ["pulumi", "up", "--yes", "--skip-preview"],
            cwd=p.dir,
            env=p.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for p in (a, b)
    ]
    deadline = time.monotonic() + 300
    outputs = [proc.communicate(timeout=max(1.0, deadline - time.monotonic()))[0] for proc in ups]
    assert [proc.returncode for proc in ups] == [0, 0], outputs
    assert _names(live, 12345) == ["nightly", "team-a-before-upgrade", "team-b-before-upgrade"]
    assert _names(live, 12346) == ["team-a-before-upgrade", "team-b-before-upgrade"]
    # No duplicate stays. The machines do not share a lock folder, so both may post `nightly`; then, once complete,
    # the lowest id survives and the other machine deletes the one it made and adopts the survivor (docs/guarantees.md).
    extra = len(live.calls("POST", "/api/v1/snapshots/")) - 5
    assert extra in (0, 1) and len(live.calls("DELETE")) == extra
    managed_by = {p.stack: _nightly(p)["outputs"].get("managed_by") for p in (a, b)}
    [adopter] = [p for p in (a, b) if managed_by[p.stack]]  # one took it, the other adopted it from that stack
    [taker] = [p for p in (a, b) if p is not adopter]
    assert managed_by[adopter.stack].endswith(f"/team/{taker.stack}") and managed_by[taker.stack] is None
    adopter.run("destroy", "--yes")
    assert "nightly" in _names(live, 12345)  # the stack that took it still holds it
    assert f"{adopter.stack}-before-upgrade" not in _names(live, 12345) + _names(live, 12346)
    assert f"{taker.stack}-before-upgrade" in _names(live, 12345) and f"{taker.stack}-before-upgrade" in _names(
        live, 12346
    )
    taker.run("destroy", "--yes")
    assert _names(live, 12345) == _names(live, 12346) == []
    listed = a.run("stack", "ls", "--json").stdout  # both stacks' state is in the one backend
    assert "team-a" in listed and "team-b" in listed and TOKEN not in listed
