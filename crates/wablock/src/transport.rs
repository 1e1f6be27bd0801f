//! One HTTP exchange, the only place a request is sent: the deadline's remaining time, the
//! credential header, the body cap, the secret scrubbed from every answer, and transport
//! failures turned into errors every language words the same way.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::client::Inner;
use crate::error::{Error, ErrorKind};

/// The HTTP method of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Delete,
}

/// A response as read off the wire.
pub(crate) struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

impl Inner {
    /// One HTTP exchange. Transport failures become `NETWORK`/`TIMEOUT`/`PROTOCOL` errors;
    /// any HTTP status is returned as a [`Reply`] for the caller to interpret.
    pub fn exchange(
        &self,
        method: Method,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
        deadline: Option<Instant>,
    ) -> Result<Reply, Error> {
        let remaining = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(self.clock.now());
                if left.is_zero() {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "the call's overall deadline passed",
                    ));
                }
                Some(left)
            }
            None => None,
        };
        let (name, value) = (&self.auth_header.0, self.auth_header.1.expose());
        let result = match method {
            Method::Get => {
                let mut req = self.agent.get(&self.url).header(*name, value);
                for (k, v) in query {
                    req = req.query(*k, *v);
                }
                req.config().timeout_global(remaining).build().call()
            }
            Method::Post | Method::Delete => {
                let req = if method == Method::Post {
                    self.agent.post(&self.url)
                } else {
                    self.agent.delete(&self.url).force_send_body()
                };
                req.header(*name, value)
                    .header("Content-Type", "application/json")
                    .config()
                    .timeout_global(remaining)
                    .build()
                    .send(body.unwrap_or_default())
            }
        };
        let mut response = result.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = server_retry_after(response.headers());
        // Sized from `Content-Length` (never past the cap), so a body is read into one buffer
        // instead of one that doubles and is copied as it fills.
        let announced = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
            .min(self.max_response_bytes);
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        response
            .body_mut()
            .with_config()
            // ureq's limit refuses a body that reaches it; the cap allows exactly max bytes.
            .limit(self.max_response_bytes.saturating_add(1))
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| match ureq::Error::from(e) {
                ureq::Error::BodyExceedsLimit(_) => {
                    let mut err = Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "the response body is larger than the {}-byte limit",
                            self.max_response_bytes
                        ),
                    );
                    // The status line arrived: say which answer was too large.
                    err.0.http_status = Some(status);
                    err
                }
                other => transport_error(other),
            })?;
        let body = self.secret.scrub_body(body);
        log::debug!(
            "{method:?} {} -> HTTP {status}, {} bytes",
            self.endpoint,
            body.len()
        );
        Ok(Reply {
            status,
            body,
            retry_after,
        })
    }
}

/// `Retry-After` (seconds) or the largest `estimated_time_to_regain_access` (minutes) of
/// `x-business-use-case-usage`, whichever is longer.
fn server_retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    let retry_after = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(86_400.0)));
    let usage = headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
        .and_then(|v| {
            let minutes = v
                .as_object()?
                .values()
                .filter_map(|items| items.as_array())
                .flatten()
                .filter_map(|item| item.get("estimated_time_to_regain_access")?.as_f64())
                .fold(0.0_f64, f64::max);
            (minutes > 0.0).then(|| Duration::from_secs_f64(minutes.min(1440.0) * 60.0))
        });
    match (retry_after, usage) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Transport failures, with messages that name no port, path or secret so that every
/// language reports the same words.
fn transport_error(err: ureq::Error) -> Error {
    use ureq::Error as E;
    match err {
        E::Timeout(which) => {
            let what = match which {
                ureq::Timeout::Connect | ureq::Timeout::Resolve => "connecting to the server",
                ureq::Timeout::Global | ureq::Timeout::PerCall => "the call's overall deadline",
                _ => "waiting for the server's response",
            };
            Error::new(ErrorKind::Timeout, format!("timed out: {what}"))
        }
        E::HostNotFound => Error::new(ErrorKind::Network, "network error: host not found"),
        E::ConnectionFailed => Error::new(ErrorKind::Network, "network error: could not connect"),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::new(
                ErrorKind::Timeout,
                "timed out: waiting for the server's response",
            ),
            std::io::ErrorKind::ConnectionRefused => {
                Error::new(ErrorKind::Network, "network error: could not connect")
            }
            // Reset, aborted, EOF, broken pipe: which one is a race, so one message for all.
            _ => Error::new(
                ErrorKind::Network,
                "network error: the connection broke off",
            ),
        },
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => {
            Error::new(ErrorKind::Network, "network error: TLS failure")
        }
        E::Protocol(_) | E::BodyStalled => Error::new(
            ErrorKind::Network,
            "network error: the connection broke off",
        ),
        E::Decompress(..) | E::LargeResponseHeader(..) => Error::new(
            ErrorKind::Protocol,
            "the response could not be read (bad encoding or headers)",
        ),
        other => Error::new(
            ErrorKind::Network,
            format!("network error: {}", error_class(&other)),
        ),
    }
}

fn error_class(err: &ureq::Error) -> &'static str {
    match err {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => "the request could not be built",
        _ => "the request failed",
    }
}
