//! docs/behaviour.md §3.1: what happened to each user, over real HTTP on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use wablock::{Operation, Reason};

#[test]
fn every_per_user_reason_row_with_its_code_and_hint() {
    let rows = [
        (131047, Reason::ReengagementRequired),
        (131021, Reason::SelfBlock),
        (139101, Reason::BlocklistFull),
        (12345, Reason::Other),
    ];
    for (code, reason) in rows {
        let server = Responder::start(move |req| {
            let users = req.users();
            Reply::json(
                200,
                json!({"messaging_product": "whatsapp", "block_users": {
                "added_users": [{"input": users[0], "wa_id": "16505551234"}],
                "failed_users": [failed_item(&users[1], code, "refused")]}}),
            )
        });
        let outcome = client(&server.url)
            .build()
            .unwrap()
            .block(["+1 650 555 1234", "15550001111"])
            .unwrap();
        assert_eq!(outcome.succeeded.len(), 1);
        let f = &outcome.failed[0];
        assert_eq!(
            (f.reason, f.code, f.message.as_str()),
            (reason, Some(code), "refused")
        );
        assert_eq!(f.hint, reason.hint());
        assert_eq!(f.details.as_deref(), Some("details for 15550001111"));
        assert_eq!(f.sent.as_deref(), Some("15550001111"));
        assert_eq!(outcome.requests, 1);
    }
}

#[test]
fn transient_per_user_reasons_are_resent_alone_until_the_budget_runs_out() {
    for (code, reason) in [(130429, Reason::RateLimited), (139103, Reason::Server)] {
        let server = Responder::start(move |req| {
            let users = req.users();
            let failed: Vec<_> = users
                .iter()
                .filter(|u| u.ends_with("2222"))
                .map(|u| failed_item(u, code, "try later"))
                .collect();
            let added: Vec<_> = users
                .iter()
                .filter(|u| !u.ends_with("2222"))
                .map(|u| json!({"input": u, "wa_id": u}))
                .collect();
            Reply::json(
                200,
                json!({"block_users": {"added_users": added, "failed_users": failed}}),
            )
        });
        let outcome = client(&server.url)
            .build()
            .unwrap()
            .block(["15551111111", "15552222222"])
            .unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 4, "first attempt plus 3 re-sends");
        assert_eq!(seen[0].users(), vec!["15551111111", "15552222222"]);
        for retry in &seen[1..] {
            assert_eq!(
                retry.users(),
                vec!["15552222222"],
                "only the refused user is re-sent"
            );
        }
        assert_eq!(outcome.succeeded[0].input, "15551111111");
        assert_eq!(outcome.failed[0].reason, reason);
        assert_eq!(outcome.requests, 4);
    }
}

#[test]
fn transient_refusal_that_clears_on_resend_is_reported_as_success() {
    let server = Responder::start(|req| {
        if req.users().len() == 2 {
            Reply::json(
                200,
                json!({"block_users": {"added_users": [{"input": "15551111111"}],
                "failed_users": [failed_item("15552222222", 130429, "slow down")]}}),
            )
        } else {
            confirm_all(req, "added_users")
        }
    });
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15551111111", "15552222222"])
        .unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(outcome.requests, 2);
}

