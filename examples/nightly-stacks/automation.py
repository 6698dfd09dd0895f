"""Many stacks' nightly snapshots at once, with the Pulumi Automation API: one stack of this project per server,
each `pulumi up` in a process of its own (the Automation API runs the CLI), all against one VPS.org account.

    python automation.py --servers 12345,12346,12347 --night 2026-12-07 [--parallel 8] [--endpoint URL]

Needs the `pulumi` CLI on PATH and a token in VPSORG_TOKEN (passed to each stack as its secret `vpsorg:token`).
A stack per server is named `nightly-<server>`; a night already taken takes nothing. Prints each stack's result and
what the batch cost: its wall time, and the CPU time of every process it started (CLI, language hosts, providers).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from pulumi import automation as auto

HERE = os.path.dirname(os.path.abspath(__file__))


def nightly(server_id: int, night: str, endpoint: str | None, token: str | None) -> tuple[str, float, object]:
    """One stack's `pulumi up`: ``(stack, seconds, latest snapshot id)``."""
    started = time.monotonic()
    stack = auto.create_or_select_stack(stack_name=f"nightly-{server_id}", work_dir=HERE)
    stack.set_config("serverId", auto.ConfigValue(str(server_id)))
    stack.set_config("night", auto.ConfigValue(night))
    if endpoint:
        stack.set_config("vpsorg:endpoint", auto.ConfigValue(endpoint))
    if token:
        stack.set_config("vpsorg:token", auto.ConfigValue(token, secret=True))
    result = stack.up()
    return stack.name, time.monotonic() - started, result.outputs["latest"].value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", required=True, help="server ids, comma-separated: one stack each")
    parser.add_argument("--night", default=time.strftime("%Y-%m-%d"))
    parser.add_argument("--parallel", type=int, default=8, help="stacks run at once")
    parser.add_argument("--endpoint", default=os.environ.get("VPSORG_ENDPOINT"))
    args = parser.parse_args()
    servers = [int(s) for s in args.servers.split(",") if s.strip()]
    token = os.environ.get("VPSORG_TOKEN")
    started = time.monotonic()
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.parallel)) as pool:
        runs = {server: pool.submit(nightly, server, args.night, args.endpoint, token) for server in servers}
        for server, run in runs.items():
            try:
                name, seconds, latest = run.result()
                print(f"{name}: snapshot {latest} ({seconds:.1f} s)")
            except auto.CommandError as e:
                failed += 1
                print(f"nightly-{server}: FAILED: {str(e).strip().splitlines()[-1]}", file=sys.stderr)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"{len(servers)} stacks, {args.parallel} at once: {time.monotonic() - started:.1f} s wall, "
        f"{children.ru_utime + children.ru_stime:.1f} s CPU in the processes they started, {failed} failed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
