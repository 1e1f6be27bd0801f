"""The binding's fast paths keep their behaviour: log filtering, result sequences, input reading."""

from __future__ import annotations

import logging

import pytest

import wablock

from conftest import Sandbox


def test_only_wablock_records_reach_python_logging(
    client: wablock.Client, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # The HTTP stack traces every read of a response body; those records are dropped before
    # they reach Python (log_bridge.rs), and wablock's own still arrive.
    sandbox.config(open=True)
    with caplog.at_level(logging.DEBUG):
        outcome = client.block([f"+1555{i:07d}" for i in range(2500)])
        assert len(list(client.blocked_users(page_size=1000))) == 2500
    assert len(outcome.succeeded) == 2500
    names = {r.name for r in caplog.records}
    assert any(n.startswith("wablock") for n in names), names
    assert all(n == "wablock" or n.startswith("wablock.") for n in names), names