#[test]
fn mixed_result_in_http_400_with_139100_is_an_outcome() {
    let server = Responder::script(vec![Reply::json(
        400,
        json!({
        "messaging_product": "whatsapp",
        "block_users": {"added_users": [{"input": "+16505551234", "wa_id": "16505551234"}],
                         "failed_users": [failed_item("15550001111", 131047, "Re-engagement message")]},
        "error": {"message": "(#139100) Failed to block/unblock users", "type": "OAuthException", "code": 139100,
                  "error_data": {"details": "Failed to block some users"}, "fbtrace_id": "A1"}}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["+1 650 555 1234", "15550001111"])
        .unwrap();
    assert_eq!(outcome.succeeded[0].wa_id.as_deref(), Some("16505551234"));
    assert_eq!(outcome.succeeded[0].sent, "+16505551234");
    assert_eq!(outcome.failed[0].reason, Reason::ReengagementRequired);
}

#[test]
fn http_400_with_139100_but_no_body_is_an_error() {
    let server = Responder::script(vec![Reply::json(
        400,
        graph_error(139100, "Failed to block/unblock users"),
    )]);
    let err = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap_err();
    assert_eq!(err.kind(), wablock::ErrorKind::Rejected);
    assert_eq!(err.not_attempted(), ["15550001111"]);
}

#[test]
fn http_200_that_blocked_nobody_reports_every_user_unconfirmed() {
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"messaging_product": "whatsapp"}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111", "15550002222"])
        .unwrap();
    assert!(outcome.succeeded.is_empty());
    assert!(
        outcome
            .failed
            .iter()
            .all(|f| f.reason == Reason::Unconfirmed && f.hint == Reason::Unconfirmed.hint())
    );
}

#[test]
fn user_left_out_of_the_answer_is_unconfirmed_not_success() {
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"block_users": {"added_users": [{"input": "15550001111", "wa_id": "15550001111"}]}}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111", "15550002222"])
        .unwrap();
    assert_eq!(outcome.succeeded.len(), 1);
    assert_eq!(outcome.failed[0].input, "15550002222");
    assert_eq!(outcome.failed[0].reason, Reason::Unconfirmed);
}

#[test]
fn invalid_users_are_reported_and_never_sent() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["not a number", "15550001111", "US.ENT.99", "12"])
        .unwrap();
    let sent: Vec<String> = server.seen().iter().flat_map(|r| r.users()).collect();
    assert_eq!(sent, vec!["15550001111"]);
    let invalid: Vec<&str> = outcome.failed.iter().map(|f| f.input.as_str()).collect();
    assert_eq!(invalid, vec!["not a number", "US.ENT.99", "12"]);
    assert!(
        outcome
            .failed
            .iter()
            .all(|f| f.reason == Reason::InvalidUser && f.sent.is_none())
    );
    assert!(outcome.failed[1].message.contains("parent"));
}

#[test]
fn only_invalid_users_makes_no_request() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let outcome = client(&server.url).build().unwrap().block(["x"]).unwrap();
    assert_eq!(outcome.requests, 0);
    assert!(server.seen().is_empty());
    assert_eq!(outcome.failed[0].reason, Reason::InvalidUser);
}

#[test]
fn duplicates_are_sent_once_and_every_input_gets_the_result() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let inputs = [
        "+1 (650) 555-1234",
        "16505551234",
        "+16505551234",
        "US.77",
        "US.77",
    ];
    let outcome = client(&server.url).build().unwrap().block(inputs).unwrap();
    assert_eq!(server.seen()[0].users(), vec!["+16505551234", "US.77"]);
    let got: Vec<&str> = outcome.succeeded.iter().map(|s| s.input.as_str()).collect();
    assert_eq!(got, inputs.to_vec(), "every input, in input order");
}

#[test]
fn bsuids_go_in_user_id_and_phones_in_user() {
    let server = Responder::start(|_| {
        Reply::json(
            200,
            json!({"block_users": {"added_users": [
        {"input": "US.13491208655302741918", "user_id": "US.13491208655302741918"},
        {"input": "+16505551234", "wa_id": "16505551234"}]}}),
        )
    });
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["US.13491208655302741918", "+16505551234"])
        .unwrap();
    assert_eq!(
        server.seen()[0].json()["block_users"],
        json!([{"user_id": "US.13491208655302741918"}, {"user": "+16505551234"}])
    );
    assert_eq!(
        outcome.succeeded[0].user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(outcome.succeeded[0].wa_id, None);
}

