#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis
# (pinned, from PyPI, installed into a venv under ~/.cache/amends): the built
# binary serves seeded demo data on SQLite, then on PostgreSQL (a database of
# its own, created and dropped), and `schemathesis run` sends a bounded number
# of generated requests to every operation with an admin bearer token and
# every check but the ones docs/SECURITY.md ("API contract") explains.
# Exits non-zero on any failure.
#
#   scripts/schemathesis.sh                  # both backends
#   scripts/schemathesis.sh sqlite           # one backend
#   SCHEMATHESIS_EXAMPLES=50 scripts/schemathesis.sh   # more examples per operation
#
# AMENDS_BIN (default: target/debug/amends, built if missing),
# AMENDS_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
examples="${SCHEMATHESIS_EXAMPLES:-8}"
seed="${SCHEMATHESIS_SEED:-20261206}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/amends/schemathesis-$version"
pg_admin="${AMENDS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
backends=("$@")
[ ${#backends[@]} -gt 0 ] || backends=(sqlite postgres)

if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "== installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

bin="${AMENDS_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/amends}"
if [ ! -x "$bin" ]; then
  cargo build --bin amends
fi

work=$(mktemp -d)
server_pid=""
pg_db=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Serves demo data from database $1 and runs schemathesis against it.
fuzz() {
  local name=$1 url=$2
  local log="$work/$name-serve.log"
  echo "== schemathesis on $name: seeding demo data"
  "$bin" --database-url "$url" demo --customers 40 --cases 120 --seed 7 >/dev/null
  local token
  token=$("$bin" --database-url "$url" token create --user admin --name schemathesis | tail -1)
  AMENDS_LOG=warn "$bin" --database-url "$url" serve --bind 127.0.0.1:0 >"$work/$name-serve.out" 2>"$log" &
  server_pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(grep -oE 'http://[0-9.:]+' "$work/$name-serve.out" 2>/dev/null | head -1 || true)
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$addr" ]; then
    echo "amends serve did not start on $name:" >&2
    cat "$log" >&2
    return 1
  fi
  echo "== schemathesis on $name: $addr, $examples examples per operation, seed $seed"
  local status=0
  "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$addr/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --max-examples "$examples" --seed "$seed" \
    --report junit --report-dir "$work/report-$name" || status=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if grep -qE 'panicked|internal error' "$log"; then
    echo "the server logged errors on $name:" >&2
    grep -E 'panicked|internal error' "$log" | head -20 >&2
    status=1
  fi
  return "$status"
}

failed=()
for b in "${backends[@]}"; do
  case "$b" in
    sqlite)
      fuzz sqlite "sqlite://$work/amends.db" || failed+=(sqlite)
      ;;
    postgres)
      pg_db="amends_schemathesis_$$"
      psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
      fuzz postgres "${pg_admin%/*}/$pg_db" || failed+=(postgres)
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
      pg_db=""
      ;;
    *)
      echo "unknown backend $b (sqlite or postgres)" >&2
      exit 2
      ;;
  esac
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "schemathesis failed on: ${failed[*]}" >&2
  exit 1
fi
echo "schemathesis passed on: ${backends[*]}"
