//! UniFFI bindings of [`wablock`] for Kotlin (JVM and Android) and Swift (iOS and macOS).
//!
//! This crate converts types and nothing else: every behaviour (validation, messages, hints,
//! classification, retries, canonical JSON) comes from the core, so Kotlin and Swift fail
//! exactly as Rust, C, Go and Python do.
//!
//! - [`Client`]: constructors [`Client::meta`], [`Client::dialog360`] and [`Client::from_env`];
//!   operations `block`, `unblock`, `list_page`, `blocked_users` (a [`BlockedUsersIterator`])
//!   and `is_blocked`.
//! - Results: the core's own `Outcome`, `Success`, `Failure`, `Page`, `BlockedUser`,
//!   `Operation` and `Reason`, exposed as UniFFI remote types (records and enums) so that no
//!   copy of them exists here. Their canonical JSON comes from the core, through free
//!   functions ([`outcome_to_canonical_json`], [`page_to_canonical_json`], …): remote types
//!   cannot carry methods.
//! - Errors: [`WablockError`], one variant per kind of docs/behaviour.md §3.2, each carrying
//!   every field and the core error itself ([`CoreError`]), whose `Display` and JSON are the
//!   core's. Kotlin sees a sealed `WablockException` class, Swift a `WablockError` enum.
//! - Progress: the foreign-implemented [`ProgressListener`]; returning `false` (or throwing)
//!   cancels.
//! - Cancellation: [`CancelToken`] and [`Client::with_cancel`], which Kotlin's `AsyncClient`
//!   and Swift's `async` functions trigger when their coroutine or task is cancelled.
//! - The 24-hour window (feature `window`, on by default; Kotlin only): `Window` over
//!   `wablock_window` (docs/window.md), in `window.rs`.
//!
//! Every exported call runs inside a panic boundary: a panic (a core bug, or a foreign callback
//! that threw) becomes the core's `INTERNAL` error instead of unwinding across the FFI.

// The error is the foreign API's exception: its fields are lowered by value across the FFI,
// so boxing them would not help, and every call that returns it made HTTP requests anyway.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wablock::ErrorKind as CoreKind;
use wablock::{BlockedUser, CompactString, Failure, Operation, Outcome, Page, Reason, Success};

uniffi::setup_scaffolding!();

// The core's per-user strings cross the FFI as plain strings: Kotlin and Swift see
// `CompactString` as a type alias of their own `String`.
uniffi::custom_type!(CompactString, String, {
    remote,
    lower: |s| s.into_string(),
    try_lift: |s| Ok(CompactString::from(s)),
});

mod fleet;
pub use fleet::*;

#[cfg(feature = "window")]
mod window;
#[cfg(feature = "window")]
pub use window::*;

// ------------------------------------------------------------------------------------ errors

/// The core error behind a [`WablockError`]: its text (`toString()` / `description`) and its
/// canonical JSON are the core's own.
#[derive(Debug, PartialEq, Eq, uniffi::Object)]
#[uniffi::export(Display)]
pub struct CoreError(wablock::Error);

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[uniffi::export]
impl CoreError {
    /// The core's canonical JSON of this error, `{"error": {…}}` (docs/behaviour.md §5).
    pub fn to_canonical_json(&self) -> String {
        self.0.to_canonical_json()
    }
}