#[test]
fn unblock_sends_delete_and_accepts_removed_or_added_users() {
    for key in ["removed_users", "added_users"] {
        let server = Responder::start(move |req| confirm_all(req, key));
        let outcome = client(&server.url)
            .build()
            .unwrap()
            .unblock(["15550001111"])
            .unwrap();
        assert_eq!(outcome.operation, Operation::Unblock);
        assert!(outcome.is_ok());
        let seen = server.seen();
        assert_eq!(seen[0].method, "DELETE");
        assert_eq!(seen[0].json()["messaging_product"], "whatsapp");
    }
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1555{i:07}")).collect()
}

#[test]
fn batches_of_at_most_1000_with_the_right_bodies() {
    for (n, sizes) in [(1001, vec![1000, 1]), (2500, vec![1000, 1000, 500])] {
        let server = Responder::start(|req| confirm_all(req, "added_users"));
        let users = numbers(n);
        let outcome = client(&server.url)
            .parallelism(1)
            .build()
            .unwrap()
            .block(&users)
            .unwrap();
        let seen = server.seen();
        assert_eq!(
            seen.iter().map(|r| r.users().len()).collect::<Vec<_>>(),
            sizes
        );
        let sent: Vec<String> = seen.iter().flat_map(|r| r.users()).collect();
        assert_eq!(sent, users, "each user once, in order");
        for r in &seen {
            assert_eq!(r.method, "POST");
            assert_eq!(r.path, "/v25.0/1000/block_users");
            assert_eq!(r.header("content-type"), Some("application/json"));
        }
        assert_eq!(outcome.succeeded.len(), n);
        assert_eq!(outcome.requests as usize, sizes.len());
    }
}

#[test]
fn parallel_batches_keep_input_order_and_report_progress() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let users = numbers(2500);
    let c = client(&server.url)
        .parallelism(4)
        .max_batch(100)
        .build()
        .unwrap();
    let calls = std::sync::Mutex::new(Vec::new());
    let progress = |p: wablock::Progress| {
        calls.lock().unwrap().push(p);
        std::ops::ControlFlow::Continue(())
    };
    let outcome = c.mutate(Operation::Block, &users, Some(&progress)).unwrap();
    assert_eq!(
        outcome
            .succeeded
            .iter()
            .map(|s| s.input.clone())
            .collect::<Vec<_>>(),
        users
    );
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.len(), 25);
    assert_eq!(calls.last().unwrap().done, 2500);
    assert!(calls.windows(2).all(|w| w[0].done < w[1].done));
    assert!(calls.iter().all(|p| p.total == 2500));
}

#[test]
fn progress_callback_can_cancel_with_every_input_accounted_for() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let users = numbers(500);
    let c = client(&server.url)
        .parallelism(1)
        .max_batch(100)
        .build()
        .unwrap();
    let stop_after_two = |p: wablock::Progress| {
        if p.done >= 200 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let err = c
        .mutate(Operation::Block, &users, Some(&stop_after_two))
        .unwrap_err();
    assert_eq!(err.kind(), wablock::ErrorKind::Cancelled);
    assert_eq!(err.partial().unwrap().succeeded.len(), 200);
    assert_eq!(err.not_attempted().len(), 300);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn canonical_json_has_sorted_keys_and_every_field() {
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"block_users": {
        "added_users": [{"input": "+16505551234", "wa_id": "16505551234"}],
        "failed_users": [failed_item("15550001111", 131047, "Message failed")]}}),
    )]);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block(["+1 650 555 1234", "15550001111"])
        .unwrap();
    let text = outcome.to_canonical_json();
    let expected = json!({"outcome": {"operation": "block",
        "succeeded": [{"input": "+1 650 555 1234", "sent": "+16505551234", "wa_id": "16505551234", "user_id": null}],
        "failed": [{"input": "15550001111", "sent": "15550001111", "wa_id": null, "user_id": null,
            "reason": "REENGAGEMENT_REQUIRED", "code": 131047, "message": "Message failed",
            "details": "details for 15550001111", "hint": Reason::ReengagementRequired.hint()}],
        "requests": 1}});
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        expected
    );
    assert!(
        text.starts_with(r#"{"outcome":{"failed":[{"code":131047,"details":"#),
        "{text}"
    );
}
