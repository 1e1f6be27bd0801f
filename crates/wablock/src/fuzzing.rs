//! Entry points into the response decoders and input rules without a network, for fuzz
//! targets and property tests. Not part of the stable API.

use std::sync::OnceLock;
use std::time::Duration;

use crate::client::{Client, Reply};
use crate::error::{Error, ErrorKind};
use crate::listing::{Page, decode_page};
use crate::matching::{ServerVerdict, match_server_items};
use crate::outcome::Reason;
use crate::users::{Target, prepare_users};
use crate::wire::{FailedItem, ItemError, UserItem};

/// The client whose decoders the entry points drive. It never connects (nothing is sent),
/// but it must build: without it the decoders would not run at all, so a failed build is an
/// `INTERNAL` error from every entry point that needs it, never an empty result.
fn offline_client() -> Result<&'static Client, Error> {
    static CLIENT: OnceLock<Result<Client, Error>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::meta("1000", "fuzz-token-value")
                .base_url("http://127.0.0.1:9")
                .build()
        })
        .as_ref()
        .map_err(offline_client_failed)
}

fn offline_client_failed(build_error: &Error) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!(
            "the offline fuzzing client did not build, so nothing can be decoded: {build_error}"
        ),
    )
}

/// `Ok` when the offline client the decoders run on has built. A fuzz harness asserts this,
/// so that a broken set-up fails loudly instead of fuzzing nothing.
pub fn offline_client_ready() -> Result<(), Error> {
    offline_client().map(|_| ())
}

/// A reply as `Inner::exchange` hands it on: the body already scrubbed of the secret.
fn reply(client: &Client, status: u16, body: &[u8], retry_after: Option<Duration>) -> Reply {
    Reply {
        status,
        body: client.inner.secret.scrub_body(body.to_vec()),
        retry_after,
    }
}

/// Decodes a POST/DELETE answer for the users `sent` (raw strings, normalised first; invalid
/// ones are dropped). `Ok` holds one reason per valid sent user (`None` = confirmed).
pub fn decode_mutation(
    status: u16,
    body: &[u8],
    sent: &[&str],
) -> Result<Vec<Option<Reason>>, Error> {
    let client = offline_client()?;
    let prepared = prepare_users(sent);
    let ids: Vec<&Target> = prepared.targets.iter().collect();
    let verdicts = client.mutation_verdicts(&ids, &reply(client, status, body, None))?;
    Ok(verdicts.iter().map(ServerVerdict::reason).collect())
}

/// Decodes a GET answer. `_limit` is ignored: whether a page has more no longer depends on
/// the page size asked for (docs/behaviour.md §3.4); the parameter stays for the fuzz targets.
pub fn decode_list(status: u16, body: &[u8], _limit: Option<u32>) -> Result<Page, Error> {
    let client = offline_client()?;
    decode_page(&client.inner, &reply(client, status, body, None), 0)
}

/// Decodes any answer as a whole-call error (the Graph envelope, 360dialog text, or none):
/// `Ok` holds the decoded error; `Err` means the offline client did not build.
pub fn decode_error(status: u16, body: &[u8]) -> Result<Error, Error> {
    let client = offline_client()?;
    Ok(client.inner.reply_error(&reply(client, status, body, None)))
}

/// A server item for [`match_items`]: `(input, wa_id, user_id, Some(code) if refused)`.
pub type ServerItem = (Option<String>, Option<String>, Option<String>, Option<i64>);

/// Normalises and dedupes `inputs`, then matches server items back to the distinct users.
/// Returns, per input, `Err(())` when invalid, else the target's reason (`None` = confirmed).
pub fn match_items(inputs: &[String], items: &[ServerItem]) -> Vec<Result<Option<Reason>, ()>> {
    let prepared = prepare_users(inputs);
    let ids: Vec<&Target> = prepared.targets.iter().collect();
    let mut confirmed = Vec::new();
    let mut failed = Vec::new();
    for (input, wa_id, user_id, code) in items.iter().cloned() {
        match code {
            None => confirmed.push(UserItem {
                input: input.map(Into::into),
                wa_id: wa_id.map(Into::into),
                user_id: user_id.map(Into::into),
            }),
            Some(code) => failed.push(FailedItem {
                input,
                wa_id: wa_id.map(Into::into),
                user_id: user_id.map(Into::into),
                errors: vec![ItemError {
                    code: Some(code),
                    ..Default::default()
                }],
            }),
        }
    }
    let verdicts = match_server_items(&ids, confirmed, failed);
    prepared
        .slot_results()
        .iter()
        .map(|slot| match slot {
            Ok(target) => Ok(verdicts[*target].reason()),
            Err(_) => Err(()),
        })
        .collect()
}

/// The distinct users `inputs` dedupe to, as sent, in first-seen order.
pub fn dedupe(inputs: &[String]) -> Vec<String> {
    prepare_users(inputs)
        .targets
        .iter()
        .map(|t| t.sent.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_client_build_is_an_internal_error_not_an_empty_result() {
        let refused = Error::new(ErrorKind::InvalidArgument, "bad base URL");
        let err = offline_client_failed(&refused);
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert!(err.message().contains("bad base URL"), "{}", err.message());
    }

    #[test]
    fn the_offline_client_builds() {
        assert_eq!(offline_client_ready(), Ok(()));
    }
}
