//! UniFFI bindings of [`wablock`] for Kotlin (JVM and Android) and Swift (iOS and macOS).
//!
//! This crate converts types and nothing else: every behaviour (validation, messages, hints,
//! classification, retries, canonical JSON) comes from the core, so Kotlin and Swift fail
//! exactly as Rust, C, Go and Python do.
//!
//! - [`Client`]: constructors [`Client::meta`], [`Client::dialog360`] and [`Client::from_env`];
//!   operations `block`, `unblock`, `list_page`, `blocked_users` (a [`BlockedUsersIterator`])
//!   and `is_blocked`.
//! - Results: the [`Outcome`], [`Success`], [`Failure`], [`Page`] and [`BlockedUser`] records,
//!   each with `to_canonical_json()` computed by the core.
//! - Errors: [`WablockError`], one variant per kind of docs/behaviour.md §3.2, each carrying every field.
//!   Kotlin sees a sealed `WablockException` class, Swift a `WablockError` enum.
//! - Progress: the foreign-implemented [`ProgressListener`]; returning `false` cancels.
//!
//! Every exported call runs inside a panic boundary: a panic (a core bug, or a foreign callback that
//! threw) becomes [`WablockError::Internal`] instead of unwinding across the FFI boundary.

// The error is the foreign API's exception: its fields are lowered by value across the FFI,
// so boxing them would not help, and every call that returns it made HTTP requests anyway.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wablock::ErrorKind as CoreKind;

uniffi::setup_scaffolding!();

// ------------------------------------------------------------------------------------ errors

/// The fields every error carries, before they are put in the variant of their kind.
struct Fields {
    error_message: String,
    http_status: Option<u16>,
    code: Option<i64>,
    subcode: Option<i64>,
    details: Option<String>,
    fbtrace_id: Option<String>,
    retryable: bool,
    retry_after_ms: Option<u64>,
    partial: Option<Outcome>,
    not_attempted: Vec<String>,
    canonical_json: String,
}

/// Declares [`WablockError`] with one variant per kind, all with the same fields, and the two
/// functions that move between a kind plus [`Fields`] and a variant. One list, so a new kind
/// cannot get a variant with different fields.
macro_rules! wablock_error {
    ($($(#[doc = $doc:literal])* $variant:ident = $kind:ident,)*) => {
        /// A call that failed as a whole (docs/behaviour.md §3.2): one variant per kind, each with every
        /// field of the core error. In Kotlin this is the sealed class `WablockException`
        /// (`WablockException.Auth`, …); in Swift the enum `WablockError` (`.auth(…)`, …).
        ///
        /// The core's message is in `error_message`: Kotlin exceptions already own a
        /// `message` property, so a field of that name would not compile there.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        pub enum WablockError {
            $(
                $(#[doc = $doc])*
                $variant {
                    /// What went wrong, for a person (the core's message).
                    error_message: String,
                    /// The HTTP status of the failing response, if there was one.
                    http_status: Option<u16>,
                    /// The Graph error code, if the server gave one.
                    code: Option<i64>,
                    /// The Graph `error_subcode`, if any.
                    subcode: Option<i64>,
                    /// The Graph `error_data.details`, if any.
                    details: Option<String>,
                    /// Meta's trace id, for support tickets.
                    fbtrace_id: Option<String>,
                    /// Whether the same call may succeed if tried again later.
                    retryable: bool,
                    /// How long the server asked the caller to wait, in milliseconds.
                    retry_after_ms: Option<u64>,
                    /// The outcome of the batches that finished before the failure.
                    partial: Option<Outcome>,
                    /// Inputs neither confirmed nor refused, in input order.
                    not_attempted: Vec<String>,
                    /// The core's canonical JSON of this error (docs/behaviour.md §5), `{"error": {…}}`.
                    canonical_json: String,
                },
            )*
        }

        impl WablockError {
            fn from_parts(kind: ErrorKind, f: Fields) -> Self {
                match kind {
                    $(ErrorKind::$kind => WablockError::$variant {
                        error_message: f.error_message,
                        http_status: f.http_status,
                        code: f.code,
                        subcode: f.subcode,
                        details: f.details,
                        fbtrace_id: f.fbtrace_id,
                        retryable: f.retryable,
                        retry_after_ms: f.retry_after_ms,
                        partial: f.partial,
                        not_attempted: f.not_attempted,
                        canonical_json: f.canonical_json,
                    },)*
                }
            }

            fn parts(&self) -> (ErrorKind, &String, &String) {
                match self {
                    $(WablockError::$variant { error_message, canonical_json, .. } => {
                        (ErrorKind::$kind, error_message, canonical_json)
                    })*
                }
            }
        }

        /// The kind of a [`WablockError`], with the fixed numbers of docs/behaviour.md §3.2.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            fn from_core(kind: CoreKind) -> Option<Self> {
                match kind {
                    $(CoreKind::$kind => Some(ErrorKind::$kind),)*
                    // The core's kind list is non-exhaustive; see `From<wablock::Error>`.
                    _ => None,
                }
            }

            fn to_core(self) -> CoreKind {
                match self {
                    $(ErrorKind::$kind => CoreKind::$kind,)*
                }
            }
        }
    };
}

