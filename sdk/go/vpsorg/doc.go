// Manage VPS.org server snapshots: take them before risky changes, restore them on purpose. Served by the plugin `pulumi-resource-vpsorg` (install it with `vpsorg plugin install`); Python programs can instead use the dynamic resources `pulumi_vpsorg.Snapshot`, `pulumi_vpsorg.SnapshotRestore` and `pulumi_vpsorg.SnapshotSeries`, which need no plugin.
package vpsorg
