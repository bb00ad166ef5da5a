#!/usr/bin/env bash
# What an IAM user's identity side costs a request: the same operation
# signed by the account root (no identity policies to read) and by an IAM
# user whose one policy allows kms:* (its user record and policies are read
# and evaluated on every request). Same build, fresh data directory per
# point, alternating rounds; the server is pinned to one core and
# `trent bench` to the other. Prints each round and the medians.
#
# Usage: bench/user-cost.sh [ROUNDS] [SECONDS]    (defaults: 3 rounds of 6 s;
#        OP=encrypt SIZE=100 CONCURRENCY=32)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-6}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --quiet --release --locked -p trent-cli
. bench/lib.sh
root_key=$AWS_ACCESS_KEY_ID root_secret=$AWS_SECRET_ACCESS_KEY

POINT=(--op "${OP:-encrypt}" --size "${SIZE:-100}" --concurrency "${CONCURRENCY:-32}" --duration "$SECS" --warmup 1)
start_variant() {
    export AWS_ACCESS_KEY_ID=$root_key AWS_SECRET_ACCESS_KEY=$root_secret
    start_server -- "$TRENT" --data-dir "$work/data-$2-$1"
    if [ "$1" = user ]; then
        local creds
        creds=$("$TRENT" admin user create --endpoint "$endpoint" --user-name bench)
        "$TRENT" admin user put-policy --endpoint "$endpoint" --user-name bench --policy-name all \
            --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' >/dev/null
        AWS_ACCESS_KEY_ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeyId"])' <<<"$creds")
        AWS_SECRET_ACCESS_KEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["SecretAccessKey"])' <<<"$creds")
        export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    fi
}
alternate root user