wablock_error! {
    /// A caller error found before any request: empty list, bad config, bad cursor.
    InvalidArgument = InvalidArgument,
    /// The token or key was refused.
    Auth = Auth,
    /// Throttled, and still throttled when the retry budget ran out.
    RateLimited = RateLimited,
    /// The blocklist is full (139101 as a whole-request error).
    BlocklistFull = BlocklistFull,
    /// The blocklist kept changing while it was listed (139102, restart budget spent).
    ConcurrentUpdate = ConcurrentUpdate,
    /// Meta's side failed (5xx, transient codes), still failing after the retries.
    Server = Server,
    /// Any other API error code.
    Rejected = Rejected,
    /// DNS, connect, reset or TLS failure.
    Network = Network,
    /// The connect, read or overall deadline passed.
    Timeout = Timeout,
    /// A response that cannot be interpreted.
    Protocol = Protocol,
    /// A bug: a panic caught at the FFI boundary.
    Internal = Internal,
    /// The progress listener returned `false`.
    Cancelled = Cancelled,
}

impl From<wablock::Error> for WablockError {
    /// The one conversion from the core error: every field, and the core's canonical JSON.
    fn from(e: wablock::Error) -> Self {
        let fields = Fields {
            error_message: e.message().to_string(),
            http_status: e.http_status(),
            code: e.code(),
            subcode: e.subcode(),
            details: e.details().map(str::to_string),
            fbtrace_id: e.fbtrace_id().map(str::to_string),
            retryable: e.is_retryable(),
            retry_after_ms: e.retry_after().map(|d| d.as_millis() as u64),
            partial: e.partial().cloned().map(Outcome::from),
            not_attempted: e.not_attempted().to_vec(),
            canonical_json: e.to_canonical_json(),
        };
        match ErrorKind::from_core(e.kind()) {
            Some(kind) => WablockError::from_parts(kind, fields),
            // A kind newer than this binding: keep the core's fields and JSON, surface it as
            // a binding bug so that it is noticed rather than misclassified.
            None => WablockError::from_parts(
                ErrorKind::Internal,
                Fields {
                    error_message: format!(
                        "wablock-uniffi does not know the error kind {}: {}",
                        e.kind(),
                        e.message()
                    ),
                    ..fields
                },
            ),
        }
    }
}

impl fmt::Display for WablockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, message, _) = self.parts();
        write!(f, "{}: {message}", kind.to_core())
    }
}

impl std::error::Error for WablockError {}

