"""What this package does inside a Pulumi program's own process (not in the provider host, not in the CLI).

When the engine cancels a program (a resource failed, or the user pressed Ctrl-C), Pulumi's Python language host
sends the program SIGINT. Python's default turns that into a ``KeyboardInterrupt`` raised wherever the program's
main thread is, usually inside the SDK's own shutdown (``executor.shutdown(wait=True)`` in
``pulumi-language-python-exec``), and the engine shows that traceback, about 50 lines, under the user's error
(seen in 5 of 8 failed ups with language host 3.259.0). The program has nothing left to do at that point, so here
it ends at once with the exit code that tells the language host the error was already shown.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import suppress
from types import FrameType

ALREADY_SHOWN = 32  # pulumi-language-python-exec: "an error message was displayed to the user"
_installed = False


def end_quietly_when_cancelled() -> None:
    """Make SIGINT end this program quietly. Only once, from the main thread, in a program the real engine runs
    (not under ``pulumi.runtime.set_mocks``), and only while Python's default handler is in place: a handler of
    the program's own is left alone."""
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    from pulumi.runtime import settings
    from pulumi.runtime.proto import resource_pb2_grpc

    if not isinstance(settings.get_monitor(), resource_pb2_grpc.ResourceMonitorStub):
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _end)
    _installed = True


def _end(_signum: int, _frame: FrameType | None) -> None:
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(ALREADY_SHOWN)
