//! docs/behaviour.md §4, thoroughly: the token or API key is in no string form of any object or error
//! (Debug, Display, canonical JSON) along many error paths, servers echoing it included;
//! plain http only to loopback; no redirect followed; the 8 MiB body, 256-byte user and 4 KiB
//! cursor caps hold at their exact edges.
//!
//! Tests named `regression_*` pin bugs these tests found in the core, since fixed (see
//! docs/reliability.md, "Findings").
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use wablock::{
    Client, ClientBuilder, Cursor, Error, ErrorKind, Outcome, Page, Reason, RetryPolicy,
};

const TOKEN: &str = "EAAGm0PX4ZCpsBAKtok3nSECRETvalue";
const API_KEY: &str = "d360-SECRET-api-key-0042";

fn meta(url: &str) -> ClientBuilder {
    Client::meta("1000", TOKEN)
        .base_url(url)
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            jitter: false,
        })
        .read_timeout(Duration::from_secs(5))
}

fn d360(url: &str) -> ClientBuilder {
    Client::dialog360(API_KEY)
        .base_url(url)
        .retry_policy(RetryPolicy::none())
}

/// Every string form wablock offers for an error, partial outcome included.
fn error_forms(err: &Error) -> Vec<String> {
    let mut forms = vec![
        format!("{err}"),
        format!("{err:?}"),
        format!("{err:#?}"),
        err.to_canonical_json(),
        err.to_json_value().to_string(),
        err.message().to_string(),
        format!("{:?}", err.details()),
        format!("{:?}", err.fbtrace_id()),
        format!("{:?}", err.not_attempted()),
        format!("{}", err.kind()),
    ];
    if let Some(p) = err.partial() {
        forms.extend(outcome_forms(p));
    }
    forms
}

fn outcome_forms(o: &Outcome) -> Vec<String> {
    let mut forms = vec![
        format!("{o:?}"),
        format!("{o:#?}"),
        o.to_canonical_json(),
        o.to_json_value().to_string(),
    ];
    for f in &o.failed {
        forms.push(format!("{f:?} {} {}", f.reason, f.message));
    }
    forms
}

fn page_forms(p: &Page) -> Vec<String> {
    vec![
        format!("{p:?}"),
        p.to_canonical_json(),
        p.to_json_value().to_string(),
    ]
}

#[track_caller]
fn assert_clean(forms: &[String], secret: &str, what: &str) {
    for text in forms {
        assert!(
            !text.contains(secret),
            "{what}: the secret leaked in: {text}"
        );
    }
}

/// Whole-call error bodies that echo the token in every field the envelope has.
fn echoing_error_replies(secret: &str) -> Vec<(&'static str, Reply)> {
    let echo = format!("Invalid token {secret}");
    vec![
        (
            "graph 401 message/details/user_msg",
            Reply::json(
                401,
                json!({"error": {"message": echo, "type": "OAuthException", "code": 190,
                "error_data": {"details": echo}, "error_user_msg": echo, "error_user_title": echo}}),
            ),
        ),
        (
            "graph 400 flat error_data",
            Reply::json(
                400,
                json!({"error": {"message": echo, "code": 100, "error_data": echo}}),
            ),
        ),
        (
            "graph error_user_msg only",
            Reply::json(
                400,
                json!({"error": {"code": 131008, "error_user_msg": echo}}),
            ),
        ),
        (
            "360dialog text error",
            Reply::json(401, json!({"error": echo})),
        ),
        (
            "500 transient",
            Reply::json(
                500,
                json!({"error": {"message": echo, "code": 2, "is_transient": true}}),
            ),
        ),
        (
            "HTML page with the token",
            Reply::raw(502, format!("<html><body>{echo}</body></html>"))
                .header("Content-Type", "text/html"),
        ),
        (
            "200 not JSON",
            Reply::raw(200, format!("<html>{echo}</html>")),
        ),
        (
            "200 wrong type quoting the token",
            Reply::json(
                200,
                json!({"messaging_product": "whatsapp", "block_users": {"added_users": echo}}),
            ),
        ),
        (
            // (A wrong type inside one per-user item no longer fails the call: behaviour 1.1.)
            "200 failed_users of the wrong type quoting the token",
            Reply::json(200, json!({"block_users": {"failed_users": echo}})),
        ),
        (
            "redirect with the token in Location",
            Reply::raw(307, "").header("Location", &format!("http://127.0.0.1:9/?t={secret}")),
        ),
        (
            "rate limited with a huge Retry-After",
            Reply::json(429, json!({"error": {"message": echo, "code": 130429}}))
                .header("Retry-After", "3600"),
        ),
        (
            "139101 whole request",
            Reply::json(400, json!({"error": {"message": echo, "code": 139101}})),
        ),
    ]
}

