#!/usr/bin/env bash
# `mesh check` speed and memory next to markdownlint-cli2 on the same files, in the same run.
# A benchmark, not a test: it prints figures beside the targets of issue 2 (point 10) and always
# exits 0. See bench/README.md for what each figure means.
#
#   bash bench/check.sh                  # 2,000 roots, 5 mesh runs, 1 markdownlint run
#   ROOTS=500 bash bench/check.sh        # a smaller monorepo
#   NO_BASELINE=1 bash bench/check.sh    # skip markdownlint-cli2 (no ratio)
#
# Environment: ROOTS (2000), RUNS (mesh runs on the monorepo, 5), SINGLE_RUNS (mesh runs on one
# project, 100), BASELINE_RUNS (markdownlint runs on the monorepo, 1), PROJECT (the single
# project, tests/fixtures/projects/bookshop-gen15), MDL_VERSION (markdownlint-cli2 version,
# 0.22.1), KEEP=1 keeps the generated monorepo. The table is also written to bench/out/check.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"

ROOTS="${ROOTS:-2000}"
RUNS="${RUNS:-5}"
SINGLE_RUNS="${SINGLE_RUNS:-100}"
BASELINE_RUNS="${BASELINE_RUNS:-1}"
PROJECT="${PROJECT:-tests/fixtures/projects/bookshop-gen15}"
MDL_VERSION="${MDL_VERSION:-0.22.1}"
NPM_DIR="$REPO/bench/.npm"
MDL="$NPM_DIR/node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs"

mkdir -p bench/out
OUT="$REPO/bench/out/check.txt"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mesh-bench.XXXXXX")"
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
say() { echo "$*" >&2; }
now_ns() { date +%s%N; }

# --- tools --------------------------------------------------------------------------------------
say "building mesh (release)…"
if ! cargo build --release -q -p mesh; then
    echo "SKIP: \`cargo build --release -p mesh\` failed; nothing was measured."
    exit 0
fi
# Measure a private copy: a colleague's rebuild must not swap the binary in the middle of a run.
cp target/release/mesh "$WORK/mesh"
MESH="$WORK/mesh"

TIME=/usr/bin/time
if [ ! -x "$TIME" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing GNU time (for peak memory)…"
    apt-get install -y -qq time >/dev/null 2>&1 || true
fi
[ -x "$TIME" ] || { say "GNU time not found: peak memory will not be reported"; TIME=""; }
HYPERFINE="$(command -v hyperfine || true)"

HAVE_MDL=0
if [ "${NO_BASELINE:-0}" = 1 ]; then
    MDL_WHY="skipped (NO_BASELINE=1)"
elif ! command -v node >/dev/null; then
    MDL_WHY="node is not installed"
else
    if [ ! -f "$MDL" ] && command -v npm >/dev/null; then
        say "installing markdownlint-cli2@$MDL_VERSION into bench/.npm…"
        npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent "markdownlint-cli2@$MDL_VERSION" >&2 || true
    fi
    # `--help` exits 2 after printing the banner, so look at the banner, not the status.
    MDL_WHY="$( (node "$MDL" --help 2>/dev/null || true) | head -n 1)"
    if [ -f "$MDL" ] && [[ "$MDL_WHY" == markdownlint-cli2* ]]; then
        HAVE_MDL=1
    else
        MDL_WHY="markdownlint-cli2 could not be installed (npm install --prefix bench/.npm markdownlint-cli2)"
    fi
fi
# Every rule on, nothing ignored, no .gitignore filtering, results to stderr (the default).
MDL_CONFIG="$WORK/cfg/.markdownlint-cli2.jsonc"
mkdir -p "$WORK/cfg"
cat >"$MDL_CONFIG" <<'EOF'
{
  "config": { "default": true },
  "gitignore": false,
  "noBanner": true,
  "noProgress": true
}
EOF

# --- workload -----------------------------------------------------------------------------------
MONO="$WORK/mono"
say "generating $ROOTS roots…"
if ! python3 bench/gen_monorepo.py "$MONO" --roots "$ROOTS"; then
    echo "SKIP: bench/gen_monorepo.py failed; nothing was measured."
    exit 0
fi
# The 45 MB just written would otherwise be written back to disk during the timed runs.
sync
FILES="$(find "$MONO" -type f -name '*.md' | wc -l)"
BYTES="$(find "$MONO" -type f -name '*.md' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# run_timed LABEL OUTFILE ERRFILE CMD... — one run; appends "wall_s peak_kb cpu_s" to $WORK/LABEL.
run_timed() {
    local label="$1" out="$2" err="$3"
    shift 3
    local t0 t1 peak=0 cpu=0
    if [ -n "$TIME" ]; then
        t0="$(now_ns)"
        "$TIME" -f "%M %U %S" -o "$WORK/time.$label" "$@" >"$out" 2>"$err"
        t1="$(now_ns)"
        # GNU time writes "Command exited with non-zero status N" first when mesh finds errors.
        read -r peak u s < <(tail -n 1 "$WORK/time.$label")
        cpu="$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')"
    else
        t0="$(now_ns)"
        "$@" >"$out" 2>"$err"
        t1="$(now_ns)"
    fi
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}') $peak $cpu" >>"$WORK/runs.$label"
}

