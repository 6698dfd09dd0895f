"""``vpsorg emulator``: the local stand-in for the VPS.org API, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from ..errors import ConfigurationError
from ._env import Environment, ExitStatus, NothingSent


def cmd_emulator(args: argparse.Namespace, env: Environment) -> int:
    from ..emulator import Emulator, serve

    if getattr(args, "token", None):
        raise NothingSent("--token is the API token of the other commands; the emulator takes --accept-token TOKEN")
    try:
        emulator = Emulator(
            token=args.accept_token,
            snapshot_seconds=args.snapshot_seconds,
            restore_seconds=args.restore_seconds,
            state_file=args.state,
            servers=args.servers,
            page_size=args.page_size,
            latency=args.latency,
            rate_limit=args.rate_limit,
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
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        env.say(
            f"vpsorg: warning: listening on {args.host}, which other machines may reach; "
            + ("only --accept-token is accepted." if args.accept_token else "ANY token is accepted (--accept-token).")
        )
    if args.verbose:
        requests = logging.getLogger("pulumi_vpsorg.emulator")
        handler = logging.StreamHandler(env.stderr)
        handler.setFormatter(logging.Formatter("emulator: %(message)s"))
        requests.addHandler(handler)
        requests.setLevel(logging.INFO)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.close()
    return ExitStatus.SUCCESS
