"""Fleet benchmarks: many snapshots on many servers, through `python -m pulumi.dynamic` as the engine drives it,
against the emulator. Prints tables and draws benchmarks/results/fleet.png; `make bench` runs it after run.py.
Every figure is measured in this run, except the rows that say they are computed from the poll schedule.

    python benchmarks/fleet.py [--seconds 3,10] [--naive-seconds 3] [--repeat 4] [--chart benchmarks/results/fleet.png]

Each fleet row is one deployment: a fresh emulator (each snapshot takes S seconds) and a fresh provider host, all
N creates sent at once (as `--parallel` >= N would), requests unpaced (VPSORG_MAX_RPS=0) unless the row says.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import TOKEN, ProviderHost, Run, U, machine, naive_provider, ours_provider, table  # noqa: E402

from pulumi_vpsorg.wait import default_poll_interval  # noqa: E402

FLEETS = [(20, 5), (100, 20), (500, 100)]
TICK = os.sysconf("SC_CLK_TCK")


class HostStats:
    """Samples a provider host's thread count; reads its peak RSS and CPU seconds from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_threads = 0
        self._stop = threading.Event()
        self._cpu0 = self.cpu()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _status(self, key: str) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith(key + ":")))

    def cpu(self) -> float:
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_threads = max(self.peak_threads, self._status("Threads"))

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        return {"threads": self.peak_threads, "rss_mb": self._status("VmHWM") / 1024, "cpu": self.cpu() - self._cpu0}


def at_once(calls: list[Callable[[], Any]]) -> tuple[float, list[Any], int]:
    """Run calls at once; returns the wall time, the results (in call order) and how many failed."""
    results: list[Any] = [None] * len(calls)
    failed = [0]
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            results[i] = calls[i]()
        except Exception:  # a failed operation is counted, and must be 0
            with lock:
                failed[0] += 1

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start, results, failed[0]


def fleet(provider: str, n: int, servers: int, s: float, **kw: Any) -> dict[str, Any]:
    run = Run(provider, s, servers, naive=kw.pop("naive", False), **kw)
    try:
        stats = HostStats(run.host.proc.pid)
        todo = [run.props(12345 + i % servers, f"bench-{i}") for i in range(n)]
        wall, results, failed = at_once([lambda p=p: run.host.create(U, p, timeout=900) for p in todo])
        figures = stats.stop()
        statuses = [r.get("status") for r in run.emu.log]
        posts = [r["t"] for r in run.emu.log if r["method"] == "POST"]
        return dict(
            figures,
            n=n,
            servers=servers,
            s=s,
            wall=wall,
            calls=len(run.emu.log),
            lists=run.lists(),
            failed=failed,
            throttled=statuses.count(429),
            created=results,
            endpoint=run.server.endpoint,
            run=run,
            posting=max(posts) - min(posts),
        )
    except BaseException:
        run.close()
        raise


def row(r: dict[str, Any]) -> list[Any]:
    return [
        f"{r['n']}/{r['servers']}",
        f"{r['s']:g} s",
        f"{r['wall']:.1f} s",
        f"{r['wall'] / r['s']:.2f}",
        f"{r['posting']:.1f} s",
        r["calls"],
        f"{r['lists'] / r['servers']:.1f}",
        r["threads"],
        f"{r['rss_mb']:.0f} MB",
        f"{r['cpu']:.1f} s",
        f"{r['cpu'] / r['n'] * 1000:.0f} ms",
        r["failed"],
    ]


HEADERS = [
    "N/servers",
    "S",
    "wall",
    "wall / S",
    "first to last POST",
    "API calls",
    "list calls / server",
    "host peak threads",
    "host peak RSS",
    "host CPU",
    "CPU / snapshot",
    "failed",
]


def spread(provider: str, s: float, repeat: int, first: dict[str, Any]) -> None:
    """The largest fleet at the longest S, ``repeat`` more times: how much one row of F1 varies between runs."""
    n, servers = FLEETS[-1]
    runs = [first]
    for _ in range(repeat):
        r = fleet(provider, n, servers, s)
        r["run"].close()
        runs.append(r)
    ratios = sorted(r["wall"] / s for r in runs)
    table(
        f"F1b. {n}/{servers} at S = {s:g} s, the F1 run and {repeat} more (median {statistics.median(ratios):.2f}, "
        f"{ratios[0]:.2f} to {ratios[-1]:.2f})",
        ["run", "wall / S", "first to last POST", "API calls", "host CPU", "failed"],
        [
            [i + 1, f"{r['wall'] / s:.2f}", f"{r['posting']:.1f} s", r["calls"], f"{r['cpu']:.1f} s", r["failed"]]
            for i, r in enumerate(runs)
        ],
    )


def refresh(r: dict[str, Any], parallel: int) -> list[Any]:
    """Reads of every created snapshot in state order (bench-0, bench-1, ...), ``parallel`` at a time."""
    host = ProviderHost({"VPSORG_TOKEN": TOKEN, "VPSORG_ENDPOINT": r["endpoint"], "VPSORG_MAX_RPS": "0"})
    try:
        host.configure({})
        emu = r["run"].emu
        before = len(emu.requests("GET", "/api/v1/snapshots/"))
        todo = list(r["created"])
        lock = threading.Lock()
        gone = [0]

        def reader() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    id_, outs = todo.pop(0)
                rid, _ = host.read(U, id_, outs)
                if rid != id_:
                    with lock:
                        gone[0] += 1

        wall, _, failed = at_once([reader] * parallel)
        lists = len(emu.requests("GET", "/api/v1/snapshots/")) - before
        return [f"{r['n']}/{r['servers']}", parallel, lists, f"{wall:.2f} s", gone[0], failed]
    finally:
        host.close()


