"""The binding's fast paths keep their behaviour: log filtering, result sequences, input reading."""

from __future__ import annotations

import collections.abc
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


def _outcome(client: wablock.Client, sandbox: Sandbox) -> wablock.Outcome:
    sandbox.config(open=True)
    users = ["+15550000001", "+15550000002", "+15550000003", "bad one", "also bad"]
    return client.block(users)


def test_succeeded_and_failed_are_read_only_sequences(
    client: wablock.Client, sandbox: Sandbox
) -> None:
    outcome = _outcome(client, sandbox)
    ok, bad = outcome.succeeded, outcome.failed
    assert isinstance(ok, collections.abc.Sequence) and isinstance(bad, collections.abc.Sequence)
    assert not isinstance(ok, list)
    assert len(ok) == 3 and len(bad) == 2 and bool(ok) and bool(bad)
    # The same object every time, and each entry the same object every time it is read.
    assert outcome.succeeded is ok and outcome.failed is bad
    assert ok[0] is ok[0] and ok[-1] is ok[2] and ok[-3] is ok[0]
    assert [s.input for s in ok] == ["+15550000001", "+15550000002", "+15550000003"]
    assert [f.input for f in bad] == ["bad one", "also bad"]
    assert list(ok)[1] is ok[1]
    assert [s.input for s in reversed(ok)] == ["+15550000003", "+15550000002", "+15550000001"]
    # Slices are lists, with the same entries.
    assert isinstance(ok[1:], list) and ok[1:] == [ok[1], ok[2]]
    assert ok[::-1] == [ok[2], ok[1], ok[0]] and ok[::2] == [ok[0], ok[2]]
    assert ok[5:] == [] and ok[-100:1] == [ok[0]]
    # Equality with a list of the same entries and with itself; never with a tuple or a str.
    assert ok == list(ok) and list(ok) == ok and ok == ok and not ok != list(ok)
    assert ok != tuple(ok) and ok != "x" and ok != bad
    assert ok[0] in ok and bad[0] not in ok and "x" not in ok
    assert ok.index(ok[1]) == 1 and ok.count(ok[2]) == 1 and ok.index(ok[2], 1, 3) == 2
    with pytest.raises(ValueError):
        ok.index(bad[0])
    # Concatenation gives a list, as it did when these were lists.
    joined = ok + bad
    assert isinstance(joined, list) and [x.input for x in joined][-2:] == ["bad one", "also bad"]
    assert [] + ok == list(ok) and ok + [] == list(ok)
    # repr is the list's repr.
    assert repr(ok) == repr(list(ok)) and repr(ok).startswith("[Success(input='+15550000001', ")
    assert repr(bad) == repr(list(bad))
    # Index errors and types as a list raises them.
    for bad_index in (3, -4, 10**3):
        with pytest.raises(IndexError):
            ok[bad_index]
    with pytest.raises(IndexError):
        ok[10**30]
    with pytest.raises(TypeError):
        ok["0"]  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        ok[1.0]  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        hash(ok)
    with pytest.raises(TypeError):
        ok[0] = ok[1]  # type: ignore[index]

    class Two:
        def __index__(self) -> int:
            return 2

    assert ok[Two()] is ok[2]  # type: ignore[call-overload]
    assert ok[True] is ok[1]


def test_empty_sequences_and_len_only(client: wablock.Client, sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    outcome = client.block(["+15550000001"])
    assert not outcome.failed and len(outcome.failed) == 0 and list(outcome.failed) == []
    assert outcome.failed == [] and repr(outcome.failed) == "[]"
    with pytest.raises(IndexError):
        outcome.failed[0]
    big = client.block([f"+1555{i:07d}" for i in range(3000)])
    # len() reads no entry; the entries made later are the right ones.
    assert len(big.succeeded) == 3000 and big.succeeded[-1].input == "+15550002999"
    assert [s.input for s in big.succeeded[1000:1003]] == ["+15550001000", "+15550001001", "+15550001002"]
    assert sum(1 for _ in big.succeeded) == 3000
    # The entries outlive the outcome and the sequence.
    first = big.succeeded[0]
    del big
    assert first.sent == "+15550000000"


def test_users_from_any_iterable_keep_their_exact_text(
    client: wablock.Client, sandbox: Sandbox
) -> None:
    sandbox.config(open=True)

    class Text(str):
        pass

    odd = "ünïcödé ☎ +1 555"
    for users in (
        ["+15550000001", odd, Text("+15550000002")],
        ("+15550000001", odd, Text("+15550000002")),
        (u for u in ["+15550000001", odd, Text("+15550000002")]),
    ):
        outcome = client.block(users)
        assert [s.input for s in outcome.succeeded] == ["+15550000001", "+15550000002"]
        assert [f.input for f in outcome.failed] == [odd]
        assert outcome.failed[0].reason == wablock.Reason.INVALID_USER
    # A non-string refuses the whole call; every input is still accounted for, as text.
    with pytest.raises(wablock.InvalidArgumentError) as info:
        client.block(["+15550000001", odd, 7])  # type: ignore[list-item]
    assert info.value.not_attempted == ["+15550000001", odd, "7"]


def test_blocked_users_never_change_a_user_someone_holds(
    client: wablock.Client, sandbox: Sandbox
) -> None:
    # The iterator refills a BlockedUser object that only it still references instead of
    # allocating a new one (types.rs, `Walk`): whatever the caller keeps must stay as it was.
    sandbox.config(open=True)
    users = [f"+1555{i:07d}" for i in range(250)]
    assert client.block(users).ok
    expected = [u.wa_id for u in client.list_page(limit=250).users]
    assert len(expected) == 250 and len(set(expected)) == 250

    # Every second object kept, the others dropped at once: the kept ones keep their ids.
    kept = []
    seen = []
    for i, user in enumerate(client.blocked_users(page_size=100)):
        seen.append(user.wa_id)
        if i % 2 == 0:
            kept.append((user, user.wa_id, hash(user)))
    assert seen == expected
    assert [w for _, w, _ in kept] == expected[::2]
    assert all(u.wa_id == w and hash(u) == h for u, w, h in kept)

    # list(), a generator, a dict keyed by user and the previous user held across a step.
    assert [u.wa_id for u in list(client.blocked_users(page_size=100))] == expected
    assert sum(1 for _ in client.blocked_users(page_size=100)) == 250
    by_user = {u: u.wa_id for u in client.blocked_users(page_size=100)}
    assert len(by_user) == 250 and all(u.wa_id == w for u, w in by_user.items())
    it = client.blocked_users(page_size=100)
    previous = next(it)
    for user in it:
        assert previous.wa_id != user.wa_id and previous != user
        previous = user
    # After the end, the iterator stays exhausted.
    with pytest.raises(StopIteration):
        next(it)
