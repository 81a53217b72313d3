#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a developer's: installs what the tests need,
# then runs formatting, lints, every test (unit, integration, CLI, PostgreSQL, git) and the
# repository's own gate on its docs/.
#
#   ./scripts/test.sh
#
# Needs: the Rust toolchain (rust-toolchain.toml), git, python3; PostgreSQL is installed from the
# distribution's packages when missing (root) and started as a throwaway cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "PostgreSQL for the store tests"
eval "$(bash scripts/pg.sh)"
export MESH_TEST_PG_URL
trap 'bash scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
    cargo test --workspace --locked --doc
else
    cargo test --workspace --locked --no-fail-fast
fi

step "dogfooding: our own docs/ pass our own gate"
cargo run --quiet --locked -p mesh -- check
cargo run --quiet --locked -p mesh -- hydrate --check
cargo run --quiet --locked -p mesh -- check --base "$(git rev-list --max-parents=0 HEAD | tail -n 1)" --select GOV,DEC

step "end-to-end: browser cockpit and MCP clients"
bash scripts/e2e.sh
