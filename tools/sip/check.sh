#!/usr/bin/env bash
# Real-peer check of the SIP verifier: runs SIPp as the trunk (UAS) with the
# scenarios in this folder and checks what the verifier concludes, through
# the `sip-check` tool (tools/sip-check). Not part of `cargo test` because
# it needs SIPp; installs Debian's `sip-tester` when `sipp` is missing.
# Local only: every peer listens on 127.0.0.1. See docs/CARRIERS.md.
#
# Usage: tools/sip/check.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/sip
cd "$ROOT"

if ! command -v sipp >/dev/null; then
    echo "check.sh: installing sip-tester (SIPp)" >&2
    apt-get update -qq
    apt-get install -y -qq sip-tester >/dev/null
fi
echo "$(sipp -v 2>&1 | grep -m1 SIPp | sed 's/^ *//')"

logs=$ROOT/target/sip-check
mkdir -p "$logs"
cargo build -q -p thunderphone-sip-check
check_bin=$ROOT/target/debug/sip-check

# A port free for both UDP and TCP on 127.0.0.1.
free_port() {
    python3 - <<'PY'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
PY
}

# True once something is bound to PROTO (udp|tcp) PORT.
bound() {
    python3 - "$1" "$2" <<'PY'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
try:
    s.bind(("127.0.0.1", int(sys.argv[2])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

passed=0
failed=0
sipp_pid=
cleanup() {
    if [[ -n $sipp_pid ]]; then
        kill "$sipp_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# case NAME SCENARIO|- PROTO EXPECT [USER PASSWORD]
case_() {
    local name=$1 scenario=$2 proto=$3 expect=$4 user=${5:-} password=${6:-}
    local port uri
    port=$(free_port)
    uri="sip:127.0.0.1:$port"
    [[ $proto == tcp ]] && uri="$uri;transport=tcp"
    sipp_pid=
    if [[ $scenario != - ]]; then
        local transport=u1
        [[ $proto == tcp ]] && transport=t1
        sipp -sf "$HERE/$scenario" -i 127.0.0.1 -p "$port" -t "$transport" -m 1 \
            -nostdin -timeout 20 -timeout_error \
            -trace_err -error_file "$logs/$name.errors.log" >"$logs/$name.sipp.log" 2>&1 &
        sipp_pid=$!
        for _ in $(seq 1 50); do
            bound "$proto" "$port" && break
            sleep 0.1
        done
    fi
    local args=(--expect "$expect" --timeout-ms 1500)
    [[ -n $user ]] && args+=(--user "$user")
    local ok=1
    echo "--- $name: $uri expecting $expect"
    if ! SIP_CHECK_PASSWORD=$password "$check_bin" "${args[@]}" "$uri"; then
        ok=0
    fi
    if [[ -n $sipp_pid ]]; then
        # SIPp ends after its one call; 0 means the scenario ran to its end.
        local waited=0
        while kill -0 "$sipp_pid" 2>/dev/null && ((waited < 50)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$sipp_pid" 2>/dev/null; then
            echo "    SIPp still running: the scenario did not finish" >&2
            kill "$sipp_pid" 2>/dev/null || true
            ok=0
        fi
        local rc=0
        wait "$sipp_pid" 2>/dev/null || rc=$?
        if ((rc != 0)); then
            echo "    SIPp exited $rc (see $logs/$name.sipp.log)" >&2
            ok=0
        fi
        sipp_pid=
    fi
    if ((ok)); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $name" >&2
    fi
}

case_ options-200-udp options_200.xml udp verified
case_ options-200-tcp options_200.xml tcp verified
case_ options-403-udp options_403.xml udp forbidden
case_ digest-udp options_401.xml udp digest alice sipp-test-password
case_ digest-tcp options_401.xml tcp digest alice sipp-test-password
case_ digest-wrong-password options_401.xml udp rejected alice not-the-password
case_ closed-port-udp - udp timeout

echo "sip check: $passed passed, $failed failed"
((failed == 0))
