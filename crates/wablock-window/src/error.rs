//! The crate's one error type.

use std::fmt;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The caller passed something unusable (an empty list, a bad store location).
    InvalidArgument,
    /// The webhook's `X-Hub-Signature-256` is missing, unreadable or does not match.
    Signature,
    /// The webhook body is not a WhatsApp Business webhook payload.
    Malformed,
    /// The store (SQLite or PostgreSQL) failed.
    Store,
    /// The block call itself failed as a whole; see [`Error::block_error`].
    Block,
}

impl ErrorKind {
    /// Upper-case name, as in the core's error kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "INVALID_ARGUMENT",
            ErrorKind::Signature => "SIGNATURE",
            ErrorKind::Malformed => "MALFORMED",
            ErrorKind::Store => "STORE",
            ErrorKind::Block => "BLOCK",
        }
    }
}

/// A failure of a wablock-window call. Its text never contains the app secret, an access token
/// or a database password.
pub struct Error {
    kind: ErrorKind,
    message: String,
    block: Option<Box<wablock::Error>>,
}

impl Error {
    /// An error of `kind` with `message` (what went wrong and what to do about it); for a
    /// language layer that rebuilds one, or a test double. A `BLOCK` error comes from the core's
    /// error instead (`From<wablock::Error>`), which carries the accounting.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            block: None,
        }
    }

    pub(crate) fn store(what: &str, cause: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Store, format!("{what}: {cause}"))
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What went wrong and what to do about it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The core's error, when the block call failed as a whole ([`ErrorKind::Block`]); it
    /// accounts for every user (`partial`, `not_attempted`).
    pub fn block_error(&self) -> Option<&wablock::Error> {
        self.block.as_deref()
    }
}

impl From<wablock::Error> for Error {
    fn from(e: wablock::Error) -> Self {
        Error {
            kind: ErrorKind::Block,
            message: e.to_string(),
            block: Some(Box::new(e)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for Error {}