#[uniffi::export]
impl WablockError {
    /// The kind of this error (the variant, as a value).
    pub fn kind(&self) -> ErrorKind {
        self.parts().0
    }

    /// The canonical kind name, e.g. `"RATE_LIMITED"`.
    pub fn kind_name(&self) -> String {
        self.parts().0.to_core().as_str().to_string()
    }

    /// The core's canonical JSON of this error, `{"error": {…}}` (docs/behaviour.md §5).
    pub fn to_canonical_json(&self) -> String {
        self.parts().2.clone()
    }
}

#[uniffi::export]
impl ErrorKind {
    /// The canonical name, e.g. `"RATE_LIMITED"`.
    pub fn canonical_name(&self) -> String {
        self.to_core().as_str().to_string()
    }

    /// The fixed numeric code (the C status).
    pub fn code(&self) -> u32 {
        self.to_core().code()
    }
}

/// The longest panic text kept in an `Internal` error's message.
const MAX_PANIC_MESSAGE_CHARS: usize = 400;

/// Runs `f` inside a panic boundary: a panic becomes an `Internal` error built by the core's
/// own constructor, so its JSON has the usual shape.
fn guard<T>(f: impl FnOnce() -> Result<T, WablockError>) -> Result<T, WablockError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic with no message".to_string());
        // A foreign callback's failure arrives with its whole stack trace: keep the start.
        let what: String = what.chars().take(MAX_PANIC_MESSAGE_CHARS).collect();
        Err(wablock::Error::new(CoreKind::Internal, format!("internal error: {what}")).into())
    })
}

// ----------------------------------------------------------------------------------- records

/// Which mutation a call performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Operation {
    /// `POST block_users`.
    Block,
    /// `DELETE block_users`.
    Unblock,
}

/// Why one user was not blocked or unblocked (docs/behaviour.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Reason {
    /// 131047: no message from this user in the last 24 hours, or not a WhatsApp user.
    ReengagementRequired,
    /// 131021: a business number cannot block itself.
    SelfBlock,
    /// 139101: the blocklist holds 64,000 users already.
    BlocklistFull,
    /// 130429: throttled until the retry budget ran out.
    RateLimited,
    /// 139103: Meta's internal error until the retry budget ran out.
    Server,
    /// Not a phone number, WA ID or BSUID; never sent.
    InvalidUser,
    /// The server's answer did not mention this user.
    Unconfirmed,
    /// Any other per-user error code.
    Other,
}

/// A user the server confirmed as blocked (or unblocked).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Success {
    /// The caller's string, exactly as passed.
    pub input: String,
    /// What was sent for it after normalisation.
    pub sent: String,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<String>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<String>,
}

/// A user that was not blocked (or unblocked), and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Failure {
    /// The caller's string, exactly as passed.
    pub input: String,
    /// What was sent for it; absent when it was never sent (`INVALID_USER`).
    pub sent: Option<String>,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<String>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<String>,
    /// The classified reason.
    pub reason: Reason,
    /// The server's error code, when the server refused the user.
    pub code: Option<i64>,
    /// The server's message, or wablock's for client-side reasons.
    pub message: String,
    /// The server's `error_data.details`, if any.
    pub details: Option<String>,
    /// One plain-language sentence a support agent can show a person.
    pub hint: String,
}

/// The result of a block or unblock call: every input exactly once, in `succeeded` or
/// `failed`, in the caller's order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Outcome {
    /// Block or unblock.
    pub operation: Operation,
    /// Users the server confirmed.
    pub succeeded: Vec<Success>,
    /// Users refused, never sent, or left unconfirmed.
    pub failed: Vec<Failure>,
    /// HTTP requests made, retries included.
    pub requests: u32,
}

/// A blocked user as the list reports it: a WA ID, a BSUID, or both.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BlockedUser {
    /// The user's WhatsApp ID (digits), when the list gives one.
    pub wa_id: Option<String>,
    /// The user's business-scoped user ID, when the list gives one.
    pub user_id: Option<String>,
}

