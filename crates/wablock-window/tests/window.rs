//! The same suite against SQLite and PostgreSQL, end to end on the sandbox with the 24-hour
//! rule on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use wablock::Reason;
use wablock_window::{ErrorKind, ManualClock, Store, Window, WindowState};

/// Runs each scenario once per backend, as `sqlite_<name>` and `postgres_<name>`.
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )* }
    };
}

both_stores!(
    end_to_end_refused_block_waits_for_the_next_message,
    window_runs_from_the_message_timestamp,
    bsuid_sender_unblocks_a_bsuid_queue,
    cancel_pending_accounts_for_every_input,
    block_when_possible_accounts_for_every_input,
    malformed_payloads_record_nothing,
    retryable_failure_keeps_the_block_queued,
    schema_is_versioned_and_reopens,
    hosts_opening_a_fresh_store_together_migrate_once,
    a_receiver_without_the_numbers_client_keeps_the_block_queued,
    a_cancelled_window_stops_and_keeps_the_rest_queued,
);

struct Setup {
    _store: TestStore,
    location: String,
    sb: wablock_sandbox::Sandbox,
    pnid: String,
    clock: Arc<ManualClock>,
    window: Window,
}

fn setup(backend: Backend) -> Option<Setup> {
    let store = test_store(backend)?;
    let location = store.location.clone();
    let sb = sandbox();
    let pnid = fresh_phone_number_id();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let window = Window::new(Store::open(&location).unwrap())
        .client(&pnid, client(&sb.base_url(), &pnid))
        .app_secret(APP_SECRET)
        .clock(clock.clone());
    Some(Setup {
        _store: store,
        location,
        sb,
        pnid,
        clock,
        window,
    })
}

fn end_to_end_refused_block_waits_for_the_next_message(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let input = "+1 (650) 555-0100";
    let user = "16505550100";

    // 1. A refused block is queued.
    let first = s.window.block_when_possible(&s.pnid, [input]).unwrap();
    assert!(first.outcome.succeeded.is_empty());
    assert_eq!(first.outcome.failed.len(), 1);
    assert_eq!(first.outcome.failed[0].reason, Reason::ReengagementRequired);
    assert_eq!(first.queued, vec![input.to_string()]);
    let pending = s.window.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].user, user);
    assert_eq!(pending[0].input, input);
    assert_eq!(
        s.window.window(&s.pnid, input).unwrap(),
        WindowState::Unknown
    );
    assert_eq!(block_requests_for(&s.sb, &s.pnid, "+16505550100"), 1);

    // The user writes in (Meta's side learns of it; the webhook follows).
    s.sb.record_inbound(&s.pnid, user, None);
    let body = message_payload(&s.pnid, Some(user), None, "wamid.E2E1", unix_now());
    let signature = sign(&body);

    // 2. A tampered payload is refused, and nothing of it is recorded.
    let mut tampered = body.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x01;
    let err = s.window.ingest(&tampered, Some(&signature)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    assert!(err.message().contains("does not match"), "{err}");
    let err = s.window.ingest(&body, None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature);
    assert!(err.message().contains("no X-Hub-Signature-256"), "{err}");
    let err = s.window.ingest(&body, Some("sha256=zz")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature);
    assert!(!format!("{err} {err:?}").contains(APP_SECRET));
    assert_eq!(
        s.window.window(&s.pnid, user).unwrap(),
        WindowState::Unknown
    );
    assert_eq!(s.window.pending().unwrap().len(), 1);
    assert_eq!(block_requests_for(&s.sb, &s.pnid, "+16505550100"), 1);

    // 3. The signed payload of the next message blocks them.
    let report = s.window.ingest(&body, Some(&signature)).unwrap();
    assert_eq!(report.messages, 1);
    assert_eq!(report.new_messages, 1);
    assert_eq!(report.blocks.len(), 1);
    let block = &report.blocks[0];
    assert_eq!(block.input, input);
    assert!(!block.still_pending);
    let outcome = block.outcome.as_ref().unwrap();
    assert_eq!(outcome.succeeded.len(), 1);
    assert_eq!(outcome.succeeded[0].input, input);
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, user));

    // 4. The queue is empty afterwards.
    assert!(s.window.pending().unwrap().is_empty());
    assert!(matches!(
        s.window.window(&s.pnid, user).unwrap(),
        WindowState::OpenUntil(_)
    ));

    // 5. The same payload again changes nothing.
    let requests_before = s.sb.requests().as_array().unwrap().len();
    let again = s.window.ingest(&body, Some(&signature)).unwrap();
    assert_eq!(again.messages, 1);
    assert_eq!(again.new_messages, 0);
    assert!(again.blocks.is_empty());
    assert_eq!(s.sb.requests().as_array().unwrap().len(), requests_before);
    assert_eq!(block_requests_for(&s.sb, &s.pnid, "+16505550100"), 2);
    assert!(s.window.pending().unwrap().is_empty());
}

