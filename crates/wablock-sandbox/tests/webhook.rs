//! `POST /_sandbox/inbound` answers the webhook Meta would deliver for the message, signed
//! with the sandbox's app secret, and with a `webhook_url` delivers it there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use common::*;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use wablock_sandbox::{DEFAULT_APP_SECRET, SandboxConfig};

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn inbound_returns_the_signed_webhook_meta_would_deliver() {
    let sb = start();
    let r = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "+1 650 555 0000", "seconds_ago": 60})),
    );
    let body = r["webhook_body"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(body).unwrap(), r["webhook"]);
    assert_eq!(
        r["signature"],
        hmac_hex(DEFAULT_APP_SECRET, body.as_bytes())
    );
    let w = &r["webhook"];
    assert_eq!(w["object"], "whatsapp_business_account");
    let value = &w["entry"][0]["changes"][0]["value"];
    assert_eq!(w["entry"][0]["changes"][0]["field"], "messages");
    assert_eq!(value["metadata"]["phone_number_id"], PN);
    assert_eq!(value["contacts"][0]["wa_id"], "16505550000");
    let msg = &value["messages"][0];
    assert_eq!(msg["from"], "16505550000");
    assert!(msg["id"].as_str().unwrap().starts_with("wamid."));
    let ts: i64 = msg["timestamp"].as_str().unwrap().parse().unwrap();
    let now: i64 = control(&sb, "GET", "/_sandbox/clock", None)["now_ms"]
        .as_i64()
        .unwrap()
        / 1000;
    assert!(
        (now - 60 - ts).abs() <= 1,
        "timestamp {ts} is not a minute before {now}"
    );
    assert!(
        r.get("webhook_delivery").is_none(),
        "no webhook_url, no delivery"
    );

    // A second message gets another wamid; a BSUID sender is from_user_id.
    let r2 = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "user_id": "US.13491208655302741918"})),
    );
    let msg2 = &r2["webhook"]["entry"][0]["changes"][0]["value"]["messages"][0];
    assert_ne!(msg2["id"], msg["id"]);
    assert_eq!(msg2["from_user_id"], "US.13491208655302741918");
    assert!(msg2.get("from").is_none());

    // The secret is settable at start and at run time.
    let sb = start_with(SandboxConfig {
        app_secret: "another-app-secret".into(),
        ..SandboxConfig::default()
    });
    let r = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "16505550000"})),
    );
    let body = r["webhook_body"].as_str().unwrap();
    assert_eq!(
        r["signature"],
        hmac_hex("another-app-secret", body.as_bytes())
    );
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"app_secret": "third-secret"})),
    );
    let r = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "16505550000"})),
    );
    let body = r["webhook_body"].as_str().unwrap();
    assert_eq!(r["signature"], hmac_hex("third-secret", body.as_bytes()));
}

#[test]
fn with_a_webhook_url_the_payload_is_posted_there_signed() {
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/whatsapp", receiver.local_addr().unwrap());
    let got = std::thread::spawn(move || {
        let (stream, _) = receiver.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push(line.trim_end().to_string());
        }
        let len: usize = head
            .iter()
            .find_map(|h| {
                h.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap();
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        (head, body)
    });
    let sb = start_with(SandboxConfig {
        webhook_url: Some(url.clone()),
        ..SandboxConfig::default()
    });
    let r = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "16505550000"})),
    );
    let (head, body) = got.join().unwrap();
    assert_eq!(head[0], "POST /hooks/whatsapp HTTP/1.1");
    assert_eq!(body, r["webhook_body"].as_str().unwrap().as_bytes());
    let sig = head
        .iter()
        .find_map(|h| h.strip_prefix("X-Hub-Signature-256: "))
        .unwrap();
    assert_eq!(sig, hmac_hex(DEFAULT_APP_SECRET, &body));
    assert_eq!(r["webhook_delivery"], json!({"url": url, "status": 200}));

    // A receiver that is not there: the inbound is still recorded, the failure reported.
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"webhook_url": "http://127.0.0.1:9/nothing"})),
    );
    let r = control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "16505550001"})),
    );
    assert!(
        r["webhook_delivery"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot connect")
    );
    let resp = request(
        sb.addr(),
        "POST",
        "/_sandbox/config",
        &[],
        Some(&json!({"webhook_url": "https://example.com/"}).to_string()),
    );
    assert_eq!(resp.status, 400);
}
