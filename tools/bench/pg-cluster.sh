#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for kalam-bench baselines.
#   pg-cluster.sh start DIR   initdb in DIR, start on 127.0.0.1 on a free port with
#                             synchronous_commit=off; prints the connection string on stdout
#   pg-cluster.sh stop DIR    stops it (DIR is left for the caller to delete)
# Installs PostgreSQL from Debian packages when no server binaries are found. When run as
# root the cluster runs as the `postgres` user (initdb refuses root).
set -euo pipefail

log() { echo "pg-cluster: $*" >&2; }

find_bin() {
    local d
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

ensure_bin() {
    if ! PGBIN=$(find_bin); then
        log "PostgreSQL not found; installing from Debian packages"
        if [ "$(id -u)" -ne 0 ]; then log "need root to install PostgreSQL"; exit 1; fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2
        PGBIN=$(find_bin) || { log "PostgreSQL still not found after install"; exit 1; }
    fi
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    else
        echo $(( 20000 + RANDOM % 30000 ))
    fi
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 64; }
ensure_bin
case "$cmd" in
start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$dir"
        runuser -u postgres -- test -w "$dir" \
            || { log "user postgres cannot reach $dir: make its parent directories traversable (chmod o+x)"; exit 1; }
    fi
    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c synchronous_commit=off -c max_connections=200" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    echo "host=127.0.0.1 port=$port user=postgres dbname=postgres"
    ;;
stop)
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 64 ;;
esac
