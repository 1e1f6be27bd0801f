//! The faults a run can inject, how often each is drawn, what error it must cause and the
//! `/_sandbox/script` item that serves it.

use serde_json::{Value, json};
use wablock::ErrorKind;
use wablock_sandbox::WABA_ID;

use crate::rng::Rng;
use crate::run::{Dialect, RunConfig};

/// A scripted fault, served by the sandbox instead of its real logic (so it changes no state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// HTTP 500 with an empty body, 360dialog's text error, or a transient Graph error.
    Http500,
    /// HTTP 502 with an HTML error page.
    HtmlPage502,
    /// Graph code 139103 (Meta's internal error) with HTTP 500, 503 or 400.
    Server139103,
    /// Graph code 130429 with a small `Retry-After` (or a usage header), HTTP 429 or 400.
    RateLimited130429,
    /// Graph code 130429 with `Retry-After: 120`, longer than the backoff cap: not slept.
    RetryAfterTooLong,
    /// Headers with the full `Content-Length`, half the body, then the connection closes.
    DropMidBody,
    /// The request is read and the connection closes without a byte.
    DropBeforeResponse,
    /// The answer starts after the client's read timeout has passed.
    Slow,
    /// HTTP 500 whose JSON body is cut short.
    TruncatedJson500,
    /// HTTP 200 whose JSON body is cut short: not an outcome, not retried (`PROTOCOL`).
    TruncatedJson200,
    /// HTTP 200 with an HTML page (a captive portal): `PROTOCOL`.
    HtmlPage200,
    /// HTTP 200 that mentions nobody: every user of the batch is `UNCONFIRMED`.
    EmptySuccess,
    /// HTTP 401 (code 190, or 360dialog's text): `AUTH`, stops the call.
    Unauthorized,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 13] = [
        Fault::Http500,
        Fault::HtmlPage502,
        Fault::Server139103,
        Fault::RateLimited130429,
        Fault::RetryAfterTooLong,
        Fault::DropMidBody,
        Fault::DropBeforeResponse,
        Fault::Slow,
        Fault::TruncatedJson500,
        Fault::TruncatedJson200,
        Fault::HtmlPage200,
        Fault::EmptySuccess,
        Fault::Unauthorized,
    ];

    /// Relative frequency (per mille) of random draws; the 401 is injected halfway instead.
    const WEIGHTS: [(Fault, u64); 12] = [
        (Fault::Http500, 260),
        (Fault::HtmlPage502, 100),
        (Fault::Server139103, 130),
        (Fault::RateLimited130429, 130),
        (Fault::RetryAfterTooLong, 10),
        (Fault::DropMidBody, 130),
        (Fault::DropBeforeResponse, 70),
        (Fault::Slow, 15),
        (Fault::TruncatedJson500, 100),
        (Fault::TruncatedJson200, 15),
        (Fault::HtmlPage200, 10),
        (Fault::EmptySuccess, 30),
    ];

    pub(crate) fn draw(rng: &mut Rng) -> Fault {
        let total: u64 = Fault::WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut x = rng.below(total);
        for (fault, weight) in Fault::WEIGHTS {
            if x < weight {
                return fault;
            }
            x -= weight;
        }
        Fault::Http500
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Http500 => "http_500",
            Fault::HtmlPage502 => "html_page_502",
            Fault::Server139103 => "graph_139103",
            Fault::RateLimited130429 => "graph_130429_retry_after",
            Fault::RetryAfterTooLong => "retry_after_over_cap",
            Fault::DropMidBody => "drop_mid_body",
            Fault::DropBeforeResponse => "drop_before_response",
            Fault::Slow => "slow_past_read_timeout",
            Fault::TruncatedJson500 => "truncated_json_500",
            Fault::TruncatedJson200 => "truncated_json_200",
            Fault::HtmlPage200 => "html_page_200",
            Fault::EmptySuccess => "empty_success",
            Fault::Unauthorized => "http_401",
        }
    }

    /// The error kind the call reports if this fault is the last answer a batch gets; `None`
    /// when the fault is an outcome (users `UNCONFIRMED`), not an error.
    pub fn error_kind(self) -> Option<ErrorKind> {
        Some(match self {
            Fault::Http500 | Fault::HtmlPage502 | Fault::Server139103 | Fault::TruncatedJson500 => {
                ErrorKind::Server
            }
            Fault::RateLimited130429 | Fault::RetryAfterTooLong => ErrorKind::RateLimited,
            Fault::DropMidBody | Fault::DropBeforeResponse => ErrorKind::Network,
            Fault::Slow => ErrorKind::Timeout,
            Fault::TruncatedJson200 | Fault::HtmlPage200 => ErrorKind::Protocol,
            Fault::Unauthorized => ErrorKind::Auth,
            Fault::EmptySuccess => return None,
        })
    }

    /// True when the client must not retry past this fault: the call fails at once.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            Fault::RetryAfterTooLong
                | Fault::TruncatedJson200
                | Fault::HtmlPage200
                | Fault::Unauthorized
        )
    }

    /// True when the fault leaves the batch's users `UNCONFIRMED` (an answer, not an error).
    pub(crate) fn unconfirms(self) -> bool {
        matches!(self, Fault::EmptySuccess | Fault::Slow)
    }

    /// The `/_sandbox/script` item for this fault.
    pub fn script(self, dialect: Dialect, cfg: &RunConfig, rng: &mut Rng) -> Value {
        let graph = |code: i64, message: &str| {
            json!({"error": {"message": message, "type": "OAuthException", "code": code,
                "error_data": {"details": "injected by the fault suite"}, "fbtrace_id": "AfaultTrace"}})
        };
        let empty_success =
            json!({"messaging_product": "whatsapp", "block_users": {"added_users": []}});
        match self {
            Fault::Http500 => match rng.below(3) {
                0 => json!({"status": 500, "body": ""}),
                1 => json!({"status": 500, "json": {"error": "Internal Server Error"}}),
                _ => {
                    json!({"status": 500, "json": {"error": {"message": "An unknown error occurred",
                    "type": "OAuthException", "code": 1, "is_transient": true}}})
                }
            },
            Fault::HtmlPage502 => json!({"status": 502, "headers": {"Content-Type": "text/html"},
                "body": "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"}),
            Fault::Server139103 => json!({"status": *rng.pick(&[500, 503, 400]),
                "json": graph(139103, "(#139103) Internal error")}),
            Fault::RateLimited130429 => {
                let headers = match rng.below(3) {
                    0 => json!({"Retry-After": "0.002"}),
                    1 => json!({"Retry-After": "0.003"}),
                    _ => json!({"x-business-use-case-usage":
                        json!({WABA_ID: [{"type": "whatsapp", "call_count": 100, "total_cputime": 1,
                            "total_time": 1, "estimated_time_to_regain_access": 0}]}).to_string()}),
                };
                json!({"status": *rng.pick(&[429, 400]), "headers": headers,
                    "json": graph(130429, "(#130429) Rate limit hit")})
            }
            Fault::RetryAfterTooLong => json!({"status": 429, "headers": {"Retry-After": "120"},
                "json": graph(130429, "(#130429) Rate limit hit")}),
            Fault::DropMidBody => json!({"fault": "drop_mid_body", "json": empty_success}),
            Fault::DropBeforeResponse => json!({"fault": "drop_before_response"}),
            Fault::Slow => {
                json!({"delay_ms": cfg.slow_delay.as_millis() as u64, "json": empty_success})
            }
            Fault::TruncatedJson500 => json!({"status": 500,
                "body": "{\"error\":{\"message\":\"(#1) An unknown err"}),
            Fault::TruncatedJson200 => json!({"status": 200,
                "body": "{\"messaging_product\":\"whatsapp\",\"block_users\":{\"added_users\":[{\"input\":\"+1650"}),
            Fault::HtmlPage200 => {
                json!({"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
                "body": "<!DOCTYPE html><html><body><form action=\"/login\">Sign in to continue</form></body></html>"})
            }
            Fault::EmptySuccess => match rng.below(3) {
                0 => json!({"json": empty_success}),
                1 => json!({"json": {"messaging_product": "whatsapp"}}),
                _ => json!({"json": {}}),
            },
            Fault::Unauthorized => match dialect {
                Dialect::Meta => json!({"status": 401, "json": graph(190,
                    "Invalid OAuth access token - Cannot parse access token")}),
                Dialect::Dialog360 => json!({"status": 401, "json": {"error": "Invalid api key"}}),
            },
        }
    }
}
