#!/usr/bin/env bash
# Latency at half the peak (issue 24, target 6): for each build, a fresh
# server on core 0, its closed-loop peak (`trent bench`, 32 connections),
# then an open-loop run at half that rate (`trent bench --rate`, requests
# due at fixed times whether or not earlier ones have been answered, so a
# stall shows as latency instead of as fewer requests). The bare-HTTP
# ceiling is then offered the same rate as the first build, to show what
# the client and the machine add. Rounds alternate; prints each point and
# the medians of p50, p90, p99 and p99.9.
#
# Usage: bench/open-loop.sh BINARY... (ROUNDS=3 SECS=8 OP=encrypt SIZE=100
#        RATE=fixed rate instead of half the peak; CEILING=path of
#        http_ceiling, default next to the first binary's examples/)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,13p "$0" >&2; exit 2; }
ROUNDS=${ROUNDS:-3} SECS=${SECS:-8} OP=${OP:-encrypt} SIZE=${SIZE:-100}
TRENT=$1
CEILING=${CEILING:-$(dirname "$1")/examples/http_ceiling}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

# point NAME ARGS...: one `trent bench` run; appends "NAME req/s p50 p90
# p99 p99.9 errors" to the results and prints it.
point() {
    local name=$1
    shift
    taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --json --op "$OP" --size "$SIZE" "$@" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); l=d["latency_ms"]
print(sys.argv[1], round(d["requests_per_second"]), l["p50"], l["p90"], l["p99"], l["p99.9"], sum(d["errors"].values()))' "$name" |
        tee -a "$work/results"
}

for round in $(seq "$ROUNDS"); do
    rate=${RATE:-}
    for bin in "$@"; do
        start_server -- "$bin" --data-dir "$work/data-$round-$RANDOM"
        peak=$(point "peak:$bin" --concurrency 32 --duration 6 --warmup 1 | awk '{print $2}')
        r=${RATE:-$((peak / 2))}
        [ -n "$rate" ] || rate=$r
        point "open:$bin" --concurrency 64 --rate "$r" --duration "$SECS" --warmup 1 >/dev/null
        stop_server
        echo "round $round  $bin  peak $peak req/s, offered $r: $(tail -1 "$work/results")" >&2
    done
    if [ -x "$CEILING" ]; then
        launch "$CEILING" "127.0.0.1:$port"
        # The ceiling answers any request alike: the client signs and sends
        # the same Encrypt, with a key id it makes up.
        point "open:ceiling" --concurrency 64 --rate "$rate" --duration "$SECS" --warmup 1 \
            --keys-file <(echo 00000000-0000-0000-0000-000000000000) >/dev/null
        stop_server
        echo "round $round  ceiling  offered $rate: $(tail -1 "$work/results")" >&2
    fi
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = list(dict.fromkeys(r[0] for r in rows))
print("point\treq/s\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\terrors")
for n in names:
    rs = [r for r in rows if r[0] == n]
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    print(f"{n}\t{med(1):.0f}\t{med(2):.2f}\t{med(3):.2f}\t{med(4):.2f}\t{med(5):.2f}\t{sum(int(r[6]) for r in rs)}")
PY
