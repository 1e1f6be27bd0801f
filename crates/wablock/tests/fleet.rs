//! A fleet of numbers on the sandbox: one call per number, each number's own accounting, and
//! one number failing as a whole never hiding the others.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use serde_json::Value;
use wablock::{Client, ErrorKind, Fleet, Reason};
use wablock_sandbox::{DEFAULT_ACCESS_TOKEN, Sandbox, SandboxConfig};

const NUMBERS: [&str; 3] = ["1001", "1002", "1003"];

fn open_sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn users(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("+1 650 {:07}", 1_000_000 + i))
        .collect()
}

fn fleet_on(sandbox: &Sandbox, token_of: impl Fn(&str) -> &'static str) -> Fleet {
    let mut builder = Fleet::builder();
    for id in NUMBERS {
        let client = Client::meta(id, token_of(id))
            .base_url(sandbox.base_url())
            .parallelism(4)
            .build()
            .unwrap();
        builder = builder.number(id, client);
    }
    builder.total_parallelism(6).build().unwrap()
}

#[test]
fn a_fleet_of_three_blocks_2500_users_on_every_number_with_every_input_accounted_for() {
    let sandbox = open_sandbox();
    let fleet = fleet_on(&sandbox, |_| DEFAULT_ACCESS_TOKEN);
    let mut inputs = users(2_500);
    inputs.push("not a number".into());
    inputs.push(inputs[0].clone()); // a duplicate gets its own entry too
    let results = fleet.block(&inputs);

    assert_eq!(
        results
            .entries
            .iter()
            .map(|e| e.label.as_str())
            .collect::<Vec<_>>(),
        NUMBERS
    );
    for entry in &results.entries {
        let outcome = entry.result.as_ref().expect("every number succeeds");
        let accounted: Vec<&str> = outcome
            .succeeded
            .iter()
            .map(|s| s.input.as_str())
            .chain(outcome.failed.iter().map(|f| f.input.as_str()))
            .collect();
        assert_eq!(accounted.len(), inputs.len(), "{}", entry.label);
        assert_eq!(outcome.succeeded.len(), 2_501, "{}", entry.label);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].reason, Reason::InvalidUser);
        assert_eq!(outcome.requests, 3, "2,500 distinct users are 3 batches");
        let state = sandbox.state_json(&entry.label);
        assert_eq!(state["blocked_count"], 2_500);
    }
    assert!(!results.is_ok(), "one input was refused");
    assert!(results.errors().next().is_none());
}

