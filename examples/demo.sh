#!/usr/bin/env bash
# `make demo`: a scripted rollback against the local emulator, as a CI job would run it.
# Starts the emulator, snapshots a server before a change (waiting, with progress), lists, rolls back, cleans
# up; then the Pulumi part when the pulumi CLI is on PATH. Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
vpsorg emulator --port 0 --snapshot-seconds 4 --restore-seconds 3 --state "$work/emulator.json" \
  >"$work/endpoint" 2>"$work/emulator.log" &
emulator_pid=$!
cleanup() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
export VPSORG_ENDPOINT=$(head -n 1 "$work/endpoint")
export VPSORG_TOKEN=vps_demo_token
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Emulator running at $VPSORG_ENDPOINT"
vpsorg servers

step "1. Before the deploy: snapshot web-server-01 (12345) and wait until it is completed"
snapshot_id=$(vpsorg snapshots create --server 12345 --name pre-deploy-demo \
  --description "before release 42" --json | python -c 'import json, sys; print(json.load(sys.stdin)["id"])')

step "2. The deploy went wrong. The snapshots of the server:"
vpsorg snapshots list --server 12345

step "3. Roll back to the newest completed snapshot (--yes: no terminal in CI); a safety snapshot comes first"
vpsorg rollback --server 12345 --yes

step "4. Changed your mind? Undo the rollback: restore the safety snapshot (with a safety snapshot of its own)"
vpsorg rollback --server 12345 --undo --yes

step "5. Clean up: delete every snapshot of the server"
for id in $(vpsorg snapshots list --server 12345 -q); do vpsorg snapshots delete "$id" --yes; done
vpsorg snapshots list

step "6. The same with Pulumi"
if command -v pulumi >/dev/null 2>&1; then
  export PULUMI_BACKEND_URL="file://$work" PULUMI_CONFIG_PASSPHRASE=demo PULUMI_SKIP_UPDATE_CHECK=1
  (
    cd examples/snapshot-before-upgrade
    pulumi stack init demo --non-interactive
    pulumi config set vpsorg:endpoint "$VPSORG_ENDPOINT"
    pulumi up --yes --skip-preview
    pulumi destroy --yes
    pulumi stack rm demo --yes
  )
else
  cat <<'TXT'
The pulumi CLI is not on PATH, so this part is skipped. With it installed, run against this emulator:
  vpsorg emulator &                                   # prints http://127.0.0.1:8080/api/v1
  cd examples/snapshot-before-upgrade
  mkdir -p .state && export PULUMI_BACKEND_URL=file://$PWD/.state PULUMI_CONFIG_PASSPHRASE=demo VPSORG_TOKEN=vps_demo
  pulumi stack init demo && pulumi config set vpsorg:endpoint http://127.0.0.1:8080/api/v1
  pulumi up --yes && pulumi destroy --yes
TXT
fi
step "Done: the emulator is stopped and nothing is left running."
