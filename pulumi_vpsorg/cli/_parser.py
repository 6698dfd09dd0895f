"""The argument parser of ``vpsorg``: every screen with a description, examples and the exit codes."""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from .._version import __version__
from ..client import DEFAULT_ENDPOINT
from ..durations import parse_duration
from ..models import positive_int
from . import _completion, _emulator, _plugin, _restore, _servers, _snapshots
from ._env import Environment, ExitStatus

EXIT_CODES = f"""\
configuration: --token / --endpoint, else VPSORG_TOKEN / VPSORG_ENDPOINT (default {DEFAULT_ENDPOINT}).
exit codes: 0 success, 1 API or operation error (or it does not exist), 2 usage or configuration error (or a
refused confirmation; nothing was sent), 3 timed out (a wait, or --timeout; it goes on at VPS.org), 4 a restore
may have started (its answer was lost) or the server is already restoring: not sent again, 130 interrupted."""
Subcommands = Any  # argparse's _SubParsersAction, private in typeshed


class Exit(Exception):
    """argparse asked to exit (help shown, or a usage error reported)."""

    def __init__(self, status: int) -> None:
        self.status = status


def parser_class(env: Environment) -> type[argparse.ArgumentParser]:
    """An ArgumentParser that writes to ``env``, raises instead of exiting, and takes no abbreviations."""

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("allow_abbrev", False)
            kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
            super().__init__(*args, **kwargs)

        def _print_message(self, message: str, file: Any = None) -> None:
            if message:
                (env.stderr if file is sys.stderr else env.stdout).write(message)

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                env.stderr.write(message)
            raise Exit(status)

    return Parser


def _id(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value, reason = positive_int("the value", text, what)
        if reason or value is None:
            raise argparse.ArgumentTypeError((reason or "").replace("the value must be", "must be"))
        return value

    parse.__name__ = what
    return parse


def server_ref(text: str) -> int | str:
    """A server by id (ASCII digits) or by name."""
    if re.fullmatch(r"\s*[+-]?\d+\s*", text):  # any digits, even non-ASCII or signed: an id, checked as one
        return _id("a server id")(text)
    if not text.strip() or not text.isprintable():
        raise argparse.ArgumentTypeError(f"must be a server id or name, got {text[:40]!r}")
    return text.strip()


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 999, got {text[:20]!r}")
    return int(text)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text[:20]!r}")
    return int(text)


