//! The control API (`/_sandbox/*`): inbound messages, the clock, phone set-up, run-time
//! configuration, scripted responses and the request log.

use std::time::Duration;

use serde_json::{Value, json};

use super::Core;
use super::identity::{Ident, is_bsuid, normalize_phone, parse_ident};
use super::request::parse_query;
use super::responses::control_error;
use crate::http::{Fault, Request, Response};
use crate::{BLOCKLIST_LIMIT, ListShape, MixedStyle};

/// A queued scripted response.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) delay: Duration,
    pub(super) fault: Option<Fault>,
}

impl Core {
    pub fn record_inbound(
        &mut self,
        phone_number_id: &str,
        wa_id: Option<&str>,
        user_id: Option<&str>,
        seconds_ago: i64,
    ) -> Result<(), String> {
        let wa = match wa_id.filter(|w| !w.trim().is_empty()) {
            Some(w) => Some(normalize_phone(w).ok_or_else(|| format!("invalid wa_id {w:?}"))?),
            None => None,
        };
        let bsuid = match user_id.filter(|u| !u.is_empty()) {
            Some(u) if is_bsuid(u) => Some(u.to_string()),
            Some(u) => return Err(format!("invalid user_id {u:?}")),
            None => None,
        };
        if wa.is_none() && bsuid.is_none() {
            return Err("give wa_id, user_id or both".into());
        }
        let at = self.now_ms() - seconds_ago.saturating_mul(1000);
        let p = self.phone(phone_number_id);
        if let Some(w) = &wa {
            p.inbound.insert(w.clone(), at);
        }
        if let Some(b) = &bsuid {
            p.inbound.insert(b.clone(), at);
        }
        if let (Some(w), Some(b)) = (&wa, &bsuid) {
            p.link(w, b);
        }
        Ok(())
    }

    /// The answer to a recorded inbound message: the webhook payload Meta would deliver for
    /// it, the exact bytes signed, their `X-Hub-Signature-256`, and (with a `webhook_url`) a
    /// delivery to make once the lock is released.
    fn inbound_webhook(
        &mut self,
        phone_number_id: &str,
        wa_id: Option<&str>,
        user_id: Option<&str>,
        seconds_ago: i64,
    ) -> Response {
        let wa = wa_id
            .filter(|w| !w.trim().is_empty())
            .and_then(normalize_phone);
        let bsuid = user_id.filter(|u| !u.is_empty()).map(str::to_string);
        let sent_ms = self.now_ms() - seconds_ago.saturating_mul(1000);
        self.webhook_seq += 1;
        let wamid = format!("wamid.SANDBOX{}{:06}", self.now_ms(), self.webhook_seq);
        let own = self.phone(phone_number_id).own_wa_id.clone();
        let payload = crate::webhook::payload(
            phone_number_id,
            own.as_deref(),
            wa.as_deref(),
            bsuid.as_deref(),
            &wamid,
            sent_ms / 1000,
        );
        let body = payload.to_string();
        let signature =
            crate::webhook::signature(self.config.app_secret.as_bytes(), body.as_bytes());
        let mut resp = Response::json_deferred(
            200,
            json!({"ok": true, "webhook": payload, "webhook_body": body, "signature": signature}),
        );
        if let Some(url) = &self.config.webhook_url {
            resp.webhook = Some(crate::http::Delivery {
                url: url.clone(),
                body: body.into_bytes(),
                signature,
            });
        }
        resp
    }

    pub fn advance_clock(&mut self, by_ms: i64) {
        self.clock_offset_ms = self.clock_offset_ms.saturating_add(by_ms);
    }

    pub fn state_json(&mut self, phone_number_id: &str) -> Value {
        let p = self.phone(phone_number_id);
        let blocked: Vec<Value> = p
            .blocked
            .iter()
            .map(|e| json!({"wa_id": e.wa_id, "user_id": e.user_id}))
            .collect();
        let mut business: Vec<&String> = p.business.iter().collect();
        business.sort();
        json!({
            "phone_number_id": phone_number_id,
            "own_wa_id": p.own_wa_id,
            "version_id": p.version,
            "blocked": blocked,
            "blocked_count": p.blocked.len(),
            "business_accounts": business,
        })
    }

