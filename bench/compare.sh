#!/usr/bin/env bash
# Trent side by side with moto (the reference peer, from PyPI) and the
# bare-HTTP ceiling of this machine (crates/cli/examples/http_ceiling.rs: the
# same HTTP stack answering a fixed body), in one run on one machine. Every
# server is pinned to core 0 and the load generator to core 1. The load is
# wrk (Debian's `wrk`) replaying requests that `trent bench --presign`
# signed just before (bench/wrk-replay.lua): a C client several times
# faster than any server here, where `trent bench` itself, signing every
# request, topped out near the ceiling's own speed. Each point runs REPEATS
# times (rounds interleave the targets) and the medians are printed as one
# Markdown table, with Trent/moto and Trent/ceiling, the server's and wrk's
# CPU (percent of their cores), server CPU per request against the
# ceiling's, and Trent's signatures against `openssl speed` on the same core.
#
# Usage: bench/compare.sh            (REPEATS=3 SECONDS_PER_POINT=4 CONCURRENCY=32)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
SECS=${SECONDS_PER_POINT:-4}
CONCURRENCY=${CONCURRENCY:-32}
VENV=${MOTO_VENV:-bench/.venv}

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "compare.sh needs wrk (apt-get install wrk)" >&2; exit 1; }
echo "== building (release)" >&2
cargo build --quiet --release --locked -p trent-cli --bin trent --example http_ceiling
CEILING=target/release/examples/http_ceiling
if [ ! -x "$VENV/bin/moto_server" ]; then
    echo "== installing moto[server] into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==5.2.5"
fi

. bench/lib.sh

# Points: operation, payload size, key spec. The ceiling answers any
# operation the same way, so it runs only the Encrypt points (request sizes
# differ).
POINTS="encrypt:100:SYMMETRIC_DEFAULT encrypt:4096:SYMMETRIC_DEFAULT decrypt:100:SYMMETRIC_DEFAULT
    generate-data-key:100:SYMMETRIC_DEFAULT sign:100:ECC_NIST_P256 sign:100:RSA_2048"
CEILING_POINTS="encrypt:100:SYMMETRIC_DEFAULT encrypt:4096:SYMMETRIC_DEFAULT"

start_target() { # name
    case $1 in
    trent) start_server -- "$TRENT" --data-dir "$work/data-$RANDOM" ;;
    moto) launch "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" ;;
    ceiling) launch "$CEILING" "127.0.0.1:$port" ;;
    esac
}

: > "$work/results"
# wrk_point FILE: wrk on core 1 replaying FILE, 1 s of warm-up then $SECS s
# measured; prints wrk's JSON with the server's and wrk's CPU use (percent of
# one core, from /proc/PID/stat and wrk's rusage) added.
wrk_point() {
    taskset -c 1 wrk -t1 -c"$CONCURRENCY" -d1s -s bench/wrk-replay.lua "$endpoint" -- "$1" >/dev/null
    python3 - "$server" "$1" "$SECS" "$CONCURRENCY" "$endpoint" <<'PY'
import json, os, resource, subprocess, sys, time
pid, path, secs, conns, endpoint = sys.argv[1:]
hz = os.sysconf("SC_CLK_TCK")
def server_ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
t0, w0 = server_ticks(), time.monotonic()
r = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "-s", "bench/wrk-replay.lua",
                    endpoint, "--", path], capture_output=True, text=True, check=True)
t1, w1 = server_ticks(), time.monotonic()
u = resource.getrusage(resource.RUSAGE_CHILDREN)
d = json.loads(r.stdout.strip().splitlines()[-1])
d["server_cpu_percent"] = round((t1 - t0) / hz / (w1 - w0) * 100, 1)
d["client_cpu_percent"] = round((u.ru_utime + u.ru_stime) / (w1 - w0) * 100, 1)
print(json.dumps(d))
PY
}