# stats LABEL → "median_wall max_peak_kb median_cpu runs"
stats() {
    python3 - "$WORK/runs.$1" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(statistics.median(r[0] for r in rows), int(max(r[1] for r in rows)),
      statistics.median(r[2] for r in rows), len(rows))
EOF
}

# --- (a) one project, including process start --------------------------------------------------
say "(a) mesh check $PROJECT ×$SINGLE_RUNS…"
single_mean() { # single_mean RUNS CMD... → mean seconds
    local runs="$1"
    shift
    if [ -n "$HYPERFINE" ]; then
        "$HYPERFINE" -N -i --style none --warmup 3 --runs "$runs" --export-json "$WORK/hf.json" \
            "$(printf '%q ' "$@")" >/dev/null 2>&1 &&
            python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["mean"], r["stddev"] or 0)' "$WORK/hf.json"
    else
        local t0 t1 i
        "$@" >/dev/null 2>&1
        t0="$(now_ns)"
        for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
        t1="$(now_ns)"
        awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN {print (b - a) / 1e9 / n, 0}'
    fi
}
read -r SINGLE SINGLE_SD < <(single_mean "$SINGLE_RUNS" "$MESH" check "$REPO/$PROJECT")
SINGLE_MDL="" SINGLE_MDL_SD=""
if [ "$HAVE_MDL" = 1 ]; then
    say "(a) markdownlint-cli2 on the same files ×10…"
    read -r SINGLE_MDL SINGLE_MDL_SD < <(cd "$REPO/$PROJECT/docs" && single_mean 10 node "$MDL" --config "$MDL_CONFIG" "*.md")
fi

# --- (b) the monorepo ----------------------------------------------------------------------------
say "(b) mesh check --discover <monorepo> --format json ×$RUNS…"
"$MESH" check --discover "$MONO" --format json >"$WORK/mesh.json" 2>"$WORK/mesh.err" # warm-up; findings
MESH_RC=$?
for ((i = 0; i < RUNS; i++)); do
    run_timed mesh /dev/null "$WORK/mesh.err" "$MESH" check --discover "$MONO" --format json
done
read -r M_WALL M_PEAK M_CPU M_N < <(stats mesh)
MESH_FINDINGS="$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["errors"]+s["warnings"]+s["infos"], "findings in", len(s["roots"]), "roots,", s["files_checked"], "files")' "$WORK/mesh.json" 2>/dev/null || echo "exit $MESH_RC: $(head -c 300 "$WORK/mesh.err")")"

# --- (c) markdownlint-cli2 on the same files ----------------------------------------------------
B_WALL="" B_PEAK="" B_CPU="" B_N=0 MDL_FINDINGS=""
if [ "$HAVE_MDL" = 1 ]; then
    say "(c) markdownlint-cli2 \"**/*.md\" on the monorepo ×$BASELINE_RUNS (minutes)…"
    for ((i = 0; i < BASELINE_RUNS; i++)); do
        (cd "$MONO" && run_timed mdl /dev/null "$WORK/mdl.err" node "$MDL" --config "$MDL_CONFIG" "**/*.md")
    done
    read -r B_WALL B_PEAK B_CPU B_N < <(stats mdl)
    MDL_FINDINGS="$(grep -c ' error MD' "$WORK/mdl.err" || true) findings"
