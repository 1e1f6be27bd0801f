//! The lock-free half of answering an API request: the request-log entry, the parsed
//! block/unblock body and query-string decoding.

use serde_json::{Map, Value, json};

use crate::http::Request;

/// A parsed block/unblock body, or the `details` of its 400.
pub(super) type ChangeBody = Result<Vec<UserField>, String>;

/// The part of answering an API request that needs no state: the request-log entry and the
/// parsed block/unblock body. Built before taking the state lock, so concurrent requests
/// parse in parallel and the lock is held only to read and change the blocklist.
#[derive(Default)]
pub(crate) struct Prepared {
    pub(super) log: Option<Value>,
    pub(super) users: Option<ChangeBody>,
}

impl Prepared {
    /// Does the lock-free work for `req` (nothing for control endpoints).
    pub fn new(req: &Request) -> Prepared {
        if req.path.starts_with("/_sandbox/") {
            return Prepared::default();
        }
        // The body is parsed once, for both the log entry and the users (a 1,000-user body
        // is most of a block request's cost in the sandbox).
        let parsed = (!req.body.is_empty()).then(|| serde_json::from_slice::<Value>(&req.body));
        let users = match req.method.as_str() {
            "POST" | "DELETE" => Some(match &parsed {
                None => Err(EMPTY_BODY.to_string()),
                Some(Ok(v)) => change_users(v),
                Some(Err(e)) => Err(format!("The request body is not valid JSON: {e}")),
            }),
            _ => None,
        };
        Prepared {
            log: Some(log_entry_parsed(req, parsed.map(Result::ok))),
            users,
        }
    }
}

const EMPTY_BODY: &str = "The request body is empty; expected messaging_product and block_users.";

pub(super) fn log_entry(req: &Request) -> Value {
    let parsed = (!req.body.is_empty()).then(|| serde_json::from_slice::<Value>(&req.body).ok());
    log_entry_parsed(req, parsed)
}

/// The log entry of `req`, whose body was parsed as `parsed` (`None`: empty body;
/// `Some(None)`: not JSON).
fn log_entry_parsed(req: &Request, parsed: Option<Option<Value>>) -> Value {
    let auth = if req
        .header("authorization")
        .is_some_and(|a| a.len() >= 7 && a[..7].eq_ignore_ascii_case("bearer "))
    {
        Value::from("bearer")
    } else if req.header("d360-api-key").is_some() {
        Value::from("d360")
    } else {
        Value::Null
    };
    let (body, body_text) = match parsed {
        None => (Value::Null, Value::Null),
        Some(Some(v)) => (v, Value::Null),
        Some(None) => (
            Value::Null,
            Value::from(String::from_utf8_lossy(&req.body).into_owned()),
        ),
    };
    let params: Map<String, Value> = parse_query(req.query.as_deref().unwrap_or(""))
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    json!({
        "method": req.method,
        "path": req.path,
        "query": req.query,
        "params": params,
        "auth": auth,
        "content_type": req.header("content-type"),
        "body": body,
        "body_text": body_text,
    })
}

pub(super) enum UserField {
    User(String),
    UserId(String),
}

pub(super) fn parse_change_body(body: &[u8]) -> Result<Vec<UserField>, String> {
    if body.is_empty() {
        return Err(EMPTY_BODY.into());
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}"))?;
    change_users(&v)
}

/// The users of a block/unblock body already parsed as JSON, or the `details` of its 400.
fn change_users(v: &Value) -> Result<Vec<UserField>, String> {
    let obj = v
        .as_object()
        .ok_or("The request body must be a JSON object.")?;
    match obj.get("messaging_product") {
        Some(Value::String(s)) if s == "whatsapp" => {}
        _ => return Err("messaging_product must be \"whatsapp\".".into()),
    }
    let list = obj
        .get("block_users")
        .and_then(Value::as_array)
        .ok_or("block_users must be an array of users.")?;
    if list.is_empty() {
        return Err("block_users must not be empty.".into());
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let o = item
            .as_object()
            .ok_or_else(|| format!("block_users[{i}] must be an object."))?;
        match (o.get("user"), o.get("user_id")) {
            (Some(Value::String(s)), None) => out.push(UserField::User(s.clone())),
            (None, Some(Value::String(s))) => out.push(UserField::UserId(s.clone())),
            _ => {
                return Err(format!(
                    "block_users[{i}] must have exactly one of user or user_id, as a string."
                ));
            }
        }
    }
    Ok(out)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decoded query parameters, in order.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn query_decoding() {
        assert_eq!(
            parse_query("a=1&b=x%3D%3D&c"),
            vec![
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x==".to_string()),
                ("c".to_string(), String::new())
            ]
        );
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
    }
}
