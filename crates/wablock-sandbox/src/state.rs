//! The sandbox's state and the logic of every endpoint (API and control).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::http::{Fault, Request, Response};
use crate::{
    BLOCKLIST_LIMIT, DIALOG360_PHONE_NUMBER_ID, DIALOG360_UNAUTHORIZED_MESSAGE, ListShape,
    MAX_LIST_LIMIT, MAX_USERS_PER_REQUEST, MixedStyle, SandboxConfig, WABA_ID, demo,
};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Default page size of GET block_users (the Graph API default).
pub(crate) const DEFAULT_LIST_LIMIT: usize = 25;

static TRACE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The first version id of every phone number: Meta's sample value. Versions count up from it
/// per phone number, so answers (and cursors) are the same on every run after a reset.
const FIRST_VERSION: u64 = 1_737_679_688_383_584;

fn next_version(current: &str) -> String {
    (current.parse::<u64>().unwrap_or(FIRST_VERSION) + 1).to_string()
}

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

// ---------------------------------------------------------------------------------------
// base64url (cursors)

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn encode_cursor(offset: usize, version: &str) -> String {
    b64_encode(
        json!({"offset": offset, "versionId": version})
            .to_string()
            .as_bytes(),
    )
}

fn decode_cursor(cursor: &str) -> Option<(usize, String)> {
    let bytes = b64_decode(cursor)?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    let offset = usize::try_from(v.get("offset")?.as_u64()?).ok()?;
    let version = match v.get("versionId")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some((offset, version))
}

// ---------------------------------------------------------------------------------------
// Identifiers

/// Phone number or WA ID to digits: trim; drop spaces, `-`, `(`, `)`, `.`; one optional
/// leading `+`; then 5 to 15 digits.
pub(crate) fn normalize_phone(input: &str) -> Option<String> {
    let t = input.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let mut digits = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    (5..=15).contains(&digits.len()).then_some(digits)
}

/// A BSUID: two upper-case letters, a dot, 1 to 128 ASCII alphanumerics. Parent BSUIDs
/// (`CC.ENT.xxx`) do not match.
pub(crate) fn is_bsuid(input: &str) -> bool {
    let b = input.as_bytes();
    b.len() >= 4
        && b.len() <= 131
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2] == b'.'
        && b[3..].iter().all(u8::is_ascii_alphanumeric)
}

/// A user given to a control endpoint: a phone number / WA ID, or a BSUID.
enum Ident {
    Wa(String),
    Bsuid(String),
}

fn parse_ident(s: &str) -> Option<Ident> {
    if is_bsuid(s) {
        Some(Ident::Bsuid(s.to_string()))
    } else {
        normalize_phone(s).map(Ident::Wa)
    }
}

// ---------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
}

impl Entry {
    fn keys(&self) -> impl Iterator<Item = &String> {
        self.wa_id.iter().chain(self.user_id.iter())
    }
}

#[derive(Debug)]
pub(crate) struct Phone {
    own_wa_id: Option<String>,
    business: HashSet<String>,
    blocked: Vec<Entry>,
    blocked_keys: HashSet<String>,
    version: String,
    /// wa_id or BSUID → sandbox-clock ms of the last inbound message.
    inbound: HashMap<String, i64>,
    wa_to_bsuid: HashMap<String, String>,
    bsuid_to_wa: HashMap<String, String>,
}

impl Phone {
    fn new() -> Phone {
        Phone {
            own_wa_id: None,
            business: HashSet::new(),
            blocked: Vec::new(),
            blocked_keys: HashSet::new(),
            version: FIRST_VERSION.to_string(),
            inbound: HashMap::new(),
            wa_to_bsuid: HashMap::new(),
            bsuid_to_wa: HashMap::new(),
        }
    }

    fn link(&mut self, wa_id: &str, bsuid: &str) {
        self.wa_to_bsuid
            .insert(wa_id.to_string(), bsuid.to_string());
        self.bsuid_to_wa
            .insert(bsuid.to_string(), wa_id.to_string());
        // An entry blocked under one identity now also answers to the other.
        for e in &mut self.blocked {
            if e.wa_id.as_deref() == Some(wa_id) && e.user_id.is_none() {
                e.user_id = Some(bsuid.to_string());
                self.blocked_keys.insert(bsuid.to_string());
            } else if e.user_id.as_deref() == Some(bsuid) && e.wa_id.is_none() {
                e.wa_id = Some(wa_id.to_string());
                self.blocked_keys.insert(wa_id.to_string());
            }
        }
    }

    fn entry_for(&self, ident: &Ident) -> Entry {
        match ident {
            Ident::Wa(w) => Entry {
                wa_id: Some(w.clone()),
                user_id: self.wa_to_bsuid.get(w).cloned(),
            },
            Ident::Bsuid(b) => Entry {
                wa_id: self.bsuid_to_wa.get(b).cloned(),
                user_id: Some(b.clone()),
            },
        }
    }

    fn is_blocked(&self, e: &Entry) -> bool {
        e.keys().any(|k| self.blocked_keys.contains(k))
    }

