#!/usr/bin/env bash
# Runs kalam-bench with everything it compares against, on this machine:
#   - a kalamdb-server on 127.0.0.1 (port 0) with a temporary data directory, unless --url is given
#     (server binary: $KALAMDB_SERVER_BIN, else target/release, else target/debug);
#   - a throwaway PostgreSQL 15 cluster (pg-cluster.sh; installed from Debian packages if missing),
#     unless --pg-url is given or KALAM_BENCH_NO_PG=1;
#   - kalam-bench itself (built with `cargo build --release -p kalam-bench` unless $KALAM_BENCH_BIN);
#   - the RocksDB put-rate limit from kalamdb-store-bench ($KALAMDB_STORE_BENCH_BIN, else target/).
# Every other argument goes to kalam-bench, e.g.:
#   tools/bench/run.sh --json out.json
#   tools/bench/run.sh --scale tiny --filter insert,lookup
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d "${TMPDIR:-/tmp}/kalam-bench.XXXXXX")
# The PostgreSQL cluster inside runs as `postgres` when we are root: it must traverse this.
chmod 755 "$work"
server_pid=""
pg_started=""

cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -n "$pg_started" ] && "$here/pg-cluster.sh" stop "$work/pg" || true
    rm -rf "$work"
}
trap cleanup EXIT

args=("$@")
has_arg() { local a; for a in "${args[@]}"; do [ "$a" = "$1" ] && return 0; done; return 1; }

bench=${KALAM_BENCH_BIN:-}
if [ -z "$bench" ]; then
    (cd "$root" && cargo build --release -p kalam-bench >&2)
    bench="$target/release/kalam-bench"
fi

if ! has_arg --store-bench; then
    store=${KALAMDB_STORE_BENCH_BIN:-}
    for candidate in "$target/release/kalamdb-store-bench" "$target/debug/kalamdb-store-bench"; do
        [ -z "$store" ] && [ -x "$candidate" ] && store=$candidate
    done
    [ -n "$store" ] && args+=(--store-bench "$store")
fi

if ! has_arg --url; then
    server=${KALAMDB_SERVER_BIN:-}
    for candidate in "$target/release/kalamdb-server" "$target/debug/kalamdb-server"; do
        [ -z "$server" ] && [ -x "$candidate" ] && server=$candidate
    done
    [ -n "$server" ] || { echo "run.sh: no kalamdb-server; build it (cargo build --release -p kalamdb-server) or set KALAMDB_SERVER_BIN" >&2; exit 1; }
    password=bench-root-pw
    KALAMDB_SERVER_HOST=127.0.0.1 KALAMDB_SERVER_PORT=0 KALAMDB_DATA_DIR="$work/data" \
        KALAMDB_ROOT_PASSWORD=$password KALAMDB_BCRYPT_COST=4 KALAMDB_LOG_LEVEL=${KALAMDB_LOG_LEVEL:-warn} \
        KALAMDB_LOGINS_PER_MINUTE=0 KALAMDB_QUERIES_PER_SECOND=0 KALAMDB_COMPACTION_THRESHOLD=100 \
        "$server" >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    url=""
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^KalamDB server listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/server.out" | head -n1)
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$url" ] || { echo "run.sh: server did not start" >&2; cat "$work/server.err" >&2; exit 1; }
    echo "run.sh: server $server at $url" >&2
    args+=(--url "$url" --user root --password "$password")
fi

if ! has_arg --pg-url && [ "${KALAM_BENCH_NO_PG:-0}" != 1 ]; then
    pg_url=$("$here/pg-cluster.sh" start "$work/pg")
    pg_started=1
    echo "run.sh: PostgreSQL at $pg_url" >&2
    args+=(--pg-url "$pg_url")
fi

status=0
"$bench" "${args[@]}" || status=$?
exit $status
