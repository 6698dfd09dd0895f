"""Take a snapshot of a server before a risky change (a kernel upgrade, a migration) and export it."""

import pulumi

from pulumi_vpsorg import Snapshot

config = pulumi.Config()
server_id = config.get_int("serverId") or 12345

snapshot = Snapshot(
    "pre-upgrade",
    server_id=server_id,
    name=config.get("snapshotName") or "pre-upgrade",
    description="Taken by Pulumi before the kernel upgrade",
    wait_timeout="30m",  # create returns once the snapshot is completed, or fails after 30 minutes
)

pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("server_name", snapshot.server_name)
pulumi.export("status", snapshot.status)
pulumi.export("size_mb", snapshot.size_mb)
pulumi.export("created_at", snapshot.created_at)