/// One page of the blocklist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Page {
    /// Users on this page, in the server's order.
    pub users: Vec<BlockedUser>,
    /// Cursor for the next page.
    pub after: Option<String>,
    /// Cursor for the previous page.
    pub before: Option<String>,
    /// True when there is a next page.
    pub has_more: bool,
}

/// Progress of a bulk call, as the core reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Progress {
    /// Distinct users whose batch has finished.
    pub done: u64,
    /// Distinct valid users to send in all.
    pub total: u64,
}

macro_rules! mirror_enum {
    ($ours:ident <=> $core:path { $($variant:ident),* $(,)? }) => {
        impl From<$core> for $ours {
            fn from(v: $core) -> Self {
                match v { $(<$core>::$variant => $ours::$variant,)* }
            }
        }
        impl From<$ours> for $core {
            fn from(v: $ours) -> Self {
                match v { $($ours::$variant => <$core>::$variant,)* }
            }
        }
    };
}

mirror_enum!(Operation <=> wablock::Operation { Block, Unblock });
mirror_enum!(Reason <=> wablock::Reason {
    ReengagementRequired, SelfBlock, BlocklistFull, RateLimited, Server, InvalidUser,
    Unconfirmed, Other,
});

impl From<wablock::Outcome> for Outcome {
    fn from(o: wablock::Outcome) -> Self {
        Outcome {
            operation: o.operation.into(),
            succeeded: o
                .succeeded
                .into_iter()
                .map(|s| Success {
                    input: s.input,
                    sent: s.sent,
                    wa_id: s.wa_id,
                    user_id: s.user_id,
                })
                .collect(),
            failed: o
                .failed
                .into_iter()
                .map(|f| Failure {
                    input: f.input,
                    sent: f.sent,
                    wa_id: f.wa_id,
                    user_id: f.user_id,
                    reason: f.reason.into(),
                    code: f.code,
                    message: f.message,
                    details: f.details,
                    hint: f.hint,
                })
                .collect(),
            requests: o.requests,
        }
    }
}

impl From<&Outcome> for wablock::Outcome {
    fn from(o: &Outcome) -> Self {
        wablock::Outcome {
            operation: o.operation.into(),
            succeeded: o
                .succeeded
                .iter()
                .map(|s| wablock::Success {
                    input: s.input.clone(),
                    sent: s.sent.clone(),
                    wa_id: s.wa_id.clone(),
                    user_id: s.user_id.clone(),
                })
                .collect(),
            failed: o
                .failed
                .iter()
                .map(|f| wablock::Failure {
                    input: f.input.clone(),
                    sent: f.sent.clone(),
                    wa_id: f.wa_id.clone(),
                    user_id: f.user_id.clone(),
                    reason: f.reason.into(),
                    code: f.code,
                    message: f.message.clone(),
                    details: f.details.clone(),
                    hint: f.hint.clone(),
                })
                .collect(),
            requests: o.requests,
        }
    }
}

impl From<wablock::BlockedUser> for BlockedUser {
    fn from(u: wablock::BlockedUser) -> Self {
        BlockedUser {
            wa_id: u.wa_id,
            user_id: u.user_id,
        }
    }
}

impl From<wablock::Page> for Page {
    fn from(p: wablock::Page) -> Self {
        Page {
            users: p.users.into_iter().map(BlockedUser::from).collect(),
            after: p.after,
            before: p.before,
            has_more: p.has_more,
        }
    }
}

impl From<&Page> for wablock::Page {
    fn from(p: &Page) -> Self {
        wablock::Page {
            users: p
                .users
                .iter()
                .map(|u| wablock::BlockedUser {
                    wa_id: u.wa_id.clone(),
                    user_id: u.user_id.clone(),
                })
                .collect(),
            after: p.after.clone(),
            before: p.before.clone(),
            has_more: p.has_more,
        }
    }
}

