//! A credential that can never be printed.

use std::fmt;

use serde_json::Value;

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
        if text.contains(&self.0) {
            text.replace(&self.0, REDACTED)
        } else {
            text
        }
    }

    /// Scrubs a response body before anything decodes it, so that no field of any answer
    /// (messages, details, trace ids, refusals, cursors, ids) can carry the secret: first the
    /// raw bytes, then, when the body holds JSON escapes, every decoded string, since a server
    /// may spell the secret `\u0053…` or with `\/` for `/`. `[redacted]` holds no quote or
    /// backslash, so a JSON string stays a JSON string.
    pub(crate) fn scrub_body(&self, body: Vec<u8>) -> Vec<u8> {
        let body = self.scrub_bytes(body);
        if !body.contains(&b'\\') {
            return body;
        }
        let Ok(mut value) = serde_json::from_slice::<Value>(&body) else {
            // Not JSON: nothing decodes its escapes, and no message quotes a body that is not JSON.
            return body;
        };
        if !self.scrub_value(&mut value) {
            return body;
        }
        match serde_json::to_vec(&value) {
            Ok(scrubbed) => scrubbed,
            Err(_) => body,
        }
    }

    fn scrub_bytes(&self, body: Vec<u8>) -> Vec<u8> {
        let needle = self.0.as_bytes();
        if needle.is_empty() || find(&body, needle).is_none() {
            return body;
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body.as_slice();
        while let Some(at) = find(rest, needle) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(REDACTED.as_bytes());
            rest = &rest[at + needle.len()..];
        }
        out.extend_from_slice(rest);
        out
    }

    /// Scrubs every string and key of a decoded JSON value; true when anything changed.
    fn scrub_value(&self, value: &mut Value) -> bool {
        match value {
            Value::String(text) if text.contains(&self.0) => {
                *text = text.replace(&self.0, REDACTED);
                true
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |changed, item| self.scrub_value(item) | changed),
            Value::Object(map) => {
                let mut changed = false;
                if map.keys().any(|k| k.contains(&self.0)) {
                    let entries = std::mem::take(map);
                    *map = entries
                        .into_iter()
                        .map(|(k, v)| (k.replace(&self.0, REDACTED), v))
                        .collect();
                    changed = true;
                }
                map.values_mut()
                    .fold(changed, |changed, v| self.scrub_value(v) | changed)
            }
            _ => false,
        }
    }
}

/// The first position of `needle` (not empty) in `haystack`. Every response body is scanned
/// for the token, so this runs over every byte the client reads: `memchr`'s vectorised search,
/// where comparing a window at every position (the naive search) cost a `memcmp` call per byte.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

/// Shortest secret accepted. A shorter one would match innocent text, so it could be neither
/// scrubbed reliably nor left in clear: `ClientBuilder::build` refuses it (real tokens and keys
/// are far longer: Meta's run to about 200 characters).
pub(crate) const MIN_SECRET_BYTES: usize = 6;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_the_naive_search() {
        let naive = |h: &[u8], n: &[u8]| h.windows(n.len()).position(|w| w == n);
        for (h, n) in [
            (&b"abcabcabd"[..], &b"abd"[..]),
            (b"aaaaab", b"aab"),
            (b"token", b"token"),
            (b"toke", b"token"),
            (b"", b"x"),
            (b"xxtokenxxtoken", b"token"),
            (b"tttttokex", b"token"),
        ] {
            assert_eq!(find(h, n), naive(h, n), "{h:?} {n:?}");
        }
    }

    #[test]
    fn scrub_body_replaces_every_occurrence() {
        let secret = Secret::new("s3cret-token");
        let body = br#"{"a":"s3cret-token","b":"xs3cret-tokens3cret-token"}"#.to_vec();
        assert_eq!(
            secret.scrub_body(body),
            br#"{"a":"[redacted]","b":"x[redacted][redacted]"}"#.to_vec()
        );
    }
}
