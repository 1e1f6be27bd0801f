//! The client, its builder, and the one HTTP exchange everything else is made of.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::http::Uri;

use crate::error::{Error, ErrorKind};
use crate::retry::{Clock, RetryPolicy, SystemClock};
use crate::secret::Secret;
use crate::wire::{ErrorEnvelope, GraphError};

/// Meta's Graph API host.
pub const META_BASE_URL: &str = "https://graph.facebook.com";
/// 360dialog's WhatsApp API host.
pub const DIALOG360_BASE_URL: &str = "https://waba-v2.360dialog.io";
/// The Graph API version used unless another is set.
pub const DEFAULT_API_VERSION: &str = "v25.0";
/// Most users Meta accepts in one request, and the largest `max_batch`.
pub const MAX_BATCH: usize = 1_000;
/// The largest `parallelism`.
pub const MAX_PARALLELISM: usize = 16;
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;
/// Longest cursor accepted from a caller, in bytes.
pub const MAX_CURSOR_BYTES: usize = 4 * 1024;

/// Which API a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Meta's Cloud API: `/{version}/{phone_number_id}/block_users`, bearer token.
    Meta,
    /// 360dialog: `/block_users`, `D360-API-KEY` header.
    Dialog360,
}

#[derive(Clone)]
enum Credentials {
    Meta {
        phone_number_id: String,
        access_token: Secret,
    },
    Dialog360 {
        api_key: Secret,
    },
}

impl Credentials {
    fn secret(&self) -> &Secret {
        match self {
            Credentials::Meta { access_token, .. } => access_token,
            Credentials::Dialog360 { api_key } => api_key,
        }
    }
}