#[test]
fn no_secret_in_builders_and_clients_of_either_provider() {
    let builders = vec![
        Client::meta("1000", TOKEN),
        meta("http://127.0.0.1:9"),
        meta("https://graph.example.com/prefix/")
            .api_version("v23.0")
            .deadline(Some(Duration::from_secs(3)))
            .max_batch(10)
            .parallelism(16)
            .allow_insecure_http(true)
            .max_response_bytes(1024)
            .list_restart_budget(9),
        Client::dialog360(API_KEY),
        d360("http://localhost:1"),
    ];
    for b in builders {
        let forms = vec![format!("{b:?}"), format!("{b:#?}")];
        assert_clean(&forms, TOKEN, "builder");
        assert_clean(&forms, API_KEY, "builder");
        let c = b.build().unwrap();
        let forms = vec![
            format!("{c:?}"),
            format!("{c:#?}"),
            c.endpoint().to_string(),
            format!("{:?}", c.blocked_users(Some(5))),
        ];
        assert_clean(&forms, TOKEN, "client");
        assert_clean(&forms, API_KEY, "client");
    }
}

#[test]
fn no_secret_in_builder_errors() {
    // Every validation error, with the secret set: none may quote it.
    let failing = vec![
        Client::meta("1000", TOKEN).max_batch(0),
        Client::meta("1000", TOKEN).parallelism(0),
        Client::meta("1000", TOKEN).api_version("latest"),
        Client::meta("not a phone number id", TOKEN),
        Client::meta("1000", TOKEN).base_url("http://graph.example.com"),
        Client::meta("1000", TOKEN).base_url("ftp://graph.example.com"),
        Client::meta("1000", TOKEN).base_url("::not a url::"),
        Client::meta("1000", TOKEN).read_timeout(Duration::ZERO),
        Client::meta("1000", TOKEN).max_response_bytes(0),
        Client::dialog360(API_KEY).base_url("http://waba.example.com"),
        Client::meta("1000", format!("{TOKEN} with a space")),
        Client::meta("1000", format!("{TOKEN}\n")),
        Client::dialog360(format!("{API_KEY}\t")),
    ];
    for b in failing {
        let err = b.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert_clean(&error_forms(&err), TOKEN, "builder error");
        assert_clean(&error_forms(&err), API_KEY, "builder error");
    }
}

#[test]
fn no_secret_in_errors_when_the_server_echoes_it_back() {
    for (secret, dialect) in [(TOKEN, "meta"), (API_KEY, "360dialog")] {
        for (what, reply) in echoing_error_replies(secret) {
            let server = Responder::script(vec![reply]);
            let client = if dialect == "meta" {
                meta(&server.url)
            } else {
                d360(&server.url)
            }
            .build()
            .unwrap();
            // Through block, unblock and a list page: each decodes errors its own way.
            let mut errors = vec![
                client.block(["15550001111", "not a user"]).unwrap_err(),
                client.unblock(["+1 555 000 1111"]).unwrap_err(),
                client.list_page(Some(5), Cursor::First).unwrap_err(),
            ];
            if let Some(Err(e)) = client.blocked_users(Some(5)).next() {
                errors.push(e);
            }
            for err in &errors {
                assert_clean(&error_forms(err), secret, &format!("{dialect}: {what}"));
            }
            // The requests really carried the secret, so the test could have failed.
            let seen = server.seen();
            assert!(!seen.is_empty());
            let header = seen[0]
                .header("authorization")
                .or(seen[0].header("d360-api-key"))
                .unwrap_or_default();
            assert!(header.contains(secret));
        }
    }
}

