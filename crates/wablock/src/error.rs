//! The error of a call that failed as a whole (docs/behaviour.md §3.2).

use std::fmt;
use std::time::Duration;

use crate::outcome::Outcome;

/// The kind of a failed call. The numbers are the C status codes and never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A caller error found before any request: empty list, bad config, bad cursor.
    InvalidArgument = 1,
    /// The token or key was refused (codes 0, 3, 10, 190, 200–299, 131005; HTTP 401/403).
    Auth = 2,
    /// Throttled (codes 4, 80007, 130429, 131056; HTTP 429).
    RateLimited = 3,
    /// 139101 as a whole-request error: the blocklist is full.
    BlocklistFull = 4,
    /// 139102: the blocklist changed while it was listed, and the restart budget ran out.
    ConcurrentUpdate = 5,
    /// Meta's side failed (codes 1, 2, 131000, 131016, 139103; `is_transient`; HTTP 5xx).
    Server = 6,
    /// Any other API error code (100, 33, 368, 131008, 131009, unknown).
    Rejected = 7,
    /// DNS, connect, reset or TLS failure.
    Network = 8,
    /// The connect, read or overall deadline passed.
    Timeout = 9,
    /// A response that cannot be interpreted.
    Protocol = 10,
    /// A bug: a panic caught at a language boundary.
    Internal = 11,
    /// The caller stopped the call: its progress callback asked to, or its
    /// [`CancelToken`](crate::CancelToken) was triggered (Ctrl-C, a cancelled task or context).
    Cancelled = 12,
}

