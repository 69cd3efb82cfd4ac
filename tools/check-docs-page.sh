#!/usr/bin/env bash
# Loads /docs in headless Chromium with every host but the server blocked,
# and checks that Swagger UI rendered the operations of /openapi.json.
# Installs Debian's chromium if it is missing.
# Usage: tools/check-docs-page.sh [path-to-thunderphone-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null;
  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi
fi
bin=${1:-target/debug/thunderphone}
[ -x "$bin" ] || cargo build --quiet --bin thunderphone
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp); profile=$(mktemp -d); dom=$(mktemp)
THUNDERPHONE_BIND=127.0.0.1:$port "$bin" serve >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$log" "$profile" "$dom"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
# No network but the server: every other host resolves nowhere.
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" \
  --host-resolver-rules="MAP * ~NOTFOUND , EXCLUDE 127.0.0.1" \
  --virtual-time-budget=10000 --dump-dom "http://127.0.0.1:$port/docs/" >"$dom" 2>/dev/null
fail=0
for expected in 'ThunderPhone Numbers API' 'opblock' '/v1/phone-numbers/{phone_number_id}/transfer' \
  '/v1/voip-connections/{voip_connection_id}/import' '/admin/v1/api-keys' 'phone-numbers' 'voip-connections'; do
  if ! grep -qF "$expected" "$dom"; then echo "docs page: missing '$expected'" >&2; fail=1; fi
done
ops=$(grep -o 'class="opblock opblock-' "$dom" | wc -l)
echo "docs page rendered $ops operations"
[ "$ops" -ge 29 ] || { echo "docs page: expected at least 29 operations" >&2; fail=1; }
exit $fail
