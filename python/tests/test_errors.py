"""The exception hierarchy and the enums match the core's fixed lists."""

from __future__ import annotations

import builtins

import pytest

import wablock
from wablock import _wablock
from conftest import Sandbox, make_client

EXPECTED = {
    "INVALID_ARGUMENT": (wablock.InvalidArgumentError, ValueError),
    "AUTH": (wablock.AuthError, None),
    "RATE_LIMITED": (wablock.RateLimitError, None),
    "BLOCKLIST_FULL": (wablock.BlocklistFullError, None),
    "CONCURRENT_UPDATE": (wablock.ConcurrentUpdateError, None),
    "SERVER": (wablock.ServerError, None),
    "REJECTED": (wablock.RejectedError, None),
    "NETWORK": (wablock.NetworkError, ConnectionError),
    "TIMEOUT": (wablock.TimeoutError, builtins.TimeoutError),
    "PROTOCOL": (wablock.ProtocolError, None),
    "INTERNAL": (wablock.InternalError, None),
    "CANCELLED": (wablock.CancelledError, None),
}


def test_one_class_per_core_kind() -> None:
    core = dict((name, code) for code, name in _wablock.ERROR_KINDS)
    assert set(core) == set(EXPECTED)
    assert {k.value: k.code for k in wablock.ErrorKind} == core
    assert core["CANCELLED"] == 12 and core["INVALID_ARGUMENT"] == 1
    assert wablock._CLASS_BY_KIND == {name: cls for name, (cls, _) in EXPECTED.items()}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_class_hierarchy_and_attributes(kind: str) -> None:
    cls, builtin = EXPECTED[kind]
    assert issubclass(cls, wablock.WablockError) and issubclass(cls, Exception)
    if builtin is not None:
        assert issubclass(cls, builtin)
    err = wablock._from_core(_wablock.ErrorInfo(kind, "what happened"))
    assert type(err) is cls
    assert err.kind is wablock.ErrorKind(kind)
    assert str(err) == f"{kind}: what happened"
    assert err.message == "what happened"
    for name in ("http_status", "code", "subcode", "details", "fbtrace_id", "retry_after", "partial"):
        assert getattr(err, name) is None
    assert err.not_attempted == []
    assert err.retryable is (kind in {"RATE_LIMITED", "SERVER", "NETWORK", "TIMEOUT"})
    assert err.to_dict()["error"]["kind"] == kind
    with pytest.raises(wablock.WablockError):
        raise err


def test_timeout_error_does_not_shadow_the_builtin() -> None:
    assert wablock.TimeoutError is not builtins.TimeoutError
    assert builtins.TimeoutError.__module__ == "builtins"
    assert wablock.TimeoutError.__mro__[1] is wablock.WablockError
    with pytest.raises(OSError):
        raise wablock.TimeoutError("t")


def test_errors_built_by_hand_keep_their_class_kind() -> None:
    err = wablock.RateLimitError("slow down")
    assert err.kind is wablock.ErrorKind.RATE_LIMITED and err.retryable
    assert err.to_json() == (
        '{"error":{"code":null,"details":null,"fbtrace_id":null,"http_status":null,'
        '"kind":"RATE_LIMITED","message":"slow down","not_attempted":[],"partial":null,'
        '"retry_after_ms":null,"retryable":true,"subcode":null}}'
    )


# The reasons of docs/behaviour.md §3.1 in the core's order, and what each hint must say in
# substance. Written out here, not read from the binding, so a reason that is dropped or
# renamed, or a hint that loses its point, fails this test.
REASON_HINTS = {
    "REENGAGEMENT_REQUIRED": ("24 hours", "not a WhatsApp user"),
    "SELF_BLOCK": ("cannot block itself",),
    "BLOCKLIST_FULL": ("64,000", "unblock someone"),
    "RATE_LIMITED": ("throttling", "retry budget"),
    "SERVER": ("internal error", "retry budget"),
    "INVALID_USER": ("never sent",),
    "UNCONFIRMED": ("did not mention this user",),
    "OTHER": ("message says why",),
}


def test_reasons_and_hints_say_what_the_contract_says() -> None:
    assert [r.value for r in wablock.Reason] == list(REASON_HINTS)
    assert [name for name, _ in _wablock.REASONS] == list(REASON_HINTS)
    for reason in wablock.Reason:
        assert str(reason) == reason.value
        for phrase in REASON_HINTS[reason.value]:
            assert phrase in reason.hint, (reason, reason.hint)
    assert len({r.hint for r in wablock.Reason}) == len(REASON_HINTS), "two reasons share a hint"


def test_every_failure_carries_its_reasons_hint(sandbox: Sandbox) -> None:
    # One answer refuses six users with six codes and leaves one unmentioned; the eighth input
    # is never sent. The hints on these failures are the ones the core attached.
    codes = {"16505550001": 131047, "16505550002": 131021, "16505550003": 139101,
             "16505550004": 130429, "16505550005": 139103, "16505550006": 100}
    failed_users = [
        {"input": user, "errors": [{"message": f"refused with {code}", "code": code}]}
        for user, code in codes.items()
    ]
    sandbox.script({"status": 200, "json": {
        "messaging_product": "whatsapp",
        "block_users": {"added_users": [], "failed_users": failed_users},
    }})
    client = make_client(sandbox, max_attempts=1)
    outcome = client.block([*codes, "16505550007", "not a user"])
    reasons = {f.input: f.reason.value for f in outcome.failed}
    assert reasons == {
        "16505550001": "REENGAGEMENT_REQUIRED", "16505550002": "SELF_BLOCK",
        "16505550003": "BLOCKLIST_FULL", "16505550004": "RATE_LIMITED",
        "16505550005": "SERVER", "16505550006": "OTHER",
        "16505550007": "UNCONFIRMED", "not a user": "INVALID_USER",
    }
    for failure in outcome.failed:
        assert failure.hint == failure.reason.hint, failure
