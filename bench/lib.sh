# Shared by the bench/*.sh scripts: source it after `cd` to the repository.
# Fixed bootstrap credentials, a free port, a server pinned to core 0, and
# `trent bench` pinned to core 1 printing "req/s p99_ms errors".

TRENT=${TRENT:-target/release/trent}
export TRENT_BOOTSTRAP_ACCOUNT_ID=111122223333 TRENT_BOOTSTRAP_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
    TRENT_BOOTSTRAP_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY TRENT_LOG=warn
export AWS_ACCESS_KEY_ID=$TRENT_BOOTSTRAP_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$TRENT_BOOTSTRAP_SECRET_ACCESS_KEY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"

# launch COMMAND...: runs it on core 0 in the background, sets $server and
# waits until something answers HTTP on $endpoint (any status: moto and
# the ceiling have no /health).
launch() {
    taskset -c 0 "$@" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 200); do
        curl -s -o /dev/null "$endpoint/" && return
        sleep 0.05
    done
    echo "$1 did not start" >&2
    exit 1
}

# start_server [PREFIX...] -- BINARY [SERVE ARGS...]: `serve` on core 0 (a
# prefix such as `eatmydata` runs before the binary); sets $server.
start_server() {
    local prefix=()
    while [ "$1" != -- ]; do prefix+=("$1"); shift; done
    shift
    local bin=$1
    shift
    launch "${prefix[@]}" "$bin" serve --listen "127.0.0.1:$port" "$@"
}

stop_server() {
    kill "$server"
    wait "$server" 2>/dev/null || true
}

# bench_point [TRENT BENCH ARGS...]: one measurement on core 1; prints
# "req/s p99_ms errors".
bench_point() {
    taskset -c 1 "$TRENT" bench --endpoint "$endpoint" --json "$@" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["requests_per_second"]), d["latency_ms"]["p99"], sum(d["errors"].values()))'
}

# medians FILE A B: FILE holds lines "variant req/s p99 errors [cpu%]";
# prints the median req/s, p99 (and server CPU, when given) of A and B and
# A/B.
medians() {
    python3 - "$@" <<'PY'
import statistics, sys
path, a, b = sys.argv[1:4]
rows = [l.split() for l in open(path)]
med = {v: statistics.median(float(r[1]) for r in rows if r[0] == v) for v in (a, b)}
p99 = {v: statistics.median(float(r[2]) for r in rows if r[0] == v) for v in (a, b)}
errors = sum(int(r[3]) for r in rows)
cpu = ""
if all(len(r) > 4 for r in rows):
    c = {v: statistics.median(float(r[4]) for r in rows if r[0] == v) for v in (a, b)}
    cpu = f"; median server CPU % of its core: {c[a]:.0f} vs {c[b]:.0f}"
print(f"median req/s: {a} {med[a]:.0f}, {b} {med[b]:.0f}; {a}/{b} {med[a] / med[b]:.2f}; "
      f"median p99 ms: {p99[a]} vs {p99[b]}; errors {errors}{cpu}")
PY
}

# server_cpu COMMAND...: runs COMMAND (a bench_point) and prints its output
# followed by the server's CPU use meanwhile, in percent of one core (from
# /proc/$server/stat). Below 100 on the pinned core, the server waited (for
# fsync, for a lock) with nothing else to run.
server_cpu() {
    local hz t0 t1 w0 w1 out
    hz=$(getconf CLK_TCK)
    t0=$(awk '{print $14 + $15}' "/proc/$server/stat")
    w0=$(date +%s%N)
    out=$("$@")
    t1=$(awk '{print $14 + $15}' "/proc/$server/stat")
    w1=$(date +%s%N)
    echo "$out $(( (t1 - t0) * 100 * 1000000000 / hz / (w1 - w0) ))"
}

# alternate A B: $ROUNDS rounds; in each, variant A then B: start_variant
# VARIANT ROUND (the script's own, which calls start_server), one
# bench_point with "${POINT[@]}", stop_server, then after_variant VARIANT
# ROUND if the script has one. Prints each point (with the server's CPU
# use), then the medians and A/B.
alternate() {
    local results round variant r
    results=$(mktemp)
    for round in $(seq "$ROUNDS"); do
        for variant in "$1" "$2"; do
            start_variant "$variant" "$round"
            r=$(server_cpu bench_point "${POINT[@]}")
            stop_server
            if declare -F after_variant >/dev/null; then after_variant "$variant" "$round"; fi
            echo "round $round  $variant  $r (req/s, p99 ms, errors, server CPU % of its core)"
            echo "$variant $r" >> "$results"
        done
    done
    medians "$results" "$1" "$2"
    rm -f "$results"
}

# softhsm_token DIR LABEL PIN: a SoftHSM2 token of this run's own, its
# token directory under DIR (SOFTHSM2_CONF is exported to point at it).
softhsm_token() {
    mkdir -p "$1/tokens"
    printf 'directories.tokendir = %s\nlog.level = ERROR\n' "$1/tokens" > "$1/softhsm2.conf"
    export SOFTHSM2_CONF="$1/softhsm2.conf"
    softhsm2-util --init-token --free --label "$2" --so-pin so-pin-1234 --pin "$3" >/dev/null
}
