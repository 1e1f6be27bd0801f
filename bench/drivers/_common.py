"""Shared by the Python drivers: the command line every driver speaks, and the result line.

    DRIVER MODE BASE_URL PHONE_NUMBER_ID TOKEN N

MODE is idle | block | list | block1 (see crates/wablock-bench/src/main.rs, the reference).
The result is one JSON line on stdout; the orchestrator (bench/run.py) checks ``count``.
"""

import json
import sys
import time

MODES = ("idle", "block", "list", "block1")


# `+1555` then the index on 7 digits is `+` then 15,550,000,000 + the index (below 10^7).
FIRST_USER = 15_550_000_000


def user(i: int) -> str:
    """The benchmark's user ``i``, the same string in every driver."""
    return f"+{FIRST_USER + i}"


def make_users(n: int) -> list:
    """Users 0 to n - 1. The harness's own cost of making the inputs is counted in each
    driver's CPU, so it is kept small and the same for every Python driver: a plain f-string in
    one comprehension, not ``f"+1555{i:07d}"`` through a call per user (64,000 of those took
    ~11 ms here, a quarter of the wablock driver's CPU for a block; this takes ~7 ms)."""
    return [f"+{FIRST_USER + i}" for i in range(n)]


def parse_args():
    if len(sys.argv) != 6 or sys.argv[1] not in MODES:
        sys.stderr.write(f"usage: {sys.argv[0]} {'|'.join(MODES)} BASE_URL PHONE_ID TOKEN N\n")
        sys.exit(64)
    mode, url, phone, token, n = sys.argv[1:]
    return mode, url.rstrip("/"), phone, token, int(n)


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def time_calls(n: int, call):
    """Runs ``call(i)`` for i in 0..n, each timed in-process; returns (ok, total_s, median_s)."""
    times = []
    ok = 0
    start = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        ok += call(i)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    times.sort()
    return ok, total, (times[len(times) // 2] if times else 0.0)
