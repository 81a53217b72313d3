#!/usr/bin/env bash
# Load benchmark of `mesh serve` on loopback: 64 concurrent keep-alive clients
#   0. floor:  GET /assets/favicon.svg at 5,000 and at 1,000 requests/s: static bytes through the
#      same server, router and middleware, measured in the same run as the baseline (each phase's
#      p99 is printed as a ratio to the floor's at the same rate);
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
p99() { sed -n 's/.*p99=\([0-9.]*\) ms.*/\1/p' "$1"; }
# "NAME p99 / floor p99 at RATE req/s: a / b ms = ratio"
ratio() {
    local a b
    a=$(p99 "$work/$1"); b=$(p99 "$work/$2")
    echo "$1 p99 / floor p99 at $3 req/s: $a / $b ms = $(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
}
"$load" floor "$url" "$clients" 5000 "$secs" | tee "$work/floor5k"
"$load" read "$url" "$clients" 5000 "$secs" | tee "$work/read"
ratio read floor5k 5000
"$load" read "$url" "$clients" 0 "$secs"
"$load" floor "$url" "$clients" 1000 "$secs" | tee "$work/floor1k"
"$load" claim "$url" "$clients" 1000 "$secs" | tee "$work/claim"
ratio claim floor1k 1000
"$load" claim "$url" "$clients" 0 "$secs"
echo "# load average $(loadavg) after"
echo "# targets: reads p99 < 5 ms at 5000 req/s; claim+heartbeat p99 < 20 ms at 1000 req/s"
