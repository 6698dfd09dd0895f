"""examples/nightly-stacks under the real engine: the Automation API runs one stack per server at once against one
account; each night takes one snapshot per server, a night already taken takes nothing. Prints what a batch cost."""

from __future__ import annotations

import os
import subprocess
import sys

from _pulumi import TOKEN

SERVERS = [12345 + i for i in range(6)]


def _posts(live) -> int:
    return len(live.calls("POST", "/api/v1/snapshots/"))


def test_six_stacks_at_once_one_snapshot_each_per_night(live, make_project):
    proj = make_project("nightly-stacks", endpoint=None, token=None)

    def night(date: str) -> str:
        proc = subprocess.run(
            [
                sys.executable,
                os.path.join(proj.dir, "automation.py"),
                "--servers",
                ",".join(map(str, SERVERS)),
                "--night",
                date,
                "--parallel",
                "6",
                "--endpoint",
                live.endpoint,
            ],
            env={**proj.env, "VPSORG_TOKEN": TOKEN},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        print(proc.stdout)  # the figures: seconds per stack, the batch's wall and CPU
        return proc.stdout

    out = night("2026-12-07")
    assert _posts(live) == len(SERVERS) and "6 stacks, 6 at once" in out and "0 failed" in out
    assert TOKEN not in out
    night("2026-12-07")
    assert _posts(live) == len(SERVERS)  # the same night again: nothing taken
    night("2026-12-08")
    assert _posts(live) == 2 * len(SERVERS)
    for server in SERVERS:
        assert len([s for s in live.emu.snapshots() if s["server"]["id"] == server]) == 2  # keep 3: both kept
