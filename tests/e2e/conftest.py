"""Fixtures of the end-to-end suite: the real `pulumi` CLI, a tool folder for PATH, a live emulator.

This suite runs only when asked (`make e2e`, or `pytest tests/e2e` with VPSORG_E2E=1): a missing CLI is a
failure here, never a silent skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _pulumi import TOKEN, CLIUnavailable, Project, project, pulumi_bin  # noqa: E402

from pulumi_vpsorg.emulator import Emulator, EmulatorServer, serve  # noqa: E402


@pytest.fixture(scope="session")
def cli_bin() -> str:
    try:
        return pulumi_bin()
    except CLIUnavailable as e:
        pytest.fail(f"E2E NOT RUN: the Pulumi CLI is not available: {e}", pytrace=False)


@pytest.fixture(scope="session")
def tools(cli_bin: str) -> str:
    """The folder put first on PATH: the CLI's own, with its language host and plugins beside it."""
    return cli_bin


class Live:
    def __init__(self, emu: Emulator, server: EmulatorServer) -> None:
        self.emu = emu
        self.server = server
        self.endpoint = server.endpoint

    def calls(self, method: str | None = None, path: str | None = None) -> list[dict]:
        return self.emu.requests(method, path)


@pytest.fixture
def live() -> Iterator[Live]:
    """An emulator on loopback that accepts only TOKEN; snapshots take 1 s, restores 1 s."""
    emu = Emulator(token=TOKEN, snapshot_seconds=1.0, restore_seconds=1.0, servers=6)
    server = serve(emu)
    yield Live(emu, server)
    server.close()


@pytest.fixture
def make_project(tmp_path, cli_bin: str, tools: str):
    made: list[Project] = []

    def make(
        example: str, *, program: str | None = None, endpoint: str | None = None, token: str | None = TOKEN
    ) -> Project:
        proj = project(example, str(tmp_path), cli_bin, tools, program=program)
        proj.use_api(endpoint, token)
        made.append(proj)
        return proj

    yield make
    for proj in made:
        proj.run("stack", "rm", "--yes", "--force", proj.stack, check=False)
