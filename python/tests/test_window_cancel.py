"""The blocking Window's cancel= token, on the sandbox (24-hour rule on): a cancelled call stops
as the core's block does, records nothing when cancelled before it starts, and loses no queued
block."""

from __future__ import annotations

import pathlib
import threading

import pytest

import wablock
from conftest import PHONE, Sandbox, make_client
from test_window import APP_SECRET, STALE, blocked_count, inbound

USERS = [f"1555{i:07d}" for i in range(64_000)]


def test_a_cancelled_token_records_nothing_and_loses_no_queued_block(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    with wablock.Window(
        tmp_path / "w.db", {PHONE: make_client(sandbox)}, app_secret=APP_SECRET
    ) as window:
        assert window.block_when_possible(PHONE, [STALE]).queued == [STALE]
        hook = inbound(sandbox, "16505550000")
        body: bytes = hook["webhook_body"].encode()
        token = wablock.CancelToken()
        token.cancel()
        before = len(sandbox.api_requests())

        # Cancelled before it starts: the core's CancelledError, nothing recorded.
        with pytest.raises(wablock.CancelledError, match="nothing was recorded") as caught:
            window.ingest(body, hook["signature"], cancel=token)
        assert caught.value.kind is wablock.ErrorKind.CANCELLED
        assert window.window(PHONE, STALE).state == "unknown"
        with pytest.raises(wablock.CancelledError):
            window.process_pending(cancel=token)
        # block_when_possible stops as Client.block does: every input accounted for, nothing
        # queued.
        with pytest.raises(wablock.CancelledError) as caught:
            window.block_when_possible(PHONE, ["+16505550009"], cancel=token)
        assert caught.value.not_attempted == ["+16505550009"]
        assert len(sandbox.api_requests()) == before
        assert [p.input for p in window.pending()] == [STALE]

        # The same payload without the token records the message and blocks the user.
        report = window.ingest(body, hook["signature"])
        assert report.new_messages == 1
        [block] = report.blocks
        assert block.input == STALE and not block.still_pending
        assert window.pending() == []
        assert blocked_count(sandbox) == 1
        # A token not cancelled changes nothing.
        assert window.process_pending(cancel=wablock.CancelToken()) == []


def test_a_token_cancelled_from_another_thread_stops_a_64000_user_block_when_possible(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.config(latency_ms=20)
    token = wablock.CancelToken()

    def cancel_part_way() -> None:
        for _ in range(4000):
            if len(sandbox.api_requests()) >= 8:
                break
            threading.Event().wait(0.005)
        token.cancel()

    with wablock.Window(tmp_path / "w.db", {PHONE: make_client(sandbox, parallelism=4)}) as window:
        canceller = threading.Thread(target=cancel_part_way)
        canceller.start()
        try:
            with pytest.raises(wablock.CancelledError) as caught:
                window.block_when_possible(PHONE, USERS, cancel=token)
        finally:
            canceller.join()
        err = caught.value
        assert err.partial is not None and not err.partial.succeeded
        refused = [f.input for f in err.partial.failed]
        assert refused and err.not_attempted, "cancelled part-way"
        assert sorted(refused + err.not_attempted) == USERS
        assert len(sandbox.api_requests()) == err.partial.requests < 64
        # The call failed as a whole: nothing is queued, though every answer was a refusal.
        assert window.pending() == []
