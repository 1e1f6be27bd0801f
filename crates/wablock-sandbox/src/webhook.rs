//! The webhook Meta would deliver for an inbound message: its payload, its
//! `X-Hub-Signature-256` under the sandbox's app secret, and a plain-HTTP delivery to a
//! receiver on loopback (`--webhook-url`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::WABA_ID;
use crate::http::Delivery;

/// Meta's `messages` webhook for one text message from `wa_id` and/or the BSUID `user_id`.
pub(crate) fn payload(
    phone_number_id: &str,
    own_wa_id: Option<&str>,
    wa_id: Option<&str>,
    user_id: Option<&str>,
    wamid: &str,
    sent_secs: i64,
) -> Value {
    let mut contact = json!({"profile": {"name": "Sandbox user"}});
    let mut message = json!({
        "id": wamid,
        "timestamp": sent_secs.to_string(),
        "type": "text",
        "text": {"body": "Hello from the sandbox"},
    });
    if let Some(w) = wa_id {
        contact["wa_id"] = json!(w);
        message["from"] = json!(w);
    }
    if let Some(u) = user_id {
        contact["user_id"] = json!(u);
        message["from_user_id"] = json!(u);
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": WABA_ID,
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {
                        "display_phone_number": own_wa_id.unwrap_or(phone_number_id),
                        "phone_number_id": phone_number_id,
                    },
                    "contacts": [contact],
                    "messages": [message],
                },
            }],
        }],
    })
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, as Meta sends in `X-Hub-Signature-256`.
pub(crate) fn signature(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Accepts `http://host:port/path` (the sandbox delivers over plain HTTP, for receivers on
/// loopback or behind the test's own proxy).
pub(crate) fn check_url(url: &str) -> Result<String, String> {
    split_url(url).map(|_| url.to_string())
}

fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("webhook_url {url:?} must start with http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains(['@', ' ']) {
        return Err(format!("webhook_url {url:?} has no usable host"));
    }
    let authority = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok((authority, path.to_string()))
}

/// POSTs the payload with its signature; `{"status": N}` or `{"error": "…"}`.
pub(crate) fn deliver(d: &Delivery) -> Value {
    match post(d) {
        Ok(status) => json!({"url": d.url, "status": status}),
        Err(e) => json!({"url": d.url, "error": e}),
    }
}

fn post(d: &Delivery) -> Result<u16, String> {
    let (authority, path) = split_url(&d.url)?;
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {authority}"))?;
    let timeout = Duration::from_secs(30);
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         X-Hub-Signature-256: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        d.signature,
        d.body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&d.body))
        .map_err(|e| format!("cannot send to {authority}: {e}"))?;
    let mut answer = Vec::new();
    let _ = stream.take(64 * 1024).read_to_end(&mut answer);
    let line = answer.split(|b| *b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(line);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{authority} sent no HTTP status line"))
}
