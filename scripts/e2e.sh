#!/usr/bin/env bash
# End-to-end tests of `mesh serve` and `mesh mcp` with clients nobody here wrote:
#   1. the web cockpit in Debian's headless Chromium, driven by playwright-core (npm): the page
#      without JavaScript, then live: a task claimed through the API appears on the board;
#   2. the official MCP Python SDK (`mcp` from PyPI) over stdio (`mesh mcp`) and over
#      streamable HTTP (`/mcp`, with a bearer token), asking a clarification included;
#   and, around them: problem+json answers, tokens switching the server to authenticated mode,
#   and a graceful shutdown on SIGTERM.
#
#   ./scripts/e2e.sh
#
# Installs what it needs: Debian's chromium (apt, as root), playwright-core into
# tests/e2e/node_modules, the mcp SDK into tests/e2e/.venv. Builds mesh first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n==> %s\n' "$*"; }

step "installing the clients"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "e2e: Debian's chromium is missing; install it: sudo apt-get install chromium" >&2
        exit 2
    fi
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
    npm install --prefix tests/e2e --no-audit --no-fund --silent
fi
if [ ! -x tests/e2e/.venv/bin/python ]; then
    python3 -m venv tests/e2e/.venv
fi
if ! tests/e2e/.venv/bin/python -c 'import mcp' 2>/dev/null; then
    tests/e2e/.venv/bin/pip install -q -r tests/e2e/requirements.txt
fi

step "building mesh"
cargo build --quiet --locked -p mesh
mesh="$root/target/debug/mesh"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step "a project with tasks"
proj="$work/shop"
"$mesh" init "$proj" --name shop --author e2e >/dev/null
store="$proj/.mesh/mesh.db"
# The review gate judges the git working tree, and `verify` runs the project's test command.
git -C "$proj" init -q
printf '\n[verify]\ncommand = "echo %s"\n' \
    "'test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s'" \
    >>"$proj/mesh.toml"

MESH_LOG=warn "$mesh" serve "$proj" --addr 127.0.0.1:0 --store "$store" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 100); do
    grep -q 'listening on' "$work/serve.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
    sleep 0.1
done
base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$base" ] || { echo "e2e: the server did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "server at $base"

post() { curl -sS -o "$work/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' "$@"; }
for t in "Write the install guide" "Document the REST API" "Describe the MCP tools" \
    "Explain the cockpit" "List the exit codes"; do
    code=$(post -d "{\"title\": \"$t\", \"lane\": \"docs\"}" "$base/api/tasks")
    [ "$code" = 201 ] || { echo "e2e: creating a task gave $code: $(cat "$work/body")" >&2; exit 1; }
done

step "problem+json for bad requests"
expect_problem() { # status, then curl arguments
    local want=$1; shift
    local code
    code=$(curl -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@")
    if [ "$code" != "$want" ] || ! grep -qi '^content-type: application/problem+json' "$work/headers"; then
        echo "e2e: expected a $want problem, got $code: $(cat "$work/body")" >&2; exit 1
    fi
    echo "ok - $want problem+json: $(head -c 120 "$work/body")"
}
expect_problem 400 -X POST -H 'Content-Type: application/json' -H 'X-Mesh-Worker: w' -d '{"lane":' "$base/api/tasks/next"
expect_problem 404 "$base/api/tasks/T-424242"
expect_problem 413 -X POST -H 'Content-Type: application/json' -H 'X-Mesh-Worker: w' --data-binary "@/dev/stdin" "$base/api/tasks/1/submit" < <(head -c 400000 /dev/zero | tr '\0' 'x')

step "the web cockpit in headless Chromium"
mkdir -p tests/e2e/out
node tests/e2e/cockpit.mjs "$base" tests/e2e/out

step "MCP over stdio with the Python SDK"
tests/e2e/.venv/bin/python tests/e2e/mcp_client.py stdio "$mesh" "$proj" "$store"

step "tokens: the server switches to bearer authentication"
"$mesh" token create --role admin --name e2e-admin --dir "$proj" --store "$store" >/dev/null 2>&1
worker_token=$("$mesh" token create --role worker --name py-http --dir "$proj" --store "$store" 2>/dev/null)
for _ in $(seq 1 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status")" = 401 ] && break
    sleep 0.1
done
expect_problem 401 "$base/api/status"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $worker_token" "$base/api/status")
[ "$code" = 200 ] || { echo "e2e: the worker token was refused ($code)" >&2; exit 1; }
echo "ok - a worker token reads the status"

step "MCP over streamable HTTP with the Python SDK"
tests/e2e/.venv/bin/python tests/e2e/mcp_client.py http "$base/mcp" "$worker_token"

step "graceful shutdown"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" = 0 ] || { echo "e2e: the server exited with $status after SIGTERM" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "ok - SIGTERM stopped the server cleanly"

echo
echo "e2e: all passed"
