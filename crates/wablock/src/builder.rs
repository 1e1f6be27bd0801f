//! The client's configuration: the provider and credentials, every setting with its safe
//! default, and the checks `build` makes before a client exists.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::Uri;

use crate::client::{Client, Inner};
use crate::error::Error;
use crate::retry::{Clock, RetryPolicy, SystemClock};
use crate::secret::{MIN_SECRET_BYTES, Secret};

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
pub(crate) enum Credentials {
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
    pub(crate) fn new(credentials: Credentials) -> Self {
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
        let secret = self.credentials.secret().expose();
        // Checked first: the checks below may quote text that only a valid secret can be scrubbed from.
        if secret.is_empty() || secret.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(Error::invalid_argument(
                "the access token or API key is empty or contains spaces or control characters",
            ));
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::invalid_argument(format!(
                "the access token or API key is {} byte{} long: real ones are far longer, so check that it was copied whole (wablock refuses credentials under {MIN_SECRET_BYTES} bytes, which it could not keep out of messages)",
                secret.len(),
                if secret.len() == 1 { "" } else { "s" }
            )));
        }
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
            cancel: None,
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
