"""A nightly snapshot of one server: each new `night` takes one, the newest `keep` are kept."""

import pulumi

from pulumi_vpsorg import SnapshotSeries

config = pulumi.Config()
nightly = SnapshotSeries(
    "nightly",
    server_id=config.require_int("serverId"),
    name_prefix="nightly",
    keep=config.get_int("keep") or 3,
    triggers=[config.require("night")],
)
pulumi.export("latest", nightly.latest_snapshot_id)