/// Declares [`WablockError`] with one variant per kind, all with the same fields, and the
/// conversion from the core error. One list, so a new kind cannot get a variant with
/// different fields.
macro_rules! wablock_error {
    ($($(#[doc = $doc:literal])* $variant:ident = $kind:ident,)*) => {
        /// A call that failed as a whole (docs/behaviour.md §3.2): one variant per kind, each
        /// with every field of the core error. In Kotlin this is the sealed class
        /// `WablockException` (`WablockException.Auth`, …); in Swift the enum `WablockError`
        /// (`.auth(…)`, …).
        ///
        /// The core's message is in `error_message`: Kotlin exceptions already own a
        /// `message` property, so a field of that name would not compile there.
        #[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
        #[uniffi::export(Display)]
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
                    /// The core error itself: its `Display` and canonical JSON.
                    core: Arc<CoreError>,
                },
            )*
        }

        impl From<wablock::Error> for WablockError {
            /// The one conversion from the core error: every field, and the error itself.
            fn from(e: wablock::Error) -> Self {
                let kind = ErrorKind::from_core(e.kind());
                let error_message = e.message().to_string();
                let http_status = e.http_status();
                let code = e.code();
                let subcode = e.subcode();
                let details = e.details().map(str::to_string);
                let fbtrace_id = e.fbtrace_id().map(str::to_string);
                let retryable = e.is_retryable();
                let retry_after_ms = e.retry_after().map(|d| d.as_millis() as u64);
                let partial = e.partial().cloned();
                let not_attempted = e.not_attempted().to_vec();
                let core = Arc::new(CoreError(e));
                match kind {
                    $(ErrorKind::$kind => WablockError::$variant {
                        error_message, http_status, code, subcode, details, fbtrace_id,
                        retryable, retry_after_ms, partial, not_attempted, core,
                    },)*
                }
            }
        }

        impl WablockError {
            fn parts(&self) -> (ErrorKind, &CoreError) {
                match self {
                    $(WablockError::$variant { core, .. } => (ErrorKind::$kind, core),)*
                }
            }
        }

        /// The kind of a [`WablockError`], with the fixed numbers of docs/behaviour.md §3.2.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            /// The variant of a core kind. The core's list is non-exhaustive: a kind newer
            /// than this binding surfaces as `Internal`, with the core error (and its own
            /// kind in the JSON) intact, so that it is noticed rather than misclassified.
            fn from_core(kind: CoreKind) -> Self {
                match kind {
                    $(CoreKind::$kind => ErrorKind::$kind,)*
                    _ => ErrorKind::Internal,
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
    /// Stopped by the caller: the progress listener returned `false` (or threw), or the
    /// [`CancelToken`] was cancelled (a cancelled coroutine or task).
    Cancelled = Cancelled,
}

/// The core's `Display`: `KIND: message (code N)`.
impl fmt::Display for WablockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts().1.fmt(f)
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
        self.parts().1.0.kind().as_str().to_string()
    }

    /// The core's canonical JSON of this error, `{"error": {…}}` (docs/behaviour.md §5).
    pub fn to_canonical_json(&self) -> String {
        self.parts().1.to_canonical_json()
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

/// Runs `f` inside a panic boundary: a panic becomes the core's `INTERNAL` error, worded as in
/// every language.
fn guard<T>(f: impl FnOnce() -> Result<T, WablockError>) -> Result<T, WablockError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(wablock::Error::from_panic(payload.as_ref()).into()))
}

// ------------------------------------------------------------------- the core's result types

// The core's types, declared to UniFFI as remote types: these mirror the core's definitions
// field for field (the compiler checks them), and values cross the FFI without any copy
// written here.

/// Which mutation a call performed.
#[uniffi::remote(Enum)]
pub enum Operation {
    /// `POST block_users`.
    Block,
    /// `DELETE block_users`.
    Unblock,
}

/// Why one user was not blocked or unblocked (docs/behaviour.md §3.1).
#[uniffi::remote(Enum)]
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
#[uniffi::remote(Record)]
pub struct Success {
    /// The caller's string, exactly as passed.
    pub input: CompactString,
    /// What was sent for it after normalisation.
    pub sent: CompactString,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<CompactString>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<CompactString>,
}