fi
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report --------------------------------------------------------------------------------------
python3 - "$OUT" <<EOF
import sys
def f(x):
    return float(x) if x not in ("", None) else None
single, single_sd = f("$SINGLE"), f("$SINGLE_SD")
single_b = f("$SINGLE_MDL")
m_wall, m_peak, m_cpu = f("$M_WALL"), f("$M_PEAK"), f("$M_CPU")
b_wall, b_peak, b_cpu = f("$B_WALL"), f("$B_PEAK"), f("$B_CPU")
have_time = "$TIME" != ""
def t(s):
    if s is None: return "n/a"
    return f"{s*1000:.1f} ms" if s < 1 else f"{s:.2f} s"
def mb(kb):
    return f"{kb/1024:.0f} MB" if kb else "n/a"
def ratio(b, m):
    return f"{b/m:.0f}x" if b and m else "n/a"
def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "MISS")
speedup = b_wall / m_wall if b_wall and m_wall else None
rows = [
    ("one project, wall incl. start", t(single) + (f" ±{single_sd*1000:.1f}" if single_sd else ""), t(single_b), ratio(single_b, single), "< 10 ms", verdict(single < 0.010 if single else None)),
    (f"{$ROOTS}-root monorepo, wall", t(m_wall), t(b_wall), ratio(b_wall, m_wall), "< 0.5 s", verdict(m_wall < 0.5 if m_wall else None)),
    (f"{$ROOTS}-root monorepo, peak RSS", mb(m_peak) if have_time else "n/a", mb(b_peak) if have_time and b_peak else "n/a", ratio(b_peak, m_peak) if have_time else "n/a", "< 200 MB", verdict(m_peak / 1024 < 200 if have_time and m_peak else None)),
    (f"{$ROOTS}-root monorepo, CPU user+sys", t(m_cpu) if have_time else "n/a", t(b_cpu) if have_time and b_cpu else "n/a", ratio(b_cpu, m_cpu) if have_time else "n/a", "", ""),
    ("speed-up vs markdownlint-cli2", "", "", f"{speedup:.0f}x" if speedup else "n/a", ">= 30x", verdict(speedup >= 30 if speedup else None)),
]
head = ("measure", "mesh", "markdownlint-cli2", "ratio", "target", "result")
w = [max(len(str(r[i])) for r in rows + [head]) for i in range(6)]
line = lambda r: "  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip()
import datetime, os, subprocess
rev = subprocess.run(["git", "-C", "$REPO", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
dirty = subprocess.run(["git", "-C", "$REPO", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
out = [
    f"# mesh check benchmark - {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%dT%H:%MZ}, {os.cpu_count()} cores, load average {'$LOAD_BEFORE'} before / {'$LOAD_AFTER'} after",
    f"# mesh {rev}{' (+ uncommitted changes)' if dirty else ''}; baseline: $MDL_WHY",
    f"# workload: $ROOTS roots, $FILES files, {int('$BYTES')/1e6:.1f} MB of Markdown (bench/gen_monorepo.py); mesh runs: {'$M_N'} (median wall, max RSS); markdownlint runs: {'$B_N'}",
    f"# one project: $PROJECT ({'hyperfine' if '$HYPERFINE' else 'shell loop'}, mean of $SINGLE_RUNS runs; markdownlint 10 runs)",
    f"# findings: mesh $MESH_FINDINGS; markdownlint-cli2 {'$MDL_FINDINGS' or 'n/a'}",
    "",
    line(head),
    line(tuple("-" * x for x in w)),
    *[line(r) for r in rows],
]
text = "\n".join(out) + "\n"
print(text, end="")
open(sys.argv[1], "w").write(text)
EOF
exit 0
