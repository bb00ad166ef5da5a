#!/usr/bin/env bash
# Instructions a request costs the server, counted by callgrind: the same
# figure for the same binary and load whatever else the machine is doing,
# so a change to the request path can be measured here when the wall-clock
# benchmarks are within their noise. Each build serves under valgrind; after
# a warm-up the counters are zeroed, wrk (4 connections) replays requests
# that `trent bench --presign` signed, and the counters are dumped. Prints
# instructions (Ir, every thread) per request for each build, and each
# build's over the first one's. Kernel work (system calls, the network,
# fsync) is not counted: read it beside bench/ab-cpu.sh.
#
# Usage: bench/instructions.sh BINARY... (OP=encrypt SIZE=100 SECS=15;
#        KEEP=DIR keeps each build's callgrind file there, for
#        `callgrind_annotate --inclusive=yes FILE`)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,14p "$0" >&2; exit 2; }
for tool in valgrind callgrind_control wrk; do
    command -v "$tool" >/dev/null || { echo "instructions.sh needs $tool (apt-get install valgrind wrk)" >&2; exit 1; }
done
OP=${OP:-encrypt} SIZE=${SIZE:-100} SECS=${SECS:-15}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
TRENT=$1
. bench/lib.sh
first=
for bin in "$@"; do
    run=$work/run-$RANDOM
    mkdir -p "$run"
    valgrind --tool=callgrind --callgrind-out-file="$run/callgrind.%p" \
        "$bin" serve --listen "127.0.0.1:$port" --data-dir "$run/data" >"$run/valgrind.log" 2>&1 &
    vg=$!
    for _ in $(seq 600); do curl -s -o /dev/null "$endpoint/" && break; sleep 0.1; done
    "$TRENT" bench --endpoint "$endpoint" --op "$OP" --size "$SIZE" --presign "$run/requests" --requests 1000 2>/dev/null
    wrk -t1 -c4 -d3s -s bench/wrk-replay.lua "$endpoint" -- "$run/requests" >/dev/null
    callgrind_control --zero "$vg" >/dev/null 2>&1
    out=$(wrk -t1 -c4 -d"${SECS}s" -s bench/wrk-replay.lua "$endpoint" -- "$run/requests" | tail -1)
    callgrind_control --dump "$vg" >/dev/null 2>&1
    kill "$vg"
    wait "$vg" 2>/dev/null || true
    dump=$(ls "$run"/callgrind.*.1)
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
    requests=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$out")
    per=$((ir / requests))
    first=${first:-$per}
    [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$dump" "$KEEP/callgrind.$(basename "$bin").$OP"
    echo "$bin $OP: $requests requests, $per instructions a request, $(python3 -c "print(f'{$per / $first:.2f}')") of the first"
done
