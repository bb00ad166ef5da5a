#!/usr/bin/env bash
# Two builds of trent side by side in one run: alternating rounds, server on
# core 0, `trent bench` on core 1, medians and B/A. How a change is measured
# against the build before it (copy target/release/trent away first).
#
# Usage: bench/ab.sh A_BINARY B_BINARY [TRENT BENCH ARGS...]
#        (ROUNDS=3; default bench args: --op encrypt --size 100
#        --concurrency 32 --duration 6 --warmup 1; DATA_A=DIR DATA_B=DIR serve
#        existing data directories, e.g. two copies of one large store,
#        instead of a fresh one per round)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,10p "$0" >&2; exit 2; }
A=$1 B=$2
shift 2
ROUNDS=${ROUNDS:-3}
POINT=("$@")
[ ${#POINT[@]} -gt 0 ] || POINT=(--op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
TRENT=$A
. bench/lib.sh

start_variant() {
    local bin=$A dir=${DATA_A:-$work/data-$2-a}
    if [ "$1" = B ]; then bin=$B dir=${DATA_B:-$work/data-$2-b}; fi
    start_server -- "$bin" --data-dir "$dir"
}
alternate B A
