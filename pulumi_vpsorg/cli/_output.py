"""How results are shown: tables without spaces in cells, JSON, ids only; and progress on stderr."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, TextIO

from ..durations import format_duration
from ..models import Server, Snapshot
from ._env import Environment

SNAPSHOT_COLUMNS = ["ID", "SERVER_ID", "SERVER_NAME", "NAME", "STATUS", "SIZE_MB", "CREATED"]
SERVER_COLUMNS = ["ID", "NAME", "STATUS", "LOCATION", "IP"]
_WIDE = {"snapshot": ["DESCRIPTION"], "server": ["HOSTNAME", "PLAN", "OS", "CREATED"]}


def snapshot_json(snap: Snapshot, **extra: Any) -> dict[str, Any]:
    return {**snap.model_dump(mode="json", exclude_unset=True), **extra}


def server_json(server: Server) -> dict[str, Any]:
    return server.model_dump(mode="json", exclude_unset=True)


def _cell(value: Any) -> str:
    """Stable for scripts: '-' for nothing, no whitespace inside a cell."""
    text = "-" if value is None or value == "" else str(value)
    return "_".join(text.split())


def snapshot_row(s: Snapshot, wide: bool = False) -> list[Any]:
    row = [s.id, s.server_id, s.server.name if s.server else None, s.name, s.status, s.size_mb, s.created_at]
    return row + [s.description] if wide else row


def server_row(s: Server, wide: bool = False) -> list[Any]:
    row = [s.id, s.name, s.status, s.location, s.ip_address]
    named = [(x or {}).get("name") for x in (s.plan, s.os)]
    return row + [s.hostname, *named, s.created_at] if wide else row


def columns(kind: str, wide: bool) -> list[str]:
    """The table's columns for ``kind`` (``snapshot`` or ``server``), with ``-o wide``'s extra ones."""
    return (SNAPSHOT_COLUMNS if kind == "snapshot" else SERVER_COLUMNS) + (_WIDE[kind] if wide else [])


def table(rows: Sequence[Sequence[Any]], headers: list[str], *, header: bool = True) -> str:
    cells = [[_cell(v) for v in r] for r in rows]
    shown = [headers, *cells] if header else cells
    widths = [max(len(x) for x in col) for col in zip(*shown, strict=False)] if shown else []
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)).rstrip() for r in shown)


def show(env: Environment, args: argparse.Namespace, items: Sequence[Any], kind: str) -> None:
    """A list as JSON (``--json``, ``-o json``), ids (``-q``) or a table (``-o wide``: more columns; ``--no-header``
    drops its first line)."""
    snapshots = kind == "snapshot"
    wide = getattr(args, "output", None) == "wide"
    if getattr(args, "json", False):
        env.dump([snapshot_json(i) if snapshots else server_json(i) for i in items])
    elif getattr(args, "quiet", False):
        for item in items:
            env.print(str(item.id))
    elif items:
        rows = [snapshot_row(i, wide) if snapshots else server_row(i, wide) for i in items]
        env.print(table(rows, columns(kind, wide), header=not args.no_header))
    elif not args.no_header:
        env.say(f"No {kind}s.")


def show_one(
    env: Environment,
    args: argparse.Namespace,
    obj: dict[str, Any],
    ident: int,
    row: tuple[list[Any], list[str]] | None = None,
) -> None:
    """One object: JSON with ``--json``, its id with ``-q``, else its ``row`` (cells, columns) as a one-line table,
    or nothing on stdout without one (the messages said it)."""
    if getattr(args, "json", False):
        env.dump(obj)
    elif getattr(args, "quiet", False):
        env.print(str(ident))
    elif row is not None:
        env.print(table([row[0]], row[1], header=not args.no_header))


class Progress:
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
