"""AsyncClient on the sandbox: cancellation that really stops the work, overlap, deadlines,
async iteration; and the blocking Client's cancel= token."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable, List, Set, Tuple, TypeVar, Union

import pytest

import wablock
from conftest import PHONE, TOKEN, Sandbox, fast_options, make_client

USERS = [f"1555{i:07d}" for i in range(64_000)]
T = TypeVar("T")


def make_async(sandbox: Sandbox, **options: Any) -> wablock.AsyncClient:
    return wablock.AsyncClient(PHONE, TOKEN, **fast_options(sandbox, **options))


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` (a look at the sandbox's log, on a worker thread) until it holds. The
    bound only keeps a broken build from hanging the suite; no assertion depends on timing."""
    for _ in range(4000):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def received_users(sandbox: Sandbox) -> List[str]:
    return [u["user"] for r in sandbox.api_requests() for u in r["body"]["block_users"]]


def test_a_cancelled_task_stops_a_64000_user_block_within_one_batch(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.config(open=True, latency_ms=20)
    hooked: List[Union[wablock.Outcome, wablock.WablockError]] = []

    async def main() -> Tuple[BaseException, int]:
        async with make_async(sandbox, parallelism=4, on_cancel=hooked.append) as client:
            task = asyncio.create_task(client.block(USERS))
            await until(lambda: len(sandbox.api_requests()) >= 8, "8 of 64 batches sent")
            task.cancel()
            # One turn of the loop: the task sees the CancelledError and cancels its token.
            await asyncio.sleep(0)
            at_cancel = len(sandbox.api_requests())
            with pytest.raises(asyncio.CancelledError) as caught:
                await task
            assert task.cancelled()
            return caught.value, at_cancel

    with caplog.at_level(logging.INFO, logger="wablock"):
        cancelled, at_cancel = run(main)

    # The task saw asyncio.CancelledError; the core's CANCELLED error is its cause and went to
    # the hook.
    err = cancelled.__cause__
    assert isinstance(err, wablock.CancelledError), repr(err)
    assert err.kind is wablock.ErrorKind.CANCELLED
    assert err.message.startswith("the call was cancelled: ")
    assert hooked == [err]
    # Every input exactly once, in partial or not_attempted.
    assert err.partial is not None and not err.partial.failed
    done = [s.input for s in err.partial.succeeded]
    assert done and err.not_attempted, "cancelled part-way"
    assert sorted(done + err.not_attempted) == USERS
    # No new batch after the cancel: the server received exactly the users reported blocked.
    sent = received_users(sandbox)
    assert len(sent) == len(set(sent))
    assert set(sent) == {s.sent for s in err.partial.succeeded}
    total = len(sandbox.api_requests())
    assert total == err.partial.requests
    assert total <= at_cancel + 4, (total, at_cancel)  # at most one per worker was deciding
    assert total < 64
    # Logged, with the accounting.
    logged = [r for r in caplog.records if r.name == "wablock" and r.levelno == logging.WARNING]
    assert any(
        f"{len(done)} succeeded, 0 failed, {len(err.not_attempted)} not attempted" in r.getMessage()
        for r in logged
    ), [r.getMessage() for r in logged]


def test_the_loop_keeps_running_during_a_64000_user_block(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=20)

    async def main() -> Tuple[int, wablock.Outcome]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        tick_task = asyncio.create_task(ticker())
        async with make_async(sandbox, parallelism=4) as client:
            outcome = await client.block(USERS)
        stop.set()
        await tick_task
        return ticks, outcome

    ticks, outcome = run(main)
    assert len(outcome.succeeded) == 64_000
    # 64 batches at 20 ms each, 4 at a time: the loop ran all along (a generous bound; the
    # measured lag is in docs/python.md, from python/bench/loop_lag.py).
    assert ticks >= 20, ticks


def test_two_calls_overlap(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=1000)

    async def main() -> None:
        async with make_async(sandbox) as client:
            first = asyncio.create_task(client.block(["16505550001"]))
            second = asyncio.create_task(client.unblock(["16505550002"]))
            await until(lambda: len(sandbox.api_requests()) == 2, "both requests sent")
            # Both requests reached the server while neither call had returned.
            assert not first.done() and not second.done()
            assert (await first).ok and (await second).ok

    run(main)
    methods = sorted(r["method"] for r in sandbox.api_requests())
    assert methods == ["DELETE", "POST"]


def test_the_clients_deadline_is_honoured(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=1000)

    async def main() -> None:
        async with make_async(sandbox, deadline=0.2) as client:
            with pytest.raises(wablock.TimeoutError) as caught:
                await client.block(["16505550001", "16505550002"])
            assert sorted(caught.value.not_attempted) == ["16505550001", "16505550002"]

    run(main)


def test_asyncio_wait_for_stops_the_call(sandbox: Sandbox) -> None:
    sandbox.config(open=True, latency_ms=1000)
    seen: List[Union[wablock.Outcome, wablock.WablockError]] = []

    async def main() -> None:
        async with make_async(sandbox, parallelism=2, max_batch=100) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.block(USERS[:2000], on_cancel=seen.append), 0.3)

    run(main)
    # The timeout cancelled the task: the two batches in flight finished, no other started.
    assert len(sandbox.api_requests()) == 2
    assert len(seen) == 1 and isinstance(seen[0], wablock.CancelledError)
    assert len(seen[0].not_attempted) == 1800


