"""wablock.AsyncWindow on the sandbox: the same flow as test_window.py, awaited, and what a
cancelled task leaves behind."""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
from typing import Any, Awaitable, Callable, List, Tuple, TypeVar

import pytest

import wablock
from conftest import PHONE, Sandbox, make_client
from test_window import APP_SECRET, STALE, blocked_count, inbound

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


def test_a_refused_block_waits_for_the_users_next_signed_message(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    store = str(tmp_path / "window.db")

    async def main() -> None:
        async with wablock.AsyncWindow(
            store, {PHONE: make_client(sandbox)}, app_secret=APP_SECRET
        ) as window:
            assert repr(window).startswith("AsyncWindow(store=")
            # 1. A refused block is queued.
            result = await window.block_when_possible(PHONE, iter([STALE]))
            assert result.queued == [STALE]
            assert [f.reason for f in result.outcome.failed] == [
                wablock.Reason.REENGAGEMENT_REQUIRED
            ]
            assert [p.input for p in await window.pending()] == [STALE]

            hook = await asyncio.to_thread(inbound, sandbox, "16505550000")
            body: bytes = hook["webhook_body"].encode()
            signature: str = hook["signature"]

            # 2. A tampered payload is refused, and nothing of it is recorded.
            with pytest.raises(wablock.SignatureError, match="does not match"):
                await window.ingest(body.replace(b"Hello", b"Howdy"), signature)
            assert (await window.window(PHONE, STALE)).state == "unknown"
            assert len(await window.pending()) == 1

            # 3. The signed payload of the next message blocks the user.
            report = await window.ingest(body, signature)
            assert (report.messages, report.new_messages) == (1, 1)
            [block] = report.blocks
            assert block.input == STALE and not block.still_pending
            assert block.outcome is not None
            assert [s.wa_id for s in block.outcome.succeeded] == ["16505550000"]
            assert await asyncio.to_thread(blocked_count, sandbox) == 1

            # 4. The queue is empty, and the window is open.
            assert await window.pending() == []
            assert (await window.window(PHONE, STALE)).is_open

            # 5. The same payload again changes nothing.
            requests_before = len(await asyncio.to_thread(sandbox.requests))
            again = await window.ingest(body, signature)
            assert json.loads(again.to_json()) == {
                "ingest": {"messages": 1, "new_messages": 0, "blocks": []}
            }
            assert len(await asyncio.to_thread(sandbox.requests)) == requests_before
            assert await window.process_pending() == []
            cancelled = await window.cancel_pending(PHONE, [STALE])
            assert cancelled.not_pending == [STALE]
        assert window.closed and window.blocking.closed

    run(main)


def test_open_runs_on_a_worker_thread_and_errors_are_the_same(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    async def main() -> None:
        with pytest.raises(wablock.InvalidArgumentError, match="scheme"):
            await wablock.AsyncWindow.open("mysql://localhost/db")
        window = await wablock.AsyncWindow.open(
            tmp_path / "w.db", iter([(PHONE, make_client(sandbox))])
        )
        assert window.phone_number_ids == [PHONE]
        with pytest.raises(wablock.MalformedPayloadError):
            await window.ingest(b"[]")
        with pytest.raises(wablock.InvalidArgumentError, match="no client is configured"):
            await window.block_when_possible("999", [STALE])
        await window.aclose()
        with pytest.raises(wablock.InvalidArgumentError, match="closed"):
            await window.pending()

    run(main)


USERS = [f"1555{i:07d}" for i in range(64_000)]


async def until(condition: Callable[[], bool], what: str) -> None:
    """Polls `condition` (a look at the sandbox's log, on a worker thread) until it holds. The
    bound only keeps a broken build from hanging the suite; no assertion depends on timing."""
    for _ in range(4000):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def test_a_cancelled_task_stops_a_64000_user_block_when_possible_and_queues_nothing(
    sandbox: Sandbox, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The 24-hour rule is on: every user is refused and would be queued.
    sandbox.config(latency_ms=20)
    hooked: List[object] = []
    window = wablock.AsyncWindow(
        str(tmp_path / "w.db"),
        {PHONE: make_client(sandbox, parallelism=4)},
        on_cancel=hooked.append,
    )

    async def main() -> Tuple[BaseException, int]:
        task = asyncio.create_task(window.block_when_possible(PHONE, USERS))
        await until(lambda: len(sandbox.api_requests()) >= 8, "8 of 64 batches sent")
        task.cancel()
        # One turn of the loop: the task sees the CancelledError and cancels its token.
        await asyncio.sleep(0)
        at_cancel = len(sandbox.api_requests())
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
        assert task.cancelled()
        # Nothing is queued: the call failed as a whole, as the core's block does.
        assert await window.pending() == []
        return caught.value, at_cancel

    with caplog.at_level(logging.INFO, logger="wablock"):
        cancelled, at_cancel = run(main)

    err = cancelled.__cause__
    assert isinstance(err, wablock.CancelledError), repr(err)
    assert err.kind is wablock.ErrorKind.CANCELLED
    assert hooked == [err]
    # Every input exactly once, in partial (refused for the 24-hour rule) or not_attempted.
    assert err.partial is not None and not err.partial.succeeded
    refused = [f.input for f in err.partial.failed]
    assert refused and err.not_attempted, "cancelled part-way"
    assert {f.reason for f in err.partial.failed} == {wablock.Reason.REENGAGEMENT_REQUIRED}
    assert sorted(refused + err.not_attempted) == USERS
    # No new batch after the cancel.
    total = len(sandbox.api_requests())
    assert total == err.partial.requests
    assert total <= at_cancel + 4, (total, at_cancel)  # at most one per worker was deciding
    assert total < 64
    logged = [r for r in caplog.records if r.name == "wablock" and r.levelno == logging.WARNING]
    assert any(
        r.getMessage().startswith("block_when_possible cancelled: 0 succeeded, ")
        and f"{len(refused)} failed, {len(err.not_attempted)} not attempted" in r.getMessage()
        for r in logged
    ), [r.getMessage() for r in logged]


def test_a_cancelled_ingest_takes_up_no_further_block_and_keeps_the_rest_queued(
    sandbox: Sandbox, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    users = ["+16505550000", "+16505550001", "+16505550002"]
    store = str(tmp_path / "w.db")
    hooked: List[object] = []
    window = wablock.AsyncWindow(
        store, {PHONE: make_client(sandbox)}, app_secret=APP_SECRET, on_cancel=hooked.append
    )

    async def main() -> wablock.IngestReport:
        assert (await window.block_when_possible(PHONE, users)).queued == users
        # All three write in. A receiver with no client records the first two (their blocks
        # stay queued); the third's payload then opens every window at once.
        hooks = [await asyncio.to_thread(inbound, sandbox, u[1:]) for u in users]
        with wablock.Window(store, app_secret=APP_SECRET) as recorder:
            for hook in hooks[:2]:
                report = recorder.ingest(hook["webhook_body"].encode(), hook["signature"])
                assert all(b.still_pending for b in report.blocks)
        assert len(await window.pending()) == 3
        before = len(await asyncio.to_thread(sandbox.api_requests))
        await asyncio.to_thread(sandbox.config, latency_ms=300)
        last = hooks[2]
        task = asyncio.create_task(window.ingest(last["webhook_body"].encode(), last["signature"]))
        # Cancel while the first queued block's request is in flight.
        await until(lambda: len(sandbox.api_requests()) > before, "the first queued block sent")
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as caught:
            await task
        assert caught.value.__cause__ is None  # the call returned its report
        assert len(await asyncio.to_thread(sandbox.api_requests)) == before + 1
        # The two blocks not taken up are still queued, unclaimed.
        left = await window.pending()
        assert len(left) == 2 and all(p.claim_owner is None for p in left)
        assert await asyncio.to_thread(blocked_count, sandbox) == 1
        # A later process_pending blocks them.
        await asyncio.to_thread(sandbox.config, latency_ms=0)
        made = await window.process_pending()
        assert len(made) == 2 and not any(m.still_pending for m in made)
        assert await window.pending() == []
        assert await asyncio.to_thread(blocked_count, sandbox) == 3
        [report] = hooked
        assert isinstance(report, wablock.IngestReport)
        return report

    with caplog.at_level(logging.WARNING, logger="wablock"):
        report = run(main)
    assert (report.messages, report.new_messages) == (1, 1)
    [block] = report.blocks
    assert not block.still_pending and block.outcome is not None
    assert len(block.outcome.succeeded) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "wablock"]
    assert any(
        line.startswith("ingest cancelled: 1 messages (1 new) recorded; 1 queued blocks taken up")
        for line in lines
    ), lines


def test_calls_overlap_without_blocking_the_loop(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    sandbox.config(latency_ms=100)
    window = wablock.AsyncWindow(str(tmp_path / "w.db"), {PHONE: make_client(sandbox)})
    ticks: List[Any] = []

    async def ticker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append(None)
            await asyncio.sleep(0.001)

    async def main() -> None:
        stop = asyncio.Event()
        tick = asyncio.create_task(ticker(stop))
        results = await asyncio.gather(
            window.block_when_possible(PHONE, [STALE]),
            window.block_when_possible(PHONE, ["+16505550001"]),
        )
        stop.set()
        await tick
        assert [r.queued for r in results] == [[STALE], ["+16505550001"]]

    run(main)
    # A generous bound, not a duration: the loop kept running while the calls waited.
    assert len(ticks) >= 20
