"""wablock.Window on the sandbox (24-hour rule on) and a SQLite store in tmp_path: the refused
block waits for the user's next signed message; window states, cancel accounting, malformed and
unsigned payloads, store errors, reprs."""

from __future__ import annotations

import datetime
import json
import pathlib
import socket
import threading
import time
from typing import Any, Dict

import pytest

import wablock
from conftest import PHONE, Sandbox, make_client

APP_SECRET = "sandbox-app-secret"  # what the sandbox signs its webhook payloads with
STALE = "+16505550000"  # has not written in 24 hours: refused with 131047


def inbound(sandbox: Sandbox, wa_id: str, seconds_ago: int = 0) -> Dict[str, Any]:
    """Records a message from `wa_id` on the sandbox; returns the signed webhook Meta would send."""
    hook: Dict[str, Any] = sandbox.call(
        "POST",
        "/_sandbox/inbound",
        {"phone_number_id": PHONE, "wa_id": wa_id, "seconds_ago": seconds_ago},
    )
    return hook


def blocked_count(sandbox: Sandbox) -> int:
    count: int = sandbox.call("GET", f"/_sandbox/state?phone_number_id={PHONE}")["blocked_count"]
    return count


def open_window(sandbox: Sandbox, store: "str | pathlib.Path", **kwargs: Any) -> wablock.Window:
    kwargs.setdefault("app_secret", APP_SECRET)
    return wablock.Window(store, {PHONE: make_client(sandbox)}, **kwargs)


@pytest.fixture
def store(tmp_path: pathlib.Path) -> str:
    return str(tmp_path / "window.db")


def run_flow(sandbox: Sandbox, window: wablock.Window) -> None:
    """The five steps of docs/window.md, asserted on the store and on the sandbox."""
    # 1. A refused block is queued.
    result = window.block_when_possible(PHONE, [STALE])
    assert result.queued == [STALE]
    assert result.outcome.succeeded == []
    assert [f.reason for f in result.outcome.failed] == [wablock.Reason.REENGAGEMENT_REQUIRED]
    assert json.loads(result.to_json())["queued"] == [STALE]
    assert result.to_dict()["outcome"]["failed"][0]["reason"] == "REENGAGEMENT_REQUIRED"
    pending = window.pending()
    assert [(p.phone_number_id, p.user, p.input) for p in pending] == [
        (PHONE, "16505550000", STALE)
    ]
    assert window.window(PHONE, STALE).state == "unknown"

    # The user writes in; the sandbox hands over the signed webhook Meta would deliver.
    hook = inbound(sandbox, "16505550000")
    body: bytes = hook["webhook_body"].encode()
    signature: str = hook["signature"]

    # 2. A tampered payload is refused, and nothing of it is recorded.
    tampered = body.replace(b"Hello from the sandbox", b"Hello from someone else")
    assert tampered != body
    with pytest.raises(wablock.SignatureError) as caught:
        window.ingest(tampered, signature)
    err = caught.value
    assert isinstance(err, wablock.WindowError) and isinstance(err, wablock.WablockError)
    assert err.kind is wablock.WindowErrorKind.SIGNATURE
    assert str(err).startswith("SIGNATURE: ") and "does not match" in str(err)
    assert APP_SECRET not in str(err) and APP_SECRET not in repr(err)
    with pytest.raises(wablock.SignatureError, match="no X-Hub-Signature-256"):
        window.ingest(body, None)
    assert window.window(PHONE, STALE).state == "unknown"
    assert len(window.pending()) == 1
    assert blocked_count(sandbox) == 0

    # 3. The signed payload of the next message blocks the user.
    report = window.ingest(body, signature)
    assert (report.messages, report.new_messages, len(report.blocks)) == (1, 1, 1)
    block = report.blocks[0]
    assert (block.phone_number_id, block.user, block.input) == (PHONE, "16505550000", STALE)
    assert block.still_pending is False and block.error is None
    assert block.outcome is not None
    assert [s.input for s in block.outcome.succeeded] == [STALE]
    assert [s.wa_id for s in block.outcome.succeeded] == ["16505550000"]
    doc = report.to_dict()["ingest"]
    assert doc["blocks"][0]["outcome"]["succeeded"][0]["wa_id"] == "16505550000"
    assert doc["blocks"][0]["still_pending"] is False
    assert blocked_count(sandbox) == 1

    # 4. The queue is empty, and the window is open.
    assert window.pending() == []
    state = window.window(PHONE, STALE)
    assert state.state == "open" and state.is_open and state.open_until is not None

    # 5. The same payload again changes nothing: no message, no block, no request.
    requests_before = len(sandbox.requests())
    again = window.ingest(body, signature)
    assert json.loads(again.to_json()) == {
        "ingest": {"messages": 1, "new_messages": 0, "blocks": []}
    }
    assert len(sandbox.requests()) == requests_before
    assert window.pending() == []
    assert blocked_count(sandbox) == 1


