#!/usr/bin/env bash
# What TLS costs Encrypt: Trent serving TLS (an openssl-made P-256
# certificate, TLS 1.3) against the same binary serving plain HTTP, first on
# keep-alive connections, then with a new connection (a full handshake over
# TLS) for every request. Same run, alternating rounds, server on core 0,
# `trent bench` on core 1.
#
# Usage: bench/tls-cost.sh [ROUNDS] [SECONDS]   (defaults 3 and 6; the
#        connection-per-request rounds last half as long; SIZE=100
#        CONCURRENCY=32)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-6}
cargo build --quiet --release --locked -p trent-cli
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

# A CA and a server certificate for 127.0.0.1, as the README's Deploying
# section makes them.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" \
    -out "$work/ca.pem" -days 2 -subj "/CN=bench CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
    -out "$work/req.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/san.ext"
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/cert.pem" -days 2 -extfile "$work/san.ext" 2>/dev/null
# trent bench (AWS_CA_BUNDLE) and lib.sh's readiness probe (curl) trust it.
export AWS_CA_BUNDLE="$work/ca.pem" CURL_CA_BUNDLE="$work/ca.pem"
plain_endpoint=$endpoint
tls_endpoint="https://127.0.0.1:$port"

start_variant() {
    case $1 in
        tls*)
            endpoint=$tls_endpoint
            start_server -- "$TRENT" --data-dir "$work/data-$2-$1" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
            ;;
        *)
            endpoint=$plain_endpoint
            start_server -- "$TRENT" --data-dir "$work/data-$2-$1"
            ;;
    esac
}

echo "== keep-alive connections"
POINT=(--op encrypt --size "${SIZE:-100}" --concurrency "${CONCURRENCY:-32}" --duration "$SECS" --warmup 1)
alternate tls plain
echo "== a new connection per request"
POINT=(--op encrypt --size "${SIZE:-100}" --concurrency "${CONCURRENCY:-32}" --duration "$(( (SECS + 1) / 2 ))"
       --warmup 1 --no-keep-alive)
alternate tls-new plain-new
