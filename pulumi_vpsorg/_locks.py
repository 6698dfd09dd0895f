"""The per-name lock that makes look-then-post one step: across threads, and across processes on this machine.

The lock files live in a folder private to the user: ``VPSORG_LOCK_DIR``, else ``pulumi-vpsorg-<uid>`` in the
temporary folder. It is created 0700; a folder that is a symlink, belongs to someone else or is writable by others
is refused with a warning (another user could then hold every lock or plant links), and only the in-process lock
holds. The locks themselves are :mod:`filelock`'s (``flock`` on Unix, ``LockFileEx`` on Windows). A lock is named
by the endpoint in one spelling (:func:`~pulumi_vpsorg.client.endpoint_key`), the server and the snapshot name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import filelock

from . import settings
from ._clock import Clock
from ._deadline import thread_time_left
from .client import Client
from .errors import WaitTimeoutError

log: logging.Logger = logging.getLogger("pulumi_vpsorg")
LOCK_DIR_ENV = settings.LOCK_DIR_ENV
_CLOCK_MARGIN = 0.5  # the wall clock another process read may be a little off ours
_THREAD_LOCKS: defaultdict[tuple[int, int, str], threading.Lock] = defaultdict(threading.Lock)
_WARNED: set[str] = set()


@contextmanager
def name_lock(client: Client, server_id: int, name: str) -> Iterator[float]:
    """Hold the lock of snapshot ``name`` of ``server_id`` at the client's endpoint, within the thread's deadline.

    Yields the oldest start a list may have to judge by: when the lock was last released by any process on this
    machine, or now when there is no usable lock folder.
    """
    with _THREAD_LOCKS[(client.serial, server_id, name)]:
        folder = lock_folder()
        if folder is None:
            yield client.clock()
            return
        key = hashlib.sha256(f"{client.endpoint_key}\0{server_id}\0{name}".encode()).hexdigest()[:32]
        path = os.path.join(folder, key)
        lock = filelock.FileLock(path + ".lock", mode=0o600)
        left = thread_time_left()
        try:
            lock.acquire(timeout=-1 if left is None else max(0.0, left), poll_interval=0.05)
        except filelock.Timeout:
            raise WaitTimeoutError(
                f"Another process on this machine kept taking snapshot {name!r} of server {server_id} until the time "
                "limit ran out; run again once it is done (it adopts that snapshot)."
            ) from None
        try:
            yield _released_at(path + ".released", client.clock)
        finally:
            _record_release(path + ".released")
            lock.release()


def lock_folder() -> str | None:
    """The private lock folder (created if missing), or None with a warning when it is not safe to use."""
    folder = settings.tuning().lock_dir or os.path.join(tempfile.gettempdir(), f"pulumi-vpsorg-{_user()}")
    try:
        with suppress(FileExistsError):
            os.mkdir(folder, 0o700)
        problem = _unsafe(os.lstat(folder))
    except OSError as e:
        problem = f"it cannot be used ({e.strerror or e})"
    if problem is None:
        return folder
    if folder not in _WARNED:
        _WARNED.add(folder)
        log.warning(
            "not using the lock folder %s: %s. Two processes on this machine could then each take a snapshot of the "
            "same name (one is removed when both complete). Set %s to a folder of your own (mode 0700).",
            folder,
            problem,
            LOCK_DIR_ENV,
        )
    return None


def _user() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")


def _unsafe(st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if sys.platform == "win32":  # pragma: no cover - the user's own temporary folder; no owner or mode bits to check
        return None
    if st.st_uid != os.getuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"others may write in it (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _record_release(path: str) -> None:
    """Write when the lock was released (wall clock), for the next holder: atomically, never through a link."""
    temp = f"{path}.{os.getpid()}.{threading.get_ident()}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(repr(time.time()))
        os.replace(temp, path)
    except OSError as e:  # the next holder then judges by a list begun after its own start
        log.debug("could not record the lock's release in %s: %s", path, e)
        with suppress(OSError):
            os.unlink(temp)


def _released_at(path: str, clock: Clock) -> float:
    """When, on ``clock``, the lock was last released by any process (0 when never); unreadable: now."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd) as f:
            text = f.read(64).strip()
    except FileNotFoundError:
        return 0.0
    except OSError:
        return clock()
    try:
        ago = time.time() - float(text)
    except ValueError:
        return clock()
    return clock() - max(0.0, ago) + _CLOCK_MARGIN
