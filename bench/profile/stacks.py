#!/usr/bin/env python3
"""Summarises `perf script -F comm,tid,ip,sym` output (call graphs) for
bench/profile.sh: the share of on-CPU samples whose stack contains each
pattern (inclusive), and an exclusive breakdown where each sample goes to
the first bucket (in the order below) whose pattern its stack contains.

usage: stacks.py PERF_SCRIPT_OUTPUT
"""
import re
import sys
from collections import Counter

# Leaf-first attribution: each sample goes to the bucket of the innermost
# frame (from the leaf up) that matches a bucket's pattern, so time in
# malloc, the kernel or libc goes to the component that called it.
BUCKETS = [
    ("r2d2 pool: waiting for / handing over a connection", r"r2d2::"),
    ("tokio blocking pool: spawn_blocking hand-off, thread park/unpark/creation",
     r"tokio::runtime::blocking::|std::sys::sync::condvar|tokio::runtime::park|std::thread::lifecycle|std::sys::thread|clone3"),
    ("phone number validation (phonenumber crate, regexes)", r"phonenumber::"),
    ("libpq: sending the query, reading the result (incl. syscalls)", r"^PQ|^pq[A-Za-z]|libpq"),
    ("diesel: query building, statement cache, row decoding", r"diesel::"),
    ("store/app/domain code", r"thunderphone_store_postgres|thunderphone_app|thunderphone_domain"),
    ("route pattern for logs/metrics (match_pattern: router regexes again)", r"match_pattern|ResourceMap"),
    ("metrics (prometheus)", r"prometheus::"),
    ("JSON serialisation", r"serde_json::|serde::"),
    ("request id (getrandom + hex)", r"getrandom|context::generate|context::request_context"),
    ("SHA-256 of the API key", r"sha2::|hash_api_key"),
    ("actix-web / HTTP/1 parse+write, routing, socket I/O", r"actix_|httparse|thunderphone_http"),
    ("tokio scheduler / epoll / timers", r"tokio::|mio::|epoll_wait"),
]
PROBES = [
    ("kernel: context switch (finish_task_switch/__schedule)", r"finish_task_switch|__schedule$"),
    ("kernel: futex syscalls", r"do_futex"),
    ("kernel: TCP send/recv", r"tcp_sendmsg|tcp_recvmsg|tcp_v4_rcv|__tcp_transmit"),
    ("authenticate (store call, whole)", r"tenancy::.*authenticate"),
    ("find_number (store call, whole)", r"numbers::.*find_number|numbers::read::find"),
    ("list_numbers (store call, whole)", r"list_numbers|numbers::read::list"),
    ("NumberRow::into_domain (row -> domain, incl. validation)", r"NumberRow::into_domain"),
    ("libpq PQgetResult (waiting for and reading the result)", r"PQgetResult"),
    ("malloc/free", r"^malloc|_int_malloc|_int_free|^cfree|realloc"),
    ("parking_lot locks and condvars (any user)", r"parking_lot::"),
]

# Lock primitives shared by several components (r2d2 and tokio's blocking
# pool both use parking_lot): a sample in one is attributed to the frame
# that called it, not to the primitive.
TRANSPARENT = re.compile(r"parking_lot::|lock_api::")


def samples(path):
    head, frames = None, []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if head is not None:
                    yield head, frames
                head, frames = None, []
            elif line[0] not in " \t":
                head, frames = line.strip(), []
            else:
                parts = line.strip().split(None, 1)
                frames.append(parts[1] if len(parts) > 1 else "")
    if head is not None:
        yield head, frames


def main():
    total = 0
    threads = Counter()
    incl = Counter()
    excl = Counter()
    compiled_b = [(l, re.compile(p)) for l, p in BUCKETS]
    compiled_p = [(l, re.compile(p)) for l, p in PROBES]
    for head, frames in samples(sys.argv[1]):
        total += 1
        comm = head.rsplit(None, 1)[0]
        threads["actix worker" if comm.startswith("actix-server") else
                "tokio blocking/runtime thread" if comm.startswith("tokio") else comm] += 1
        for label, rx in compiled_b + compiled_p:
            if any(rx.search(fr) for fr in frames):
                incl[label] += 1
        found = None
        for fr in frames:  # leaf first
            if TRANSPARENT.search(fr):
                continue
            for label, rx in compiled_b:
                if rx.search(fr):
                    found = label
                    break
            if found:
                break
        excl[found or "other"] += 1
    pct = lambda n: f"{100 * n / total:5.1f}%"
    print(f"{total} on-CPU samples")
    print("\nby thread:")
    for k, v in threads.most_common():
        print(f"  {pct(v)}  {k}")
    print("\nexclusive (innermost matching frame, leaf first):")
    for label, _ in BUCKETS:
        print(f"  {pct(excl[label])}  {label}")
    print(f"  {pct(excl['other'])}  other")
    print("\ninclusive (stack contains):")
    for label, _ in BUCKETS + PROBES:
        print(f"  {pct(incl[label])}  {label}")


if __name__ == "__main__":
    main()
