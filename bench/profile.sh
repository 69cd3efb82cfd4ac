#!/usr/bin/env bash
# Profiles the running benchmark server under one wrk case, with perf
# (software cpu-clock events and DWARF call graphs, which work in VMs
# without hardware counters), and summarises where its CPU goes.
#
#   BENCH_KEEP_SERVER=1 bench/run.sh        # leaves the server and database
#   bench/profile.sh [get|list_first|list_deep|patch|provision] [seconds]
#
# Uses the newest bench/results/*/server.env (or RUN_DIR=...). Prints the
# CPU split (server / PostgreSQL / wrk) and bench/profile/stacks.py's
# breakdown; the perf data stays in the run directory. When done, stop the
# server (kill its pid) and drop the database (DROP DATABASE … WITH (FORCE)).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CASE=${1:-get}
SECS=${2:-8}
RUN_DIR=${RUN_DIR:-$(ls -d "$ROOT"/bench/results/*/ 2>/dev/null | while read -r d; do [[ -f $d/server.env ]] && echo "$d"; done | tail -n 1)}
[[ -n $RUN_DIR && -f $RUN_DIR/server.env ]] || { echo "no server.env: run BENCH_KEEP_SERVER=1 bench/run.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$RUN_DIR/server.env"
export TP_KEY BENCH_DEEP_CURSOR BENCH_MAX_ID
kill -0 "$SERVER_PID" 2>/dev/null || { echo "server $SERVER_PID is not running" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf); valgrind --tool=callgrind on a short run is the fallback" >&2; exit 1; }
[[ -f $ROOT/bench/wrk/$CASE.lua ]] || { echo "no such case: $CASE" >&2; exit 1; }

DATA=$RUN_DIR/perf.$CASE.data
wrk -t"$THREADS" -c"$CONNS" -d3s -s "$ROOT/bench/wrk/$CASE.lua" "$BASE" >/dev/null 2>&1 || true # warm
wrk -t"$THREADS" -c"$CONNS" -d"$((SECS + 3))s" -s "$ROOT/bench/wrk/$CASE.lua" "$BASE" >"$RUN_DIR/perf.$CASE.wrk" 2>&1 &
WRK=$!
sleep 1
perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$SERVER_PID" -o "$DATA" -- sleep "$SECS" 2>/dev/null ||
    { echo "perf record failed (perf_event_paranoid?); try valgrind --tool=callgrind" >&2; kill "$WRK"; exit 1; }
wait "$WRK" || true
grep -E 'Requests/sec|Non-2xx' "$RUN_DIR/perf.$CASE.wrk" || true
perf script -i "$DATA" -F comm,tid,ip,sym 2>/dev/null >"$RUN_DIR/perf.$CASE.script"
python3 "$ROOT/bench/profile/stacks.py" "$RUN_DIR/perf.$CASE.script"