#[uniffi::export]
impl Outcome {
    /// The core's canonical JSON of this outcome, `{"outcome": {…}}` (docs/behaviour.md §5).
    pub fn to_canonical_json(&self) -> String {
        wablock::Outcome::from(self).to_canonical_json()
    }
}

#[uniffi::export]
impl Page {
    /// The core's canonical JSON of this page, `{"page": {…}}` (docs/behaviour.md §5).
    pub fn to_canonical_json(&self) -> String {
        wablock::Page::from(self).to_canonical_json()
    }
}

#[uniffi::export]
impl Reason {
    /// The canonical name, e.g. `"REENGAGEMENT_REQUIRED"`.
    pub fn canonical_name(&self) -> String {
        wablock::Reason::from(*self).as_str().to_string()
    }

    /// The core's plain-language hint for this reason.
    pub fn hint(&self) -> String {
        wablock::Reason::from(*self).hint().to_string()
    }
}

// ---------------------------------------------------------------------------------- progress

/// Implemented in Kotlin or Swift to follow a bulk call. Called after each batch, possibly
/// from several threads at once (batches run in parallel); return `false` to cancel: no new
/// batch starts and the call fails with `CANCELLED`, carrying `partial` and `not_attempted`.
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` distinct users of `total` have their final answer. Return `true` to go on.
    fn on_progress(&self, done: u64, total: u64) -> bool;
}

// ------------------------------------------------------------------------------------ client

/// Settings of a [`Client`]; every field is optional and defaults to the core's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ClientOptions {
    /// API base URL, e.g. a sandbox's `http://127.0.0.1:PORT`.
    #[uniffi(default)]
    pub base_url: Option<String>,
    /// Graph API version (Meta only), default `v25.0`.
    #[uniffi(default)]
    pub api_version: Option<String>,
    /// Connect timeout in milliseconds.
    #[uniffi(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Read timeout in milliseconds.
    #[uniffi(default)]
    pub read_timeout_ms: Option<u64>,
    /// Overall deadline of a call in milliseconds; none by default.
    #[uniffi(default)]
    pub deadline_ms: Option<u64>,
    /// Attempts per request, the first included; 1 means no retries.
    #[uniffi(default)]
    pub max_attempts: Option<u32>,
    /// The delay before the first retry, in milliseconds.
    #[uniffi(default)]
    pub initial_backoff_ms: Option<u64>,
    /// The cap on any retry delay, in milliseconds.
    #[uniffi(default)]
    pub max_backoff_ms: Option<u64>,
    /// Full jitter on retry delays.
    #[uniffi(default)]
    pub jitter: Option<bool>,
    /// Users per request (at most 1,000).
    #[uniffi(default)]
    pub max_batch: Option<u32>,
    /// Batches in flight at once (at most 16).
    #[uniffi(default)]
    pub parallelism: Option<u32>,
    /// Allow plain `http://` to a non-loopback host.
    #[uniffi(default)]
    pub allow_insecure_http: Option<bool>,
    /// Cap on a response body, in bytes.
    #[uniffi(default)]
    pub max_response_bytes: Option<u64>,
    /// Iterator restarts allowed on 139102.
    #[uniffi(default)]
    pub list_restart_budget: Option<u32>,
}

