//! `--json` output written straight from the core's results to a buffered stdout: the core's
//! streaming canonical writers (`wablock::canonical_writer`) produce the bytes, so the CLI
//! never builds a `serde_json::Value` tree of a whole result (docs/benchmarks.md, issue 16).
//! This module owns only stdout: the 64 KiB buffer and the broken-pipe behaviour.

use std::io::{self, Write};

pub use wablock::canonical_writer::{
    WalkJson, write_error, write_fleet_blocklist, write_fleet_outcomes, write_outcome, write_page,
};

/// Prints one JSON document and a newline on stdout through a 64 KiB buffer. A write error
/// behaves as `println!` does (a panic that the broken-pipe hook in `main` turns into a quiet
/// exit 141 when the reader went away).
pub fn print_json(write: impl FnOnce(&mut Stdout) -> io::Result<()>) {
    print(|w| write(w).and_then(|()| w.write_all(b"\n")));
}

/// The buffered stdout that [`print`] hands out.
pub type Stdout = io::BufWriter<io::StdoutLock<'static>>;

/// Prints text on stdout through a 64 KiB buffer, flushed before it returns (so that what
/// follows on stderr comes after it on a terminal). A write error behaves as `print!` does:
/// a panic that the broken-pipe hook turns into a quiet exit 141. Tables and csv are written
/// line by line through it, never built as one string.
pub fn print(write: impl FnOnce(&mut Stdout) -> io::Result<()>) {
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let done = write(&mut out).and_then(|()| out.flush());
    if let Err(e) = done {
        panic!("failed printing to stdout: {e}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(crate) mod tests {
    use serde_json::json;
    use wablock::{BlockedUser, Client, Error, FleetBlocklist, FleetResults, Operation, Outcome};
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
    pub(crate) fn mixed_inputs() -> Vec<String> {
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
        // A partial outcome, users never sent, http_status, code, subcode, details, fbtrace_id
        // and retry_after.
        let (_, err) = partial_error();
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

    pub(crate) fn scripted_client(sandbox: &Sandbox) -> Client {
        Client::meta("1000", wablock_sandbox::DEFAULT_ACCESS_TOKEN)
            .base_url(sandbox.base_url())
            .retry_policy(wablock::RetryPolicy {
                max_attempts: 1,
                ..wablock::RetryPolicy::default()
            })
            .build()
            .unwrap()
    }

    /// Pages of users whose IDs exercise the string escapes, as a server might send them.
    pub(crate) fn odd_pages() -> serde_json::Value {
        json!([
            {"json": {"data": [
                {"messaging_product": "whatsapp", "wa_id": "16505551234"},
                {"messaging_product": "whatsapp", "wa_id": "1650\"555\\1235", "user_id": "US.\u{1}é\u{202e}日本"},
                {"messaging_product": "whatsapp", "user_id": "US.ENT.tab\there\u{7f}"},
                // A control character: printed as an escape, wider than the raw ID.
                {"messaging_product": "whatsapp", "wa_id": "1650\u{1b}[2J5551236"}
            ], "paging": {"cursors": {"before": "QkVG", "after": "QUZUMQ"}}}},
            {"json": {"data": [
                {"messaging_product": "whatsapp", "wa_id": "447700900123", "user_id": "</script>"}
            ], "paging": {"cursors": {"before": "QkVGMg", "after": "QUZUMg"}}}},
            {"json": {"data": []}}
        ])
    }

    /// The walk of `script` streamed, and the same walk through the previous code path (the
    /// core's collector and `blocked_users_canonical_json`), with the users the oracle read.
    fn walk_both_ways(script: &serde_json::Value) -> (String, String, usize) {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let client = scripted_client(&sandbox);
        sandbox
            .push_scripts(&json!({ "responses": script }))
            .unwrap();
        let walk = WalkJson::read(client.blocked_users(Some(3)));
        let mut buf = Vec::new();
        walk.write(&mut buf).unwrap();
        let count = walk.count();
        sandbox.reset();
        sandbox
            .push_scripts(&json!({ "responses": script }))
            .unwrap();
        let (users, error) = client.blocked_users(Some(3)).collect_until_error();
        assert_eq!(users.len(), count);
        let oracle = wablock::blocked_users_canonical_json(&users, error.as_ref());
        (String::from_utf8(buf).unwrap(), oracle, count)
    }

    #[test]
    fn streamed_walk_is_the_previous_bytes_for_odd_characters_an_error_and_an_empty_list() {
        // A whole walk over two pages of odd characters.
        let (streamed, oracle, count) = walk_both_ways(&odd_pages());
        assert_eq!(count, 5);
        assert!(oracle.contains("\"error\":null"), "{oracle}");
        assert!(oracle.contains(r#"\"555\\1235"#), "{oracle}");
        assert!(oracle.contains(r"\u0001"), "{oracle}");
        assert_eq!(streamed, oracle);

        // An error after the first page: the users read so far, then the error first in the
        // document (its key sorts before "users"), with every optional field.
        let mut script = odd_pages();
        script.as_array_mut().unwrap()[1] = json!({"status": 500, "headers": {"retry-after": "2"},
            "json": {"error": {"message": "Bad \"gateway\"\n", "type": "OAuthException",
            "code": 2, "error_subcode": 99, "error_data": {"details": "é\u{1}"},
            "fbtrace_id": "Atrace"}}});
        let (streamed, oracle, count) = walk_both_ways(&script);
        assert_eq!(count, 4);
        assert!(
            oracle.starts_with("{\"blocked_users\":{\"error\":{"),
            "{oracle}"
        );
        assert_eq!(streamed, oracle);

        // An error on the very first page: no user at all.
        let (streamed, oracle, count) = walk_both_ways(&json!([{"status": 400, "json":
            {"error": {"message": "nope", "type": "OAuthException", "code": 100}}}]));
        assert_eq!(count, 0);
        assert!(oracle.ends_with("\"users\":[]}}"), "{oracle}");
        assert_eq!(streamed, oracle);

        // An empty blocklist.
        let (streamed, oracle, count) = walk_both_ways(&json!([{"json": {"data": []}}]));
        assert_eq!(count, 0);
        assert_eq!(oracle, "{\"blocked_users\":{\"error\":null,\"users\":[]}}");
        assert_eq!(streamed, oracle);
    }

    #[test]
    fn streamed_page_is_the_core_builders_bytes() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let client = scripted_client(&sandbox);
        sandbox
            .push_scripts(&json!({ "responses": odd_pages() }))
            .unwrap();
        for _ in 0..3 {
            let page = client.list_page(Some(3), wablock::Cursor::First).unwrap();
            let mut buf = Vec::new();
            write_page(&mut buf, &page).unwrap();
            assert_eq!(String::from_utf8(buf).unwrap(), page.to_canonical_json());
        }
    }

    #[test]
    fn streamed_fleet_outcomes_are_the_core_builders_bytes() {
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .unwrap();
        let client = demo_client(&sandbox).max_batch(3).build().unwrap();
        let outcome = client.block(mixed_inputs()).unwrap();
        let error = Client::meta("1", "sandbox-token")
            .base_url("http://127.0.0.1:9")
            .retry_policy(wablock::RetryPolicy {
                max_attempts: 1,
                ..wablock::RetryPolicy::default()
            })
            .build()
            .unwrap()
            .block(["+16505551234"])
            .unwrap_err();
        // Labels out of order, numbers that sort as text, a quote and non-ASCII.
        let labels = ["b", "a", "10", "9", "é\"x", "B"];
        let results = FleetResults {
            entries: labels
                .iter()
                .enumerate()
                .map(|(i, l)| wablock::FleetEntry {
                    label: l.to_string(),
                    result: if i % 3 == 1 {
                        Err(error.clone())
                    } else {
                        Ok(outcome.clone())
                    },
                })
                .collect(),
        };
        let mut buf = Vec::new();
        write_fleet_outcomes(&mut buf, &results).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), results.to_canonical_json());

        let empty = FleetResults::<Outcome> { entries: vec![] };
        let mut buf = Vec::new();
        write_fleet_outcomes(&mut buf, &empty).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), empty.to_canonical_json());
    }

    #[test]
    fn streamed_fleet_blocklist_is_the_core_builders_bytes() {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let client = scripted_client(&sandbox);
        sandbox
            .push_scripts(&json!({ "responses": odd_pages() }))
            .unwrap();
        let (users, error) = client.blocked_users(Some(3)).collect_until_error();
        assert!(error.is_none() && users.len() == 5);
        let error = Client::meta("1", "sandbox-token")
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap()
            .list_page(None, wablock::Cursor::First)
            .unwrap_err();
        let on = |labels: &[&str]| labels.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let list = FleetBlocklist {
            users: users
                .iter()
                .enumerate()
                .map(|(i, u)| wablock::FleetBlockedUser {
                    user: u.clone(),
                    blocked_on: match i % 3 {
                        0 => on(&["b", "a"]),
                        1 => on(&["é\"x"]),
                        _ => on(&["b", "10", "9"]),
                    },
                })
                .collect(),
            errors: vec![
                ("b".to_string(), error.clone()),
                ("10".to_string(), error.clone()),
                ("9".to_string(), error),
            ],
        };
        let mut buf = Vec::new();
        write_fleet_blocklist(&mut buf, &list).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), list.to_canonical_json());

        let empty = FleetBlocklist {
            users: vec![],
            errors: vec![],
        };
        let mut buf = Vec::new();
        write_fleet_blocklist(&mut buf, &empty).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), empty.to_canonical_json());
    }

    /// Fixtures for the table writers' tests: a mixed outcome of `mixed_inputs`.
    pub(crate) fn mixed_outcome() -> Outcome {
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .unwrap();
        let client = demo_client(&sandbox).max_batch(3).build().unwrap();
        client.block(mixed_inputs()).unwrap()
    }

    /// An error with a partial outcome, users never sent, a status, details, a trace ID and
    /// a retry hint, for the inputs it returns.
    pub(crate) fn partial_error() -> (Vec<String>, Error) {
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .unwrap();
        sandbox
            .push_scripts(&json!({"responses": [
                {"status": 200, "json": {"messaging_product": "whatsapp", "block_users": {
                    "added_users": [{"input": "+16505551234", "wa_id": "16505551234"}]}}},
                {"status": 429, "headers": {"retry-after": "7"}, "json": {"error": {
                    "message": "(#130429) Rate \"limit\" hit", "type": "OAuthException",
                    "code": 130429, "error_subcode": 2494055,
                    "error_data": {"details": "Too many\nrequests \u{1b}[31m"},
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
        let inputs: Vec<String> = ["+16505551234", "+16505551235", "no user", "+447700900123"]
            .map(str::to_string)
            .to_vec();
        let err = client.block(&inputs).unwrap_err();
        assert!(err.partial().is_some_and(|p| !p.is_empty()), "{err:?}");
        (inputs, err)
    }

    /// The users of `odd_pages`, as the core reads them.
    pub(crate) fn odd_users() -> Vec<BlockedUser> {
        let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
        let client = scripted_client(&sandbox);
        sandbox
            .push_scripts(&json!({ "responses": odd_pages() }))
            .unwrap();
        let (users, error) = client.blocked_users(Some(3)).collect_until_error();
        assert!(error.is_none() && users.len() == 5);
        users
    }
}
