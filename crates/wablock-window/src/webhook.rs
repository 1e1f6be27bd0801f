//! Meta's WhatsApp Business webhook payloads (360dialog forwards the same shape): the inbound
//! messages they carry, and the `X-Hub-Signature-256` check.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::error::{Error, ErrorKind};

/// Largest webhook body parsed, in bytes. Meta's payloads are a few KiB; anything far larger is
/// refused before parsing so a hostile sender cannot make the receiver build a huge tree.
pub const MAX_WEBHOOK_BYTES: usize = 4 * 1024 * 1024;

/// One inbound message from a webhook payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// `metadata.phone_number_id` of the change: the business number that received it.
    pub phone_number_id: String,
    /// The sender's identity as the core sends it: WA ID digits, or the BSUID exactly.
    pub user: String,
    /// The sender's WA ID (digits), when the payload gives one.
    pub wa_id: Option<String>,
    /// The sender's business-scoped user ID, when the payload gives one.
    pub user_id: Option<String>,
    /// The message id (`wamid.…`): the idempotency key.
    pub message_id: String,
    /// When the user sent it, Unix seconds (the message's own `timestamp`).
    pub timestamp: i64,
}

impl InboundMessage {
    /// Every identity the sender is known by here (WA ID digits, BSUID), without duplicates:
    /// the window is recorded under each, so a block queued under either form finds it.
    pub fn identities(&self) -> Vec<String> {
        let mut keys = vec![self.user.clone()];
        for other in [&self.wa_id, &self.user_id].into_iter().flatten() {
            if let Some(key) = identity(other) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        keys
    }
}

/// Checks `X-Hub-Signature-256` (`sha256=<hex HMAC-SHA256 of the raw body>`) in constant time.
pub fn verify_signature(body: &[u8], header: Option<&str>, app_secret: &[u8]) -> Result<(), Error> {
    let header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Signature,
                "the webhook has no X-Hub-Signature-256 header; an app secret is configured, so \
             unsigned payloads are refused (pass the header exactly as received)",
            )
        })?;
    let hex_digest = header.strip_prefix("sha256=").ok_or_else(|| {
        Error::new(
            ErrorKind::Signature,
            "X-Hub-Signature-256 must start with 'sha256='; pass the header exactly as received",
        )
    })?;
    let expected = hex::decode(hex_digest).map_err(|_| {
        Error::new(
            ErrorKind::Signature,
            "X-Hub-Signature-256 is not 'sha256=' followed by hexadecimal digits",
        )
    })?;
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            "the app secret cannot be used as an HMAC key",
        )
    })?;
    mac.update(body);
    mac.verify_slice(&expected).map_err(|_| {
        Error::new(
            ErrorKind::Signature,
            "X-Hub-Signature-256 does not match the body: the payload was altered, or the app \
             secret is not the one of the app that sent it; verify against the raw bytes received",
        )
    })
}

/// Parses a webhook body into its inbound messages, in payload order.
///
/// Changes whose `field` is not `messages`, status updates, and message kinds without a sender
/// are ignored. A body that is not a WhatsApp Business webhook, or whose message items lack an
/// id, a sender or a timestamp, is an error: nothing of it should be recorded.
pub fn parse(body: &[u8]) -> Result<Vec<InboundMessage>, Error> {
    if body.len() > MAX_WEBHOOK_BYTES {
        return Err(malformed(format!(
            "the body is {} bytes; the limit is {MAX_WEBHOOK_BYTES}",
            body.len()
        )));
    }
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| malformed(format!("the body is not JSON ({e})")))?;
    let root = root
        .as_object()
        .ok_or_else(|| malformed("the body is not a JSON object".into()))?;
    match root.get("object").and_then(Value::as_str) {
        Some("whatsapp_business_account") => {}
        Some(other) => {
            return Err(malformed(format!(
                "'object' is '{}', not 'whatsapp_business_account'",
                printable(other)
            )));
        }
        None => return Err(malformed("'object' is missing or not a string".into())),
    }
    let entries = array(root.get("entry"), "entry")?;
    let mut messages = Vec::new();
    for (e, entry) in entries.iter().enumerate() {
        let changes = array(entry.get("changes"), &format!("entry[{e}].changes"))?;
        for (c, change) in changes.iter().enumerate() {
            let at = format!("entry[{e}].changes[{c}]");
            if change.get("field").and_then(Value::as_str) != Some("messages") {
                continue;
            }
            let value = change
                .get("value")
                .and_then(Value::as_object)
                .ok_or_else(|| malformed(format!("{at}.value is missing or not an object")))?;
            let Some(items) = value.get("messages") else {
                continue; // statuses only
            };
            let items = items
                .as_array()
                .ok_or_else(|| malformed(format!("{at}.value.messages is not an array")))?;
            if items.is_empty() {
                continue;
            }
            let phone_number_id = value
                .get("metadata")
                .and_then(|m| m.get("phone_number_id"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    malformed(format!("{at}.value.metadata.phone_number_id is missing"))
                })?;
            let contacts = value.get("contacts").and_then(Value::as_array);
            for (m, item) in items.iter().enumerate() {
                messages.push(message(
                    item,
                    contacts.map(Vec::as_slice).unwrap_or(&[]),
                    phone_number_id,
                    &format!("{at}.value.messages[{m}]"),
                )?);
            }
        }
    }
    Ok(messages)
}

