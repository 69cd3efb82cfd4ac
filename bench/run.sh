#!/usr/bin/env bash
# The performance benchmark, one command (also `just bench`):
#
#   bench/run.sh
#
# 1. builds `thunderphone` and the bare actix-web ceiling in release mode,
#    installing wrk (and pgbench) with apt-get when missing;
# 2. creates a fresh database, migrates it with `thunderphone migrate` and
#    loads it in SQL (bench/load.sql): one org with BENCH_ROWS numbers (and
#    their version-1 rows), two agents, the demo pool; the API key comes
#    from `thunderphone admin create-key`; VACUUM ANALYZE;
# 3. starts `thunderphone serve` on it (RUST_LOG=warn, rate limiting off)
#    and measures start → first `200` from /readyz;
# 4. runs at one concurrency (BENCH_CONNECTIONS connections, BENCH_THREADS
#    wrk threads / pgbench jobs, BENCH_DURATION seconds each): pgbench (the
#    database's limit for GET by id), the ceiling, then wrk on GET by id,
#    GET by id at half its peak rate, the first list page, the list page at
#    depth ~BENCH_ROWS, PATCH assign/clear and POST provision;
# 5. checks provisioning in SQL (no number held twice);
# 6. prints one table (also written to bench/results/<run>/table.md) and
#    drops the database (BENCH_KEEP_DB=1 keeps it).
#
# Settings (environment): BENCH_PG_URL (server URL; default
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_ROWS (1000000),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_DURATION (15),
# BENCH_POOL_SIZE (the service's THUNDERPHONE_DB_POOL_SIZE, 16),
# BENCH_WORKERS (THUNDERPHONE_WORKERS, unset = one per core), BENCH_PORT
# (18480), BENCH_CEILING_PORT (18481), BENCH_SSLMODE (disable: every
# connection of the run without TLS), BENCH_SKIP_BUILD=1 (use the binaries
# as built), BENCH_BIN (the thunderphone binary to measure; default
# target/release/thunderphone, e.g. one built from an older commit to
# compare), BENCH_KEEP_DB=1, BENCH_KEEP_SERVER=1 (leave the server running
# at the end, for profiling; its pid is printed).
set -Eeuo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
ROWS=${BENCH_ROWS:-1000000}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-15}
POOL=${BENCH_POOL_SIZE:-16}
PORT=${BENCH_PORT:-18480}
CEILING_PORT=${BENCH_CEILING_PORT:-18481}
BIN=${BENCH_BIN:-$ROOT/target/release/thunderphone}
CEILING_DIR=$ROOT/bench/ceiling
CEILING_BIN=$CEILING_DIR/target/release/thunderphone-bench-ceiling

# The run's own secret key: cursors are signed with a key derived from it,
# and the deep-page case needs a cursor the server accepts.
SECRET_KEY=$(head -c 32 /dev/urandom | base64 -w0)

RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$ROOT/bench/results/$RUN_ID
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: >"$RESULTS"

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# What the table names as the code measured: the checkout's commit, or
# the binary given with BENCH_BIN (built from another commit).
if [[ -n ${BENCH_BIN:-} ]]; then
    BUILT_FROM="binary $BENCH_BIN"
else
    BUILT_FROM="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- crates migrations 2>/dev/null || echo ' + uncommitted changes')"
fi

SERVER_PID=
CEILING_PID=
DB=
KEEP=0 # set when the run completed and BENCH_KEEP_SERVER=1
cleanup() {
    local status=$?
    if [[ -n $CEILING_PID ]] && kill -0 "$CEILING_PID" 2>/dev/null; then
        kill "$CEILING_PID" 2>/dev/null || true
        wait "$CEILING_PID" 2>/dev/null || true
    fi
    if [[ -n $SERVER_PID && $KEEP != 1 ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $DB && ${BENCH_KEEP_DB:-0} != 1 && $KEEP != 1 ]]; then
        psql -X -q "$PG_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    elif [[ -n $DB ]]; then
        log "kept database $DB"
    fi
    exit $status
}
trap cleanup EXIT
trap 'log "error: command failed at line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools --

apt_install() {
    command -v apt-get >/dev/null || die "$1 is missing and apt-get is not available"
    log "installing $* with apt-get"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >"$OUT/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$OUT/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$OUT/apt.log" 2>&1 ||
            die "apt-get install $* failed; see $OUT/apt.log"
    fi
}

