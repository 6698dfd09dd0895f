from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from _clock import ScaledClock
from _consts import CLOCK_SCALE, TOKEN
from _engine import RESTORE_TYPE, SERIES_TYPE, SNAPSHOT_TYPE, ProviderHost, run_program

from pulumi_vpsorg import Snapshot, SnapshotRestore, SnapshotSeries, budget
from pulumi_vpsorg.emulator import Emulator, EmulatorServer, serve

# The end-to-end suite needs the real `pulumi` CLI: `make e2e` runs it (VPSORG_E2E=1), `make test` never does.
collect_ignore = [] if os.environ.get("VPSORG_E2E") else ["e2e"]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never pick up a developer's real VPS.org settings, and each starts with requests unpaced and no
    budget kept from an earlier test (tests/test_budget.py and the end-to-end suite cover the default pacing), and
    with a lock folder of its own (no restore recorded by another test).
    """
    locks = tmp_path_factory.mktemp("locks")
    locks.chmod(0o700)
    monkeypatch.setenv("VPSORG_LOCK_DIR", str(locks))
    monkeypatch.delenv("VPSORG_TOKEN", raising=False)
    monkeypatch.delenv("VPSORG_ENDPOINT", raising=False)
    monkeypatch.setenv("VPSORG_MAX_RPS", "0")
    monkeypatch.setattr(budget, "_BUDGETS", {})


class Running:
    def __init__(self, emulator: Emulator, server: EmulatorServer) -> None:
        self.emu = emulator
        self.server = server
        self.endpoint = server.endpoint


@pytest.fixture(scope="session")
def _shared_api() -> Iterator[Running]:
    emulator = Emulator(token=TOKEN, snapshot_seconds=0.3, restore_seconds=0.3)
    server = serve(emulator)
    yield Running(emulator, server)
    server.close()


@pytest.fixture
def api(_shared_api: Running) -> Running:
    """A fast emulator on real HTTP (snapshots take 0.3 s, restores 0.3 s), accepting only TOKEN; fresh each test."""
    _shared_api.emu.reset(snapshot_seconds=0.3, restore_seconds=0.3)
    return _shared_api


@pytest.fixture(scope="session")
def provider_values() -> dict[str, str]:
    """The ``__provider`` values that a real program builds, by resource type."""

    def program() -> None:
        Snapshot("s", server_id=12345, name="n")
        SnapshotRestore("r", snapshot_id=801)
        SnapshotSeries("series", server_id=12345, name_prefix="app", keep=2)

    recorder = run_program(program)
    return {r.typ: r.inputs["__provider"] for r in recorder.resources}


@pytest.fixture(scope="session")
def _shared_host(_shared_api: Running) -> Iterator[ProviderHost]:
    # Every test starts from a fresh emulator, so the host must not serve a read from a list of an earlier test.
    h = ProviderHost({"VPSORG_READ_MAX_AGE": "0", "VPSORG_MAX_RPS": "0"}, clock_scale=CLOCK_SCALE)
    h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": _shared_api.endpoint})
    yield h
    h.close()


@pytest.fixture
def _scaled_api(api: Running, monkeypatch: pytest.MonkeyPatch) -> Running:
    """The emulator on the provider hosts' clock (its times are wall-clock times, run as fast)."""
    monkeypatch.setattr(api.emu, "clock", ScaledClock(CLOCK_SCALE, now=time.time))
    return api


@pytest.fixture
def host(_scaled_api: Running, _shared_host: ProviderHost) -> ProviderHost:
    """The provider host, configured as a stack with `vpsorg:token` and `vpsorg:endpoint` would configure it.

    One host serves the whole session, as one serves a whole deployment; the emulator behind it is fresh per test.
    Both are on a clock ten times as fast as real time (``CLOCK_SCALE``).
    """
    return _shared_host


@pytest.fixture
def own_host(_scaled_api: Running) -> Iterator[ProviderHost]:
    """A provider host of this test's own, for tests whose 429s would slow the shared host's request budget (it
    is process-wide, as in a real deployment) for the tests after them.
    """
    h = ProviderHost({"VPSORG_READ_MAX_AGE": "0", "VPSORG_MAX_RPS": "0"}, clock_scale=CLOCK_SCALE)
    h.configure({"vpsorg:token": TOKEN, "vpsorg:endpoint": _scaled_api.endpoint})
    yield h
    h.close()


@pytest.fixture
def snap_props(provider_values: dict[str, str]):
    def make(**props: Any) -> dict[str, Any]:
        return {"__provider": provider_values[SNAPSHOT_TYPE], **props}

    return make


@pytest.fixture
def series_props(provider_values: dict[str, str]):
    """A SnapshotSeries's properties as its constructor registers them (the declaring stack included)."""

    def make(**props: Any) -> dict[str, Any]:
        return {"__provider": provider_values[SERIES_TYPE], "stack": "organization/proj/dev", **props}

    return make


@pytest.fixture
def restore_props(provider_values: dict[str, str]):
    """A SnapshotRestore's properties as its constructor registers them (its project/stack/name included)."""

    def make(**props: Any) -> dict[str, Any]:
        return {"__provider": provider_values[RESTORE_TYPE], "resource_path": "proj/dev/rollback", **props}

    return make
