#!/usr/bin/env bash
# What an audited Encrypt load writes to the disk, and what its group
# commits take: one release build serving `trent bench --op encrypt
# --concurrency 32` for SECS seconds on a fresh data directory. Prints
# req/s and p99, the data disk's writes (from /proc/diskstats: writes a
# second, MB/s, busy %, bytes a request), and from /metrics the events,
# group commits and seconds in commits over the same seconds (ms a commit,
# events a commit).
#
# Usage: bench/audit-io.sh BINARY [SECS] [DEVICE] (defaults: 6 s; the
#        device holding the data directory's file system, e.g. vda)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n 2,11p "$0" >&2; exit 2; }
TRENT=$1 SECS=${2:-6}
. bench/lib.sh
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
dev=${3:-$(lsblk -no PKNAME "$(df --output=source "$work" | tail -1)" 2>/dev/null || true)}
dev=${dev:-$(basename "$(df --output=source "$work" | tail -1)")}
start_server -- "$TRENT" --data-dir "$work/data"
bench_point --op encrypt --size 100 --concurrency 32 --duration 1 >/dev/null
disk() { awk -v d="$dev" '$3 == d {print $8, $10, $13}' /proc/diskstats; }
audit() { curl -s "$endpoint/metrics" | awk '/^trent_audit_(events|commits|commit_seconds)_total/ {printf "%s=%s ", $1, $2}'; }
d0=$(disk) m0=$(audit)
r=$(bench_point --op encrypt --size 100 --concurrency 32 --duration "$SECS")
d1=$(disk) m1=$(audit)
stop_server
python3 - "$SECS" "$dev" "$r" "$d0" "$d1" "$m0" "$m1" <<'PY'
import sys
secs, dev, r = int(sys.argv[1]), sys.argv[2], sys.argv[3].split()
d0, d1 = (list(map(int, a.split())) for a in sys.argv[4:6])
m0, m1 = ({k: float(v) for k, v in (p.split("=") for p in a.split())} for a in sys.argv[6:8])
m = {k.removeprefix("trent_audit_").removesuffix("_total"): m1[k] - m0[k] for k in m0}
requests = float(r[0]) * secs
writes, sectors, busy_ms = (b - a for a, b in zip(d0, d1))
print(f"req/s {r[0]}, p99 {r[1]} ms, errors {r[2]}")
print(f"disk {dev}: {writes / secs:.0f} writes/s, {sectors * 512 / secs / 1e6:.1f} MB/s, busy {busy_ms / secs / 10:.0f} %, "
      f"{sectors * 512 / requests:.0f} bytes a request")
if m.get("commits"):
    print(f"group commits: {m['commit_seconds'] / m['commits'] * 1e3:.3f} ms a commit, "
          f"{m['events'] / m['commits']:.1f} events a commit ({m['commits']:.0f} commits)")
PY