def test_a_refused_block_waits_for_the_users_next_signed_message(
    sandbox: Sandbox, store: str
) -> None:
    with open_window(sandbox, store) as window:
        run_flow(sandbox, window)
    assert window.closed


def test_the_queue_is_durable_and_shared_through_the_store(sandbox: Sandbox, store: str) -> None:
    client = make_client(sandbox)
    with wablock.Window(store, {PHONE: client}) as first:
        client.close()  # the window holds its own clone of the core client
        assert first.block_when_possible(PHONE, [STALE]).queued == [STALE]
    with pytest.raises(wablock.InvalidArgumentError, match="closed"):
        wablock.Window(store, {PHONE: client})
    # Another process (here: another Window on the same file) sees the queue and takes it up.
    with open_window(sandbox, pathlib.Path(store)) as second:
        assert [p.input for p in second.pending()] == [STALE]
        hook = inbound(sandbox, "16505550000")
        report = second.ingest(hook["webhook_body"].encode(), hook["signature"])
        assert [b.input for b in report.blocks] == [STALE]


def test_two_receivers_ingesting_the_same_payload_block_the_user_once(
    sandbox: Sandbox, store: str
) -> None:
    receivers = [open_window(sandbox, store), open_window(sandbox, store)]
    receivers[0].block_when_possible(PHONE, [STALE])
    hook = inbound(sandbox, "16505550000")
    body, signature = hook["webhook_body"].encode(), hook["signature"]
    start = threading.Barrier(2)
    reports: list[wablock.IngestReport] = []

    def receive(window: wablock.Window) -> None:
        start.wait()
        reports.append(window.ingest(body, signature))

    threads = [threading.Thread(target=receive, args=(w,)) for w in receivers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2
    assert sorted(r.new_messages for r in reports) == [0, 1]
    assert [b.input for r in reports for b in r.blocks] == [STALE]
    posts = [r for r in sandbox.api_requests() if r["method"] == "POST"]
    assert len(posts) == 2  # the refused block, then the one made from the queue
    assert receivers[1].pending() == [] and blocked_count(sandbox) == 1


def test_window_states_run_from_the_message_timestamp(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    assert window.window(PHONE, "447700900123") == window.window(PHONE, "447700900999")
    assert repr(window.window(PHONE, "447700900123")) == "WindowState(state='unknown')"

    # Written 23 hours ago, delivered now: open for about one more hour.
    hook = inbound(sandbox, "447700900123", seconds_ago=23 * 3600)
    window.ingest(hook["webhook_body"].encode(), hook["signature"])
    sent = int(json.loads(hook["webhook_body"])["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    state = window.window(PHONE, "+44 7700 900123")
    until = datetime.datetime.fromtimestamp(sent + 24 * 3600, tz=datetime.timezone.utc)
    assert state.state == "open" and state.is_open
    assert state.open_until == until and state.closed_since is None
    assert state.open_until.tzinfo is datetime.timezone.utc
    assert repr(state) == f"WindowState(state='open', open_until={until!r})"

    # Written three days ago: closed since two days.
    hook = inbound(sandbox, "447700900124", seconds_ago=3 * 86400)
    window.ingest(hook["webhook_body"].encode(), hook["signature"])
    sent = int(json.loads(hook["webhook_body"])["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"])
    state = window.window(PHONE, "447700900124")
    assert state.state == "closed" and not state.is_open and state.open_until is None
    assert state.closed_since == datetime.datetime.fromtimestamp(
        sent + 24 * 3600, tz=datetime.timezone.utc
    )

    # Windows are per phone number; an invalid user is the core's InvalidArgumentError.
    assert window.window("111111111", "447700900123").state == "unknown"
    with pytest.raises(wablock.InvalidArgumentError) as caught:
        window.window(PHONE, "not a user")
    assert str(caught.value).startswith("INVALID_ARGUMENT: ")
    assert "phone number, WA ID or business-scoped user ID" in str(caught.value)


def test_cancel_pending_accounts_for_every_input(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    queued = window.block_when_possible(PHONE, [STALE, "+16505550001"]).queued
    assert queued == [STALE, "+16505550001"]
    cancelled = window.cancel_pending(PHONE, [STALE, "16505550000", "+16505550002", "nope"])
    assert cancelled.cancelled == [STALE, "16505550000"]
    assert cancelled.not_pending == ["+16505550002"]
    assert [i for i, _ in cancelled.invalid] == ["nope"]
    assert len(cancelled) == 4
    assert repr(cancelled).startswith(
        "Cancelled(cancelled=['+16505550000', '16505550000'], not_pending=['+16505550002'], "
        "invalid=[('nope', "
    )
    assert [p.input for p in window.pending()] == ["+16505550001"]
    with pytest.raises(wablock.InvalidArgumentError, match="no users were given to cancel"):
        window.cancel_pending(PHONE, [])
    # The core's own refusals of the users argument.
    with pytest.raises(wablock.InvalidArgumentError):
        window.cancel_pending(PHONE, STALE)


def test_block_when_possible_accounts_for_every_input(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    inbound(sandbox, "16505551234")  # wrote just now: can be blocked at once
    result = window.block_when_possible(PHONE, ["+16505551234", STALE, "bad"])
    assert [s.input for s in result.outcome.succeeded] == ["+16505551234"]
    assert {f.input: f.reason.value for f in result.outcome.failed} == {
        STALE: "REENGAGEMENT_REQUIRED",
        "bad": "INVALID_USER",
    }
    assert result.queued == [STALE]
    assert len(result.outcome) == 3
    assert repr(result) == (
        "WhenPossible(outcome=Outcome(operation='block', succeeded=<1 users>, "
        "failed=<2 users>, requests=1), queued=['+16505550000'])"
    )
    # No client for that number: refused before any request.
    with pytest.raises(wablock.InvalidArgumentError, match="no client is configured"):
        window.block_when_possible("999", [STALE])


def test_a_whole_call_failure_queues_nothing_and_raises_the_cores_error(
    sandbox: Sandbox, store: str
) -> None:
    window = wablock.Window(
        store, {PHONE: wablock.Client(PHONE, "wrong-token", base_url=sandbox.url, max_attempts=1)}
    )
    with pytest.raises(wablock.AuthError) as caught:
        window.block_when_possible(PHONE, [STALE, "+16505550001"])
    err = caught.value
    assert str(err).startswith("AUTH: ")
    accounted = (len(err.partial) if err.partial is not None else 0) + len(err.not_attempted)
    assert accounted == 2
    assert window.pending() == []


def test_a_queued_block_still_refused_stays_queued(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    window.block_when_possible(PHONE, [STALE])
    # A webhook from the user, but Meta's side never learnt of the message: refused again.
    hook = inbound(sandbox, "16505550000")
    sandbox.reset()
    report = window.ingest(hook["webhook_body"].encode(), hook["signature"])
    [block] = report.blocks
    assert block.still_pending is True and block.outcome is not None
    assert [f.reason for f in block.outcome.failed] == [wablock.Reason.REENGAGEMENT_REQUIRED]
    assert repr(block).startswith(
        "QueuedBlockResult(phone_number_id='1000', user='16505550000', input='+16505550000', "
        "still_pending=True, outcome=Outcome("
    )
    assert [p.input for p in window.pending()] == [STALE]
    # Meta's side learns of it now: process_pending takes the block up without a new webhook.
    inbound(sandbox, "16505550000")
    [done] = window.process_pending()
    assert done.still_pending is False and done.outcome is not None and done.outcome.ok
    assert window.pending() == [] and window.process_pending() == []


def test_a_whole_call_failure_of_a_queued_block_is_its_error(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    window.block_when_possible(PHONE, [STALE])
    hook = inbound(sandbox, "16505550000")
    sandbox.config(access_token="rotated")  # the client's token is refused from now on
    report = window.ingest(hook["webhook_body"].encode(), hook["signature"])
    [block] = report.blocks
    assert block.outcome is None and block.still_pending is True
    assert isinstance(block.error, wablock.AuthError)
    assert block.error.not_attempted == [STALE] or block.error.partial is not None
    assert "AUTH" in repr(block)
    assert report.to_dict()["ingest"]["blocks"][0]["error"]["kind"] == "AUTH"
    assert [p.input for p in window.pending()] == [STALE]


@pytest.mark.parametrize(
    "body, where",
    [
        (b"not json", "JSON"),
        (b'{"object":"page","entry":[]}', "object"),
        (
            b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
            b'"value":{"metadata":{"phone_number_id":"1000"},"messages":[{"from":"16505550000",'
            b'"timestamp":"1700000000"}]}}]}]}',
            "id",
        ),
    ],
)
def test_malformed_payloads_record_nothing(
    sandbox: Sandbox, store: str, body: bytes, where: str
) -> None:
    window = open_window(sandbox, store, app_secret=None)
    with pytest.raises(wablock.MalformedPayloadError) as caught:
        window.ingest(body)
    err = caught.value
    assert err.kind is wablock.WindowErrorKind.MALFORMED and err.kind == "MALFORMED"
    assert str(err) == f"MALFORMED: {err.message}" and where in err.message
    assert err.partial is None and err.not_attempted == [] and not err.retryable
    # The core's error shape, as every language prints it (the crate builds it).
    assert err.to_dict() == {"error": {
        "kind": "MALFORMED", "message": err.message, "http_status": None, "code": None,
        "subcode": None, "details": None, "fbtrace_id": None, "retryable": False,
        "retry_after_ms": None, "partial": None, "not_attempted": []}}
    assert window.window(PHONE, "16505550000").state == "unknown"


def test_ingest_takes_the_raw_bytes_only(sandbox: Sandbox, store: str) -> None:
    window = open_window(sandbox, store)
    hook = inbound(sandbox, "16505550000")
    with pytest.raises(TypeError, match="raw request body"):
        window.ingest(hook["webhook_body"], hook["signature"])
    report = window.ingest(bytearray(hook["webhook_body"].encode()), hook["signature"])
    assert report.new_messages == 1


def test_bad_store_locations(tmp_path: pathlib.Path, sandbox: Sandbox) -> None:
    with pytest.raises(wablock.InvalidArgumentError, match="the store location is empty"):
        wablock.Window("  ")
    with pytest.raises(wablock.InvalidArgumentError, match="scheme 'mysql'"):
        wablock.Window("mysql://user:hunter2@localhost/db")
    # A directory cannot be a SQLite file: the store's own error.
    with pytest.raises(wablock.StoreError) as caught:
        wablock.Window(tmp_path)
    assert str(caught.value).startswith("STORE: cannot open the SQLite store")
    assert caught.value.kind is wablock.WindowErrorKind.STORE
    # A PostgreSQL server that is not there: the password never appears.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(wablock.StoreError) as caught:
        wablock.Window(f"postgres://wablock:hunter2@127.0.0.1:{port}/db")
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)
    with pytest.raises(TypeError):
        wablock.Window(str(tmp_path / "w.db"), app_secret=42)  # type: ignore[arg-type]
    with pytest.raises(wablock.InvalidArgumentError, match="lease"):
        wablock.Window(str(tmp_path / "w.db"), lease=-1.0)


def test_default_store_location_is_the_data_dir(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with wablock.Window() as window:
        assert window.pending() == []
        assert repr(window) == "Window(store=None, phone_number_ids=[], signatures_checked=False)"
    assert (tmp_path / "data" / "wablock" / "window.db").is_file()


def test_reprs_closing_and_secrets(sandbox: Sandbox, store: str) -> None:
    secret = "my-very-secret-app-secret"
    window = wablock.Window(
        store, [(PHONE, make_client(sandbox)), ("2000", make_client(sandbox))], app_secret=secret
    )
    assert repr(window) == (
        f"Window(store={store!r}, phone_number_ids=['1000', '2000'], signatures_checked=True)"
    )
    assert window.phone_number_ids == ["1000", "2000"] and not window.is_postgres
    window.block_when_possible(PHONE, [STALE])
    [row] = window.pending()
    assert repr(row).startswith(
        "PendingBlock(phone_number_id='1000', user='16505550000', input='+16505550000', "
        "created_at_ms="
    )
    assert row.created_at.tzinfo is datetime.timezone.utc and row.claimed_until is None
    assert row.claim_owner is None
    assert abs(row.created_at.timestamp() - time.time()) < 600
    assert json.loads(row.to_json()) == {
        "phone_number_id": PHONE,
        "user": "16505550000",
        "input": STALE,
        "created_at_ms": row.to_dict()["created_at_ms"],
    }
    with pytest.raises(wablock.SignatureError) as caught:
        window.ingest(b'{"object":"whatsapp_business_account","entry":[]}', "sha256=00")
    assert secret not in str(caught.value) and secret not in repr(window)
    window.close()
    assert window.closed and repr(window) == "Window(closed)"
    with pytest.raises(wablock.InvalidArgumentError, match="the window is closed"):
        window.pending()


def test_window_errors_built_by_hand_and_the_kind_table() -> None:
    err = wablock.StoreError("disk full")
    assert err.kind is wablock.WindowErrorKind.STORE and str(err) == "STORE: disk full"
    assert err.to_json() == (
        '{"error":{"code":null,"details":null,"fbtrace_id":null,"http_status":null,'
        '"kind":"STORE","message":"disk full","not_attempted":[],"partial":null,'
        '"retry_after_ms":null,"retryable":false,"subcode":null}}'
    )
    assert {k: c.__name__ for k, c in wablock._WINDOW_CLASS_BY_KIND.items()} == {
        "SIGNATURE": "SignatureError",
        "MALFORMED": "MalformedPayloadError",
        "STORE": "StoreError",
    }
    assert [k.value for k in wablock.WindowErrorKind] == [
        "INVALID_ARGUMENT", "SIGNATURE", "MALFORMED", "STORE", "BLOCK"
    ]
    with pytest.raises(wablock.WablockError):
        raise wablock.SignatureError("bad")
