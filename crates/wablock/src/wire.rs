//! Request and response bodies of both dialects (docs/behaviour.md §1). Decoding is lenient about shape
//! variants the sources document and strict about types: a wrong type is a `PROTOCOL` error.

use std::borrow::Cow;

use compact_str::CompactString;
use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::users::Target;

/// The body of a POST or DELETE: `{"messaging_product":"whatsapp","block_users":[{"user":…}|
/// {"user_id":…}]}`, byte for byte what serde_json writes for it (a unit test compares), built
/// by hand: strings that need no escape (every normalised user does) are copied as they are.
pub(crate) fn mutation_request_body(sent: &[&Target]) -> Result<Vec<u8>, serde_json::Error> {
    const HEAD: &[u8] = br#"{"messaging_product":"whatsapp","block_users":["#;
    // Each user's opening, with the comma before every user but the first, and the opening
    // quote of a value that needs no escape.
    const PHONE: &[u8] = br#",{"user":""#;
    const ID: &[u8] = br#",{"user_id":""#;
    let users: usize = sent.iter().map(|t| t.sent.len() + 16).sum();
    let mut out = Vec::with_capacity(HEAD.len() + users + 2);
    out.extend_from_slice(HEAD);
    for (i, target) in sent.iter().enumerate() {
        let open = if target.phone { PHONE } else { ID };
        // Past the comma for the first user.
        let open = open.get(usize::from(i == 0)..).unwrap_or(open);
        let value = target.sent.as_bytes();
        // serde_json escapes exactly '"', '\\' and control characters.
        if crate::fastwire::needs_json_escape(value) {
            out.extend_from_slice(open.get(..open.len() - 1).unwrap_or(open));
            serde_json::to_writer(&mut out, target.sent.as_str())?;
            out.push(b'}');
        } else {
            out.extend_from_slice(open);
            out.extend_from_slice(value);
            out.extend_from_slice(b"\"}");
        }
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// A list of per-user items where one odd item (wrong types, `null`) must not fail the whole
/// answer: it is skipped, and the user it was about is left without a verdict from it
/// (`UNCONFIRMED` unless another item speaks for them). A `null` list reads as empty.
///
/// Each item is first read as raw JSON text borrowed from the body (no copy, no allocation),
/// then decoded as `T` from that text; an item that does not decode is the odd one. (An
/// untagged enum did the same by buffering every item's keys and values in owned strings
/// first, which cost more than the decoding itself.) Bodies are always decoded from a byte
/// slice (`serde_json::from_slice`), which is what lets the raw text be borrowed.
fn lenient_items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: de::DeserializeOwned,
{
    let items = Option::<Vec<&'de serde_json::value::RawValue>>::deserialize(d)?;
    Ok(items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|raw| match serde_json::from_str::<T>(raw.get()) {
            Ok(value) => Some(value),
            Err(_) => {
                log::debug!("skipped a per-user item of an unexpected shape");
                None
            }
        })
        .collect())
}

/// A Graph error code: a number on the wire, but a numeric string is accepted too.
fn code_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(i64),
        Text(String),
    }
    match Option::<NumOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumOrText::Num(n)) => Ok(Some(n)),
        Some(NumOrText::Text(t)) => t
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| de::Error::custom(format!("error code {t:?} is not a number"))),
    }
}

/// The code of one user's refusal: like [`code_number`], but a code that is not a number reads
/// as no code (the refusal stays a refusal, `OTHER`), since one odd item must not fail the
/// answer that confirmed other users.
fn item_code<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Num(i64),
        Text(String),
        Other(de::IgnoredAny),
    }
    Ok(match Option::<Code>::deserialize(d)? {
        Some(Code::Num(n)) => Some(n),
        Some(Code::Text(t)) => t.trim().parse::<i64>().ok(),
        Some(Code::Other(_)) | None => None,
    })
}

