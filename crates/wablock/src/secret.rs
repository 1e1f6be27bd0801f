//! A credential that can never be printed.

use std::fmt;

/// An access token or API key. `Debug` and `Display` print `[redacted]`, so a secret cannot
/// leak through logs, panics or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that needs it: the request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the secret in `text` (a server may echo a bad token back).
    pub(crate) fn scrub(&self, text: String) -> String {
        // Very short values would match innocent text; a real credential is never that short.
        if self.0.len() >= 6 && text.contains(&self.0) {
            text.replace(&self.0, "[redacted]")
        } else {
            text
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
