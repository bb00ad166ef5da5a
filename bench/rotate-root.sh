#!/usr/bin/env bash
# Root rotation under load: Encrypt rounds of `trent bench` (server on core
# 0, client on core 1), alternating a steady round with one during which
# the running server's root is rotated three times (key file → Shamir →
# PKCS#11 → key file; without SoftHSM2, key file → Shamir → key file).
# Prints each rotation's wall time (the `trent admin rotate-root` call),
# the medians, rotating/steady, and the errors (every round must have 0).
#
# Usage: bench/rotate-root.sh [TRENT BENCH ARGS...]
#        (ROUNDS=3, MODULE=/usr/lib/softhsm/libsofthsm2.so; default bench
#        args: --op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
MODULE=${MODULE:-/usr/lib/softhsm/libsofthsm2.so}
POINT=("$@")
[ ${#POINT[@]} -gt 0 ] || POINT=(--op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

seals=(shamir key-file)
if [ -e "$MODULE" ] && command -v softhsm2-util >/dev/null; then
    softhsm_token "$work" root root-pin-1234
    export TRENT_PKCS11_MODULE="$MODULE" TRENT_PKCS11_TOKEN_LABEL=root TRENT_PKCS11_PIN=root-pin-1234
    seals=(shamir pkcs11 key-file)
fi

start_server -- "$TRENT" --data-dir "$work/data"

rotate() {
    local t0 t1 args=(--to "$1")
    [ "$1" = shamir ] && args+=(--shares 5 --threshold 3)
    t0=$(date +%s%N)
    "$TRENT" admin rotate-root --endpoint "$endpoint" "${args[@]}" >/dev/null
    t1=$(date +%s%N)
    echo "rotate-root --to $1: $(( (t1 - t0) / 1000000 )) ms" | tee -a "$work/rotations" >&2
}

for _ in $(seq "$ROUNDS"); do
    echo "steady $(bench_point "${POINT[@]}")" | tee -a "$work/rows"
    bench_point "${POINT[@]}" > "$work/point" &
    bench=$!
    sleep 2.5
    for s in "${seals[@]}"; do
        rotate "$s"
        sleep 0.7
    done
    wait "$bench"
    echo "rotating $(cat "$work/point")" | tee -a "$work/rows"
done
medians "$work/rows" rotating steady