#[test]
fn one_numbers_refused_token_does_not_hide_the_other_numbers_outcomes() {
    let sandbox = open_sandbox();
    let fleet = fleet_on(&sandbox, |id| {
        if id == "1002" {
            "not-the-token"
        } else {
            DEFAULT_ACCESS_TOKEN
        }
    });
    let inputs = users(10);
    let results = fleet.block(&inputs);

    let failed: Vec<(&str, ErrorKind)> = results.errors().map(|(l, e)| (l, e.kind())).collect();
    assert_eq!(failed, vec![("1002", ErrorKind::Auth)]);
    let err = results.get("1002").unwrap().as_ref().unwrap_err();
    assert_eq!(err.not_attempted(), inputs.as_slice());
    for id in ["1001", "1003"] {
        let outcome = results.get(id).unwrap().as_ref().unwrap();
        assert_eq!(outcome.succeeded.len(), 10, "{id}");
    }
    assert!(sandbox.state_json("1002")["blocked_count"] == 0);

    let json: Value = serde_json::from_str(&results.to_canonical_json()).unwrap();
    assert_eq!(json["fleet"]["1002"]["error"]["kind"], "AUTH");
    assert_eq!(json["fleet"]["1001"]["outcome"]["operation"], "block");
    assert_eq!(
        json["fleet"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        NUMBERS
    );
}

#[test]
fn the_fleet_walk_yields_each_user_once_with_the_numbers_that_block_them() {
    let sandbox = open_sandbox();
    let fleet = fleet_on(&sandbox, |_| DEFAULT_ACCESS_TOKEN);
    let everyone = users(30);
    fleet.select(["1001"]).unwrap().block(&everyone[..20]);
    fleet
        .select(["1003", "1002"])
        .unwrap()
        .block(&everyone[10..30]);

    let walk = fleet.blocked_users(Some(7));
    assert!(walk.errors.is_empty());
    assert_eq!(walk.users.len(), 30);
    let distinct: HashSet<_> = walk.users.iter().map(|u| u.user.wa_id.clone()).collect();
    assert_eq!(distinct.len(), 30, "each user once");
    for (i, user) in walk.users.iter().enumerate() {
        let expected: Vec<&str> = match i {
            0..10 => vec!["1001"],
            10..20 => vec!["1001", "1002", "1003"],
            _ => vec!["1002", "1003"],
        };
        assert_eq!(user.blocked_on, expected, "user {i}");
    }

    let answers = fleet.is_blocked(&everyone[5]);
    assert_eq!(
        answers
            .entries
            .iter()
            .map(|e| (e.label.as_str(), *e.result.as_ref().unwrap()))
            .collect::<Vec<_>>(),
        vec![("1001", true), ("1002", false), ("1003", false)]
    );
    assert_eq!(
        answers.to_canonical_json(),
        r#"{"fleet":{"1001":{"is_blocked":true},"1002":{"is_blocked":false},"1003":{"is_blocked":false}}}"#
    );
}

#[test]
fn fleet_labels_are_checked() {
    let sandbox = open_sandbox();
    let client = Client::meta("1001", DEFAULT_ACCESS_TOKEN)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let err = Fleet::builder().build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = Fleet::builder()
        .number("a", client.clone())
        .number("a", client.clone())
        .build()
        .unwrap_err();
    assert!(err.message().contains("used twice"), "{err}");
    let fleet = Fleet::builder().number("a", client).build().unwrap();
    let err = fleet.select(["b"]).unwrap_err();
    assert!(err.message().contains("\"b\""), "{err}");
    let debug = format!("{fleet:?}");
    assert!(!debug.contains(DEFAULT_ACCESS_TOKEN), "{debug}");
}

#[test]
fn a_meta_fleet_takes_another_total_parallelism_checked_by_the_builder() {
    let sandbox = open_sandbox();
    let fleet = Fleet::meta(NUMBERS, DEFAULT_ACCESS_TOKEN, |b| {
        b.base_url(sandbox.base_url())
    })
    .unwrap();
    let err = fleet.with_total_parallelism(0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("total parallelism is 0"), "{err}");
    let one = fleet.with_total_parallelism(1).unwrap();
    assert_eq!(one.labels().collect::<Vec<_>>(), NUMBERS);
    assert!(format!("{one:?}").contains("total_parallelism: 1"));
    let answers = one.is_blocked("+16505551234");
    assert!(answers.entries.iter().all(|e| e.result == Ok(false)));
}

#[test]
fn a_cancelled_fleet_sends_nothing_and_each_number_accounts_for_every_input() {
    let sandbox = open_sandbox();
    let fleet = fleet_on(&sandbox, |_| DEFAULT_ACCESS_TOKEN);
    let token = wablock::CancelToken::new();
    token.cancel();
    let inputs = users(30);
    let results = fleet.with_cancel(token).block(&inputs);
    assert_eq!(results.entries.len(), 3);
    for entry in &results.entries {
        let err = entry.result.as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cancelled, "{}", entry.label);
        assert_eq!(err.not_attempted(), inputs.as_slice());
    }
    assert_eq!(
        sandbox.requests().as_array().map(|r| r.len()),
        Some(0),
        "nothing was sent"
    );
    // The fleet it was cloned from does not observe the token.
    assert!(fleet.block(&inputs[..1]).errors().next().is_none());
}
