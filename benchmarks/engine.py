"""Fleets in one `pulumi up` under the real `pulumi` CLI and Python language host, timed against one snapshot's S.

    python benchmarks/engine.py [--seconds 30,120] [--fleet 500/100] [--parallel 512] [--budgets default,off]
                                [--checkpoints off,on] [--rate-limit N] [--front-doors dynamic,native]

Each row: a fresh emulator on loopback (snapshots take S seconds; with ``--rate-limit N`` it answers 429 beyond N
requests a second), a fresh stack in a file backend, one `pulumi up --skip-preview --parallel P` creating N
snapshots on the given number of servers, then `pulumi refresh --yes` and `pulumi destroy --yes` at the same
parallelism and with the same checkpoints. Printed per row: the wall time of the up and wall / S; the API calls it
made; the CPU of every process it started (the CLI, the language host, the program, the provider host); the peak RSS
of the provider host; the 429s; and the wall time, API calls and CPU of the refresh and of the destroy.
`checkpoints off` runs them all with PULUMI_SKIP_CHECKPOINTS=true (see docs/fleets.md for why that is safe with
this provider); `budget off` sets
vpsorg:maxRequestsPerSecond to 0 (unpaced), `default` leaves it unset (adaptive). Front door `dynamic` is a Python
program of dynamic resources; `native` a YAML program of `vpsorg:index:Snapshot`s served by the native plugin
(installed with `vpsorg plugin install`). The CLI and its language hosts come from scripts/pulumi-cli. Prints
figures; asserts nothing but that every snapshot was made, once.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import textwrap
import threading
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from _pulumi import TOKEN, native_project, project, pulumi_bin  # noqa: E402

from pulumi_vpsorg.emulator import Emulator, serve  # noqa: E402

PROGRAM = textwrap.dedent(
    """
    from pulumi_vpsorg import Snapshot

    for i in range({n}):
        Snapshot(f"s{{i}}", server_id=12345 + i % {servers}, name=f"fleet-{{i}}")
    """
)


def yaml_program(name: str, n: int, servers: int) -> str:
    each = "  s{i}:\n    type: vpsorg:index:Snapshot\n    properties: {{serverId: {server}, name: fleet-{i}}}\n"
    resources = "".join(each.format(i=i, server=12345 + i % servers) for i in range(n))
    return f"name: {name}\nruntime: yaml\nresources:\n{resources}"


class ProviderRSS:
    """The peak resident memory of the provider process (the dynamic provider host, or the native plugin), sampled
    from /proc while the up runs."""

    def __init__(self, marker: bytes) -> None:
        self.marker = marker
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for pid in (p for p in os.listdir("/proc") if p.isdigit()):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        if self.marker not in f.read():
                            continue
                    with open(f"/proc/{pid}/status") as f:
                        rss = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
                    self.peak_mb = max(self.peak_mb, rss / 1024)
                except (OSError, StopIteration, ValueError):
                    continue

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def one(
    n: int,
    servers: int,
    seconds: float,
    parallel: str,
    budget: str,
    checkpoints: str,
    root: str,
    cli: str,
    rate_limit: float | None = None,
    front_door: str = "dynamic",
) -> dict[str, Any]:
    emu = Emulator(token=TOKEN, snapshot_seconds=seconds, servers=max(servers, 6), rate_limit=rate_limit)
    server = serve(emu)
    try:
        name = f"fleet-{n}-{seconds:g}-{budget}-{checkpoints}-{front_door}-{len(os.listdir(root))}"
        if front_door == "native":
            proj = native_project(name, root, cli, {"Pulumi.yaml": yaml_program(name, n, servers)})
        else:
            proj = project(name, root, cli, cli, program=PROGRAM.format(n=n, servers=servers))
        proj.config("vpsorg:endpoint", server.endpoint)
        proj.config("vpsorg:token", TOKEN, secret=True)
        if budget == "off":
            proj.config("vpsorg:maxRequestsPerSecond", "0")
        env = {"PULUMI_SKIP_CHECKPOINTS": "true"} if checkpoints == "off" else {}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.time()  # the emulator's log is stamped with time.time()
        rss = ProviderRSS(b"pulumi_vpsorg.native" if front_door == "native" else b"pulumi.dynamic")
        up = proj.up("--parallel", parallel, env=env, timeout=3600)
        peak = rss.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        made = emu.snapshots()
        assert len(made) == n and len({(s["server"]["id"], s["name"]) for s in made}) == n
        calls = len(emu.log)
        refused = sum(1 for r in emu.log if r["status"] == 429)
        first_post = min(r["t"] for r in emu.log if r["method"] == "POST") - began
        last_done = max(s["ready_at"] for s in made) - began
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        then = {step: timed(proj, emu, step, parallel, env) for step in ("refresh", "destroy")}
        assert emu.snapshots() == []
        return {
            **{f"{step} {k}": v for step, figures in then.items() for k, v in figures.items()},
            "wall": up.seconds,
            "calls": calls,
            "cpu": cpu,
            "rss": peak,
            "refused": refused,
            "first_post": first_post,
            "tail": up.seconds - last_done,
        }
    finally:
        server.close()


def timed(proj: Any, emu: Emulator, step: str, parallel: str, env: dict[str, str]) -> dict[str, float]:
    """`pulumi <step> --yes`: its wall time, the API calls it made, the CPU of every process it started."""
    calls = len(emu.log)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = proj.run(step, "--yes", "--parallel", parallel, env=env, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": ran.seconds, "calls": len(emu.log) - calls, "cpu": cpu}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", default="30,120", help="values of S, comma-separated")
    p.add_argument("--fleet", default="500/100", help="N/servers, comma-separated")
    p.add_argument("--parallel", default="512", help="the engine's --parallel")
    p.add_argument("--budgets", default="default,off", help="default (adaptive) and/or off (unpaced)")
    p.add_argument("--checkpoints", default="off,on", help="off (PULUMI_SKIP_CHECKPOINTS=true) and/or on")
    p.add_argument("--rate-limit", type=float, help="the emulator answers 429 beyond this many requests a second")
    p.add_argument("--front-doors", default="dynamic", help="dynamic (Python program) and/or native (YAML, plugin)")
    args = p.parse_args()
    cli = pulumi_bin()
    root = tempfile.mkdtemp(prefix="vpsorg-engine-bench-")
    started = time.monotonic()
    print(f"pulumi CLI {cli}; {os.cpu_count()} CPUs; Python {platform.python_version()}; {platform.platform()}")
    print(f"command: python benchmarks/engine.py {' '.join(sys.argv[1:])}".rstrip())
    print()
    columns = ["front door", "N / servers", "S", "--parallel", "checkpoints", "budget", "up wall", "wall / S"]
    columns += ["API calls"]
    columns += ["CPU, all processes", "provider host peak RSS", "429s", "first POST after", "last done to end"]
    columns += [f"{step} {what}" for step in ("refresh", "destroy") for what in ("wall", "API calls", "CPU")]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for fleet in args.fleet.split(","):
        n, servers = (int(x) for x in fleet.split("/"))
        for seconds in (float(x) for x in args.seconds.split(",")):
            for checkpoints in args.checkpoints.split(","):
                for budget, door in ((b, d) for b in args.budgets.split(",") for d in args.front_doors.split(",")):
                    r = one(n, servers, seconds, args.parallel, budget, checkpoints, root, cli, args.rate_limit, door)
                    print(
                        f"| {door} | {n} / {servers} | {seconds:g} s | {args.parallel} | {checkpoints} | {budget} "
                        f"| {r['wall']:.1f} s | {r['wall'] / seconds:.2f} | {r['calls']} | {r['cpu']:.1f} s "
                        f"| {r['rss']:.0f} MB | {r['refused']} | {r['first_post']:.1f} s | {r['tail']:.1f} s "
                        + "".join(
                            f"| {r[f'{step} wall']:.1f} s | {r[f'{step} calls']} | {r[f'{step} cpu']:.1f} s "
                            for step in ("refresh", "destroy")
                        )
                        + "|",
                        flush=True,
                    )
    print(f"\n(total {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
