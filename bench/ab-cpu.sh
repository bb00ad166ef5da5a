#!/usr/bin/env bash
# Builds of trent (or the bare-HTTP ceiling) side by side by the measure
# that does not depend on fsync latency or the client: server CPU per
# request. wrk on core 1 replays requests that `trent bench --presign`
# signed just before (bench/wrk-replay.lua), the server runs on core 0 with
# a fresh data directory each round, the builds alternate, and each
# server's CPU comes from /proc/PID/stat over the measured seconds. Prints
# each round, then per build the medians of req/s, p99 and CPU µs a
# request, and each build's CPU per request over the first one's.
#
# Usage: bench/ab-cpu.sh BINARY... (ROUNDS=3 SECS=6 OP=encrypt SIZE=100
#        CONCURRENCY=32; a path containing `http_ceiling` is started as the
#        ceiling, which answers any request the same way)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,13p "$0" >&2; exit 2; }
command -v wrk >/dev/null || { echo "ab-cpu.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
ROUNDS=${ROUNDS:-3} SECS=${SECS:-6} OP=${OP:-encrypt} SIZE=${SIZE:-100} CONCURRENCY=${CONCURRENCY:-32}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# The first trent build signs the requests.
for b in "$@"; do [[ $b == *http_ceiling* ]] || { TRENT=$b; break; }; done
. bench/lib.sh
hz=$(getconf CLK_TCK)
for round in $(seq "$ROUNDS"); do
    for bin in "$@"; do
        if [[ $bin == *http_ceiling* ]]; then
            launch "$bin" "127.0.0.1:$port"
        else
            start_server -- "$bin" --data-dir "$work/data-$round-$RANDOM"
        fi
        taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --op "$OP" --size "$SIZE" \
            --presign "$work/requests" --requests 1000 2>/dev/null
        taskset -c 1 wrk -t1 -c"$CONCURRENCY" -d1s -s bench/wrk-replay.lua "$endpoint" -- "$work/requests" >/dev/null
        t0=$(awk '{print $14 + $15}' "/proc/$server/stat")
        out=$(taskset -c 1 wrk -t1 -c"$CONCURRENCY" -d"${SECS}s" -s bench/wrk-replay.lua "$endpoint" -- "$work/requests" | tail -1)
        t1=$(awk '{print $14 + $15}' "/proc/$server/stat")
        stop_server
        python3 - "$bin" "$round" "$((t1 - t0))" "$hz" "$out" <<'PY' | tee -a "$work/results"
import json, sys
bin, round, ticks, hz, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
errors = sum(out["errors"].values())
cpu_us = ticks / hz * 1e6 / max(out["requests"], 1)
print(f"{bin}\t{round}\t{out['requests_per_second']:.0f}\t{out['latency_ms']['p99']}\t{errors}\t{cpu_us:.1f}")
PY
    done
done
python3 - "$work/results" "$@" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
builds = sys.argv[2:]
med = lambda b, i: statistics.median(float(r[i]) for r in rows if r[0] == b)
base = med(builds[0], 5)
print("build\treq/s\tp99 ms\terrors\tCPU µs/req\t÷ first")
for b in builds:
    errors = sum(int(r[4]) for r in rows if r[0] == b)
    print(f"{b}\t{med(b, 2):.0f}\t{med(b, 3)}\t{errors}\t{med(b, 5):.1f}\t{med(b, 5) / base:.2f}")
PY