fn window_runs_from_the_message_timestamp(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let user = "447700900123";
    let now = unix_now();
    s.clock.set(UNIX_EPOCH + Duration::from_secs(now as u64));
    assert_eq!(
        s.window.window(&s.pnid, user).unwrap(),
        WindowState::Unknown
    );

    // Written 23 hours ago, delivered now: open for one more hour.
    let sent = now - 23 * 3600;
    let body = message_payload(&s.pnid, Some(user), None, "wamid.W1", sent);
    s.window.ingest(&body, Some(&sign(&body))).unwrap();
    let until = UNIX_EPOCH + Duration::from_secs((sent + 24 * 3600) as u64);
    assert_eq!(
        s.window.window(&s.pnid, "+44 7700 900123").unwrap(),
        WindowState::OpenUntil(until)
    );

    // An older message delivered late does not move the window back.
    let older = message_payload(&s.pnid, Some(user), None, "wamid.W0", sent - 3600);
    let report = s.window.ingest(&older, Some(&sign(&older))).unwrap();
    assert_eq!(report.new_messages, 1);
    assert_eq!(
        s.window.window(&s.pnid, user).unwrap(),
        WindowState::OpenUntil(until)
    );

    // Two hours later it is closed, since the 24 hours ran out.
    s.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(
        s.window.window(&s.pnid, user).unwrap(),
        WindowState::ClosedSince(until)
    );

    // Windows are per phone number.
    assert_eq!(
        s.window.window("111111111", user).unwrap(),
        WindowState::Unknown
    );
    let err = s.window.window(&s.pnid, "not a user").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

fn bsuid_sender_unblocks_a_bsuid_queue(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let bsuid = "US.13491208655302741999";
    let first = s.window.block_when_possible(&s.pnid, [bsuid]).unwrap();
    assert_eq!(first.queued, vec![bsuid.to_string()]);

    s.sb.record_inbound(&s.pnid, "", Some(bsuid));
    let body = message_payload(&s.pnid, None, Some(bsuid), "wamid.B1", unix_now());
    let report = s.window.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(report.blocks.len(), 1, "{report:?}");
    let outcome = report.blocks[0].outcome.as_ref().unwrap();
    assert_eq!(outcome.succeeded.len(), 1, "{outcome:?}");
    assert_eq!(outcome.succeeded[0].user_id.as_deref(), Some(bsuid));
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, bsuid));
    assert!(s.window.pending().unwrap().is_empty());
    assert!(matches!(
        s.window.window(&s.pnid, bsuid).unwrap(),
        WindowState::OpenUntil(_)
    ));
}

