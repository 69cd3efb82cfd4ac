#!/usr/bin/env bash
# Drives the web console in headless Chromium as a person would (see
# tools/console_browser.py) against a demo server, with every host but the
# server unreachable, and saves 1280 px screenshots into docs/console/.
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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
THUNDERPHONE_BIND=127.0.0.1:$port "$bin" serve --demo >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
key=$(grep -o 'TP_KEY=tpk_[A-Za-z0-9_-]*' "$log" | head -1 | cut -d= -f2)
[ -n "$key" ] || { echo "console check: the demo printed no key" >&2; cat "$log" >&2; exit 1; }
grep -q "http://127.0.0.1:$port/console" "$log" || { echo "console check: the banner does not name the console" >&2; exit 1; }
TP_URL="http://127.0.0.1:$port" TP_KEY="$key" TP_SHOTS=docs/console \
  timeout 120 "$venv/bin/python" tools/console_browser.py
