//! Property tests (proptest) for the input rules, dedupe, batching and the matching of server
//! items back to inputs. Case counts are kept small where a case costs real HTTP requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use wablock::fuzzing::{ServerItem, decode_mutation, dedupe, match_items};
use wablock::users::{MAX_USER_BYTES, UserId, normalize_user};
use wablock::{Client, Reason, RetryPolicy};

/// A phone number written with random separators and white space: `(raw, expected sent)`.
fn phone_writing() -> impl Strategy<Value = (String, String)> {
    (
        proptest::collection::vec(0u8..10, 5..=15),
        any::<bool>(),
        proptest::collection::vec(
            select(vec!["", "", "", " ", "-", "(", ")", ".", " (", ") "]),
            16,
        ),
        select(vec!["", " ", "  ", "\t", "\n"]),
        select(vec!["", " ", "\t", "\r\n"]),
    )
        .prop_map(|(digits, plus, seps, lead, trail)| {
            let digits: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let mut raw = String::from(lead);
            if plus {
                raw.push('+');
            }
            for (i, c) in digits.chars().enumerate() {
                if i > 0 {
                    raw.push_str(seps[i]);
                }
                raw.push(c);
            }
            raw.push_str(trail);
            let sent = if plus { format!("+{digits}") } else { digits };
            (raw, sent)
        })
}