/// A user that was not blocked (or unblocked), and why.
#[uniffi::remote(Record)]
pub struct Failure {
    /// The caller's string, exactly as passed.
    pub input: CompactString,
    /// What was sent for it; absent when it was never sent (`INVALID_USER`).
    pub sent: Option<CompactString>,
    /// The WhatsApp ID the server reported, if any.
    pub wa_id: Option<CompactString>,
    /// The business-scoped user ID the server reported, if any.
    pub user_id: Option<CompactString>,
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
#[uniffi::remote(Record)]
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
#[uniffi::remote(Record)]
pub struct BlockedUser {
    /// The user's WhatsApp ID (digits), when the list gives one.
    pub wa_id: Option<CompactString>,
    /// The user's business-scoped user ID, when the list gives one.
    pub user_id: Option<CompactString>,
}

/// One page of the blocklist.
#[uniffi::remote(Record)]
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

// ------------------------------------------------------------------ the core's JSON and text

/// The core's canonical JSON of an outcome, `{"outcome": {…}}` (docs/behaviour.md §5).
#[uniffi::export]
pub fn outcome_to_canonical_json(outcome: &Outcome) -> String {
    outcome.to_canonical_json()
}

/// The core's canonical JSON of a page, `{"page": {…}}` (docs/behaviour.md §5).
#[uniffi::export]
pub fn page_to_canonical_json(page: &Page) -> String {
    page.to_canonical_json()
}

/// The core's `{"blocked_users": {"users": […], "error": …}}` of a whole walk of the
/// blocklist: the users yielded, and the error that ended the walk, if one did.
#[uniffi::export(default(error = None))]
pub fn blocked_users_canonical_json(users: &[BlockedUser], error: Option<WablockError>) -> String {
    wablock::blocked_users_canonical_json(users, error.as_ref().map(|e| &e.parts().1.0))
}

/// The core's `{"is_blocked": …}`.
#[uniffi::export]
pub fn is_blocked_canonical_json(blocked: bool) -> String {
    wablock::is_blocked_canonical_json(blocked)
}

/// Canonical JSON text (compact, keys sorted at every level) of any JSON document, written by
/// the core; the conformance runners compare expected results through it. Text that is not
/// JSON is an `INVALID_ARGUMENT` error.
#[uniffi::export]
pub fn canonical_json(text: String) -> Result<String, WablockError> {
    wablock::canonical_json_text(&text).map_err(Into::into)
}

/// The canonical name of a reason, e.g. `"REENGAGEMENT_REQUIRED"`.
#[uniffi::export]
pub fn reason_canonical_name(reason: Reason) -> String {
    reason.as_str().to_string()
}

/// The core's plain-language hint for a reason.
#[uniffi::export]
pub fn reason_hint(reason: Reason) -> String {
    reason.hint().to_string()
}
// ---------------------------------------------------------------------------------- progress

/// Implemented in Kotlin or Swift to follow a bulk call. Called after each batch, possibly
/// from several threads at once (batches run in parallel); return `false` to cancel: no new
/// batch starts and the call fails with `CANCELLED`, carrying `partial` and `not_attempted`.
///
/// A listener that throws stops the call as `false` does: the call fails with `CANCELLED`,
/// with the same accounting, and nothing is printed. (Kotlin's `block(users) { done, total ->
/// … }` overloads rethrow the listener's own exception instead, carrying that error as
/// suppressed.)
#[uniffi::export(with_foreign)]
pub trait ProgressListener: Send + Sync {
    /// `done` distinct users of `total` have their final answer. Return `true` to go on.
    fn on_progress(&self, done: u64, total: u64) -> Result<bool, ListenerError>;
}

/// What a [`ProgressListener`] threw. Any exception a Kotlin or Swift listener throws arrives
/// as this (UniFFI's unexpected-callback-error path): it stops the call as `false` would, and
/// never unwinds or prints a trace.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum ListenerError {
    /// The listener threw; `reason` is the exception's text.
    Thrown {
        /// The exception's `toString()` / description.
        reason: String,
    },
}