impl ErrorKind {
    /// Every kind, in code order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Auth,
        ErrorKind::RateLimited,
        ErrorKind::BlocklistFull,
        ErrorKind::ConcurrentUpdate,
        ErrorKind::Server,
        ErrorKind::Rejected,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Protocol,
        ErrorKind::Internal,
        ErrorKind::Cancelled,
    ];

    /// The fixed numeric code (the C status).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The kind for a numeric code.
    pub fn from_code(code: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The canonical name, e.g. `"RATE_LIMITED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Auth => "AUTH",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::BlocklistFull => "BLOCKLIST_FULL",
            ErrorKind::ConcurrentUpdate => "CONCURRENT_UPDATE",
            ErrorKind::Server => "SERVER",
            ErrorKind::Rejected => "REJECTED",
            ErrorKind::Network => "NETWORK",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Protocol => "PROTOCOL",
            ErrorKind::Internal => "INTERNAL",
            ErrorKind::Cancelled => "CANCELLED",
        }
    }

    /// Parses a canonical name.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether wablock retries this kind (docs/behaviour.md §3.2 "retried" column).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network | ErrorKind::Timeout
        )
    }

    /// Classifies an API error: by Graph code first, then `is_transient`, then HTTP status.
    pub fn classify(http_status: Option<u16>, code: Option<i64>, is_transient: bool) -> ErrorKind {
        if let Some(code) = code {
            match code {
                0 | 3 | 10 | 190 | 200..=299 | 131005 => return ErrorKind::Auth,
                4 | 80007 | 130429 | 131056 => return ErrorKind::RateLimited,
                139101 => return ErrorKind::BlocklistFull,
                139102 => return ErrorKind::ConcurrentUpdate,
                1 | 2 | 131000 | 131016 | 139103 => return ErrorKind::Server,
                _ if is_transient => return ErrorKind::Server,
                _ => return ErrorKind::Rejected,
            }
        }
        if is_transient {
            return ErrorKind::Server;
        }
        match http_status {
            Some(401 | 403) => ErrorKind::Auth,
            Some(429) => ErrorKind::RateLimited,
            Some(500..=599) => ErrorKind::Server,
            Some(400..=499) => ErrorKind::Rejected,
            _ => ErrorKind::Protocol,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call that failed as a whole. It still accounts for every input: users whose batch
/// finished are in [`Error::partial`], the rest in [`Error::not_attempted`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub(crate) Box<ErrorRepr>);

/// The fields of an [`Error`], boxed so that `Result<_, Error>` stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorRepr {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) http_status: Option<u16>,
    pub(crate) code: Option<i64>,
    pub(crate) subcode: Option<i64>,
    pub(crate) details: Option<String>,
    pub(crate) fbtrace_id: Option<String>,
    pub(crate) retryable: bool,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) partial: Option<Box<Outcome>>,
    pub(crate) not_attempted: Vec<String>,
    /// Parallel to `not_attempted`: true for an input whose state is unknown (sent in a request
    /// that got no readable answer or a server failure); false (or absent) when unchanged.
    pub(crate) not_attempted_unknown: Vec<bool>,
}

impl Error {
    /// A new error of `kind`; `retryable` follows the kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(ErrorRepr {
            kind,
            message: message.into(),
            http_status: None,
            code: None,
            subcode: None,
            details: None,
            fbtrace_id: None,
            retryable: kind.is_retryable(),
            retry_after: None,
            partial: None,
            not_attempted: Vec::new(),
            not_attempted_unknown: Vec::new(),
        }))
    }

    /// Sets the inputs that were never confirmed or refused, for the workspace's own crates
    /// that refuse a call before the core sees it. Hidden: a language binding uses
    /// `boundary::users_from_bytes` or `boundary::refuse_call` instead.
    #[doc(hidden)]
    pub fn with_not_attempted(mut self, inputs: Vec<String>) -> Self {
        self.0.not_attempted = inputs;
        self.0.not_attempted_unknown = Vec::new();
        self
    }

    /// The error for a panic caught at a language boundary: always `INTERNAL`, with one wording
    /// in every language. `payload` is what `std::panic::catch_unwind` returned; its text (the
    /// first 400 characters, since a foreign callback's failure may carry a whole stack trace)
    /// is kept so a bug report can say where it happened.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        const MAX_PANIC_TEXT_CHARS: usize = 400;
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        let message = match what {
            Some(what) => {
                let what: String = what.chars().take(MAX_PANIC_TEXT_CHARS).collect();
                format!("internal error: wablock panicked ({what}); this is a bug in wablock, and the call's effect is unknown")
            }
            None => "internal error: wablock panicked; this is a bug in wablock, and the call's effect is unknown".to_string(),
        };
        Error::new(ErrorKind::Internal, message)
    }

    /// The error for a call on a client that its owner already closed (`close()`, a `with`
    /// block that ended, a freed handle): `INVALID_ARGUMENT`, nothing sent.
    pub fn client_closed() -> Self {
        Error::invalid_argument("the client is closed: create a new one to make more calls")
    }

    /// The error for a users argument that is not a list of strings at all (a number, None):
    /// `INVALID_ARGUMENT`, nothing sent. For language layers whose lists are untyped.
    pub fn users_not_a_list() -> Self {
        Error::invalid_argument("users must be a list (or other sequence) of strings")
    }

    /// The error for a users argument that is one string where a list was expected (it would
    /// otherwise be read as a list of characters): `INVALID_ARGUMENT`, nothing sent.
    pub fn users_given_as_one_string() -> Self {
        Error::invalid_argument(
            "users must be a list of strings, not a single string: pass [user] for one user",
        )
    }

    /// The error for the user at `index` (0-based) that is not text: not a string, NULL, or
    /// not valid Unicode. `INVALID_ARGUMENT`, nothing sent.
    pub fn user_not_text(index: usize) -> Self {
        Error::invalid_argument(format!(
            "user #{index} is not text: every user must be a string of valid Unicode"
        ))
    }

    /// The error of a call stopped by its caller (`CANCELLED`): `why` says how, e.g. "its
    /// cancellation token was triggered". The one wording every language shows; the call
    /// fills in `partial` and `not_attempted`.
    pub fn cancelled(why: &str) -> Self {
        Error::new(
            ErrorKind::Cancelled,
            format!(
                "the call was cancelled: {why}; requests already in flight finished, no new one was sent"
            ),
        )
    }

    /// The `CANCELLED` error of a call whose [`CancelToken`](crate::CancelToken) was
    /// triggered.
    pub(crate) fn cancelled_by_token() -> Self {
        Error::cancelled("its cancellation token was triggered")
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// The kind, one of docs/behaviour.md §3.2.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
    /// What went wrong, for a person.
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The HTTP status of the failing response, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.0.http_status
    }
    /// The Graph error code, if the server gave one.
    pub fn code(&self) -> Option<i64> {
        self.0.code
    }
    /// The Graph `error_subcode`, if any.
    pub fn subcode(&self) -> Option<i64> {
        self.0.subcode
    }
    /// The Graph `error_data.details`, if any.
    pub fn details(&self) -> Option<&str> {
        self.0.details.as_deref()
    }
    /// Meta's trace id, for support tickets.
    pub fn fbtrace_id(&self) -> Option<&str> {
        self.0.fbtrace_id.as_deref()
    }
    /// Whether the same call may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        self.0.retryable
    }
    /// How long the server asked the caller to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// The outcome of the users whose batches finished before the failure.
    pub fn partial(&self) -> Option<&Outcome> {
        self.0.partial.as_deref()
    }
    /// Inputs neither confirmed nor refused, in input order.
    pub fn not_attempted(&self) -> &[String] {
        &self.0.not_attempted
    }
    /// The inputs of [`Error::not_attempted`] whose state is unknown: a request carrying them
    /// got no answer, an unreadable one, or a server failure (5xx, 139103) on its last
    /// attempts. The server may have applied them; check the blocklist or send them again.
    pub fn state_unknown(&self) -> Vec<&str> {
        self.not_attempted_where(true)
    }
    /// The inputs of [`Error::not_attempted`] whose state did not change: never sent, or sent
    /// only in requests the server refused as a whole (auth, throttling, a rejected parameter).
    pub fn state_unchanged(&self) -> Vec<&str> {
        self.not_attempted_where(false)
    }
    fn not_attempted_where(&self, unknown: bool) -> Vec<&str> {
        let flags = &self.0.not_attempted_unknown;
        self.0
            .not_attempted
            .iter()
            .enumerate()
            .filter(|(i, _)| flags.get(*i).copied().unwrap_or(false) == unknown)
            .map(|(_, input)| input.as_str())
            .collect()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.kind, self.0.message)?;
        if let Some(code) = self.0.code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_table() {
        use ErrorKind::*;
        let by_code = [
            (0, Auth),
            (3, Auth),
            (10, Auth),
            (190, Auth),
            (200, Auth),
            (299, Auth),
            (131005, Auth),
            (4, RateLimited),
            (80007, RateLimited),
            (130429, RateLimited),
            (131056, RateLimited),
            (139101, BlocklistFull),
            (139102, ConcurrentUpdate),
            (1, Server),
            (2, Server),
            (131000, Server),
            (131016, Server),
            (139103, Server),
            (100, Rejected),
            (33, Rejected),
            (368, Rejected),
            (131008, Rejected),
            (131009, Rejected),
            (987654, Rejected),
        ];
        for (code, kind) in by_code {
            // The code wins over any status: Meta sends the same code with different statuses.
            assert_eq!(
                ErrorKind::classify(Some(500), Some(code), false),
                kind,
                "{code}"
            );
            assert_eq!(
                ErrorKind::classify(Some(400), Some(code), false),
                kind,
                "{code}"
            );
        }
        assert_eq!(ErrorKind::classify(Some(400), Some(100), true), Server);
        assert_eq!(ErrorKind::classify(Some(400), None, true), Server);
        assert_eq!(ErrorKind::classify(Some(401), None, false), Auth);
        assert_eq!(ErrorKind::classify(Some(403), None, false), Auth);
        assert_eq!(ErrorKind::classify(Some(429), None, false), RateLimited);
        assert_eq!(ErrorKind::classify(Some(502), None, false), Server);
        assert_eq!(ErrorKind::classify(Some(404), None, false), Rejected);
    }

    #[test]
    fn boundary_errors_have_one_wording() {
        let e = Error::from_panic(&"boom");
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("(boom)"), "{}", e.message());
        let long = "x".repeat(1000);
        let e = Error::from_panic(&long);
        assert!(e.message().len() < 600, "{}", e.message().len());
        let e = Error::from_panic(&42_u8);
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(!e.message().contains("()"));
        let e = Error::client_closed();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("closed"));
        for e in [
            Error::users_not_a_list(),
            Error::users_given_as_one_string(),
            Error::user_not_text(3),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.not_attempted().is_empty() && e.partial().is_none());
        }
        assert!(Error::user_not_text(3).message().starts_with("user #3 "));
        assert!(
            Error::users_given_as_one_string()
                .message()
                .contains("[user]")
        );
    }

    #[test]
    fn codes_are_fixed() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.code() as usize, i + 1);
            assert_eq!(ErrorKind::from_code(kind.code()), Some(*kind));
            assert_eq!(ErrorKind::from_name(kind.as_str()), Some(*kind));
        }
    }
}
