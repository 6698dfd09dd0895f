"""``main``: parse, run, and end every way a command can end in one line that says what to do."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from .._deadline import deadline
from ..durations import format_duration
from ..errors import APITimeoutError, ConfigurationError, SnapshotLimitError, VpsorgError, WaitTimeoutError
from ._completion import tree
from ._env import DoesNotExist, Environment, ExitStatus, NothingSent
from ._parser import Exit, build_parser
from ._snapshots import rotation_prefix


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Entry point of the ``vpsorg`` console script; ``env`` gives the streams (tests pass their own)."""
    env = env or Environment()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(env)
    try:
        _check_options(parser, argv)
        args = parser.parse_args(argv)
        if getattr(args, "output", None) == "json":
            args.json = True  # -o json is --json
    except Exit as e:
        return e.status
    with _logging(env, getattr(args, "verbose", False)), _sigterm_interrupts():
        return _run(args, env)


def _run(args: argparse.Namespace, env: Environment) -> int:
    try:
        with deadline(getattr(args, "timeout", None)):  # every command that talks to VPS.org has one
            return int(args.run(args, env))
    except (NothingSent, ConfigurationError) as e:
        env.say(f"vpsorg: {'configuration error: ' if isinstance(e, ConfigurationError) else ''}{e}")
        return ExitStatus.USAGE
    except SnapshotLimitError as e:
        server = getattr(args, "server", None) or (e.existing[0].server_id if e.existing else None) or "SERVER"
        name = getattr(args, "name", None)
        prefix = f" --name-prefix {rotation_prefix(name)}" if name else ""
        cli_hint = (
            f"Make room with `vpsorg snapshots prune --server {server} --keep 4{prefix} --yes` (add --dry-run to "
            "see what it deletes), or pass --rotate --yes to create."
        )
        env.say(f"vpsorg: error: {e.with_hint(cli_hint)}")
        return ExitStatus.ERROR
    except WaitTimeoutError as e:
        creating = getattr(args, "action", None) == "create"
        hint = " Run the same command again to keep waiting: it adopts the snapshot by name." if creating else ""
        env.say(f"vpsorg: timed out: {e}{hint}")
        return ExitStatus.TIMEOUT
    except APITimeoutError as e:
        limit = getattr(args, "timeout", None)
        hint = f" The command may take {format_duration(limit)} in all (--timeout)." if limit is not None else ""
        env.say(f"vpsorg: timed out: {e}{hint}")
        return ExitStatus.TIMEOUT
    except (VpsorgError, DoesNotExist) as e:
        env.say(f"vpsorg: error: {e}")
        return ExitStatus.ERROR
    except KeyboardInterrupt:
        env.say(f"vpsorg: interrupted. {env.after_interrupt}")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        _silence_stdout(env)
        return ExitStatus.BROKEN_PIPE


def _check_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """An unknown option is reported as itself (with the nearest known one), not as a missing required one."""
    known = {w for words in tree(parser).values() for w in words if w.startswith("-")} | {"-h", "-v", "-q", "-y"}
    known |= {"--help", "--version", "-o"}
    for word in argv:
        if word == "--":
            return
        option = word.split("=", 1)[0]
        if option.startswith("--") and option not in known:
            near = difflib.get_close_matches(option, sorted(known), n=1)
            parser.error(f"unknown option {option}" + (f" (did you mean {near[0]}?)" if near else ""))


@contextlib.contextmanager
def _logging(env: Environment, verbose: bool) -> Iterator[None]:
    """Each retry on stderr, so a slow command says why; with -v each request line too (never the token)."""
    logger = logging.getLogger("pulumi_vpsorg")
    handler = logging.StreamHandler(env.stderr)
    handler.setFormatter(logging.Formatter("vpsorg: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (what CI cancellation sends) ends a command as Ctrl-C does: saying what goes on at VPS.org."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout(env: Environment) -> None:
    """The reader went away: no 'Exception ignored' when Python flushes stdout at exit."""
    if env.stdout is sys.stdout:
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
