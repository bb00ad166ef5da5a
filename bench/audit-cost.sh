#!/usr/bin/env bash
# What the audit trail costs Encrypt: Trent as built, against the
# benchmark-only build whose reads and cryptographic operations discard their
# audit events (cargo feature bench-discard-audit, never in a normal build).
# Same machine, same run, alternating rounds; the server is pinned to one
# core and `trent bench` to the other. Prints each round and the medians.
#
# Usage: bench/audit-cost.sh [ROUNDS] [SECONDS] [AUDITED DISCARD]
#        (defaults: 3 rounds of 6 s; OP=encrypt SIZE=100 CONCURRENCY=32).
#        AUDITED and DISCARD are two release binaries built already (the
#        second with the feature); without them the script builds both.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-6}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
if [ $# -ge 4 ]; then
    cp "$3" "$work/trent-audited"
    cp "$4" "$work/trent-discard"
else
    cargo build --quiet --release --locked -p trent-cli
    cp target/release/trent "$work/trent-audited"
    cargo build --quiet --release --locked -p trent-cli --features bench-discard-audit
    cp target/release/trent "$work/trent-discard"
    # Leave target/release/trent the normal build (both are cached: no rebuild).
    cargo build --quiet --release --locked -p trent-cli
fi
TRENT=$work/trent-audited
. bench/lib.sh

POINT=(--op "${OP:-encrypt}" --size "${SIZE:-100}" --concurrency "${CONCURRENCY:-32}" --duration "$SECS" --warmup 1)
start_variant() { start_server -- "$work/trent-$1" --data-dir "$work/data-$2-$1"; }
alternate audited discard
