"""Restores that may have started: what a re-run of ``vpsorg snapshots restore`` or ``rollback`` must not resend.

A restore whose answer was lost is recorded for a day (restores take 5-15 minutes) in the user's private lock
folder (see :mod:`pulumi_vpsorg._locks`), named by the endpoint in one spelling and the snapshot id. A restore
answered as started clears it. Without a usable lock folder nothing is recorded, and the command says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import suppress
from datetime import datetime, timezone

from .._locks import lock_folder
from ..client import endpoint_key

KEEP_SECONDS = 24 * 3600.0


def _path(endpoint: str, snapshot_id: int) -> str | None:
    folder = lock_folder()
    if folder is None:
        return None
    key = hashlib.sha256(f"{endpoint_key(endpoint)}\0restore\0{snapshot_id}".encode()).hexdigest()[:32]
    return os.path.join(folder, f"{key}.restore")


def record(endpoint: str, snapshot_id: int, server_id: int | None) -> bool:
    """Record that a restore of ``snapshot_id`` may have started now; False when it cannot be recorded."""
    path = _path(endpoint, snapshot_id)
    if path is None:
        return False
    entry = {"snapshot_id": snapshot_id, "server_id": server_id, "at": time.time()}
    try:
        temp = f"{path}.{os.getpid()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entry, f)
        os.replace(temp, path)
    except OSError:
        return False
    return True


def may_have_started(endpoint: str, snapshot_id: int) -> str | None:
    """When (UTC, ISO 8601) a restore of ``snapshot_id`` whose answer was lost was sent, within the last day."""
    path = _path(endpoint, snapshot_id)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd) as f:
            at = float(json.load(f)["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if time.time() - at > KEEP_SECONDS:
        return None
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def forget(endpoint: str, snapshot_id: int) -> None:
    """A restore of ``snapshot_id`` was answered as started: no earlier doubt stands."""
    path = _path(endpoint, snapshot_id)
    if path is not None:
        with suppress(OSError):
            os.unlink(path)
