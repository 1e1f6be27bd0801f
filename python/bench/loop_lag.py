"""How long the asyncio event loop stalls while AsyncClient blocks 64,000 users.

Starts the sandbox (``--open --latency-ms 20``), runs a ticker that sleeps 1 ms at a time and
records how late each wake-up is, and awaits ``AsyncClient.block`` of 64,000 users
(64 batches, parallelism 4). Prints the ticker's lag: the worst, the 99th percentile, the
median, and the ticks seen. The figure in docs/python.md comes from this script.

    WABLOCK_SANDBOX_BIN=target/debug/wablock-sandbox build/venv/bin/python python/bench/loop_lag.py

This is a measurement, not a test: it never fails on a number (the suite's pass/fail check is
the generous "the loop kept ticking" in tests/test_async.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Tuple

import wablock

ROOT = Path(__file__).resolve().parents[2]


async def idle(seconds: float) -> List[float]:
    """The ticker alone, for as long as a call took: the machine's own noise."""
    lags: List[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - start - 0.001)
    return lags


def summary(lags: List[float]) -> Tuple[float, float, float]:
    """Max, p99 and median, in ms."""
    ms = sorted(x * 1000 for x in lags) or [0.0]
    return ms[-1], ms[max(0, int(len(ms) * 0.99) - 1)], statistics.median(ms)


async def measure(url: str, users: List[str], parallelism: int) -> Tuple[List[float], float, int]:
    lags: List[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - start - 0.001)

    async with wablock.AsyncClient(
        "1000", "sandbox-token", base_url=url, parallelism=parallelism
    ) as client:
        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.05)  # the ticker is running before the call starts
        lags.clear()
        start = time.perf_counter()
        outcome = await client.block(users)
        elapsed = time.perf_counter() - start
        stop.set()
        await tick
    return lags, elapsed, len(outcome.succeeded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=64_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = os.environ.get("WABLOCK_SANDBOX_BIN", str(ROOT / "target/debug/wablock-sandbox"))
    proc = subprocess.Popen(
        [binary, "--port", "0", "--open", "--latency-ms", str(args.latency_ms),
         "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = proc.stdout.readline().strip()
    users = [f"1555{i:07d}" for i in range(args.users)]
    worst = idle_worst = 0.0
    try:
        for run in range(args.runs):
            lags, elapsed, done = asyncio.run(measure(url, users, args.parallelism))
            top, p99, median = summary(lags)
            base_top, base_p99, _ = summary(asyncio.run(idle(elapsed)))
            worst, idle_worst = max(worst, top), max(idle_worst, base_top)
            print(
                f"run {run + 1}: {done} users blocked in {elapsed:.2f} s; loop lag max "
                f"{top:.1f} ms, p99 {p99:.1f} ms, median {median:.2f} ms over {len(lags)} "
                f"ticks (no call in flight, same machine, same length: max {base_top:.1f} ms, "
                f"p99 {base_p99:.1f} ms)"
            )
            # Unblock them so the next run blocks 64,000 again (the blocklist holds 64,000).
            wablock.Client("1000", "sandbox-token", base_url=url).unblock(users)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as f:
        load = f.read().split()[:1] or ["?"]
    print(
        f"worst loop lag over {args.runs} runs: {worst:.1f} ms during the call, "
        f"{idle_worst:.1f} ms with no call (Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load[0]})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
