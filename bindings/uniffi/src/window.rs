//! `Window` for Kotlin on JVM servers: blocks that wait for WhatsApp's 24-hour window
//! (docs/window.md). Every rule (signatures, parsing, the store, claims, what stays queued) and
//! every message and JSON shape is `wablock_window`'s; this converts types.
//!
//! Built with the `window` feature (on by default: the JVM jar, and the Android library, whose
//! classes are the jar's). The iOS/macOS XCFramework is built without it, so the shipped Swift
//! API never has it (webhooks reach servers, not phones). `make swift`'s development bindings,
//! generated from the workspace's library, do carry it, unused and untested in Swift: UniFFI's
//! `exclude` setting leaves converters of the excluded types behind (`[PendingBlock]` …), which
//! would not compile.

use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use wablock_window::ErrorKind as WindowKind;
use wablock_window::{PendingBlock, WhenPossible};

use crate::{CancelToken, Client, Outcome, WablockError};

// ------------------------------------------------------------------------------------ errors

/// A failed window call: one variant per `wablock_window::ErrorKind`. In Kotlin this is the
/// sealed class `WindowException` (`WindowException.Signature`, …); `toString()` is the crate's
/// `Display` (`"SIGNATURE: …"`), and `errorMessage` its message. Neither ever holds the app
/// secret, an access token or a database password.
// `Block` carries the core's whole error by value, as UniFFI lowers it (a `Box` is no UniFFI
// type); the error is built only when a call fails, so its size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum WindowError {
    /// Something unusable was passed: no client for that number, an empty list, a bad store
    /// location or user.
    InvalidArgument {
        /// What went wrong and what to do about it.
        error_message: String,
    },
    /// The webhook's `X-Hub-Signature-256` is missing, unreadable or does not match; nothing
    /// of the payload was recorded.
    Signature {
        /// What went wrong and what to do about it.
        error_message: String,
    },
    /// The body is not a WhatsApp Business webhook payload; nothing of it was recorded.
    Malformed {
        /// What went wrong, and where in the payload.
        error_message: String,
    },
    /// The store (SQLite or PostgreSQL) failed; the message says which operation.
    Store {
        /// What went wrong and what to do about it.
        error_message: String,
    },
    /// The block call failed as a whole; nothing was queued. `block_error` is the core's
    /// error, with its kind and its `partial` / `not_attempted` accounting for every user.
    Block {
        /// The core error's text.
        error_message: String,
        /// The core's error (a `WablockException` in Kotlin).
        block_error: WablockError,
    },
    /// A bug: a panic caught at the FFI boundary (or a kind newer than this binding).
    Internal {
        /// What went wrong.
        error_message: String,
    },
}

impl WindowError {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            WindowError::InvalidArgument { error_message } => {
                (WindowKind::InvalidArgument.as_str(), error_message)
            }
            WindowError::Signature { error_message } => {
                (WindowKind::Signature.as_str(), error_message)
            }
            WindowError::Malformed { error_message } => {
                (WindowKind::Malformed.as_str(), error_message)
            }
            WindowError::Store { error_message } => (WindowKind::Store.as_str(), error_message),
            WindowError::Block { error_message, .. } => (WindowKind::Block.as_str(), error_message),
            WindowError::Internal { error_message } => {
                (wablock::ErrorKind::Internal.as_str(), error_message)
            }
        }
    }
}

/// The crate's `Display`: `KIND: message`.
impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, message) = self.parts();
        write!(f, "{kind}: {message}")
    }
}

impl std::error::Error for WindowError {}

impl From<wablock_window::Error> for WindowError {
    fn from(e: wablock_window::Error) -> Self {
        let error_message = e.message().to_string();
        match (e.kind(), e.block_error()) {
            (WindowKind::InvalidArgument, _) => WindowError::InvalidArgument { error_message },
            (WindowKind::Signature, _) => WindowError::Signature { error_message },
            (WindowKind::Malformed, _) => WindowError::Malformed { error_message },
            (WindowKind::Store, _) => WindowError::Store { error_message },
            (WindowKind::Block, Some(core)) => WindowError::Block {
                error_message,
                block_error: core.clone().into(),
            },
            // A BLOCK without the core's error, or a kind newer than this binding: noticed as
            // INTERNAL rather than misclassified, the message intact.
            _ => WindowError::Internal {
                error_message: e.to_string(),
            },
        }
    }
}

