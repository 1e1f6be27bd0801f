"""The Python API against the sandbox binary: results, errors, options, callbacks, logging."""

from __future__ import annotations

import builtins
import json
import logging
import socket
from typing import Any

import pytest

import wablock
from conftest import API_KEY, PHONE, TOKEN, Sandbox, make_client


def test_block_mixed_outcome_accounts_for_every_input(
    sandbox: Sandbox, client: wablock.Client
) -> None:
    sandbox.inbound("16505551234")
    users = ["+1 (650) 555-1234", "15550001111", "not a number", "16505551234"]
    outcome = client.block(users)

    assert outcome.operation == "block"
    assert outcome.requests == 1
    assert not outcome.ok
    assert len(outcome) == 4
    # Duplicates after normalisation are sent once; each input keeps its own entry.
    assert [s.input for s in outcome.succeeded] == ["+1 (650) 555-1234", "16505551234"]
    assert outcome.succeeded[0].sent == "+16505551234"
    assert outcome.succeeded[0].wa_id == "16505551234"
    by_input = {f.input: f for f in outcome.failed}
    refused = by_input["15550001111"]
    assert refused.reason is wablock.Reason.REENGAGEMENT_REQUIRED
    assert refused.reason == "REENGAGEMENT_REQUIRED"  # a str-valued enum
    assert refused.code == 131047
    assert refused.hint == wablock.Reason.REENGAGEMENT_REQUIRED.hint
    assert "24 hours" in refused.hint
    invalid = by_input["not a number"]
    assert invalid.reason is wablock.Reason.INVALID_USER
    assert invalid.sent is None and invalid.code is None

    sent = sandbox.api_requests()
    assert len(sent) == 1
    assert sent[0]["method"] == "POST"
    assert sent[0]["body"]["block_users"] == [{"user": "+16505551234"}, {"user": "15550001111"}]


def test_outcome_json_is_the_cores_canonical_json(sandbox: Sandbox, client: wablock.Client) -> None:
    sandbox.inbound("16505551234")
    outcome = client.block(["16505551234", "x"])
    text = outcome.to_json()
    assert text == wablock._wablock.canonical_json(text)  # already canonical
    assert json.loads(text) == outcome.to_dict()
    body = outcome.to_dict()["outcome"]
    assert body["operation"] == "block"
    assert body["succeeded"] == [
        {"input": "16505551234", "sent": "16505551234", "wa_id": "16505551234", "user_id": None}
    ]
    assert body["failed"][0]["reason"] == "INVALID_USER"
    assert body["requests"] == 1


def test_unblock_list_page_iterator_and_is_blocked(sandbox: Sandbox, client: wablock.Client) -> None:
    sandbox.config(open=True)
    assert client.block(["16505550001", "16505550002", "16505550003"]).ok

    page = client.list_page(limit=2)
    assert len(page) == 2
    assert page.has_more and page.after is not None
    rest = client.list_page(limit=2, after=page.after)
    seen = {u.wa_id for u in page.users} | {u.wa_id for u in rest.users}
    assert seen == {"16505550001", "16505550002", "16505550003"}
    assert json.loads(page.to_json()) == page.to_dict()
    assert set(page.to_dict()["page"]) == {"users", "after", "before", "has_more"}

    everyone = list(client.blocked_users(page_size=2))
    assert sorted(u.wa_id or "" for u in everyone) == ["16505550001", "16505550002", "16505550003"]
    assert wablock.BlockedUser in type(everyone[0]).__mro__

    assert client.is_blocked("+1 650 555 0002")
    assert not client.is_blocked("16505559999")

    outcome = client.unblock(["16505550002"])
    assert outcome.operation == "unblock" and outcome.ok
    assert not client.is_blocked("16505550002")
    assert [r["method"] for r in sandbox.api_requests()].count("DELETE") == 1


