//! Cancellation from outside a call (`CancelToken`, `Client::with_cancel`), on the sandbox over
//! loopback: a cancelled call sends no new request, and still accounts for every input
//! (docs/behaviour.md §3.2, `CANCELLED`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use common::{Reply, Responder, graph_error};
use serde_json::Value;
use wablock::{CancelToken, Client, ErrorKind};
use wablock_sandbox::{DEFAULT_ACCESS_TOKEN, Sandbox, SandboxConfig};

fn sandbox(latency_ms: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        open: true,
        latency: Duration::from_millis(latency_ms),
        ..SandboxConfig::default()
    })
    .unwrap()
}

fn client_on(sandbox: &Sandbox) -> Client {
    Client::meta("1000", DEFAULT_ACCESS_TOKEN)
        .base_url(sandbox.base_url())
        .parallelism(4)
        .build()
        .unwrap()
}

fn numbers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1555{i:07}")).collect()
}

/// Every user (its sent form) of every request the sandbox received.
fn users_received(log: &Value) -> Vec<String> {
    log.as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["body"]["block_users"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|u| u["user"].as_str().unwrap().to_string())
        .collect()
}

fn request_count(sandbox: &Sandbox) -> usize {
    sandbox.requests().as_array().map_or(0, Vec::len)
}

#[test]
fn cancelled_from_another_thread_a_64000_user_block_stops_within_one_batch() {
    let sandbox = sandbox(20);
    let client = client_on(&sandbox);
    let users = numbers(64_000);
    let token = CancelToken::new();
    let cancellable = client.with_cancel(token.clone());

    let (at_cancel_tx, at_cancel_rx) = mpsc::channel();
    let err = std::thread::scope(|scope| {
        let call = scope.spawn(|| cancellable.block(&users));
        // Cancel part-way: once 8 of the 64 batches have reached the server.
        scope.spawn(|| {
            while request_count(&sandbox) < 8 {
                std::thread::sleep(Duration::from_millis(2));
            }
            token.cancel();
            at_cancel_tx.send(request_count(&sandbox)).unwrap();
        });
        call.join().unwrap().unwrap_err()
    });
    let at_cancel = at_cancel_rx.recv().unwrap();

    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(
        err.message().starts_with("the call was cancelled: "),
        "{err}"
    );
    // Accounting: every input once, in partial or not_attempted, in input order.
    let partial = err.partial().expect("batches finished before the cancel");
    assert!(partial.failed.is_empty(), "{:?}", &partial.failed[..1]);
    let mut accounted: Vec<&str> = partial
        .succeeded
        .iter()
        .map(|s| s.input.as_str())
        .chain(err.not_attempted().iter().map(String::as_str))
        .collect();
    accounted.sort_unstable();
    let mut expected: Vec<&str> = users.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(accounted, expected, "every input exactly once");
    assert!(!err.not_attempted().is_empty(), "cancelled part-way");

    // No new batch after the cancel: the server received exactly the users reported as
    // blocked (the batches in flight finished), and none of those left not attempted.
    let log = sandbox.requests();
    let received: Vec<String> = users_received(&log);
    let received_set: HashSet<&str> = received.iter().map(String::as_str).collect();
    assert_eq!(received.len(), received_set.len(), "no user sent twice");
    let confirmed: HashSet<&str> = partial.succeeded.iter().map(|s| s.sent.as_str()).collect();
    assert_eq!(received_set, confirmed);
    let total = log.as_array().unwrap().len();
    assert_eq!(total, partial.requests as usize);
    // Requests after the cancel: only those a worker had already decided to send when the
    // token flipped, at most one per worker.
    assert!(
        total <= at_cancel + 4,
        "{total} requests, {at_cancel} when cancelled"
    );
    assert!(total < 64, "stopped part-way: {total} of 64 batches");

    // The token belongs to the clone: the original client still works.
    let outcome = client.block(["15559999999"]).unwrap();
    assert_eq!(outcome.succeeded.len(), 1);
}