#[uniffi::export]
impl WindowError {
    /// The canonical kind name: `"INVALID_ARGUMENT"`, `"SIGNATURE"`, `"MALFORMED"`, `"STORE"`,
    /// `"BLOCK"` (or `"INTERNAL"`).
    pub fn kind_name(&self) -> String {
        self.parts().0.to_string()
    }

    /// The crate's canonical JSON of this error, `{"error": {…}}`: the core's error shape, the
    /// same text C, Go, Python and the CLI print. For `Block` it is the core's own error, with
    /// its accounting; a caught panic is the core's `INTERNAL` error.
    pub fn to_canonical_json(&self) -> String {
        let (kind, message) = match self {
            WindowError::Block { block_error, .. } => return block_error.to_canonical_json(),
            WindowError::Internal { error_message } => {
                return wablock::Error::new(wablock::ErrorKind::Internal, error_message.as_str())
                    .to_canonical_json();
            }
            WindowError::InvalidArgument { error_message } => {
                (WindowKind::InvalidArgument, error_message)
            }
            WindowError::Signature { error_message } => (WindowKind::Signature, error_message),
            WindowError::Malformed { error_message } => (WindowKind::Malformed, error_message),
            WindowError::Store { error_message } => (WindowKind::Store, error_message),
        };
        wablock_window::Error::new(kind, message.as_str()).to_canonical_json()
    }
}

/// Runs `f` inside a panic boundary: a panic becomes [`WindowError::Internal`], worded as the
/// core words panics in every language.
fn guard<T>(f: impl FnOnce() -> Result<T, WindowError>) -> Result<T, WindowError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(WindowError::Internal {
            error_message: wablock::Error::from_panic(payload.as_ref())
                .message()
                .to_string(),
        })
    })
}

// ----------------------------------------------------------------------------------- results

/// The result of [`Window::block_when_possible`]: the core's outcome (every input exactly once)
/// and the inputs refused with `REENGAGEMENT_REQUIRED` and now queued (each also in
/// `outcome.failed`), in input order.
#[uniffi::remote(Record)]
pub struct WhenPossible {
    /// The core's outcome: every input exactly once, in `succeeded` or `failed`.
    pub outcome: Outcome,
    /// Inputs refused with `REENGAGEMENT_REQUIRED` and now queued, in input order.
    pub queued: Vec<String>,
}

/// A queued block, waiting for the user to write in.
#[uniffi::remote(Record)]
pub struct PendingBlock {
    /// The business phone number the block is for.
    pub phone_number_id: String,
    /// The user's identity: WA ID digits, or the BSUID.
    pub user: String,
    /// The caller's original string, sent as is when the block is made.
    pub input: String,
    /// When it was queued, Unix milliseconds.
    pub created_at_ms: i64,
    /// The process holding it right now, if any (claims expire).
    pub claim_owner: Option<String>,
    /// Until when that claim holds, Unix milliseconds (0 when unclaimed).
    pub claimed_until_ms: i64,
}

/// What happened to one queued block that `ingest` or `process_pending` took up. Exactly one of
/// `outcome` and `error` is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueuedBlockResult {
    /// The business phone number.
    pub phone_number_id: String,
    /// The user's identity (WA ID digits or BSUID).
    pub user: String,
    /// The caller's original string, as queued and sent.
    pub input: String,
    /// The block call's outcome, when it completed.
    pub outcome: Option<Outcome>,
    /// The block call's error, when it failed as a whole.
    pub error: Option<WablockError>,
    /// True when the block stays queued (a retryable failure, or the server still asks for
    /// re-engagement); false when it is done (blocked, or refused for good).
    pub still_pending: bool,
}

impl From<wablock_window::QueuedBlockResult> for QueuedBlockResult {
    fn from(r: wablock_window::QueuedBlockResult) -> Self {
        let (outcome, error) = match r.outcome {
            Ok(o) => (Some(o), None),
            Err(e) => (None, Some(WablockError::from(e))),
        };
        QueuedBlockResult {
            phone_number_id: r.phone_number_id,
            user: r.user,
            input: r.input,
            outcome,
            error,
            still_pending: r.still_pending,
        }
    }
}