command -v wrk >/dev/null || apt_install wrk
if ! command -v pgbench >/dev/null; then
    found=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z $found ]]; then
        apt_install postgresql-contrib
        found=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1 || true)
    fi
    [[ -n $found ]] || die "pgbench not found after installing postgresql-contrib"
    PATH=$(dirname "$found"):$PATH
fi
command -v psql >/dev/null || die "psql is needed (postgresql-client)"
command -v curl >/dev/null || apt_install curl
psql -X -q "$PG_URL" -c 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at BENCH_PG_URL"

# ---------------------------------------------------------------- build --

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
    log "cargo build --release --bin thunderphone"
    cargo build --release --bin thunderphone
    # The ceiling is its own workspace; start its lock file from the
    # service's so it uses the same actix-web versions.
    [[ -f $CEILING_DIR/Cargo.lock ]] || cp "$ROOT/Cargo.lock" "$CEILING_DIR/Cargo.lock"
    log "cargo build --release (bench/ceiling)"
    cargo build --release --manifest-path "$CEILING_DIR/Cargo.toml" \
        --target-dir "$CEILING_DIR/target"
fi
[[ -x $BIN ]] || die "$BIN is missing"
[[ -x $CEILING_BIN ]] || die "$CEILING_BIN is missing"

for port in "$PORT" "$CEILING_PORT"; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
        die "port $port is in use; set BENCH_PORT / BENCH_CEILING_PORT"
    fi
done

# ------------------------------------------------------------- database --

