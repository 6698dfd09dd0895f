"""The ``vpsorg`` command line: snapshots, scripted rollbacks and the local emulator.

Built on the same client and wait code as the Pulumi resources. Exit codes: 0 success, 1 API or operation
error, 2 usage or configuration error (including a refused confirmation), 3 a wait timed out.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NoReturn, TextIO

from ._version import __version__
from .client import DEFAULT_ENDPOINT, Client
from .errors import ConfigurationError, VpsorgError, WaitTimeoutError
from .models import Server, Snapshot, positive_int, snapshot_name_problem
from .operations import delete_snapshot, take_snapshot
from .wait import format_duration, parse_duration, wait_for_restore

_EPILOG = f"""\
configuration: --token / --endpoint, else VPSORG_TOKEN / VPSORG_ENDPOINT (default endpoint {DEFAULT_ENDPOINT}).
exit codes: 0 success, 1 API or operation error, 2 usage or configuration error (or a refused
confirmation), 3 a wait timed out.
destructive commands (delete, restore, rollback) ask on a terminal; elsewhere they need --yes.
"""


class ExitStatus(IntEnum):
    """The exit codes of ``vpsorg``."""

    SUCCESS = 0
    ERROR = 1  # an API or operation error
    USAGE = 2  # a usage or configuration error, or a refused confirmation: nothing was sent
    TIMEOUT = 3  # a wait timed out; what it waited for goes on
    INTERRUPTED = 130


@dataclass
class Environment:
    """Where ``vpsorg`` reads and writes (httpie's idea): the process's streams, or a test's own."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    def print(self, text: str, *, flush: bool = False) -> None:
        """A result, on stdout."""
        print(text, file=self.stdout, flush=flush)

    def say(self, text: str) -> None:
        """A message for the person, on stderr."""
        print(text, file=self.stderr, flush=True)

    def dump(self, obj: Any) -> None:
        """JSON on stdout."""
        print(json.dumps(obj, indent=2), file=self.stdout)


class _Exit(Exception):
    """argparse asked to exit (help shown, or a usage error reported)."""

    def __init__(self, status: int) -> None:
        self.status = status


def _parser_class(env: Environment) -> type[argparse.ArgumentParser]:
    """An ArgumentParser that writes to ``env`` and raises instead of exiting, so the CLI runs in-process."""

    class Parser(argparse.ArgumentParser):
        def _print_message(self, message: str, file: Any = None) -> None:
            if message:
                (env.stderr if file is sys.stderr else env.stdout).write(message)

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                env.stderr.write(message)
            raise _Exit(status)

    return Parser


class _Refused(Exception):
    """A usage problem, or a destructive command declined (by the user or for lack of a terminal): nothing sent."""


def _id(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value, reason = positive_int("the value", text, what)
        if reason:
            raise argparse.ArgumentTypeError(reason.replace("the value must be", "must be"))
        assert value is not None
        return value

    parse.__name__ = what  # argparse names it in "invalid ... value"
    return parse


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text[:20]!r}")
    return int(text)


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


@dataclass
class _Shared:
    """Option groups several commands take (argparse parents)."""

    conn: argparse.ArgumentParser
    as_json: argparse.ArgumentParser
    yes: argparse.ArgumentParser
    waiting: argparse.ArgumentParser

    @classmethod
    def make(cls, parser: type[argparse.ArgumentParser]) -> _Shared:
        conn = parser(add_help=False)
        conn.add_argument(
            "--token",
            default=argparse.SUPPRESS,
            help="API token (default: $VPSORG_TOKEN, which other users cannot see in the process list)",
        )
        conn.add_argument("--endpoint", default=argparse.SUPPRESS, help="API base URL (default: $VPSORG_ENDPOINT)")
        as_json = parser(add_help=False)
        as_json.add_argument("--json", action="store_true", help="print JSON on stdout")
        yes = parser(add_help=False)
        yes.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
        waiting = parser(add_help=False)
        waiting.add_argument("--no-wait", dest="wait", action="store_false", help="return once the API accepted it")
        waiting.add_argument("--timeout", type=_duration, default=1800.0, help="how long to wait (default 30m)")
        return cls(conn, as_json, yes, waiting)


Subcommands = Any  # argparse's _SubParsersAction, private in typeshed


def _parser(env: Environment | None = None) -> argparse.ArgumentParser:
    parser = _parser_class(env or Environment())
    shared = _Shared.make(parser)
    p = parser(
        prog="vpsorg",
        description="VPS.org snapshots from the command line: take, list, delete, restore, roll back.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[shared.conn],
    )
    p.add_argument("--version", action="version", version=f"vpsorg {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _snapshot_commands(sub, shared)
    _rollback_and_servers(sub, shared)
    _emulator_command(sub)
    return p


def _snapshot_commands(sub: Subcommands, shared: _Shared) -> None:
    conn, as_json, yes, waiting = shared.conn, shared.as_json, shared.yes, shared.waiting
    snaps = sub.add_parser(
        "snapshots",
        help="list, create, delete and restore snapshots",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ssub = snaps.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = ssub.add_parser("list", parents=[conn, as_json], help="list snapshots")
    s.add_argument("--server-id", type=_id("a server id"), help="only this server's snapshots")
    s.set_defaults(run=_cmd_list)
    s = ssub.add_parser("create", parents=[conn, as_json, waiting], help="take a snapshot and wait for it")
    s.add_argument("--server-id", type=_id("a server id"), required=True)
    s.add_argument("--name", required=True, help="letters, digits, hyphens, underscores")
    s.add_argument("--description")
    s.set_defaults(run=_cmd_create)
    s = ssub.add_parser("delete", parents=[conn, yes], help="delete a snapshot")
    s.add_argument("id", type=_id("a snapshot id"))
    s.set_defaults(run=_cmd_delete)
    s = ssub.add_parser("restore", parents=[conn, yes, as_json, waiting], help="restore a snapshot onto its server")
    s.add_argument("id", type=_id("a snapshot id"))
    s.set_defaults(run=_cmd_restore)


def _rollback_and_servers(sub: Subcommands, shared: _Shared) -> None:
    s = sub.add_parser(
        "rollback",
        parents=[shared.conn, shared.yes, shared.as_json, shared.waiting],
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="restore a server from its newest completed snapshot (or a named one)",
    )
    s.add_argument("--server-id", type=_id("a server id"), required=True)
    s.add_argument("--snapshot", metavar="NAME_OR_ID", help="the snapshot to restore (default: newest completed)")
    s.set_defaults(run=_cmd_rollback)
    s = sub.add_parser("servers", parents=[shared.conn, shared.as_json], help="list servers and their status")
    s.set_defaults(run=_cmd_servers)


def _emulator_command(sub: Subcommands) -> None:
    s = sub.add_parser("emulator", help="run a local emulator of the VPS.org API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_port, default=8080, help="0 picks a free port (default 8080)")
    s.add_argument("--token", help="accept only this token (default: any non-empty token)")
    s.add_argument("--snapshot-seconds", type=float, default=5.0, help="how long a snapshot takes (default 5)")
    s.add_argument("--restore-seconds", type=float, default=5.0, help="how long a restore takes (default 5)")
    s.add_argument("--state", metavar="FILE", help="keep state in this JSON file across restarts")
    s.add_argument("--servers", type=int, default=6, help="how many servers exist (default 6)")
    s.add_argument("--page-size", type=int, default=20, help="list page size (default 20)")
    s.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    s.set_defaults(run=_cmd_emulator)


# ----- output helpers ----------------------------------------------------------------------------------------


class _Progress:
    """A live line on a terminal; a plain line per change (or every 30 s) elsewhere. Always on stderr."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._last: tuple[str, float] = ("", -1e9)

    def update(self, text: str, key: str, elapsed: float) -> None:
        line = f"  {text} ({format_duration(elapsed)} elapsed)"
        if self.live:
            self.stream.write("\r\033[K" + line)
        elif key != self._last[0] or elapsed - self._last[1] >= 30:
            self.stream.write(line + "\n")
            self._last = (key, elapsed)
        else:
            return
        self.stream.flush()

    def done(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


def _snapshot_json(snap: Snapshot) -> dict[str, Any]:
    return snap.model_dump(mode="json", exclude_unset=True)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in [headers, *rows]]
    return "\n".join(lines)


def _confirm(args: argparse.Namespace, env: Environment, question: Callable[[], str]) -> None:
    if getattr(args, "yes", False):
        return
    if not env.stdin.isatty():
        raise _Refused("refusing to run a destructive command without a terminal: pass --yes to confirm")
    env.stderr.write(question() + " Type 'yes' to continue: ")
    env.stderr.flush()
    if env.stdin.readline().strip().lower() != "yes":
        raise _Refused("not confirmed; nothing was sent")


def _client(args: argparse.Namespace) -> Client:
    return Client(getattr(args, "token", None), getattr(args, "endpoint", None))


# ----- commands ----------------------------------------------------------------------------------------------


def _cmd_list(args: argparse.Namespace, env: Environment) -> int:
    with _client(args) as api:
        snaps = api.list_snapshots(server_id=args.server_id)
    if args.json:
        env.dump([_snapshot_json(s) for s in snaps])
        return ExitStatus.SUCCESS
    rows = [
        [
            str(s.id),
            f"{s.server_id} {s.server.name or ''}".strip() if s.server else "",
            s.name,
            s.status,
            f"{s.size_mb} MB" if s.size_mb is not None else "-",
            s.created_at or "-",
        ]
        for s in snaps
    ]
    env.print(_table(rows, ["ID", "SERVER", "NAME", "STATUS", "SIZE", "CREATED"]) if rows else "No snapshots.")
    return ExitStatus.SUCCESS


def _cmd_create(args: argparse.Namespace, env: Environment) -> int:
    problem = snapshot_name_problem(args.name)
    if problem:
        raise _Refused(f"--{problem}")
    progress = _Progress(env.stderr)
    with _client(args) as api:
        env.say(f"Taking snapshot {args.name!r} of server {args.server_id}...")
        try:
            snap, adopted = take_snapshot(
                api,
                args.server_id,
                args.name,
                args.description,
                wait=args.wait,
                timeout=args.timeout,
                on_poll=lambda s, t: progress.update(f"snapshot {s.id} {s.name!r}: {s.status}", s.status, t),
            )
        finally:
            progress.done()
    if adopted:
        env.say(
            f"Snapshot {snap.id} {snap.name!r} already existed on server {args.server_id}: adopted, not duplicated."
        )
    env.say(f"Snapshot {snap.id} {snap.name!r} is {snap.status}" + (f" ({snap.size_mb} MB)." if snap.size_mb else "."))
    if args.json:
        env.dump(_snapshot_json(snap))
    return ExitStatus.SUCCESS


def _cmd_delete(args: argparse.Namespace, env: Environment) -> int:
    _confirm(args, env, lambda: f"Delete snapshot {args.id}? This cannot be undone.")
    with _client(args) as api:
        deleted = delete_snapshot(api, args.id)
    env.say(f"Snapshot {args.id} deleted." if deleted else f"Snapshot {args.id} did not exist; nothing to delete.")
    return ExitStatus.SUCCESS


def _restore(args: argparse.Namespace, env: Environment, api: Client, snap_id: int) -> int:
    response = api.restore_snapshot(snap_id)  # sent once, never retried
    env.say(response.message or "Restore started.")
    out = response.model_dump(mode="json", exclude_unset=True)
    ref = response.server
    if args.wait and ref is not None:
        progress = _Progress(env.stderr)
        try:
            server = wait_for_restore(
                api,
                ref.id,
                timeout=args.timeout,
                on_poll=lambda s, t: progress.update(
                    f"server {ref.id} {ref.name or ''}: {s.status if s else 'unknown'}",
                    (s.status or "") if s else "",
                    t,
                ),
            )
        finally:
            progress.done()
        out["server"] = {"id": server.id, "name": server.name, "status": server.status}
        env.say(f"Server {server.id} {server.name or ''} is {server.status}: restore finished.")
    if args.json:
        env.dump(out)
    return ExitStatus.SUCCESS


def _describe_snapshot(api: Client, snap_id: int) -> str:
    found = next((s for s in api.list_snapshots() if s.id == snap_id), None)
    if found is None:
        return f"Restore snapshot {snap_id}? This overwrites ALL data on its server and cannot be undone."
    return (
        f"Restore server {found.server_id} ({found.server.name if found.server else '?'}) from snapshot {found.id} "
        f"{found.name!r} of {found.created_at}? This stops the server, overwrites ALL its data and cannot be undone."
    )


def _cmd_restore(args: argparse.Namespace, env: Environment) -> int:
    with _client(args) as api:
        _confirm(args, env, lambda: _describe_snapshot(api, args.id))
        return _restore(args, env, api, args.id)


def pick_rollback_snapshot(snapshots: list[Snapshot], wanted: str | None) -> Snapshot:
    """The snapshot a rollback restores: ``wanted`` by id or name, else the newest completed one."""
    candidates = snapshots
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


def _cmd_rollback(args: argparse.Namespace, env: Environment) -> int:
    if args.snapshot is not None and not args.snapshot.strip():
        raise _Refused(
            "--snapshot is empty (an unset variable?): name the snapshot by name or id, or leave out "
            "--snapshot to restore the newest completed one; nothing was sent"
        )
    if not args.yes and not env.stdin.isatty():
        raise _Refused("refusing to roll back without a terminal: pass --yes to confirm")
    with _client(args) as api:
        try:
            snap = pick_rollback_snapshot(api.list_snapshots(server_id=args.server_id), args.snapshot)
        except VpsorgError as e:
            raise VpsorgError(f"Server {args.server_id}: {e}") from None
        env.say(f"Rolling back server {args.server_id} to snapshot {snap.id} {snap.name!r} ({snap.created_at}).")
        _confirm(
            args,
            env,
            lambda: (
                f"Restore server {args.server_id} from snapshot {snap.id} {snap.name!r}? This stops the server, "
                "overwrites ALL its data and cannot be undone."
            ),
        )
        return _restore(args, env, api, snap.id)


def _cmd_servers(args: argparse.Namespace, env: Environment) -> int:
    with _client(args) as api:
        servers: list[Server] = api.list_servers()
    if args.json:
        env.dump([s.model_dump(mode="json", exclude_unset=True) for s in servers])
        return ExitStatus.SUCCESS
    rows = [[str(s.id), s.name or "", s.status or "", s.location or "", s.ip_address or ""] for s in servers]
    env.print(_table(rows, ["ID", "NAME", "STATUS", "LOCATION", "IP"]) if rows else "No servers.")
    return ExitStatus.SUCCESS


def _cmd_emulator(args: argparse.Namespace, env: Environment) -> int:
    from .emulator import Emulator, serve

    try:
        emulator = Emulator(
            token=args.token,
            snapshot_seconds=args.snapshot_seconds,
            restore_seconds=args.restore_seconds,
            state_file=args.state,
            servers=args.servers,
            page_size=args.page_size,
            latency=args.latency,
        )
    except (OSError, ValueError) as e:
        raise ConfigurationError(
            f"cannot use the state file {args.state!r}: {e}. Fix or remove it to start with a fresh state."
        ) from None
    try:
        server = serve(emulator, args.host, args.port)
    except OSError as e:
        raise ConfigurationError(f"cannot listen on {args.host}:{args.port}: {e.strerror}; try --port 0") from None
    env.print(server.endpoint, flush=True)
    env.say(f"VPS.org emulator on {server.endpoint}; stop with Ctrl-C.")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.close()
    return ExitStatus.SUCCESS


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Entry point of the ``vpsorg`` console script; ``env`` gives the streams (tests pass their own)."""
    env = env or Environment()
    try:
        args = _parser(env).parse_args(argv)
    except _Exit as e:
        return e.status
    try:
        return int(args.run(args, env))
    except _Refused as e:
        env.say(f"vpsorg: {e}")
        return ExitStatus.USAGE
    except ConfigurationError as e:
        env.say(f"vpsorg: configuration error: {e}")
        return ExitStatus.USAGE
    except WaitTimeoutError as e:
        creating = args.command == "snapshots" and args.action == "create"
        hint = " Run the same command again to keep waiting: it adopts the snapshot by name." if creating else ""
        env.say(f"vpsorg: timed out: {e}{hint}")
        return ExitStatus.TIMEOUT
    except VpsorgError as e:
        env.say(f"vpsorg: error: {e}")
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        env.say("vpsorg: interrupted")
        return ExitStatus.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