/// Builds a [`Client`]. Every setting has a safe default; `build` checks them all.
#[derive(Clone)]
pub struct ClientBuilder {
    credentials: Credentials,
    api_version: String,
    base_url: Option<String>,
    connect_timeout: Duration,
    read_timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    max_batch: usize,
    parallelism: usize,
    allow_insecure_http: bool,
    max_response_bytes: u64,
    list_restart_budget: u32,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("provider", &self.provider())
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("credentials", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(credentials: Credentials) -> Self {
        ClientBuilder {
            credentials,
            api_version: DEFAULT_API_VERSION.to_string(),
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            deadline: None,
            retry: RetryPolicy::default(),
            max_batch: MAX_BATCH,
            parallelism: 4,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            list_restart_budget: 3,
            clock: Arc::new(SystemClock),
        }
    }

    /// A builder from `WABLOCK_PROVIDER` (`meta` or `360dialog`, default `meta`),
    /// `WABLOCK_PHONE_NUMBER_ID`, `WABLOCK_ACCESS_TOKEN`, `WABLOCK_API_KEY`,
    /// `WABLOCK_BASE_URL` and `WABLOCK_API_VERSION`. A missing or malformed variable is an
    /// `INVALID_ARGUMENT` error that names it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ClientBuilder::from_env`] over any variable lookup (tests, embedded configs).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let require = |name: &str, why: &str| {
            get(name).ok_or_else(|| {
                Error::invalid_argument(format!("{name} is not set: it must hold {why}"))
            })
        };
        let provider = get("WABLOCK_PROVIDER").unwrap_or_else(|| "meta".to_string());
        let mut builder = match provider.trim().to_ascii_lowercase().as_str() {
            "meta" => Client::meta(
                require("WABLOCK_PHONE_NUMBER_ID", "the WhatsApp phone number ID")?,
                require("WABLOCK_ACCESS_TOKEN", "a Meta access token")?,
            ),
            "360dialog" | "dialog360" => {
                Client::dialog360(require("WABLOCK_API_KEY", "the 360dialog API key")?)
            }
            other => {
                return Err(Error::invalid_argument(format!(
                    "WABLOCK_PROVIDER is {other:?}: it must be \"meta\" or \"360dialog\""
                )));
            }
        };
        if let Some(url) = get("WABLOCK_BASE_URL") {
            builder = builder.base_url(url);
        }
        if let Some(version) = get("WABLOCK_API_VERSION") {
            builder = builder.api_version(version);
        }
        Ok(builder)
    }

    /// The provider this builder targets.
    pub fn provider(&self) -> Provider {
        match self.credentials {
            Credentials::Meta { .. } => Provider::Meta,
            Credentials::Dialog360 { .. } => Provider::Dialog360,
        }
    }

    /// Graph API version such as `v25.0` (Meta only).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = version.into();
        self
    }
    /// Replaces the provider's base URL (a sandbox, a proxy). `http://` is allowed only for
    /// loopback hosts unless [`ClientBuilder::allow_insecure_http`] is set.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Time allowed to wait for a response and to read its body (default 30 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }
    /// An overall deadline for each call, retries and backoff included (default none).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }
    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Users per request, 1 to 1,000 (default 1,000).
    pub fn max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch;
        self
    }
    /// Batches in flight at once, 1 to 16 (default 4).
    pub fn parallelism(mut self, parallelism: usize) -> Self {
        self.parallelism = parallelism;
        self
    }
    /// Allows `http://` to any host. Off by default: the token would cross the network in clear.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
    /// Largest response body read (default 8 MiB); a larger one is a `PROTOCOL` error.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }
    /// Restarts the blocked-users iterator makes on 139102 before giving up (default 3).
    pub fn list_restart_budget(mut self, restarts: u32) -> Self {
        self.list_restart_budget = restarts;
        self
    }
    /// The retry policy as set so far.
    pub(crate) fn current_retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
    /// The clock used for backoff and deadlines (tests pass a fake one, behind the `testing`
    /// feature, that never sleeps).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks every setting and builds the client with its connection pool.
    pub fn build(self) -> Result<Client, Error> {
        // A base URL may carry the secret by mistake: never quote it back.
        let secret = self.credentials.secret();
        let url = self.endpoint().map_err(|mut e| {
            e.0.message = secret.scrub(std::mem::take(&mut e.0.message));
            e
        })?;
        let endpoint = secret.scrub(url.clone());
        if !(1..=MAX_BATCH).contains(&self.max_batch) {
            return Err(Error::invalid_argument(format!(
                "max_batch is {}: it must be 1 to {MAX_BATCH} (Meta's per-request limit)",
                self.max_batch
            )));
        }
        if !(1..=MAX_PARALLELISM).contains(&self.parallelism) {
            return Err(Error::invalid_argument(format!(
                "parallelism is {}: it must be 1 to {MAX_PARALLELISM}",
                self.parallelism
            )));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid_argument(
                "retry max_attempts is 0: it counts the first attempt, so use 1 for no retries",
            ));
        }
        if self.connect_timeout.is_zero() || self.read_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "timeouts must be greater than zero",
            ));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::invalid_argument(
                "max_response_bytes must be greater than zero",
            ));
        }
        let secret = self.credentials.secret().expose();
        if secret.is_empty() || secret.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(Error::invalid_argument(
                "the access token or API key is empty or contains spaces or control characters",
            ));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // The bearer token must never follow a redirect to another host.
            .max_redirects(0)
            .user_agent(concat!("wablock/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(self.connect_timeout))
            .timeout_recv_response(Some(self.read_timeout))
            .timeout_recv_body(Some(self.read_timeout))
            .max_idle_connections_per_host(MAX_PARALLELISM * 2)
            .build()
            .into();
        let auth_header = match &self.credentials {
            Credentials::Meta { access_token, .. } => {
                ("Authorization", format!("Bearer {}", access_token.expose()))
            }
            Credentials::Dialog360 { api_key } => ("D360-API-KEY", api_key.expose().to_string()),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                provider: self.provider(),
                secret: self.credentials.secret().clone(),
                auth_header: (auth_header.0, Secret::new(auth_header.1)),
                url,
                endpoint,
                agent,
                retry: self.retry,
                max_batch: self.max_batch,
                parallelism: self.parallelism,
                deadline: self.deadline,
                max_response_bytes: self.max_response_bytes,
                list_restart_budget: self.list_restart_budget,
                clock: self.clock,
            }),
        })
    }

    fn endpoint(&self) -> Result<String, Error> {
        let default_base = match self.credentials {
            Credentials::Meta { .. } => META_BASE_URL,
            Credentials::Dialog360 { .. } => DIALOG360_BASE_URL,
        };
        let base = self
            .base_url
            .as_deref()
            .unwrap_or(default_base)
            .trim()
            .trim_end_matches('/');
        let uri: Uri = base.parse().map_err(|_| {
            Error::invalid_argument(format!("base URL {base:?} is not a valid absolute URL"))
        })?;
        let host = uri.host().unwrap_or_default();
        if host.is_empty() || uri.query().is_some() {
            return Err(Error::invalid_argument(format!(
                "base URL {base:?} must look like https://host[:port][/path], without a query"
            )));
        }
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.allow_insecure_http || is_loopback(host) => {}
            Some("http") => {
                return Err(Error::invalid_argument(format!(
                    "base URL {base:?} uses plain http to a non-loopback host, which would send the token in clear: use https, or set allow_insecure_http"
                )));
            }
            _ => {
                return Err(Error::invalid_argument(format!(
                    "base URL {base:?} must start with https://"
                )));
            }
        }
        match &self.credentials {
            Credentials::Meta {
                phone_number_id, ..
            } => {
                let id = phone_number_id.trim();
                if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(Error::invalid_argument(format!(
                        "phone_number_id {phone_number_id:?} must be the numeric ID of the WhatsApp phone number (not the phone number itself)"
                    )));
                }
                let version = self.api_version.trim();
                if !is_api_version(version) {
                    return Err(Error::invalid_argument(format!(
                        "api_version {:?} must look like \"v25.0\"",
                        self.api_version
                    )));
                }
                Ok(format!("{base}/{version}/{id}/block_users"))
            }
            Credentials::Dialog360 { .. } => Ok(format!("{base}/block_users")),
        }
    }
}

