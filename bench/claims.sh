#!/usr/bin/env bash
# Claims per second on SQLite and PostgreSQL with 1, 8 and 32 concurrent workers, and the time to
# accept a 10,000-task plan. A benchmark, not a test: it prints figures next to the targets of
# issue 5. Workers are threads, measured two ways:
#   separate  one store (connection) per worker, as separate `mesh task next` processes are;
#   shared    one store for all of them, as the agents behind `mesh serve` / `mesh mcp` share
#             the server's: concurrent claims are served in batches, one transaction each, on
#             the server's two claim connections (PostgreSQL).
#
#   bash bench/claims.sh              # TASKS=20000 claims per run by default
#   TASKS=5000 bash bench/claims.sh   # quicker
#
# PostgreSQL comes from scripts/pg.sh (a throwaway test cluster with fsync off: the figures are
# the scheduler's, not the disk's). Results are also written to bench/out/claims.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

TASKS="${TASKS:-20000}"
PLAN_TASKS="${PLAN_TASKS:-10000}"
mkdir -p bench/out
OUT=bench/out/claims.txt

echo "building (release)…" >&2
cargo build --release -q -p mesh-store --example claims_bench
BIN=target/release/examples/claims_bench

eval "$(bash scripts/pg.sh)"

nproc_val="$(nproc)"
{
    echo "# mesh-store claims benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), ${nproc_val} cores"
    echo "# claims: ${TASKS} independent tasks per run, 5 lanes, 4 priorities; separate: one store per worker; shared: one store for all (2 claim connections on PostgreSQL)"
} | tee "$OUT"

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

status=0
for mode in separate shared; do
    for backend in sqlite postgres; do
        for workers in 1 8 32; do
            if [[ "$mode" == separate ]]; then
                line="$("$BIN" claims "$backend" "$workers" "$TASKS")"
            else
                line="$("$BIN" shared "$backend" "$workers" "$TASKS" 2)"
            fi
            rate="$(echo "$line" | field claims_per_sec)"
            batch="$(echo "$line" | field mean_batch)"
            verdict=""
            if [[ "$workers" == 32 ]]; then
                target=2000
                [[ "$backend" == postgres ]] && target=5000
                if (( rate >= target )); then verdict="  (target ≥ ${target}: met)"; else verdict="  (target ≥ ${target}: MISSED)"; status=1; fi
            fi
            printf '%-9s %-8s %2s workers  %7s claims/s  mean batch %5s%s\n' \
                "$backend" "$mode" "$workers" "$rate" "$batch" "$verdict" | tee -a "$OUT"
        done
    done
done
# Baseline, same run: pgbench calling the same claim function on the server directly (no mesh
# client, no Rust driver): the server-side ceiling on this machine right now.
PGBENCH="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/pgbench"
if [[ -x "$PGBENCH" ]]; then
    printf 'SELECT * FROM mesh_next(:client_id::text, NULL, (extract(epoch from now()) * 1000)::bigint, (extract(epoch from now()) * 1000)::bigint + 300000);\n' >bench/out/next.pgb
    for workers in 1 8 32; do
        schema="$("$BIN" prepare "$TASKS")"
        per_client=$(( TASKS / workers ))
        tps="$(PGOPTIONS="-c search_path=$schema" "$PGBENCH" -n -M prepared -c "$workers" -j 2 -t "$per_client" \
            -f bench/out/next.pgb "$MESH_TEST_PG_URL" 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p')"
        psql "$MESH_TEST_PG_URL" -qc "DROP SCHEMA \"$schema\" CASCADE" >/dev/null 2>&1 || true
        printf '%-9s %2s workers  %7s claims/s  (baseline: pgbench, same SQL function, no mesh client)\n' \
            "pgbench" "$workers" "${tps:-?}" | tee -a "$OUT"
    done
    # Floor: the writes of a claim alone (its event and the task update, one statement, one
    # round trip, no pick, random tasks): what no pick function can beat on this machine now.
    schema="$("$BIN" prepare "$TASKS")"
    printf '\\set id random(1, %s)\nWITH e AS (INSERT INTO task_events (task_id, at, actor, from_status, to_status, reason) VALUES (:id, 1, :client_id::text, %s, %s, %s) RETURNING id) UPDATE tasks SET worker = :client_id::text, lease_expires_at = 2, claim_seq = (SELECT id FROM e), updated_at = 1 WHERE id = :id;\n' \
        "$TASKS" "'pending'" "'in_progress'" "'claimed'" >bench/out/floor.pgb
    for workers in 1 32; do
        tps="$(PGOPTIONS="-c search_path=$schema" "$PGBENCH" -n -M prepared -c "$workers" -j 2 -t $(( TASKS / workers )) \
            -f bench/out/floor.pgb "$MESH_TEST_PG_URL" 2>/dev/null | sed -n 's/^tps = \([0-9]*\).*/\1/p')"
        printf '%-9s %2s workers  %7s tx/s      (floor: a claim'"'"'s event + task update alone, no pick)\n' \
            "pgbench" "$workers" "${tps:-?}" | tee -a "$OUT"
    done
    psql "$MESH_TEST_PG_URL" -qc "DROP SCHEMA \"$schema\" CASCADE" >/dev/null 2>&1 || true
    # Calibration: PostgreSQL's own simple-update transaction (pgbench -N: one HOT update, one
    # select, one insert) in a scratch database: what this machine does for the least write.
    psql "$MESH_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS mesh_calib" >/dev/null 2>&1 || true
    psql "$MESH_TEST_PG_URL" -qc "CREATE DATABASE mesh_calib" >/dev/null 2>&1 || true
    CAL_URL="${MESH_TEST_PG_URL%/*}/mesh_calib"
    if "$PGBENCH" -q -i -s 1 "$CAL_URL" >/dev/null 2>&1; then
        for workers in 1 32; do
            tps="$("$PGBENCH" -n -M prepared -N -c "$workers" -j 2 -T 5 "$CAL_URL" 2>/dev/null \
                | sed -n 's/^tps = \([0-9]*\).*/\1/p')"
            printf '%-9s %2s workers  %7s tx/s      (calibration: pgbench -N simple-update, not a claim)\n' \
                "pgbench" "$workers" "${tps:-?}" | tee -a "$OUT"
        done
    fi
    psql "$MESH_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS mesh_calib" >/dev/null 2>&1 || true
fi
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)" | tee -a "$OUT"
for backend in sqlite postgres; do
    line="$("$BIN" accept "$backend" "$PLAN_TASKS")"
    secs="$(echo "$line" | field accept_seconds)"
    again="$(echo "$line" | field reaccept_seconds)"
    verdict="met"
    awk -v s="$secs" 'BEGIN { exit !(s < 1.0) }' || { verdict="MISSED"; status=1; }
    printf '%-9s plan accept %s tasks: %ss (re-accept, no change: %ss)  (target < 1 s: %s)\n' \
        "$backend" "$PLAN_TASKS" "$secs" "$again" "$verdict" | tee -a "$OUT"
done
exit "$status"