def test_dialog360_client(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    client = wablock.Client.dialog360(API_KEY, base_url=sandbox.url, read_timeout=5)
    assert client.provider == "360dialog"
    assert client.endpoint == sandbox.url + "/block_users"
    assert client.block(["+44 7700 900123"]).ok
    sent = sandbox.api_requests()
    assert sent[0]["path"] == "/block_users" and sent[0]["auth"] == "d360"
    assert API_KEY not in repr(client)


def test_from_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WABLOCK_PROVIDER", "meta")
    monkeypatch.setenv("WABLOCK_PHONE_NUMBER_ID", PHONE)
    monkeypatch.setenv("WABLOCK_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("WABLOCK_BASE_URL", sandbox.url)
    monkeypatch.setenv("WABLOCK_API_VERSION", "v24.0")
    client = wablock.Client.from_env(read_timeout=5)
    assert client.endpoint == f"{sandbox.url}/v24.0/{PHONE}/block_users"
    assert client.list_page().users == []

    monkeypatch.delenv("WABLOCK_ACCESS_TOKEN")
    with pytest.raises(wablock.InvalidArgumentError, match="WABLOCK_ACCESS_TOKEN"):
        wablock.Client.from_env()


def test_bad_token_is_auth_error_without_the_secret(sandbox: Sandbox) -> None:
    secret = "EAAG-very-secret-token"
    client = wablock.Client(PHONE, secret, base_url=sandbox.url, max_attempts=1)
    assert secret not in repr(client)
    with pytest.raises(wablock.AuthError) as caught:
        client.block(["+1 650 555 1234", "15550001111"])
    err = caught.value
    assert err.kind is wablock.ErrorKind.AUTH and err.kind.code == 2
    assert err.http_status == 401 and err.code == 190
    assert err.retryable is False and err.retry_after is None
    assert err.partial is None
    assert err.not_attempted == ["+1 650 555 1234", "15550001111"]
    for text in (str(err), repr(err), err.message, err.to_json(), repr(err.to_dict())):
        assert secret not in text
    assert err.to_dict()["error"]["kind"] == "AUTH"
    assert json.loads(err.to_json()) == err.to_dict()


def test_invalid_arguments_are_value_errors(client: wablock.Client) -> None:
    with pytest.raises(ValueError):
        client.block([])
    with pytest.raises(wablock.InvalidArgumentError, match="not a single string"):
        client.block("16505551234")
    with pytest.raises(wablock.InvalidArgumentError, match="user #1 is not text") as refused:
        client.block(["16505551234", 42, "447700900123"])  # type: ignore[list-item]
    # Refused as a whole, yet every input is accounted for, in the order passed.
    assert refused.value.not_attempted == ["16505551234", "42", "447700900123"]
    assert refused.value.partial is None
    with pytest.raises(wablock.InvalidArgumentError, match="user #0 is not text") as refused:
        client.block(["\ud800"])
    assert len(refused.value.not_attempted) == 1
    with pytest.raises(wablock.InvalidArgumentError, match="either an after cursor or a before"):
        client.list_page(after="a", before="b")
    with pytest.raises(wablock.InvalidArgumentError):
        client.is_blocked("not a user")


def test_constructor_options_are_checked_by_the_core(sandbox: Sandbox) -> None:
    # The messages are the core's own, so every language reports the same words.
    with pytest.raises(wablock.InvalidArgumentError, match="parallelism is 0: it must be 1 to 16"):
        make_client(sandbox, parallelism=0)
    with pytest.raises(wablock.InvalidArgumentError, match="max_batch is 1001"):
        make_client(sandbox, max_batch=1001)
    with pytest.raises(wablock.InvalidArgumentError, match="timeouts must be greater than zero"):
        make_client(sandbox, read_timeout=0)
    with pytest.raises(wablock.InvalidArgumentError, match="max_attempts is 0"):
        make_client(sandbox, max_attempts=0)
    with pytest.raises(wablock.InvalidArgumentError, match="plain http"):
        wablock.Client(PHONE, TOKEN, base_url="http://example.com")
    with pytest.raises(wablock.InvalidArgumentError, match="read_timeout is -1"):
        make_client(sandbox, read_timeout=-1)
    with pytest.raises(wablock.InvalidArgumentError, match="max_attempts is -1"):
        make_client(sandbox, max_attempts=-1)
    # One option list, the core's names, in every constructor: the Python-only spellings of
    # earlier versions (`retries`, `timeout`) are unknown keywords.
    for removed in ("retries", "timeout", "retry_backoff"):
        with pytest.raises(TypeError, match=removed):
            wablock.Client(PHONE, TOKEN, base_url=sandbox.url, **{removed: 1})
        with pytest.raises(TypeError, match=removed):
            wablock.Client.dialog360(API_KEY, base_url=sandbox.url, **{removed: 1})
    # allow_insecure_http lifts the loopback-only rule for plain http.
    assert wablock.Client(PHONE, TOKEN, base_url="http://example.com", allow_insecure_http=True)


def test_max_attempts_counts_the_first_attempt(sandbox: Sandbox) -> None:
    server_error = {"status": 500, "json": {"error": {"message": "oops", "type": "OAuthException", "code": 1}}}
    sandbox.script(server_error, server_error, server_error)
    client = make_client(sandbox, max_attempts=2)
    with pytest.raises(wablock.ServerError) as caught:
        client.block(["16505551234"])
    assert caught.value.retryable and caught.value.code == 1
    assert len(sandbox.api_requests()) == 2  # the first attempt plus one re-send


def test_rate_limit_carries_retry_after(sandbox: Sandbox) -> None:
    sandbox.script(
        {
            "status": 429,
            "headers": {"Retry-After": "120"},
            "json": {"error": {"message": "throttled", "type": "OAuthException", "code": 130429}},
        }
    )
    with pytest.raises(wablock.RateLimitError) as caught:
        make_client(sandbox).block(["16505551234"])
    assert caught.value.retry_after == 120.0
    assert caught.value.to_dict()["error"]["retry_after_ms"] == 120000


def test_timeout_is_also_the_builtin_timeout(sandbox: Sandbox) -> None:
    sandbox.script({"status": 200, "json": {}, "delay_ms": 1500})
    client = make_client(sandbox, read_timeout=0.2, max_attempts=1)
    with pytest.raises(builtins.TimeoutError) as caught:
        client.block(["16505551234"])
    assert isinstance(caught.value, wablock.TimeoutError)
    assert caught.value.kind is wablock.ErrorKind.TIMEOUT


def test_network_error_is_also_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens on the port any more.
    client = wablock.Client(PHONE, TOKEN, base_url=f"http://127.0.0.1:{port}", max_attempts=1)
    with pytest.raises(ConnectionError) as caught:
        client.list_page()
    assert isinstance(caught.value, wablock.NetworkError)
    assert caught.value.message == "network error: could not connect"


def test_context_manager_closes_the_client(sandbox: Sandbox) -> None:
    with make_client(sandbox) as client:
        assert not client.closed
        client.list_page()
    assert client.closed
    with pytest.raises(wablock.InvalidArgumentError, match="closed"):
        client.list_page()


def test_progress_callback(sandbox: Sandbox) -> None:
    sandbox.config(open=True)
    client = make_client(sandbox, max_batch=2, parallelism=1)
    calls: list[tuple[int, int]] = []
    users = [f"1650555000{i}" for i in range(5)]
    outcome = client.block(users, on_progress=lambda done, total: calls.append((done, total)))
    assert outcome.ok
    assert calls == [(2, 5), (4, 5), (5, 5)]


class Stop(Exception):
    pass


@pytest.mark.parametrize("parallelism", [1, 4])
def test_exception_in_callback_stops_the_call_and_propagates(
    sandbox: Sandbox, parallelism: int
) -> None:
    sandbox.config(open=True)
    client = make_client(sandbox, max_batch=2, parallelism=parallelism)
    users = [f"1650555000{i}" for i in range(8)]

    def on_progress(done: int, total: int) -> None:
        raise Stop(f"stop at {done}/{total}")

    with pytest.raises(Stop) as caught:
        client.block(users, on_progress=on_progress)
    err: Any = caught.value
    # Nothing is lost: finished batches in `partial`, the rest in `not_attempted`.
    finished = [s.input for s in err.partial.succeeded]
    assert len(finished) >= 2
    assert sorted(finished + err.not_attempted) == sorted(users)
    # No new batch starts after the callback raised (in-flight ones finish).
    assert len(sandbox.api_requests()) == len(finished) // 2 <= parallelism


def test_log_records_reach_python_logging_without_secrets(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "EAAG-do-not-log-me"
    sandbox.config(open=True)
    client = wablock.Client(PHONE, secret, base_url=sandbox.url, max_attempts=1)
    with caplog.at_level(logging.DEBUG, logger="wablock"):
        with pytest.raises(wablock.AuthError):
            client.block(["16505551234"])
    records = [r for r in caplog.records if r.name.startswith("wablock")]
    assert records, "no record from the core reached logging.getLogger('wablock')"
    assert any("HTTP 401" in r.getMessage() for r in records)
    for r in caplog.records:
        assert secret not in r.getMessage()


def test_reprs_are_python_syntax_and_methods_have_readable_docstrings(
    client: wablock.Client,
) -> None:
    outcome = client.block(["not a number", "it's \"odd\"\n"])
    failure = outcome.failed[1]
    # Python's own quoting and escapes, the enum member as Python names it, None not `null`.
    assert repr(failure).startswith("Failure(input='it\\'s \"odd\"\\n', reason=Reason.INVALID_USER, code=None, ")
    assert repr(outcome) == "Outcome(operation='block', succeeded=<0 users>, failed=<2 users>, requests=0)"
    assert "Some(" not in repr(failure) and "true" not in repr(outcome)
    # Every public method documents its arguments and results beyond one line.
    for method in (
        wablock.Client.block,
        wablock.Client.unblock,
        wablock.Client.list_page,
        wablock.Client.blocked_users,
        wablock.Client.is_blocked,
        wablock.Client.from_env,
        wablock.Client.dialog360,
    ):
        doc = method.__doc__ or ""
        assert len(doc.strip().splitlines()) >= 2, (method, doc)


def test_every_public_member_of_every_result_class_is_documented() -> None:
    import inspect

    undocumented = [
        f"{name}.{member}"
        for name in wablock.__all__
        if inspect.isclass(cls := getattr(wablock, name)) and cls.__module__.startswith("wablock")
        for member, value in vars(cls).items()
        if not member.startswith("_") and len((getattr(value, "__doc__", None) or "").strip()) < 15
    ]
    assert undocumented == []