for round in $(seq "$REPEATS"); do
    for target in trent moto ceiling; do
        start_target "$target"
        points=$POINTS
        [ "$target" = ceiling ] && points=$CEILING_POINTS
        for point in $points; do
            IFS=: read -r op size spec <<< "$point"
            taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --op "$op" --size "$size" --key-spec "$spec" \
                --presign "$work/requests" --requests 1000 2>/dev/null
            out=$(wrk_point "$work/requests")
            name=$op
            [ "$op" = sign ] && name="sign-$spec"
            echo "$target $name $size $out" >> "$work/results"
            echo "round $round  $target  $name $size: $(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests_per_second"]), "req/s, errors", d["errors"], "server CPU", d["server_cpu_percent"], "wrk CPU", d["client_cpu_percent"])')" >&2
        done
        stop_server
    done
done

# openssl speed on the server's core, for the signature points.
speed=$(taskset -c 0 openssl speed -seconds 2 rsa2048 ecdsap256 2>/dev/null | awk '
    /^rsa 2048 bits/ {print "rsa2048", $6}
    /256 bits ecdsa \(nistp256\)/ {print "ecdsap256", $7}')

python3 - "$work/results" "$speed" "$REPEATS" "$SECS" "$CONCURRENCY" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    target, op, size, js = line.split(" ", 3)
    d = json.loads(js)
    rows.setdefault((op, size, target), []).append(d)
speed = dict(l.split() for l in sys.argv[2].splitlines() if l.strip())
def med(op, size, target, key):
    ds = rows.get((op, size, target))
    if not ds:
        return None
    if key == "rps":
        vals = [d["requests_per_second"] for d in ds]
    elif key == "p99":
        vals = [d["latency_ms"]["p99"] for d in ds]
    elif key == "us":  # server CPU µs per request
        vals = [d["server_cpu_percent"] / 100 / d["requests_per_second"] * 1e6 for d in ds]
    else:
        vals = [d[key] for d in ds]
    return statistics.median(vals)
print(f"{sys.argv[3]} repeats of {sys.argv[4]} s per point, concurrency {sys.argv[5]}, server on one core; medians.\n")
print("| operation | payload B | Trent req/s | Trent p99 ms | moto req/s | ceiling req/s | Trent/moto | Trent/ceiling "
      "| Trent server CPU µs/req | ÷ ceiling's | server CPU % Trent/ceiling | wrk CPU % Trent/ceiling |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for op, size in [p.split(":") for p in "encrypt:100 encrypt:4096 decrypt:100 generate-data-key:100 sign-ECC_NIST_P256:100 sign-RSA_2048:100".split()]:
    t, tp = med(op, size, "trent", "rps"), med(op, size, "trent", "p99")
    # The ceiling answers every operation alike: its figure for the payload.
    m, c = med(op, size, "moto", "rps"), med("encrypt", size, "ceiling", "rps")
    f = lambda v: "–" if v is None else f"{v:,.0f}"
    r = lambda a, b: "–" if a is None or not b else f"{a / b:.2f}"
    tu, cu = med(op, size, "trent", "us"), med("encrypt", size, "ceiling", "us")
    g = lambda v: "–" if v is None else f"{v:.0f}"
    # Trent's figure for the operation / the ceiling's for the payload.
    cpu = lambda key: f"{g(med(op, size, 'trent', key))}/{g(med('encrypt', size, 'ceiling', key))}"
    print(f"| {op} | {size} | {f(t)} | {tp} | {f(m)} | {f(c)} | {r(t, m)} | {r(t, c)} "
          f"| {'–' if tu is None else f'{tu:.1f}'} | {r(tu, cu)} | {cpu('server_cpu_percent')} | {cpu('client_cpu_percent')} |")
enc = med("encrypt", "100", "trent", "rps")
print()
for name, op in (("ecdsap256", "sign-ECC_NIST_P256"), ("rsa2048", "sign-RSA_2048")):
    t = med(op, "100", "trent", "rps")
    if name in speed and t:
        print(f"{op}: Trent {t:,.0f}/s, openssl speed {float(speed[name]):,.0f} sign/s on the same core: ratio {t / float(speed[name]):.2f}")
e4 = med("encrypt", "4096", "trent", "rps")
g = med("generate-data-key", "100", "trent", "rps")
if enc:
    print(f"Encrypt 4096 B / Encrypt 100 B: {e4 / enc:.2f}; GenerateDataKey / Encrypt 100 B: {g / enc:.2f}")
PY
