"""The SDKs under sdk/ are exactly what schema.json generates, and they compile (tsc; Python)."""

from __future__ import annotations

import os
import subprocess

from _pulumi import REPO


def test_sdks_do_not_drift_from_the_schema_and_compile(cli_bin: str) -> None:
    done = subprocess.run(
        [os.path.join(REPO, "scripts", "sdk"), "check"],
        env={**os.environ, "VPSORG_PULUMI_BIN": cli_bin},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