impl ClientOptions {
    fn apply(self, mut b: wablock::ClientBuilder) -> wablock::ClientBuilder {
        let ms = Duration::from_millis;
        if let Some(v) = self.base_url {
            b = b.base_url(v);
        }
        if let Some(v) = self.api_version {
            b = b.api_version(v);
        }
        if let Some(v) = self.connect_timeout_ms {
            b = b.connect_timeout(ms(v));
        }
        if let Some(v) = self.read_timeout_ms {
            b = b.read_timeout(ms(v));
        }
        if let Some(v) = self.deadline_ms {
            b = b.deadline(Some(ms(v)));
        }
        if self.max_attempts.is_some()
            || self.initial_backoff_ms.is_some()
            || self.max_backoff_ms.is_some()
            || self.jitter.is_some()
        {
            let d = wablock::RetryPolicy::default();
            b = b.retry_policy(wablock::RetryPolicy {
                max_attempts: self.max_attempts.unwrap_or(d.max_attempts),
                initial_backoff: self.initial_backoff_ms.map_or(d.initial_backoff, ms),
                max_backoff: self.max_backoff_ms.map_or(d.max_backoff, ms),
                jitter: self.jitter.unwrap_or(d.jitter),
            });
        }
        if let Some(v) = self.max_batch {
            b = b.max_batch(v as usize);
        }
        if let Some(v) = self.parallelism {
            b = b.parallelism(v as usize);
        }
        if let Some(v) = self.allow_insecure_http {
            b = b.allow_insecure_http(v);
        }
        if let Some(v) = self.max_response_bytes {
            b = b.max_response_bytes(v);
        }
        if let Some(v) = self.list_restart_budget {
            b = b.list_restart_budget(v);
        }
        b
    }
}

/// A client of the Block Users API. Thread-safe: one client may serve many threads at once.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: wablock::Client,
}

fn build(
    builder: wablock::ClientBuilder,
    options: Option<ClientOptions>,
) -> Result<Arc<Client>, WablockError> {
    let builder = options.unwrap_or_default().apply(builder);
    Ok(Arc::new(Client {
        inner: builder.build()?,
    }))
}

