"""Roll a server back to a snapshot, driven by stack config.

    pulumi config set snapshotId 801
    pulumi config set rollbackId 2026-11-23-incident-1
    pulumi up        # restores once; another `pulumi up` does nothing
    pulumi config set rollbackId 2026-11-23-incident-2
    pulumi up        # the trigger changed: restores again

Unset `snapshotId` and `pulumi up` removes the restore resource: that sends nothing to VPS.org.
"""

import pulumi

from pulumi_vpsorg import SnapshotRestore

config = pulumi.Config()
snapshot_id = config.get_int("snapshotId")

if snapshot_id is not None:
    rollback = SnapshotRestore(
        "rollback",
        snapshot_id=snapshot_id,
        triggers=[config.get("rollbackId") or "initial"],
        wait=True,
        wait_timeout="1h",  # the safety snapshot (3-10 minutes at VPS.org), then the restore (5-15)
    )
    pulumi.export("restored_server", rollback.server_name)
    pulumi.export("server_status", rollback.server_status)
    pulumi.export("restored_at", rollback.restored_at)
    pulumi.export("safety_snapshot_id", rollback.safety_snapshot_id)  # the way back: restore it to undo
