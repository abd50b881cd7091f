#!/usr/bin/env bash
# Runs every test of amends:
#   1. Rust unit and integration tests (SQLite and PostgreSQL) with cargo-nextest,
#   2. the real-browser tests (Debian chromium + playwright-core) against the built binary.
# Needs PostgreSQL at $AMENDS_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test)
# and chromium at $CHROMIUM_PATH (default /usr/bin/chromium); .ci/run installs both.
set -euo pipefail
cd "$(dirname "$0")/.."

export AMENDS_TEST_POSTGRES_URL="${AMENDS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== Rust tests (unit, storage suite, HTTP, CLI) on SQLite and PostgreSQL"
cargo nextest run --workspace --no-fail-fast 2>&1 | tee -a "$log"
rust_status=${PIPESTATUS[0]}

echo "== Browser tests"
cargo build --bin amends
export AMENDS_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/amends"
(
  cd tests/browser
  if [ ! -d node_modules/playwright-core ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
  node --test --test-concurrency=1
) 2>&1 | tee -a "$log"
browser_status=${PIPESTATUS[0]}

# From nextest's closing "Summary" line ("N tests run: N passed (K flaky), N failed, …"):
# a test that failed once and passed on retry counts as passed (and flaky).
summary=$(grep -E '^ *Summary \[' "$log" | tail -1 || true)
rust_pass=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
rust_fail=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
node_pass=$(grep -E '^# pass ' "$log" | tail -1 | awk '{print $3}' || echo 0)
node_fail=$(grep -E '^# fail ' "$log" | tail -1 | awk '{print $3}' || echo 0)
echo "total: $((rust_pass + ${node_pass:-0})) passed, $((rust_fail + ${node_fail:-0})) failed"
if [ "$rust_status" -ne 0 ] || [ "$browser_status" -ne 0 ]; then
  exit 1
fi