fn cancel_pending_accounts_for_every_input(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let queued = s
        .window
        .block_when_possible(&s.pnid, ["+16505550201", "16505550202"])
        .unwrap();
    assert_eq!(queued.queued.len(), 2);
    let inputs = [
        "+1 650 555 0201",
        "16505550201",
        "16505550299",
        "not-a-number",
    ];
    let cancelled = s.window.cancel_pending(&s.pnid, inputs).unwrap();
    assert_eq!(cancelled.cancelled, vec!["+1 650 555 0201", "16505550201"]);
    assert_eq!(cancelled.not_pending, vec!["16505550299"]);
    assert_eq!(cancelled.invalid.len(), 1);
    assert_eq!(cancelled.invalid[0].0, "not-a-number");
    let left = s.window.pending().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user, "16505550202");
    let err = s
        .window
        .cancel_pending(&s.pnid, Vec::<String>::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

fn block_when_possible_accounts_for_every_input(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    s.sb.record_inbound(&s.pnid, "16505550301", None);
    let inputs = [
        "+16505550301",
        "16505550302",
        "(650) x",
        "+1 650 555 0302",
        "16505550301",
    ];
    let result = s.window.block_when_possible(&s.pnid, inputs).unwrap();
    let outcome = &result.outcome;
    assert_eq!(outcome.len(), inputs.len());
    let ok: Vec<&str> = outcome.succeeded.iter().map(|x| x.input.as_str()).collect();
    assert_eq!(ok, vec!["+16505550301", "16505550301"]);
    let invalid = outcome
        .failed
        .iter()
        .find(|f| f.input == "(650) x")
        .unwrap();
    assert_eq!(invalid.reason, Reason::InvalidUser);
    assert_eq!(result.queued, vec!["16505550302", "+1 650 555 0302"]);
    let pending = s.window.pending().unwrap();
    assert_eq!(pending.len(), 1, "duplicates queue one block: {pending:?}");
    assert_eq!(pending[0].user, "16505550302");

    let err = s
        .window
        .block_when_possible("123", ["+16505550301"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("no client"), "{err}");
    let err = s
        .window
        .block_when_possible(&s.pnid, Vec::<String>::new())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Block);
    assert_eq!(
        err.block_error().unwrap().kind(),
        wablock::ErrorKind::InvalidArgument
    );
}

fn malformed_payloads_record_nothing(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let cases: &[(&[u8], &str)] = &[
        (b"", "not JSON"),
        (b"[1,2]", "not a JSON object"),
        (br#"{"object":"page","entry":[]}"#, "not 'whatsapp_business_account'"),
        (br#"{"object":"whatsapp_business_account"}"#, "'entry' is missing"),
        (
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"from":"16505551234","timestamp":"1"}]}}]}]}"#,
            "messages[0].id is missing",
        ),
        (
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"16505551234","timestamp":"soon"}]}}]}]}"#,
            "timestamp is missing or not Unix seconds",
        ),
        (
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"w","from":"16505551234","timestamp":"1"}]}}]}]}"#,
            "phone_number_id is missing",
        ),
        (
            br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{"id":"w","from":"bob","timestamp":"1"}]}}]}]}"#,
            "has no sender",
        ),
    ];
    for (body, expected) in cases {
        let err = s.window.ingest(body, Some(&sign(body))).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Malformed, "{err}");
        assert!(
            err.message().contains(expected),
            "{expected:?} not in: {err}"
        );
    }
    // A payload whose second message is bad records neither.
    let good = serde_json::json!({"id":"wamid.ok","from":"16505551234","timestamp":unix_now().to_string()});
    let body = serde_json::to_vec(
        &serde_json::json!({"object":"whatsapp_business_account","entry":[
        {"changes":[{"field":"messages","value":{"metadata":{"phone_number_id": s.pnid},
        "messages":[good, {"from":"16505551234"}]}}]}]}),
    )
    .unwrap();
    assert_eq!(
        s.window
            .ingest(&body, Some(&sign(&body)))
            .unwrap_err()
            .kind(),
        ErrorKind::Malformed
    );
    assert_eq!(
        s.window.window(&s.pnid, "16505551234").unwrap(),
        WindowState::Unknown
    );

    // Status updates and other fields are ignored, not errors.
    let statuses = serde_json::to_vec(&serde_json::json!({"object":"whatsapp_business_account","entry":[
        {"id":"1","changes":[
          {"field":"messages","value":{"metadata":{"phone_number_id": s.pnid},
            "statuses":[{"id":"wamid.s","status":"delivered","recipient_id":"16505551234","timestamp":"1"}]}},
          {"field":"account_update","value":{"event":"VERIFIED_ACCOUNT"}}]}]})).unwrap();
    let report = s.window.ingest(&statuses, Some(&sign(&statuses))).unwrap();
    assert_eq!(report.messages, 0);
}

