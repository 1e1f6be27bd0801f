//! The webhook parser and signature check on their own: known vectors, the fuzz seeds replayed
//! on stable, and a few thousand random and mutated inputs that must never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use proptest::prelude::*;
use wablock_window::ErrorKind;
use wablock_window::webhook::{fuzz_webhook, parse, verify_signature};

fn fuzz_dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join("webhook")
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz_dir(kind)) else {
            continue;
        };
        for entry in dir {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with('.') {
                continue;
            }
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

fn seed(name: &str) -> (String, Vec<u8>) {
    let data = std::fs::read(fuzz_dir("seeds").join(name)).unwrap();
    let at = data.iter().position(|&b| b == b'\n').unwrap();
    (
        String::from_utf8(data[..at].to_vec()).unwrap(),
        data[at + 1..].to_vec(),
    )
}

#[test]
fn signature_matches_a_published_vector() {
    // GitHub's documented X-Hub-Signature-256 example: the same HMAC-SHA256 scheme.
    let secret = b"It's a Secret to Everybody";
    let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    verify_signature(b"Hello, World!", Some(good), secret).unwrap();
    verify_signature(
        b"Hello, World!",
        Some(&good.to_uppercase().replace("SHA256", "sha256")),
        secret,
    )
    .unwrap();
    for (body, header, expected) in [
        (&b"Hello, World?"[..], Some(good), "does not match"),
        (
            b"Hello, World!",
            Some(&good[..good.len() - 2]),
            "does not match",
        ),
        (b"Hello, World!", None, "no X-Hub-Signature-256"),
        (b"Hello, World!", Some(" "), "no X-Hub-Signature-256"),
        (
            b"Hello, World!",
            Some("sha1=757107ea"),
            "must start with 'sha256='",
        ),
        (b"Hello, World!", Some("sha256=xyz"), "hexadecimal"),
    ] {
        let err = verify_signature(body, header, secret).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Signature);
        assert!(
            err.message().contains(expected),
            "{expected:?} not in {err}"
        );
    }
    let err = verify_signature(b"Hello, World!", Some(good), b"another secret").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature);
}

#[test]
fn seeds_parse_as_expected() {
    let (header, body) = seed("hand_text_message");
    verify_signature(&body, Some(&header), b"fuzz-app-secret").unwrap();
    let messages = parse(&body).unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].phone_number_id, "106540352242922");
    assert_eq!(messages[0].user, "16505551234");
    assert_eq!(messages[0].timestamp, 1_700_000_000);
    assert!(messages[0].message_id.starts_with("wamid."));

    let (_, body) = seed("hand_bsuid_only");
    let m = &parse(&body).unwrap()[0];
    assert_eq!(m.user, "US.13491208655302741918");
    assert_eq!(m.wa_id, None);

    let (_, body) = seed("hand_phone_and_bsuid");
    let m = &parse(&body).unwrap()[0];
    assert_eq!(m.user, "447700900123");
    assert_eq!(m.identities(), vec!["447700900123", "GB.99"]);
    assert_eq!(
        m.timestamp, 1_700_000_200,
        "a numeric timestamp is accepted too"
    );

    let (_, body) = seed("hand_two_messages");
    let users: Vec<String> = parse(&body).unwrap().into_iter().map(|m| m.user).collect();
    assert_eq!(users, vec!["16505551234", "16505551235"]);

    assert!(parse(&seed("hand_statuses_only").1).unwrap().is_empty());
    assert!(parse(&seed("hand_other_field").1).unwrap().is_empty());
    assert_eq!(
        parse(&seed("hand_missing_id").1).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    let (header, body) = seed("hand_bad_signature");
    assert!(verify_signature(&body, Some(&header), b"fuzz-app-secret").is_err());
}

#[test]
fn fuzz_seeds_and_regressions_replay_without_panicking() {
    let all = seeds();
    assert!(all.len() >= 8, "only {} seeds", all.len());
    for (name, data) in all {
        let result = std::panic::catch_unwind(|| fuzz_webhook(&data));
        assert!(result.is_ok(), "{name} panicked");
    }
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let body = vec![b' '; wablock_window::webhook::MAX_WEBHOOK_BYTES + 1];
    let err = parse(&body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Malformed);
    assert!(err.message().contains("limit"), "{err}");
}

/// Random JSON in the places the parser reads.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        "[0-9+ ().-]{0,20}".prop_map(serde_json::Value::from),
        "[A-Z]{2}\\.[A-Za-z0-9.]{0,12}".prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("from".to_string()),
                    Just("from_user_id".to_string()),
                    Just("id".to_string()),
                    Just("timestamp".to_string()),
                    Just("wa_id".to_string()),
                    Just("user_id".to_string()),
                    Just("messages".to_string()),
                    Just("contacts".to_string()),
                    Just("metadata".to_string()),
                    Just("phone_number_id".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzz_webhook(&data);
    }

    #[test]
    fn mutated_seeds_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let all = seeds();
        let mut data = all[pick.index(all.len())].1.clone();
        for (at, byte, op) in edits {
            if data.is_empty() { data.push(byte); continue; }
            let i = at.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => data.insert(i, byte),
                _ => { data.truncate(i); }
            }
        }
        fuzz_webhook(&data);
    }

    #[test]
    fn webhook_shaped_json_never_panics(
        metadata in any_json(), contacts in any_json(), messages in any_json(), field in any_json()
    ) {
        let body = serde_json::to_vec(&serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": field, "value": {}}, {"field": "messages", "value": {
                "metadata": metadata, "contacts": contacts, "messages": messages}}]}]
        })).unwrap();
        fuzz_webhook(&body);
        if let Ok(parsed) = parse(&body) {
            for m in parsed {
                prop_assert!(!m.user.is_empty());
                prop_assert!(m.timestamp >= 0);
            }
        }
    }
}
