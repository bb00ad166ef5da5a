#!/usr/bin/env bash
# Encrypt 100 B on one node: SQLite (embedded) against PostgreSQL, same run,
# alternating rounds, server on core 0 and `trent bench` on core 1. Each
# PostgreSQL round gets a fresh database (a database is sealed to the key
# file of the data directory that created it).
#
# Usage: bench/pg-vs-sqlite.sh [ROUNDS]   (PGADMIN_URL, default
#        postgres://postgres@127.0.0.1:5432/postgres, must allow CREATE DATABASE)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
ADMIN=${PGADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGOPTIONS="--client-min-messages=warning"
cargo build --quiet --release --locked -p trent-cli
TRENT=target/release/trent
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export TRENT_BOOTSTRAP_ACCOUNT_ID=111122223333 TRENT_BOOTSTRAP_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    TRENT_BOOTSTRAP_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY TRENT_LOG=warn
export AWS_ACCESS_KEY_ID=$TRENT_BOOTSTRAP_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$TRENT_BOOTSTRAP_SECRET_ACCESS_KEY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
: > "$work/results"
for round in $(seq "$ROUNDS"); do
    for store in sqlite postgresql; do
        args=()
        if [ "$store" = postgresql ]; then
            db="trent_bench_$$_$round"
            psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
            args=(--store "${ADMIN%/*}/$db")
        fi
        taskset -c 0 "$TRENT" serve --listen "127.0.0.1:$port" --data-dir "$work/data-$round-$store" "${args[@]}" >/dev/null 2>&1 &
        pid=$!
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
        r=$(taskset -c 1 "$TRENT" bench --endpoint "http://127.0.0.1:$port" --op encrypt --size 100 --concurrency 32 \
            --duration 6 --warmup 1 --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests_per_second"]), d["latency_ms"]["p99"])')
        kill "$pid"; wait "$pid" 2>/dev/null || true
        [ "$store" = postgresql ] && psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db"
        echo "round $round  $store  $r (req/s, p99 ms)"
        echo "$store $r" >> "$work/results"
    done
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
m = {s: statistics.median(float(r[1]) for r in rows if r[0] == s) for s in ("sqlite", "postgresql")}
print(f"median Encrypt req/s: SQLite {m['sqlite']:.0f}, PostgreSQL {m['postgresql']:.0f}; PostgreSQL/SQLite {m['postgresql'] / m['sqlite']:.2f}")
PY
