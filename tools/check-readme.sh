#!/usr/bin/env bash
# Runs the README's curl walk-through verbatim against a fresh demo server
# and fails on any 5xx, any curl failure, or a missing expected outcome.
# Usage: tools/check-readme.sh [path-to-thunderphone-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/thunderphone}
[ -x "$bin" ] || cargo build --quiet --bin thunderphone
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
out=$(mktemp); log=$(mktemp)
THUNDERPHONE_BIND=127.0.0.1:$port "$bin" serve --demo >"$out" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out" "$log"' EXIT
for _ in $(seq 50); do grep -q 'export TP_KEY' "$out" && break; sleep 0.2; done
eval "$(grep '^  export ' "$out")"
export TP TP_KEY TP_ADMIN
# The shell blocks after the walk-through heading, up to the next section.
script=$(awk '/^## A walk through the API/{on=1} /^## Configuration/{on=0} on' README.md \
  | awk '/^```sh/{b=1; next} /^```/{b=0} b')
transcript=$(bash -e -c "$script" 2>&1)
echo "$transcript"
if grep -q '"status":5' <<<"$transcript"; then echo "README walk-through hit a 5xx" >&2; exit 1; fi
for expected in '"matched_on":"area_code"' '"matched_on":"city"' 'precondition_failed' '"change":"assigned"' '"result":"failed"' '"org_id":2' '"key":"tpk_' '"type":"phone_number.assigned"' ; do
  grep -q "$expected" <<<"$transcript" || { echo "README walk-through: expected $expected" >&2; exit 1; }
done
echo "README walk-through OK"