fn bsuid() -> impl Strategy<Value = String> {
    "[A-Z]{2}\\.[A-Za-z0-9]{1,128}"
        .prop_filter("parent BSUIDs are refused", |s| !s[3..].starts_with("ENT."))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_phone_writing_normalises_to_its_digits((raw, sent) in phone_writing()) {
        let id = normalize_user(&raw).unwrap();
        prop_assert_eq!(id.sent(), sent.as_str());
        prop_assert_eq!(id.key(), sent.trim_start_matches('+'));
        prop_assert!(id.is_phone());
    }

    #[test]
    fn bsuids_are_kept_exactly_as_given(id in bsuid(), pad in select(vec!["", " ", "\t"])) {
        let got = normalize_user(&format!("{pad}{id}{pad}")).unwrap();
        prop_assert_eq!(got, UserId::Bsuid(id));
    }

    #[test]
    fn normalisation_is_idempotent(raw in prop_oneof![
        phone_writing().prop_map(|(r, _)| r),
        bsuid(),
        "\\PC{0,40}",
        "[+0-9 ().-]{0,30}",
    ]) {
        if let Ok(id) = normalize_user(&raw) {
            let again = normalize_user(id.sent()).unwrap();
            prop_assert_eq!(again.sent(), id.sent());
            prop_assert_eq!(again.key(), id.key());
            prop_assert_eq!(again, id);
        }
    }

    #[test]
    fn never_panics_and_accepts_only_the_documented_shapes(raw in prop_oneof![
        any::<String>(),
        "\\PC{0,300}",
        ".{250,600}",
        proptest::collection::vec(any::<u8>(), 0..400)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        match normalize_user(&raw) {
            Ok(UserId::Phone { sent, digits }) => {
                prop_assert!(raw.len() <= MAX_USER_BYTES);
                prop_assert!((5..=15).contains(&digits.len()));
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
                let plus = format!("+{}", digits);
                prop_assert!(sent == digits || sent == plus);
            }
            Ok(UserId::Bsuid(b)) => {
                prop_assert!(raw.len() <= MAX_USER_BYTES);
                prop_assert_eq!(b.as_str(), raw.trim());
                prop_assert!(!b[3..].starts_with("ENT."));
            }
            Err(e) => prop_assert!(!e.message().is_empty()),
        }
    }

    #[test]
    fn strings_over_256_bytes_are_always_invalid(
        (raw, _) in phone_writing(),
        extra in 1usize..2000,
        filler in select(vec![" ", "\t", "é", "0"]),
    ) {
        let mut long = raw.clone();
        while long.len() < MAX_USER_BYTES + extra {
            long.push_str(filler);
        }
        prop_assert!(long.len() > MAX_USER_BYTES);
        prop_assert!(normalize_user(&long).is_err());
    }
}

/// A pool of users, each with several writings, so that dedupe has work to do.
fn user_pool() -> impl Strategy<Value = Vec<Vec<String>>> {
    proptest::collection::vec(
        prop_oneof![
            3 => proptest::collection::vec(phone_writing(), 1..4).prop_map(|ws| {
                // Re-write every writing with the first one's digits.
                let digits = ws[0].1.trim_start_matches('+').to_string();
                ws.iter()
                    .enumerate()
                    .map(|(i, _)| match i % 3 {
                        0 => format!("+{digits}"),
                        1 => format!(" {digits} "),
                        _ => digits.chars().flat_map(|c| [c, '-']).collect::<String>()
                            .trim_end_matches('-').to_string(),
                    })
                    .collect()
            }),
            1 => bsuid().prop_map(|b| vec![b.clone(), format!(" {b}")]),
            1 => select(vec!["bogus", "12", "US.ENT.1", "x@y"]).prop_map(|s| vec![s.to_string()]),
        ],
        1..40,
    )
}

/// Inputs drawn from a pool, with repeats, in random order.
fn inputs_from_pool() -> impl Strategy<Value = Vec<String>> {
    user_pool().prop_flat_map(|pool| {
        let all: Vec<String> = pool.into_iter().flatten().collect();
        proptest::collection::vec(select(all), 1..120)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn dedupe_yields_one_target_per_user_in_first_seen_order(inputs in inputs_from_pool()) {
        let got = dedupe(&inputs);
        // The model: first spelling of each distinct key, in order of first appearance.
        let mut seen = HashSet::new();
        let mut want = Vec::new();
        for raw in &inputs {
            if let Ok(id) = normalize_user(raw) {
                if seen.insert(id.key().to_string()) {
                    want.push(id.sent().to_string());
                }
            }
        }
        prop_assert_eq!(&got, &want);
        let keys: HashSet<String> = got
            .iter()
            .map(|s| normalize_user(s).unwrap().key().to_string())
            .collect();
        prop_assert_eq!(keys.len(), got.len(), "one target per key");
    }
}

/// How the server writes an item for a sent user.
#[derive(Debug, Clone, Copy)]
enum Writing {
    Exact,
    Reformatted,
    WaIdOnly,
}

/// What the server says about one distinct user: nothing, confirmed, refused, or both.
#[derive(Debug, Clone, Copy)]
enum Said {
    Nothing,
    Confirmed(Writing),
    Refused(Writing, i64),
    Both(Writing, Writing, i64),
}

fn said() -> impl Strategy<Value = Said> {
    let writing = prop_oneof![
        Just(Writing::Exact),
        Just(Writing::Reformatted),
        Just(Writing::WaIdOnly)
    ];
    let code = select(vec![131047i64, 131021, 139101, 130429, 139103, 100, 42]);
    prop_oneof![
        1 => Just(Said::Nothing),
        3 => writing.clone().prop_map(Said::Confirmed),
        2 => (writing.clone(), code.clone()).prop_map(|(w, c)| Said::Refused(w, c)),
        1 => (writing.clone(), writing, code).prop_map(|(a, b, c)| Said::Both(a, b, c)),
    ]
}

/// `(input, wa_id, user_id)` of an item naming `sent`.
fn item_for(sent: &str, w: Writing) -> (Option<String>, Option<String>, Option<String>) {
    match normalize_user(sent).unwrap() {
        UserId::Bsuid(b) => match w {
            Writing::WaIdOnly => (None, None, Some(b)),
            _ => (Some(b.clone()), None, Some(b)),
        },
        UserId::Phone { digits, .. } => match w {
            Writing::Exact => (Some(sent.to_string()), Some(digits.clone()), None),
            Writing::Reformatted => {
                let spaced: String = digits.chars().flat_map(|c| [c, ' ']).collect();
                (Some(format!("+{}", spaced.trim_end())), None, None)
            }
            Writing::WaIdOnly => (Some("garbled-by-server".into()), Some(digits), None),
        },
    }
}

/// The model of docs/behaviour.md §3.1 matching: refusals beat confirmations, unmentioned is UNCONFIRMED.
fn expected_reason(s: Said) -> Option<Reason> {
    match s {
        Said::Nothing => Some(Reason::Unconfirmed),
        Said::Confirmed(_) => None,
        Said::Refused(_, code) | Said::Both(_, _, code) => Some(Reason::from_code(Some(code))),
    }
}

/// Builds the server's items for the distinct users, in shuffled order, plus foreign items.
fn server_items(
    targets: &[String],
    said: &[Said],
    order: &[usize],
) -> (Vec<ServerItem>, Vec<ServerItem>) {
    let mut confirmed = Vec::new();
    let mut refused = Vec::new();
    for &i in order {
        let Some(t) = targets.get(i) else { continue };
        match said[i] {
            Said::Nothing => {}
            Said::Confirmed(w) => {
                let (a, b, c) = item_for(t, w);
                confirmed.push((a, b, c, None));
            }
            Said::Refused(w, code) => {
                let (a, b, c) = item_for(t, w);
                refused.push((a, b, c, Some(code)));
            }
            Said::Both(wc, wr, code) => {
                let (a, b, c) = item_for(t, wc);
                confirmed.push((a, b, c, None));
                let (a, b, c) = item_for(t, wr);
                refused.push((a, b, c, Some(code)));
            }
        }
    }
    // Users nobody sent must change nothing.
    confirmed.push((
        Some("+999 000 111".into()),
        Some("999000111".into()),
        None,
        None,
    ));
    refused.push((None, None, Some("ZZ.NOT0SENT".into()), Some(131047)));
    (confirmed, refused)
}

fn as_json_item(item: &ServerItem) -> Value {
    let mut v = json!({});
    if let Some(i) = &item.0 {
        v["input"] = json!(i);
    }
    if let Some(w) = &item.1 {
        v["wa_id"] = json!(w);
    }
    if let Some(u) = &item.2 {
        v["user_id"] = json!(u);
    }
    if let Some(code) = item.3 {
        v["errors"] = json!([{"message": "refused", "code": code, "error_data": {"details": "d"}}]);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn server_items_match_back_to_inputs_in_any_order_and_writing(
        (inputs, said, order) in inputs_from_pool().prop_flat_map(|inputs| {
            let n = dedupe(&inputs).len();
            (
                Just(inputs),
                proptest::collection::vec(said(), n),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            )
        }),
        shape in 0u8..3,
    ) {
        let targets = dedupe(&inputs);
        let (confirmed, refused) = server_items(&targets, &said, &order);
        let mut items = confirmed.clone();
        items.extend(refused.iter().cloned());

        // Per input, through the matching alone.
        let got = match_items(&inputs, &items);
        let index: HashMap<String, usize> = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (normalize_user(t).unwrap().key().to_string(), i))
            .collect();
        for (raw, verdict) in inputs.iter().zip(&got) {
            match normalize_user(raw) {
                Err(_) => prop_assert_eq!(verdict, &Err(())),
                Ok(id) => {
                    let t = index[id.key()];
                    prop_assert_eq!(verdict, &Ok(expected_reason(said[t])), "{} ({:?})", raw, said[t]);
                }
            }
        }

        // Through the wire decoder: the same answers as HTTP 200, or 400 + 139100.
        let added: Vec<Value> = confirmed.iter().map(as_json_item).collect();
        let failed: Vec<Value> = refused.iter().map(as_json_item).collect();
        let mut body = json!({"messaging_product": "whatsapp",
            "block_users": {"added_users": added, "failed_users": failed}});
        let status = match shape {
            0 => 200,
            1 => {
                body["error"] = json!({"message": "(#139100) Failed to block/unblock users",
                    "type": "OAuthException", "code": 139100});
                400
            }
            _ => {
                // Unblock answers: 360dialog may list them under added_users, Meta under removed_users.
                let obj = body["block_users"].as_object_mut().unwrap();
                let list = obj.remove("added_users").unwrap();
                obj.insert("removed_users".into(), list);
                200
            }
        };
        let sent: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let decoded = decode_mutation(status, body.to_string().as_bytes(), &sent).unwrap();
        let want: Vec<Option<Reason>> = said.iter().map(|s| expected_reason(*s)).collect();
        prop_assert_eq!(decoded, want);
    }
}

proptest! {
    // Each case makes real requests to a loopback responder: few cases, bounded work.
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn batching_sends_every_user_exactly_once_within_max_batch(
        (n, max_batch) in (1usize..=1000).prop_flat_map(|b| (1usize..=3000.min(b * 40), Just(b))),
        parallelism in 1usize..=4,
        dup_every in 0usize..5,
    ) {
        let server = Responder::start(|req| confirm_all(req, "added_users"));
        let client = Client::meta("1000", "TOKEN-s3cr3t-value")
            .base_url(&server.url)
            .max_batch(max_batch)
            .parallelism(parallelism)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let mut inputs: Vec<String> = (0..n).map(|i| format!("+1 650 {:07}", 1_000_000 + i)).collect();
        if dup_every > 0 {
            // Duplicates in another writing: sent once, reported under each input.
            let extra: Vec<String> = (0..n).step_by(dup_every * 7 + 1)
                .map(|i| format!("1650{:07}", 1_000_000 + i)).collect();
            inputs.extend(extra);
        }
        let outcome = client.block(&inputs).unwrap();
        let seen = server.seen();
        let mut sent_count: HashMap<String, usize> = HashMap::new();
        for req in &seen {
            let users = req.users();
            prop_assert!(!users.is_empty() && users.len() <= max_batch, "{} users in one request", users.len());
            for u in users {
                *sent_count.entry(u).or_default() += 1;
            }
        }
        prop_assert_eq!(sent_count.len(), n, "every distinct user sent");
        prop_assert!(sent_count.values().all(|&c| c == 1), "no user sent twice");
        prop_assert_eq!(seen.len(), n.div_ceil(max_batch));
        prop_assert_eq!(outcome.requests as usize, seen.len());
        prop_assert_eq!(outcome.succeeded.len(), inputs.len());
        let order: Vec<&str> = outcome.succeeded.iter().map(|s| s.input.as_str()).collect();
        let want: Vec<&str> = inputs.iter().map(String::as_str).collect();
        prop_assert_eq!(order, want, "input order");
    }
}
