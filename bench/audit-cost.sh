#!/usr/bin/env bash
# What the audit trail costs Encrypt: Trent as built, against the
# benchmark-only build whose reads and cryptographic operations discard their
# audit events (cargo feature bench-discard-audit, never in a normal build).
# Same machine, same run, alternating rounds; the server is pinned to one
# core and `trent bench` to the other. Prints each round and the medians.
#
# Usage: bench/audit-cost.sh [ROUNDS] [SECONDS]    (defaults: 3 rounds of 6 s)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-6}
OP=${OP:-encrypt}
SIZE=${SIZE:-100}
CONCURRENCY=${CONCURRENCY:-32}

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --quiet --release --locked -p trent-cli
cp target/release/trent "$work/trent-audited"
cargo build --quiet --release --locked -p trent-cli --features bench-discard-audit
cp target/release/trent "$work/trent-discard"
# Leave target/release/trent the normal build (both are cached: no rebuild).
cargo build --quiet --release --locked -p trent-cli

export TRENT_BOOTSTRAP_ACCOUNT_ID=111122223333 TRENT_BOOTSTRAP_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    TRENT_BOOTSTRAP_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY TRENT_LOG=warn
export AWS_ACCESS_KEY_ID=$TRENT_BOOTSTRAP_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$TRENT_BOOTSTRAP_SECRET_ACCESS_KEY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

run() { # binary -> "req/s p99_ms"
    local dir="$work/data-$RANDOM"
    taskset -c 0 "$1" serve --listen "127.0.0.1:$port" --data-dir "$dir" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    taskset -c 1 "$work/trent-audited" bench --endpoint "http://127.0.0.1:$port" --op "$OP" --size "$SIZE" \
        --concurrency "$CONCURRENCY" --duration "$SECONDS_PER_RUN" --warmup 1 --json 2>/dev/null \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["errors"], d["errors"]; print(round(d["requests_per_second"]), d["latency_ms"]["p99"])'
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}

: > "$work/results"
for round in $(seq "$ROUNDS"); do
    for variant in audited discard; do
        r=$(run "$work/trent-$variant")
        echo "round $round  $variant  $r req/s p99 ms" | sed 's/ \([0-9.]*\) req\/s p99 ms$/ req\/s, p99 \1 ms/'
        echo "$variant $r" >> "$work/results"
    done
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {v: statistics.median(float(r[1]) for r in rows if r[0] == v) for v in ("audited", "discard")}
p99 = {v: statistics.median(float(r[2]) for r in rows if r[0] == v) for v in ("audited", "discard")}
print(f"median req/s: audited {med['audited']:.0f}, discard reference {med['discard']:.0f}; "
      f"ratio {med['audited'] / med['discard']:.2f}; median p99 ms: {p99['audited']} vs {p99['discard']}")
PY