#[test]
fn no_secret_in_transport_errors() {
    // Connection refused, dropped, and timed out: fixed messages, no URL, no header.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        drop(l);
        url
    };
    let dropped = Responder::script(vec![Reply::dropped()]);
    let slow = Responder::script(vec![
        Reply::json(200, json!({"data": []})).delayed(Duration::from_millis(400)),
    ]);
    for (url, kind) in [
        (refused.as_str(), ErrorKind::Network),
        (dropped.url.as_str(), ErrorKind::Network),
        (slow.url.as_str(), ErrorKind::Timeout),
    ] {
        let client = meta(url)
            .read_timeout(Duration::from_millis(100))
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let err = client.block(["15550001111"]).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_clean(&error_forms(&err), TOKEN, url);
        let err = client.list_page(None, Cursor::First).unwrap_err();
        assert_clean(&error_forms(&err), TOKEN, url);
    }
}

#[test]
fn no_secret_in_outcomes_of_well_behaved_servers() {
    let server = Responder::start(|req| {
        let users = req.users();
        let failed = vec![failed_item(&users[1], 131047, "Re-engagement required")];
        Reply::json(
            200,
            json!({"messaging_product": "whatsapp", "block_users": {
                "added_users": [{"input": users[0], "wa_id": users[0].trim_start_matches('+')}],
                "failed_users": failed}}),
        )
    });
    let o = meta(&server.url)
        .build()
        .unwrap()
        .block(["+16505551234", "16505550000", "16505550001", "bogus"])
        .unwrap();
    assert_eq!(o.failed.len(), 3);
    assert!(o.failed.iter().any(|f| f.reason == Reason::Unconfirmed));
    assert_clean(&outcome_forms(&o), TOKEN, "outcome");
}

/// CORE BUG: `fbtrace_id` is copied from the server without scrubbing, so a server (or a
/// proxy) that echoes the token there leaks it into `Error`'s Debug and canonical JSON.
#[test]
fn regression_fbtrace_id_echoing_the_token_is_scrubbed() {
    let server = Responder::script(vec![Reply::json(
        401,
        json!({"error": {"message": "bad token", "code": 190, "fbtrace_id": format!("trace-{TOKEN}")}}),
    )]);
    let err = meta(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap_err();
    assert_clean(&error_forms(&err), TOKEN, "fbtrace_id echo");
}

/// CORE BUG: per-user refusals (`failed_users[].errors[].message`, `error_data.details`,
/// `wa_id`, `user_id`) and confirmed items are copied into the `Outcome` without scrubbing.
#[test]
fn regression_per_user_messages_echoing_the_token_are_scrubbed() {
    let echo = format!("token {TOKEN} rejected");
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"messaging_product": "whatsapp", "block_users": {"added_users": [],
            "failed_users": [{"input": "15550001111", "wa_id": "15550001111",
                "errors": [{"message": echo, "code": 131047, "error_data": {"details": echo}}]}]}}),
    )]);
    let o = meta(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap();
    assert_eq!(o.failed[0].reason, Reason::ReengagementRequired);
    assert_clean(&outcome_forms(&o), TOKEN, "per-user message echo");
}

/// CORE BUG: list pages copy cursors and ids from the server without scrubbing.
#[test]
fn regression_list_cursor_echoing_the_token_is_scrubbed() {
    let server = Responder::script(vec![Reply::json(
        200,
        json!({"data": [{"wa_id": "16505551234"}],
            "paging": {"cursors": {"after": format!("a-{TOKEN}"), "before": "b"}}}),
    )]);
    let page = meta(&server.url)
        .build()
        .unwrap()
        .list_page(Some(1), Cursor::First)
        .unwrap();
    assert_clean(&page_forms(&page), TOKEN, "cursor echo");
}

