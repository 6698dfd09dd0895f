"""``vpsorg snapshots restore`` and ``vpsorg rollback``: a safety snapshot, one restore request, never sent
twice, then a wait.

Never twice: by default a safety snapshot of the server is taken first (:mod:`pulumi_vpsorg.safety`), and a re-run
on any machine that finds one taken for the same snapshot within a day sends nothing (exit 4) unless ``--force``.
Without it (``--no-safety-snapshot``) a server already ``restoring`` gets nothing. Either way a restore whose
answer was lost is recorded on this machine (see :mod:`._journal`) and reported as "may have started" (exit 4).
``rollback --undo`` restores the newest safety snapshot, with a safety snapshot of its own first.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..client import Client
from ..errors import VpsorgError, WaitTimeoutError
from ..models import Server, Snapshot
from ..operations import RestoreOutcome, restore_once
from ..safety import (
    Restore,
    command_safety_name,
    is_safety_snapshot,
    newest_safety_snapshot,
    recent_command_record,
    restore_with_safety_snapshot,
)
from ..wait import wait_for_restore
from . import _journal as journal
from ._common import client, confirm, describe, find_server, find_unless_ignored
from ._env import Environment, ExitStatus, NothingSent
from ._output import Progress


def pick_rollback_snapshot(snapshots: list[Snapshot], wanted: str | None) -> Snapshot:
    """The snapshot a rollback restores: ``wanted`` by id or name, else the newest completed one that is not a safety
    snapshot (those are for ``--undo``)."""
    candidates = [s for s in snapshots if not is_safety_snapshot(s)]
    if wanted:
        candidates = [s for s in snapshots if str(s.id) == wanted or s.name == wanted]
        if not candidates:
            raise VpsorgError(f"No snapshot {wanted!r} on this server: `vpsorg snapshots list` shows them.")
    usable = [s for s in candidates if s.is_completed]
    if not usable:
        if wanted:
            raise VpsorgError(
                f"Snapshot {wanted!r} is {candidates[-1].status}; only a completed snapshot can be restored."
            )
        raise VpsorgError("This server has no completed snapshot to roll back to.")
    return max(usable, key=lambda s: (s.created_at or "", s.id))


def cmd_restore(args: argparse.Namespace, env: Environment) -> int:
    with client(args, env) as api:
        snap = find_unless_ignored(api, args, env, "nothing restored")
        return _restore(args, env, api, snap) if snap else ExitStatus.SUCCESS


def cmd_rollback(args: argparse.Namespace, env: Environment) -> int:
    if args.snapshot is not None and not args.snapshot.strip():
        raise NothingSent(
            "--snapshot is empty (an unset variable?): name the snapshot by name or id, or leave out "
            "--snapshot to restore the newest completed one; nothing was sent"
        )
    with client(args, env) as api:
        server = find_server(api, args.server)
        snaps = api.list_snapshots(server_id=server.id)
        try:
            snap = _undo_target(snaps) if args.undo else pick_rollback_snapshot(snaps, args.snapshot)
        except VpsorgError as e:
            raise VpsorgError(f"Server {server.id} ({server.name}): {e}") from None
        if args.dry_run:
            env.say(
                f"Rollback of server {server.id} ({server.name}) would restore {describe(snap, server=False)}; "
                "nothing sent."
            )
            if args.json:
                env.dump({"dry_run": True, "snapshot": snap.model_dump(mode="json", exclude_unset=True)})
            return ExitStatus.SUCCESS
        doing = "Undoing the last restore of" if args.undo else "Rolling back"
        env.say(f"{doing} server {server.id} ({server.name}): restoring {describe(snap, server=False)}.")
        return _restore(args, env, api, snap)


def _undo_target(snaps: list[Snapshot]) -> Snapshot:
    found = newest_safety_snapshot(snaps)
    if found is None:
        raise VpsorgError(
            "no completed safety snapshot to undo with (one is taken before each restore unless "
            "--no-safety-snapshot was given): `vpsorg snapshots list --server ID` shows what there is."
        )
    return found


def _restore(args: argparse.Namespace, env: Environment, api: Client, snap: Snapshot) -> int:
    earlier = None if args.force else journal.may_have_started(api.endpoint, snap.id)
    if earlier is not None:
        return _not_again(args, env, snap, earlier)
    after = "A safety snapshot of it is taken first." if args.safety_snapshot else "It cannot be undone."
    confirm(args, env, f"Restore {describe(snap)}? This stops the server and overwrites ALL its data. {after}")
    if not args.safety_snapshot:
        outcome = restore_once(api, snap.id, snap.server_id)  # one request at most, never retried
        if outcome.already_restoring:
            return _already_restoring(args, env, snap)
        return _sent(args, env, api, snap, outcome, None)
    done = _with_safety_snapshot(args, env, api, snap)
    if done.outcome is None:
        return _earlier_run(args, env, snap, done)
    return _sent(args, env, api, snap, done.outcome, done.safety)


def _with_safety_snapshot(args: argparse.Namespace, env: Environment, api: Client, snap: Snapshot) -> Restore:
    progress = Progress(env.stderr)

    def on_poll(s: Snapshot, t: float) -> None:
        progress.update(f"safety snapshot {s.id} of server {s.server_id}: {s.status}", s.status, t)

    env.after_interrupt = (
        f"A safety snapshot of server {snap.server_id} is being taken; the restore of snapshot {snap.id} was not "
        "sent. Run the same command again: it waits for that safety snapshot, then restores."
    )
    try:
        return restore_with_safety_snapshot(
            api,
            snap.id,
            name=command_safety_name(snap.id),
            earlier=(lambda _: None) if args.force else recent_command_record(snap.id),
            description=f"Safety snapshot taken by vpsorg before restoring snapshot {snap.id} {snap.name!r}: "
            "restore it to undo that restore (`vpsorg rollback --undo`).",
            on_poll=on_poll,
        )
    finally:
        progress.done()


def _earlier_run(args: argparse.Namespace, env: Environment, snap: Snapshot, done: Restore) -> int:
    said = done.earlier_run_message(snap.id, _FORCE_HINT)
    assert done.safety is not None
    return _uncertain(
        args,
        env,
        snap,
        said[0].lower() + said[1:],
        {"outcome": "not_sent_again", "safety_snapshot": done.safety.model_dump(mode="json", exclude_unset=True)},
    )


def _sent(
    args: argparse.Namespace,
    env: Environment,
    api: Client,
    snap: Snapshot,
    outcome: RestoreOutcome,
    safety: Snapshot | None,
) -> int:
    env.after_interrupt = (
        f"The restore of snapshot {snap.id} onto server {snap.server_id} was sent and goes on at VPS.org. Do not "
        f"send it again: `vpsorg servers get {snap.server_id}` shows when the server is no longer restoring."
    )
    if outcome.doubt is not None or outcome.response is None:
        return _maybe_started(args, env, api, snap, outcome.doubt, safety)
    journal.forget(api.endpoint, snap.id)
    response = outcome.response
    env.say(response.message or "Restore started.")
    out: dict[str, Any] = {"outcome": "started", **response.model_dump(mode="json", exclude_unset=True)}
    if safety is not None:
        out["safety_snapshot"] = safety.model_dump(mode="json", exclude_unset=True)
        env.say(
            f"Safety snapshot {safety.id} {safety.name!r} holds server {safety.server_id} as it was: "
            f"`vpsorg rollback --undo --server {safety.server_id}` brings it back."
        )
    ref = response.server
    if args.wait and ref is not None:
        out["server"] = _wait(args, env, api, ref.id, out)
        env.say(f"Server {ref.id} {ref.name or ''} is {out['server']['status']}: restore finished.")
    if args.json:
        env.dump({**out, "timed_out": False})
    return ExitStatus.SUCCESS


def _maybe_started(
    args: argparse.Namespace,
    env: Environment,
    api: Client,
    snap: Snapshot,
    doubt: Exception | None,
    safety: Snapshot | None,
) -> int:
    """The answer was lost: the restore may be running. Recorded (by the safety snapshot at VPS.org, and on this
    machine), so that a re-run does not send it again."""
    recorded = journal.record(api.endpoint, snap.id, snap.server_id) or safety is not None
    said = (
        f"the restore of snapshot {snap.id} onto server {snap.server_id} MAY HAVE STARTED: its answer was lost "
        f"({doubt}). It is not sent again{'' if recorded else ' (but could not be recorded for a re-run)'}. Check "
        f"with `vpsorg servers get {snap.server_id}` (restoring, then active again once done). {_FORCE_HINT}"
    )
    record: dict[str, Any] = {"outcome": "may_have_started", "error": str(doubt)}
    if safety is not None:
        record["safety_snapshot"] = safety.model_dump(mode="json", exclude_unset=True)
    return _uncertain(args, env, snap, said, record)


def _already_restoring(args: argparse.Namespace, env: Environment, snap: Snapshot) -> int:
    said = (
        f"server {snap.server_id} is already restoring (an earlier restore, perhaps one whose answer was lost, is "
        f"under way), so the restore of snapshot {snap.id} was not sent. Run again once the server is active to "
        "restore once more."
    )
    return _uncertain(args, env, snap, said, {"outcome": "already_restoring"})


def _not_again(args: argparse.Namespace, env: Environment, snap: Snapshot, when: str) -> int:
    said = (
        f"a restore of snapshot {snap.id} onto server {snap.server_id} may have started at {when} (its answer was "
        f"lost), so it is not sent again. Check with `vpsorg servers get {snap.server_id}`. {_FORCE_HINT}"
    )
    return _uncertain(args, env, snap, said, {"outcome": "not_sent_again", "earlier_request_at": when})


_FORCE_HINT = "To restore once more all the same, run the same command with --force."


def _uncertain(args: argparse.Namespace, env: Environment, snap: Snapshot, said: str, record: dict[str, Any]) -> int:
    """A restore that may or may not be under way: one line on stderr, the ``--json`` record, exit 4."""
    env.say(f"vpsorg: {said}")
    if args.json:
        env.dump(
            {
                "snapshot": snap.model_dump(mode="json", exclude_unset=True),
                "server": {"id": snap.server_id},
                "error": None,
                "timed_out": False,
                **record,
            }
        )
    return ExitStatus.UNCERTAIN


def _wait(args: argparse.Namespace, env: Environment, api: Client, sid: int, out: dict[str, Any]) -> dict[str, Any]:
    progress = Progress(env.stderr)

    def on_poll(s: Server | None, t: float) -> None:
        status = (s.status or "unknown") if s else "unknown"
        progress.update(f"server {sid}: {status}", status, t)

    try:
        server = wait_for_restore(api, sid, timeout=args.timeout, on_poll=on_poll)
    except WaitTimeoutError as e:
        if args.json:  # a script keeps the restore answer and the server as last seen
            last = e.last_seen.model_dump(mode="json", exclude_unset=True) if e.last_seen else None
            env.dump({**out, "server": last or out.get("server"), "timed_out": True})
        raise WaitTimeoutError(f"{e} The restore goes on at VPS.org; it is not sent again.", e.last_seen) from None
    finally:
        progress.done()
    return {"id": server.id, "name": server.name, "status": server.status}
