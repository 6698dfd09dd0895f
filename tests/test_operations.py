"""take_snapshot and delete_snapshot, in-process against the emulator's transport."""

from __future__ import annotations

import threading

import pytest

from pulumi_vpsorg import Client, SnapshotLimitError, VpsorgError
from pulumi_vpsorg.emulator import Emulator
from pulumi_vpsorg.operations import delete_snapshot, find_by_name, take_snapshot

TOKEN = "vps_ops"


def _setup(seconds: float = 0.1):
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds)
    return emu, Client(TOKEN, "http://emulator/api/v1", transport=emu.transport(), sleep=lambda _: None)


def test_two_creates_of_one_name_at_once_make_one_snapshot():
    emu, api = _setup()
    results = []
    threads = [threading.Thread(target=lambda: results.append(take_snapshot(api, 12345, "same", wait=False)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
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


def test_persistent_5xx_on_post_gives_up_with_a_clear_message():
    emu, api = _setup()
    emu.inject(status=500, count=10, method="POST")
    with pytest.raises(VpsorgError, match="failed 3 times") as e:
        take_snapshot(api, 12345, "n", wait=False, sleep=lambda _: None)
    assert "No snapshot of that name exists" in str(e.value) and emu.snapshots() == []


def test_delete_reports_whether_it_deleted():
    emu, api = _setup(seconds=0)
    snap, _ = take_snapshot(api, 12345, "n")
    assert delete_snapshot(api, snap.id, 12345) is True
    assert delete_snapshot(api, snap.id, 12345) is False
    assert delete_snapshot(api, snap.id) is False


def test_find_by_name_prefers_the_newest_usable():
    emu, api = _setup(seconds=0)
    take_snapshot(api, 12345, "n")
    emu.handle("POST", "/api/v1/snapshots/", f"Bearer {TOKEN}", b'{"server_id": 12345, "name": "n"}')
    assert find_by_name(api.list_snapshots(12345), "n").id == 802
