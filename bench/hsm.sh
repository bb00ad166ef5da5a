#!/usr/bin/env bash
# Encrypt under a key in a custom key store (AES-GCM inside a SoftHSM2
# token, through PKCS#11) against Encrypt under a software key, on one
# server in one run: alternating rounds of `trent bench` (server on core 0,
# client on core 1). hsm/software is what the token path costs. Prints
# medians and the ratio.
#
# Usage: bench/hsm.sh [TRENT BENCH ARGS...]
#        (ROUNDS=3, MODULE=/usr/lib/softhsm/libsofthsm2.so, PYTHON=.venv/bin/python
#        with boto3 (scripts/test makes it); default bench args: --op encrypt
#        --size 100 --concurrency 32 --duration 6 --warmup 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
PY=${PYTHON:-.venv/bin/python}
MODULE=${MODULE:-/usr/lib/softhsm/libsofthsm2.so}
POINT=("$@")
[ ${#POINT[@]} -gt 0 ] || POINT=(--op encrypt --size 100 --concurrency 32 --duration 6 --warmup 1)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh

softhsm_token "$work" bench kmsuser-bench
printf '[hsm.cluster-benchsofthsm]\nmodule = "%s"\ntoken_label = "bench"\n' "$MODULE" > "$work/trent.toml"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench \
    -keyout "$work/anchor.key" -out "$work/anchor.pem" 2>/dev/null

start_server -- "$TRENT" --data-dir "$work/data" --config "$work/trent.toml"
"$PY" - "$endpoint" "$work/anchor.pem" "$work/hsm-keys" "$work/soft-keys" <<'PY'
import sys
import boto3
ep, anchor, hsm_keys, soft_keys = sys.argv[1:]
kms = boto3.client("kms", endpoint_url=ep, region_name="us-east-1")
ks = kms.create_custom_key_store(CustomKeyStoreName="bench", CloudHsmClusterId="cluster-benchsofthsm",
                                 TrustAnchorCertificate=open(anchor).read(),
                                 KeyStorePassword="kmsuser-bench")["CustomKeyStoreId"]
kms.connect_custom_key_store(CustomKeyStoreId=ks)
state = kms.describe_custom_key_stores(CustomKeyStoreId=ks)["CustomKeyStores"][0]["ConnectionState"]
assert state == "CONNECTED", state
open(hsm_keys, "w").write(kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=ks)["KeyMetadata"]["Arn"] + "\n")
open(soft_keys, "w").write(kms.create_key()["KeyMetadata"]["Arn"] + "\n")
PY

for _ in $(seq "$ROUNDS"); do
    echo "software $(server_cpu bench_point "${POINT[@]}" --keys-file "$work/soft-keys")" | tee -a "$work/rows"
    echo "hsm $(server_cpu bench_point "${POINT[@]}" --keys-file "$work/hsm-keys")" | tee -a "$work/rows"
done
medians "$work/rows" hsm software