fn retryable_failure_keeps_the_block_queued(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let user = "16505550401";
    s.window.block_when_possible(&s.pnid, [user]).unwrap();
    s.sb.record_inbound(&s.pnid, user, None);
    // The next API answer is a server error: the block must stay queued, unclaimed.
    s.sb.push_scripts(&serde_json::json!({"responses":[{"status":500,
        "body":"{\"error\":{\"message\":\"boom\",\"type\":\"OAuthException\",\"code\":1,\"fbtrace_id\":\"x\"}}"}]}))
        .unwrap();
    let body = message_payload(&s.pnid, Some(user), None, "wamid.R1", unix_now());
    let report = s.window.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(report.blocks.len(), 1);
    assert!(report.blocks[0].still_pending);
    let err = report.blocks[0].outcome.as_ref().unwrap_err();
    assert_eq!(err.kind(), wablock::ErrorKind::Server);
    let pending = s.window.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].claim_owner, None);
    assert!(!is_blocked_in_sandbox(&s.sb, &s.pnid, user));

    // The redelivered payload records nothing new but takes the block up again.
    let again = s.window.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(again.new_messages, 0);
    assert_eq!(again.blocks.len(), 1);
    assert!(!again.blocks[0].still_pending);
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, user));
    assert!(s.window.pending().unwrap().is_empty());
}

fn schema_is_versioned_and_reopens(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    assert_eq!(
        s.window.store().schema_version().unwrap(),
        wablock_window::SCHEMA_VERSION
    );
    assert_eq!(s.window.store().is_postgres(), backend == Backend::Postgres);
    s.window
        .block_when_possible(&s.pnid, ["16505550501"])
        .unwrap();
    // A second handle (another process, in production) sees the same queue.
    let reopened = Window::new(Store::open(&s.location).unwrap());
    assert_eq!(reopened.pending().unwrap().len(), 1);
    assert_eq!(
        reopened.store().schema_version().unwrap(),
        wablock_window::SCHEMA_VERSION
    );
    if backend == Backend::Sqlite {
        let conn = rusqlite::Connection::open(&s.location).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let debug = format!("{:?}", s.window);
    assert!(!debug.contains(APP_SECRET), "{debug}");
    assert!(debug.contains("[redacted]"), "{debug}");
}

#[test]
fn store_location_errors_are_clear_and_keep_passwords_out() {
    let err = Store::open("  ").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    for typo in [
        "postgress://u:pw@host/db",
        "postgres:/host/db",
        "mysql://u:pw@h/db",
    ] {
        let err = Store::open(typo).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{typo}: {err}");
        assert!(err.message().contains("not supported"), "{err}");
        assert!(!err.message().contains("pw"), "{err}");
        assert!(!std::path::Path::new(typo).exists());
    }
    // Nothing listens on port 1: the connection fails, and the password is not quoted.
    let err = Store::open("postgres://someone:hunter2secret@127.0.0.1:1/db").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store);
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2secret"), "{text}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open(&file.join("window.db").to_string_lossy()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Store);
    assert!(err.message().contains("a-file"), "{err}");
}

