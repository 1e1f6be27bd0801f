//! The canonical JSON of docs/behaviour.md §5: one shape for every language, keys sorted, so results from
//! different languages compare byte for byte.

use serde_json::{Value, json};

use crate::error::Error;
use crate::listing::{BlockedUser, Page};
use crate::outcome::Outcome;

impl Outcome {
    /// The outcome object (without the `{"outcome": …}` wrapper).
    pub fn to_json_value(&self) -> Value {
        json!({
            "operation": self.operation.as_str(),
            "succeeded": self.succeeded.iter().map(|s| json!({
                "input": s.input, "sent": s.sent, "wa_id": s.wa_id, "user_id": s.user_id,
            })).collect::<Vec<_>>(),
            "failed": self.failed.iter().map(|f| json!({
                "input": f.input, "sent": f.sent, "wa_id": f.wa_id, "user_id": f.user_id,
                "reason": f.reason.as_str(), "code": f.code, "message": f.message,
                "details": f.details, "hint": f.hint,
            })).collect::<Vec<_>>(),
            "requests": self.requests,
        })
    }

    /// `{"outcome": {…}}` as canonical JSON text.
    pub fn to_canonical_json(&self) -> String {
        canonical_string(&json!({ "outcome": self.to_json_value() }))
    }
}

impl Error {
    /// The error object (without the `{"error": …}` wrapper).
    pub fn to_json_value(&self) -> Value {
        json!({
            "kind": self.0.kind.as_str(),
            "message": self.0.message,
            "http_status": self.0.http_status,
            "code": self.0.code,
            "subcode": self.0.subcode,
            "details": self.0.details,
            "fbtrace_id": self.0.fbtrace_id,
            "retryable": self.0.retryable,
            "retry_after_ms": self.0.retry_after.map(|d| d.as_millis() as u64),
            "partial": self.0.partial.as_ref().map(|p| p.to_json_value()),
            "not_attempted": self.0.not_attempted,
        })
    }

    /// `{"error": {…}}` as canonical JSON text.
    pub fn to_canonical_json(&self) -> String {
        canonical_string(&json!({ "error": self.to_json_value() }))
    }
}

impl Page {
    /// The page object (without the `{"page": …}` wrapper).
    pub fn to_json_value(&self) -> Value {
        json!({
            "users": self.users.iter().map(BlockedUser::to_json_value).collect::<Vec<_>>(),
            "after": self.after,
            "before": self.before,
            "has_more": self.has_more,
        })
    }

    /// `{"page": {…}}` as canonical JSON text.
    pub fn to_canonical_json(&self) -> String {
        canonical_string(&json!({ "page": self.to_json_value() }))
    }
}

impl BlockedUser {
    /// The user object of a page or a walk: `{"wa_id": …, "user_id": …}`.
    pub fn to_json_value(&self) -> Value {
        json!({"wa_id": self.wa_id, "user_id": self.user_id})
    }
}

/// `{"blocked_users": {"users": […], "error": null | {…}}}`: the result of a whole walk of the
/// blocklist, with the users yielded before an error that ended it (if one did).
pub fn blocked_users_canonical_json(users: &[BlockedUser], error: Option<&Error>) -> String {
    canonical_string(&json!({"blocked_users": {
        "users": users.iter().map(BlockedUser::to_json_value).collect::<Vec<_>>(),
        "error": error.map(Error::to_json_value),
    }}))
}

/// `{"is_blocked": true | false}`: the answer of `is_blocked`.
pub fn is_blocked_canonical_json(blocked: bool) -> String {
    canonical_string(&json!({ "is_blocked": blocked }))
}

/// Canonical JSON text of a JSON document given as text (how language layers and conformance
/// runners canonicalise expected results without re-implementing the form). Text that is not
/// JSON is `INVALID_ARGUMENT`.
pub fn canonical_json_text(text: &str) -> Result<String, Error> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("the text is not JSON: {e}")))?;
    Ok(canonical_string(&value))
}

/// Compact JSON with object keys sorted at every level, whatever serde_json's map order is.
pub fn canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_rewritten_canonically_or_refused() {
        assert_eq!(
            canonical_json_text("{ \"b\": [1, {\"d\": null, \"c\": \"\\u00e9\"}], \"a\": true }")
                .ok(),
            Some("{\"a\":true,\"b\":[1,{\"c\":\"é\",\"d\":null}]}".to_string())
        );
        let err = canonical_json_text("{not json").err();
        assert!(err.is_some_and(|e| e.kind() == crate::ErrorKind::InvalidArgument));
    }
}
