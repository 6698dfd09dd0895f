"""``vpsorg snapshots ...``: list, get, create (with rotation), wait, delete, prune."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..client import Client
from ..errors import WaitTimeoutError
from ..models import Snapshot, snapshot_name_problem
from ..operations import SNAPSHOT_LIMIT, delete_snapshot, take_snapshot
from ..wait import wait_for_snapshot
from ._common import client, confirm, describe, find_server, find_snapshot, find_unless_ignored, server_id
from ._env import Environment, ExitStatus, NothingSent
from ._output import Progress, columns, show, show_one, snapshot_json, snapshot_row


def cmd_list(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        sid = find_server(api, args.server).id if args.server is not None else None  # one that is not there: exit 1
        snaps = api.list_snapshots(server_id=sid)
    snaps = [s for s in snaps if args.name in (None, s.name) and args.status in (None, s.status)]
    show(env, args, snaps, "snapshot")
    return ExitStatus.SUCCESS


def cmd_get(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        snap = find_snapshot(api, args.id)
    wide = args.output == "wide"
    show_one(env, args, snapshot_json(snap), snap.id, (snapshot_row(snap, wide), columns("snapshot", wide)))
    return ExitStatus.SUCCESS


def _progress(env: Environment) -> tuple[Progress, Callable[[Snapshot, float], None]]:
    progress = Progress(env.stderr)

    def on_poll(snap: Snapshot, elapsed: float) -> None:
        progress.update(f"snapshot {snap.id} {snap.name!r}: {snap.status}", snap.status, elapsed)

    return progress, on_poll


def cmd_create(args: argparse.Namespace, env: Environment) -> int:
    problem = snapshot_name_problem(args.name)
    if problem:
        raise NothingSent(f"--{problem}")
    with client(args, env) as api:
        sid = server_id(api, args.server)
        if args.rotate:
            _make_room(api, args, env, sid)
        env.say(f"Taking snapshot {args.name!r} of server {sid}...")
        env.after_interrupt = (
            f"If it was already requested, snapshot {args.name!r} goes on at VPS.org: run the same command again, "
            "it adopts the snapshot by name and keeps waiting (never takes a second one)."
        )
        progress, on_poll = _progress(env)
        try:
            snap, adopted = take_snapshot(
                api, sid, args.name, args.description, wait=args.wait, timeout=args.timeout, on_poll=on_poll
            )
        except WaitTimeoutError as e:
            if args.json and isinstance(e.last_seen, Snapshot):
                env.dump(snapshot_json(e.last_seen, adopted=None, timed_out=True))
            raise
        finally:
            progress.done()
    _say_created(env, args, snap, adopted)
    show_one(env, args, snapshot_json(snap, adopted=adopted, timed_out=False), snap.id)
    return ExitStatus.SUCCESS


def _say_created(env: Environment, args: argparse.Namespace, snap: Snapshot, adopted: bool) -> None:
    if adopted:
        env.say(
            f"Snapshot {snap.id} {snap.name!r} already existed on server {snap.server_id}: adopted, not duplicated."
        )
        if args.description is not None and (snap.description or "") != args.description:
            env.say(
                f"Its description is {snap.description or ''!r}, not {args.description!r}: VPS.org cannot change a "
                "snapshot's description. Use another --name for a new snapshot."
            )
    size = f" ({snap.size_mb} MB)." if snap.size_mb else "."
    env.say(f"Snapshot {snap.id} {snap.name!r} is {snap.status}{size}")


def rotation_prefix(name: str) -> str:
    """The series a name belongs to: up to its last '-' or '_' (``pre-deploy-42`` -> ``pre-deploy-``)."""
    cut = max(name.rfind("-"), name.rfind("_"))
    return name[: cut + 1] if cut > 0 else name


def _make_room(api: Client, args: argparse.Namespace, env: Environment, sid: int) -> None:
    """``--rotate``: delete the oldest completed snapshots of the same series until one more fits."""
    snaps = api.list_snapshots(server_id=sid)
    if any(s.name == args.name for s in snaps) or len(snaps) < SNAPSHOT_LIMIT:
        return
    prefix = args.name_prefix if args.name_prefix is not None else rotation_prefix(args.name)
    doomed = prunable(snaps, prefix, keep=0)[: len(snaps) - SNAPSHOT_LIMIT + 1]
    if len(snaps) - len(doomed) >= SNAPSHOT_LIMIT:
        raise NothingSent(
            f"server {sid} holds {len(snaps)} snapshots and only {len(doomed)} completed one(s) start with "
            f"{prefix!r}: --rotate deletes only those; delete another with `vpsorg snapshots delete ID --yes`"
        )
    _delete_all(api, args, env, doomed, f"To make room on server {sid}, delete")


def prunable(snaps: list[Snapshot], prefix: str, keep: int) -> list[Snapshot]:
    """The completed snapshots named ``prefix...``, oldest first, less the newest ``keep``; never one in progress."""
    done = sorted(
        (s for s in snaps if s.is_completed and s.name.startswith(prefix)), key=lambda s: (s.created_at or "", s.id)
    )
    return done[: max(0, len(done) - keep)]


def _delete_all(api: Client, args: argparse.Namespace, env: Environment, doomed: list[Snapshot], verb: str) -> None:
    if not doomed:
        return
    confirm(args, env, f"{verb} {', '.join(describe(s) for s in doomed)}? This cannot be undone.")
    for snap in doomed:
        env.after_interrupt = "Some of the snapshots may be deleted already: `vpsorg snapshots list` shows the rest."
        delete_snapshot(api, snap.id, snap.server_id, timeout=args.timeout)
        env.say(f"Deleted {describe(snap)}.")


def cmd_prune(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        sid = server_id(api, args.server)
        doomed = prunable(api.list_snapshots(server_id=sid), args.name_prefix or "", args.keep)
        if args.dry_run or not doomed:
            what = "would delete" if doomed else "has nothing to delete"
            env.say(
                f"Prune of server {sid} {what}" + (": " + ", ".join(describe(s) for s in doomed) if doomed else ".")
            )
        else:
            _delete_all(api, args, env, doomed, "Delete")
    if args.json or args.quiet:
        show(env, args, doomed, "snapshot")
    return ExitStatus.SUCCESS


def cmd_wait(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        snap = find_snapshot(api, args.id)
        env.after_interrupt = f"Snapshot {snap.id} goes on at VPS.org: `vpsorg snapshots wait {snap.id}` resumes."
        progress, on_poll = _progress(env)
        try:
            snap = wait_for_snapshot(api, snap, timeout=args.timeout, on_poll=on_poll)
        except WaitTimeoutError as e:
            if args.json and isinstance(e.last_seen, Snapshot):
                env.dump(snapshot_json(e.last_seen, timed_out=True))
            raise
        finally:
            progress.done()
    env.say(f"Snapshot {snap.id} {snap.name!r} is {snap.status}.")
    show_one(env, args, snapshot_json(snap, timed_out=False), snap.id)
    return ExitStatus.SUCCESS


def cmd_delete(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        snap = find_unless_ignored(api, args, env, "nothing to delete")
        if snap is None:
            return ExitStatus.SUCCESS
        confirm(args, env, f"Delete {describe(snap)}? This cannot be undone.")
        delete_snapshot(api, snap.id, snap.server_id, timeout=args.timeout)  # gone meanwhile counts as deleted
    env.say(f"Deleted {describe(snap)}.")
    return ExitStatus.SUCCESS
