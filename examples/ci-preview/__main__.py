"""Two servers, one snapshot each: the kind of stack whose changes a pull request previews."""

import pulumi

from pulumi_vpsorg import Snapshot

web = Snapshot("web-nightly", server_id=12345, name="web-nightly", description="nightly web snapshot")
db = Snapshot(
    "db-nightly",
    server_id=12346,
    name="db-nightly",
    description="nightly db snapshot",
    # At 5 snapshots per server, replace by deleting first rather than creating first.
    opts=pulumi.ResourceOptions(delete_before_replace=True),
)

pulumi.export("snapshots", {"web": web.snapshot_id, "db": db.snapshot_id})