impl QueuedBlockResult {
    /// The crate's value back, for its JSON. `None` when neither or both of `outcome` and
    /// `error` are set (only a record built by hand in Kotlin can be so).
    fn to_crate(&self) -> Option<wablock_window::QueuedBlockResult> {
        let outcome = match (&self.outcome, &self.error) {
            (Some(o), None) => Ok(o.clone()),
            (None, Some(e)) => Err(e.parts().1.0.clone()),
            _ => return None,
        };
        Some(wablock_window::QueuedBlockResult {
            phone_number_id: self.phone_number_id.clone(),
            user: self.user.clone(),
            input: self.input.clone(),
            outcome,
            still_pending: self.still_pending,
        })
    }
}

/// The result of [`Window::ingest`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IngestReport {
    /// Inbound messages in the payload.
    pub messages: u32,
    /// Of those, messages not seen before (a redelivered payload has none).
    pub new_messages: u32,
    /// Queued blocks taken up during this ingest.
    pub blocks: Vec<QueuedBlockResult>,
}

impl From<wablock_window::IngestReport> for IngestReport {
    fn from(r: wablock_window::IngestReport) -> Self {
        // A payload is at most 4 MiB: its message count fits in u32.
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        IngestReport {
            messages: count(r.messages),
            new_messages: count(r.new_messages),
            blocks: r.blocks.into_iter().map(Into::into).collect(),
        }
    }
}

/// An input of `cancel_pending` that is not a phone number, WA ID or BSUID.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct InvalidPendingUser {
    /// The caller's string.
    pub input: String,
    /// Why it is not a user.
    pub reason: String,
}

/// The result of [`Window::cancel_pending`]: every input exactly once.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CancelledPending {
    /// Inputs whose queued block was removed.
    pub cancelled: Vec<String>,
    /// Inputs that had no queued block on that number.
    pub not_pending: Vec<String>,
    /// Inputs that are not a phone number, WA ID or BSUID, with the reason.
    pub invalid: Vec<InvalidPendingUser>,
}

impl From<wablock_window::Cancelled> for CancelledPending {
    fn from(c: wablock_window::Cancelled) -> Self {
        CancelledPending {
            cancelled: c.cancelled,
            not_pending: c.not_pending,
            invalid: c
                .invalid
                .into_iter()
                .map(|(input, reason)| InvalidPendingUser { input, reason })
                .collect(),
        }
    }
}

/// Whether a user may be blocked right now, as far as the recorded webhooks tell. Times are
/// `java.time.Instant` in Kotlin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum WindowState {
    /// The user wrote in less than 24 hours ago: a block is accepted until `until`.
    OpenUntil {
        /// The latest message's timestamp + 24 hours.
        until: SystemTime,
    },
    /// The user's last message is older: blocks are refused since `since`.
    ClosedSince {
        /// The latest message's timestamp + 24 hours.
        since: SystemTime,
    },
    /// No message from this user to this number is recorded.
    Unknown,
}

impl From<wablock_window::WindowState> for WindowState {
    fn from(s: wablock_window::WindowState) -> Self {
        match s {
            wablock_window::WindowState::OpenUntil(until) => WindowState::OpenUntil { until },
            wablock_window::WindowState::ClosedSince(since) => WindowState::ClosedSince { since },
            wablock_window::WindowState::Unknown => WindowState::Unknown,
        }
    }
}

// --------------------------------------------------------------------- the crate's JSON

/// The crate's canonical JSON of a [`WhenPossible`], `{"outcome": {…}, "queued": […]}` (the
/// CLI's `block --when-possible --json`).
#[uniffi::export]
pub fn when_possible_to_canonical_json(result: &WhenPossible) -> String {
    result.to_canonical_json()
}

/// The crate's canonical JSON of the queue, `{"pending": [{…}…]}` (the CLI's `pending --json`).
#[uniffi::export]
pub fn pending_to_canonical_json(pending: &[PendingBlock]) -> String {
    wablock_window::pending_canonical_json(pending)
}

