#!/usr/bin/env bash
# Drives the web console in headless Chromium as a person would (see
# tools/console_browser.py) against a demo server, with every host but the
# server unreachable, once on the embedded store and once on a fresh
# PostgreSQL database (at CONSOLE_CHECK_POSTGRES, default
# postgres://postgres@127.0.0.1:5432/postgres). The server may call
# 127.0.0.1 (where the check receives its webhooks) and has an operator
# token (to give the demo org a member). With CONSOLE_SCREENSHOTS=1 the
# embedded pass saves 1280 px screenshots into docs/console/.
# Installs Debian's chromium and chromium-driver if missing, and selenium
# into a virtualenv under target/.
# Usage: tools/check-console.sh [path-to-thunderphone-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver (Debian packages)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null;
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null; fi
fi
venv=target/console-venv
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'selenium==4.*'
fi
bin=${1:-target/debug/thunderphone}
[ -x "$bin" ] || cargo build --quiet --bin thunderphone
pids=(); dbs=(); logs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "${dbs[@]}"; do psql -q "$pg" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -f "${logs[@]}"
}
trap cleanup EXIT
# One pass: a demo server on a free port (with the given DATABASE_URL, or
# the embedded store), driven by the browser; screenshots go to $2.
pass() {
  local label=$1 shots=$2 url=${3:-}
  local port log pid key admin sealing
  admin=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
  sealing=$(python3 -c 'import base64, secrets; print("check:" + base64.b64encode(secrets.token_bytes(32)).decode())')
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$(mktemp); logs+=("$log")
  if [ -n "$url" ]; then export DATABASE_URL=$url; else unset DATABASE_URL; fi
  THUNDERPHONE_BIND=127.0.0.1:$port THUNDERPHONE_OUTBOUND_ALLOW=127.0.0.1/32 \
    THUNDERPHONE_ADMIN_TOKEN=$admin THUNDERPHONE_SECRET_KEY=$sealing THUNDERPHONE_RATE_LIMIT_PER_SEC=0 \
    "$bin" serve --demo >"$log" 2>&1 &
  pid=$!; pids+=("$pid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  key=$(grep -o 'TP_KEY=tpk_[A-Za-z0-9_-]*' "$log" | head -1 | cut -d= -f2)
  [ -n "$key" ] || { echo "console check ($label): the demo printed no key" >&2; cat "$log" >&2; exit 1; }
  grep -q "http://127.0.0.1:$port/console" "$log" \
    || { echo "console check ($label): the banner does not name the console" >&2; exit 1; }
  echo "console check on the $label store"
  TP_URL="http://127.0.0.1:$port" TP_KEY="$key" TP_ADMIN="$admin" TP_SHOTS="$shots" \
    timeout 180 "$venv/bin/python" tools/console_browser.py
  kill "$pid" 2>/dev/null || true
}
pg=${CONSOLE_CHECK_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
shots=""
[ "${CONSOLE_SCREENSHOTS:-}" = 1 ] && shots=docs/console
pass memory "$shots"
# Sessions live in the store: the same walk on PostgreSQL.
psql -q "$pg" -c 'SELECT 1' >/dev/null 2>&1 \
  || { echo "console check: PostgreSQL is not reachable at $pg" >&2; exit 1; }
db="tp_console_check_$$"; dbs+=("$db")
psql -q "$pg" -c "CREATE DATABASE $db" >/dev/null
pass postgres "" "${pg%/*}/$db"
