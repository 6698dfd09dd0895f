"""take_snapshot and delete_snapshot, in-process against the emulator's transport."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest
from _clock import FakeClock
from _waits import joined

from pulumi_vpsorg import Client, SnapshotLimitError, VpsorgError, _locks
from pulumi_vpsorg._clock import MONOTONIC, Clock
from pulumi_vpsorg.budget import JITTER
from pulumi_vpsorg.emulator import Emulator, serve
from pulumi_vpsorg.operations import POST_GRACE, delete_snapshot, find_by_name, take_snapshot

TOKEN = "vps_ops"
VPSORG = os.path.join(os.path.dirname(sys.executable), "vpsorg")


def _setup(seconds: float = 0.1, clock: Clock | None = None):
    """An in-process emulator and a client on one clock: by default one the test controls, so waits take no real
    time; threads that race each other need the real one (a fake clock's waits end at once, so they never overlap)."""
    clock = FakeClock() if clock is None else clock
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, clock=clock)
    return emu, Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), clock=clock)


@pytest.mark.parametrize("lock_folder", ["usable", "unusable"])
def test_two_creates_of_one_name_at_once_make_one_snapshot(lock_folder, monkeypatch):
    """One POST from four threads: by the lock file, and without a usable lock folder by the in-process lock."""
    if lock_folder == "unusable":
        monkeypatch.setattr(_locks, "lock_folder", lambda: None)
    emu, api = _setup(clock=MONOTONIC)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(take_snapshot(api, 12345, "same", wait=False))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    joined(threads)
    assert len(emu.snapshots()) == 1 and len(emu.requests("POST")) == 1
    assert sorted(adopted for _, adopted in results) == [False, True, True, True]


def test_a_failed_snapshot_of_that_name_is_not_adopted():
    emu, api = _setup()
    emu.inject(fail_snapshots=1)
    with pytest.raises(VpsorgError):
        take_snapshot(api, 12345, "n", timeout=5)
    snap, adopted = take_snapshot(api, 12345, "n", timeout=5)
    assert not adopted and snap.is_completed


def test_limit_raised_by_the_api_names_the_snapshots():
    emu, api = _setup()
    for i in range(5):
        take_snapshot(api, 12345, f"s{i}", wait=False)
    with pytest.raises(SnapshotLimitError) as e:  # someone else filled the server after our look
        api.create_snapshot(12345, "late")
    assert "at most 5" in str(e.value)
    with pytest.raises(SnapshotLimitError) as e:
        take_snapshot(api, 12345, "late", wait=False)
    assert all(f"'s{i}'" in str(e.value) for i in range(5)) and len(e.value.existing) == 5


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_post_whose_answer_was_lost_is_never_sent_twice(status):
    emu, api = _setup()
    emu.inject(status=status, count=10, method="POST")
    sleeps: list[float] = []
    with pytest.raises(VpsorgError, match="may or may not have reached VPS.org") as e:
        take_snapshot(api, 12345, "n", wait=False, sleep=sleeps.append)
    assert "It is not sent again now" in str(e.value) and "is adopted" in str(e.value)
    assert len(emu.requests("POST")) == 1 and emu.snapshots() == []
    assert sum(sleeps) <= POST_GRACE


def test_a_lost_post_that_lands_late_is_found_and_is_ours():
    emu, api = _setup(seconds=0)
    emu.inject(status=504, method="POST")
    looks = {"n": 0}

    def sleep(_: float) -> None:  # the gateway gave up, but the snapshot lands while we look
        looks["n"] += 1
        if looks["n"] == 2:
            emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "n"}')

    snap, adopted = take_snapshot(api, 12345, "n", sleep=sleep)
    assert adopted is False and [s["id"] for s in emu.snapshots()] == [snap.id]
    assert len(emu.requests("POST")) == 2  # the 504 and the late landing: we sent one


