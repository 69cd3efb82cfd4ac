#!/usr/bin/env bash
# Server-side render time of the console's Numbers page on an org with
# 10,000 numbers (PostgreSQL, loaded in SQL by bench/load.sql):
#
#   bench/console.sh [path-to-thunderphone-binary]
#
# Creates a fresh database, migrates it, loads BENCH_ROWS numbers (every
# one with an inbound and an outbound agent, so names are looked up),
# starts `thunderphone serve` (release build by default; RUST_LOG=warn,
# rate limiting off), signs in to the console with an owner's key, and
# times BENCH_REQUESTS sequential requests (after 20 warm-up ones) of
# GET /console/numbers — the first page, then filtered by status and area
# code — with curl's time_total. Prints p50 / p90 / max per page and drops
# the database. Target: under 100 ms.
#
# Settings (environment): BENCH_PG_URL (default
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_ROWS (10000),
# BENCH_REQUESTS (200), BENCH_PORT (18490).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/release/thunderphone}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROWS=${BENCH_ROWS:-10000}
N=${BENCH_REQUESTS:-200}
PORT=${BENCH_PORT:-18490}
BASE=http://127.0.0.1:$PORT
DB=tp_console_bench_$$
DB_URL=${PG_URL%/*}/$DB?sslmode=disable
SERVER_PID=
JAR=$(mktemp)
die() { echo "console bench: $*" >&2; exit 1; }
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    psql -X -q "$PG_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -f "$JAR"
}
trap cleanup EXIT
[[ -x $BIN ]] || die "$BIN is missing: cargo build --release --bin thunderphone"

psql -X -q "$PG_URL" -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL=$DB_URL "$BIN" migrate >/dev/null 2>&1 || die "thunderphone migrate failed"
CODES=$(grep -o 'code: "[2-9][0-9][0-9]"' "$ROOT/crates/nanp/src/table.rs" | grep -o '[0-9]\{3\}' | paste -sd, -)
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -v codes="{$CODES}" "$DB_URL" \
    -f "$ROOT/bench/load.sql" >/dev/null || die "loading failed"
# Both agents on every number: each page resolves two names per row.
psql -X -q "$DB_URL" -c "UPDATE phone_numbers SET inbound_agent_id = 1 + id % 2,
    outbound_agent_id = 2 - id % 2" -c "VACUUM ANALYZE" >/dev/null
KEY=$(DATABASE_URL=$DB_URL "$BIN" admin create-key --user 1 --org 1 |
    grep -o '"key":"tpk_[^"]*"' | cut -d'"' -f4)
[[ $KEY == tpk_* ]] || die "create-key printed no key"
AREA=$(psql -X -tA "$DB_URL" -c "SELECT substr(number, 3, 3) FROM phone_numbers ORDER BY id DESC LIMIT 1")

DATABASE_URL=$DB_URL THUNDERPHONE_BIND=127.0.0.1:$PORT RUST_LOG=warn \
    THUNDERPHONE_RATE_LIMIT_PER_SEC=0 "$BIN" serve >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || die "the server did not start"
curl -s -o /dev/null -c "$JAR" -H "Origin: $BASE" --data-urlencode "api_key=$KEY" \
    "$BASE/console/sign-in"
grep -q tp_session "$JAR" || die "signing in to the console failed"

# One line per page: label, p50, p90, max (ms) over N requests.
measure() {
    local label=$1 path=$2 code
    code=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" "$BASE$path")
    [[ $code == 200 ]] || die "$path answered $code"
    for _ in $(seq 20); do curl -s -o /dev/null -b "$JAR" "$BASE$path"; done
    for _ in $(seq "$N"); do curl -s -o /dev/null -b "$JAR" -w '%{time_total}\n' "$BASE$path"; done |
        sort -n | awk -v label="$label" '{ t[NR] = $1 * 1000 } END {
            printf "%-32s p50 %6.1f ms   p90 %6.1f ms   max %6.1f ms\n",
                label, t[int(NR * 0.5)], t[int(NR * 0.9)], t[NR] }'
}
echo "GET /console/numbers, $ROWS numbers, $N requests each:"
measure "first page" "/console/numbers"
measure "status=active&area_code=$AREA" "/console/numbers?status=active&area_code=$AREA"