    fn push_blocked(&mut self, e: Entry) {
        for k in e.keys() {
            self.blocked_keys.insert(k.clone());
        }
        self.blocked.push(e);
    }

    fn remove_blocked(&mut self, keys: &HashSet<String>) -> bool {
        let before = self.blocked.len();
        let mut dropped = Vec::new();
        self.blocked.retain(|e| {
            if e.keys().any(|k| keys.contains(k)) {
                dropped.extend(e.keys().cloned());
                false
            } else {
                true
            }
        });
        for k in dropped {
            self.blocked_keys.remove(&k);
        }
        before != self.blocked.len()
    }

    fn last_inbound(&self, e: &Entry) -> Option<i64> {
        e.keys().filter_map(|k| self.inbound.get(k).copied()).max()
    }

    fn touch(&mut self) {
        self.version = next_version(&self.version);
    }
}

/// A queued scripted response.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    fault: Option<Fault>,
}

/// Everything behind the sandbox's mutex.
#[derive(Debug)]
pub(crate) struct Core {
    initial: SandboxConfig,
    pub config: SandboxConfig,
    pub list_shape: Option<ListShape>,
    phones: HashMap<String, Phone>,
    clock_offset_ms: i64,
    scripts: VecDeque<Script>,
    log: Vec<Value>,
    rate: HashMap<String, (u64, u32)>,
    started: Instant,
}

impl Core {
    pub fn new(config: SandboxConfig) -> Core {
        let mut core = Core {
            initial: config.clone(),
            config,
            list_shape: None,
            phones: HashMap::new(),
            clock_offset_ms: 0,
            scripts: VecDeque::new(),
            log: Vec::new(),
            rate: HashMap::new(),
            started: Instant::now(),
        };
        core.list_shape = core.config.list_shape;
        if core.config.seed_demo {
            core.seed_demo();
        }
        core
    }