/// `error_data` is `{"details": …}` in the guide, and a bare string in some Graph answers.
fn details_field<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum DetailsShape {
        Object {
            #[serde(default)]
            details: Option<String>,
        },
        Text(String),
    }
    Ok(match Option::<DetailsShape>::deserialize(d)? {
        None => None,
        Some(DetailsShape::Object { details }) => details,
        Some(DetailsShape::Text(t)) => Some(t),
    })
}

/// The Graph error envelope's inner object.
#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct GraphError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "code_number")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "code_number")]
    pub error_subcode: Option<i64>,
    #[serde(default, deserialize_with = "details_field")]
    pub error_data: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub error_user_msg: Option<String>,
}

/// `error` is a Graph object, or a plain string in 360dialog's 401/500 bodies.
#[derive(Deserialize, Debug, PartialEq)]
#[serde(untagged)]
pub(crate) enum ErrorField {
    Graph(GraphError),
    Text(String),
}

impl ErrorField {
    pub fn into_graph(self) -> GraphError {
        match self {
            ErrorField::Graph(g) => g,
            ErrorField::Text(message) => GraphError {
                message: Some(message),
                ..Default::default()
            },
        }
    }
}

/// A confirmed user in `added_users` / `removed_users`, or a listed user. `input` is only
/// looked up, never kept, so the fast reader (`fastwire`) borrows it from the body. The ids
/// are kept, and moved as they are into the results: inline strings, no allocation.
#[derive(Deserialize, Debug, Default, Clone, PartialEq)]
pub(crate) struct UserItem<'a> {
    #[serde(default)]
    pub input: Option<Cow<'a, str>>,
    #[serde(default)]
    pub wa_id: Option<CompactString>,
    #[serde(default)]
    pub user_id: Option<CompactString>,
}

/// One error of a refused user.
#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct ItemError {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "item_code")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "details_field")]
    pub error_data: Option<String>,
}

/// A refused user in `failed_users`.
#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct FailedItem {
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub wa_id: Option<CompactString>,
    #[serde(default)]
    pub user_id: Option<CompactString>,
    /// `null`, empty or missing still makes the item a refusal (`OTHER`, no code).
    #[serde(default, deserialize_with = "lenient_items")]
    pub errors: Vec<ItemError>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct BlockUsersResult<'a> {
    #[serde(default, deserialize_with = "lenient_items")]
    pub added_users: Vec<UserItem<'a>>,
    #[serde(default, deserialize_with = "lenient_items")]
    pub removed_users: Vec<UserItem<'a>>,
    #[serde(default, deserialize_with = "lenient_items")]
    pub failed_users: Vec<FailedItem>,
}

/// The body of a POST or DELETE answer, success, mixed or error.
#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct MutationResponse<'a> {
    #[serde(default)]
    pub block_users: Option<BlockUsersResult<'a>>,
    #[serde(default)]
    pub error: Option<ErrorField>,
}

/// An error-only body (for GET answers that failed, or unknown bodies).
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ErrorEnvelope {
    #[serde(default)]
    pub error: Option<ErrorField>,
}

/// One `data` item of a GET: Meta's `{wa_id, user_id}` or 360dialog's `{block_users:[…]}`.
#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct ListItem<'a> {
    #[serde(default)]
    pub wa_id: Option<CompactString>,
    #[serde(default)]
    pub user_id: Option<CompactString>,
    #[serde(default)]
    pub block_users: Option<Vec<UserItem<'a>>>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct Cursors {
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub before: Option<String>,
}

#[derive(Deserialize, Debug, Default, PartialEq)]
pub(crate) struct Paging {
    #[serde(default)]
    pub cursors: Option<Cursors>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub previous: Option<String>,
}

/// The body of a GET answer.
#[derive(Deserialize, Debug, PartialEq)]
pub(crate) struct ListResponse<'a> {
    pub data: Vec<ListItem<'a>>,
    #[serde(default)]
    pub paging: Option<Paging>,
}