def test_a_post_refused_with_429_is_sent_again_by_the_client_after_retry_after():
    emu, api = _setup(seconds=0)
    emu.inject(status=429, retry_after=1, method="POST")
    snap, _ = take_snapshot(api, 12345, "n")
    assert [s["id"] for s in emu.snapshots()] == [snap.id]
    assert [r["method"] for r in emu.log][:3] == ["GET", "POST", "POST"]  # one retry loop: the client's
    assert 0.9 <= api.clock.slept[0] <= 1.0 * (1 + JITTER)  # the budget's pause for everyone, Retry-After long


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_post_answered_5xx_is_never_sent_again_only_looked_for(status):
    emu, api = _setup(seconds=0)
    emu.inject(status=status, method="POST")
    sleeps: list[float] = []
    with pytest.raises(VpsorgError, match="may or may not have reached VPS.org"):
        take_snapshot(api, 12345, "n", sleep=sleeps.append)
    assert len(emu.requests("POST")) == 1 and sum(sleeps) <= POST_GRACE


def test_delete_reports_whether_it_deleted():
    emu, api = _setup(seconds=0)
    snap, _ = take_snapshot(api, 12345, "n")
    assert delete_snapshot(api, snap.id, 12345) is True
    assert delete_snapshot(api, snap.id, 12345) is False
    assert delete_snapshot(api, snap.id) is False


def test_find_by_name_takes_the_lowest_usable_id_of_that_server():
    emu, api = _setup(seconds=0)
    take_snapshot(api, 12345, "n")
    emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "n"}')
    snaps = api.list_snapshots(12345)
    assert find_by_name(snaps, "n").id == 801
    assert find_by_name(snaps, "n", server_id=12346) is None


def test_a_duplicate_made_elsewhere_is_reconciled_the_lowest_id_survives():
    emu, api = _setup(seconds=0.2)
    real_create = api.create_snapshot

    def create_after_another_machine(*args, **kwargs):  # their POST lands between our look and our POST
        emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "n"}')
        return real_create(*args, **kwargs)

    api.create_snapshot = create_after_another_machine
    snap, adopted = take_snapshot(api, 12345, "n")
    assert snap.id == 801 and adopted is True and snap.is_completed
    assert [s["id"] for s in emu.snapshots()] == [801]
    assert [r["path"] for r in emu.requests("DELETE")] == ["/api/v1/snapshots/802/"]  # ours, the duplicate


@pytest.mark.parametrize("machines", ["one machine", "two machines", "one machine, endpoint spelt two ways"])
def test_two_processes_creating_one_name_at_once_leave_one_snapshot(machines, tmp_path):
    emu = Emulator(snapshot_seconds=0.5, latency=0.05)
    server = serve(emu)
    env = {**os.environ, "VPSORG_TOKEN": TOKEN}
    try:
        for trial in range(3):
            procs = []
            for who in range(2):
                lock_dir = tmp_path / (f"locks-{who}" if machines == "two machines" else "locks")
                lock_dir.mkdir(mode=0o700, exist_ok=True)
                endpoint = server.endpoint
                if who and "spelt" in machines:
                    endpoint = endpoint.replace("127.0.0.1", "localhost") + "/"
                procs.append(
                    subprocess.Popen(
                        [VPSORG, "snapshots", "create", "--server", "12345", "--name", f"same-{trial}", "--json"],
                        env={**env, "VPSORG_LOCK_DIR": str(lock_dir), "VPSORG_ENDPOINT": endpoint},
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
            outs = [p.communicate(timeout=60) for p in procs]
            assert [p.returncode for p in procs] == [0, 0], outs
            ids = {json.loads(out)["id"] for out, _ in outs}
            left = [s["id"] for s in emu.snapshots() if s["name"] == f"same-{trial}"]
            assert len(ids) == 1 and left == list(ids), (trial, outs, left)
    finally:
        server.close()


@pytest.mark.parametrize("retry_after", [3600, 86400, "Wed, 01 Jan 2099 00:00:00 GMT"])
def test_a_refused_post_with_a_long_retry_after_fails_at_once_and_says_so(retry_after):
    emu, api = _setup()
    emu.inject(status=429, retry_after=retry_after, method="POST")
    sleeps: list[float] = []
    with pytest.raises(VpsorgError, match="refused to take snapshot 'n'.*nothing was made"):
        take_snapshot(api, 12345, "n", sleep=sleeps.append)
    assert sleeps == [] and len(emu.requests("POST")) == 1 and emu.snapshots() == []


def test_wait_timeout_bounds_a_whole_create_whatever_retry_after_says():
    emu = Emulator(token=TOKEN, snapshot_seconds=30)
    api = Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), max_retry_after=120)
    emu.inject(status=503, count=10000, retry_after=50, method="GET")
    started = time.monotonic()
    with pytest.raises(VpsorgError):
        take_snapshot(api, 12345, "n", timeout=1.0)
    assert time.monotonic() - started < 10 and emu.requests("POST") == []  # the 1 s limit, not 50 s retries


