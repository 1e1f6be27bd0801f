//! docs/behaviour.md §3.4 at the edges: a walk that never stops early on Meta's own sample
//! answer, always ends whatever the server sends, blames bad server cursors on the server, and
//! honours the deadline rule like every other request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use serde_json::json;
use wablock::{DEFAULT_PAGE_SIZE, ErrorKind, FakeClock, MAX_PAGES_WITHOUT_NEW_USERS, RetryPolicy};

fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|p| {
        p.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

/// Meta's documented answer: `paging.cursors` on every page, never `paging.next`. Cursors are
/// "c<offset>"; the page size is whatever `limit` the request carried (the server's own
/// default of 25 when none came).
fn meta_sample_server(users: Vec<String>) -> Responder {
    Responder::start(move |req| {
        let limit: usize = query_value(&req.query, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(25);
        let offset: usize = query_value(&req.query, "after")
            .map(|a| a[1..].parse().unwrap())
            .unwrap_or(0);
        let page: Vec<_> = users
            .iter()
            .skip(offset)
            .take(limit)
            .map(|u| json!({"messaging_product": "whatsapp", "wa_id": u}))
            .collect();
        if page.is_empty() {
            return Reply::json(200, json!({"data": []}));
        }
        let end = offset + page.len();
        Reply::json(
            200,
            json!({"data": page, "paging": {"cursors": {"before": format!("c{offset}"), "after": format!("c{end}")}}}),
        )
    })
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1555{i:07}")).collect()
}

#[test]
fn without_a_page_size_the_walk_sends_the_default_limit_and_reads_every_page() {
    let n = DEFAULT_PAGE_SIZE as usize + 5;
    let server = meta_sample_server(users(n));
    let c = client(&server.url).build().unwrap();
    let got: Vec<String> = c
        .blocked_users(None)
        .map(|u| u.unwrap().wa_id.unwrap().into())
        .collect();
    assert_eq!(got, users(n), "every user of both pages, once, in order");
    let queries: Vec<String> = server.seen().into_iter().map(|s| s.query).collect();
    assert_eq!(
        queries,
        [
            format!("limit={DEFAULT_PAGE_SIZE}"),
            format!("limit={DEFAULT_PAGE_SIZE}&after=c{DEFAULT_PAGE_SIZE}"),
            format!("limit={DEFAULT_PAGE_SIZE}&after=c{n}"),
        ]
    );
    // list_page sends the same default.
    let page = c.list_page(None, wablock::Cursor::First).unwrap();
    assert!(page.has_more, "cursors and a non-empty page: read on");
    assert_eq!(
        server.seen().last().unwrap().query,
        format!("limit={DEFAULT_PAGE_SIZE}")
    );
}

#[test]
fn is_blocked_finds_a_user_on_page_two_of_the_sample_answer_and_stops_there() {
    let on_page_two = &users(10)[3];
    // Meta's sample shape, two users per page: the user is on page two, found there, and no
    // further page is read.
    let server = Responder::start(move |req| {
        let offset: usize = query_value(&req.query, "after")
            .map(|a| a[1..].parse().unwrap())
            .unwrap_or(0);
        let page: Vec<_> = users(10)
            .into_iter()
            .skip(offset)
            .take(2)
            .map(|u| json!({"wa_id": u}))
            .collect();
        Reply::json(
            200,
            json!({"data": page, "paging": {"cursors": {"after": format!("c{}", offset + 2)}}}),
        )
    });
    let c = client(&server.url).build().unwrap();
    assert!(c.is_blocked(on_page_two).unwrap());
    assert_eq!(
        server.seen().len(),
        2,
        "stops at the first page holding the user"
    );
    assert!(!c.is_blocked("15559999999").unwrap());
    assert_eq!(
        server.seen().len(),
        2 + 6,
        "5 pages, then the empty one past the end"
    );
}

#[test]
fn fresh_cursors_over_the_same_users_end_the_walk_with_protocol() {
    let calls = AtomicUsize::new(0);
    let server = Responder::start(move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Reply::json(
            200,
            json!({"data": [{"wa_id": "1"}, {"wa_id": "2"}],
                   "paging": {"cursors": {"after": format!("fresh{n}")}, "next": "n"}}),
        )
    });
    let c = client(&server.url).build().unwrap();
    let items: Vec<_> = c.blocked_users(Some(2)).collect();
    assert_eq!(items.len(), 3, "two users, then the error");
    let err = items[2].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.message().contains("no user not already listed"),
        "{err}"
    );
    assert_eq!(
        server.seen().len(),
        1 + MAX_PAGES_WITHOUT_NEW_USERS as usize,
        "the first page, then the pages without a new user"
    );
    // is_blocked walks the same way: an error, never a false "not blocked".
    assert_eq!(
        c.is_blocked("15550009999").unwrap_err().kind(),
        ErrorKind::Protocol
    );
}