def schedule_rows() -> list[list[Any]]:
    rows = []
    for minutes in (1, 3, 5, 10):
        seconds = minutes * 60.0
        t, polls, gap = default_poll_interval(0), 1, default_poll_interval(0)
        while t < seconds:
            gap = default_poll_interval(t)
            t, polls = t + gap, polls + 1
        rows.append([f"{minutes} min", polls, polls + 1, f"{gap:.0f} s", math.ceil(seconds / 15), "15 s"])
    return rows


def chart(path: str, ours: dict[float, list[dict[str, Any]]], naive: list[dict[str, Any]]) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "NO CHART: matplotlib is not installed (`pip install -e '.[bench]'`, as `make bench` does)"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for s, rows in sorted(ours.items()):
        ns = [r["n"] for r in rows]
        left.plot(ns, [r["wall"] / r["s"] for r in rows], "o-", label=f"pulumi-vpsorg, S = {s:g} s")
        right.plot(ns, [r["calls"] for r in rows], "o-", label=f"pulumi-vpsorg, S = {s:g} s")
    if naive:
        ns = [r["n"] for r in naive]
        left.plot(ns, [r["wall"] / r["s"] for r in naive], "s--", label=f"naive provider, S = {naive[0]['s']:g} s")
        right.plot(ns, [r["calls"] for r in naive], "s--", label=f"naive provider, S = {naive[0]['s']:g} s")
    left.set(ylabel="wall time / S (log)", title="Time for a fleet")
    right.set(ylabel="API requests (log)", title="Requests")
    ns = [n for n, _ in FLEETS]
    for ax in (left, right):
        ax.set(xlabel="snapshots N (on N/5 servers)", xscale="log", yscale="log")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Snapshots created at once through python -m pulumi.dynamic, on the emulator (make bench)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path, dpi=110)
    return f"chart: {path}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", default="3,10", help="snapshot durations S for our rows (default 3,10)")
    parser.add_argument("--naive-seconds", type=float, default=3.0, help="S for the naive rows; 0 skips them")
    parser.add_argument("--repeat", type=int, default=4, help="runs of the largest fleet again, to show its spread")
    parser.add_argument("--chart", default=os.path.join(HERE, "results", "fleet.png"))
    args = parser.parse_args()
    print(
        f"# pulumi-vpsorg fleet benchmarks\n\nmachine: {machine()}\ncommand: python benchmarks/fleet.py "
        f"--seconds {args.seconds} --naive-seconds {args.naive_seconds:g} --repeat {args.repeat}"
    )
    started = time.monotonic()
    ours_p, naive_p = ours_provider(), naive_provider()
    ours: dict[float, list[dict[str, Any]]] = {}
    refreshes = []
    for s in (float(x) for x in args.seconds.split(",")):
        for n, servers in FLEETS:
            r = fleet(ours_p, n, servers, s)
            ours.setdefault(s, []).append(r)
            if n == 500 and s == min(ours):
                refreshes += [refresh(r, 8), refresh(r, 1)]
            r["run"].close()
    table("F1. Fleets created at once, ours (one run each)", HEADERS, [row(r) for rows in ours.values() for r in rows])
    if args.repeat:
        spread(ours_p, max(ours), args.repeat, ours[max(ours)][-1])
    naive = []
    if args.naive_seconds:
        for n, servers in FLEETS:
            r = fleet(naive_p, n, servers, args.naive_seconds, naive=True)
            r["run"].close()
            naive.append(r)
        table(
            "F2. The same fleets, naive provider (polls every 3 s, 4-call host pool)", HEADERS, [row(r) for r in naive]
        )
    table(
        "F3. Refresh of the 500 snapshots on 100 servers in a new provider host, reads in state order",
        ["N/servers", "reads at once", "list calls", "wall", "dropped", "failed"],
        refreshes,
    )
    budgets = [("", "adaptive (default)"), ("50", "adaptive, at most 50/s"), ("10", "adaptive, at most 10/s")]
    limited = [fleet(ours_p, 100, 20, 3.0, rate_limit=10, max_rps=rps) for rps, _ in budgets]
    for r in limited:
        r["run"].close()
    table(
        "F4. 100 snapshots on 20 servers, S = 3 s, the emulator answering 429 (Retry-After: 1) beyond 10 requests/s",
        ["budget (VPSORG_MAX_RPS)", "wall", "wall / S", "API calls", "429s seen", "failed"],
        [
            [name, f"{r['wall']:.1f} s", f"{r['wall'] / r['s']:.2f}", r["calls"], r["throttled"], r["failed"]]
            for (_, name), r in zip(budgets, limited, strict=True)
        ],
    )
    table(
        "F5. One snapshot per server: list calls per server and worst detection delay (computed from the schedule)",
        [
            "snapshot takes",
            "ours: polls",
            "ours: with the look-up (the check reads the last poll)",
            "ours: worst delay",
            "15 s fixed waiter: polls",
            "its worst delay",
        ],
        schedule_rows(),
    )
    unknown = [fleet(ours_p, 500, 100, 3.0, rate_limit=limit, max_rps="") for limit in (30, 100)]
    for r in unknown:
        r["run"].close()
    table(
        "F6. 500 snapshots on 100 servers, S = 3 s, default budget, against a limit it is not told (429 beyond it)",
        ["the emulator's limit", "wall", "first to last POST", "API calls", "429s seen", "failed"],
        [
            [f"{limit}/s", f"{r['wall']:.1f} s", f"{r['posting']:.1f} s", r["calls"], r["throttled"], r["failed"]]
            for limit, r in zip((30, 100), unknown, strict=True)
        ],
    )
    print("\n" + chart(args.chart, ours, naive))
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
