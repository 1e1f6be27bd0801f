//! docs/behaviour.md §3.2 and §3.3: whole-call errors, their classification and fields, and retries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use serde_json::json;
use wablock::{ErrorKind, FakeClock, RetryPolicy};

fn block_one(server: &Responder) -> wablock::Error {
    client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap_err()
}

#[test]
fn every_graph_code_row_is_classified_with_its_fields() {
    let rows: &[(&[i64], ErrorKind)] = &[
        (&[0, 3, 10, 190, 200, 250, 299, 131005], ErrorKind::Auth),
        (&[139101], ErrorKind::BlocklistFull),
        (&[100, 33, 368, 131008, 131009, 424242], ErrorKind::Rejected),
    ];
    for (codes, kind) in rows {
        for &code in *codes {
            let server = Responder::script(vec![Reply::json(
                400,
                json!({"error": {
                "message": "nope", "type": "OAuthException", "code": code, "error_subcode": 2494010,
                "error_data": {"details": "more"}, "fbtrace_id": "AbC"}}),
            )]);
            let err = block_one(&server);
            assert_eq!(err.kind(), *kind, "code {code}");
            assert_eq!(server.seen().len(), 1, "{kind} is not retried");
            assert_eq!(
                (err.code(), err.subcode(), err.http_status()),
                (Some(code), Some(2494010), Some(400))
            );
            assert_eq!(
                (err.details(), err.fbtrace_id(), err.message()),
                (Some("more"), Some("AbC"), "nope")
            );
            assert!(!err.is_retryable());
            assert_eq!(err.not_attempted(), ["15550001111"]);
            assert!(err.partial().is_none());
        }
    }
}

#[test]
fn retryable_codes_are_retried_then_reported() {
    let rows: &[(&[i64], ErrorKind)] = &[
        (&[4, 80007, 130429, 131056], ErrorKind::RateLimited),
        (&[1, 2, 131000, 131016, 139103], ErrorKind::Server),
    ];
    for (codes, kind) in rows {
        for &code in *codes {
            let server = Responder::script(vec![Reply::json(400, graph_error(code, "busy"))]);
            let err = block_one(&server);
            assert_eq!((err.kind(), err.code()), (*kind, Some(code)));
            assert!(err.is_retryable());
            assert_eq!(server.seen().len(), 4, "4 attempts in all for code {code}");
        }
    }
}

#[test]
fn status_only_answers_are_classified_by_status() {
    for (status, body, kind) in [
        (401, "", ErrorKind::Auth),
        (403, "<html>Forbidden</html>", ErrorKind::Auth),
        (429, "", ErrorKind::RateLimited),
        (
            502,
            "<html><body>502 Bad Gateway</body></html>",
            ErrorKind::Server,
        ),
        (503, "{}", ErrorKind::Server),
        (404, "<html>not found</html>", ErrorKind::Protocol),
        (200, "{\"block_users\": ", ErrorKind::Protocol),
        (200, "<html>ok?</html>", ErrorKind::Protocol),
    ] {
        let server = Responder::script(vec![Reply::raw(status, body)]);
        let err = block_one(&server);
        assert_eq!(err.kind(), kind, "HTTP {status} {body:?}");
        assert_eq!(err.http_status(), Some(status));
    }
}

#[test]
fn is_transient_makes_an_unknown_code_a_server_error() {
    let server = Responder::script(vec![Reply::json(
        500,
        json!({"error": {"message": "x", "code": 55555, "is_transient": true}}),
    )]);
    let err = block_one(&server);
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn dialog360_text_errors() {
    for (status, kind) in [
        (401, ErrorKind::Auth),
        (500, ErrorKind::Server),
        (400, ErrorKind::Rejected),
    ] {
        let server = Responder::script(vec![Reply::json(
            status,
            json!({"error": "Invalid api key"}),
        )]);
        let c = wablock::Client::dialog360("KEY-abcdef-123")
            .base_url(&server.url)
            .retry_policy(RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            })
            .build()
            .unwrap();
        let err = c.block(["15550001111"]).unwrap_err();
        assert_eq!((err.kind(), err.message()), (kind, "Invalid api key"));
    }
}

