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

POINT=(--op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
start_variant() {
    local args=()
    if [ "$1" = postgresql ]; then
        psql "$ADMIN" -qc "DROP DATABASE IF EXISTS trent_bench_$$_$2" -c "CREATE DATABASE trent_bench_$$_$2"
        args=(--store "${ADMIN%/*}/trent_bench_$$_$2")
    fi
    start_server -- "$TRENT" --data-dir "$work/data-$2-$1" "${args[@]}"
}
after_variant() { [ "$1" != postgresql ] || psql "$ADMIN" -qc "DROP DATABASE IF EXISTS trent_bench_$$_$2"; }
alternate postgresql sqlite
