"""Benchmarks of pulumi-vpsorg against the emulator, driven through `python -m pulumi.dynamic` as the engine
drives it. Prints tables; `make bench` runs it. Every figure is measured in this run, except where a row says
it is computed from the poll schedule.

    python benchmarks/run.py [--runs 3] [--seconds 3]
"""

from __future__ import annotations

import argparse
import base64
import importlib.metadata
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import dill
import httpx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)

from _engine import SNAPSHOT_TYPE, ProviderHost, run_program, urn  # noqa: E402
from naive_provider import POLL_SECONDS, NaiveProvider  # noqa: E402

from pulumi_vpsorg import Client, Snapshot  # noqa: E402
from pulumi_vpsorg.emulator import Emulator, serve  # noqa: E402
from pulumi_vpsorg.wait import default_poll_interval  # noqa: E402

TOKEN = "vps_bench"
U = urn(SNAPSHOT_TYPE, "bench")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{platform.platform()}; {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"pulumi {importlib.metadata.version('pulumi')}"
    )


def table(title: str, headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(headers, *cells, strict=False)]
    print(f"\n## {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + " |")
    sys.stdout.flush()


def ours_provider() -> str:
    recorder = run_program(lambda: Snapshot("s", server_id=1, name="n"))
    return recorder.resources[0].inputs["__provider"]


def naive_provider() -> str:
    return base64.b64encode(dill.dumps(NaiveProvider(), recurse=True)).decode()


class Run:
    """One deployment: a fresh emulator and a fresh provider host, as one `pulumi up` would have."""

    def __init__(
        self,
        provider: str,
        seconds: float,
        servers: int,
        naive: bool = False,
        *,
        max_rps: str = "0",
        rate_limit: float | None = None,
    ) -> None:
        self.provider = provider
        self.emu = Emulator(token=TOKEN, snapshot_seconds=seconds, servers=servers, rate_limit=rate_limit)
        self.server = serve(self.emu)
        # Unpaced unless a row says otherwise: the emulator has no rate limit, and the naive provider no budget.
        env = {"VPSORG_TOKEN": TOKEN, "VPSORG_ENDPOINT": self.server.endpoint, "VPSORG_MAX_RPS": max_rps}
        if naive:
            env["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
        self.host = ProviderHost(env)
        self.host.configure({})
        # As in `pulumi up`, the engine checks resources before creating them; the first call loads the provider
        # into the host (a once-per-deployment cost, reported in table 4, not in the create timings).
        start = time.monotonic()
        self.host.check(U, {}, self.props(12345, "warm-up"))
        self.load_seconds = time.monotonic() - start

    def close(self) -> None:
        self.host.close()
        self.server.close()

    def props(self, server_id: int, name: str) -> dict[str, Any]:
        return {"__provider": self.provider, "server_id": server_id, "name": name}

    def concurrently(self, calls: list[Callable[[], Any]]) -> tuple[float, list[tuple[Any, float]]]:
        """Run calls at once, as the engine does; returns the wall time and (result, end time) of each."""
        results: list[tuple[Any, float]] = []
        lock = threading.Lock()

        def one(call: Callable[[], Any]) -> None:
            out = call()
            with lock:
                results.append((out, time.time()))

        threads = [threading.Thread(target=one, args=(c,)) for c in calls]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.monotonic() - start, results

    def create_many(self, n: int, servers: int) -> tuple[float, list[tuple[Any, float]]]:
        todo = [self.props(12345 + i % servers, f"bench-{i}") for i in range(n)]
        return self.concurrently([lambda p=p: self.host.create(U, p, timeout=600) for p in todo])

    def lists(self) -> int:
        return len(self.emu.requests("GET", "/api/v1/snapshots/"))


def bench_many(args: argparse.Namespace, ours: str, naive: str) -> dict[str, Any]:
    s, servers = args.seconds, 5
    rows, calls_rows, latencies, refresh = [], [], [], []
    for n in (1, 4, 16, 20):
        walls: dict[str, list[float]] = {"ours": [], "naive": []}
        lists: dict[str, list[float]] = {"ours": [], "naive": []}
        for _ in range(args.runs):
            for kind, provider in (("ours", ours), ("naive", naive)):
                run = Run(provider, s, servers, naive=kind == "naive")
                try:
                    wall, results = run.create_many(n, servers)
                    walls[kind].append(wall)
                    lists[kind].append(run.lists() / n)
                    if kind == "ours":
                        ready = {str(x["id"]): x["ready_at"] for x in run.emu.snapshots()}
                        latencies.extend(end - ready[id_] for (id_, _), end in results)
                        if n == 20:
                            refresh.append(bench_refresh(run, results))
                finally:
                    run.close()
        mo, mn = statistics.median(walls["ours"]), statistics.median(walls["naive"])
        rows.append([n, f"{mo:.2f} s", f"{mo / s:.2f} x S", f"{mn:.2f} s", f"{mn / s:.2f} x S", f"{mn / mo:.1f}x"])
        calls_rows.append([n, f"{statistics.median(lists['ours']):.2f}", f"{statistics.median(lists['naive']):.2f}"])
    table(
        f"1. N snapshots on {servers} servers created at once, each taking S = {s:g} s (median of {args.runs} runs)",
        ["N", "ours", "ours / S", f"naive (polls every {POLL_SECONDS:g} s, 4-call pool)", "naive / S", "speed-up"],
        rows,
    )
    table("2a. List calls per snapshot during those creates (median)", ["N", "ours", "naive"], calls_rows)
    table(
        f"2b. Refresh of 20 snapshots on {servers} servers in a new provider host (each run)",
        ["run", "list calls", "wall"],
        [[i + 1, c, f"{w:.2f} s"] for i, (c, w) in enumerate(refresh)],
    )
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, math.ceil(q * len(latencies)) - 1)]  # noqa: E731
    table(
        f"3. Detection latency: emulator marks a snapshot completed -> create returns ({len(latencies)} "
        f"snapshots, S = {s:g} s)",
        ["p50", "p95", "max"],
        [[f"{p(0.5):.3f} s", f"{p(0.95):.3f} s", f"{latencies[-1]:.3f} s"]],
    )
    bound = [[f"{t:g} s", f"{default_poll_interval(t):.2f} s"] for t in (5, 30, 59, 60, 120, 300, 450, 600, 1800)]
    table(
        "3b. Worst-case detection latency by wait length (computed from the poll schedule, not measured)",
        ["snapshot takes", "at most"],
        bound,
    )
    return {}