fn message(
    item: &Value,
    contacts: &[Value],
    phone_number_id: &str,
    at: &str,
) -> Result<InboundMessage, Error> {
    let text = |key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let message_id = text("id").ok_or_else(|| malformed(format!("{at}.id is missing")))?;
    let timestamp = match item.get("timestamp") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    }
    .filter(|t| *t >= 0)
    .ok_or_else(|| malformed(format!("{at}.timestamp is missing or not Unix seconds")))?;
    let mut wa_id = text("from").map(str::to_string);
    let mut user_id = text("from_user_id").map(str::to_string);
    // Contacts name the sender too; with one contact it is this message's sender.
    let contact = contacts
        .iter()
        .find(|c| {
            let id = c.get("wa_id").and_then(Value::as_str);
            let uid = c.get("user_id").and_then(Value::as_str);
            (id.is_some() && id == wa_id.as_deref()) || (uid.is_some() && uid == user_id.as_deref())
        })
        .or(if contacts.len() == 1 {
            contacts.first()
        } else {
            None
        });
    if let Some(c) = contact {
        if wa_id.is_none() {
            wa_id = c.get("wa_id").and_then(Value::as_str).map(str::to_string);
        }
        if user_id.is_none() {
            user_id = c.get("user_id").and_then(Value::as_str).map(str::to_string);
        }
    }
    // The window is keyed by what the core would send: the phone number when known (a BSUID
    // linked to it names the same user), the BSUID otherwise.
    let wa_id = wa_id.filter(|s| !s.is_empty());
    let user_id = user_id.filter(|s| !s.is_empty());
    let user = wa_id
        .as_deref()
        .and_then(identity)
        .or_else(|| user_id.as_deref().and_then(identity))
        .ok_or_else(|| {
        malformed(format!(
            "{at} has no sender: neither 'from' nor 'from_user_id' is a phone number or business-scoped user ID"
        ))
    })?;
    Ok(InboundMessage {
        phone_number_id: phone_number_id.to_string(),
        user,
        wa_id,
        user_id,
        message_id: message_id.to_string(),
        timestamp,
    })
}

/// The identity key the core uses for a user string: digits for phone numbers, the BSUID as is.
pub(crate) fn identity(user: &str) -> Option<String> {
    wablock::users::normalize_user(user)
        .ok()
        .map(|id| id.key().to_string())
}

fn array<'a>(value: Option<&'a Value>, at: &str) -> Result<&'a Vec<Value>, Error> {
    value
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(format!("'{at}' is missing or not an array")))
}

fn malformed(what: String) -> Error {
    Error::new(
        ErrorKind::Malformed,
        format!(
            "the webhook payload is not a WhatsApp Business webhook: {what}; pass the raw request body Meta (or 360dialog) sent"
        ),
    )
}

/// Payload text quoted in an error: bounded, control characters escaped.
fn printable(s: &str) -> String {
    s.chars().take(64).flat_map(char::escape_default).collect()
}

/// The body of the `webhook` cargo-fuzz target (`fuzz/fuzz_targets/webhook.rs`), here so that
/// stable `cargo test` replays its seeds. The first line of `data` is used as the signature
/// header and the rest as the body; the whole input is also parsed as a body. Must never panic.
#[doc(hidden)]
pub fn fuzz_webhook(data: &[u8]) {
    let (header, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let _ = verify_signature(body, Some(&header), b"fuzz-app-secret");
    let _ = verify_signature(body, None, b"fuzz-app-secret");
    for input in [data, body] {
        if let Ok(messages) = parse(input) {
            for m in &messages {
                // What the parser hands on must be usable as the core's identity.
                assert!(!m.message_id.is_empty() && !m.phone_number_id.is_empty());
                assert!(identity(&m.user).as_deref() == Some(m.user.as_str()));
                assert!(m.identities().first() == Some(&m.user));
            }
        }
    }
}
