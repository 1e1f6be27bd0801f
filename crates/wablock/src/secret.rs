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
        if self.is_scrubbable() && text.contains(&self.0) {
            text.replace(&self.0, REDACTED)
        } else {
            text
        }
    }

    /// [`Secret::scrub`] over raw bytes: a response body is scrubbed once, before decoding, so
    /// no field of any answer (messages, details, trace ids, cursors, ids) can carry the secret.
    /// `[redacted]` holds no quote or backslash, so a JSON string stays a JSON string.
    pub(crate) fn scrub_bytes(&self, body: Vec<u8>) -> Vec<u8> {
        let needle = self.0.as_bytes();
        if !self.is_scrubbable() || !body.windows(needle.len()).any(|w| w == needle) {
            return body;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body.as_slice();
        while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        out.extend_from_slice(rest);
        out
    }

    // Very short values would match innocent text; a real credential is never that short.
    fn is_scrubbable(&self) -> bool {
        self.0.len() >= 6
    }
}

const REDACTED: &str = "[redacted]";

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
