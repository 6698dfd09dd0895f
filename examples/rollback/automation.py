"""A scripted rollback with the Pulumi Automation API: restore a server from a snapshot, from a CI job.

    python automation.py --stack prod-rollback --snapshot-id 801 [--rollback-id incident-42]

Needs the `pulumi` CLI on PATH and a token in VPSORG_TOKEN (or `vpsorg:token` in the stack's config).
Each distinct --rollback-id restores once; running it again with the same id does nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from pulumi import automation as auto

HERE = os.path.dirname(os.path.abspath(__file__))


def rollback(stack_name: str, snapshot_id: int, rollback_id: str, endpoint: str | None = None) -> dict:
    stack = auto.create_or_select_stack(stack_name=stack_name, work_dir=HERE)
    stack.set_config("snapshotId", auto.ConfigValue(str(snapshot_id)))
    stack.set_config("rollbackId", auto.ConfigValue(rollback_id))
    if endpoint:
        stack.set_config("vpsorg:endpoint", auto.ConfigValue(endpoint))
    result = stack.up(on_output=print)
    return {k: v.value for k, v in result.outputs.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="rollback")
    parser.add_argument("--snapshot-id", type=int, required=True)
    parser.add_argument("--rollback-id", default=time.strftime("%Y%m%dT%H%M%S"))
    parser.add_argument("--endpoint", default=os.environ.get("VPSORG_ENDPOINT"))
    args = parser.parse_args()
    outputs = rollback(args.stack, args.snapshot_id, args.rollback_id, args.endpoint)
    print(f"server {outputs.get('restored_server')} is {outputs.get('server_status')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
