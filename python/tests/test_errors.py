"""The exception hierarchy and the enums match the core's fixed lists."""

from __future__ import annotations

import builtins

import pytest

import wablock
from wablock import _wablock

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


def test_reasons_match_the_core() -> None:
    core = dict(_wablock.REASONS)
    assert [r.value for r in wablock.Reason] == list(core)
    for reason in wablock.Reason:
        assert reason.hint == core[reason.value]
        assert str(reason) == reason.value
