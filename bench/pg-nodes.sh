#!/usr/bin/env bash
# Two Trent nodes on one PostgreSQL database, each under Encrypt load at
# once (both servers on core 0, a `trent bench` per node on core 1): each
# node's req/s, and every lock wait of their sessions sampled from
# `pg_locks` / `pg_stat_activity` every 10 ms, with the node holding the
# lock waited for and the statement that waited. With a chain per node, a node's audit appends wait only
# behind its own (holder = itself). Then the trail is verified offline.
#
# Usage: bench/pg-nodes.sh [SECS] [BINARY...]   (default: this tree's
#        release build; name another build, e.g. one from before chains per
#        node, to compare in the same run). PGADMIN_URL, default
#        postgres://postgres@127.0.0.1:5432/postgres, must allow CREATE
#        DATABASE.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-8}
shift || true
ADMIN=${PGADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
export PGOPTIONS="--client-min-messages=warning"
cargo build --quiet --release --locked -p trent-cli
BINARIES=("$@")
[ ${#BINARIES[@]} -gt 0 ] || BINARIES=(target/release/trent)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
. bench/lib.sh
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() { # BINARY INDEX
    local bin=$1 db="trent_nodes_$$_$2" ports=() pids=() n
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    local url="${ADMIN%/*}/$db"
    export TRENT_KEY_FILE="$work/root-$2.key"
    for n in a b; do
        local p
        p=$(free_port)
        ports+=("$p")
        taskset -c 0 "$bin" serve --listen "127.0.0.1:$p" --data-dir "$work/data-$2-$n" \
            --store "$url?application_name=trent_node_$n" >/dev/null 2>&1 &
        pids+=($!)
        for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.05; done
    done
    # Sample for the load's duration (warmup included).
    psql "$url" -qAt -F ' ' > "$work/waits-$2" <<SQL &
CREATE TEMP TABLE w (waiter text, holder text, locktype text, query text);
CREATE TEMP TABLE n (k int);
DO \$\$ BEGIN
  FOR i IN 1..$(( (SECS + 1) * 100 )) LOOP
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO n VALUES (i);
    INSERT INTO w
      SELECT aw.application_name, ah.application_name, l.locktype, left(aw.query, 60)
      FROM pg_locks l JOIN pg_stat_activity aw ON aw.pid = l.pid
      JOIN pg_locks h ON h.granted AND h.locktype = l.locktype AND h.database IS NOT DISTINCT FROM l.database
        AND h.classid IS NOT DISTINCT FROM l.classid AND h.objid IS NOT DISTINCT FROM l.objid
        AND h.objsubid IS NOT DISTINCT FROM l.objsubid AND h.relation IS NOT DISTINCT FROM l.relation
        AND h.transactionid IS NOT DISTINCT FROM l.transactionid AND h.pid <> l.pid
      JOIN pg_stat_activity ah ON ah.pid = h.pid
      WHERE NOT l.granted AND aw.application_name LIKE 'trent_node_%';
    PERFORM pg_sleep(0.01);
  END LOOP;
END \$\$;
SELECT 'samples', count(*) FROM n;
SELECT waiter || ' waited on ' || holder || ' (' || locktype || ') in: ' || query, count(*) FROM w GROUP BY 1 ORDER BY 1;
SQL
    local sampler=$!
    local loads=() n2=0
    for n in a b; do
        taskset -c 1 "$TRENT" bench --endpoint "http://127.0.0.1:${ports[$n2]}" --json --op encrypt --size 100 \
            --concurrency 16 --duration "$SECS" --warmup 1 > "$work/load-$2-$n" 2>/dev/null &
        loads+=($!)
        n2=$((n2 + 1))
    done
    wait "${loads[@]}" || true
    wait "$sampler" || true
    kill "${pids[@]}"
    wait "${pids[@]}" 2>/dev/null || true
    echo "== $bin"
    for n in a b; do
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("node", sys.argv[2] + ":", round(d["requests_per_second"]), "req/s, p99", d["latency_ms"]["p99"], "ms, errors", sum(d["errors"].values()))' "$work/load-$2-$n" "$n"
    done
    cat "$work/waits-$2"
    "$bin" admin audit verify --store "$url" 2>&1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print("verify:", d.get("Problem", "intact"), "|", d["Records"], "records,", len(d.get("Chains", [])) or 1, "chain(s)")' || true
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db"
}

i=0
for b in "${BINARIES[@]}"; do
    i=$((i + 1))
    run "$b" "$i"
done