#[test]
fn fewer_stale_pages_than_the_limit_do_not_end_the_walk() {
    // Two pages repeat users already seen, then a new user comes: the walk goes on.
    let server = Responder::script(vec![
        Reply::json(
            200,
            json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "a1"}}}),
        ),
        Reply::json(
            200,
            json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "a2"}}}),
        ),
        Reply::json(
            200,
            json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "a3"}}}),
        ),
        Reply::json(200, json!({"data": [{"wa_id": "2"}]})),
    ]);
    let c = client(&server.url).build().unwrap();
    let got: Vec<String> = c
        .blocked_users(Some(1))
        .map(|u| u.unwrap().wa_id.unwrap().into())
        .collect();
    assert_eq!(got, ["1", "2"]);
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn a_restart_may_reread_every_page_already_walked() {
    // Ten users, one per page; page 8 is refused with 139102 once. The second pass re-reads
    // seven pages of users already yielded: expected after a restart, not a runaway server.
    let refused = std::sync::atomic::AtomicBool::new(false);
    let all = users(10);
    let server = Responder::start(move |req| {
        let offset: usize = query_value(&req.query, "after")
            .map(|a| a[1..].parse().unwrap())
            .unwrap_or(0);
        if offset == 7 && !refused.swap(true, Ordering::SeqCst) {
            return Reply::json(400, graph_error(139102, "Blocklist concurrent update"));
        }
        match all.get(offset) {
            Some(u) => Reply::json(
                200,
                json!({"data": [{"wa_id": u}], "paging": {"cursors": {"after": format!("c{}", offset + 1)}}}),
            ),
            None => Reply::json(200, json!({"data": []})),
        }
    });
    let c = client(&server.url).build().unwrap();
    let mut it = c.blocked_users(Some(1));
    let got: Vec<String> = it
        .by_ref()
        .map(|u| u.unwrap().wa_id.unwrap().into())
        .collect();
    assert_eq!(got, users(10));
    assert_eq!(it.restarts(), 1);
}

#[test]
fn more_users_than_a_blocklist_holds_plus_one_page_end_the_walk_with_protocol() {
    let page_size = 1_000usize;
    let server = Responder::start(move |req| {
        let offset: usize = query_value(&req.query, "after")
            .map(|a| a[1..].parse().unwrap())
            .unwrap_or(0);
        let page: Vec<_> = (offset..offset + page_size)
            .map(|i| json!({"wa_id": format!("1{i:010}")}))
            .collect();
        Reply::json(
            200,
            json!({"data": page, "paging": {"cursors": {"after": format!("c{}", offset + page_size)}}}),
        )
    });
    let c = client(&server.url).build().unwrap();
    let mut yielded = 0usize;
    let mut error = None;
    for item in c.blocked_users(Some(page_size as u32)) {
        match item {
            Ok(_) => yielded += 1,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let err = error.expect("the walk ends with an error");
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("65000"), "{err}");
    assert_eq!(
        yielded,
        64_000 + page_size,
        "never more than a blocklist plus one page"
    );
    assert_eq!(server.seen().len(), 64 + 2);
}

#[test]
fn a_bad_cursor_from_the_server_is_protocol_not_the_callers_fault() {
    let long = "c".repeat(4097);
    for (cursors, which) in [
        (json!({"after": ""}), "after"),
        (json!({"after": long}), "after"),
        (json!({"after": "ok", "before": ""}), "before"),
    ] {
        let server = Responder::script(vec![Reply::json(
            200,
            json!({"data": [{"wa_id": "1"}], "paging": {"cursors": cursors}}),
        )]);
        let c = client(&server.url).build().unwrap();
        let err = c.list_page(Some(1), wablock::Cursor::First).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        assert!(
            err.message()
                .contains(&format!("the {which} cursor the server sent")),
            "{err}"
        );
        assert!(!err.message().contains("omit it"), "{err}");
        let items: Vec<_> = c.blocked_users(Some(1)).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().kind(), ErrorKind::Protocol);
        assert_eq!(
            c.is_blocked("15550001111").unwrap_err().kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            server.seen().len(),
            3,
            "each call asked once: nothing retried"
        );
    }
    // A 4 KiB cursor is still fine.
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "c".repeat(4096)}}}),
    )]);
    let c = client(&server.url).build().unwrap();
    assert!(
        c.list_page(Some(1), wablock::Cursor::First)
            .unwrap()
            .has_more
    );
}

#[test]
fn listing_honours_the_deadline_rule_with_the_one_retry_loop() {
    // The first answer is a 500; the backoff (2 s) would cross the deadline (1 s): TIMEOUT,
    // naming the last error, and no sleep, for every listing operation.
    let clock = Arc::new(FakeClock::new());
    let server = Responder::script(vec![Reply::json(500, graph_error(1, "boom"))]);
    let c = client(&server.url)
        .clock(clock.clone())
        .deadline(Some(Duration::from_secs(1)))
        .retry_policy(RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
            jitter: false,
        })
        .build()
        .unwrap();
    let errors = [
        c.list_page(None, wablock::Cursor::First).unwrap_err(),
        c.blocked_users(None).next().unwrap().unwrap_err(),
        c.is_blocked("15550001111").unwrap_err(),
    ];
    for err in &errors {
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(err.message().contains("deadline would pass"), "{err}");
        assert!(err.message().contains("last error: SERVER: boom"), "{err}");
    }
    assert_eq!(server.seen().len(), 3, "one attempt each");
    assert!(clock.sleeps().is_empty(), "no backoff slept");

    // Within the deadline, listing retries like block does: 500, then the page.
    let server = Responder::script(vec![
        Reply::json(500, graph_error(1, "boom")),
        Reply::json(200, json!({"data": [{"wa_id": "1"}]})),
    ]);
    let clock = Arc::new(FakeClock::new());
    let c = client(&server.url)
        .clock(clock.clone())
        .deadline(Some(Duration::from_secs(10)))
        .build()
        .unwrap();
    assert_eq!(
        c.list_page(None, wablock::Cursor::First)
            .unwrap()
            .users
            .len(),
        1
    );
    assert_eq!(clock.sleeps(), [Duration::from_millis(1)]);
}