impl fmt::Display for ListenerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenerError::Thrown { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for ListenerError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Thrown { reason: e.reason }
    }
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
    /// The core's option record: milliseconds become durations, counts the core's types.
    fn into_core(self) -> wablock::ClientOptions {
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        wablock::ClientOptions {
            base_url: self.base_url,
            api_version: self.api_version,
            connect_timeout: ms(self.connect_timeout_ms),
            read_timeout: ms(self.read_timeout_ms),
            deadline: ms(self.deadline_ms),
            max_attempts: self.max_attempts,
            initial_backoff: ms(self.initial_backoff_ms),
            max_backoff: ms(self.max_backoff_ms),
            jitter: self.jitter,
            max_batch: self.max_batch.map(|v| v as usize),
            parallelism: self.parallelism.map(|v| v as usize),
            allow_insecure_http: self.allow_insecure_http,
            max_response_bytes: self.max_response_bytes,
            list_restart_budget: self.list_restart_budget,
        }
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
    let builder = builder.options(options.unwrap_or_default().into_core());
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
                // A listener that threw (Err) stops the call as `false` does.
                let go_on = listener.as_ref().is_none_or(|l| {
                    l.on_progress(p.done as u64, p.total as u64)
                        .unwrap_or(false)
                });
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
            Ok(self.inner.mutate(operation, users, callback)?)
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
            let cursor = wablock::Cursor::from_options(after.as_deref(), before.as_deref())?;
            Ok(self.inner.list_page(limit, cursor)?)
        })
    }

    /// A lazy iterator over every blocked user, `page_size` per request.
    #[uniffi::method(default(page_size = None))]
    pub fn blocked_users(&self, page_size: Option<u32>) -> Arc<BlockedUsersIterator> {
        Arc::new(BlockedUsersIterator {
            inner: Mutex::new(self.inner.blocked_users(page_size)),
        })
    }

    /// A client sharing this one's connections and settings whose every call observes
    /// `token` (see [`CancelToken`]).
    pub fn with_cancel(&self, token: Arc<CancelToken>) -> Arc<Client> {
        Arc::new(Client {
            inner: self.inner.with_cancel(token.0.clone()),
        })
    }

    /// Whether `user` is on the blocklist. Walks the whole list: O(blocklist) requests.
    pub fn is_blocked(&self, user: String) -> Result<bool, WablockError> {
        guard(|| Ok(self.inner.is_blocked(&user)?))
    }
}

// ------------------------------------------------------------------------------ cancellation

/// A cancellation handle (the core's `CancelToken`): `cancel()` from any thread stops every
/// call of a client made with [`Client::with_cancel`] before its next batch, page, request or
/// retry; requests in flight finish, and the call fails with `CANCELLED`, its `partial` and
/// `not_attempted` accounting for every input. It never becomes un-cancelled: use one per call.
/// Kotlin's `AsyncClient` and Swift's `async` functions make one per call and trigger it when
/// the coroutine or task is cancelled.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken(wablock::CancelToken);

