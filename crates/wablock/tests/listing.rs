//! docs/behaviour.md §3.4: one page, the iterator, restarts on 139102, and is_blocked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use wablock::{Cursor, ErrorKind};

fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|p| {
        p.split_once('=')
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
}

/// A list server over `users`, `limit` per page; cursors are "c<offset>".
fn list_server(users: Vec<String>) -> Responder {
    Responder::start(move |req| {
        let limit: usize = query_value(&req.query, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(2);
        let offset: usize = query_value(&req.query, "after")
            .map(|a| a[1..].parse().unwrap())
            .unwrap_or(0);
        let page: Vec<_> = users
            .iter()
            .skip(offset)
            .take(limit)
            .map(|u| json!({"messaging_product": "whatsapp", "wa_id": u}))
            .collect();
        let end = offset + page.len();
        let mut paging =
            json!({"cursors": {"before": format!("c{offset}"), "after": format!("c{end}")}});
        if end < users.len() {
            paging["next"] = json!(format!("http://example.invalid/?after=c{end}"));
        }
        Reply::json(200, json!({"data": page, "paging": paging}))
    })
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("1555000{i:04}")).collect()
}

#[test]
fn list_page_maps_one_get() {
    let server = list_server(users(5));
    let c = client(&server.url).build().unwrap();
    let page = c.list_page(Some(2), Cursor::First).unwrap();
    assert_eq!(page.users.len(), 2);
    assert_eq!(page.users[0].wa_id.as_deref(), Some("15550000000"));
    assert_eq!(
        (page.after.as_deref(), page.before.as_deref(), page.has_more),
        (Some("c2"), Some("c0"), true)
    );
    // A short page with an after cursor may still have more (Meta's sample has no `next`).
    let last = c.list_page(Some(2), Cursor::After("c4")).unwrap();
    assert_eq!((last.users.len(), last.has_more), (1, true));
    let past_the_end = c.list_page(Some(2), Cursor::After("c5")).unwrap();
    assert_eq!(
        (past_the_end.users.len(), past_the_end.has_more),
        (0, false)
    );
    let seen = server.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/v25.0/1000/block_users");
    assert_eq!(seen[1].query, "limit=2&after=c4");
    assert_eq!(
        page.to_canonical_json(),
        r#"{"page":{"after":"c2","before":"c0","has_more":true,"users":[{"user_id":null,"wa_id":"15550000000"},{"user_id":null,"wa_id":"15550000001"}]}}"#
    );
}

#[test]
fn has_more_rules() {
    // An after cursor with a full page means more, even without paging.next.
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [{"wa_id": "1"}, {"wa_id": "2"}], "paging": {"cursors": {"after": "A"}}}),
    )]);
    assert!(
        client(&server.url)
            .build()
            .unwrap()
            .list_page(Some(2), Cursor::First)
            .unwrap()
            .has_more
    );
    // A short page with an after cursor and no next: maybe more (Meta's own sample answer).
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "A"}}}),
    )]);
    assert!(
        client(&server.url)
            .build()
            .unwrap()
            .list_page(Some(2), Cursor::First)
            .unwrap()
            .has_more
    );
    // No after cursor and no next: the end.
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"before": "B"}}}),
    )]);
    assert!(
        !client(&server.url)
            .build()
            .unwrap()
            .list_page(Some(2), Cursor::First)
            .unwrap()
            .has_more
    );
    // An empty page ends the list even with next.
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [], "paging": {"cursors": {"after": "A"}, "next": "x"}}),
    )]);
    assert!(
        !client(&server.url)
            .build()
            .unwrap()
            .list_page(Some(2), Cursor::First)
            .unwrap()
            .has_more
    );
}

#[test]
fn dialog360_legacy_shape_and_headers() {
    let server = Responder::script(vec![Reply::json(
        200,
        json!({
        "data": [{"block_users": [{"input": "+16505551234", "wa_id": "16505551234"}, {"input": "US.1", "user_id": "US.1"}]}],
        "paging": {"next": "https://waba-v2.360dialog.io/block_users?limit=2&after=QUZU%3D", "previous": "https://x/block_users?before=QkVG"}}),
    )]);
    let c = wablock::Client::dialog360("KEY-abcdef-123")
        .base_url(&server.url)
        .build()
        .unwrap();
    let page = c.list_page(Some(2), Cursor::First).unwrap();
    assert_eq!(page.users.len(), 2);
    assert_eq!(page.users[1].user_id.as_deref(), Some("US.1"));
    assert_eq!(
        (page.after.as_deref(), page.before.as_deref(), page.has_more),
        (Some("QUZU="), Some("QkVG"), true)
    );
    let seen = &server.seen()[0];
    assert_eq!(seen.path, "/block_users");
    assert_eq!(seen.header("D360-API-KEY"), Some("KEY-abcdef-123"));
    assert_eq!(seen.header("authorization"), None);
}

#[test]
fn dialog360_block_path_and_header() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let c = wablock::Client::dialog360("KEY-abcdef-123")
        .base_url(format!("{}/", server.url))
        .build()
        .unwrap();
    assert!(c.block(["15550001111"]).unwrap().is_ok());
    let seen = &server.seen()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/block_users")
    );
    assert_eq!(seen.header("D360-API-KEY"), Some("KEY-abcdef-123"));
    assert!(seen.header("user-agent").unwrap().starts_with("wablock/"));
}

