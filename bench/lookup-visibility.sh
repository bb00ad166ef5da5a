#!/usr/bin/env bash
# How soon a call's event is visible to LookupEvents after its answer left,
# while Encrypt load appends events as fast as it can, and the bytes the
# trail takes on disk per event. The server (SQLite, audit on) is pinned to
# core 0; the load (`trent bench`) and the boto3 probe share core 1.
#
# Usage: bench/lookup-visibility.sh [PROBES] [SECONDS]   (defaults 300, 30)
set -euo pipefail
cd "$(dirname "$0")/.."
PROBES=${1:-300}
SECS=${2:-30}
VENV=${BENCH_VENV:-bench/.venv}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --quiet --release --locked -p trent-cli
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "boto3>=1.35"
. bench/lib.sh
export AWS_DEFAULT_REGION=us-east-1
start_server -- "$TRENT" --data-dir "$work/data"
taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --op encrypt --size 100 --concurrency 32 \
    --duration "$SECS" --json > "$work/load.json" 2>/dev/null &
load=$!
sleep 2
echo "visibility under load: $(taskset -c 1 "$VENV/bin/python" bench/lookup_visibility.py "$endpoint" "$PROBES")"
wait "$load"
python3 - "$work/load.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("load: %.0f req/s Encrypt, p99 %s ms" % (d["requests_per_second"], d["latency_ms"]["p99"]))
PY
stop_server
python3 - "$work/data" <<'PY'
import os, sqlite3, sys
db = os.path.join(sys.argv[1], "trent.db")
c = sqlite3.connect(db)
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
events = c.execute("SELECT COUNT(*) FROM audit_events").fetchone()[0]
page = c.execute("PRAGMA page_size").fetchone()[0]
def pages(sql):
    return sum(c.execute(f"SELECT COUNT(*) FROM dbstat WHERE name = '{n}'").fetchone()[0] for n in sql)
try:
    log = pages(["audit_events"]) * page
    index = pages(["audit_lookup", "audit_resources", "audit_resources_by_name"] +
                  [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='audit_lookup'")]) * page
    print(f"on disk per event: log {log / events:.0f} B, lookup indexes {index / events:.0f} B ({events} events)")
except sqlite3.OperationalError:
    size = os.path.getsize(db)
    print(f"on disk per event: {size / events:.0f} B, database file over events ({events} events; no dbstat)")
log_file = os.path.join(sys.argv[1], "trent.audit-log")
if os.path.exists(log_file):
    # Not per event: the group commit's file, started again once past 16 MiB.
    print(f"audit log file: {os.path.getsize(log_file) / 2**20:.1f} MiB")
PY