#[uniffi::export]
impl CancelToken {
    /// A token not cancelled yet.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(CancelToken(wablock::CancelToken::new()))
    }

    /// Cancels every call observing this token. Idempotent; callable from any thread.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// True once `cancel()` ran.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
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
            // A panic caught earlier may have poisoned the lock; the core iterator then goes
            // on from its last consistent state, as it does in Python.
            let mut it = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            Ok(it.next().transpose()?)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_core_kind_has_its_variant_and_the_cores_text_and_json() {
        for kind in CoreKind::ALL {
            let core = wablock::Error::new(kind, "m");
            let err = WablockError::from(core.clone());
            assert_eq!(err.kind().to_core(), kind);
            assert_eq!(err.kind_name(), kind.as_str());
            assert_eq!(err.kind().code(), kind.code());
            assert_eq!(err.to_canonical_json(), core.to_canonical_json());
            assert_eq!(err.to_string(), core.to_string());
        }
    }

    #[test]
    fn panics_become_the_cores_internal_error() {
        let err = guard::<()>(|| panic!("boom")).unwrap_err();
        let WablockError::Internal { error_message, .. } = &err else {
            panic!("{err:?}")
        };
        let core: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(
            *error_message,
            wablock::Error::from_panic(core.as_ref()).message()
        );
        let json: serde_json::Value = serde_json::from_str(&err.to_canonical_json()).unwrap();
        assert_eq!(json["error"]["kind"], "INTERNAL");
    }

    #[test]
    fn results_are_the_cores_values_and_json() {
        let client = Client::meta("1000".into(), "t-token".into(), None).unwrap();
        // An all-invalid list is answered without a request.
        let outcome = client.block(vec!["not a user".into()], None).unwrap();
        let core = wablock::Client::meta("1000", "t-token")
            .build()
            .unwrap()
            .block(["not a user"])
            .unwrap();
        assert_eq!(outcome, core);
        assert_eq!(
            outcome_to_canonical_json(&outcome),
            core.to_canonical_json()
        );
        assert_eq!(reason_hint(Reason::InvalidUser), outcome.failed[0].hint);
        assert_eq!(reason_canonical_name(Reason::InvalidUser), "INVALID_USER");
    }

    #[test]
    fn walk_and_is_blocked_json_are_the_cores() {
        let users = vec![BlockedUser {
            wa_id: Some("16505551234".into()),
            user_id: None,
        }];
        let error = wablock::Error::new(CoreKind::Auth, "refused");
        assert_eq!(
            blocked_users_canonical_json(&users, Some(error.clone().into())),
            wablock::blocked_users_canonical_json(&users, Some(&error))
        );
        assert_eq!(
            blocked_users_canonical_json(&users, None),
            wablock::blocked_users_canonical_json(&users, None)
        );
        assert_eq!(is_blocked_canonical_json(true), "{\"is_blocked\":true}");
        assert_eq!(
            canonical_json("{\"b\":1,\"a\":[]}".into()).unwrap(),
            "{\"a\":[],\"b\":1}"
        );
        assert!(matches!(
            canonical_json("nope".into()),
            Err(WablockError::InvalidArgument { .. })
        ));
    }

    #[test]
    fn options_reach_the_core() {
        let err = Client::meta(
            "1000".into(),
            "t-token".into(),
            Some(ClientOptions {
                max_batch: Some(0),
                ..ClientOptions::default()
            }),
        )
        .unwrap_err();
        assert!(err.to_string().contains("max_batch is 0"), "{err}");
    }

    #[test]
    fn a_cancelled_token_stops_calls_before_any_request_and_only_on_its_clone() {
        // Port 9 (discard) on loopback refuses connections: a request would be NETWORK.
        let options = ClientOptions {
            base_url: Some("http://127.0.0.1:9".into()),
            max_attempts: Some(1),
            ..ClientOptions::default()
        };
        let client = Client::meta("1000".into(), "t-token".into(), Some(options)).unwrap();
        let token = CancelToken::new();
        let cancellable = client.with_cancel(token.clone());
        assert!(!token.is_cancelled());
        token.cancel();
        assert!(token.is_cancelled());
        let users = vec!["16505551234".to_string(), "not a user".to_string()];
        let err = cancellable.block(users, None).unwrap_err();
        let WablockError::Cancelled {
            not_attempted,
            partial,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        // Every input accounted for: the invalid one refused without a request, the other
        // never sent.
        assert_eq!(not_attempted, &["16505551234".to_string()]);
        assert_eq!(partial.as_ref().unwrap().failed[0].input, "not a user");
        assert!(matches!(
            cancellable.list_page(None, None, None),
            Err(WablockError::Cancelled { .. })
        ));
        // The original client does not observe the token: it tries, and the port refuses.
        assert!(matches!(
            client.list_page(None, None, None),
            Err(WablockError::Network { .. })
        ));
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