#[test]
fn wrong_types_in_the_frame_are_protocol_errors_odd_items_are_not_and_numeric_string_codes_are_accepted()
 {
    // A wrong type in the answer's frame fails the call...
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"block_users": {"added_users": "everyone"}}),
    )]);
    assert_eq!(block_one(&server).kind(), ErrorKind::Protocol);
    // ...but one unreadable per-user item only leaves its user unconfirmed (behaviour 1.1).
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"block_users": {"added_users": [{"input": 5}, {"input": "15550002222"}]}}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111", "15550002222"])
        .unwrap();
    assert_eq!(outcome.succeeded[0].input, "15550002222");
    assert_eq!(outcome.failed[0].reason, wablock::Reason::Unconfirmed);
    let server = Responder::script(vec![Reply::json(
        400,
        json!({"error": {"message": "bad token", "code": "190"}}),
    )]);
    assert_eq!(
        (block_one(&server).kind(), block_one(&server).code()),
        (ErrorKind::Auth, Some(190))
    );
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"block_users": {"failed_users": [
        {"input": "15550001111", "errors": [{"message": "m", "code": "131047"}]}]}}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap();
    assert_eq!(outcome.failed[0].code, Some(131047));
}

#[test]
fn retry_then_success() {
    let server = Responder::script(vec![
        Reply::raw(502, "<html>bad gateway</html>"),
        Reply::dropped(),
        Reply::json(
            200,
            json!({"block_users": {"added_users": [{"input": "15550001111"}]}}),
        ),
    ]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap();
    assert!(outcome.is_ok());
    assert_eq!(outcome.requests, 3);
}

#[test]
fn retry_after_is_honoured_with_a_fake_clock() {
    let clock = Arc::new(FakeClock::new());
    let server = Responder::script(vec![
        Reply::json(429, graph_error(130429, "slow")).header("Retry-After", "7"),
        Reply::json(400, graph_error(80007, "slow")).header(
            "x-business-use-case-usage",
            r#"{"123":[{"type":"whatsapp","call_count":100,"estimated_time_to_regain_access":2}]}"#,
        ),
        Reply::json(
            200,
            json!({"block_users": {"added_users": [{"input": "15550001111"}]}}),
        ),
    ]);
    let c = wablock::Client::meta("1000", "TOKEN-s3cr3t-value")
        .base_url(&server.url)
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(300),
            jitter: false,
        })
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    assert!(c.block(["15550001111"]).unwrap().is_ok());
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(7), Duration::from_secs(120)]
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the fake clock never sleeps for real"
    );
}

#[test]
fn default_backoff_doubles_from_500ms() {
    let clock = Arc::new(FakeClock::new());
    let server = Responder::script(vec![Reply::raw(503, "")]);
    let c = wablock::Client::meta("1000", "TOKEN-s3cr3t-value")
        .base_url(&server.url)
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_millis(500),
            Duration::from_secs(1),
            Duration::from_secs(2)
        ]
    );
}

