"""Shared waiting: durations, the poll schedule, one list call per server per tick, and what a wait raises."""

from __future__ import annotations

import threading

import pytest
from _waits import joined

from pulumi_vpsorg import Client, SnapshotFailedError, WaitTimeoutError
from pulumi_vpsorg.emulator import Emulator
from pulumi_vpsorg.listing import server_snapshots
from pulumi_vpsorg.models import Snapshot
from pulumi_vpsorg.wait import (
    default_poll_interval,
    parse_duration,
    wait_for_restore,
    wait_for_snapshot,
)

TOKEN = "vps_wait"


@pytest.mark.parametrize(
    "value, seconds",
    [
        (90, 90.0),
        (2.5, 2.5),
        ("45", 45.0),
        ("90s", 90.0),
        ("20m", 1200.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        (" 2M ", 120.0),
    ],
)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "10x", "m5", "1h-5m", 0, -1, True, "25h", None, [1]])
def test_parse_duration_rejects(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def _polls(seconds: float) -> tuple[int, float]:
    """Polls made by a wait of ``seconds`` under the default schedule, and the longest gap before its end."""
    t, n, gap = default_poll_interval(0), 1, default_poll_interval(0)
    while t < seconds:
        gap = default_poll_interval(t)
        t, n = t + gap, n + 1
    return n, gap


def test_schedule_sees_quick_completions_within_a_second_and_backs_off_to_a_cap():
    assert default_poll_interval(0) == 0.5 and all(default_poll_interval(t / 10) <= 1.0 for t in range(50))
    assert all(default_poll_interval(t) <= max(1.0, 0.2 * t) for t in range(3600))  # seen within 20% of its time
    assert default_poll_interval(300) == 60.0 and default_poll_interval(10_000) == 60.0


@pytest.mark.parametrize("minutes, at_most", [(1, 20), (3, 26), (5, 28), (10, 33)])
def test_schedule_costs_few_polls_for_real_durations(minutes, at_most):
    polls, gap = _polls(minutes * 60)
    assert polls <= at_most and gap <= 0.2 * minutes * 60


def _setup(seconds: float = 0.6):
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, restore_seconds=seconds)
    return emu, Client(TOKEN, "http://emulator/api/v1", transport=emu.transport())


def _wait_all(api: Client, snaps: list[Snapshot]) -> list[Snapshot]:
    done: list[Snapshot] = []
    threads = [
        threading.Thread(
            target=lambda s=s: done.append(wait_for_snapshot(api, s, timeout=10, poll_interval=lambda _: 0.1))
        )
        for s in snaps
    ]
    for t in threads:
        t.start()
    joined(threads)
    return done


def test_waiters_on_one_server_share_each_poll():
    emu, api = _setup()
    snaps = [api.create_snapshot(12345, f"s{i}") for i in range(4)]
    emu.log.clear()
    done = _wait_all(api, snaps)
    assert len(done) == 4 and all(s.is_completed for s in done)
    polls = emu.requests("GET", "/api/v1/snapshots/")
    assert all(p["query"] == {"server_id": "12345"} for p in polls)
    assert len(polls) <= 10, len(polls)  # ~0.6 s / 0.1 s ticks, not 4 waiters x ticks


def test_waiters_on_several_servers_share_one_walk_of_the_account():
    emu, api = _setup()
    snaps = [api.create_snapshot(12345 + i % 2, f"s{i}") for i in range(8)]
    emu.log.clear()
    done = _wait_all(api, snaps)
    assert len(done) == 8 and all(s.is_completed for s in done)
    polls = emu.requests("GET", "/api/v1/snapshots/")
    own = [p for p in polls if p["query"]]  # the first waiter's first poll, before the others had joined
    assert len(own) <= 2 and len(polls) <= 11, polls  # one page holds all 8: a walk is one call for both servers


def test_timeout_carries_the_last_seen_snapshot():
    emu, api = _setup(seconds=5)
    snap = api.create_snapshot(12345, "slow")
    with pytest.raises(WaitTimeoutError) as e:
        wait_for_snapshot(api, snap, timeout=0.3, poll_interval=lambda _: 0.05)
    assert e.value.last_seen.id == snap.id and e.value.last_seen.status == "in_progress"
    assert "still being created" in str(e.value)


def test_failure_carries_the_failed_snapshot():
    emu, api = _setup(seconds=0.1)
    emu.inject(fail_snapshots=1)
    snap = api.create_snapshot(12345, "doomed")
    with pytest.raises(SnapshotFailedError) as e:
        wait_for_snapshot(api, snap, timeout=5, poll_interval=lambda _: 0.05)
    assert e.value.snapshot.status == "failed"


def test_transient_errors_are_waited_out():
    emu, api = _setup(seconds=0.2)
    api.max_retries = 0
    snap = api.create_snapshot(12345, "n")
    emu.inject(status=503, count=3, method="GET")
    assert wait_for_snapshot(api, snap, timeout=5, poll_interval=lambda _: 0.05).is_completed


def test_restore_wait_and_progress():
    emu, api = _setup(seconds=0.3)
    snap = wait_for_snapshot(api, api.create_snapshot(12345, "n"), timeout=5)
    api.restore_snapshot(snap.id)
    seen: list[str] = []
    server = wait_for_restore(
        api, 12345, timeout=5, poll_interval=lambda _: 0.05, on_poll=lambda s, _: seen.append(s.status)
    )
    assert server.status == "active" and seen[0] == "restoring"


def test_shared_list_batches_concurrent_reads():
    emu, api = _setup()
    for i in range(4):
        api.create_snapshot(12345, f"s{i}")
    emu.log.clear()
    out: list[int] = []
    threads = [threading.Thread(target=lambda: out.append(len(server_snapshots(api, 12345)))) for _ in range(10)]
    for t in threads:
        t.start()
    joined(threads)
    assert out == [4] * 10 and len(emu.requests("GET")) <= 2


def test_an_interrupted_poll_leaves_no_waiter_hanging():
    emu, api = _setup(seconds=0.2)
    snap = api.create_snapshot(12345, "n")
    real = api.snapshot_listing
    calls = {"n": 0}

    def interrupted(server_id=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return real(server_id)

    api.snapshot_listing = interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        wait_for_snapshot(api, snap, timeout=5, poll_interval=lambda _: 0.05)
    assert wait_for_snapshot(api, snap, timeout=2, poll_interval=lambda _: 0.05).is_completed
