//! Scripted responses (status, headers, body, delay, dropped connections) and the request log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

#[test]
fn scripted_status_headers_and_bodies_in_fifo_order() {
    let sb = start();
    inbound(&sb, PN, "15550001111");
    control(
        &sb,
        "POST",
        "/_sandbox/script",
        Some(json!({"responses": [
            {"status": 500, "headers": {"Retry-After": "2"}, "body": "{\"error\":\"boom\"}"},
            {"status": 429, "json": {"error": {"message": "x", "type": "OAuthException", "code": 130429}}},
            {"status": 200, "body": "not json", "headers": {"Content-Type": "text/plain"}}
        ]})),
    );
    assert_eq!(control(&sb, "GET", "/_sandbox/script", None)["queued"], 3);
    let target = format!("/v25.0/{PN}/block_users");
    let body = users(&["15550001111"]).to_string();
    let auth = [("Authorization", "Bearer sandbox-token")];
    let r = request(sb.addr(), "POST", &target, &auth, Some(&body));
    assert_eq!(r.status, 500);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.body, br#"{"error":"boom"}"#);
    let r = request(sb.addr(), "POST", &target, &auth, Some(&body));
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"]["code"], 130429);
    // Scripts replace the real logic, auth included.
    let r = request(sb.addr(), "GET", &target, &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.body, b"not json");
    // Queue empty: real logic again; the scripted POSTs changed no state.
    assert!(blocked_wa_ids(&sb, PN).is_empty());
    let r = meta(&sb, "POST", PN, "", Some(&users(&["15550001111"])));
    assert_eq!(r.status, 200);
    assert_eq!(blocked_wa_ids(&sb, PN), vec!["15550001111"]);
}

#[test]
fn scripted_delay() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/script",
        Some(json!({"responses": [{"status": 200, "json": {"data": []}, "delay_ms": 300}]})),
    );
    let t = Instant::now();
    let r = meta(&sb, "GET", PN, "", None);
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json(), json!({"data": []}));
    // A client with a short read timeout sees a timeout.
    control(
        &sb,
        "POST",
        "/_sandbox/script",
        Some(json!({"responses": [{"status": 200, "json": {"data": []}, "delay_ms": 1500}]})),
    );
    let req = build_request("GET", "/block_users", &[], None);
    let err = raw_exchange(sb.addr(), &req, Duration::from_millis(200)).unwrap_err();
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
}

#[test]
fn drop_before_response() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/script",
        Some(json!({"responses": [{"fault": "drop_before_response"}]})),
    );
    let req = build_request(
        "GET",
        "/block_users",
        &[("D360-API-KEY", "sandbox-key")],
        None,
    );
    let bytes = raw_exchange(sb.addr(), &req, Duration::from_secs(5)).unwrap_or_default();
    assert!(bytes.is_empty(), "{}", String::from_utf8_lossy(&bytes));
    // The next request is served normally.
    assert_eq!(d360(&sb, "GET", "", None).status, 200);
}

#[test]
fn drop_mid_body() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/script",
        Some(json!({"responses": [
            {"status": 200, "json": {"data": [{"messaging_product": "whatsapp", "wa_id": "15550001111"}]},
             "fault": "drop_mid_body"},
            {"status": 502, "fault": "drop_mid_body"}
        ]})),
    );
    for _ in 0..2 {
        let req = build_request("GET", "/block_users", &[], None);
        let bytes = raw_exchange(sb.addr(), &req, Duration::from_secs(5)).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        assert!(body.len() < len, "{text}");
        assert!(!body.is_empty());
    }
}

#[test]
fn request_log_records_api_requests_without_secrets() {
    let sb = start();
    inbound(&sb, PN, "15550001111");
    meta(&sb, "POST", PN, "", Some(&users(&["15550001111"])));
    meta(&sb, "GET", PN, "limit=5", None);
    d360(&sb, "DELETE", "", Some(&users(&["15550001111"])));
    request(sb.addr(), "GET", "/block_users", &[], None);
    control(&sb, "GET", "/_sandbox/state?phone_number_id=1", None);
    let log = control(&sb, "GET", "/_sandbox/requests", None);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 4, "control requests are not logged");
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], format!("/v25.0/{PN}/block_users"));
    assert_eq!(log[0]["auth"], "bearer");
    assert_eq!(log[0]["body"], users(&["15550001111"]));
    assert_eq!(log[0]["query"], serde_json::Value::Null);
    assert_eq!(log[1]["query"], "limit=5");
    assert_eq!(log[1]["params"], json!({"limit": "5"}));
    assert_eq!(log[2]["auth"], "d360");
    assert_eq!(log[2]["method"], "DELETE");
    assert_eq!(log[3]["auth"], serde_json::Value::Null);
    let text = serde_json::Value::Array(log.clone()).to_string();
    assert!(!text.contains("sandbox-token") && !text.contains("sandbox-key"));
    control(&sb, "DELETE", "/_sandbox/requests", None);
    assert_eq!(control(&sb, "GET", "/_sandbox/requests", None), json!([]));
    assert_eq!(sb.requests(), json!([]));
}

#[test]
fn control_errors_are_400() {
    let sb = start();
    for (path, body) in [
        (
            "/_sandbox/script",
            json!({"responses": [{"fault": "explode"}]}),
        ),
        ("/_sandbox/script", json!({})),
        ("/_sandbox/inbound", json!({"phone_number_id": PN})),
        (
            "/_sandbox/inbound",
            json!({"phone_number_id": PN, "wa_id": "abc"}),
        ),
        ("/_sandbox/config", json!({"mixed_style": "300"})),
        ("/_sandbox/clock", json!({})),
        (
            "/_sandbox/phone",
            json!({"phone_number_id": PN, "blocked": ["nope"]}),
        ),
    ] {
        let r = request(sb.addr(), "POST", path, &[], Some(&body.to_string()));
        assert_eq!(r.status, 400, "{path} {body}");
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn latency_is_injected() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"latency_ms": 200})),
    );
    let t = Instant::now();
    meta(&sb, "GET", PN, "", None);
    assert!(t.elapsed() >= Duration::from_millis(200));
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"latency_ms": 0})),
    );
}
