"""A fleet `pulumi up` with PULUMI_SKIP_CHECKPOINTS=true, killed mid-way, then a plain `pulumi up`: what is left.

    python benchmarks/kill_trials.py [--trials 12] [--fleet 100/20] [--seconds 5]

Each trial: a fresh emulator (snapshots take S seconds) and stack; `pulumi up --parallel 512` of N snapshots with
checkpoints skipped; SIGKILL to the CLI and every process it started once a chosen number of POSTs has reached the
emulator (trials spread from the first POST to all of them, and past them into the waits); `pulumi cancel` (the
killed CLI's lock on the stack); a plain `pulumi up`. Printed per trial: when it was killed, the snapshots that
exist, duplicates (two of one name on one server), snapshots missing from state, and the second up's wall time.
The end-to-end suite runs three such trials as a test (`make e2e`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from _pulumi import TOKEN, project, pulumi_bin  # noqa: E402

from pulumi_vpsorg.emulator import Emulator, serve  # noqa: E402

PROGRAM = textwrap.dedent(
    """
    from pulumi_vpsorg import Snapshot

    for i in range({n}):
        Snapshot(f"s{{i}}", server_id=12345 + i % {servers}, name=f"fleet-{{i}}")
    """
)


def trial(i: int, n: int, servers: int, seconds: float, posts: int, extra: float, root: str, cli: str) -> list[str]:
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, servers=max(servers, 6))
    server = serve(emu)
    try:
        proj = project(f"killed-{i}", root, cli, cli, program=PROGRAM.format(n=n, servers=servers))
        proj.config("vpsorg:endpoint", server.endpoint)
        proj.config("vpsorg:token", TOKEN, secret=True)
        reached: dict[str, float] = {}

        def when() -> bool:
            if len(emu.requests("POST", "/api/v1/snapshots/")) < posts:
                return False
            return time.monotonic() - reached.setdefault("at", time.monotonic()) >= extra

        proj.kill_mid_up(when, "--parallel", "512", env={"PULUMI_SKIP_CHECKPOINTS": "true"})
        killed_with = len(emu.requests("POST", "/api/v1/snapshots/"))
        proj.run("cancel", "--yes")
        again = proj.up("--parallel", "512", timeout=1800)
        made = emu.snapshots()
        twice = sum(c - 1 for c in Counter((s["server"]["id"], s["name"]) for s in made).values() if c > 1)
        in_state = {r["outputs"].get("snapshot_id") for r in proj.resources(":Snapshot")}
        missing = sum(1 for k in range(n) if f"fleet-{k}" not in {s["name"] for s in made}) + len(
            {s["id"] for s in made} - in_state
        )
        proj.run("destroy", "--yes", "--parallel", "512", timeout=1800)
        point = f"{killed_with} POSTs" + (f" + {extra:.1f} s" if extra else "")
        return [str(i + 1), point, str(len(made)), str(twice), str(missing), f"{again.seconds:.1f} s"]
    finally:
        server.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trials", type=int, default=12)
    p.add_argument("--fleet", default="100/20", help="N/servers")
    p.add_argument("--seconds", type=float, default=5.0, help="S: how long one emulated snapshot takes")
    args = p.parse_args()
    n, servers = (int(x) for x in args.fleet.split("/"))
    cli = pulumi_bin()
    root = tempfile.mkdtemp(prefix="vpsorg-kill-trials-")
    print(f"command: python benchmarks/kill_trials.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"\n{args.trials} trials, {n} snapshots on {servers} servers, S = {args.seconds:g} s\n")
    print("| trial | killed after | snapshots | duplicates | missing from state | next up |")
    print("|---|---|---|---|---|---|")
    totals = Counter[str]()
    for i in range(args.trials):
        spread = i / max(1, args.trials - 1)  # from the first POST to all of them, then into the waits
        posts = max(1, min(n, round(spread * n * 1.2)))
        extra = 0.0 if spread * 1.2 <= 1 else args.seconds * (spread * 1.2 - 1) * 3
        row = trial(i, n, servers, args.seconds, posts, extra, root, cli)
        totals.update(duplicates=int(row[3]), missing=int(row[4]))
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nin all: {totals['duplicates']} duplicates, {totals['missing']} snapshots missing from state")


if __name__ == "__main__":
    main()
