//! docs/behaviour.md §4: a server may echo the secret in any JSON spelling (`\u0054…`, `\/`);
//! scrubbing applies to the decoded text, in every field of every answer. Secrets too short
//! to scrub reliably are refused when the client is built.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Reply;
use common::Responder;
use wablock::{Client, ErrorKind};

/// A token with a `/`, which JSON may spell `\/`.
const TOKEN: &str = "TOKEN/s3cr3t-value";
/// The same token as a server may escape it: `\u0054` for `T`, `\/` for `/`.
const SPELLINGS: [&str; 3] = [
    r"\u0054OKEN/s3cr3t-value",
    r"TOKEN\/s3cr3t-value",
    r"\u0054OKEN\/s3cr3t\u002dvalue",
];

fn leaks(text: &str) -> bool {
    text.contains(TOKEN) || text.contains("s3cr3t")
}

/// A client whose secret is [`TOKEN`].
fn token_client(url: &str) -> Client {
    Client::meta("1000", TOKEN)
        .base_url(url)
        .retry_policy(wablock::RetryPolicy::none())
        .build()
        .unwrap()
}

#[test]
fn an_escaped_token_in_a_whole_call_error_is_scrubbed_everywhere() {
    for spelled in SPELLINGS {
        let body = format!(
            r#"{{"error":{{"message":"Invalid OAuth access token {spelled}","type":"OAuthException","code":190,"error_data":{{"details":"token {spelled} expired"}},"fbtrace_id":"{spelled}"}}}}"#
        );
        let server = Responder::script(vec![Reply::raw(401, body)]);
        let c = token_client(&server.url);
        let err = c.block(["15550001111"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth);
        for text in [
            format!("{err}"),
            format!("{err:?}"),
            err.to_canonical_json(),
            err.details().unwrap_or_default().to_string(),
            err.fbtrace_id().unwrap_or_default().to_string(),
        ] {
            assert!(!leaks(&text), "{spelled}: secret leaked in {text}");
        }
        assert_eq!(
            err.message(),
            "Invalid OAuth access token [redacted]",
            "{spelled}"
        );
        assert_eq!(err.details(), Some("token [redacted] expired"));
        // The same answer to a GET.
        let server = Responder::script(vec![Reply::raw(
            401,
            format!(r#"{{"error":{{"message":"bad {spelled}","code":190}}}}"#),
        )]);
        let c = token_client(&server.url);
        let err = c.list_page(None, wablock::Cursor::First).unwrap_err();
        assert_eq!(err.message(), "bad [redacted]", "{spelled}");
    }
}

#[test]
fn an_escaped_token_in_refusals_ids_and_cursors_is_scrubbed() {
    for spelled in SPELLINGS {
        let body = format!(
            r#"{{"block_users":{{"added_users":[{{"input":"15550002222","wa_id":"15550002222","user_id":"{spelled}"}}],
                "failed_users":[{{"input":"15550001111","errors":[{{"message":"no {spelled}","code":131047,"error_data":{{"details":"{spelled}"}}}}]}}]}}}}"#
        );
        let server = Responder::script(vec![Reply::raw(200, body)]);
        let c = token_client(&server.url);
        let outcome = c.block(["15550001111", "15550002222"]).unwrap();
        let json = outcome.to_canonical_json();
        assert!(!leaks(&json), "{spelled}: {json}");
        assert!(!leaks(&format!("{outcome:?}")));
        assert_eq!(outcome.failed[0].message, "no [redacted]");
        assert_eq!(outcome.succeeded[0].user_id.as_deref(), Some("[redacted]"));

        let page = format!(
            r#"{{"data":[{{"wa_id":"1","user_id":"{spelled}"}}],"paging":{{"cursors":{{"after":"{spelled}","before":"b"}}}}}}"#
        );
        let server = Responder::script(vec![Reply::raw(200, page)]);
        let c = token_client(&server.url);
        let page = c.list_page(None, wablock::Cursor::First).unwrap();
        assert!(!leaks(&page.to_canonical_json()), "{spelled}");
        assert_eq!(page.after.as_deref(), Some("[redacted]"));
    }
    // Percent-encoded in a `next` URL (360dialog's shape without cursors): decoded, then scrubbed.
    let server = Responder::script(vec![Reply::raw(
        200,
        r#"{"data":[{"wa_id":"1"}],"paging":{"next":"https://x.invalid/block_users?after=TOKEN%2Fs3cr3t-value"}}"#,
    )]);
    let c = token_client(&server.url);
    assert_eq!(
        c.list_page(None, wablock::Cursor::First)
            .unwrap()
            .after
            .as_deref(),
        Some("[redacted]")
    );
}

#[test]
fn secrets_shorter_than_six_bytes_are_refused_when_the_client_is_built() {
    for short in ["a", "abcde"] {
        for builder in [Client::meta("1000", short), Client::dialog360(short)] {
            let err = builder.build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(
                err.message().contains(&format!("is {} byte", short.len())),
                "{err}"
            );
            assert!(err.message().contains("copied whole"), "{err}");
        }
    }
    assert!(Client::meta("1000", "abcdef").build().is_ok());
    assert!(Client::dialog360("abcdef").build().is_ok());
}