impl Client {
    fn mutate(
        &self,
        operation: wablock::Operation,
        users: Vec<String>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<Outcome, WablockError> {
        guard(|| {
            let progress = |p: wablock::Progress| {
                let go_on = listener
                    .as_ref()
                    .is_none_or(|l| l.on_progress(p.done as u64, p.total as u64));
                if go_on {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            };
            let callback: Option<&wablock::ProgressFn> = match listener {
                Some(_) => Some(&progress),
                None => None,
            };
            Ok(self.inner.mutate(operation, users, callback)?.into())
        })
    }
}

#[uniffi::export]
impl Client {
    /// A client of Meta's Cloud API for one phone number.
    #[uniffi::constructor(default(options = None))]
    pub fn meta(
        phone_number_id: String,
        access_token: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, WablockError> {
        guard(|| {
            build(
                wablock::Client::meta(phone_number_id, access_token),
                options,
            )
        })
    }

    /// A client of 360dialog's API; the key belongs to one phone number.
    #[uniffi::constructor(default(options = None))]
    pub fn dialog360(
        api_key: String,
        options: Option<ClientOptions>,
    ) -> Result<Arc<Self>, WablockError> {
        guard(|| build(wablock::Client::dialog360(api_key), options))
    }

    /// A client from the `WABLOCK_*` environment variables (see the core's
    /// `ClientBuilder::from_env`), then `options`.
    #[uniffi::constructor(default(options = None))]
    pub fn from_env(options: Option<ClientOptions>) -> Result<Arc<Self>, WablockError> {
        guard(|| build(wablock::ClientBuilder::from_env()?, options))
    }

    /// Blocks `users`. The outcome accounts for every input exactly once.
    #[uniffi::method(default(listener = None))]
    pub fn block(
        &self,
        users: Vec<String>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<Outcome, WablockError> {
        self.mutate(wablock::Operation::Block, users, listener)
    }

    /// Unblocks `users`. The outcome accounts for every input exactly once.
    #[uniffi::method(default(listener = None))]
    pub fn unblock(
        &self,
        users: Vec<String>,
        listener: Option<Arc<dyn ProgressListener>>,
    ) -> Result<Outcome, WablockError> {
        self.mutate(wablock::Operation::Unblock, users, listener)
    }

    /// One page of the blocklist: `limit` users at most, after or before a cursor.
    #[uniffi::method(default(limit = None, after = None, before = None))]
    pub fn list_page(
        &self,
        limit: Option<u32>,
        after: Option<String>,
        before: Option<String>,
    ) -> Result<Page, WablockError> {
        guard(|| {
            Ok(self
                .inner
                .list_page(limit, after.as_deref(), before.as_deref())?
                .into())
        })
    }

    /// A lazy iterator over every blocked user, `page_size` per request.
    #[uniffi::method(default(page_size = None))]
    pub fn blocked_users(&self, page_size: Option<u32>) -> Arc<BlockedUsersIterator> {
        Arc::new(BlockedUsersIterator {
            inner: Mutex::new(self.inner.blocked_users(page_size)),
        })
    }

    /// Whether `user` is on the blocklist. Walks the whole list: O(blocklist) requests.
    pub fn is_blocked(&self, user: String) -> Result<bool, WablockError> {
        guard(|| Ok(self.inner.is_blocked(&user)?))
    }
}

/// The blocklist, one user at a time, following cursors. `next()` returns `null`/`nil` at the
/// end; after an error it ends.
#[derive(Debug, uniffi::Object)]
pub struct BlockedUsersIterator {
    inner: Mutex<wablock::BlockedUsers>,
}

#[uniffi::export]
impl BlockedUsersIterator {
    /// The next blocked user, `None` at the end, or the error that ended the walk.
    pub fn next(&self) -> Result<Option<BlockedUser>, WablockError> {
        guard(|| {
            // A panic while iterating poisons the lock; the iterator state is then unknown,
            // so report it as the internal error it is rather than continue.
            let mut it = self.inner.lock().map_err(|_| {
                WablockError::from(wablock::Error::new(
                    CoreKind::Internal,
                    "the blocked-users iterator failed earlier with an internal error",
                ))
            })?;
            it.next()
                .transpose()
                .map(|u| u.map(BlockedUser::from))
                .map_err(Into::into)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_has_its_variant_and_json() {
        for kind in CoreKind::ALL {
            let err = WablockError::from(wablock::Error::new(kind, "m"));
            assert_eq!(err.kind().to_core(), kind);
            assert_eq!(err.kind_name(), kind.as_str());
            assert_eq!(err.kind().code(), kind.code());
            assert_eq!(
                err.to_canonical_json(),
                wablock::Error::new(kind, "m").to_canonical_json()
            );
        }
    }

    #[test]
    fn panics_become_internal_errors() {
        let err = guard::<()>(|| panic!("boom")).unwrap_err();
        assert!(
            matches!(&err, WablockError::Internal { error_message, .. } if error_message.contains("boom"))
        );
        let json: serde_json::Value = serde_json::from_str(&err.to_canonical_json()).unwrap();
        assert_eq!(json["error"]["kind"], "INTERNAL");
    }

    #[test]
    fn outcome_round_trips_to_core_json() {
        let client = Client::meta("1000".into(), "t".into(), None).unwrap();
        // An all-invalid list is answered without a request; the JSON is the core's.
        let outcome = client.block(vec!["not a user".into()], None).unwrap();
        assert_eq!(outcome.failed[0].reason, Reason::InvalidUser);
        let core = wablock::Client::meta("1000", "t")
            .build()
            .unwrap()
            .block(["not a user"])
            .unwrap();
        assert_eq!(outcome.to_canonical_json(), core.to_canonical_json());
    }

    #[test]
    fn token_never_in_debug_or_errors() {
        let client = Client::meta("1000".into(), "SECRET-TOKEN-XYZ".into(), None).unwrap();
        assert!(!format!("{client:?}").contains("SECRET-TOKEN-XYZ"));
        let err = client.block(vec![], None).unwrap_err();
        assert!(matches!(err, WablockError::InvalidArgument { .. }));
        assert!(!format!("{err:?} {err}").contains("SECRET-TOKEN-XYZ"));
    }
}
