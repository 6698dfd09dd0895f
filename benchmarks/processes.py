"""Many processes, one rate limit: independent processes (stacks, CI jobs), each with its own request budget, take
snapshots at once against one emulator that answers 429 + ``Retry-After: 1`` beyond ``--limit`` requests a second.
Nothing is shared between them but the API's answers. Prints, per shape: the requests answered and refused, each
process's share, and the wall time against the ideal (all answered requests at the limit, plus one snapshot's time).

    python benchmarks/processes.py [--processes 1,5] [--limit 10] [--snapshots 12] [--threads 6] [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from pulumi_vpsorg.emulator import Emulator, serve

TOKEN = "vps_bench"

# One process: `snapshots` snapshots on servers of its own, `threads` at a time, each one take_snapshot (look, POST,
# wait, check), as one stack's `pulumi up` would. Prints what it sent and what it was answered, as JSON.
WORKER = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
from pulumi_vpsorg import Client
from pulumi_vpsorg.operations import take_snapshot

endpoint, first, servers, snapshots, threads = sys.argv[1], *map(int, sys.argv[2:6])
statuses = []
api = Client("vps_bench", endpoint)
api._http.event_hooks["response"].append(lambda r: statuses.append(r.status_code))
started = time.monotonic()
with ThreadPoolExecutor(threads) as pool:
    jobs = [pool.submit(take_snapshot, api, first + i % servers, f"p{first}-{i}", timeout=900)
            for i in range(snapshots)]
    failed = sum(1 for j in jobs if j.exception() is not None)
print(json.dumps({"wall": time.monotonic() - started, "answered": sum(s != 429 for s in statuses),
                  "refused": statuses.count(429), "failed": failed}))
"""


def one_shape(processes: int, limit: float, snapshots: int, threads: int, seconds: float) -> dict[str, float]:
    servers = max(5, -(-snapshots // 3))  # per process: three snapshots on each, as a stack's would be spread
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, servers=processes * servers, rate_limit=limit)
    server = serve(emu)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPSORG_")}
    env["VPSORG_LOCK_DIR"] = tempfile.mkdtemp(prefix="vpsorg-bench-locks-")  # private (0700), as the default is
    try:
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    server.endpoint,
                    str(12345 + p * servers),
                    str(servers),
                    str(snapshots),
                    str(threads),
                ],
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            for p in range(processes)
        ]
        results = [json.loads(p.communicate(timeout=1800)[0].strip().splitlines()[-1]) for p in procs]
        wall = time.monotonic() - started
    finally:
        server.close()
        shutil.rmtree(env["VPSORG_LOCK_DIR"], ignore_errors=True)
    answered = sum(r["answered"] for r in results)
    refused = sum(r["refused"] for r in results)
    rates = [r["answered"] / r["wall"] for r in results]
    ideal = answered / limit + seconds
    return {
        "processes": processes,
        "failed": sum(r["failed"] for r in results),
        "answered": answered,
        "refused %": 100 * refused / (answered + refused),
        "share max/min": max(rates) / min(rates),
        "wall s": wall,
        "ideal s": ideal,
        "wall / ideal": wall / ideal,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,5")
    parser.add_argument("--limit", type=float, default=10.0)
    parser.add_argument("--snapshots", type=int, default=12, help="per process")
    parser.add_argument("--threads", type=int, default=6, help="per process")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long a snapshot takes")
    args = parser.parse_args()
    print(
        f"limit {args.limit:g}/s (429 + Retry-After: 1 beyond it), {args.snapshots} snapshots per process, "
        f"{args.threads} at a time, S = {args.seconds:g} s"
    )
    shapes = [int(p) for p in args.processes.split(",")]
    rows = [one_shape(p, args.limit, args.snapshots, args.threads, args.seconds) for p in shapes]
    headers = list(rows[0])
    print(" | ".join(headers))
    for row in rows:
        print(" | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
