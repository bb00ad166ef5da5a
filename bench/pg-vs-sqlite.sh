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
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

: > "$work/results"
for round in $(seq "$ROUNDS"); do
    for store in postgresql sqlite; do
        args=()
        if [ "$store" = postgresql ]; then
            db="trent_bench_$$_$round"
            psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
            args=(--store "${ADMIN%/*}/$db")
        fi
        start_server -- "$TRENT" --data-dir "$work/data-$round-$store" "${args[@]}"
        r=$(bench_point --op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
        stop_server
        [ "$store" = postgresql ] && psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db"
        echo "round $round  $store  $r (req/s, p99 ms, errors)"
        echo "$store $r" >> "$work/results"
    done
done
medians "$work/results" postgresql sqlite
