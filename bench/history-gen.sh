#!/usr/bin/env bash
# Generate a large synthetic git history for the governance benchmarks (issue 4).
#
#   bench/history-gen.sh OUT_DIR [COMMITS] [SPEC_CHANGES] [DECISION_CHANGES]
#
# Defaults: 100000 commits, docs/SPEC.md changed in 10000 of them, docs/DECISION_LOG.md in 9000
# (8000 commits change both: compliant; 2000 change SPEC alone: violations; 1000 change the log
# alone). Every other commit changes one of 300 source files in 30 directories. History is linear
# on `main`. The repository is built with `git fast-import` (one process, no `git commit` per
# commit), then `git commit-graph write --reachable --changed-paths` writes the commit-graph with
# changed-path Bloom filters, as the benchmark's floor command expects. About 7 minutes on 2 cores.
#
# Needs: git >= 2.27, python3. Deterministic: the same arguments give the same commit ids.
set -euo pipefail

out=${1:?usage: bench/history-gen.sh OUT_DIR [COMMITS] [SPEC_CHANGES] [DECISION_CHANGES]}
commits=${2:-100000}
spec_changes=${3:-10000}
dec_changes=${4:-9000}

if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "error: $out exists and is not empty; pick a new directory or remove it first" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "error: python3 is needed to write the fast-import stream" >&2; exit 2; }

mkdir -p "$out"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git -C "$out" init -q -b main
git -C "$out" config core.commitGraph true
git -C "$out" config gc.auto 0

start=$(date +%s)
python3 - "$commits" "$spec_changes" "$dec_changes" <<'PY' | git -C "$out" fast-import --quiet --done --depth=50
import random
import sys

commits, spec_n, dec_n = (int(a) for a in sys.argv[1:4])
if not (0 < spec_n and 0 < dec_n and spec_n + dec_n - max(1, min(spec_n, dec_n) * 8 // 9) <= commits):
    sys.exit("error: change counts must be between 1 and COMMITS")
both_n = max(1, min(spec_n, dec_n) * 8 // 9)
rng = random.Random(4)
out = sys.stdout.buffer
w = out.write

# Commit 0 adds everything (it counts as a change of both documents).
others = list(range(1, commits))
rng.shuffle(others)
both = set(others[: both_n - 1])
rest = others[both_n - 1:]
spec_only = set(rest[: spec_n - both_n])
rest = rest[spec_n - both_n:]
dec_only = set(rest[: dec_n - both_n])
spec_set = both | spec_only | {0}
dec_set = both | dec_only | {0}

words = ("service cache token queue tenant index shard replica backoff quota schema "
         "migration audit webhook session cursor batch lease retry budget").split()

def phrase(k):
    r = random.Random(k)
    return " ".join(r.choice(words) for _ in range(6))

spec = ["# SPEC — Bench Project", "", "**Author**: bench | **Date**: 2024-01-01 | **Status**: Active", ""]
for s in range(12):
    spec.append(f"## Section {s}")
    spec.append("")
    for i in range(20):
        spec.append(f"- [ ] S{s}.{i}: {phrase(s * 100 + i)}")
    spec.append("")
spec.append("## Change Policy (to prevent SPEC drift)")
spec.append("- Changes require a decision-log entry.")

log_head = ["# Decision Log", "", "## Records", "",
            "| ID | Date | Type | Decision | Rationale | Scope | Task | Status |",
            "|----|------|------|----------|-----------|-------|------|--------|"]
rows = []

def add_row(n):
    rows.append(f"| {n:05d} | 2024-01-01 | ARCH | {phrase(n)} | bench | core | - | ✅ |")

add_row(1)
src = {f"src/m{d:02d}/f{f:02d}.rs": 0 for d in range(30) for f in range(10)}
src_paths = sorted(src)

def blob(path, text):
    data = text.encode()
    w(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
    w(data)
    w(b"\n")

def src_text(path, v):
    return f"// {path} version {v}\n" + "".join(f"pub fn f{i}() -> u32 {{ {v} + {i} }}\n" for i in range(20))

t0 = 1_600_000_000
next_row = 2
for c in range(commits):
    is_spec = c in spec_set
    is_dec = c in dec_set
    if c == 0:
        msg = "root: scaffold documents and sources"
    elif is_spec and is_dec:
        msg = f"spec change {c} with decision"
    elif is_spec:
        msg = f"spec change {c} without decision"
    elif is_dec:
        msg = f"decision {c}"
    else:
        msg = f"code change {c}"
    m = msg.encode()
    w(b"commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.invalid> %d +0000\ndata %d\n" % (c + 1, t0 + c * 60, len(m)))
    w(m)
    w(b"\n")
    if c == 0:
        for p in src_paths:
            blob(p, src_text(p, 0))
    if is_spec and c > 0:
        op = rng.random()
        i = rng.randrange(4, len(spec))
        if op < 0.3 and spec[i].startswith("- [ ]"):
            spec[i] = "- [x]" + spec[i][5:]
        elif op < 0.7:
            spec.insert(i, f"- [ ] N{c}: {phrase(c)}")
        else:
            spec[i] = spec[i] + f" (rev {c})"
        if len(spec) > 700:
            # Never the line just written: the commit must change the file.
            j = rng.randrange(4, len(spec) - 1)
            del spec[j + 1 if j >= i else j]
    if is_spec:
        blob("docs/SPEC.md", "\n".join(spec) + "\n")
    if is_dec and c > 0:
        if rows and rng.random() < 0.1:
            j = rng.randrange(len(rows))
            rows[j] = rows[j].replace("✅", "🔄")
        add_row(next_row)
        next_row += 1
    if is_dec:
        blob("docs/DECISION_LOG.md", "\n".join(log_head + rows) + "\n")
    if not is_spec and not is_dec:
        p = src_paths[rng.randrange(len(src_paths))]
        src[p] += 1
        blob(p, src_text(p, src[p]))
    w(b"\n")
w(b"done\n")
PY
git -C "$out" reset -q --hard main
# fast-import deltas each blob against the previous blob written, whatever its path: repack as
# `git gc` would, so that the pack looks like a real repository's (about 80 MB instead of 650).
git -C "$out" repack -a -d -f -q --depth=50 --window=10
git -C "$out" commit-graph write --reachable --changed-paths
end=$(date +%s)

echo "generated $(git -C "$out" rev-list --count main) commits in $out in $((end - start)) s"
echo "  docs/SPEC.md changed in        $(git -C "$out" rev-list --count main -- docs/SPEC.md) commits"
echo "  docs/DECISION_LOG.md changed in $(git -C "$out" rev-list --count main -- docs/DECISION_LOG.md) commits"
du -sh "$out/.git" | sed 's/^/  size of .git: /'
