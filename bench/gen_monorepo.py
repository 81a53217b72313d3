#!/usr/bin/env python3
"""Generate a synthetic monorepo of document roots for the `mesh check` benchmark.

    python3 bench/gen_monorepo.py OUT_DIR [--roots N] [--seed S]

Writes N roots (default 2000), each `OUT_DIR/<area>/<product>/docs/` holding the six documents
(PRD.md, SPEC.md, ACTIVE_SPEC.md, DECISION_LOG.md, TECH_STACK.md, INBOX.md), so `mesh check
--discover OUT_DIR` finds N roots and 6*N files. Every root is built from one of the fixture
projects in tests/fixtures/projects/, drawn in a fixed shuffled order with the weights in
`SOURCES`: mostly filled document sets (the six styles: gen-15, gen-16, prose, CLI, two legacy
layouts), and about one root in seven half filled or freshly scaffolded, as in a monorepo where
a few products have just started. So most roots are ready and a few carry many findings
(placeholders, option lists, hints, stub markers). A fixture that lacks a document (prose-payments
and the legacy ones have no ACTIVE_SPEC or INBOX) borrows the filled gen-15 one, renamed. Each
root gets its own product name (replacing the fixture's) and its own dates (shifted by a
per-root number of days), so no two files are byte-identical.

The output is a pure function of (N, seed): the same arguments give the same bytes.
OUT_DIR must not exist or be empty.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "projects"
DOCS = ["PRD.md", "SPEC.md", "ACTIVE_SPEC.md", "DECISION_LOG.md", "TECH_STACK.md", "INBOX.md"]

# fixture -> (the product name written in its documents, how many roots per cycle use it)
SOURCES = {
    "bookshop-gen15": ("Marginalia Online", 3),
    "telemetry-gen16": ("Gustline Telemetry", 3),
    "prose-payments": ("Payouts", 3),
    "cli-tool": ("logslice", 3),
    "legacy-8col": ("Brightside Booking", 3),
    "legacy-5col": ("Rotaly", 3),
    "partially-filled": ("Plotline", 1),
    "unfilled-gen15": ("orchard", 1),
    "unfilled-gen16": ("orchard", 1),
}
# Where a fixture's missing documents come from (the filled gen-15 set).
FILLER = "bookshop-gen15"
FILLER_NAME = SOURCES[FILLER][0]

AREAS = ["billing", "catalog", "identity", "logistics", "media", "platform", "search", "support"]
ADJ = ["amber", "brisk", "cobalt", "dusky", "ember", "fern", "granite", "hazel", "indigo",
       "juniper", "kestrel", "linen", "maple", "nimbus", "onyx", "pebble", "quartz", "russet",
       "saffron", "tidal", "umber", "velvet", "willow", "zephyr"]
NOUN = ["anchor", "beacon", "compass", "delta", "engine", "forge", "garden", "harbor", "island",
        "junction", "keystone", "lantern", "meadow", "nexus", "orbit", "prism", "quarry", "relay",
        "summit", "tower", "usher", "vault", "wharf", "yard"]
DATE_RE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")


def load_fixtures() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name in SOURCES:
        docs = FIXTURES / name / "docs"
        if not docs.is_dir():
            sys.exit(f"gen_monorepo: fixture {docs} is missing; run from a checkout of the repository")
        # Bytes in, bytes out: CRLF files stay CRLF and the BOM stays (plain utf-8 keeps it).
        out[name] = {
            d: (docs / d).read_bytes().decode("utf-8")
            for d in DOCS
            if (docs / d).is_file()
        }
    return out


def shift_dates(text: str, days: int) -> str:
    def repl(m: re.Match[str]) -> str:
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return m.group(0)
        return (d + dt.timedelta(days=days)).isoformat()

    return DATE_RE.sub(repl, text)


def render(text: str, old_name: str, new_name: str, days: int) -> str:
    return shift_dates(text.replace(old_name, new_name), days)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="directory to create the monorepo in")
    ap.add_argument("--roots", type=int, default=2000, help="number of document roots (default 2000)")
    ap.add_argument("--seed", type=int, default=2, help="random seed (default 2)")
    args = ap.parse_args()
    if args.roots < 1:
        sys.exit("gen_monorepo: --roots must be at least 1")
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        sys.exit(f"gen_monorepo: {out} is not empty; give a new or empty directory")

    fixtures = load_fixtures()
    rng = random.Random(args.seed)
    order = [name for name, (_, weight) in SOURCES.items() for _ in range(weight)]
    files = 0
    per_source: dict[str, int] = {}
    for i in range(args.roots):
        if i % len(order) == 0:
            rng.shuffle(order)
        src = order[i % len(order)]
        per_source[src] = per_source.get(src, 0) + 1
        area = AREAS[i % len(AREAS)]
        product = f"{rng.choice(ADJ)}-{rng.choice(NOUN)}-{i:04d}"
        title = product.replace("-", " ").title()
        days = rng.randrange(0, 365)
        root = out / area / product / "docs"
        root.mkdir(parents=True, exist_ok=True)
        for doc in DOCS:
            if doc in fixtures[src]:
                text = render(fixtures[src][doc], SOURCES[src][0], title, days)
            else:
                text = render(fixtures[FILLER][doc], FILLER_NAME, title, days)
            (root / doc).write_bytes(text.encode("utf-8"))
            files += 1
    mix = ", ".join(f"{k} {v}" for k, v in sorted(per_source.items()))
    print(f"generated {args.roots} roots, {files} files in {out} ({mix})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
