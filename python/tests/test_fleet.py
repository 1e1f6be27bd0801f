"""The fleet on the sandbox: one call on three numbers, each number's own accounting, and one
number failing as a whole never hiding the others."""

from __future__ import annotations

import json
from typing import List

import pytest

import wablock
from conftest import Sandbox

NUMBERS = ["1001", "1002", "1003"]


def fleet_of_three(sandbox: Sandbox, refused: str = "") -> wablock.Fleet:
    clients = {
        n: wablock.Client(
            n,
            "not-the-token" if n == refused else "sandbox-token",
            base_url=sandbox.url,
            parallelism=4,
            initial_backoff=0.001,
            max_backoff=0.02,
        )
        for n in NUMBERS
    }
    return wablock.Fleet(clients, total_parallelism=6)


def blocked_count(sandbox: Sandbox, number: str) -> int:
    count: int = sandbox.call("GET", f"/_sandbox/state?phone_number_id={number}")["blocked_count"]
    return count


def test_a_fleet_of_three_blocks_2500_users_with_every_input_accounted_for(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    users: List[str] = [f"+1 650 {1_000_000 + i:07d}" for i in range(2500)]
    users += ["not a number", users[0]]
    results = fleet_of_three(sandbox).block(users)
    assert results.labels == NUMBERS and len(results) == 3
    for entry in results.entries:
        assert entry.error is None and entry.is_blocked is None
        outcome = entry.outcome
        assert outcome is not None
        accounted = [s.input for s in outcome.succeeded] + [f.input for f in outcome.failed]
        assert sorted(accounted) == sorted(users), entry.label
        assert len(outcome.succeeded) == 2501
        assert [(f.input, f.reason) for f in outcome.failed] == [("not a number", wablock.Reason.INVALID_USER)]
        assert outcome.requests == 3
        assert blocked_count(sandbox, entry.label) == 2500
    assert not results.ok  # one input was refused


def test_one_numbers_refused_token_leaves_the_others_outcomes(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    users = ["+16505550001", "+16505550002", "+16505550003"]
    fleet = fleet_of_three(sandbox, refused="1002")
    results = fleet.block(users)
    bad = results["1002"]
    assert isinstance(bad.error, wablock.AuthError) and bad.outcome is None
    assert bad.error.not_attempted == users
    for n in ("1001", "1003"):
        good = results[n].outcome
        assert good is not None and len(good.succeeded) == 3 and results[n].error is None
    assert blocked_count(sandbox, "1002") == 0
    doc = json.loads(results.to_json())
    assert list(doc["fleet"]) == NUMBERS
    assert doc["fleet"]["1002"]["error"]["kind"] == "AUTH"
    assert doc["fleet"]["1001"]["outcome"]["operation"] == "block"

    walk = fleet.blocked_users(2)
    assert [(u.wa_id, u.blocked_on) for u in walk.users] == [
        ("16505550001", ["1001", "1003"]),
        ("16505550002", ["1001", "1003"]),
        ("16505550003", ["1001", "1003"]),
    ]
    assert list(walk.errors) == ["1002"] and isinstance(walk.errors["1002"], wablock.AuthError)

    # One number that could not answer makes the whole answer not ok (the core's rule).
    answers = fleet.is_blocked(users[0])
    assert not answers.ok
    assert [e.is_blocked for e in answers.entries] == [True, None, True]
    assert fleet.is_blocked(users[0], numbers=["1001", "1003"]).ok

    answers = fleet.is_blocked("16505550002", numbers=["1003", "1002"])
    assert answers.labels == ["1003", "1002"]
    assert answers["1003"].is_blocked is True
    assert isinstance(answers["1002"].error, wablock.AuthError)
    with pytest.raises(KeyError):
        answers["1001"]

    with pytest.raises(wablock.InvalidArgumentError, match='"9999"'):
        fleet.block(users, numbers=["9999"])


def test_fleet_meta_labels_each_number_by_its_id_and_shares_the_options(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    fleet = wablock.Fleet.meta(NUMBERS[:2], "sandbox-token", base_url=sandbox.url, total_parallelism=1)
    assert fleet.labels == NUMBERS[:2]
    results = fleet.unblock(["+16505550001"])
    assert results.ok and [e.label for e in results.entries] == NUMBERS[:2]
    with pytest.raises(wablock.InvalidArgumentError, match="total parallelism is 0"):
        wablock.Fleet.meta(NUMBERS, "sandbox-token", base_url=sandbox.url, total_parallelism=0)


def test_fleet_labels_are_checked_by_the_core(sandbox: Sandbox) -> None:
    client = wablock.Client("1001", "sandbox-token", base_url=sandbox.url)
    with pytest.raises(wablock.InvalidArgumentError, match="used twice"):
        wablock.Fleet([("a", client), ("a", client)])
    with pytest.raises(wablock.InvalidArgumentError, match="no phone number"):
        wablock.Fleet({})
    assert "sandbox-token" not in repr(wablock.Fleet({"a": client}))