def test_async_for_walks_the_list_a_page_per_request(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    make_client(sandbox).block([f"1650555{i:04d}" for i in range(25)])
    sandbox.call("DELETE", "/_sandbox/requests")

    async def main() -> Tuple[List[str], bool, wablock.Page]:
        async with make_async(sandbox) as client:
            walk = client.blocked_users(page_size=10)
            users = [u.wa_id or "" async for u in walk]
            assert walk.pages_requested == 4
            blocked = await client.is_blocked("+1 650 555 0024")
            page = await client.list_page(limit=5)
            return users, blocked, page

    users, blocked, page = run(main)
    assert sorted(users) == [f"1650555{i:04d}" for i in range(25)]
    assert len(set(users)) == 25
    assert blocked
    assert len(page.users) == 5 and page.has_more
    # Pages of 10, 10, 5 and the empty page that ends the walk; is_blocked's one page of 100
    # (it stops at the page holding the user); list_page.
    assert len(sandbox.api_requests()) == 4 + 1 + 1


def test_a_cancelled_walk_requests_no_further_page(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    make_client(sandbox).block([f"1650555{i:04d}" for i in range(25)])
    sandbox.call("DELETE", "/_sandbox/requests")

    async def main() -> int:
        async with make_async(sandbox) as client:
            walk = client.blocked_users(page_size=10)
            got = 0
            async for _ in walk:
                got += 1
                if got == 10:
                    await walk.aclose()
            return got

    assert run(main) == 10
    assert len(sandbox.api_requests()) == 1


def test_async_with_closes_and_constructors_mirror_client(sandbox: Sandbox) -> None:
    async def main() -> None:
        client = make_async(sandbox)
        async with client as same:
            assert same is client and not client.closed
            assert client.provider == "meta" and client.endpoint.startswith(sandbox.url)
        assert client.closed
        with pytest.raises(wablock.InvalidArgumentError):
            await client.block(["16505550001"])
        d360 = wablock.AsyncClient.dialog360("sandbox-key", base_url=sandbox.url)
        assert d360.provider == "360dialog"
        meta = wablock.AsyncClient.meta(PHONE, TOKEN, base_url=sandbox.url)
        assert meta.provider == "meta"
        wrapped = wablock.AsyncClient.wrap(make_client(sandbox))
        assert (await wrapped.list_page()).users == []
        assert TOKEN not in repr(meta) and repr(meta).startswith("AsyncClient(provider='meta'")

    run(main)


def test_a_blocking_call_stops_when_its_token_is_cancelled_from_another_thread(
    sandbox: Sandbox,
) -> None:
    sandbox.config(open=True, latency_ms=20)
    client = make_client(sandbox, parallelism=4)
    token = wablock.CancelToken()
    assert not token.cancelled

    def cancel_part_way() -> None:
        for _ in range(4000):
            if len(sandbox.api_requests()) >= 8:
                break
            threading.Event().wait(0.005)
        token.cancel()

    canceller = threading.Thread(target=cancel_part_way)
    canceller.start()
    try:
        with pytest.raises(wablock.CancelledError) as caught:
            client.block(USERS, cancel=token)
    finally:
        canceller.join()
    assert token.cancelled and repr(token) == "CancelToken(cancelled=True)"
    err = caught.value
    assert err.partial is not None
    done: Set[str] = {s.sent for s in err.partial.succeeded}
    assert sorted([s.input for s in err.partial.succeeded] + err.not_attempted) == USERS
    assert set(received_users(sandbox)) == done
    # A cancelled token stops every later call before it sends anything.
    before = len(sandbox.api_requests())
    for call in (
        lambda: client.unblock(["16505550001"], cancel=token),
        lambda: client.list_page(cancel=token),
        lambda: client.is_blocked("16505550001", cancel=token),
        lambda: next(iter(client.blocked_users(cancel=token))),
    ):
        with pytest.raises(wablock.CancelledError):
            call()
    assert len(sandbox.api_requests()) == before