    /// The sandbox clock, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        unix_ms() + self.clock_offset_ms
    }

    pub fn phone(&mut self, id: &str) -> &mut Phone {
        self.phones.entry(id.to_string()).or_insert_with(Phone::new)
    }

    pub fn reset(&mut self) {
        self.config = self.initial.clone();
        self.list_shape = self.config.list_shape;
        self.phones.clear();
        self.clock_offset_ms = 0;
        self.scripts.clear();
        self.log.clear();
        self.rate.clear();
        TRACE_COUNTER.store(0, Ordering::Relaxed);
        if self.config.seed_demo {
            self.seed_demo();
        }
    }

    fn seed_demo(&mut self) {
        let now = self.now_ms();
        for id in [demo::DEMO_PHONE_NUMBER_ID, DIALOG360_PHONE_NUMBER_ID] {
            let p = self.phone(id);
            p.own_wa_id = normalize_phone(demo::DEMO_OWN_NUMBER);
            for (i, u) in demo::DEMO_RECENT_USERS.iter().enumerate() {
                if let Some(w) = normalize_phone(u) {
                    p.inbound.insert(w, now - 60_000 * (i as i64 + 1));
                }
            }
            if let Some(w) = normalize_phone(demo::DEMO_STALE_USER) {
                p.inbound.insert(w, now - 3 * DAY_MS);
            }
            if let Some(w) = normalize_phone(demo::DEMO_BUSINESS_ACCOUNT) {
                p.inbound.insert(w.clone(), now - 120_000);
                p.business.insert(w);
            }
            p.inbound
                .insert(demo::DEMO_BSUID_USER.to_string(), now - 300_000);
            for u in demo::DEMO_BLOCKED_USERS {
                if let Some(w) = normalize_phone(u) {
                    p.inbound.insert(w.clone(), now - 3_600_000);
                    p.push_blocked(Entry {
                        wa_id: Some(w),
                        user_id: None,
                    });
                }
            }
            p.touch();
        }
    }

    // ------------------------------------------------------------------ control actions

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

    // ---------------------------------------------------------------------- dispatch

    /// Answers one request. `host` is used to build `paging.next` URLs; `pre` is the work
    /// [`Prepared::new`] did on the request without the lock.
    pub fn handle(&mut self, req: &Request, host: &str, pre: Prepared) -> Response {
        if let Some(rest) = req.path.strip_prefix("/_sandbox/") {
            return self.control(req, rest);
        }
        self.api(req, host, pre)
    }

    fn control(&mut self, req: &Request, what: &str) -> Response {
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
                match id {
                    None => Err("phone_number_id (string) is required".into()),
                    Some(id) => self
                        .record_inbound(
                            id,
                            body.get("wa_id").and_then(Value::as_str),
                            body.get("user_id").and_then(Value::as_str),
                            seconds_ago,
                        )
                        .map(|()| json!({"ok": true})),
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

    fn api(&mut self, req: &Request, host: &str, pre: Prepared) -> Response {
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
                let refusal = if wa.is_some() && wa == p.own_wa_id.as_deref() {
                    Some(SELF_BLOCK)
                } else if e.keys().any(|k| p.business.contains(k)) {
                    Some(BUSINESS_ACCOUNT)
                } else if p.is_blocked(&e) {
                    None
                } else if !open && p.last_inbound(&e).is_none_or(|t| now - t > DAY_MS) {
                    Some(REENGAGEMENT)
                } else if p.blocked.len() >= BLOCKLIST_LIMIT {
                    Some(LIMIT_REACHED)
                } else {
                    p.push_blocked(e.clone());
                    changed = true;
                    None
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

/// A parsed block/unblock body, or the `details` of its 400.
type ChangeBody = Result<Vec<UserField>, String>;

/// The part of answering an API request that needs no state: the request-log entry and the
/// parsed block/unblock body. Built before taking the state lock, so concurrent requests
/// parse in parallel and the lock is held only to read and change the blocklist.
#[derive(Default)]
pub(crate) struct Prepared {
    log: Option<Value>,
    users: Option<ChangeBody>,
}

impl Prepared {
    /// Does the lock-free work for `req` (nothing for control endpoints).
    pub fn new(req: &Request) -> Prepared {
        if req.path.starts_with("/_sandbox/") {
            return Prepared::default();
        }
        let users = match req.method.as_str() {
            "POST" | "DELETE" => Some(parse_change_body(&req.body)),
            _ => None,
        };
        Prepared {
            log: Some(log_entry(req)),
            users,
        }
    }
}
fn log_entry(req: &Request) -> Value {
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
    let (body, body_text) = if req.body.is_empty() {
        (Value::Null, Value::Null)
    } else {
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(v) => (v, Value::Null),
            Err(_) => (
                Value::Null,
                Value::from(String::from_utf8_lossy(&req.body).into_owned()),
            ),
        }
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

// ---------------------------------------------------------------------------------------
// Helpers

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Meta,
    D360,
}

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

/// A per-user refusal: code, message, details.
type Refusal = (u32, &'static str, &'static str);

const REENGAGEMENT: Refusal = (
    131047,
    "Re-engagement required",
    "Occurs if the business has not received a message from that number in the last 24 hours.",
);
const SELF_BLOCK: Refusal = (131021, "Self Block", "Failed to block self phone number.");
const BUSINESS_ACCOUNT: Refusal = (
    131047,
    "Re-engagement required",
    "You cannot use this API to block another WhatsApp Business account.",
);
const LIMIT_REACHED: Refusal = (
    139101,
    "Blocklist limit reached",
    "The blocklist has reached its 64,000 user limit.",
);
const INVALID_USER_ID: Refusal = (
    100,
    "(#100) Invalid parameter",
    "user_id must be a business-scoped user ID such as US.13491208655302741918; parent BSUIDs are not supported.",
);

fn ok_item(input: &str, wa_id: Option<&str>, user_id: Option<&str>) -> Value {
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

fn failed_item(input: &str, wa_id: Option<&str>, user_id: Option<&str>, r: Refusal) -> Value {
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

enum UserField {
    User(String),
    UserId(String),
}

fn parse_change_body(body: &[u8]) -> Result<Vec<UserField>, String> {
    if body.is_empty() {
        return Err(
            "The request body is empty; expected messaging_product and block_users.".into(),
        );
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}"))?;
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

fn usage_header(call_count_pct: u64, regain_minutes: u64) -> String {
    json!({WABA_ID: [{"type": "whatsapp", "call_count": call_count_pct, "total_cputime": 1,
                      "total_time": 1, "estimated_time_to_regain_access": regain_minutes}]})
    .to_string()
}

fn graph_error_value(message: &str, kind: &str, code: u32, details: Option<&str>) -> Value {
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
fn graph_error(
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

fn invalid_parameter(details: &str) -> Response {
    graph_error(
        400,
        "(#100) Invalid parameter",
        "OAuthException",
        100,
        Some(details),
    )
}

fn control_error(msg: &str) -> Response {
    Response::json(400, &json!({"error": msg}))
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
    fn base64_round_trip() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "{\"offset\":0,\"versionId\":\"1\"}",
        ] {
            assert_eq!(b64_decode(&b64_encode(s.as_bytes())).unwrap(), s.as_bytes());
        }
        let c = encode_cursor(25, "1737679688383584");
        assert_eq!(
            decode_cursor(&c),
            Some((25, "1737679688383584".to_string()))
        );
        assert_eq!(decode_cursor("!!"), None);
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            normalize_phone("+1 (650) 555-1234").as_deref(),
            Some("16505551234")
        );
        assert_eq!(normalize_phone("1234"), None);
        assert_eq!(normalize_phone("+1650555123x"), None);
        assert!(is_bsuid("US.13491208655302741918"));
        assert!(!is_bsuid("US.ENT.1349"));
        assert!(!is_bsuid("us.1349"));
    }

    #[test]
    fn versions_increase() {
        let a = FIRST_VERSION.to_string();
        let b: u64 = next_version(&a).parse().unwrap();
        assert_eq!(b, FIRST_VERSION + 1);
        assert_eq!(trace_id().len(), 23);
        assert_ne!(trace_id(), trace_id());
    }

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
