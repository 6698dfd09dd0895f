"""``widen_host_pool`` reaches into a private pool of Pulumi's dynamic provider host: it acts only on a host it was
checked against, and this test fails loudly when the installed Pulumi's host is another one."""

from __future__ import annotations

import pulumi.dynamic

from pulumi_vpsorg import _provider


def test_the_installed_pulumi_dynamic_host_is_one_widen_host_pool_was_checked_against():
    fingerprint = _provider.host_fingerprint()
    assert fingerprint in _provider.CHECKED_HOSTS, (
        f"pulumi/dynamic/__main__.py of the installed Pulumi ({pulumi.dynamic.__file__}) is not one widen_host_pool "
        f"was checked against (sha256 {fingerprint}). Read its serve(): if it still serves from "
        "futures.ThreadPoolExecutor(max_workers=4), add the hash to CHECKED_HOSTS in pulumi_vpsorg/_provider.py; "
        "until then the provider host serves 4 calls at a time."
    )


def test_a_pulumi_program_importing_the_resources_loads_no_client():
    """The program only declares resources (the provider host makes the API calls): it starts without httpx,
    pydantic or the client, which cost it about as much as pulumi itself to import (docs/fleets.md)."""
    import subprocess
    import sys

    code = (
        "import sys; from pulumi_vpsorg import Snapshot, SnapshotRestore; "
        "print(sorted(m for m in ('httpx', 'pydantic', 'filelock', 'pulumi_vpsorg.client') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