fn hosts_opening_a_fresh_store_together_migrate_once(backend: Backend) {
    let Some(store) = test_store(backend) else {
        return;
    };
    // A password in the URL (PostgreSQL's trust auth ignores it) must never be quoted.
    let location = store.location.replace(
        "postgres://postgres@",
        "postgres://postgres:pw-n0t-for-logs@",
    );
    let opened: Vec<Store> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| Store::open(&location)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    for store in &opened {
        assert_eq!(
            store.schema_version().unwrap(),
            wablock_window::SCHEMA_VERSION
        );
        let debug = format!("{store:?}");
        assert!(!debug.contains("pw-n0t-for-logs"), "{debug}");
    }
    let window = Window::new(Store::open(&location).unwrap());
    assert!(window.pending().unwrap().is_empty());
    if backend == Backend::Postgres {
        let mut db = ::postgres::Client::connect(&store.location, ::postgres::NoTls).unwrap();
        let rows = db
            .query("SELECT version FROM wablock_schema_migrations", &[])
            .unwrap();
        assert_eq!(rows.len(), 1, "each migration is recorded once");
    } else {
        let db = rusqlite::Connection::open(&location).unwrap();
        let n: i64 = db
            .query_row("SELECT COUNT(*) FROM wablock_schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1, "each migration is recorded once");
    }
}

fn a_receiver_without_the_numbers_client_keeps_the_block_queued(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let user = "16505550601";
    s.window.block_when_possible(&s.pnid, [user]).unwrap();
    s.sb.record_inbound(&s.pnid, user, None);
    // Another receiver on the same store, configured for other numbers only.
    let other = Window::new(Store::open(&s.location).unwrap()).app_secret(APP_SECRET);
    let body = message_payload(&s.pnid, Some(user), None, "wamid.N1", unix_now());
    let report = other.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(report.blocks.len(), 1);
    assert!(report.blocks[0].still_pending);
    let err = report.blocks[0].outcome.as_ref().unwrap_err();
    assert_eq!(err.kind(), wablock::ErrorKind::InvalidArgument);
    assert!(err.message().contains("no client"), "{err}");
    assert_eq!(err.not_attempted(), [user.to_string()]);
    let pending = s.window.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].claim_owner, None);
    assert_eq!(block_requests_for(&s.sb, &s.pnid, user), 1);

    // The receiver that has the client takes it up without waiting for another webhook.
    let made = s.window.process_pending().unwrap();
    assert_eq!(made.len(), 1);
    assert!(!made[0].still_pending);
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, user));
    assert!(s.window.pending().unwrap().is_empty());
}