#[test]
fn the_iterator_walks_every_page_lazily() {
    let server = list_server(users(7));
    let c = client(&server.url).build().unwrap();
    let mut it = c.blocked_users(Some(3));
    assert!(
        server.seen().is_empty(),
        "nothing is fetched before the first next()"
    );
    it.next().unwrap().unwrap();
    assert_eq!(server.seen().len(), 1);
    let rest: Vec<_> = it.map(|u| u.unwrap().wa_id.unwrap()).collect();
    assert_eq!(rest, users(7)[1..]);
    // Pages of 3, 3 and 1, then the empty page past the last cursor that ends the walk.
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn a_139102_restarts_from_the_first_page_and_skips_users_already_yielded() {
    // Page 2 of the first pass is refused as stale; the list gained a user at the front.
    let calls = std::sync::Mutex::new(0);
    let server = Responder::start(move |req| {
        let mut n = calls.lock().unwrap();
        *n += 1;
        let after = query_value(&req.query, "after");
        match (*n, after.as_deref()) {
            (1, None) => Reply::json(
                200,
                json!({"data": [{"wa_id": "1"}, {"wa_id": "2"}], "paging": {"cursors": {"after": "v1o2"}, "next": "n"}}),
            ),
            (2, Some("v1o2")) => Reply::json(
                400,
                json!({"error": {"message": "The blocklist was updated", "code": 139102, "type": "OAuthException",
                "error_data": {"details": "Please retry with offset 0"}, "fbtrace_id": "T"}}),
            ),
            (3, None) => Reply::json(
                200,
                json!({"data": [{"wa_id": "0"}, {"wa_id": "1"}], "paging": {"cursors": {"after": "v2o2"}, "next": "n"}}),
            ),
            (4, Some("v2o2")) => Reply::json(
                200,
                json!({"data": [{"wa_id": "2"}, {"wa_id": "3"}], "paging": {"cursors": {"after": "v2o4"}}}),
            ),
            // A full last page with an after cursor means "maybe more": one more fetch, empty.
            (5, Some("v2o4")) => Reply::json(200, json!({"data": []})),
            other => Reply::raw(500, format!("unexpected request {other:?}")),
        }
    });
    let c = client(&server.url).build().unwrap();
    let mut it = c.blocked_users(Some(2));
    let got: Vec<String> = it
        .by_ref()
        .map(|u| u.unwrap().wa_id.unwrap().into())
        .collect();
    assert_eq!(got, ["1", "2", "0", "3"], "each user once");
    assert_eq!(it.restarts(), 1);
    assert_eq!(server.seen().len(), 5);
}

#[test]
fn the_iterator_gives_up_after_the_restart_budget() {
    let server = Responder::start(|req| {
        if query_value(&req.query, "after").is_some() {
            Reply::json(400, graph_error(139102, "The blocklist was updated"))
        } else {
            Reply::json(
                200,
                json!({"data": [{"wa_id": "1"}], "paging": {"cursors": {"after": "A"}, "next": "n"}}),
            )
        }
    });
    let c = client(&server.url).list_restart_budget(2).build().unwrap();
    let items: Vec<_> = c.blocked_users(Some(1)).collect();
    assert_eq!(items.len(), 2, "one user, then the error");
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConcurrentUpdate);
    assert!(err.message().contains("2 restarts"));
    assert_eq!(server.seen().len(), 6, "3 passes of 2 pages");
    // list_page itself reports 139102 without restarting.
    assert_eq!(
        c.list_page(Some(1), Cursor::After("A")).unwrap_err().kind(),
        ErrorKind::ConcurrentUpdate
    );
}

#[test]
fn a_repeated_cursor_ends_the_iterator() {
    let server = Responder::start(|req| {
        let user = if req.query.contains("after") {
            "2"
        } else {
            "1"
        };
        Reply::json(
            200,
            json!({"data": [{"wa_id": user}], "paging": {"cursors": {"after": "SAME"}, "next": "n"}}),
        )
    });
    let c = client(&server.url).build().unwrap();
    let got: Vec<_> = c
        .blocked_users(Some(1))
        .map(|u| u.unwrap().wa_id.unwrap())
        .collect();
    assert_eq!(got, ["1", "2"]);
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn is_blocked_walks_the_list() {
    let server = list_server(users(5));
    let c = client(&server.url).build().unwrap();
    assert!(c.is_blocked("+1 555 000 0004").unwrap());
    assert!(!c.is_blocked("15559999999").unwrap());
    assert_eq!(
        c.is_blocked("nope").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn cursor_and_limit_arguments_are_checked_before_any_request() {
    let server = list_server(users(1));
    let c = client(&server.url).build().unwrap();
    let long = "x".repeat(4097);
    for (limit, after, before) in [
        (Some(0), None, None),
        (None, Some(long.as_str()), None),
        (None, Some(""), None),
        (None, Some("a"), Some("b")),
    ] {
        assert_eq!(
            Cursor::from_options(after, before)
                .and_then(|cursor| c.list_page(limit, cursor))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
    }
    assert!(server.seen().is_empty());
    let server = Responder::script(vec![Reply::json(200, json!({"data": []}))]);
    assert!(
        client(&server.url)
            .build()
            .unwrap()
            .list_page(None, Cursor::After(&"x".repeat(4096)))
            .is_ok()
    );
}

#[test]
fn list_errors_are_retried_and_classified() {
    let server = Responder::script(vec![
        Reply::raw(502, "<html>oops</html>"),
        Reply::json(200, json!({"data": [{"wa_id": "1"}]})),
    ]);
    let page = client(&server.url)
        .build()
        .unwrap()
        .list_page(None, Cursor::First)
        .unwrap();
    assert_eq!((page.users.len(), page.has_more), (1, false));
    let server = Responder::script(vec![Reply::json(200, json!({"data": "nope"}))]);
    assert_eq!(
        client(&server.url)
            .build()
            .unwrap()
            .list_page(None, Cursor::First)
            .unwrap_err()
            .kind(),
        ErrorKind::Protocol
    );
}
