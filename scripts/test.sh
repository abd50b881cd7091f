#!/usr/bin/env bash
# Runs every test of amends:
#   1. Rust unit and integration tests (SQLite and PostgreSQL) with cargo-nextest,
#   2. the real-browser tests (Debian chromium + playwright-core) against the built binary,
#   3. the API contract: schemathesis against the built binary on both backends
#      (scripts/schemathesis.sh).
# On a fresh Debian machine it first installs what the tests need (chromium,
# dovecot-imapd for the IMAP tests, openssl for the IMAPS test's certificates,
# PostgreSQL if none answers, cargo-nextest, cargo-deny) and starts PostgreSQL; it says
# what it installs and stops with a message if it cannot (nothing is skipped
# silently). PostgreSQL is used at $AMENDS_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test, trust auth).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -x /usr/sbin/dovecot ] || need_apt+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v pg_isready >/dev/null 2>&1 || need_apt+=(postgresql)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]} (Debian)"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${need_apt[*]}; install them (Debian: apt-get install ${need_apt[*]}) and run again" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ -z "${AMENDS_TEST_POSTGRES_URL:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== starting PostgreSQL"
  cluster_version="$(ls /etc/postgresql | sort -V | tail -1)"
  if [ -z "$cluster_version" ]; then
    echo "no PostgreSQL cluster under /etc/postgresql; set AMENDS_TEST_POSTGRES_URL to a server" >&2
    exit 1
  fi
  conf="/etc/postgresql/$cluster_version/main/pg_hba.conf"
  # The tests connect as postgres over TCP without a password.
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "== installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
if ! cargo deny --version >/dev/null 2>&1; then
  echo "== installing cargo-deny"
  cargo install cargo-deny --locked
fi

export AMENDS_TEST_POSTGRES_URL="${AMENDS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A failing step must not stop the next one: every step runs, then the
# script fails if any did.
set +e
echo "== Supply chain: cargo deny (licences, bans and duplicate versions, sources; deny.toml)"
cargo deny check licenses bans sources
deny_status=$?
# The advisory database comes from github.com: checked when it can be
# fetched (or a copy exists), otherwise said loudly, never skipped silently.
if timeout 120 cargo deny fetch db >/dev/null 2>&1; then
  cargo deny --offline check advisories
  deny_status=$((deny_status | $?))
else
  echo "!! advisories NOT checked: the RustSec advisory database (github.com/RustSec/advisory-db) cannot be fetched here;"
  echo "!! run \`cargo deny check advisories\` on a machine that reaches github.com"
fi

echo "== Rust tests (unit, storage suite, HTTP, CLI) on SQLite and PostgreSQL"
cargo nextest run --workspace --no-fail-fast 2>&1 | tee -a "$log"
rust_status=${PIPESTATUS[0]}

echo "== Browser tests"
cargo build --bin amends || { echo "cannot build the binary for the browser tests" >&2; exit 1; }
export AMENDS_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/amends"
(
  cd tests/browser
  if [ ! -d node_modules/playwright-core ]; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund || exit 1
  fi
  node --test --test-concurrency=1
) 2>&1 | tee -a "$log"
browser_status=${PIPESTATUS[0]}

echo "== API contract (schemathesis on SQLite and PostgreSQL)"
./scripts/schemathesis.sh 2>&1 | tee -a "$log"
contract_status=${PIPESTATUS[0]}

# From nextest's closing "Summary" line ("N tests run: N passed (K flaky), N failed, …"):
# a test that failed once and passed on retry counts as passed (and flaky).
summary=$(grep -E '^ *Summary \[' "$log" | tail -1 || true)
rust_pass=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
rust_fail=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
node_pass=$(grep -E '^# pass ' "$log" | tail -1 | awk '{print $3}' || echo 0)
node_fail=$(grep -E '^# fail ' "$log" | tail -1 | awk '{print $3}' || echo 0)
echo "total: $((rust_pass + ${node_pass:-0})) passed, $((rust_fail + ${node_fail:-0})) failed"
if [ "$contract_status" -ne 0 ]; then
  echo "API contract: schemathesis failed (see above)"
fi
if [ "$rust_status" -ne 0 ] || [ "$browser_status" -ne 0 ] || [ "$deny_status" -ne 0 ] || [ "$contract_status" -ne 0 ]; then
  exit 1
fi
