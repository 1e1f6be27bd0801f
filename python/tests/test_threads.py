"""The GIL is released during network calls, and blocked_users is really lazy."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

import wablock
from conftest import Sandbox, make_client

LATENCY_S = 0.3


def test_two_threads_blocking_at_once_overlap(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=int(LATENCY_S * 1000))
    client = make_client(sandbox)
    client.list_page()  # warm the connection pool: the timing below is about the GIL only

    durations: list[float] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(user: str) -> None:
        try:
            barrier.wait()
            t0 = time.perf_counter()
            assert client.block([user]).ok
            durations.append(time.perf_counter() - t0)
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(u,)) for u in ("16505550001", "16505550002")]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    assert not errors, errors
    # Each call waited out the sandbox's latency...
    assert min(durations) >= LATENCY_S * 0.9, durations
    # ...yet both together took far less than two latencies: they overlapped, which is only
    # possible if each released the GIL while it waited.
    assert wall < 0.55, f"two concurrent calls took {wall:.3f}s (serial would be >= 0.6s)"


def test_progress_callback_and_other_threads_run_during_a_call(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=100)
    client = make_client(sandbox, max_batch=1, parallelism=4)
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    seen: list[int] = []
    try:
        outcome = client.block(
            [f"1650555000{i}" for i in range(8)], on_progress=lambda d, _t: seen.append(d)
        )
    finally:
        stop.set()
        t.join()
    assert outcome.ok
    assert sorted(seen) == seen and seen[-1] == 8 and len(seen) == 8
    assert ticks >= 10, "the Python thread starved while wablock waited on the network"


def test_blocked_users_is_lazy(sandbox: Sandbox) -> None:
    users = [f"165055501{i:02d}" for i in range(25)]
    sandbox.phone(blocked=users)
    client = make_client(sandbox)

    it = client.blocked_users(page_size=10)
    assert sandbox.api_requests() == []  # creating the iterator sends nothing

    first = next(it)
    assert isinstance(first, wablock.BlockedUser)
    assert len(sandbox.api_requests()) == 1
    assert sandbox.api_requests()[0]["query"] in ("limit=10", {"limit": "10"})

    for _ in range(9):
        next(it)
    assert len(sandbox.api_requests()) == 1  # still on the first page
    next(it)
    assert len(sandbox.api_requests()) == 2  # the 11th user needed the second page
    assert it.pages_requested == 2

    rest = list(it)
    assert len(rest) == 14
    # Pages of 10, 10 and 5, then the empty page past the last after cursor that ends the walk.
    assert len(sandbox.api_requests()) == 4
    assert next(it, None) is None  # exhausted iterators stay exhausted


def test_ctrl_c_stops_a_bulk_call_at_the_next_batch(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=100)
    client = make_client(sandbox, max_batch=1, parallelism=2)
    users = [f"1650555000{i}" for i in range(10)]  # 5 rounds of 100 ms: about 0.5 s
    timer = threading.Timer(0.15, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            client.block(users)
    finally:
        timer.cancel()
    elapsed = time.perf_counter() - start
    err: Any = caught.value
    finished = [s.input for s in err.partial.succeeded] if err.partial else []
    # Stopped early, with every input accounted for.
    assert 0 < len(finished) < len(users), finished
    assert sorted(finished + err.not_attempted) == sorted(users)
    assert elapsed < 0.45, elapsed