/// CORE BUG: a base URL that carries the token (`?access_token=…`, a habit from Graph API
/// examples) is refused, but the refusal quotes the URL, token and all.
#[test]
fn regression_base_url_error_never_quotes_an_embedded_token() {
    let err = Client::meta("1000", TOKEN)
        .base_url(format!("https://graph.facebook.com/?access_token={TOKEN}"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_clean(&error_forms(&err), TOKEN, "base URL error");
}

#[test]
fn plain_http_is_refused_for_every_non_loopback_spelling() {
    for url in [
        "http://graph.facebook.com",
        "http://example.com:80",
        "http://10.0.0.1",
        "http://192.168.1.10:8080",
        "http://0.0.0.0:1234",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://evil.com/127.0.0.1",
        "http://user@evil.com",
        "http://127.0.0.1@evil.com",
        "http://[::ffff:10.0.0.1]",
        "http://[2001:db8::1]",
        "HTTP://graph.facebook.com",
        "ws://127.0.0.1:1",
        "file:///etc/passwd",
        "graph.facebook.com",
        "//graph.facebook.com",
    ] {
        for b in [Client::meta("1000", TOKEN), Client::dialog360(API_KEY)] {
            let err = b.base_url(url).build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{url}: {err}");
        }
    }
    for url in [
        "http://localhost",
        "http://LOCALHOST:8080",
        "http://127.0.0.1:1",
        "http://127.255.255.254",
        "http://[::1]:9",
        "https://graph.facebook.com",
        "https://10.0.0.1:8443/proxy",
    ] {
        assert!(
            Client::meta("1000", TOKEN).base_url(url).build().is_ok(),
            "{url} should be allowed"
        );
    }
    // The explicit switch is the only way to send the token in clear elsewhere.
    assert!(
        Client::meta("1000", TOKEN)
            .base_url("http://10.0.0.1")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
}

#[test]
fn no_redirect_is_followed_by_any_operation() {
    for status in [301, 302, 303, 307, 308] {
        let target = Responder::start(|req| confirm_all(req, "added_users"));
        let location = format!("{}/v25.0/1000/block_users", target.url);
        let server = Responder::script(vec![Reply::raw(status, "").header("Location", &location)]);
        let c = meta(&server.url).build().unwrap();
        let errs = [
            c.block(["15550001111"]).unwrap_err(),
            c.unblock(["15550001111"]).unwrap_err(),
            c.list_page(None, Cursor::First).unwrap_err(),
            c.blocked_users(None).next().unwrap().unwrap_err(),
        ];
        for err in &errs {
            assert_eq!(err.kind(), ErrorKind::Protocol, "{status}: {err}");
            assert_eq!(err.http_status(), Some(status));
            assert!(!err.is_retryable());
        }
        assert!(
            target.seen().is_empty(),
            "HTTP {status}: a request followed the redirect"
        );
        // One request per call: not retried, not followed.
        assert_eq!(server.seen().len(), 4);
    }
}

fn padded_page(total: usize) -> Vec<u8> {
    let mut body = br#"{"data":[{"wa_id":"16505551234"}]}"#.to_vec();
    body.resize(total, b' ');
    body
}

/// CORE BUG: ureq's `limit(n)` fails once `n` bytes have been read (it probes for EOF past
/// the limit), so a body of exactly 8 MiB, which the cap allows, is refused as too large.
#[test]
fn regression_a_body_of_exactly_8_mib_is_accepted() {
    let cap = wablock::DEFAULT_MAX_RESPONSE_BYTES as usize;
    let exact = Responder::script(vec![Reply::raw(200, padded_page(cap))]);
    let page = meta(&exact.url)
        .build()
        .unwrap()
        .list_page(None, Cursor::First)
        .unwrap();
    assert_eq!(page.users.len(), 1, "a body of exactly 8 MiB is read");
}

#[test]
fn the_8_mib_body_cap_holds() {
    assert_eq!(wablock::DEFAULT_MAX_RESPONSE_BYTES, 8 * 1024 * 1024);
    let cap = wablock::DEFAULT_MAX_RESPONSE_BYTES as usize;
    let under = Responder::script(vec![Reply::raw(200, padded_page(cap - 1))]);
    let page = meta(&under.url)
        .build()
        .unwrap()
        .list_page(None, Cursor::First)
        .unwrap();
    assert_eq!(page.users.len(), 1, "a body just under 8 MiB is read");

    let over = Responder::script(vec![Reply::raw(200, padded_page(cap + 1))]);
    let c = meta(&over.url).build().unwrap();
    let err = c.list_page(None, Cursor::First).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert!(!err.is_retryable());
    // Block, and an error page over the cap: PROTOCOL too, never retried.
    let err = c.block(["15550001111"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    let mut html = b"<html>".to_vec();
    html.resize(cap + 10, b'x');
    let big_500 = Responder::script(vec![Reply::raw(500, html)]);
    let err = meta(&big_500.url)
        .build()
        .unwrap()
        .unblock(["15550001111"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    assert_eq!(big_500.seen().len(), 1, "an over-cap body is not retried");
    assert_eq!(err.not_attempted(), ["15550001111"]);

    // A smaller configured cap is honoured the same way.
    let small = Responder::script(vec![Reply::raw(200, padded_page(1024 + 1))]);
    let err = meta(&small.url)
        .max_response_bytes(1024)
        .build()
        .unwrap()
        .list_page(None, Cursor::First)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[test]
fn the_256_byte_user_cap_holds_at_its_edge() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let c = meta(&server.url).build().unwrap();
    let pad = |core: &str, len: usize| format!("{core}{}", " ".repeat(len - core.len()));
    let at_cap = pad("+1 650 555 1234", 256);
    let over_cap = pad("+1 650 555 1235", 257);
    // Multi-byte: 254 ASCII bytes + "é" (2 bytes) = 256; + "€" (3 bytes) = 257.
    let multibyte_over = format!("{}€", pad("16505551236", 254));
    let bsuid_max = format!("US.{}", "7".repeat(128));
    let bsuid_over = format!("US.{}", "7".repeat(129));
    let o = c
        .block([
            at_cap.as_str(),
            over_cap.as_str(),
            multibyte_over.as_str(),
            bsuid_max.as_str(),
            bsuid_over.as_str(),
        ])
        .unwrap();
    let ok: Vec<&str> = o.succeeded.iter().map(|s| s.sent.as_str()).collect();
    assert_eq!(ok, ["+16505551234", bsuid_max.as_str()]);
    let invalid: Vec<&str> = o
        .failed
        .iter()
        .filter(|f| f.reason == Reason::InvalidUser && f.sent.is_none())
        .map(|f| f.input.as_str())
        .collect();
    assert_eq!(
        invalid,
        [
            over_cap.as_str(),
            multibyte_over.as_str(),
            bsuid_over.as_str()
        ]
    );
    assert!(o.failed[0].message.contains("256"));
    assert_eq!(server.seen().len(), 1);
    assert_eq!(
        server.seen()[0].users(),
        ["+16505551234", bsuid_max.as_str()]
    );
    // A call of only over-cap users sends nothing at all.
    let o = c
        .block([over_cap.as_str(), "x".repeat(100_000).as_str()])
        .unwrap();
    assert_eq!(o.failed.len(), 2);
    assert_eq!(o.requests, 0);
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn the_4_kib_cursor_cap_holds_at_its_edge() {
    assert_eq!(wablock::MAX_CURSOR_BYTES, 4096);
    let server = Responder::script(vec![Reply::json(200, json!({"data": []}))]);
    let c = meta(&server.url).build().unwrap();
    let at_cap = "A".repeat(4096);
    let over = "A".repeat(4097);
    let multibyte_over = format!("{}é", "A".repeat(4095));
    c.list_page(Some(10), Cursor::After(&at_cap)).unwrap();
    c.list_page(Some(10), Cursor::Before(&at_cap)).unwrap();
    assert_eq!(server.seen().len(), 2);
    assert!(server.seen()[0].query.contains(&at_cap));
    for (after, before) in [
        (Some(over.as_str()), None),
        (None, Some(over.as_str())),
        (Some(multibyte_over.as_str()), None),
        (Some(""), None),
        (Some("a"), Some("b")),
    ] {
        let err = Cursor::from_options(after, before)
            .and_then(|cursor| c.list_page(Some(10), cursor))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.http_status().is_none());
    }
    assert_eq!(server.seen().len(), 2, "refused cursors are never sent");
}

#[test]
fn refused_cursor_errors_do_not_quote_the_cursor_or_secret() {
    let c = meta("http://127.0.0.1:9").build().unwrap();
    let cursor = format!("{TOKEN}{}", "Z".repeat(5000));
    let err = c.list_page(None, Cursor::After(&cursor)).unwrap_err();
    assert_clean(&error_forms(&err), TOKEN, "cursor error");
    let v: Value = serde_json::from_str(&err.to_canonical_json()).unwrap();
    assert_eq!(v["error"]["kind"], "INVALID_ARGUMENT");
}
