#!/usr/bin/env bash
# Load benchmark of `mesh serve` on loopback: 64 concurrent keep-alive clients
#   1. reads:  GET /api/status at 5,000 requests/s (target: p99 < 5 ms), then as fast as possible;
#   2. writes: POST /api/tasks/next then POST /api/tasks/{id}/heartbeat, alternating, at 1,000
#      requests/s (target: p99 < 20 ms), then as fast as possible;
# and prints throughput and p50/p90/p99/max latency for each. Latency counts from each request's
# scheduled time. The server is a release build on a SQLite store seeded with tasks.
#
#   bench/serve-load.sh [SECONDS]      # each phase runs SECONDS (default 10)
#   MESH_BIN=/tmp/mesh LOAD_BIN=/tmp/load bench/serve-load.sh   # given binaries, no build
#
# The header records the commit and the load average before and after: the machine is shared,
# so read the figures together with it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
clients=64

if [ -n "${MESH_BIN:-}" ] && [ -n "${LOAD_BIN:-}" ]; then
    mesh=$MESH_BIN
    load=$LOAD_BIN
else
    echo "building (release)…" >&2
    cargo build --quiet --release --locked -p mesh
    cargo build --quiet --release --locked -p mesh-server --example load
    mesh=target/release/mesh
    load=target/release/examples/load
fi
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$mesh" init "$work/p" --name bench --author bench >/dev/null
store="$work/p/.mesh/mesh.db"
# Each claim phase uses one claim per two requests: enough tasks for both claim phases.
"$load" seed "$store" $(( (secs * 1000 / 2 + secs * 6000) + 1000 )) >&2

MESH_LOG=warn "$mesh" serve "$work/p" --addr 127.0.0.1:0 --store "$store" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/out")
[ -n "$url" ] || { cat "$work/err" >&2; exit 1; }

echo "# mesh serve load, $clients clients, ${secs}s per phase, $(nproc) cores, SQLite store"
echo "# $(date -u +%Y-%m-%dT%H:%MZ), mesh $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+dirty'), load average $(loadavg) before"
"$load" read "$url" "$clients" 5000 "$secs"
"$load" read "$url" "$clients" 0 "$secs"
"$load" claim "$url" "$clients" 1000 "$secs"
"$load" claim "$url" "$clients" 0 "$secs"
echo "# load average $(loadavg) after"
echo "# targets: reads p99 < 5 ms at 5000 req/s; claim+heartbeat p99 < 20 ms at 1000 req/s"
