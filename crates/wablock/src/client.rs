//! The client: one phone number's blocklist, shared by every operation, and the state its
//! requests share (credentials, connection pool, policies).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::builder::{ClientBuilder, Credentials, Provider};
use crate::cancel::CancelToken;
use crate::error::Error;
use crate::retry::{Clock, RetryPolicy};
use crate::secret::Secret;

pub use crate::builder::MAX_CURSOR_BYTES;
pub(crate) use crate::transport::{Method, Reply};

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
    /// The token every call of this client observes ([`Client::with_cancel`]).
    pub(crate) cancel: Option<CancelToken>,
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

    /// A clone of this client (same connection pool, same settings) whose every call observes
    /// `token`: block, unblock and mutate check it before each batch and each request, and
    /// during each backoff sleep; list_page, blocked_users and is_blocked before each page.
    /// Once the token is cancelled, no new request starts: requests in flight finish, and the
    /// call fails with [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled), its `partial`
    /// outcome and `not_attempted` list accounting for every input.
    ///
    /// ```
    /// # fn main() -> Result<(), wablock::Error> {
    /// let client = wablock::Client::meta("106540352242922", "EAAG...").build()?;
    /// let token = wablock::CancelToken::new();
    /// let cancellable = client.with_cancel(token.clone());
    /// token.cancel(); // from any thread, e.g. a Ctrl-C handler
    /// let err = cancellable.block(["+16505551234"]).unwrap_err();
    /// assert_eq!(err.kind(), wablock::ErrorKind::Cancelled);
    /// assert_eq!(err.not_attempted(), ["+16505551234"]);
    /// # Ok(()) }
    /// ```
    pub fn with_cancel(&self, token: CancelToken) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            cancel: Some(token),
        }
    }

    /// The token this client's calls observe, if it was made by [`Client::with_cancel`].
    pub fn cancel_token(&self) -> Option<&CancelToken> {
        self.cancel.as_ref()
    }

    /// True when this client's token is cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    pub(crate) fn call_deadline(&self) -> Option<Instant> {
        self.inner.deadline.map(|d| self.inner.clock.now() + d)
    }
}
