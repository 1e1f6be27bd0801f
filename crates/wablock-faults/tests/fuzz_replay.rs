//! Replays every fuzz seed (`fuzz/seeds/<target>/`, hand-written and extracted from the
//! conformance vectors) and every regression vector (`fuzz/regressions/<target>/`) through
//! the fuzz targets' own checks, on stable, as part of `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use wablock_faults::fuzz_targets::TARGETS;

fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_seed_and_regression_vector_passes_its_target() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, run) in TARGETS {
        let seeds = files("seeds", target);
        assert!(seeds.len() >= 5, "{target}: only {} seeds", seeds.len());
        for path in seeds.iter().chain(files("regressions", target).iter()) {
            let data = std::fs::read(path).unwrap();
            replayed += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&data))) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target} {}: {why}", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {replayed} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(replayed >= 150, "only {replayed} inputs replayed");
}

#[test]
fn the_targets_reject_what_they_should() {
    // The checks can fail: a page decoder accepting HTTP 500, for instance, would be caught.
    let outcome =
        wablock::fuzzing::decode_mutation(200, br#"{"block_users":{}}"#, &["16505551234"]);
    assert_eq!(outcome.unwrap(), vec![Some(wablock::Reason::Unconfirmed)]);
    assert!(wablock::fuzzing::decode_list(500, br#"{"data":[]}"#, None).is_err());
    let bad =
        catch_unwind(|| wablock_faults::fuzz_targets::normalize_input("x".repeat(300).as_bytes()));
    assert!(bad.is_ok(), "a long invalid line is simply invalid");
}

#[test]
fn the_entry_points_really_decode() {
    // A target passing on every input proves nothing unless the entry points decode: known
    // answers must give the known, non-empty results.
    use wablock::fuzzing::{decode_error, decode_list, decode_mutation, offline_client_ready};
    assert_eq!(offline_client_ready(), Ok(()));

    let body = br#"{"messaging_product":"whatsapp","block_users":{"added_users":[{"input":"+16505551234","wa_id":"16505551234"}],"failed_users":[{"input":"16505551235","wa_id":"16505551235","errors":[{"message":"Re-engagement required","code":131047}]}]}}"#;
    let verdicts = decode_mutation(200, body, &["+16505551234", "16505551235"]).unwrap();
    assert_eq!(
        verdicts,
        vec![None, Some(wablock::Reason::ReengagementRequired)]
    );

    let page = br#"{"data":[{"messaging_product":"whatsapp","wa_id":"16505551234"},{"messaging_product":"whatsapp","user_id":"US.13491208655302741918"}],"paging":{"cursors":{"before":"b","after":"a"},"next":"https://graph.facebook.com/next"}}"#;
    let page = decode_list(200, page, Some(2)).unwrap();
    assert_eq!(page.users.len(), 2);
    assert_eq!(page.users[0].wa_id.as_deref(), Some("16505551234"));
    assert_eq!(
        page.users[1].user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert!(page.has_more);

    let envelope = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"fbtrace_id":"Atrace"}}"#;
    let err = decode_error(429, envelope).unwrap();
    assert_eq!(err.kind(), wablock::ErrorKind::RateLimited);
    assert_eq!(err.code(), Some(130429));
    assert_eq!(err.fbtrace_id(), Some("Atrace"));
}
