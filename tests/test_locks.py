"""The lock folder is the user's own: another local user can neither plant links in it nor hold its locks."""

from __future__ import annotations

import logging
import os
import stat
import sys

import pytest

from pulumi_vpsorg import Client, _locks
from pulumi_vpsorg.emulator import Emulator
from pulumi_vpsorg.operations import take_snapshot

TOKEN = "vps_locks"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="owner and mode bits are POSIX (Windows: LockFileEx)")


@pytest.fixture
def api():
    emu = Emulator(token=TOKEN, snapshot_seconds=0)
    return emu, Client(TOKEN, "http://127.0.0.1:1/api/v1", transport=emu.transport(), sleep=lambda _: None)


@pytest.fixture(autouse=True)
def _warn_again(monkeypatch):
    monkeypatch.setattr(_locks, "_WARNED", set())


def test_the_default_folder_is_private_to_the_user(tmp_path, monkeypatch, api):
    monkeypatch.delenv(_locks.LOCK_DIR_ENV, raising=False)
    monkeypatch.setattr(_locks.tempfile, "gettempdir", lambda: str(tmp_path))
    emu, client = api
    take_snapshot(client, 12345, "n")
    folder = tmp_path / f"pulumi-vpsorg-{os.getuid()}"
    st = folder.lstat()
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.getuid()
    assert any(p.name.endswith(".released") for p in folder.iterdir())  # the lock was used


def test_a_shared_folder_with_planted_links_is_refused_and_the_victims_file_is_untouched(tmp_path, caplog, api):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # what the old default was: anyone may create entries in it
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in ("a", "b"):  # an attacker cannot know the names, so imagine they can: links everywhere
        (shared / f"{name}.lock").symlink_to(victim)
    os.environ[_locks.LOCK_DIR_ENV] = str(shared)
    try:
        caplog.set_level(logging.WARNING, "pulumi_vpsorg")
        emu, client = api
        take_snapshot(client, 12345, "n")
    finally:
        del os.environ[_locks.LOCK_DIR_ENV]
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in shared.iterdir()) == ["a.lock", "b.lock"]  # nothing written there
    [warning] = [r.getMessage() for r in caplog.records if "lock folder" in r.getMessage()]
    assert "others may write in it (mode 777)" in warning and _locks.LOCK_DIR_ENV in warning
    assert len(emu.snapshots()) == 1  # the snapshot is taken all the same: the in-process lock holds


def test_a_folder_that_is_a_link_is_refused(tmp_path, monkeypatch):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv(_locks.LOCK_DIR_ENV, str(tmp_path / "link"))
    assert _locks.lock_folder() is None


def test_a_folder_of_another_user_is_refused(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(_locks.LOCK_DIR_ENV, str(folder))
    monkeypatch.setattr(_locks.os, "getuid", lambda: os.stat(folder).st_uid + 1)
    caplog.set_level(logging.WARNING, "pulumi_vpsorg")
    assert _locks.lock_folder() is None
    assert "belongs to another user" in caplog.text


def test_a_private_folder_is_used(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(_locks.LOCK_DIR_ENV, str(folder))
    assert _locks.lock_folder() == str(folder)


def test_a_list_read_before_another_process_released_the_lock_never_judges_the_look_up(api):
    """Two processes on one machine (two clients, each with its own kept lists; one lock folder): the second to take
    a name must not judge by a list it read before the first posted that name and released the lock, even a list
    young enough to serve otherwise. Without the release time, it posts a second snapshot."""
    emu, first = api
    second = Client(TOKEN, "http://127.0.0.1:1/api/v1", transport=emu.transport(), sleep=lambda _: None)
    from pulumi_vpsorg import listing

    assert listing.server_snapshots(second, 12345) == []  # the second process's list, kept (a second old at most)
    take_snapshot(first, 12345, "pre-deploy", wait=False)  # the first process posts, then releases the lock
    snap, adopted = take_snapshot(second, 12345, "pre-deploy", wait=False)
    assert adopted and len(emu.requests("POST")) == 1 and len(emu.snapshots()) == 1
