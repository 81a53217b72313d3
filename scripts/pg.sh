#!/usr/bin/env bash
# Ensure a PostgreSQL server for tests and print the URL to use.
#
#   eval "$(bash scripts/pg.sh)"      # exports MESH_TEST_PG_URL=postgres://mesh@127.0.0.1:PORT/mesh_test
#   bash scripts/pg.sh stop           # stop the throwaway cluster
#
# - Reuses MESH_TEST_PG_URL when it is already set and answers.
# - Installs PostgreSQL from the distribution's packages when no server binaries are found
#   (apt-get; needs root).
# - Starts a throwaway cluster (initdb + pg_ctl) in $MESH_PG_DIR (default /tmp/mesh-pg-cluster)
#   on a free loopback port, as the `postgres` user when run as root; trust authentication on
#   127.0.0.1 only; fsync off (it is a test cluster).
# - Idempotent: a second run finds the running cluster and prints the same URL.
# Logs go to stderr; stdout carries only the export line.
set -euo pipefail

DIR="${MESH_PG_DIR:-/tmp/mesh-pg-cluster}"
DB="${MESH_PG_DB:-mesh_test}"
PGUSER_NAME="mesh"

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    return 1
}

# Run a command as the cluster owner (the postgres user when we are root).
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$OWNER" -- "$@"
    else
        "$@"
    fi
}

answers() { # URL
    "$PSQL" "$1" -Atqc 'SELECT 1' >/dev/null 2>&1
}

port_free() { # PORT
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

BINDIR="$(find_bindir || true)"
if [[ -z "$BINDIR" ]]; then
    [[ "$(id -u)" == 0 ]] || die "PostgreSQL is not installed and this is not root: install the 'postgresql' package"
    log "installing PostgreSQL from the distribution's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BINDIR="$(find_bindir)" || die "PostgreSQL was installed but initdb/pg_ctl were not found"
fi
PSQL="$BINDIR/psql"
[[ -x "$PSQL" ]] || PSQL="$(command -v psql || true)"
[[ -n "$PSQL" ]] || die "psql not found"

OWNER="$(id -un)"
if [[ "$(id -u)" == 0 ]]; then
    OWNER="postgres"
    if ! id "$OWNER" >/dev/null 2>&1; then
        log "creating system user $OWNER"
        useradd --system --home-dir "$DIR" --shell /usr/sbin/nologin "$OWNER"
    fi
fi

if [[ "${1:-}" == "stop" ]]; then
    if [[ -f "$DIR/data/postmaster.pid" ]]; then
        as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
    fi
    log "stopped"
    exit 0
fi

# 1. An URL that already answers.
if [[ -n "${MESH_TEST_PG_URL:-}" ]] && answers "$MESH_TEST_PG_URL"; then
    log "reusing MESH_TEST_PG_URL"
    printf "export MESH_TEST_PG_URL='%s'\n" "$MESH_TEST_PG_URL"
    exit 0
fi

# 2. Our cluster, running or stopped.
if [[ -f "$DIR/url" && -f "$DIR/data/PG_VERSION" ]]; then
    URL="$(cat "$DIR/url")"
    if answers "$URL"; then
        log "cluster in $DIR is running"
        printf "export MESH_TEST_PG_URL='%s'\n" "$URL"
        exit 0
    fi
    PORT="$(cat "$DIR/port")"
    if port_free "$PORT"; then
        log "starting the existing cluster in $DIR on port $PORT"
        if as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >&2 && answers "$URL"; then
            printf "export MESH_TEST_PG_URL='%s'\n" "$URL"
            exit 0
        fi
    fi
    log "the cluster in $DIR cannot be reused; creating a new one"
    as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
fi

# 3. A new cluster.
PORT=55432
while ! port_free "$PORT"; do
    PORT=$((PORT + 1))
    [[ "$PORT" -lt 56432 ]] || die "no free port between 55432 and 56431"
done
mkdir -p "$DIR"
chmod 0755 "$DIR"
[[ "$(id -u)" == 0 ]] && chown "$OWNER" "$DIR"
log "initialising a cluster in $DIR (owner $OWNER, port $PORT)"
as_owner "$BINDIR/initdb" -D "$DIR/data" -U "$PGUSER_NAME" --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
cat >>"$DIR/data/postgresql.conf" <<EOF

# mesh test cluster (scripts/pg.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >&2 \
    || { tail -n 30 "$DIR/server.log" >&2 || true; die "the server did not start"; }
as_owner "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U "$PGUSER_NAME" "$DB" >&2
URL="postgres://$PGUSER_NAME@127.0.0.1:$PORT/$DB"
echo "$PORT" >"$DIR/port"
echo "$URL" >"$DIR/url"
answers "$URL" || die "the new cluster does not answer at $URL"
log "ready: $URL"
printf "export MESH_TEST_PG_URL='%s'\n" "$URL"
