//! The bodies of the cargo-fuzz targets in `fuzz/`, kept here so that stable `cargo test`
//! replays every seed and every regression vector through exactly the same checks
//! (`tests/fuzz_replay.rs`). Each function panics when a property fails, which is how
//! libFuzzer recognises a finding.

use serde_json::Value;
use wablock::fuzzing::{
    ServerItem, decode_error as core_decode_error, decode_list, decode_mutation, dedupe,
    match_items, offline_client_ready,
};
use wablock::users::{MAX_USER_BYTES, UserId, normalize_user};
use wablock::{Error, ErrorKind};

/// The token of the core's offline fuzzing client: no decoded string may contain it.
pub const OFFLINE_TOKEN: &str = "fuzz-token-value";

/// The users every decoded mutation answer is matched against: phone numbers in several
/// writings, a duplicate, a BSUID and an invalid string.
pub const SENT: [&str; 7] = [
    "+16505551234",
    "16505551235",
    "+1 (650) 555-1236",
    "US.13491208655302741918",
    "16505551234",
    "not a user",
    "+447700900123",
];

/// Harness invariant: the core's offline client, which every decoder runs on, has built.
/// Without it the entry points decode nothing, and a target must not pass by testing nothing.
fn assert_decoders_available() {
    if let Err(e) = offline_client_ready() {
        panic!("fuzz harness set-up failed: {e}");
    }
}

/// Kinds a decoded HTTP answer may produce: never a transport, caller or internal kind.
fn assert_answer_kind(err: &Error, status: u16) {
    assert!(
        !matches!(
            err.kind(),
            ErrorKind::Network
                | ErrorKind::Timeout
                | ErrorKind::InvalidArgument
                | ErrorKind::Internal
                | ErrorKind::Cancelled
        ),
        "HTTP {status} decoded as {}: {err}",
        err.kind()
    );
    assert!(!err.message().is_empty(), "empty message for HTTP {status}");
    assert!(err.is_retryable() || !err.kind().is_retryable());
    // The documented scrubbed fields never carry the client's token.
    for text in [err.message(), err.details().unwrap_or_default()] {
        assert!(!text.contains(OFFLINE_TOKEN), "token in {text:?}");
    }
    let canonical: Value = match serde_json::from_str(&err.to_canonical_json()) {
        Ok(v) => v,
        Err(e) => panic!("canonical JSON of an error does not parse: {e}"),
    };
    assert_eq!(canonical["error"]["kind"], err.kind().as_str());
}

/// POST/DELETE answers (outcome decoder): any body, under the statuses that matter.
pub fn decode_outcome(data: &[u8]) {
    assert_decoders_available();
    let distinct = dedupe(&SENT.map(String::from)).len();
    for status in [200, 201, 400, 401, 403, 429, 500, 502] {
        match decode_mutation(status, data, &SENT) {
            Ok(verdicts) => {
                assert!(
                    (200..300).contains(&status) || status == 400,
                    "HTTP {status} decoded as an outcome"
                );
                assert_eq!(verdicts.len(), distinct, "one verdict per distinct user");
            }
            Err(err) => {
                assert_answer_kind(&err, status);
                assert_eq!(err.http_status(), Some(status));
            }
        }
    }
}

/// GET answers (page decoder).
pub fn decode_page(data: &[u8]) {
    assert_decoders_available();
    for (status, limit) in [
        (200, None),
        (200, Some(1)),
        (200, Some(25)),
        (400, Some(10)),
        (500, None),
    ] {
        match decode_list(status, data, limit) {
            Ok(page) => {
                assert_eq!(status, 200, "HTTP {status} decoded as a page");
                assert!(
                    !page.users.is_empty() || !page.has_more,
                    "an empty page ends the list"
                );
                for u in &page.users {
                    assert!(
                        u.wa_id.is_some() || u.user_id.is_some(),
                        "a user with no id"
                    );
                }
                let v: Value = match serde_json::from_str(&page.to_canonical_json()) {
                    Ok(v) => v,
                    Err(e) => panic!("canonical JSON of a page does not parse: {e}"),
                };
                assert_eq!(
                    v["page"]["users"].as_array().map(Vec::len),
                    Some(page.users.len())
                );
            }
            Err(err) => assert_answer_kind(&err, status),
        }
    }
}

/// Whole-call error envelopes (Graph, 360dialog text, HTML, nothing).
pub fn decode_error(data: &[u8]) {
    assert_decoders_available();
    for status in [200, 301, 400, 401, 403, 404, 429, 500, 503] {
        let err = match core_decode_error(status, data) {
            Ok(err) => err,
            Err(e) => panic!("fuzz harness set-up failed: {e}"),
        };
        assert_answer_kind(&err, status);
        assert_eq!(err.http_status(), Some(status));
        if let Some(code) = err.code() {
            // Classified by code first: only is_transient may turn REJECTED into SERVER.
            let by_code = ErrorKind::classify(Some(status), Some(code), false);
            assert!(
                err.kind() == by_code
                    || (by_code == ErrorKind::Rejected && err.kind() == ErrorKind::Server),
                "code {code} with HTTP {status} classified as {}",
                err.kind()
            );
        }
    }
}

/// User strings: normalisation, dedupe and matching over the lines of `data`.
pub fn normalize_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for raw in &lines {
        if let Ok(id) = normalize_user(raw) {
            assert!(raw.len() <= MAX_USER_BYTES, "{} bytes accepted", raw.len());
            let again = normalize_user(id.sent());
            assert_eq!(again.as_ref().ok(), Some(&id), "not idempotent: {raw:?}");
            match &id {
                UserId::Phone { digits, .. } => {
                    assert!((5..=15).contains(&digits.len()));
                    assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                }
                UserId::Bsuid(b) => assert_eq!(b.as_str(), raw.trim()),
            }
        }
    }
    // The server confirming every sent user, echoing what was sent: all valid inputs match.
    let targets = dedupe(&lines);
    let items: Vec<ServerItem> = targets
        .iter()
        .map(|t| (Some(t.clone()), None, None, None))
        .collect();
    let verdicts = match_items(&lines, &items);
    assert_eq!(verdicts.len(), lines.len());
    for (raw, v) in lines.iter().zip(&verdicts) {
        match normalize_user(raw) {
            Ok(_) => assert_eq!(v, &Ok(None), "{raw:?} not matched back"),
            Err(_) => assert_eq!(v, &Err(())),
        }
    }
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The targets by name, for the replay test and the corpus tools.
pub const TARGETS: [(&str, Target); 4] = [
    ("decode_outcome", decode_outcome),
    ("decode_page", decode_page),
    ("decode_error", decode_error),
    ("normalize_input", normalize_input),
];
