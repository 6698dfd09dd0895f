"""Where ``vpsorg`` reads and writes, how it exits, and what it says when it is stopped half-way."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, TextIO

from .._clock import MONOTONIC, Clock


class ExitStatus(IntEnum):
    """The exit codes of ``vpsorg``."""

    SUCCESS = 0
    ERROR = 1  # an API or operation error, or something that does not exist
    USAGE = 2  # a usage or configuration error, or a refused confirmation: nothing was sent
    TIMEOUT = 3  # a wait or the command's --timeout ran out; what it waited for goes on
    UNCERTAIN = 4  # a restore may have started (its answer was lost), or one is under way: not sent (again)
    INTERRUPTED = 130  # Ctrl-C or SIGTERM
    BROKEN_PIPE = 141  # the reader of stdout went away (`vpsorg ... | head`)


@dataclass
class Environment:
    """The streams (httpie's idea) and the clock: the process's own, or a test's. ``after_interrupt`` is what a Ctrl-C
    or SIGTERM right now leaves going on at VPS.org, and what re-running does; commands keep it up to date."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    clock: Clock = MONOTONIC  # a test's own (its client's budget then is its own too: see Client's ``clock``)
    after_interrupt: str = "Nothing was sent to VPS.org."

    def print(self, text: str, *, flush: bool = False) -> None:
        """A result, on stdout."""
        print(text, file=self.stdout, flush=flush)

    def say(self, text: str) -> None:
        """A message for the person, on stderr."""
        print(text, file=self.stderr, flush=True)

    def dump(self, obj: Any) -> None:
        """JSON on stdout."""
        print(json.dumps(obj, indent=2), file=self.stdout, flush=True)


class NothingSent(Exception):
    """A usage problem, or a destructive command declined (by the user or for lack of a terminal): nothing sent."""


class DoesNotExist(Exception):
    """What the command names does not exist (exit 1; ``--ignore-not-found`` makes it a success)."""
