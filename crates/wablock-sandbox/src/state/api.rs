//! The API handlers: routing and authentication of both dialects, the rate limit, and
//! block, unblock and list.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::cursor::{decode_cursor, encode_cursor};
use super::identity::{Ident, is_bsuid, normalize_phone};
use super::phone::{BlockOutcome, INVALID_USER_ID, REENGAGEMENT};
use super::request::{ChangeBody, Prepared, UserField, log_entry, parse_change_body, parse_query};
use super::responses::{
    failed_item, graph_error, graph_error_value, invalid_parameter, ok_item, usage_header,
};
use super::{Core, DEFAULT_LIST_LIMIT};
use crate::http::{Request, Response};
use crate::{
    DIALOG360_PHONE_NUMBER_ID, DIALOG360_UNAUTHORIZED_MESSAGE, ListShape, MAX_LIST_LIMIT,
    MAX_USERS_PER_REQUEST, MixedStyle,
};

/// Which provider's API a request addressed, decided by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Meta,
    D360,
}

/// A Graph API version path segment such as `v21.0`.
fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    !major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit())
}

impl Core {
    /// Logs an API request, then answers it with the next scripted response if one is
    /// queued, else for real.
    pub(super) fn api(&mut self, req: &Request, host: &str, pre: Prepared) -> Response {
        let entry = pre.log.unwrap_or_else(|| log_entry(req));
        self.log.push(entry);
        let latency = self.config.latency;
        if let Some(s) = self.scripts.pop_front() {
            return Response {
                status: s.status,
                headers: s.headers,
                body: s.body,
                delay: s.delay + latency,
                fault: s.fault,
                pending: None,
                webhook: None,
            };
        }
        let mut resp = self.api_inner(req, host, pre.users);
        resp.delay += latency;
        resp
    }

    fn api_inner(&mut self, req: &Request, host: &str, users: Option<ChangeBody>) -> Response {
        let segs: Vec<&str> = req.path.split('/').skip(1).collect();
        let (dialect, phone_id) = match segs.as_slice() {
            ["block_users"] => (Dialect::D360, DIALOG360_PHONE_NUMBER_ID.to_string()),
            [version, id, "block_users"] if is_version(version) && !id.is_empty() => {
                (Dialect::Meta, (*id).to_string())
            }
            _ => {
                return graph_error(
                    400,
                    &format!("Unknown path components: {}", req.path),
                    "OAuthException",
                    2500,
                    None,
                );
            }
        };
        match dialect {
            Dialect::Meta => {
                let ok = req.header("authorization").is_some_and(|a| {
                    a.len() > 7
                        && a[..7].eq_ignore_ascii_case("bearer ")
                        && a[7..].trim() == self.config.access_token
                });
                if !ok {
                    return graph_error(
                        401,
                        "Invalid OAuth access token - Cannot parse access token",
                        "OAuthException",
                        190,
                        None,
                    )
                    .with_header("www-authenticate", "OAuth \"Facebook Platform\" \"invalid_token\" \"Invalid OAuth access token - Cannot parse access token\"");
                }
            }
            Dialect::D360 => {
                if req.header("d360-api-key") != Some(self.config.api_key.as_str()) {
                    return Response::json(401, &json!({"error": DIALOG360_UNAUTHORIZED_MESSAGE}));
                }
            }
        }

        // Rate limit, per phone number, in one-second windows of real time.
        let mut usage_pct = 0u64;
        if let Some(limit) = self.config.rate_limit_per_second {
            let second = self.started.elapsed().as_secs();
            let slot = self.rate.entry(phone_id.clone()).or_insert((second, 0));
            if slot.0 != second {
                *slot = (second, 0);
            }
            slot.1 = slot.1.saturating_add(1);
            usage_pct = (u64::from(slot.1) * 100 / u64::from(limit)).min(100);
            if slot.1 > limit {
                return graph_error(
                    429,
                    "(#130429) Rate limit hit",
                    "OAuthException",
                    130429,
                    Some("Too many requests are made over a short period of time."),
                )
                .with_header("x-business-use-case-usage", &usage_header(100, 0));
            }
        }

        let mut resp = match req.method.as_str() {
            "GET" => self.list(req, &phone_id, dialect, host),
            "POST" => self.change(req, users, &phone_id, true),
            "DELETE" => self.change(req, users, &phone_id, false),
            other => graph_error(
                400,
                &format!("Unsupported {} request.", other.to_ascii_lowercase()),
                "GraphMethodException",
                100,
                None,
            ),
        };
        resp.headers.push((
            "x-business-use-case-usage".into(),
            usage_header(usage_pct, 0),
        ));
        resp
    }

