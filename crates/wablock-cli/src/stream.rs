//! `--json` for block and unblock, written straight from the core's [`Outcome`] (or [`Error`])
//! to a buffered writer: the same bytes as the core's `to_canonical_json()` (keys sorted,
//! compact, serde_json's string escapes), without building a `serde_json::Value` tree of the
//! whole result and then a `String` of it first. For 64,000 users that tree and its text were
//! most of the CLI's peak memory (docs/benchmarks.md, issue 16).
//!
//! The key order below is the sorted order of the keys of `Outcome::to_json_value` and
//! `Error::to_json_value`; the tests compare every shape with the core's builder byte for byte,
//! so a key added to the core's JSON fails them until it is added here.

use std::io::{self, Write};

use wablock::{Error, Failure, Outcome, Success};

/// A JSON string (serde_json's escaping, as `Value::String(..).to_string()` writes it).
fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

fn opt_string(w: &mut impl Write, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => string(w, s),
        None => w.write_all(b"null"),
    }
}

fn opt_number(w: &mut impl Write, n: Option<impl std::fmt::Display>) -> io::Result<()> {
    match n {
        Some(n) => write!(w, "{n}"),
        None => w.write_all(b"null"),
    }
}

fn success(w: &mut impl Write, s: &Success) -> io::Result<()> {
    w.write_all(b"{\"input\":")?;
    string(w, &s.input)?;
    w.write_all(b",\"sent\":")?;
    string(w, &s.sent)?;
    w.write_all(b",\"user_id\":")?;
    opt_string(w, s.user_id.as_deref())?;
    w.write_all(b",\"wa_id\":")?;
    opt_string(w, s.wa_id.as_deref())?;
    w.write_all(b"}")
}

fn failure(w: &mut impl Write, f: &Failure) -> io::Result<()> {
    w.write_all(b"{\"code\":")?;
    opt_number(w, f.code)?;
    w.write_all(b",\"details\":")?;
    opt_string(w, f.details.as_deref())?;
    w.write_all(b",\"hint\":")?;
    string(w, &f.hint)?;
    w.write_all(b",\"input\":")?;
    string(w, &f.input)?;
    w.write_all(b",\"message\":")?;
    string(w, &f.message)?;
    w.write_all(b",\"reason\":")?;
    string(w, f.reason.as_str())?;
    w.write_all(b",\"sent\":")?;
    opt_string(w, f.sent.as_deref())?;
    w.write_all(b",\"user_id\":")?;
    opt_string(w, f.user_id.as_deref())?;
    w.write_all(b",\"wa_id\":")?;
    opt_string(w, f.wa_id.as_deref())?;
    w.write_all(b"}")
}

/// The outcome object, as `Outcome::to_json_value` would print canonically.
fn outcome_object(w: &mut impl Write, o: &Outcome) -> io::Result<()> {
    w.write_all(b"{\"failed\":[")?;
    for (i, f) in o.failed.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        failure(w, f)?;
    }
    w.write_all(b"],\"operation\":")?;
    string(w, o.operation.as_str())?;
    write!(w, ",\"requests\":{},\"succeeded\":[", o.requests)?;
    for (i, s) in o.succeeded.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        success(w, s)?;
    }
    w.write_all(b"]}")
}

/// `{"outcome":{…}}`: the bytes of [`Outcome::to_canonical_json`], without a newline.
pub fn write_outcome(w: &mut impl Write, o: &Outcome) -> io::Result<()> {
    w.write_all(b"{\"outcome\":")?;
    outcome_object(w, o)?;
    w.write_all(b"}")
}

/// `{"error":{…}}`: the bytes of [`Error::to_canonical_json`], without a newline. The partial
/// outcome of an interrupted 64,000-user call is streamed like a whole one.
pub fn write_error(w: &mut impl Write, e: &Error) -> io::Result<()> {
    w.write_all(b"{\"error\":{\"code\":")?;
    opt_number(w, e.code())?;
    w.write_all(b",\"details\":")?;
    opt_string(w, e.details())?;
    w.write_all(b",\"fbtrace_id\":")?;
    opt_string(w, e.fbtrace_id())?;
    w.write_all(b",\"http_status\":")?;
    opt_number(w, e.http_status())?;
    w.write_all(b",\"kind\":")?;
    string(w, e.kind().as_str())?;
    w.write_all(b",\"message\":")?;
    string(w, e.message())?;
    w.write_all(b",\"not_attempted\":[")?;
    for (i, input) in e.not_attempted().iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        string(w, input)?;
    }
    w.write_all(b"],\"partial\":")?;
    match e.partial() {
        Some(p) => outcome_object(w, p)?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b",\"retry_after_ms\":")?;
    // The core's builder: `retry_after.map(|d| d.as_millis() as u64)`.
    opt_number(w, e.retry_after().map(|d| d.as_millis() as u64))?;
    write!(w, ",\"retryable\":{}", e.is_retryable())?;
    w.write_all(b",\"subcode\":")?;
    opt_number(w, e.subcode())?;
    w.write_all(b"}}")
}