#[test]
fn a_wait_longer_than_the_cap_is_not_slept() {
    let clock = Arc::new(FakeClock::new());
    let server = Responder::script(vec![
        Reply::json(429, graph_error(130429, "slow")).header("Retry-After", "3600"),
    ]);
    let c = client(&server.url).clock(clock.clone()).build().unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(clock.sleeps().is_empty());
    assert_eq!(server.seen().len(), 1);
    assert!(
        err.to_canonical_json()
            .contains(r#""retry_after_ms":3600000"#)
    );
}

#[test]
fn the_retry_budget_is_configurable_down_to_no_retries() {
    let server = Responder::script(vec![Reply::raw(500, "")]);
    let c = client(&server.url)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(
        c.block(["15550001111"]).unwrap_err().kind(),
        ErrorKind::Server
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn auth_is_not_retried() {
    let server = Responder::script(vec![Reply::json(
        401,
        graph_error(190, "Invalid OAuth access token"),
    )]);
    let err = block_one(&server);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn the_overall_deadline_stops_retries() {
    let clock = Arc::new(FakeClock::new());
    let server = Responder::script(vec![Reply::raw(503, "")]);
    let c = client(&server.url)
        .clock(clock.clone())
        .retry_policy(RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            jitter: false,
        })
        .deadline(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("deadline"), "{}", err.message());
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );
}

#[test]
fn read_timeout_is_a_timeout_error_and_is_retried() {
    let server = Responder::script(vec![
        Reply::raw(200, "{}").delayed(Duration::from_millis(800)),
        Reply::json(
            200,
            json!({"block_users": {"added_users": [{"input": "15550001111"}]}}),
        ),
    ]);
    let c = client(&server.url)
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let outcome = c.block(["15550001111"]).unwrap();
    assert_eq!(outcome.requests, 2);
    let server = Responder::script(vec![
        Reply::raw(200, "{}").delayed(Duration::from_millis(800)),
    ]);
    let c = client(&server.url)
        .read_timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_retryable());
}

#[test]
fn network_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = client(&format!("http://127.0.0.1:{port}")).build().unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(err.message(), "network error: could not connect");
    let server = Responder::script(vec![Reply::dropped()]);
    let err = block_one(&server);
    assert_eq!(
        (err.kind(), err.message()),
        (
            ErrorKind::Network,
            "network error: the connection broke off"
        )
    );
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn body_over_the_cap_is_a_protocol_error() {
    let huge = format!(
        "{{\"block_users\":{{\"added_users\":[]}},\"pad\":\"{}\"}}",
        "x".repeat(100_000)
    );
    let server = Responder::script(vec![Reply::raw(200, huge)]);
    let c = client(&server.url)
        .max_response_bytes(10_000)
        .build()
        .unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("10000-byte limit"));
}

#[test]
fn a_fatal_error_mid_call_keeps_partial_and_not_attempted() {
    let server = Responder::start(|req| {
        if req.users()[0] == "15550000002" {
            Reply::json(401, graph_error(190, "expired"))
        } else {
            confirm_all(req, "added_users")
        }
    });
    let users: Vec<String> = (0..6).map(|i| format!("1555000000{i}")).collect();
    let mut inputs = users.clone();
    inputs.push("bogus".into());
    let c = client(&server.url)
        .max_batch(2)
        .parallelism(1)
        .build()
        .unwrap();
    let err = c.block(&inputs).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let partial = err.partial().unwrap();
    assert_eq!(
        partial
            .succeeded
            .iter()
            .map(|s| s.input.as_str())
            .collect::<Vec<_>>(),
        ["15550000000", "15550000001"]
    );
    assert_eq!(partial.failed[0].input, "bogus");
    assert_eq!(err.not_attempted(), &users[2..]);
    assert_eq!(server.seen().len(), 2, "no new batch after a fatal error");
    // The accounting rule: every input exactly once.
    assert_eq!(partial.len() + err.not_attempted().len(), inputs.len());
}

#[test]
fn whole_request_blocklist_full() {
    let server = Responder::script(vec![Reply::json(
        400,
        graph_error(139101, "Blocklist limit reached"),
    )]);
    assert_eq!(block_one(&server).kind(), ErrorKind::BlocklistFull);
}

#[test]
fn invalid_arguments_make_no_request() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let c = client(&server.url).build().unwrap();
    let err = c.block(Vec::<String>::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("empty"));
    let many: Vec<String> = (0..64_001).map(|i| format!("1555{i:07}")).collect();
    let err = c.block(&many).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.not_attempted().len(), 64_001);
    assert!(server.seen().is_empty());
}

#[test]
fn canonical_error_json() {
    let server = Responder::script(vec![Reply::json(
        401,
        graph_error(190, "Invalid OAuth access token"),
    )]);
    let err = block_one(&server);
    assert_eq!(
        err.to_canonical_json(),
        r#"{"error":{"code":190,"details":null,"fbtrace_id":"Atrace","http_status":401,"kind":"AUTH","message":"Invalid OAuth access token","not_attempted":["15550001111"],"partial":null,"retry_after_ms":null,"retryable":false,"subcode":null}}"#
    );
}