    fn list(&mut self, req: &Request, phone_id: &str, dialect: Dialect, host: &str) -> Response {
        let params = parse_query(req.query.as_deref().unwrap_or(""));
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let limit = match get("limit") {
            None => DEFAULT_LIST_LIMIT,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if n > 0 => n.min(MAX_LIST_LIMIT),
                _ => return invalid_parameter("limit must be a positive integer"),
            },
        };
        let after = get("after").filter(|s| !s.is_empty());
        let before = get("before").filter(|s| !s.is_empty());
        if after.is_some() && before.is_some() {
            return invalid_parameter("after and before cannot be used together");
        }
        let shape = self.list_shape.unwrap_or(match dialect {
            Dialect::Meta => ListShape::Meta,
            Dialect::D360 => ListShape::Legacy,
        });
        let p = self.phone(phone_id);
        let n = p.blocked.len();
        let (start, end) = match (after, before) {
            (Some(c), _) | (_, Some(c)) => {
                let Some((offset, version)) = decode_cursor(c) else {
                    return invalid_parameter("Invalid cursor");
                };
                if version != p.version {
                    return graph_error(
                        400,
                        "(#139102) Blocklist concurrent update",
                        "OAuthException",
                        139102,
                        Some(
                            "The blocklist was updated while paginating (version_id does not match). Please retry with offset 0.",
                        ),
                    );
                }
                if after.is_some() {
                    let start = offset.min(n);
                    (start, (start + limit).min(n))
                } else {
                    let end = offset.min(n);
                    (end.saturating_sub(limit), end)
                }
            }
            _ => (0, limit.min(n)),
        };
        let page = &p.blocked[start..end];
        let mut out = Map::new();
        let data: Vec<Value> = match shape {
            ListShape::Meta => page
                .iter()
                .map(|e| {
                    let mut m = Map::new();
                    m.insert("messaging_product".into(), "whatsapp".into());
                    if let Some(w) = &e.wa_id {
                        m.insert("wa_id".into(), w.clone().into());
                    }
                    if let Some(u) = &e.user_id {
                        m.insert("user_id".into(), u.clone().into());
                    }
                    Value::Object(m)
                })
                .collect(),
            ListShape::Legacy => {
                if page.is_empty() {
                    Vec::new()
                } else {
                    let items: Vec<Value> = page
                        .iter()
                        .map(|e| {
                            let mut m = Map::new();
                            let input = e.wa_id.clone().or_else(|| e.user_id.clone());
                            m.insert("input".into(), input.into());
                            if let Some(w) = &e.wa_id {
                                m.insert("wa_id".into(), w.clone().into());
                            }
                            if let Some(u) = &e.user_id {
                                m.insert("user_id".into(), u.clone().into());
                            }
                            Value::Object(m)
                        })
                        .collect();
                    vec![json!({"block_users": items})]
                }
            }
        };
        out.insert("data".into(), Value::Array(data));
        if start < end {
            let mut paging = Map::new();
            paging.insert(
                "cursors".into(),
                json!({"before": encode_cursor(start, &p.version),
                       "after": encode_cursor(end, &p.version)}),
            );
            let base = format!("http://{host}{}", req.path);
            if end < n {
                paging.insert(
                    "next".into(),
                    format!(
                        "{base}?limit={limit}&after={}",
                        encode_cursor(end, &p.version)
                    )
                    .into(),
                );
            }
            if start > 0 {
                paging.insert(
                    "previous".into(),
                    format!(
                        "{base}?limit={limit}&before={}",
                        encode_cursor(start, &p.version)
                    )
                    .into(),
                );
            }
            out.insert("paging".into(), Value::Object(paging));
        }
        Response::json_deferred(200, Value::Object(out))
    }

    fn change(
        &mut self,
        req: &Request,
        users: Option<ChangeBody>,
        phone_id: &str,
        block: bool,
    ) -> Response {
        let users = match users.unwrap_or_else(|| parse_change_body(&req.body)) {
            Ok(u) => u,
            Err(msg) => return invalid_parameter(&msg),
        };
        if users.len() > MAX_USERS_PER_REQUEST {
            return graph_error(
                400,
                "(#130429) Rate limit hit",
                "OAuthException",
                130429,
                Some("Too many numbers are in the request itself."),
            );
        }
        let open = self.config.open;
        let mixed = self.config.mixed_style;
        let now = self.now_ms();
        let p = self.phone(phone_id);
        let mut done = Vec::new();
        let mut failed = Vec::new();
        let mut to_remove: HashSet<String> = HashSet::new();
        let mut changed = false;
        for u in users {
            let (input, ident) = match u {
                UserField::User(s) => {
                    let id = normalize_phone(&s).map(Ident::Wa);
                    if id.is_none() {
                        failed.push(failed_item(&s, None, None, REENGAGEMENT));
                        continue;
                    }
                    (s, id)
                }
                UserField::UserId(s) => {
                    if !is_bsuid(&s) {
                        failed.push(failed_item(&s, None, None, INVALID_USER_ID));
                        continue;
                    }
                    let id = Some(Ident::Bsuid(s.clone()));
                    (s, id)
                }
            };
            let Some(ident) = ident else { continue };
            let is_bsuid_input = matches!(ident, Ident::Bsuid(_));
            let e = p.entry_for(&ident);
            let wa = e.wa_id.as_deref();
            let uid = if is_bsuid_input {
                e.user_id.as_deref()
            } else {
                None
            };
            if block {
                let refusal = match p.try_block(&e, open, now) {
                    BlockOutcome::Refused(r) => Some(r),
                    BlockOutcome::AlreadyBlocked => None,
                    BlockOutcome::Added => {
                        changed = true;
                        None
                    }
                };
                match refusal {
                    Some(r) => failed.push(failed_item(&input, wa, uid, r)),
                    None => done.push(ok_item(&input, wa, uid)),
                }
            } else {
                if p.is_blocked(&e) {
                    to_remove.extend(e.keys().cloned());
                }
                done.push(ok_item(&input, wa, uid));
            }
        }
        if !to_remove.is_empty() && p.remove_blocked(&to_remove) {
            changed = true;
        }
        if changed {
            p.touch();
        }
        let mut result = Map::new();
        let key = if block {
            "added_users"
        } else {
            "removed_users"
        };
        result.insert(key.into(), Value::Array(done));
        let any_failed = !failed.is_empty();
        if any_failed {
            result.insert("failed_users".into(), Value::Array(failed));
        }
        let mut body = Map::new();
        body.insert("messaging_product".into(), "whatsapp".into());
        body.insert("block_users".into(), Value::Object(result));
        if any_failed && mixed == MixedStyle::Http400 {
            let details = if block {
                "Failed to block some users, see the block_users response list for details"
            } else {
                // Verbatim from Meta's guide, missing space included.
                "Failed to unblock some users, see the block_usersresponse list for details"
            };
            body.insert(
                "error".into(),
                graph_error_value(
                    "(#139100) Failed to block/unblock users",
                    "OAuthException",
                    139100,
                    Some(details),
                ),
            );
            return Response::json_deferred(400, Value::Object(body));
        }
        Response::json_deferred(200, Value::Object(body))
    }
}