fn is_api_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let mut parts = rest.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// `localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// A client for one phone number's blocklist. Cheap to clone; clones share one connection
/// pool, and a client may be used from many threads at once.
///
/// Against the local sandbox (a real HTTP server on loopback, seeded with demo users), so this
/// example runs as a test:
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wablock::{Client, Reason};
/// use wablock_sandbox::{Sandbox, SandboxConfig, demo};
///
/// let sandbox = Sandbox::start(SandboxConfig { seed_demo: true, ..Default::default() })?;
/// let client = Client::meta(demo::DEMO_PHONE_NUMBER_ID, "sandbox-token")
///     .base_url(sandbox.base_url()) // omit for Meta's real API
///     .build()?;
/// let outcome = client.block(["+1 (650) 555-1234", demo::DEMO_STALE_USER, "not a number"])?;
/// assert_eq!(outcome.succeeded[0].sent, "+16505551234");
/// // Refused inside an HTTP 200: the user has not written in the last 24 hours.
/// assert_eq!(outcome.failed[0].reason, Reason::ReengagementRequired);
/// // Never sent: every input is accounted for, in input order.
/// assert_eq!(outcome.failed[1].reason, Reason::InvalidUser);
/// for user in &outcome.failed {
///     println!("{} not blocked: {} ({})", user.input, user.reason, user.hint);
/// }
/// assert!(client.is_blocked("16505551234")?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub provider: Provider,
    pub secret: Secret,
    pub auth_header: (&'static str, Secret),
    /// The `block_users` URL requests go to.
    pub url: String,
    /// `url` with any occurrence of the secret redacted, for Debug and callers.
    pub endpoint: String,
    pub agent: ureq::Agent,
    pub retry: RetryPolicy,
    pub max_batch: usize,
    pub parallelism: usize,
    pub deadline: Option<Duration>,
    pub max_response_bytes: u64,
    pub list_restart_budget: u32,
    pub clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("provider", &self.inner.provider)
            .field("endpoint", &self.inner.endpoint)
            .field("credentials", &"[redacted]")
            .field("max_batch", &self.inner.max_batch)
            .field("parallelism", &self.inner.parallelism)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for Meta's Cloud API.
    pub fn meta(
        phone_number_id: impl Into<String>,
        access_token: impl Into<String>,
    ) -> ClientBuilder {
        ClientBuilder::new(Credentials::Meta {
            phone_number_id: phone_number_id.into(),
            access_token: Secret::new(access_token),
        })
    }

    /// A builder for 360dialog (one API key per phone number).
    pub fn dialog360(api_key: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(Credentials::Dialog360 {
            api_key: Secret::new(api_key),
        })
    }

    /// A client configured from the environment; see [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> Provider {
        self.inner.provider
    }

    /// The full URL of the `block_users` endpoint (contains no secret).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    pub(crate) fn call_deadline(&self) -> Option<Instant> {
        self.inner.deadline.map(|d| self.inner.clock.now() + d)
    }
}

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
        let body = response
            .body_mut()
            .with_config()
            // ureq's limit refuses a body that reaches it; the cap allows exactly max bytes.
            .limit(self.max_response_bytes.saturating_add(1))
            .read_to_vec()
            .map_err(|e| match e {
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
        let body = self.secret.scrub_bytes(body);
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

    /// The error for a reply that is not an outcome: classified by Graph code first.
    pub fn reply_error(&self, reply: &Reply) -> Error {
        let status = reply.status;
        let parsed = serde_json::from_slice::<ErrorEnvelope>(&reply.body);
        let graph = match parsed {
            Ok(ErrorEnvelope { error: Some(field) }) => Some(field.into_graph()),
            Ok(ErrorEnvelope { error: None }) => None,
            Err(_) => {
                let kind = match status {
                    401 | 403 => ErrorKind::Auth,
                    429 => ErrorKind::RateLimited,
                    500..=599 => ErrorKind::Server,
                    _ => ErrorKind::Protocol,
                };
                let what = if reply.body.is_empty() {
                    "an empty body"
                } else {
                    "a body that is not JSON"
                };
                let mut err = Error::new(kind, format!("HTTP {status} with {what}"));
                err.0.http_status = Some(status);
                err.0.retry_after = reply.retry_after;
                return err;
            }
        };
        self.graph_error(status, graph, reply.retry_after)
    }

    pub fn graph_error(
        &self,
        status: u16,
        graph: Option<GraphError>,
        retry_after: Option<Duration>,
    ) -> Error {
        let graph = graph.unwrap_or_default();
        let transient = graph.is_transient.unwrap_or(false);
        let kind = ErrorKind::classify(Some(status), graph.code, transient);
        let kind = if (300..400).contains(&status) && graph.code.is_none() {
            ErrorKind::Protocol
        } else {
            kind
        };
        let message = match (graph.message, graph.error_user_msg) {
            (Some(m), _) if !m.trim().is_empty() => m,
            (_, Some(m)) if !m.trim().is_empty() => m,
            _ if (300..400).contains(&status) => {
                format!(
                    "HTTP {status}: a redirect, which wablock does not follow (the credentials must not leave for another host)"
                )
            }
            _ => format!("HTTP {status} without an error message"),
        };
        let mut err = Error::new(kind, message);
        err.0.http_status = Some(status);
        err.0.code = graph.code;
        err.0.subcode = graph.error_subcode;
        err.0.details = graph.error_data;
        err.0.fbtrace_id = graph.fbtrace_id;
        err.0.retryable = kind.is_retryable() || transient;
        err.0.retry_after = retry_after;
        err
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