fn a_cancelled_window_stops_and_keeps_the_rest_queued(backend: Backend) {
    let Some(s) = setup(backend) else { return };
    let (first, second) = ("16505550701", "16505550702");
    let queued = s
        .window
        .block_when_possible(&s.pnid, [first, second])
        .unwrap();
    assert_eq!(queued.queued.len(), 2);

    // Cancelled before it starts: an error with the core's CANCELLED, nothing recorded.
    let token = wablock::CancelToken::new();
    let cancelled = s.window.with_cancel(token.clone());
    token.cancel();
    s.sb.record_inbound(&s.pnid, first, None);
    let body = message_payload(&s.pnid, Some(first), None, "wamid.C1", unix_now());
    let err = cancelled.ingest(&body, Some(&sign(&body))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Block, "{err}");
    let core = err.block_error().unwrap();
    assert_eq!(core.kind(), wablock::ErrorKind::Cancelled);
    assert!(core.message().contains("nothing was recorded"), "{err}");
    assert_eq!(
        s.window.window(&s.pnid, first).unwrap(),
        WindowState::Unknown
    );
    let err = cancelled.process_pending().unwrap_err();
    assert_eq!(
        err.block_error().unwrap().kind(),
        wablock::ErrorKind::Cancelled
    );
    // Its block_when_possible stops as the core's block does, and queues nothing.
    let err = cancelled
        .block_when_possible(&s.pnid, ["16505550703"])
        .unwrap_err();
    assert_eq!(
        err.block_error().unwrap().kind(),
        wablock::ErrorKind::Cancelled
    );
    assert_eq!(
        err.block_error().unwrap().not_attempted(),
        ["16505550703".to_string()]
    );
    assert_eq!(s.window.pending().unwrap().len(), 2);

    // Both users write in; a receiver with no client for the number records it and keeps
    // both blocks queued.
    s.sb.record_inbound(&s.pnid, second, None);
    let recorder = Window::new(Store::open(&s.location).unwrap())
        .app_secret(APP_SECRET)
        .clock(s.clock.clone());
    for (user, wamid) in [(first, "wamid.C2"), (second, "wamid.C3")] {
        let body = message_payload(&s.pnid, Some(user), None, wamid, unix_now());
        recorder.ingest(&body, Some(&sign(&body))).unwrap();
    }
    assert_eq!(s.window.pending().unwrap().len(), 2);

    // Cancelled mid-way: the token goes off once the first row is claimed. That block ends
    // CANCELLED without a request and stays queued; the second row is not taken up.
    let token = wablock::CancelToken::new();
    let trigger = token.clone();
    let midway = Window::new(Store::open(&s.location).unwrap())
        .client(&s.pnid, client(&s.sb.base_url(), &s.pnid))
        .app_secret(APP_SECRET)
        .clock(s.clock.clone())
        .after_claim(move |_| trigger.cancel())
        .with_cancel(token);
    let made = midway.process_pending().unwrap();
    assert_eq!(made.len(), 1);
    assert!(made[0].still_pending);
    let err = made[0].outcome.as_ref().unwrap_err();
    assert_eq!(err.kind(), wablock::ErrorKind::Cancelled, "{err}");
    assert_eq!(err.not_attempted(), [made[0].input.clone()]);
    let pending = s.window.pending().unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|p| p.claim_owner.is_none()));
    // One request each so far: the first block_when_possible (sent as given, digits only).
    let sent = |user: &str| {
        block_requests_for(&s.sb, &s.pnid, user)
            + block_requests_for(&s.sb, &s.pnid, &format!("+{user}"))
    };
    assert_eq!(sent(first), 1);
    assert_eq!(sent(second), 1);

    // The window without the token takes both up.
    let made = s.window.process_pending().unwrap();
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|m| !m.still_pending));
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, first));
    assert!(is_blocked_in_sandbox(&s.sb, &s.pnid, second));
    assert!(s.window.pending().unwrap().is_empty());
}

#[test]
fn postgres_store_reconnects_after_its_connection_is_dropped() {
    let Some(store) = test_store(Backend::Postgres) else {
        return;
    };
    let window = Window::new(Store::open(&store.location).unwrap());
    assert!(window.pending().unwrap().is_empty());
    let mut admin = ::postgres::Client::connect(&store.location, ::postgres::NoTls).unwrap();
    let db = store.location.rsplit('/').next().unwrap().to_string();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db],
        )
        .unwrap();
    assert_eq!(killed.len(), 1, "the store's one connection is terminated");
    // pg_terminate_backend only signals the backend: wait (bounded) until it is gone, so the
    // next call really meets a dead connection rather than racing the termination.
    for _ in 0..200 {
        let left = admin
            .query(
                "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&db],
            )
            .unwrap();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The call that meets the dead connection fails clearly (unless the client noticed the
    // close first); the next one reconnects.
    if let Err(err) = window.pending() {
        assert_eq!(err.kind(), ErrorKind::Store);
        assert!(err.message().contains("PostgreSQL"), "{err}");
    }
    assert!(window.pending().unwrap().is_empty());
    window.block_when_possible("1", ["x"]).unwrap_err(); // no client: nothing sent
    assert_eq!(
        window.store().schema_version().unwrap(),
        wablock_window::SCHEMA_VERSION
    );
}