def test_a_fleet_shares_its_lists_and_posts_each_snapshot_once():
    emu = Emulator(token=TOKEN, snapshot_seconds=0.6, servers=6)
    api = Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), max_requests_per_second=0)
    names = [(12345 + i % 6, f"fleet-{i}") for i in range(30)]
    results: list[tuple[object, bool]] = []
    threads = [threading.Thread(target=lambda s=s, n=n: results.append(take_snapshot(api, s, n))) for s, n in names]
    for t in threads:
        t.start()
    joined(threads)
    assert len(results) == 30 and sorted(s["name"] for s in emu.snapshots()) == sorted(n for _, n in names)
    posts = emu.requests("POST")
    assert sorted(p["json"]["name"] for p in posts) == sorted(n for _, n in names)  # one POST per snapshot
    gets = emu.requests("GET", "/api/v1/snapshots/")
    own = [g for g in gets if "server_id" in g["query"]]
    # One walk of the account (30 snapshots: 2 pages) serves every wait on the 6 servers; the look-ups before
    # posting share one list; after completion, one list per server checks for duplicates, not one per snapshot.
    assert len(own) <= 6 + 2, own
    assert len(gets) <= 30, len(gets)  # a list per snapshot per tick would be hundreds


def _two_of(emu: Emulator, name: str, server: int = 12345) -> list[int]:
    """Two completed snapshots of one name: what two machines whose creates both timed out leave behind."""
    for _ in range(2):
        emu.handle(
            "POST",
            "/api/v1/snapshots/",
            f"Bearer {TOKEN}",
            b'{"server_id": %d, "name": "%s"}' % (server, name.encode()),
        )
    emu.complete_all()
    return sorted(s["id"] for s in emu.snapshots() if s["name"] == name)


def test_adoption_removes_a_completed_duplicate_left_by_an_earlier_run():
    emu, api = _setup(seconds=0)
    low, high = _two_of(emu, "twice")
    snap, adopted = take_snapshot(api, 12345, "twice")
    assert (snap.id, adopted) == (low, True)
    assert [s["id"] for s in emu.snapshots()] == [low]
    assert [r["path"] for r in emu.requests("DELETE")] == [f"/api/v1/snapshots/{high}/"]


def test_adoption_leaves_a_duplicate_still_in_progress_to_its_maker():
    emu, api = _setup(seconds=0)
    emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "twice"}')
    emu.snapshot_seconds = 60
    emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "twice"}')
    snap, adopted = take_snapshot(api, 12345, "twice", wait=False)
    assert (snap.id, adopted) == (801, True) and emu.requests("DELETE") == []


def test_a_duplicate_whose_delete_fails_is_named_and_removed_by_the_next_run():
    emu, api = _setup(seconds=0)
    low, high = _two_of(emu, "twice")
    emu.inject(status=502, count=api.max_retries + 1, method="DELETE")  # every try of this run's DELETE
    with pytest.raises(VpsorgError) as e:
        take_snapshot(api, 12345, "twice")
    said = str(e.value)
    assert f"Snapshot {high} is a duplicate of snapshot {low}" in said and "the next run deletes it" in said
    assert f"vpsorg snapshots delete {high} --yes" in said and "HTTP 502" in said
    snap, adopted = take_snapshot(api, 12345, "twice")  # the gateway has recovered
    assert (snap.id, adopted) == (low, True) and [s["id"] for s in emu.snapshots()] == [low]