def bench_refresh(run: Run, created: list[tuple[Any, float]]) -> tuple[int, float]:
    host = ProviderHost({"VPSORG_TOKEN": TOKEN, "VPSORG_ENDPOINT": run.server.endpoint, "VPSORG_MAX_RPS": "0"})
    try:
        host.configure({})
        before = run.lists()
        wall, _ = run.concurrently([lambda i=i, o=o: host.read(U, i, o) for (i, o), _ in created])
        return run.lists() - before, wall
    finally:
        host.close()


def request_cpu(posts: int = 300) -> tuple[float, float]:
    """CPU seconds one POST /snapshots/ costs the calling thread: through our Client, and through an httpx.Client
    (its own transport, its cookie and redirect layers) sending the same request. Medians of 3 rounds."""
    emu = Emulator(token=TOKEN, snapshot_seconds=600, servers=posts + 1)
    server = serve(emu)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    try:
        with Client(TOKEN, server.endpoint, max_requests_per_second=0) as ours, httpx.Client(headers=headers) as plain:
            sends = [
                lambda i: ours.create_snapshot(12345 + i, f"cpu-{i}"),
                lambda i: plain.post(f"{server.endpoint}/snapshots/", json={"server_id": 12345 + i, "name": f"x{i}"}),
            ]
            figures = []
            for send in sends:
                send(0)  # the connection is opened outside the timing
                rounds = []
                for r in range(3):
                    start = time.thread_time()
                    for i in range(1 + r * 100, 1 + r * 100 + posts // 3):
                        send(i)
                    rounds.append((time.thread_time() - start) / (posts // 3))
                figures.append(statistics.median(rounds))
    finally:
        server.close()
    return figures[0], figures[1]


def bench_overhead(args: argparse.Namespace, ours: str) -> None:
    def timed(code: str) -> float:
        samples = []
        for _ in range(5):
            t = time.monotonic()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples.append(time.monotonic() - t)
        return statistics.median(samples)

    base = timed("pass")
    imp_pulumi = timed("import pulumi") - base
    imp_pkg = timed("import pulumi_vpsorg") - base
    imp_client = timed("import pulumi_vpsorg.client") - base
    imp_all = timed("from pulumi_vpsorg import Snapshot, SnapshotRestore") - base
    run = Run(ours, 1.0, 5)
    try:
        props = [run.props(12345 + i % 5, f"preview-{i}") for i in range(100)]
        start = time.monotonic()
        for p in props:
            inputs, failures = run.host.check(U, {}, p)
            assert not failures
            old = {**inputs, "snapshot_id": 1, "status": "completed"}
            run.host.diff(U, "1", old, {**p, "description": "changed"})
        seq = time.monotonic() - start
        load = run.load_seconds
        wall, _ = run.concurrently(
            [lambda p=p: (run.host.check(U, {}, p), run.host.diff(U, "1", {**p, "snapshot_id": 1}, p)) for p in props]
        )
        api_calls = len(run.emu.log)
    finally:
        run.close()
    ours_cpu, plain_cpu = request_cpu()
    rows = [
        ["import pulumi", f"{imp_pulumi * 1000:.0f} ms"],
        ["import pulumi_vpsorg (the client, models and resources load on first use)", f"{imp_pkg * 1000:.0f} ms"],
        ["import pulumi_vpsorg.client (httpx, pydantic: the CLI, the provider host)", f"{imp_client * 1000:.0f} ms"],
        ["from pulumi_vpsorg import Snapshot, SnapshotRestore", f"{imp_all * 1000:.0f} ms"],
        ["pickled provider in each resource's state", f"{len(ours)} characters (base64)"],
        ["first call in a new provider host (loads the provider; once per deployment)", f"{load * 1000:.0f} ms"],
        ["preview of 100 snapshots: check + diff, one after another", f"{seq * 1000:.0f} ms"],
        ["preview of 100 snapshots: check + diff, all at once", f"{wall * 1000:.0f} ms"],
        ["API calls made by those previews", api_calls],
        ["CPU of one POST /snapshots/ in the calling thread (`Client.create_snapshot`)", f"{ours_cpu * 1000:.2f} ms"],
        ["the same POST through `httpx.Client` with its own transport, for comparison", f"{plain_cpu * 1000:.2f} ms"],
    ]
    table("4. Overhead (median of 5 interpreter starts for imports, less `python -c pass`)", ["what", "figure"], rows)


def bench_growth(args: argparse.Namespace, ours: str) -> None:
    s, servers = args.seconds, 10
    rows = []
    for n in (1, 5, 10, 20, 30, 40, 50):
        walls, calls, lists = [], [], []
        for _ in range(args.runs):
            run = Run(ours, s, servers)
            try:
                wall, _ = run.create_many(n, min(n, servers))
                walls.append(wall)
                calls.append(len(run.emu.log))
                lists.append(run.lists())
            finally:
                run.close()
        w = statistics.median(walls)
        rows.append(
            [
                n,
                min(n, servers),
                f"{w:.2f} s",
                f"{w / s:.2f} x S",
                statistics.median(calls),
                statistics.median(lists),
                f"{statistics.median(lists) / n:.2f}",
            ]
        )
    table(
        f"5. Growth: N snapshots on up to {servers} servers, S = {s:g} s (median of {args.runs} runs)",
        ["N", "servers", "wall", "wall / S", "API calls", "list calls", "list calls per snapshot"],
        rows,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; medians are reported (default 3)")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each emulated snapshot takes")
    parser.add_argument("--only", choices=["many", "overhead", "growth"], help="run one group of tables")
    args = parser.parse_args()
    print(
        f"# pulumi-vpsorg benchmarks\n\nmachine: {machine()}\ncommand: python benchmarks/run.py "
        f"--runs {args.runs} --seconds {args.seconds:g}"
    )
    ours, naive = ours_provider(), naive_provider()
    started = time.monotonic()
    if args.only in (None, "many"):
        bench_many(args, ours, naive)
    if args.only in (None, "overhead"):
        bench_overhead(args, ours)
    if args.only in (None, "growth"):
        bench_growth(args, ours)
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