    pub fn configure_phone(&mut self, body: &Value) -> Result<Value, String> {
        let id = body
            .get("phone_number_id")
            .and_then(Value::as_str)
            .ok_or("phone_number_id (string) is required")?
            .to_string();
        let own = match body.get("own_wa_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(normalize_phone(s).ok_or_else(|| format!("invalid own_wa_id {s:?}"))?)
            }
            Some(_) => return Err("own_wa_id must be a string".into()),
        };
        let business = string_list(body, "business_accounts")?;
        let blocked = string_list(body, "blocked")?;
        let clear = body
            .get("clear_blocked")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut idents = Vec::new();
        for s in &blocked {
            idents.push(parse_ident(s).ok_or_else(|| format!("invalid user {s:?} in blocked"))?);
        }
        let mut biz = Vec::new();
        for s in &business {
            biz.push(match parse_ident(s) {
                Some(Ident::Wa(w)) | Some(Ident::Bsuid(w)) => w,
                None => return Err(format!("invalid user {s:?} in business_accounts")),
            });
        }
        let p = self.phone(&id);
        if let Some(o) = own {
            p.own_wa_id = Some(o);
        }
        p.business.extend(biz);
        let mut changed = false;
        if clear && !p.blocked.is_empty() {
            p.blocked.clear();
            p.blocked_keys.clear();
            changed = true;
        }
        for ident in &idents {
            let e = p.entry_for(ident);
            if !p.is_blocked(&e) {
                if p.blocked.len() >= BLOCKLIST_LIMIT {
                    return Err(format!(
                        "the blocklist cannot hold more than {BLOCKLIST_LIMIT} users"
                    ));
                }
                p.push_blocked(e);
                changed = true;
            }
        }
        if changed {
            p.touch();
        }
        Ok(self.state_summary(&id))
    }

    fn state_summary(&mut self, id: &str) -> Value {
        let p = self.phone(id);
        json!({"phone_number_id": id, "own_wa_id": p.own_wa_id, "version_id": p.version,
               "blocked_count": p.blocked.len()})
    }

    pub fn set_config(&mut self, body: &Value) -> Result<(), String> {
        let obj = body.as_object().ok_or("body must be a JSON object")?;
        for (k, v) in obj {
            match k.as_str() {
                "open" => self.config.open = v.as_bool().ok_or("open must be a boolean")?,
                "mixed_style" => {
                    self.config.mixed_style = match v {
                        Value::String(s) if s == "200" => MixedStyle::Http200,
                        Value::String(s) if s == "400" => MixedStyle::Http400,
                        Value::Number(n) if n.as_u64() == Some(200) => MixedStyle::Http200,
                        Value::Number(n) if n.as_u64() == Some(400) => MixedStyle::Http400,
                        _ => return Err("mixed_style must be \"200\" or \"400\"".into()),
                    }
                }
                "app_secret" => {
                    self.config.app_secret = v
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .ok_or("app_secret must be a non-empty string")?
                        .to_string()
                }
                "webhook_url" => {
                    self.config.webhook_url = match v {
                        Value::Null => None,
                        Value::String(u) => Some(crate::webhook::check_url(u)?),
                        _ => return Err("webhook_url must be an http:// URL or null".into()),
                    }
                }
                "latency_ms" => {
                    self.config.latency = Duration::from_millis(
                        v.as_u64()
                            .ok_or("latency_ms must be a non-negative integer")?,
                    )
                }
                "rate_limit_per_second" => {
                    self.config.rate_limit_per_second = match v {
                        Value::Null => None,
                        _ => Some(
                            v.as_u64()
                                .and_then(|n| u32::try_from(n).ok())
                                .filter(|n| *n > 0)
                                .ok_or(
                                    "rate_limit_per_second must be a positive integer or null",
                                )?,
                        ),
                    }
                }
                "list_shape" => {
                    self.list_shape = match v {
                        Value::Null => None,
                        Value::String(s) if s == "meta" => Some(ListShape::Meta),
                        Value::String(s) if s == "legacy" => Some(ListShape::Legacy),
                        _ => return Err("list_shape must be \"meta\", \"legacy\" or null".into()),
                    }
                }
                "access_token" => {
                    self.config.access_token = v
                        .as_str()
                        .ok_or("access_token must be a string")?
                        .to_string()
                }
                "api_key" => {
                    self.config.api_key = v.as_str().ok_or("api_key must be a string")?.to_string()
                }
                other => return Err(format!("unknown config key {other:?}")),
            }
        }
        Ok(())
    }

    pub fn config_json(&self) -> Value {
        json!({
            "open": self.config.open,
            "mixed_style": match self.config.mixed_style { MixedStyle::Http200 => "200", MixedStyle::Http400 => "400" },
            "latency_ms": self.config.latency.as_millis() as u64,
            "rate_limit_per_second": self.config.rate_limit_per_second,
            "list_shape": self.list_shape.map(|s| match s { ListShape::Meta => "meta", ListShape::Legacy => "legacy" }),
            "seed_demo": self.config.seed_demo,
            "webhook_url": self.config.webhook_url,
        })
    }

    pub fn push_scripts(&mut self, body: &Value) -> Result<usize, String> {
        let list = body
            .get("responses")
            .and_then(Value::as_array)
            .ok_or("responses (array) is required")?;
        let mut parsed = Vec::with_capacity(list.len());
        for item in list {
            parsed.push(parse_script(item)?);
        }
        self.scripts.extend(parsed);
        Ok(self.scripts.len())
    }

    pub fn clear_scripts(&mut self) {
        self.scripts.clear();
    }

    pub fn requests_json(&self) -> Value {
        Value::Array(self.log.clone())
    }

    pub fn clear_requests(&mut self) {
        self.log.clear();
    }

    pub(super) fn control(&mut self, req: &Request, what: &str) -> Response {
        let body: Value = if req.body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => return control_error(&format!("body is not JSON: {e}")),
            }
        };
        let params = parse_query(req.query.as_deref().unwrap_or(""));
        let m = req.method.as_str();
        let result: Result<Value, String> = match (m, what) {
            ("GET", "health") => Ok(json!({"ok": true})),
            ("POST", "reset") => {
                self.reset();
                Ok(json!({"ok": true}))
            }
            ("POST", "inbound") => {
                let id = body.get("phone_number_id").and_then(Value::as_str);
                let seconds_ago = body.get("seconds_ago").and_then(Value::as_i64).unwrap_or(0);
                let (wa_id, user_id) = (
                    body.get("wa_id").and_then(Value::as_str),
                    body.get("user_id").and_then(Value::as_str),
                );
                match id {
                    None => Err("phone_number_id (string) is required".into()),
                    Some(id) => match self.record_inbound(id, wa_id, user_id, seconds_ago) {
                        Ok(()) => return self.inbound_webhook(id, wa_id, user_id, seconds_ago),
                        Err(e) => Err(e),
                    },
                }
            }
            ("POST", "phone") => self.configure_phone(&body),
            ("POST", "clock") => match body.get("advance_seconds").and_then(Value::as_f64) {
                Some(s) => {
                    self.advance_clock((s * 1000.0) as i64);
                    Ok(json!({"ok": true, "now_ms": self.now_ms(),
                              "offset_seconds": self.clock_offset_ms as f64 / 1000.0}))
                }
                None => Err("advance_seconds (number) is required".into()),
            },
            ("GET", "clock") => Ok(json!({"now_ms": self.now_ms(),
                                          "offset_seconds": self.clock_offset_ms as f64 / 1000.0})),
            ("GET", "state") => match params.iter().find(|(k, _)| k == "phone_number_id") {
                Some((_, id)) => Ok(self.state_json(id)),
                None => Err("query parameter phone_number_id is required".into()),
            },
            ("GET", "config") => Ok(self.config_json()),
            ("POST", "config") => self.set_config(&body).map(|()| self.config_json()),
            ("POST", "script") => self
                .push_scripts(&body)
                .map(|n| json!({"ok": true, "queued": n})),
            ("GET", "script") => Ok(json!({"queued": self.scripts.len()})),
            ("DELETE", "script") => {
                self.clear_scripts();
                Ok(json!({"ok": true}))
            }
            ("GET", "requests") => Ok(self.requests_json()),
            ("DELETE", "requests") => {
                self.clear_requests();
                Ok(json!({"ok": true}))
            }
            _ => {
                return Response::json(
                    404,
                    &json!({"error": format!("no control endpoint {m} /_sandbox/{what}")}),
                );
            }
        };
        match result {
            Ok(v) => Response::json(200, &v),
            Err(e) => control_error(&e),
        }
    }
}

