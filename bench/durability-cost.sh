#!/usr/bin/env bash
# What durability costs Encrypt: Trent as configured (every acknowledged
# request's audit event committed and fsynced, by group commit) against the
# same binary under eatmydata (Debian's libeatmydata: fsync and fdatasync
# return at once, so nothing is durable). Same run, alternating rounds,
# server on core 0, `trent bench` on core 1.
#
# Usage: bench/durability-cost.sh [ROUNDS] [SECONDS]   (defaults 3 and 6;
#        OP=encrypt SIZE=100 CONCURRENCY=32; needs `eatmydata` on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-6}
command -v eatmydata >/dev/null || { echo "needs eatmydata (apt-get install eatmydata)" >&2; exit 1; }
cargo build --quiet --release --locked -p trent-cli
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

POINT=(--op "${OP:-encrypt}" --size "${SIZE:-100}" --concurrency "${CONCURRENCY:-32}" --duration "$SECS" --warmup 1)
start_variant() {
    local prefix=()
    [ "$1" = no-fsync ] && prefix=(eatmydata)
    start_server "${prefix[@]}" -- "$TRENT" --data-dir "$work/data-$2-$1"
}
alternate durable no-fsync
