"""AsyncFleet on the sandbox: one awaitable call on several numbers, and a cancelled task that
stops every number's work with each number's accounting intact."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import pytest

import wablock
from conftest import TOKEN, Sandbox, fast_options

NUMBERS = ["2001", "2002", "2003"]
USERS = [f"1555{i:07d}" for i in range(64_000)]


def make_fleet(sandbox: Sandbox, **options: Any) -> wablock.AsyncFleet:
    return wablock.AsyncFleet.meta(
        NUMBERS, TOKEN, total_parallelism=6, **fast_options(sandbox, **options)
    )


async def until_requests(sandbox: Sandbox, at_least: int) -> None:
    """Polls the sandbox's log on a worker thread; the bound only keeps a broken build from
    hanging the suite."""
    for _ in range(4000):
        if len(await asyncio.to_thread(sandbox.api_requests)) >= at_least:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never saw {at_least} requests")


def test_async_fleet_blocks_on_every_number_and_walks_them(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    users = [f"+1 650 555 {i:04d}" for i in range(25)] + ["not a number"]

    async def main() -> None:
        fleet = make_fleet(sandbox)
        assert fleet.labels == NUMBERS
        results = await fleet.block(users)
        assert results.labels == NUMBERS
        for entry in results.entries:
            assert entry.outcome is not None, entry.label
            assert len(entry.outcome.succeeded) == 25
            assert [f.input for f in entry.outcome.failed] == ["not a number"]
        chosen = await fleet.unblock(users[:5], numbers=["2002"])
        assert chosen.labels == ["2002"]
        answers = await fleet.is_blocked(users[0])
        assert [e.is_blocked for e in answers.entries] == [True, False, True]
        walk = await fleet.blocked_users(10)
        assert len(walk.users) == 25
        first = walk.users[0]
        assert first.blocked_on == ["2001", "2003"]

    asyncio.run(main())


def test_a_cancelled_fleet_task_stops_every_number_and_accounts_for_every_input(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.config(open=True, latency_ms=20)
    hooked: List[wablock.FleetResults] = []

    async def main() -> int:
        fleet = make_fleet(sandbox, parallelism=2)
        task = asyncio.create_task(fleet.block(USERS, on_cancel=hooked.append))
        await until_requests(sandbox, 6)
        task.cancel()
        await asyncio.sleep(0)
        at_cancel = len(await asyncio.to_thread(sandbox.api_requests))
        with pytest.raises(asyncio.CancelledError):
            await task
        return at_cancel

    with caplog.at_level(logging.INFO, logger="wablock"):
        at_cancel = asyncio.run(main())

    assert len(hooked) == 1
    results = hooked[0]
    assert results.labels == NUMBERS
    for entry in results.entries:
        # Each number: its own CANCELLED error, and every input once in partial or
        # not_attempted.
        err = entry.error
        assert isinstance(err, wablock.CancelledError), (entry.label, err)
        done = 0
        if err.partial is not None:
            done = len(err.partial.succeeded) + len(err.partial.failed)
        assert done + len(err.not_attempted) == len(USERS), entry.label
    # No new request after the cancel beyond those already in flight (at most the total
    # parallelism of 6 requests).
    after = len(sandbox.api_requests())
    assert after - at_cancel <= 6, (at_cancel, after)
    assert after < 3 * 64
    assert any("fleet block cancelled" in r.getMessage() for r in caplog.records)
