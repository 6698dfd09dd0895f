"""Checked by `make lint` (mypy --strict): required inputs are required to type checkers.

Each wrong call carries an ignore for the error it must raise; if the error went away, strict mode's
warn_unused_ignores would fail the lint.
"""

from pulumi_vpsorg import Snapshot, SnapshotArgs, SnapshotRestore, SnapshotRestoreArgs

Snapshot("no-inputs")  # type: ignore[call-overload]
Snapshot("no-name", server_id=12345)  # type: ignore[call-overload]
Snapshot("keywords", server_id=12345, name="pre-upgrade", description="d", wait_timeout="30m")
Snapshot("args", SnapshotArgs(server_id=12345, name="pre-upgrade"))
SnapshotRestore("no-snapshot")  # type: ignore[call-overload]
SnapshotRestore("keywords", snapshot_id=801, triggers=["r1"], wait=True, wait_timeout="30m")
SnapshotRestore("args", SnapshotRestoreArgs(snapshot_id=801))
Snapshot.get("known", "801")
