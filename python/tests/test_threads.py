"""The GIL is released during network calls, and blocked_users is really lazy."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable, Iterator

import pytest

import wablock
from conftest import Sandbox, make_client

# Long enough that a request is still in flight while the test looks at the sandbox's log.
LATENCY_MS = 1000


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` (a look at the sandbox's request log) until it holds. The bound only
    keeps a broken build from hanging the suite; no assertion depends on timing."""
    for _ in range(2000):
        if condition():
            return
        time.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def test_two_calls_are_in_flight_at_once(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=LATENCY_MS)
    client = make_client(sandbox)
    events: list[str] = []
    errors: list[BaseException] = []

    def call(user: str) -> None:
        try:
            assert client.block([user]).ok
            events.append(f"{user} returned")
        except BaseException as e:  # surfaced below
            errors.append(e)

    first = threading.Thread(target=call, args=("16505550001",))
    first.start()
    # This thread runs Python (it polls the sandbox) while the first call waits on the
    # network, which it can only do if that call released the GIL.
    wait_for(lambda: len(sandbox.api_requests()) == 1, "the first request reached the sandbox")
    second = threading.Thread(target=call, args=("16505550002",))
    second.start()
    wait_for(lambda: len(sandbox.api_requests()) == 2, "the second request reached the sandbox")
    events.append("both requests in flight")
    first.join()
    second.join()

    assert not errors, errors
    # Both requests reached the server before either call returned: the calls overlapped.
    assert events[0] == "both requests in flight", events
    assert sorted(events[1:]) == ["16505550001 returned", "16505550002 returned"]


def test_progress_callback_and_other_threads_run_during_a_call(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=200)
    client = make_client(sandbox, max_batch=1, parallelism=4)
    users = [f"1650555000{i}" for i in range(8)]
    seen_by_watcher: list[int] = []
    stop = threading.Event()

    def watcher() -> None:
        while not stop.is_set():
            seen_by_watcher.append(len(sandbox.api_requests()))

    t = threading.Thread(target=watcher)
    t.start()
    seen: list[int] = []
    try:
        outcome = client.block(users, on_progress=lambda d, _t: seen.append(d))
    finally:
        stop.set()
        t.join()
    assert outcome.ok
    assert sorted(seen) == seen and seen[-1] == 8 and len(seen) == 8
    # The watcher saw the call half done: it ran Python while wablock waited on the network.
    assert any(0 < n < len(users) for n in seen_by_watcher), seen_by_watcher


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


@pytest.fixture
def ctrl_c_raises() -> Iterator[None]:
    """Python's own SIGINT handler for the test. A runner started in the background by a
    non-interactive shell inherits SIGINT ignored, and Python then leaves it ignored: the
    `os.kill` below would do nothing, whatever wablock does."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_stops_a_bulk_call_at_the_next_batch(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=100)
    client = make_client(sandbox, max_batch=1, parallelism=2)
    users = [f"1650555000{i}" for i in range(10)]  # 5 rounds of two requests

    def interrupt_once_the_call_is_under_way() -> None:
        wait_for(lambda: len(sandbox.api_requests()) >= 1, "the call's first request")
        os.kill(os.getpid(), signal.SIGINT)

    interrupter = threading.Thread(target=interrupt_once_the_call_is_under_way)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            client.block(users)
    finally:
        interrupter.join()
    err: Any = caught.value
    finished = [s.input for s in err.partial.succeeded] if err.partial else []
    # Stopped early, with every input accounted for: no batch started after the interrupt.
    assert 0 < len(finished) < len(users), finished
    assert sorted(finished + err.not_attempted) == sorted(users)
    assert len(sandbox.api_requests()) < len(users)


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_as_the_last_batch_finishes_is_raised_by_the_call_with_its_outcome(
    sandbox: Sandbox,
) -> None:
    # The signal arrives when every batch is done: the call itself raises it, with the whole
    # outcome attached, instead of the next line of Python raising it with the outcome lost.
    sandbox.config(open=True)
    client = make_client(sandbox, max_batch=1, parallelism=1)
    users = ["16505550001", "16505550002", "16505550003"]

    def interrupt_at_the_end(done: int, total: int) -> bool:
        if done == total:
            os.kill(os.getpid(), signal.SIGINT)
        return True

    with pytest.raises(KeyboardInterrupt) as caught:
        client.block(users, on_progress=interrupt_at_the_end)
    err: Any = caught.value
    assert [s.input for s in err.partial.succeeded] == users
    assert err.not_attempted == []
