//! docs/behaviour.md §1.1 and §3.2 at the edges: one odd per-user item never fails the answer,
//! and an error tells the users it sent without an answer (state unknown) from the users it
//! never sent (state unchanged).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use wablock::{ErrorKind, Reason};

#[test]
fn a_failed_item_with_null_empty_or_missing_errors_is_a_refusal_and_keeps_the_confirmed_users() {
    for errors in [json!({"errors": null}), json!({"errors": []}), json!({})] {
        let mut odd = json!({"input": "15550001111"});
        for (k, v) in errors.as_object().unwrap() {
            odd[k] = v.clone();
        }
        let server = Responder::script(vec![Reply::json(
            200,
            json!({"block_users": {"added_users": [{"input": "15550002222", "wa_id": "15550002222"}],
                                   "failed_users": [odd]}}),
        )]);
        let outcome = client(&server.url)
            .build()
            .unwrap()
            .block(["15550001111", "15550002222"])
            .unwrap();
        assert_eq!(outcome.succeeded.len(), 1, "{errors}");
        assert_eq!(outcome.succeeded[0].input, "15550002222");
        let refused = &outcome.failed[0];
        assert_eq!(
            (refused.input.as_str(), refused.reason, refused.code),
            ("15550001111", Reason::Other, None),
            "{errors}"
        );
        assert_eq!(
            refused.message,
            "the server refused this user without a message"
        );
        assert_eq!(
            server.seen().len(),
            1,
            "a refusal without a code is not retried"
        );
    }
}

#[test]
fn an_error_tells_users_sent_without_an_answer_from_users_never_sent() {
    // One user per batch, one batch at a time. The first batch gets 139103 on every attempt:
    // its user was sent and the server may have applied it. The second batch never starts.
    let server = Responder::script(vec![Reply::json(500, graph_error(139103, "internal"))]);
    let err = client(&server.url)
        .max_batch(1)
        .parallelism(1)
        .build()
        .unwrap()
        .block(["15550001111", "15550002222", "not a user"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(server.seen().len(), 4, "the first batch's four attempts");
    assert_eq!(err.not_attempted(), ["15550001111", "15550002222"]);
    assert_eq!(err.state_unknown(), ["15550001111"]);
    assert_eq!(err.state_unchanged(), ["15550002222"]);
    // The invalid input was never sent either, and is accounted for in `partial`.
    assert_eq!(err.partial().unwrap().failed[0].reason, Reason::InvalidUser);

    // An unreadable 200: the request was applied or not, nobody can tell.
    let server = Responder::script(vec![Reply::raw(200, "<html>ok</html>")]);
    let err = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111", "+1 555 000 1111"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.state_unknown(), ["15550001111", "+1 555 000 1111"]);
    assert!(err.state_unchanged().is_empty());

    // Refused before any request: never sent.
    let err = client(&server.url)
        .build()
        .unwrap()
        .block(Vec::<String>::new())
        .unwrap_err();
    assert!(err.state_unknown().is_empty());
}
