//! What answers look like: Graph error envelopes, trace ids, the usage header and the
//! per-user items of block/unblock bodies.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

use super::phone::Refusal;
use crate::WABA_ID;
use crate::http::Response;

static TRACE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// An fbtrace_id-like identifier: "A" followed by 22 base62 characters.
pub(crate) fn trace_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // Deterministic after a reset, so conformance results compare byte for byte.
    let n = TRACE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut a = splitmix(n);
    let mut b = splitmix(a ^ n);
    let mut out = String::from("A");
    for i in 0..22 {
        let src = if i < 11 { &mut a } else { &mut b };
        out.push(ALPHABET[(*src % 62) as usize] as char);
        *src /= 62;
    }
    out
}

pub(super) fn ok_item(input: &str, wa_id: Option<&str>, user_id: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("input".into(), input.into());
    if let Some(w) = wa_id {
        m.insert("wa_id".into(), w.into());
    }
    if let Some(u) = user_id {
        m.insert("user_id".into(), u.into());
    }
    Value::Object(m)
}

pub(super) fn failed_item(
    input: &str,
    wa_id: Option<&str>,
    user_id: Option<&str>,
    r: Refusal,
) -> Value {
    let mut m = Map::new();
    m.insert("input".into(), input.into());
    if let Some(w) = wa_id {
        m.insert("wa_id".into(), w.into());
    }
    if let Some(u) = user_id {
        m.insert("user_id".into(), u.into());
    }
    m.insert(
        "errors".into(),
        json!([{"message": r.1, "code": r.0, "error_data": {"details": r.2}}]),
    );
    Value::Object(m)
}

pub(super) fn usage_header(call_count_pct: u64, regain_minutes: u64) -> String {
    json!({WABA_ID: [{"type": "whatsapp", "call_count": call_count_pct, "total_cputime": 1,
                      "total_time": 1, "estimated_time_to_regain_access": regain_minutes}]})
    .to_string()
}

pub(super) fn graph_error_value(
    message: &str,
    kind: &str,
    code: u32,
    details: Option<&str>,
) -> Value {
    let mut m = Map::new();
    m.insert("message".into(), message.into());
    m.insert("type".into(), kind.into());
    m.insert("code".into(), code.into());
    if let Some(d) = details {
        m.insert("error_data".into(), json!({"details": d}));
    }
    m.insert("fbtrace_id".into(), trace_id().into());
    Value::Object(m)
}

/// A whole-request error in the Graph envelope.
pub(super) fn graph_error(
    status: u16,
    message: &str,
    kind: &str,
    code: u32,
    details: Option<&str>,
) -> Response {
    let err = graph_error_value(message, kind, code, details);
    let trace = err
        .get("fbtrace_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    Response::json(status, &json!({"error": err})).with_header("x-fb-trace-id", &trace)
}

pub(super) fn invalid_parameter(details: &str) -> Response {
    graph_error(
        400,
        "(#100) Invalid parameter",
        "OAuthException",
        100,
        Some(details),
    )
}

pub(super) fn control_error(msg: &str) -> Response {
    Response::json(400, &json!({"error": msg}))
}

/// Restarts the trace-id sequence, so answers after a reset are byte-for-byte repeatable.
pub(super) fn reset_trace_ids() {
    TRACE_COUNTER.store(0, Ordering::Relaxed);
}