#[test]
fn a_token_cancelled_before_the_call_sends_nothing() {
    let sandbox = sandbox(0);
    let token = CancelToken::new();
    token.cancel();
    let client = client_on(&sandbox).with_cancel(token);

    let err = client
        .block(["15550000001", "not a number", "15550000001"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(err.not_attempted(), ["15550000001", "15550000001"]);
    // The invalid user is still reported, never sent.
    let partial = err.partial().unwrap();
    assert_eq!(partial.failed.len(), 1);
    assert_eq!(partial.requests, 0);

    assert_eq!(
        client.unblock(["15550000001"]).unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(
        client
            .list_page(None, wablock::Cursor::First)
            .unwrap_err()
            .kind(),
        ErrorKind::Cancelled
    );
    assert_eq!(
        client.is_blocked("15550000001").unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    let mut walk = client.blocked_users(None);
    assert_eq!(
        walk.next().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert!(walk.next().is_none());
    assert_eq!(request_count(&sandbox), 0);
}

#[test]
fn a_cancel_mid_walk_stops_before_the_next_page() {
    let sandbox = sandbox(0);
    client_on(&sandbox).block(numbers(250)).unwrap();
    sandbox.clear_requests();
    let token = CancelToken::new();
    let client = client_on(&sandbox).with_cancel(token.clone());

    let mut walk = client.blocked_users(Some(100));
    let first = walk.next().unwrap().unwrap();
    assert!(first.wa_id.is_some());
    token.cancel();
    // The page already read is still yielded; the next page is never asked for.
    let mut yielded = 1;
    let err = loop {
        match walk.next().unwrap() {
            Ok(_) => yielded += 1,
            Err(err) => break err,
        }
    };
    assert_eq!(yielded, 100);
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(walk.next().is_none());
    assert_eq!(request_count(&sandbox), 1, "one page requested");
}

#[test]
fn a_cancel_wakes_a_retry_sleeping_its_backoff() {
    // Every request fails with a transient server error; the backoff is an hour.
    let server =
        Responder::start(|_| Reply::json(500, graph_error(131000, "Something went wrong")));
    let token = CancelToken::new();
    let client = Client::meta("1000", "TOKEN-s3cr3t-value")
        .base_url(&server.url)
        .retry_policy(wablock::RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_secs(3600),
            max_backoff: Duration::from_secs(7200),
            jitter: false,
        })
        .build()
        .unwrap()
        .with_cancel(token.clone());
    let (tx, rx) = mpsc::channel();
    let call = std::thread::spawn(move || {
        tx.send(client.block(["15550000001"])).unwrap();
    });
    while server.seen().is_empty() {
        std::thread::sleep(Duration::from_millis(2));
    }
    token.cancel();
    // Without the wake-up this would wait an hour; a minute is a generous bound.
    let err = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the sleeping retry woke up")
        .unwrap_err();
    call.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(server.seen().len(), 1, "no retry after the cancel");
    // The request got a server error: its effect is unknown, and the error says so.
    assert_eq!(err.not_attempted(), ["15550000001"]);
    assert!(err.partial().is_none());
}

#[test]
fn the_progress_callback_still_cancels_with_the_core_wording() {
    let sandbox = sandbox(0);
    let client = Client::meta("1000", DEFAULT_ACCESS_TOKEN)
        .base_url(sandbox.base_url())
        .parallelism(1)
        .max_batch(100)
        .build()
        .unwrap();
    let stop = |_: wablock::Progress| std::ops::ControlFlow::Break(());
    let err = client
        .mutate(wablock::Operation::Block, numbers(300), Some(&stop))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert!(
        err.message()
            .starts_with("the call was cancelled: the progress callback"),
        "{err}"
    );
    assert_eq!(err.partial().unwrap().succeeded.len(), 100);
    assert_eq!(err.not_attempted().len(), 200);
}