fn string_list(body: &Value, key: &str) -> Result<Vec<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{key} must be an array of strings"))
            })
            .collect(),
        Some(_) => Err(format!("{key} must be an array of strings")),
    }
}

fn parse_script(item: &Value) -> Result<Script, String> {
    let status = match item.get("status") {
        None | Some(Value::Null) => 200,
        Some(v) => v
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (100..=999).contains(n))
            .ok_or("status must be an HTTP status code")?,
    };
    let mut headers = Vec::new();
    match item.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
                    return Err(format!("header {k:?} is not a valid header"));
                }
                headers.push((k.clone(), v));
            }
        }
        Some(_) => return Err("headers must be an object".into()),
    }
    let body = match (item.get("body"), item.get("json")) {
        (Some(Value::String(s)), _) => s.clone().into_bytes(),
        (_, Some(v)) if !v.is_null() => v.to_string().into_bytes(),
        (Some(Value::Null) | None, _) => Vec::new(),
        (Some(_), _) => return Err("body must be a string (use json for JSON values)".into()),
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), "application/json".into()));
    }
    let delay = Duration::from_millis(match item.get("delay_ms") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .ok_or("delay_ms must be a non-negative integer")?,
    });
    let fault = match item.get("fault") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "drop_before_response" => Some(Fault::DropBeforeResponse),
        Some(Value::String(s)) if s == "drop_mid_body" => Some(Fault::DropMidBody),
        Some(_) => {
            return Err("fault must be \"drop_before_response\", \"drop_mid_body\" or null".into());
        }
    };
    Ok(Script {
        status,
        headers,
        body,
        delay,
        fault,
    })
}
