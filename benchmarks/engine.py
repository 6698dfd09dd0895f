"""Snapshots in one `pulumi up` under the real `pulumi` CLI, timed against one snapshot's time S.

    python benchmarks/engine.py [--seconds 3] [--counts 1,20] [--parallel default,64]

Each row: a fresh emulator (snapshots take S seconds), a fresh stack, one `pulumi up --skip-preview` creating N
snapshots on up to 5 servers, then `pulumi destroy`. Printed: wall time of the up, wall / S, and the engine's
parallelism. The CLI comes from scripts/pulumi-cli (built once from Go modules). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from _pulumi import TOKEN, project, pulumi_bin  # noqa: E402

from pulumi_vpsorg.emulator import Emulator, serve  # noqa: E402

PROGRAM = textwrap.dedent(
    """
    from pulumi_vpsorg import Snapshot

    for i in range({n}):
        Snapshot(f"s{{i}}", server_id=12345 + i % 5, name=f"fleet-{{i}}")
    """
)


def one(n: int, seconds: float, parallel: str, root: str, cli: str, tools: str) -> float:
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds)
    server = serve(emu)
    try:
        proj = project(f"fleet-{n}-{parallel}", root, cli, tools, program=PROGRAM.format(n=n))
        proj.config("vpsorg:endpoint", server.endpoint)
        proj.config("vpsorg:token", TOKEN, secret=True)
        args = [] if parallel == "default" else ["--parallel", parallel]
        up = proj.up(*args)
        assert len(emu.snapshots()) == n and all(s["status"] == "completed" for s in emu.snapshots())
        proj.run("destroy", "--yes")
        return up.seconds
    finally:
        server.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=3.0, help="S: how long one emulated snapshot takes")
    p.add_argument("--counts", default="1,20", help="numbers of snapshots, comma-separated")
    p.add_argument("--parallel", default="default,64", help="engine --parallel values ('default' = none given)")
    args = p.parse_args()
    cli = pulumi_bin()
    root = tempfile.mkdtemp(prefix="vpsorg-engine-bench-")
    tools = cli
    print(
        f"pulumi CLI {cli}; {os.cpu_count()} CPUs "
        f"(engine default --parallel = 4 x CPUs = {4 * (os.cpu_count() or 1)}); "
        f"Python {platform.python_version()}; S = {args.seconds:g} s"
    )
    print("| N | servers | --parallel | up wall | wall / S |")
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.counts.split(",")):
        for parallel in args.parallel.split(","):
            wall = one(n, args.seconds, parallel, root, cli, tools)
            print(f"| {n} | {min(n, 5)} | {parallel} | {wall:.2f} s | {wall / args.seconds:.2f} x S |", flush=True)


if __name__ == "__main__":
    main()
