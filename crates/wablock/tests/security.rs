//! docs/behaviour.md §4: secrets never printed, https only, no redirects, bounded inputs; and from_env.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;
use wablock::{Client, ClientBuilder, ErrorKind};

const TOKEN: &str = "TOKEN-s3cr3t-value";

#[test]
fn the_token_is_in_no_debug_display_or_error_string() {
    // A server that echoes the token back in every field it can.
    let echo = format!("Invalid token {TOKEN}");
    let server = Responder::script(vec![Reply::json(
        401,
        json!({"error": {"message": echo, "code": 190, "error_data": {"details": echo}}}),
    )]);
    let builder = client(&server.url);
    let c = builder.clone().build().unwrap();
    let err = c.block(["15550001111"]).unwrap_err();
    for text in [
        format!("{builder:?}"),
        format!("{c:?}"),
        format!("{err}"),
        format!("{err:?}"),
        err.to_canonical_json(),
        format!("{:?}", wablock::Secret::new(TOKEN)),
        format!("{}", wablock::Secret::new(TOKEN)),
    ] {
        assert!(!text.contains(TOKEN), "secret leaked in: {text}");
    }
    assert!(err.message().contains("[redacted]"));
    // ...while the request really carried it.
    assert_eq!(
        server.seen()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn plain_http_only_to_loopback_unless_allowed() {
    let refused = Client::meta("1000", TOKEN)
        .base_url("http://graph.example.com")
        .build()
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidArgument);
    assert!(refused.message().contains("allow_insecure_http"));
    for ok in [
        "http://localhost:1",
        "http://127.0.0.2:9",
        "http://[::1]:80",
        "https://graph.example.com",
    ] {
        assert!(
            Client::meta("1000", TOKEN).base_url(ok).build().is_ok(),
            "{ok}"
        );
    }
    assert!(
        Client::meta("1000", TOKEN)
            .base_url("http://graph.example.com")
            .allow_insecure_http(true)
            .build()
            .is_ok()
    );
    assert!(
        Client::meta("1000", TOKEN)
            .base_url("ftp://x")
            .build()
            .is_err()
    );
}

#[test]
fn redirects_are_not_followed() {
    let target = Responder::start(|req| confirm_all(req, "added_users"));
    let location = format!("{}/elsewhere", target.url);
    let server = Responder::script(vec![Reply::raw(307, "").header("Location", &location)]);
    let err = client(&server.url)
        .build()
        .unwrap()
        .block(["15550001111"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.http_status(), Some(307));
    assert!(
        target.seen().is_empty(),
        "the token never left for the redirect target"
    );
}

#[test]
fn builder_validation_names_the_problem() {
    let cases: Vec<(ClientBuilder, &str)> = vec![
        (Client::meta("1000", TOKEN).max_batch(1001), "max_batch"),
        (Client::meta("1000", TOKEN).max_batch(0), "max_batch"),
        (Client::meta("1000", TOKEN).parallelism(17), "parallelism"),
        (Client::meta("1000", TOKEN).api_version("25"), "api_version"),
        (Client::meta("+1 650", TOKEN), "phone_number_id"),
        (Client::meta("1000", ""), "token"),
        (Client::meta("1000", "a b"), "token"),
        (
            Client::meta("1000", TOKEN).base_url("not a url"),
            "base URL",
        ),
        (
            Client::meta("1000", TOKEN).retry_policy(wablock::RetryPolicy {
                max_attempts: 0,
                ..Default::default()
            }),
            "max_attempts",
        ),
    ];
    for (builder, needle) in cases {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(
            err.message().contains(needle),
            "{needle}: {}",
            err.message()
        );
        assert!(!err.message().contains(TOKEN));
    }
}

#[test]
fn from_env_reads_and_names_missing_variables() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let c = ClientBuilder::from_lookup(env(&[
        ("WABLOCK_PHONE_NUMBER_ID", "42"),
        ("WABLOCK_ACCESS_TOKEN", TOKEN),
        ("WABLOCK_API_VERSION", "v23.0"),
        ("WABLOCK_BASE_URL", "http://127.0.0.1:9"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(c.endpoint(), "http://127.0.0.1:9/v23.0/42/block_users");
    let c = ClientBuilder::from_lookup(env(&[
        ("WABLOCK_PROVIDER", "360dialog"),
        ("WABLOCK_API_KEY", "KEY-abcdef"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(c.endpoint(), "https://waba-v2.360dialog.io/block_users");
    assert_eq!(c.provider(), wablock::Provider::Dialog360);
    let err = ClientBuilder::from_lookup(env(&[("WABLOCK_PHONE_NUMBER_ID", "42")])).unwrap_err();
    assert!(
        err.message().contains("WABLOCK_ACCESS_TOKEN"),
        "{}",
        err.message()
    );
    let err = ClientBuilder::from_lookup(env(&[("WABLOCK_PROVIDER", "360dialog")])).unwrap_err();
    assert!(err.message().contains("WABLOCK_API_KEY"));
    let err = ClientBuilder::from_lookup(env(&[("WABLOCK_PROVIDER", "twilio")])).unwrap_err();
    assert!(err.message().contains("WABLOCK_PROVIDER"));
    let err = ClientBuilder::from_lookup(env(&[
        ("WABLOCK_PHONE_NUMBER_ID", "42"),
        ("WABLOCK_ACCESS_TOKEN", TOKEN),
        ("WABLOCK_API_VERSION", "latest"),
    ]))
    .unwrap()
    .build()
    .unwrap_err();
    assert!(err.message().contains("api_version"));
}

#[test]
fn user_strings_over_256_bytes_are_invalid_users() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let long = "1".repeat(257);
    let outcome = client(&server.url)
        .build()
        .unwrap()
        .block([long.as_str(), "15550001111"])
        .unwrap();
    assert_eq!(outcome.failed[0].reason, wablock::Reason::InvalidUser);
    assert_eq!(server.seen()[0].users(), ["15550001111"]);
}

#[test]
fn sequential_calls_on_one_client_reuse_one_connection() {
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let c = client(&server.url).build().unwrap();
    for i in 0..10 {
        assert!(c.block([format!("155500{i:05}")]).unwrap().is_ok());
    }
    assert_eq!(server.seen().len(), 10);
    // Keep-alive: ten calls, one TCP connection. Without reuse this would be ten.
    assert_eq!(server.connections_accepted(), 1);
}

#[test]
fn one_client_is_shared_across_threads_and_reuses_connections() {
    const THREADS: usize = 4;
    let server = Responder::start(|req| confirm_all(req, "added_users"));
    let c = client(&server.url).build().unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let c = &c;
            s.spawn(move || {
                for i in 0..5 {
                    assert!(c.block([format!("1555{t}00{i:04}")]).unwrap().is_ok());
                }
            });
        }
    });
    assert_eq!(server.seen().len(), 20);
    // At most one request per thread is in flight at a time, so pooled connections cover
    // all 20 calls: never more connections than threads (20 without reuse).
    let connections = server.connections_accepted();
    assert!(
        (1..=THREADS).contains(&connections),
        "{connections} connections for 20 calls on {THREADS} threads"
    );
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Client>();
}