DB=tp_bench_${RUN_ID,,}_$$
DB=${DB//[^a-z0-9_]/_}
# Every connection of the run — pgbench's, psql's and the service's —
# without TLS (BENCH_SSLMODE, default disable): on one machine TLS protects
# nothing, and libpq's default (`prefer`) negotiates it whenever the
# server has `ssl = on` (Debian's default). The same setting on both
# sides keeps the comparison with pgbench like for like.
SSLMODE=${BENCH_SSLMODE:-disable}
DB_URL=${PG_URL%/*}/$DB?sslmode=$SSLMODE
log "creating database $DB"
psql -X -q "$PG_URL" -c "CREATE DATABASE $DB" >/dev/null
DATABASE_URL=$DB_URL "$BIN" migrate >"$OUT/migrate.log" 2>&1 || {
    cat "$OUT/migrate.log" >&2
    die "thunderphone migrate failed"
}

# The NANP area codes the service knows (its generated table).
CODES=$(grep -o 'code: "[2-9][0-9][0-9]"' "$ROOT/crates/nanp/src/table.rs" | grep -o '[0-9]\{3\}' | paste -sd, -)
[[ -n $CODES ]] || die "no area codes found in crates/nanp/src/table.rs"

log "loading $ROWS numbers (SQL)"
load_start=$(date +%s%N)
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -v codes="{$CODES}" "$DB_URL" \
    -f "$ROOT/bench/load.sql" >"$OUT/load.log" 2>&1 || {
    cat "$OUT/load.log" >&2
    die "loading failed"
}
LOAD_SECS=$(awk -v ns=$(($(date +%s%N) - load_start)) 'BEGIN { printf "%.1f", ns / 1e9 }')
log "loaded in ${LOAD_SECS}s"

KEY_JSON=$(DATABASE_URL=$DB_URL "$BIN" admin create-key --user 1 --org 1)
TP_KEY=$(printf '%s' "$KEY_JSON" | grep -o '"key":"[^"]*"' | cut -d'"' -f4)
[[ $TP_KEY == tpk_* ]] || die "create-key printed no key"
KEY_HASH=$(printf '%s' "$TP_KEY" | sha256sum | cut -d' ' -f1)
export TP_KEY
[[ $(psql -X -tA "$DB_URL" -c "SELECT count(*) FROM api_keys WHERE key_hash = '$KEY_HASH'") == 1 ]] ||
    die "the key's hash is not sha256 hex as assumed by the pgbench script"

# The cursor of the page at depth ~ROWS: the position of the row just
# before the last page of 50, signed as the server signs it (see
# bench/sign_cursor.py), so the server accepts it as one it issued.
DEPTH=$((ROWS > 50 ? ROWS - 50 : 0))
POS=$(psql -X -tA -F: "$DB_URL" -c "
    SELECT (extract(epoch FROM created_at) * 1000000)::bigint, id FROM phone_numbers
    WHERE org_id = 1 AND deleted_at IS NULL
    ORDER BY created_at DESC, id DESC OFFSET $((DEPTH - 1)) LIMIT 1")
BENCH_DEEP_CURSOR=$(python3 "$ROOT/bench/sign_cursor.py" "$SECRET_KEY" phone-numbers 1 "n:$POS") ||
    die "could not sign the deep-page cursor"
export BENCH_DEEP_CURSOR BENCH_MAX_ID=$ROWS

# --------------------------------------------------------------- server --

now_ns() { date +%s%N; }

# Waits for `200` from $1 (up to 30 s), polling every ~5 ms; prints the ms
# since $2 (ns).
wait_ready() {
    local url=$1 since=$2 deadline=$(($(date +%s) + 30))
    until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true) == 200 ]]; do
        (($(date +%s) < deadline)) || return 1
        sleep 0.005
    done
    awk -v ns=$(($(now_ns) - since)) 'BEGIN { printf "%.0f", ns / 1e6 }'
}

log "starting thunderphone serve (pool $POOL)"
start=$(now_ns)
env DATABASE_URL="$DB_URL" RUST_LOG=warn THUNDERPHONE_BIND="127.0.0.1:$PORT" \
    THUNDERPHONE_SECRET_KEY="$SECRET_KEY" \
    THUNDERPHONE_RATE_LIMIT_PER_SEC=0 THUNDERPHONE_DB_POOL_SIZE="$POOL" \
    ${BENCH_WORKERS:+THUNDERPHONE_WORKERS=$BENCH_WORKERS} \
    "$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
READY_MS=$(wait_ready "http://127.0.0.1:$PORT/readyz" "$start") || {
    cat "$OUT/server.log" >&2
    die "the server did not get ready"
}
log "ready after ${READY_MS} ms (pid $SERVER_PID)"
BASE=http://127.0.0.1:$PORT

# Sanity: the key works, a number reads back, both list pages are full.
check() {
    local what=$1 url=$2 want=$3 body
    body=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $TP_KEY" "$url")
    [[ ${body##*$'\n'} == 200 ]] || die "$what: ${body##*$'\n'} ${body%$'\n'*}"
    [[ $(grep -o '"number":' <<<"${body%$'\n'*}" | wc -l) -ge $want ]] || die "$what: fewer than $want numbers"
    printf '%s' "${body%$'\n'*}" >"$OUT/sample_$what.json"
}
check get "$BASE/v1/phone-numbers/$ROWS" 1
check first "$BASE/v1/phone-numbers?limit=50" 50
check deep "$BASE/v1/phone-numbers?limit=50&cursor=$BENCH_DEEP_CURSOR" 50
# Every area code reads back (the service re-validates stored numbers).
bad=0
for code in ${CODES//,/ }; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TP_KEY" \
        "$BASE/v1/phone-numbers?limit=1&area_code=$code")
    [[ $status == 200 ]] || { bad=$((bad + 1)); log "area code $code lists with $status"; }
done
((bad == 0)) || die "$bad area codes do not read back"

# ------------------------------------------------------------ measuring --

# Peak RSS of a process during a case: reset the kernel's high-water mark
# (clear_refs 5) before, read VmHWM after. Where the reset is refused, a
# 50 ms VmRSS sampler is used instead.
RSS_SAMPLER=
rss_begin() {
    local pid=$1
    if ! { echo 5 >"/proc/$pid/clear_refs"; } 2>/dev/null; then
        (
            peak=0
            while kill -0 "$pid" 2>/dev/null; do
                rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
                ((rss > peak)) && peak=$rss && echo "$peak" >"$OUT/rss.$pid"
                sleep 0.05
            done
        ) &
        RSS_SAMPLER=$!
    fi
}
rss_end() { # prints KiB
    local pid=$1
    if [[ -n $RSS_SAMPLER ]]; then
        kill "$RSS_SAMPLER" 2>/dev/null || true
        wait "$RSS_SAMPLER" 2>/dev/null || true
        RSS_SAMPLER=
        cat "$OUT/rss.$pid" 2>/dev/null || echo 0
    else
        awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"
    fi
}

# CPU used by other work during a case, as % of the whole machine: the
# cumulative CPU time (own + reaped children) of every process except
# this script (whose children are the load generators), the processes
# under test and PostgreSQL (its processes are all counted as ours, so
# other users of the same PostgreSQL server are not seen), summed before
# and after. A rough figure, to tell a quiet run from a disturbed one.
CLK_TCK=$(getconf CLK_TCK)
others_jiffies() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v ours=" $$ $SERVER_PID $CEILING_PID " '
        {
            op = index($0, "("); cl = 0
            for (k = length($0); k > op; k--) if (substr($0, k, 1) == ")") { cl = k; break }
            if (!op || !cl) next
            pid = substr($0, 1, op - 2); comm = substr($0, op + 1, cl - op - 1)
            if (index(ours, " " pid " ") || comm == "postgres" || comm == "wrk" || comm == "pgbench") next
            n = split(substr($0, cl + 2), f, " ")
            if (n >= 15) sum += f[12] + f[13] + f[14] + f[15]
        }
        END { printf "%d\n", sum }'
}
# CPU time (utime + stime, all threads) of one process, and of every
# PostgreSQL process including the backends that ended (the postmaster's
# reaped children): where a request's CPU goes.
proc_jiffies() { # pid
    [[ -n $1 && -r /proc/$1/stat ]] || { echo 0; return; }
    awk '{ cl = 0; for (k = length($0); k > 0; k--) if (substr($0, k, 1) == ")") { cl = k; break }
           split(substr($0, cl + 2), f, " "); print f[12] + f[13] }' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_jiffies() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk '
        { op = index($0, "("); cl = 0
          for (k = length($0); k > op; k--) if (substr($0, k, 1) == ")") { cl = k; break }
          if (substr($0, op + 1, cl - op - 1) != "postgres") next
          split(substr($0, cl + 2), f, " "); sum += f[12] + f[13] + f[14] + f[15] }
        END { printf "%d\n", sum }'
}
# Transactions the bench database ended (PostgreSQL's statistics): the
# read cases commit one per statement, so per request this is the number
# of statements a request cost. Backends report these at most once a
# second, so a case's figure is good to about a second's worth.
pg_xacts() {
    psql -X -tA "$PG_URL" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$DB'"
}
OTHERS_J0='' OTHERS_T0='' CPU_PID='' CPU_SRV0='' CPU_PG0='' CPU_XACTS0=''
cpu_begin() { # pid of the process under test (may be empty)
    CPU_PID=$1 CPU_SRV0=$(proc_jiffies "$1") CPU_PG0=$(pg_jiffies) CPU_XACTS0=$(pg_xacts)
    OTHERS_J0=$(others_jiffies) OTHERS_T0=$(now_ns)
}
# cpu_end REQUESTS: sets CASE_OTHERS (% of the machine), CASE_SRV_US and
# CASE_PG_US (CPU µs per request of the process under test / PostgreSQL),
# CASE_XACTS (database transactions per request).
cpu_end() {
    local requests=$1 j1 t1 srv pg xacts
    j1=$(others_jiffies) t1=$(now_ns) srv=$(proc_jiffies "$CPU_PID") pg=$(pg_jiffies) xacts=$(pg_xacts)
    CASE_XACTS=$(awk -v x="$((xacts - CPU_XACTS0))" -v n="$requests" \
        'BEGIN { if (n <= 0) print "-"; else printf "%.2f", x / n }')
    CASE_OTHERS=$(awk -v j="$((j1 - OTHERS_J0))" -v ns="$((t1 - OTHERS_T0))" -v hz="$CLK_TCK" -v cpus="$(nproc)" \
        'BEGIN { if (j < 0) j = 0; printf "%.0f", 100 * j / hz / (ns / 1e9) / cpus }')
    CASE_SRV_US=$(awk -v j="$((srv - CPU_SRV0))" -v n="$requests" -v hz="$CLK_TCK" -v p="$CPU_PID" \
        'BEGIN { if (p == "" || n <= 0) print "-"; else printf "%.0f", j / hz * 1e6 / n }')
    CASE_PG_US=$(awk -v j="$((pg - CPU_PG0))" -v n="$requests" -v hz="$CLK_TCK" \
        'BEGIN { if (n <= 0) print "-"; else printf "%.0f", j / hz * 1e6 / n }')
}

# record CASE RPS P50_MS P99_MS RSS_KIB SRV_US PG_US XACTS OTHERS_PCT NOTE
record() { printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$@" >>"$RESULTS"; }

kv() { grep "^$2=" "$1" | cut -d= -f2; }
us_to_ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# wrk_case NAME SCRIPT URL PID [extra wrk args]: runs wrk, leaves
# $OUT/NAME.wrk (wrk's output) and $OUT/NAME.res (figures).
wrk_case() {
    local name=$1 script=$2 url=$3 pid=$4
    shift 4
    log "wrk: $name (${CONNS} connections, ${THREADS} threads, ${DURATION}s)"
    rss_begin "$pid"
    cpu_begin "$pid"
    WRK_RESULT=$OUT/$name.res wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s \
        -s "$ROOT/bench/wrk/$script" "$@" "$url" >"$OUT/$name.wrk" 2>&1 ||
        { cat "$OUT/$name.wrk" >&2; die "wrk failed ($name)"; }
    CASE_RSS=$(rss_end "$pid")
    [[ -s $OUT/$name.res ]] || die "wrk wrote no figures for $name"
    cpu_end "$(kv "$OUT/$name.res" requests)"
    log "  $(kv "$OUT/$name.res" rps) req/s, p99 $(us_to_ms "$(kv "$OUT/$name.res" p99_us)") ms, errors: $(kv "$OUT/$name.res" non2xx3xx) non-2xx, $(kv "$OUT/$name.res" socket_errors) socket; CPU/request: ${CASE_SRV_US} µs server, ${CASE_PG_US} µs PostgreSQL; other work ${CASE_OTHERS}% CPU"
}

# The machine is shared: wait (up to BENCH_QUIET_MAX s, default 600) until
# other work leaves the CPUs mostly idle (under BENCH_QUIET_PCT %, default
# 25, over 2 s), then measure regardless, saying so in the table.
cpu_busy() {
    local a b c d e f g h t1 i1 t2 i2
    read -r _ a b c d e f g h _ </proc/stat
    t1=$((a + b + c + d + e + f + g + h)) i1=$((d + e))
    sleep 2
    read -r _ a b c d e f g h _ </proc/stat
    t2=$((a + b + c + d + e + f + g + h)) i2=$((d + e))
    echo $((100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1 > 0 ? t2 - t1 : 1)))
}
quiet_deadline=$(($(date +%s) + ${BENCH_QUIET_MAX:-600}))
quiet=0 BUSY_SEEN=
while ((quiet < 3)); do # three 2 s samples in a row
    BUSY=$(cpu_busy)
    if ((BUSY < ${BENCH_QUIET_PCT:-25})); then
        quiet=$((quiet + 1)) BUSY_SEEN="$BUSY_SEEN $BUSY%"
        continue
    fi
    quiet=0 BUSY_SEEN=
    if (($(date +%s) >= quiet_deadline)); then
        log "warning: other work keeps the CPUs ${BUSY}% busy; measuring anyway"
        BUSY_SEEN=" $BUSY% (did not get quiet)"
        break
    fi
    log "CPUs ${BUSY}% busy with other work; waiting for quiet"
    sleep 5
done
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg), CPUs busy just before:$BUSY_SEEN"

# Warm-up: opens the service's pool and touches the hot paths.
log "warm-up (5 s)"
WRK_RESULT=/dev/null wrk -t"$THREADS" -c"$CONNS" -d5s -s "$ROOT/bench/wrk/get.lua" "$BASE" >/dev/null 2>&1 || true

# pgbench: the equivalent SELECTs straight against PostgreSQL.
log "pgbench: auth lookup + number by id (${CONNS} clients, ${THREADS} jobs, ${DURATION}s, prepared)"
PGB_DIR=$OUT/pgbench
mkdir -p "$PGB_DIR"
(cd "$PGB_DIR" && pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T 3 \
    -D key_hash="$KEY_HASH" -D max_id="$ROWS" -f "$ROOT/bench/pgbench/get.sql" "$DB_URL" >/dev/null 2>&1) || true
cpu_begin ""
(cd "$PGB_DIR" && pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$DURATION" \
    -D key_hash="$KEY_HASH" -D max_id="$ROWS" -l --log-prefix=tx --sampling-rate=0.25 \
    -f "$ROOT/bench/pgbench/get.sql" "$DB_URL" >"$OUT/pgbench.out" 2>&1) ||
    { cat "$OUT/pgbench.out" >&2; die "pgbench failed"; }
PGB_TPS=$(awk '/^tps = / { printf "%.1f", $3 }' "$OUT/pgbench.out")
[[ -n $PGB_TPS ]] || die "no tps in pgbench output"
cpu_end "$(awk '/^number of transactions actually processed/ { split($NF, a, "/"); print a[1] }' "$OUT/pgbench.out")"
read -r PGB_P50 PGB_P99 < <(cat "$PGB_DIR"/tx.* | awk '{ print $3 }' | sort -n | awk '
    { v[NR] = $1 } END { i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
      printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }')
rm -f "$PGB_DIR"/tx.*
log "  $PGB_TPS tps, p50 $PGB_P50 ms, p99 $PGB_P99 ms; CPU/tx ${CASE_PG_US} µs PostgreSQL; other work ${CASE_OTHERS}% CPU"
record "pgbench: auth lookup + SELECT by id" "$PGB_TPS" "$PGB_P50" "$PGB_P99" "" "-" "$CASE_PG_US" "$CASE_XACTS" "$CASE_OTHERS" "the limit (-M prepared, 2 statements/tx)"

# The framework ceiling.
log "starting the ceiling"
"$CEILING_BIN" "127.0.0.1:$CEILING_PORT" >"$OUT/ceiling.log" 2>&1 &
CEILING_PID=$!
wait_ready "http://127.0.0.1:$CEILING_PORT/" "$(now_ns)" >/dev/null || die "the ceiling did not start"
WRK_RESULT=/dev/null wrk -t"$THREADS" -c"$CONNS" -d2s "http://127.0.0.1:$CEILING_PORT/" >/dev/null 2>&1 || true
wrk_case ceiling plain.lua "http://127.0.0.1:$CEILING_PORT/" "$CEILING_PID"
record "ceiling: bare actix-web, fixed JSON" "$(kv "$OUT/ceiling.res" rps)" \
    "$(us_to_ms "$(kv "$OUT/ceiling.res" p50_us)")" "$(us_to_ms "$(kv "$OUT/ceiling.res" p99_us)")" \
    "$CASE_RSS" "$CASE_SRV_US" "-" "-" "$CASE_OTHERS" "RSS and CPU of the ceiling process"
kill "$CEILING_PID" 2>/dev/null || true
wait "$CEILING_PID" 2>/dev/null || true
CEILING_PID=

# wrk_service_case NAME SCRIPT LABEL NOTE
wrk_service_case() {
    wrk_case "$1" "$2" "$BASE" "$SERVER_PID"
    local res=$OUT/$1.res note=$4
    local errors=$(($(kv "$res" non2xx3xx) + $(kv "$res" socket_errors)))
    ((errors == 0)) || note="${note:+$note; }$errors errors"
    record "$3" "$(kv "$res" rps)" "$(us_to_ms "$(kv "$res" p50_us)")" \
        "$(us_to_ms "$(kv "$res" p99_us)")" "$CASE_RSS" "$CASE_SRV_US" "$CASE_PG_US" "$CASE_XACTS" "$CASE_OTHERS" "$note"
    ((CASE_RSS > SERVER_PEAK)) && SERVER_PEAK=$CASE_RSS
    return 0
}
SERVER_PEAK=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status") # start-up and warm-up

wrk_service_case get get.lua "GET /v1/phone-numbers/{random id}" ""
GET_PEAK=$(kv "$OUT/get.res" rps)

# p99 at half the peak rate. wrk (unlike wrk2) has no constant-rate mode:
# each connection waits a think time (wrk's delay() hook) after each
# response; the think time is calibrated in a 5 s run so that the
# connections together send ~half the peak rate. Latency is measured from
# sending to the response, as wrk always does; a stall delays that
# connection's next request (closed loop), so this understates the tail a
# constant-rate generator would see during stalls.
TARGET=$(awk -v p="$GET_PEAK" 'BEGIN { printf "%.1f", p / 2 }')
D0=$(awk -v c="$CONNS" -v t="$TARGET" 'BEGIN { printf "%.3f", c * 1000 / t }')
log "half rate: target $TARGET req/s; calibrating think time (start ${D0} ms)"
WRK_DELAY_MS=$D0 WRK_RESULT=$OUT/get_half_cal.res wrk -t"$THREADS" -c"$CONNS" -d5s --timeout 10s \
    -s "$ROOT/bench/wrk/get.lua" "$BASE" >"$OUT/get_half_cal.wrk" 2>&1 || die "wrk failed (calibration)"
D1=$(awk -v c="$CONNS" -v t="$TARGET" -v r="$(kv "$OUT/get_half_cal.res" rps)" -v d0="$D0" \
    'BEGIN { service = c * 1000 / r - d0; d = c * 1000 / t - service; if (d < 0) d = 0; printf "%.3f", d }')
log "  think time ${D1} ms"
WRK_DELAY_MS=$D1 wrk_service_case get_half get.lua "GET by id at half peak rate" "think time ${D1} ms/conn, target ${TARGET}/s"

wrk_service_case list_first list_first.lua "GET list, first page (limit 50)" ""
wrk_service_case list_deep list_deep.lua "GET list, page at depth $DEPTH" ""
wrk_service_case patch patch.lua "PATCH assign/clear inbound agent" ""

# Provisioning: every 201 is a number; the database must hold each once.
PROV_BEFORE=$(psql -X -tA "$DB_URL" -c "SELECT count(*) FROM phone_numbers")
wrk_service_case provision provision.lua "POST provision (demo pool)" ""
sleep 1 # let requests the server was still finishing land
read -r HELD DISTINCT PROV_ROWS POOL_HELD POOL_LINES PENDING_JOBS < <(psql -X -tA -F' ' "$DB_URL" -c "
    SELECT (SELECT count(*) FROM phone_numbers WHERE deleted_at IS NULL),
           (SELECT count(DISTINCT number) FROM phone_numbers WHERE deleted_at IS NULL),
           (SELECT count(*) FROM phone_numbers) - $PROV_BEFORE,
           (SELECT count(*) FROM demo_pool WHERE held),
           (SELECT count(*) FROM demo_pool),
           (SELECT count(*) FROM activation_jobs)")
PROV_OK=$(($(kv "$OUT/provision.res" requests) - $(kv "$OUT/provision.res" non2xx3xx)))
PROV_RATE=$(awk -v n="$PROV_OK" -v s="$(kv "$OUT/provision.res" seconds)" 'BEGIN { printf "%.1f", n / s }')
DUPLICATES=$((HELD - DISTINCT))
# The demo pool has 100 lines per area code (~35,600 valid numbers in
# all); a fast enough run takes them all, and the requests after that are
# refused with `409 no_numbers_available`, so the rate over the whole case
# is then a lower bound. One more claim, after the counts, tells.
POOL_NOTE=
if (($(kv "$OUT/provision.res" non2xx3xx) > 0)); then
    PROBE=$(curl -s -X POST -H "Authorization: Bearer $TP_KEY" -H 'Content-Type: application/json' \
        -d '{}' "$BASE/v1/phone-numbers" || true)
    if [[ $PROBE == *'"no_numbers_available"'* ]]; then
        POOL_NOTE="; the demo pool ran out during the case ($POOL_HELD of $POOL_LINES lines held, the rest are not valid numbers; the requests after that were refused with 409 no_numbers_available), so this rate is a lower bound"
    fi
fi
log "  provisioned: $PROV_OK answered 201 ($PROV_RATE numbers/s), $PROV_ROWS new rows, $POOL_HELD pool rows held, held $HELD vs distinct $DISTINCT → $DUPLICATES duplicates"

# Every provisioned number must read back: list each area code that got
# some (limit 200 covers its 100 pool lines), expecting 200.
UNREADABLE=
for code in $(psql -X -tA "$DB_URL" -c "SELECT DISTINCT substr(number, 3, 3) FROM phone_numbers WHERE id > $ROWS ORDER BY 1"); do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TP_KEY" \
        "$BASE/v1/phone-numbers?limit=200&area_code=$code")
    [[ $status == 200 ]] || UNREADABLE="$UNREADABLE $code($status)"
done
if [[ -n $UNREADABLE ]]; then
    READBACK="FAILED: listing the provisioned numbers of area code(s)$UNREADABLE fails"
    log "  provisioned numbers read back: $READBACK"
else
    READBACK="ok (every area code provisioned from lists with 200)"
fi

SERVER_THREADS=$(awk '/^Threads/ { print $2 }' "/proc/$SERVER_PID/status")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- table --

{
    echo "ThunderPhone benchmark $RUN_ID: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(psql -X -tA "$PG_URL" -c 'SHOW server_version' | cut -d' ' -f1) PostgreSQL"
    echo "$ROWS numbers loaded in ${LOAD_SECS}s; $CONNS connections, $THREADS threads, ${DURATION}s per case; service pool $POOL; sslmode=$SSLMODE; $BUILT_FROM"
    echo
    printf '| %-38s | %9s | %8s | %8s | %9s | %9s | %10s | %8s | %8s | %6s | %s\n' case 'req/s' 'p50 ms' 'p99 ms' '× pgbench' 'peak RSS' 'server CPU' 'PG CPU' 'PG tx/req' 'others' 'notes |'
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..40})" "----------:" "---------:" "---------:" "----------:" "----------:" "-----------:" "---------:" "----------:" "-------:" '---|'
    while IFS='|' read -r name rps p50 p99 rss srv pg xacts others note; do
        ratio=$(awk -v r="$rps" -v p="$PGB_TPS" 'BEGIN { printf "%.2f", r / p }')
        if [[ -n $rss ]]; then rss=$(awk -v k="$rss" 'BEGIN { printf "%.1f MB", k / 1024 }'); else rss=-; fi
        [[ $srv == - ]] || srv="$srv µs"
        [[ $pg == - ]] || pg="$pg µs"
        printf '| %-38s | %9.0f | %8s | %8s | %9s | %9s | %10s | %8s | %9s | %5s%% | %s |\n' "$name" "$rps" "$p50" "$p99" "$ratio" "$rss" "$srv" "$pg" "$xacts" "$others" "$note"
    done <"$RESULTS"
    echo
    echo "server CPU / PG CPU: CPU time per request of the process under test / of all PostgreSQL processes (utime+stime over the case ÷ requests)"
    echo "PG tx/req: transactions the bench database ended per request (pg_stat_database; good to about a second's worth of the case): for the reads, statements per request"
    echo "others: CPU used by other work on the machine during the case, % of all CPUs (other users of PostgreSQL are counted in PG CPU, not here)"
    echo
    echo "time to ready (start → /readyz 200): ${READY_MS} ms"
    echo "deep page p50 / first page p50: $(awk -v d="$(kv "$OUT/list_deep.res" p50_us)" -v f="$(kv "$OUT/list_first.res" p50_us)" 'BEGIN { printf "%.2f", d / f }')"
    echo "provisioning: $PROV_RATE numbers/s ($PROV_OK × 201 in $(kv "$OUT/provision.res" seconds) s; $PROV_ROWS rows inserted); held numbers $HELD, distinct $DISTINCT → duplicates: $DUPLICATES$POOL_NOTE"
    echo "provisioned numbers read back: $READBACK"
    echo "activation jobs still queued right after the provisioning case: $PENDING_JOBS (reservations are what is measured; the demo carrier takes 2 s per activation with at most 256 in flight, so activation follows at up to ~128 numbers/s)"
    echo "half-rate run: $(kv "$OUT/get_half.res" rps) req/s achieved (target $TARGET), p99 $(us_to_ms "$(kv "$OUT/get_half.res" p99_us)") ms"
    echo "server peak RSS over the whole run: $(awk -v k="$SERVER_PEAK" 'BEGIN { printf "%.1f MB", k / 1024 }'); server threads at the end: $SERVER_THREADS"
    echo "load average (1/5/15 min) before the cases: $LOAD_START; after: $LOAD_END (includes this run's own threads and backends; see the others column for other work)"
    echo "raw output: bench/results/$RUN_ID/"
} | tee "$OUT/table.md"

if [[ ${BENCH_KEEP_SERVER:-0} == 1 ]]; then
    KEEP=1
    log "server left running: pid $SERVER_PID, $BASE, database $DB; settings in $OUT/server.env (for bench/profile.sh)"
    {
        printf 'SERVER_PID=%q\nBASE=%q\nDB=%q\nDB_URL=%q\nTP_KEY=%q\n' "$SERVER_PID" "$BASE" "$DB" "$DB_URL" "$TP_KEY"
        printf 'BENCH_DEEP_CURSOR=%q\nBENCH_MAX_ID=%q\nCONNS=%q\nTHREADS=%q\n' "$BENCH_DEEP_CURSOR" "$ROWS" "$CONNS" "$THREADS"
    } >"$OUT/server.env"
    disown "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
fi
