#!/usr/bin/env bash
# Encrypt 100 B over one key against Encrypt spread over KEYS keys
# (1,000,000 by default) in the same store, same run, alternating rounds;
# server on core 0, `trent bench` on core 1. Spread requests walk the key
# list (random UUIDs, so random rows) from a random offset: no key is asked
# twice within a round, so nearly every request misses the key caches and
# reads its key from SQLite. Prints the median of each and the ratio, the
# cache capacity, and the server's resident memory (VmRSS after each round,
# VmHWM at the end).
#
# Creating a million keys through the API takes a while (each CreateKey is
# a durable transaction with its audit event). SCALE_DATA=DIR keeps the data
# directory and its key list, so a second run skips the creation.
#
# Usage: bench/scale.sh [ROUNDS]   (KEYS=1000000 SECONDS_PER_POINT=8
#        TRENT_KEY_CACHE_CAPACITY=100000 SCALE_DATA=DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
KEYS=${KEYS:-1000000}
SECS=${SECONDS_PER_POINT:-8}
export TRENT_KEY_CACHE_CAPACITY=${TRENT_KEY_CACHE_CAPACITY:-100000}
cargo build --quiet --release --locked -p trent-cli
work=$(mktemp -d)
data=${SCALE_DATA:-$work/data}
mkdir -p "$data"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh
start_server -- "$TRENT" --data-dir "$data/trent"
pid=$server
rss() { awk -v f="$1" '$1 == f":" {print $2 / 1024}' "/proc/$pid/status"; }

keys="$data/keys.txt"
if [ ! -f "$keys" ] || [ "$(wc -l < "$keys")" -lt "$KEYS" ]; then
    echo "== creating $KEYS keys" >&2
    start=$(date +%s)
    taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --op describe-key --keys "$KEYS" --concurrency 64 \
        --requests 1 --warmup 0 --save-keys "$keys" --json >/dev/null
    echo "== created in $(( $(date +%s) - start )) s; store $(du -sh "$data/trent" | cut -f1), server RSS $(rss VmRSS) MiB" >&2
fi
head -n 1 "$keys" > "$work/one.txt"

: > "$work/results"
for round in $(seq "$ROUNDS"); do
    for spread in one all; do
        file="$work/one.txt"
        [ "$spread" = all ] && file="$keys"
        r=$(bench_point --op encrypt --size 100 --keys-file "$file" --concurrency 32 --duration "$SECS" --warmup 2)
        echo "round $round  $spread  $r (req/s, p99 ms, errors)  server RSS $(rss VmRSS) MiB" >&2
        echo "$spread $r" >> "$work/results"
    done
done
medians "$work/results" all one
echo "$(wc -l < "$keys") keys; key caches of $TRENT_KEY_CACHE_CAPACITY entries; server peak RSS $(rss VmHWM) MiB"