/// Prints one JSON document and a newline on stdout through a 64 KiB buffer. A write error
/// behaves as `println!` does (a panic that the broken-pipe hook in `main` turns into a quiet
/// exit 141 when the reader went away).
pub fn print_json(
    write: impl FnOnce(&mut io::BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let done = write(&mut out)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = done {
        panic!("failed printing to stdout: {e}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;
    use wablock::{Client, Operation};
    use wablock_sandbox::{Sandbox, SandboxConfig, demo};

    use super::*;

    fn streamed_outcome(o: &Outcome) -> String {
        let mut buf = Vec::new();
        write_outcome(&mut buf, o).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn streamed_error(e: &Error) -> String {
        let mut buf = Vec::new();
        write_error(&mut buf, e).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn demo_client(sandbox: &Sandbox) -> wablock::ClientBuilder {
        Client::meta(
            demo::DEMO_PHONE_NUMBER_ID,
            wablock_sandbox::DEFAULT_ACCESS_TOKEN,
        )
        .base_url(sandbox.base_url())
    }

    /// Every kind of entry the demo data can produce, plus inputs that exercise the string
    /// escapes (quotes, backslashes, control characters, non-ASCII, a bidi override).
    fn mixed_inputs() -> Vec<String> {
        let mut users: Vec<String> = demo::DEMO_RECENT_USERS
            .iter()
            .map(|s| s.to_string())
            .collect();
        users.extend(
            [
                demo::DEMO_STALE_USER,
                demo::DEMO_BUSINESS_ACCOUNT,
                demo::DEMO_BSUID_USER,
                "+15550783881", // the business's own number: SELF_BLOCK
                "+1 (650) 555-1234",
                "+16505551234", // a duplicate of the line above, once normalised
                "call \"me\" \\ maybe",
                "tab\there\u{1}\u{7f}",
                "é\u{202e}ü 日本",
                "",
                "US.ENT.123",
            ]
            .map(str::to_string),
        );
        users
    }

    #[test]
    fn streamed_outcome_is_the_core_builders_bytes_for_a_mixed_outcome() {
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .unwrap();
        let client = demo_client(&sandbox).max_batch(3).build().unwrap();
        let users = mixed_inputs();
        let outcome = client.block(&users).unwrap();
        // The scenario really is mixed: confirmations, server refusals with code and
        // details, and inputs that were never sent.
        assert!(outcome.succeeded.len() >= 4, "{outcome:?}");
        assert!(outcome.failed.iter().any(|f| f.code.is_some()));
        assert!(outcome.failed.iter().any(|f| f.sent.is_none()));
        assert!(outcome.failed.iter().any(|f| f.details.is_some()));
        assert!(outcome.succeeded.iter().any(|s| s.user_id.is_some()));
        assert_eq!(streamed_outcome(&outcome), outcome.to_canonical_json());

        let unblocked = client.mutate(Operation::Unblock, &users, None).unwrap();
        assert_eq!(streamed_outcome(&unblocked), unblocked.to_canonical_json());
    }

    #[test]
    fn streamed_error_is_the_core_builders_bytes_with_and_without_a_partial_outcome() {
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .unwrap();
        // The second batch is refused as a whole, with a retry hint: a partial outcome, users
        // not attempted, http_status, code, subcode, details, fbtrace_id and retry_after.
        sandbox
            .push_scripts(&json!({"responses": [
                {"status": 200, "json": {"messaging_product": "whatsapp", "block_users": {
                    "added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}}},
                {"status": 429, "headers": {"retry-after": "7"}, "json": {"error": {
                    "message": "(#130429) Rate \"limit\" hit", "type": "OAuthException",
                    "code": 130429, "error_subcode": 2494055,
                    "error_data": {"details": "Too many\nrequests"},
                    "fbtrace_id": "Atrace\u{1}"}}}
            ]}))
            .unwrap();
        let client = demo_client(&sandbox)
            .max_batch(1)
            .parallelism(1)
            .retry_policy(wablock::RetryPolicy {
                max_attempts: 1,
                ..wablock::RetryPolicy::default()
            })
            .build()
            .unwrap();
        let err = client
            .block(["+16505551234", "+16505551235", "no user", "+447700900123"])
            .unwrap_err();
        assert!(err.partial().is_some_and(|p| !p.is_empty()), "{err:?}");
        assert!(!err.not_attempted().is_empty());
        assert_eq!(streamed_error(&err), err.to_canonical_json());

        // An error without any of the optional fields.
        let bare = Client::meta("1", "sandbox-token")
            .base_url("http://127.0.0.1:9")
            .retry_policy(wablock::RetryPolicy {
                max_attempts: 1,
                ..wablock::RetryPolicy::default()
            })
            .build()
            .unwrap()
            .block(["+16505551234"])
            .unwrap_err();
        assert_eq!(streamed_error(&bare), bare.to_canonical_json());
    }
}