def _number(high: float, rule: str) -> Callable[[str], float]:
    """A parser of a number from 0 to ``high`` (``rule`` says what it is, for the error)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and 0 <= value <= high):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {text[:20]!r}")
        return value

    parse.__name__ = rule
    return parse


_seconds = _number(3600, "a number of seconds from 0 to 3600")
_rate = _number(1e6, "0 (no limit) to 1000000 requests a second")


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not (text.strip().isascii() and text.strip().isdigit() and low <= int(text) <= high):
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, got {text[:20]!r}")
        return int(text)

    parse.__name__ = f"a number from {low} to {high}"
    return parse


def _host(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "is empty (an unset variable?): give the address to listen on, such as 127.0.0.1 (this machine only)"
        )
    return text.strip()


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class _Groups:
    """Option groups several commands take (argparse parents)."""

    def __init__(self, parser: type[argparse.ArgumentParser]) -> None:
        self.conn = parser(add_help=False)
        self.conn.add_argument(
            "--token",
            default=argparse.SUPPRESS,
            help="API token (default: $VPSORG_TOKEN, which other users cannot see in ps)",
        )
        self.conn.add_argument("--endpoint", default=argparse.SUPPRESS, help="API base URL (default: $VPSORG_ENDPOINT)")
        self.conn.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show each request (method, path, status, time) and each retry on stderr",
        )
        self.many = parser(add_help=False)
        self._outputs(self.many, table=True)
        self.one = parser(add_help=False)
        self._outputs(self.one, table=False)
        self.yes = parser(add_help=False)
        self.yes.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
        self.waiting = parser(add_help=False)
        self.waiting.add_argument(
            "--no-wait", dest="wait", action="store_false", help="return once VPS.org accepted it"
        )
        self.waiting.add_argument(
            "--timeout",
            type=_duration,
            default=1800.0,
            help="how long the command may take, waiting included (default 30m)",
        )
        self.limit = parser(add_help=False)
        self.limit.add_argument(
            "--timeout", type=_duration, default=120.0, help="how long the command may take in all (default 2m)"
        )
        self.server = parser(add_help=False)
        self.server.add_argument(
            "--server",
            "--server-id",
            dest="server",
            type=server_ref,
            metavar="SERVER",
            required=True,
            help="the server, by id or name",
        )

    @staticmethod
    def _outputs(p: argparse.ArgumentParser, *, table: bool) -> None:
        form = p.add_mutually_exclusive_group()
        form.add_argument(
            "-o",
            "--output",
            choices=["json", "table", "wide"] if table else ["json", "text"],
            help="json, or " + ("a table (default) or a wide one (more columns)" if table else "text (default)"),
        )
        form.add_argument("--json", action="store_true", help="print JSON on stdout (the same as -o json)")
        form.add_argument("-q", "--quiet", action="store_true", help="print only ids, one per line")
        if table:
            p.add_argument("--no-header", action="store_true", help="leave out the table's header line")


def _screen(
    sub: Subcommands, name: str, about: str, examples: str, parents: list[Any], aliases: tuple[str, ...] = ()
) -> argparse.ArgumentParser:
    epilog = f"examples:\n{examples}\n\n{EXIT_CODES}"
    made: argparse.ArgumentParser = sub.add_parser(
        name,
        help=about.split(". ")[0].rstrip("."),
        description=about,
        epilog=epilog,
        parents=parents,
        aliases=list(aliases),
    )
    return made


def build_parser(env: Environment | None = None) -> argparse.ArgumentParser:
    parser = parser_class(env or Environment())
    g = _Groups(parser)
    root = parser(
        prog="vpsorg",
        parents=[g.conn],
        epilog=EXIT_CODES,
        description="VPS.org snapshots from the command line: take, list, rotate, restore, roll back.",
    )
    root.add_argument("--version", action="version", version=f"vpsorg {__version__}")
    root.set_defaults(run=_help(root))
    sub = root.add_subparsers(dest="command", metavar="COMMAND")
    _snapshot_screens(sub, g, parser)
    _other_screens(sub, g)
    return root


def _help(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace, Environment], int]:
    def show(_args: argparse.Namespace, _env: Environment) -> int:
        p.print_help()
        return ExitStatus.SUCCESS

    return show


def _snapshot_screens(sub: Subcommands, g: _Groups, parser: type[argparse.ArgumentParser]) -> None:
    snaps = _screen(
        sub,
        "snapshots",
        "List, take, rotate, delete and restore snapshots.",
        "  vpsorg snapshots list --server web-server-01",
        [],
    )
    snaps.set_defaults(run=_help(snaps))
    ssub = snaps.add_subparsers(dest="action", metavar="ACTION")
    s = _screen(
        ssub,
        "list",
        "List snapshots, of one server or of all.",
        "  vpsorg snapshots list --server 12345 --status completed\n  vpsorg snapshots ls -q --name nightly",
        [g.conn, g.many, g.limit],
        ("ls",),
    )
    s.add_argument(
        "--server",
        "--server-id",
        dest="server",
        type=server_ref,
        metavar="SERVER",
        help="only this server's snapshots (id or name)",
    )
    s.add_argument("--name", help="only snapshots of this name")
    s.add_argument("--status", help="only snapshots in this status (in_progress, completed, ...)")
    s.set_defaults(run=_snapshots.cmd_list)
    s = _screen(ssub, "get", "Show one snapshot.", "  vpsorg snapshots get 801 --json", [g.conn, g.many, g.limit])
    s.add_argument("id", type=_id("a snapshot id"))
    s.set_defaults(run=_snapshots.cmd_get)
    _create_screens(ssub, g)
    _destructive_screens(ssub, g)


def _create_screens(ssub: Subcommands, g: _Groups) -> None:
    s = _screen(
        ssub,
        "create",
        "Take a snapshot and wait until it is completed. A snapshot of that name already on the server is "
        "adopted, never duplicated, so re-running after a timeout or interruption picks it up. --rotate first "
        "deletes the oldest completed snapshots of the same series (the name up to its last - or _, or "
        "--name-prefix) when the server is at its limit of 5.",
        '  id=$(vpsorg snapshots create --server 12345 --name "pre-deploy-$CI_PIPELINE_ID" --rotate --yes -q)',
        [g.conn, g.one, g.waiting, g.yes, g.server],
    )
    s.add_argument("--name", required=True, help="letters, digits, hyphens, underscores")
    s.add_argument("--description", help="free text (VPS.org cannot change it later)")
    s.add_argument("--rotate", action="store_true", help="at the limit, delete the oldest of the series first")
    s.add_argument(
        "--name-prefix", help="the series --rotate may delete from (default: the name up to its last - or _)"
    )
    s.set_defaults(run=_snapshots.cmd_create)
    s = _screen(
        ssub,
        "wait",
        "Wait until a snapshot is completed (to resume an interrupted create).",
        "  vpsorg snapshots wait 801 --timeout 20m",
        [g.conn, g.one, g.waiting],
    )
    s.add_argument("id", type=_id("a snapshot id"))
    s.set_defaults(run=_snapshots.cmd_wait)


def _destructive_screens(ssub: Subcommands, g: _Groups) -> None:
    s = _screen(
        ssub,
        "delete",
        "Delete a snapshot (waiting first if it is still being created).",
        "  vpsorg snapshots delete 801 --yes\n  vpsorg snapshots rm 801 --yes --ignore-not-found",
        [g.conn, g.yes, g.waiting],
        ("rm",),
    )
    s.add_argument("id", type=_id("a snapshot id"))
    s.add_argument("--ignore-not-found", action="store_true", help="a snapshot that does not exist is no error")
    s.set_defaults(run=_snapshots.cmd_delete)
    s = _screen(
        ssub,
        "prune",
        "Delete the oldest completed snapshots of a server beyond --keep, never one in progress. It cannot "
        "tell from VPS.org which snapshots a Pulumi stack manages: use --name-prefix to keep to your own "
        "naming scheme (Pulumi resources' names stay out of it).",
        "  vpsorg snapshots prune --server 12345 --keep 3 --name-prefix pre-deploy- --dry-run",
        [g.conn, g.many, g.yes, g.server, g.limit],
    )
    s.add_argument("--keep", type=_count, required=True, help="how many of the newest to keep")
    s.add_argument("--name-prefix", help="only snapshots whose names start with this")
    s.add_argument("--dry-run", action="store_true", help="say what would be deleted; delete nothing")
    s.set_defaults(run=_snapshots.cmd_prune)
    s = _screen(
        ssub,
        "restore",
        "Restore a snapshot onto its server: stops the server and overwrites ALL its data. Sent once, never "
        "retried; then waits until the server is no longer restoring.",
        "  vpsorg snapshots restore 801 --yes --json",
        [g.conn, g.yes, g.one, g.waiting],
    )
    s.add_argument("id", type=_id("a snapshot id"))
    s.add_argument("--ignore-not-found", action="store_true", help="a snapshot that does not exist is no error")
    _force(s)
    s.set_defaults(run=_restore.cmd_restore)


def _force(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--force",
        action="store_true",
        help="send the restore even though an earlier run may have sent one of this snapshot in the last day",
    )
    s.add_argument(
        "--no-safety-snapshot",
        dest="safety_snapshot",
        action="store_false",
        help="do not first take a snapshot of the server as it is now (the way back; taken by default)",
    )


def _other_screens(sub: Subcommands, g: _Groups) -> None:
    s = _screen(
        sub,
        "rollback",
        "Restore a server from its newest completed snapshot, or the one named by --snapshot (name or id), or with "
        "--undo from the safety snapshot taken before the last restore.",
        '  vpsorg rollback --server 12345 --snapshot "pre-deploy-$CI_PIPELINE_ID" --yes --json\n'
        "  vpsorg rollback --server web-server-01 --dry-run\n"
        "  vpsorg rollback --server 12345 --undo --yes",
        [g.conn, g.yes, g.one, g.waiting, g.server],
    )
    which = s.add_mutually_exclusive_group()
    which.add_argument("--snapshot", metavar="NAME_OR_ID", help="the snapshot to restore (default: newest completed)")
    which.add_argument(
        "--undo",
        action="store_true",
        help="restore the newest safety snapshot: the server as it was before the last restore",
    )
    s.add_argument("--dry-run", action="store_true", help="say which snapshot it would restore; send nothing")
    _force(s)
    s.set_defaults(run=_restore.cmd_rollback)
    servers = _screen(
        sub,
        "servers",
        "List servers and show one (`vpsorg servers` alone lists them).",
        "  vpsorg servers list --status active\n  vpsorg servers get web-server-01 --json",
        [g.conn, g.many, g.limit],
    )
    servers.set_defaults(run=_servers.cmd_list, status=None, location=None)
    vsub = servers.add_subparsers(dest="action", metavar="ACTION")
    s = _screen(
        vsub, "list", "List servers.", "  vpsorg servers ls --location us-west -q", [g.conn, g.many, g.limit], ("ls",)
    )
    s.add_argument("--status", help="only servers in this status (active, stopped, suspended)")
    s.add_argument("--location", help="only servers in this location")
    s.set_defaults(run=_servers.cmd_list)
    s = _screen(vsub, "get", "Show one server, by id or name.", "  vpsorg servers get 12345", [g.conn, g.many, g.limit])
    s.add_argument("server", type=server_ref, metavar="SERVER")
    s.set_defaults(run=_servers.cmd_get)
    _tool_screens(sub, g)


def _tool_screens(sub: Subcommands, g: _Groups) -> None:
    s = _screen(
        sub,
        "emulator",
        "Run a local emulator of the VPS.org API on loopback; prints its endpoint first. Stops on Ctrl-C or SIGTERM.",
        "  vpsorg emulator --port 0 --snapshot-seconds 2 --accept-token vps_test -v",
        [],
    )
    s.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only)",
    )
    s.add_argument("--port", type=_port, default=8080, help="0 picks a free port (default 8080)")
    s.add_argument("--accept-token", metavar="TOKEN", help="accept only this token (default: any non-empty token)")
    s.add_argument("--snapshot-seconds", type=_seconds, default=5.0, help="how long a snapshot takes (default 5)")
    s.add_argument("--restore-seconds", type=_seconds, default=5.0, help="how long a restore takes (default 5)")
    s.add_argument("--state", metavar="FILE", help="keep state in this JSON file across restarts")
    s.add_argument("--servers", type=_bounded_int(1, 10_000), default=6, help="how many servers exist (default 6)")
    s.add_argument("--page-size", type=_bounded_int(1, 1000), default=20, help="list page size (default 20)")
    s.add_argument("--latency", type=_seconds, default=0.0, help="seconds added to every answer")
    s.add_argument("--rate-limit", type=_rate, metavar="N", help="answer 429 beyond N requests a second")
    s.add_argument("-v", "--verbose", action="store_true", help="log each request on stderr")
    s.set_defaults(run=_emulator.cmd_emulator)
    plugin = _screen(
        sub,
        "plugin",
        "The native plugin pulumi-resource-vpsorg, for Pulumi programs in any language (YAML, TypeScript, ...).",
        "  vpsorg plugin install",
        [],
    )
    plugin_sub = plugin.add_subparsers(metavar="ACTION", dest="action")
    plugin.set_defaults(run=_help(plugin))
    s = _screen(
        plugin_sub,
        "install",
        "Install the native plugin pulumi-resource-vpsorg (runs this Python) with `pulumi plugin install`, so every "
        "Pulumi program on this machine can use vpsorg:index:Snapshot, SnapshotRestore and the functions. Run it "
        "again after upgrading this package.",
        "  vpsorg plugin install\n  vpsorg plugin install --pulumi ~/.pulumi/bin/pulumi",
        [g.limit],
    )
    s.add_argument("--pulumi", metavar="PATH", help="the pulumi CLI to use (default: pulumi on PATH)")
    s.set_defaults(run=_plugin.cmd_plugin_install)
    s = _screen(sub, "version", "Print the version.", "  vpsorg version", [])
    s.set_defaults(run=lambda _a, e: e.print(f"vpsorg {__version__}") or ExitStatus.SUCCESS)
    s = _screen(
        sub,
        "completion",
        "Print a shell completion script, generated from this parser.",
        '  eval "$(vpsorg completion bash)"\n  vpsorg completion fish | source',
        [],
    )
    s.add_argument("shell", choices=["bash", "zsh", "fish"])
    s.set_defaults(run=_completion.cmd_completion)
