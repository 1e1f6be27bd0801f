"""wablock.AsyncWindow on the sandbox: the same flow as test_window.py, awaited, and what a
cancelled task leaves behind."""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import threading
from typing import Any, Awaitable, Callable, List, TypeVar

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


def test_a_cancelled_task_lets_the_call_finish_and_logs_it(
    sandbox: Sandbox, tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.config(latency_ms=300)
    window = wablock.AsyncWindow(str(tmp_path / "w.db"), {PHONE: make_client(sandbox)})
    sent = threading.Event()

    def request_seen() -> bool:
        return any(not r["path"].startswith("/_sandbox/") for r in sandbox.requests())

    async def main() -> None:
        task = asyncio.create_task(window.block_when_possible(PHONE, [STALE]))
        for _ in range(4000):
            if await asyncio.to_thread(request_seen):
                sent.set()
                break
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The call ran to its end before the task finished: the refusal is queued.
        assert [p.input for p in await window.pending()] == [STALE]

    with caplog.at_level(logging.WARNING, logger="wablock"):
        run(main)
    assert sent.is_set(), "the block request never reached the sandbox"
    lines: List[str] = [r.getMessage() for r in caplog.records if r.name == "wablock"]
    assert any(
        line.startswith("block_when_possible: the task was cancelled; the call ran to its end")
        and "queued=['+16505550000']" in line
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
