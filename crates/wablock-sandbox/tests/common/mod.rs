//! Shared test helpers: a tiny std-only HTTP client and automatic OpenAPI validation of
//! every API response the sandbox serves.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use wablock_sandbox::openapi_check::OpenApi;
use wablock_sandbox::{DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, Sandbox, SandboxConfig};

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and returns every byte
/// the server wrote before closing.
pub fn raw_exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(timeout))?;
    s.write_all(request)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

pub fn build_request(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Vec<u8> {
    let mut req =
        format!("{method} {target} HTTP/1.1\r\nHost: sandbox.test\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b.as_bytes());
    }
    bytes
}

/// Parses a full response; panics on truncation.
pub fn parse_response(bytes: &[u8]) -> Resp {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = bytes[split + 4..].to_vec();
    let resp = Resp {
        status,
        headers,
        body,
    };
    if let Some(len) = resp.header("content-length") {
        assert_eq!(
            len.parse::<usize>().unwrap(),
            resp.body.len(),
            "truncated body"
        );
    }
    resp
}

pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let bytes = raw_exchange(
        addr,
        &build_request(method, target, headers, body),
        Duration::from_secs(20),
    )
    .unwrap();
    parse_response(&bytes)
}

pub const PN: &str = "200000000000001";

pub fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).unwrap()
}

pub fn start_with(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).unwrap()
}

/// The OpenAPI document, loaded once per test binary.
pub fn openapi() -> &'static OpenApi {
    static API: OnceLock<OpenApi> = OnceLock::new();
    API.get_or_init(|| OpenApi::load_default().expect("load Meta's OpenAPI description"))
}

/// 360dialog's `utils.ErrorResp` (from 360dialog's published OpenAPI fragments).
pub fn d360_error_schema() -> Value {
    json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}})
}

/// Validates an API response body against the schema that fits it; panics with the
/// violations otherwise. Returns the schema names checked.
pub fn validate_api_response(method: &str, resp: &Resp) -> Vec<&'static str> {
    let api = openapi();
    let body = resp.json();
    let mut checked = Vec::new();
    let check = |name: &'static str, checked: &mut Vec<&'static str>| {
        if let Err(e) = api.validate_schema(name, &body) {
            panic!(
                "{method} {} body does not match {name}:\n{e}\nbody: {body}",
                resp.status
            );
        }
        checked.push(name);
    };
    match body.get("error") {
        Some(Value::String(_)) => {
            api.validate_with(&d360_error_schema(), &body).unwrap();
            checked.push("utils.ErrorResp");
            return checked;
        }
        Some(_) => check("GraphAPIError", &mut checked),
        None => {}
    }
    if body.get("block_users").is_some() {
        match method {
            "POST" => check("BlockUsersData", &mut checked),
            "DELETE" => check("UnblockUsersData", &mut checked),
            _ => panic!("block_users body on {method}"),
        }
    }
    if body.get("data").is_some() {
        check("GetBlockedUsersData", &mut checked);
    }
    assert!(!checked.is_empty(), "no schema fits {body}");
    checked
}

/// A request in the Meta dialect, validated against the OpenAPI schemas.
pub fn meta(sb: &Sandbox, method: &str, phone: &str, query: &str, body: Option<&Value>) -> Resp {
    let target = if query.is_empty() {
        format!("/v25.0/{phone}/block_users")
    } else {
        format!("/v25.0/{phone}/block_users?{query}")
    };
    let auth = format!("Bearer {DEFAULT_ACCESS_TOKEN}");
    let body = body.map(Value::to_string);
    let resp = request(
        sb.addr(),
        method,
        &target,
        &[("Authorization", &auth)],
        body.as_deref(),
    );
    validate_api_response(method, &resp);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    resp
}

/// A request in the 360dialog dialect, validated against the schemas.
pub fn d360(sb: &Sandbox, method: &str, query: &str, body: Option<&Value>) -> Resp {
    let target = if query.is_empty() {
        "/block_users".to_string()
    } else {
        format!("/block_users?{query}")
    };
    let body = body.map(Value::to_string);
    let resp = request(
        sb.addr(),
        method,
        &target,
        &[("D360-API-KEY", DEFAULT_API_KEY)],
        body.as_deref(),
    );
    validate_api_response(method, &resp);
    resp
}

/// A control request; asserts HTTP 200 and returns the JSON.
pub fn control(sb: &Sandbox, method: &str, path_and_query: &str, body: Option<Value>) -> Value {
    let body = body.map(|b| b.to_string());
    let resp = request(sb.addr(), method, path_and_query, &[], body.as_deref());
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()
}

pub fn users(list: &[&str]) -> Value {
    let items: Vec<Value> = list
        .iter()
        .map(|u| {
            if u.contains('.') && u.as_bytes()[0].is_ascii_uppercase() {
                json!({"user_id": u})
            } else {
                json!({"user": u})
            }
        })
        .collect();
    json!({"messaging_product": "whatsapp", "block_users": items})
}

pub fn inbound(sb: &Sandbox, phone: &str, wa_id: &str) {
    sb.record_inbound(phone, wa_id, None);
}

pub fn blocked_wa_ids(sb: &Sandbox, phone: &str) -> Vec<String> {
    sb.state_json(phone)["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["wa_id"]
                .as_str()
                .or(e["user_id"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

pub fn error_code(body: &Value) -> Option<i64> {
    body["error"]["code"].as_i64()
}

pub fn failed_codes(body: &Value) -> Vec<(String, i64)> {
    body["block_users"]["failed_users"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["input"].as_str().unwrap().to_string(),
                        f["errors"][0]["code"].as_i64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn ok_inputs(body: &Value, key: &str) -> Vec<String> {
    body["block_users"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["input"].as_str().unwrap().to_string())
        .collect()
}