/// The crate's canonical JSON of an [`IngestReport`],
/// `{"ingest": {"messages", "new_messages", "blocks": […]}}` (the CLI's `webhook ingest --json`).
/// A block result with both or neither of `outcome` and `error` (built by hand) is
/// `INVALID_ARGUMENT`.
#[uniffi::export]
pub fn ingest_report_to_canonical_json(report: &IngestReport) -> Result<String, WindowError> {
    let blocks = report
        .blocks
        .iter()
        .map(|b| b.to_crate().ok_or_else(|| one_of_outcome_or_error(b)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(wablock_window::IngestReport {
        messages: report.messages as usize,
        new_messages: report.new_messages as usize,
        blocks,
    }
    .to_canonical_json())
}

/// The crate's canonical JSON of one [`QueuedBlockResult`],
/// `{"phone_number_id", "user", "input", "still_pending", "outcome" | "error"}`.
#[uniffi::export]
pub fn queued_block_result_to_canonical_json(
    result: &QueuedBlockResult,
) -> Result<String, WindowError> {
    let crate_result = result
        .to_crate()
        .ok_or_else(|| one_of_outcome_or_error(result))?;
    Ok(wablock::canonical_string(&crate_result.to_json_value()))
}

fn one_of_outcome_or_error(b: &QueuedBlockResult) -> WindowError {
    WindowError::InvalidArgument {
        error_message: format!(
            "the block result for {:?} must carry exactly one of outcome and error",
            b.input
        ),
    }
}

// ------------------------------------------------------------------------------------ window

/// Pending blocks, the 24-hour window and webhook ingest over one store (docs/window.md).
/// Thread-safe: one window may serve many threads (the store serialises its own access).
/// `close()` frees it and closes the store's connection once no call is running.
#[derive(Debug, uniffi::Object)]
pub struct Window {
    inner: wablock_window::Window,
}

#[uniffi::export]
impl Window {
    /// A window over the store at `store` (a SQLite file path, or a `postgres://` /
    /// `postgresql://` URL; `None`: the default SQLite file, `<data dir>/wablock/window.db`),
    /// blocking for each phone number id with its client (one per number; the window shares
    /// the client's connections and settings). With `app_secret` (the Meta app secret) every
    /// ingested payload must carry a valid `X-Hub-Signature-256`; without it nothing is
    /// checked. `lease`: how long a claim on a queued block holds (default 60 s); make it
    /// longer than a block call can take, retries included.
    #[uniffi::constructor(default(app_secret = None, lease = None))]
    pub fn new(
        store: Option<String>,
        clients: HashMap<String, Arc<Client>>,
        app_secret: Option<String>,
        lease: Option<Duration>,
    ) -> Result<Arc<Self>, WindowError> {
        guard(|| {
            let store = match store {
                Some(location) => wablock_window::Store::open(&location)?,
                None => wablock_window::Store::open_default()?,
            };
            let mut inner = wablock_window::Window::new(store);
            for (phone_number_id, client) in clients {
                inner = inner.client(phone_number_id, client.inner.clone());
            }
            if let Some(secret) = app_secret {
                inner = inner.app_secret(secret);
            }
            if let Some(lease) = lease {
                inner = inner.lease(lease);
            }
            Ok(Arc::new(Window { inner }))
        })
    }

    /// This window with every call observing `token`, as [`Client::with_cancel`]: the same
    /// store, clients and claims (closing either does not close the store while the other is
    /// open). Once the token is cancelled, `block_when_possible` stops as the core's block does
    /// (`Block` carrying the core's `CANCELLED` error, with its accounting; nothing is
    /// queued); `ingest` and `process_pending` refuse to start (nothing recorded), or, when
    /// already under way, take up no further queued block and return what they did (the rest
    /// stays queued). `window`, `pending` and `cancel_pending` do not observe it. Kotlin's
    /// `AsyncWindow` makes one per call and cancels the token when the coroutine is cancelled.
    pub fn with_cancel(&self, token: Arc<CancelToken>) -> Arc<Window> {
        Arc::new(Window {
            inner: self.inner.with_cancel(token.0.clone()),
        })
    }

    /// Blocks `users` on `phone_number_id` now; those refused with `REENGAGEMENT_REQUIRED` are
    /// queued and blocked when they next write in. When the call fails as a whole (`Block`),
    /// nothing is queued and the core's error accounts for every user.
    pub fn block_when_possible(
        &self,
        phone_number_id: String,
        users: Vec<String>,
    ) -> Result<WhenPossible, WindowError> {
        guard(|| Ok(self.inner.block_when_possible(&phone_number_id, users)?))
    }

    /// Verifies (with an app secret), parses and records a webhook, then blocks the queued
    /// users whose window is open. `body` is the raw request body as received; `signature`
    /// the `X-Hub-Signature-256` header, or `None` when absent. A refused payload (`Signature`,
    /// `Malformed`) records nothing; the same payload again records nothing new.
    #[uniffi::method(default(signature = None))]
    pub fn ingest(
        &self,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> Result<IngestReport, WindowError> {
        guard(|| Ok(self.inner.ingest(&body, signature.as_deref())?.into()))
    }

    /// Whether `user` may be blocked on `phone_number_id` now: the 24 hours run from the
    /// timestamp of the user's latest recorded message.
    pub fn window(
        &self,
        phone_number_id: String,
        user: String,
    ) -> Result<WindowState, WindowError> {
        guard(|| Ok(self.inner.window(&phone_number_id, &user)?.into()))
    }

    /// Every queued block, oldest first.
    pub fn pending(&self) -> Result<Vec<PendingBlock>, WindowError> {
        guard(|| Ok(self.inner.pending()?))
    }

    /// Removes the queued blocks of `users` on `phone_number_id`; every input is accounted for
    /// once (cancelled, not pending, or invalid). An empty list is `InvalidArgument`.
    pub fn cancel_pending(
        &self,
        phone_number_id: String,
        users: Vec<String>,
    ) -> Result<CancelledPending, WindowError> {
        guard(|| Ok(self.inner.cancel_pending(&phone_number_id, users)?.into()))
    }

    /// Blocks every queued user whose window is open and whose block no live process holds
    /// (users who wrote in, and blocks whose claim expired), without a new webhook.
    pub fn process_pending(&self) -> Result<Vec<QueuedBlockResult>, WindowError> {
        guard(|| {
            Ok(self
                .inner
                .process_pending()?
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A fresh directory for SQLite stores, removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir()
                .join(format!("wablock-uniffi-window-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn db(&self, name: &str) -> String {
            self.0.join(name).to_string_lossy().into_owned()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn errors_keep_the_crates_kind_display_and_no_secret() {
        let dir = TempDir::new();
        let secret = "APP-SECRET-XYZ";
        let client = Client::meta("1000".into(), "TOKEN-XYZ".into(), None).unwrap();
        let window = Window::new(
            Some(dir.db("a.db")),
            HashMap::from([("1000".to_string(), client)]),
            Some(secret.into()),
            None,
        )
        .unwrap();
        let err = window.ingest(b"{}".to_vec(), None).unwrap_err();
        assert!(matches!(err, WindowError::Signature { .. }), "{err:?}");
        assert_eq!(err.kind_name(), "SIGNATURE");
        assert!(err.to_string().starts_with("SIGNATURE: "), "{err}");
        assert!(!format!("{err:?} {err} {window:?}").contains(secret));
        assert!(!format!("{window:?}").contains("TOKEN-XYZ"));

        // The crate's Display, exactly.
        let crate_window =
            wablock_window::Window::new(wablock_window::Store::open(&dir.db("b.db")).unwrap())
                .app_secret(secret);
        let crate_err = crate_window.ingest(b"{}", None).unwrap_err();
        assert_eq!(err.to_string(), crate_err.to_string());
        // And the crate's JSON, exactly, without the secret.
        assert_eq!(err.to_canonical_json(), crate_err.to_canonical_json());
        assert!(!err.to_canonical_json().contains(secret));

        let err = window.cancel_pending("1000".into(), vec![]).unwrap_err();
        assert!(
            matches!(err, WindowError::InvalidArgument { .. }),
            "{err:?}"
        );
        let err = window
            .block_when_possible("2000".into(), vec!["+16505551234".into()])
            .unwrap_err();
        assert!(err.to_string().contains("no client is configured"), "{err}");

        let err = Window::new(Some("mysql://x".into()), HashMap::new(), None, None).unwrap_err();
        assert!(
            matches!(err, WindowError::InvalidArgument { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_whole_call_failure_carries_the_cores_error_and_accounting() {
        let core = wablock::Error::new(wablock::ErrorKind::Auth, "refused")
            .with_not_attempted(vec!["+16505551234".into()]);
        let crate_err = wablock_window::Error::from(core.clone());
        let err = WindowError::from(crate_err);
        let WindowError::Block {
            error_message,
            block_error,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(error_message, &core.to_string());
        assert_eq!(block_error, &WablockError::from(core.clone()));
        assert_eq!(err.to_string(), format!("BLOCK: {core}"));
        // BLOCK's JSON is the core error's own, accounting included.
        assert_eq!(err.to_canonical_json(), core.to_canonical_json());
        assert!(err.to_canonical_json().contains("+16505551234"));
        // A caught panic is the core's INTERNAL error.
        let internal = WindowError::Internal {
            error_message: "boom".into(),
        };
        let json: serde_json::Value = serde_json::from_str(&internal.to_canonical_json()).unwrap();
        assert_eq!(json["error"]["kind"], "INTERNAL");
        assert_eq!(json["error"]["message"], "boom");
    }

    #[test]
    fn json_is_the_crates() {
        let core = wablock::Error::new(wablock::ErrorKind::Server, "down");
        let crate_report = wablock_window::IngestReport {
            messages: 2,
            new_messages: 1,
            blocks: vec![wablock_window::QueuedBlockResult {
                phone_number_id: "1000".into(),
                user: "16505550000".into(),
                input: "+16505550000".into(),
                outcome: Err(core),
                still_pending: true,
            }],
        };
        let expected = crate_report.to_canonical_json();
        let report = IngestReport::from(crate_report);
        assert_eq!(ingest_report_to_canonical_json(&report).unwrap(), expected);
        let mut broken = report.blocks[0].clone();
        broken.error = None;
        assert!(matches!(
            queued_block_result_to_canonical_json(&broken),
            Err(WindowError::InvalidArgument { .. })
        ));
        assert_eq!(
            pending_to_canonical_json(&[]),
            wablock_window::pending_canonical_json(&[])
        );
    }

    #[test]
    fn a_window_with_a_cancelled_token_shares_the_store_and_starts_nothing() {
        let dir = TempDir::new();
        let client = Client::meta("1000".into(), "TOKEN-XYZ".into(), None).unwrap();
        let window = Window::new(
            Some(dir.db("c.db")),
            HashMap::from([("1000".to_string(), client)]),
            None,
            None,
        )
        .unwrap();
        let token = CancelToken::new();
        let cancellable = window.with_cancel(token.clone());
        token.cancel();
        let cancelled = |err: WindowError| match err {
            WindowError::Block { block_error, .. } => {
                assert_eq!(block_error.kind(), crate::ErrorKind::Cancelled);
                block_error
            }
            other => panic!("{other:?}"),
        };
        let err = cancelled(
            cancellable
                .block_when_possible("1000".into(), vec!["+16505551234".into()])
                .unwrap_err(),
        );
        assert_eq!(
            err.parts().1.0.not_attempted(),
            ["+16505551234".to_string()]
        );
        cancelled(cancellable.process_pending().unwrap_err());
        cancelled(cancellable.ingest(b"{}".to_vec(), None).unwrap_err());
        // The store is the same: store calls do not observe the token.
        assert_eq!(cancellable.pending().unwrap(), window.pending().unwrap());
        drop(cancellable);
        assert!(window.pending().unwrap().is_empty());
    }

    #[test]
    fn panics_become_internal() {
        let err = guard::<()>(|| panic!("boom")).unwrap_err();
        assert!(matches!(err, WindowError::Internal { .. }), "{err:?}");
        assert_eq!(err.kind_name(), "INTERNAL");
    }
}