/// The value of query parameter `name` in a URL, percent-decoded. Used only to read the
/// `after`/`before` cursor out of a `paging.next`/`previous` URL when no `cursors` object came;
/// the cursor itself stays opaque.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_request_body_is_what_serde_writes() {
        #[derive(serde::Serialize)]
        struct MutationRequest<'a> {
            messaging_product: &'static str,
            block_users: Vec<RequestUser<'a>>,
        }
        #[derive(serde::Serialize)]
        struct RequestUser<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            user: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            user_id: Option<&'a str>,
        }
        let target = |sent: &str, phone: bool| Target {
            sent: sent.into(),
            phone,
            uses: 1,
        };
        let ids = [
            target("+16505551234", true),
            target("US.13491208655302741918", false),
            // Not produced by normalisation, but escaped as serde would.
            target("a\"b\\c\u{1}\n\u{7f}é", false),
        ];
        for n in 0..=ids.len() {
            let sent: Vec<&Target> = ids[..n].iter().collect();
            let reference = MutationRequest {
                messaging_product: "whatsapp",
                block_users: sent
                    .iter()
                    .map(|t| RequestUser {
                        user: t.phone.then_some(t.sent.as_str()),
                        user_id: (!t.phone).then_some(t.sent.as_str()),
                    })
                    .collect(),
            };
            assert_eq!(
                String::from_utf8(mutation_request_body(&sent).unwrap()).unwrap(),
                serde_json::to_string(&reference).unwrap()
            );
        }
    }

    #[test]
    fn numeric_string_codes_are_accepted() {
        let r: MutationResponse =
            serde_json::from_str(r#"{"error":{"code":"190","message":"x"}}"#).unwrap();
        assert_eq!(r.error.unwrap().into_graph().code, Some(190));
        assert!(serde_json::from_str::<MutationResponse>(r#"{"error":{"code":"abc"}}"#).is_err());
    }

    #[test]
    fn text_error_and_string_error_data() {
        let r: ErrorEnvelope = serde_json::from_str(r#"{"error":"Invalid API key"}"#).unwrap();
        assert_eq!(
            r.error.unwrap().into_graph().message.as_deref(),
            Some("Invalid API key")
        );
        let r: ErrorEnvelope =
            serde_json::from_str(r#"{"error":{"code":100,"error_data":"flat"}}"#).unwrap();
        assert_eq!(
            r.error.unwrap().into_graph().error_data.as_deref(),
            Some("flat")
        );
    }

    #[test]
    fn null_lists_are_empty() {
        let r: MutationResponse = serde_json::from_str(
            r#"{"block_users":{"added_users":null,"failed_users":[{"input":"1","errors":[]}]}}"#,
        )
        .unwrap();
        let b = r.block_users.unwrap();
        assert!(b.added_users.is_empty());
        assert_eq!(b.failed_users.len(), 1);
    }

    #[test]
    fn one_odd_item_does_not_fail_the_answer() {
        let r: MutationResponse = serde_json::from_str(
            r#"{"block_users":{"added_users":[{"input":"1","wa_id":"1"},{"input":2}],
                "failed_users":[{"input":"3","errors":null},{"input":"4"},
                                {"input":"5","errors":[null,{"code":"abc","message":"m"}]},{"input":"6","errors":[{"code":131047}]}]}}"#,
        )
        .unwrap();
        let b = r.block_users.unwrap();
        assert_eq!(b.added_users.len(), 1, "the odd confirmed item is skipped");
        let failed: Vec<(Option<&str>, usize)> = b
            .failed_users
            .iter()
            .map(|f| (f.input.as_deref(), f.errors.len()))
            .collect();
        assert_eq!(
            failed,
            [
                (Some("3"), 0),
                (Some("4"), 0),
                (Some("5"), 1),
                (Some("6"), 1)
            ]
        );
        // An unreadable code is no code; the message stays.
        let odd = &b.failed_users[2].errors[0];
        assert_eq!((odd.code, odd.message.as_deref()), (None, Some("m")));
    }

    #[test]
    fn cursor_from_next_url() {
        let next = "https://waba-v2.360dialog.io/block_users?limit=2&after=QVFI%3D%3D&x=1";
        assert_eq!(query_param(next, "after").as_deref(), Some("QVFI=="));
        assert_eq!(query_param(next, "before"), None);
    }
}
