//! GET block_users: pagination, `before`, stale cursors, both list shapes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use wablock_sandbox::SandboxConfig;

fn fill(sb: &wablock_sandbox::Sandbox, phone: &str, n: usize) -> Vec<String> {
    let list: Vec<String> = (0..n).map(|i| format!("1555000{i:04}")).collect();
    control(
        sb,
        "POST",
        "/_sandbox/phone",
        Some(json!({"phone_number_id": phone, "blocked": list})),
    );
    list
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["wa_id"].as_str().unwrap().to_string())
        .collect()
}

fn query_of(url: &str) -> String {
    url.split_once('?').unwrap().1.to_string()
}

#[test]
fn pages_follow_next_until_the_end() {
    let sb = start();
    let all = fill(&sb, PN, 7);
    let mut seen = Vec::new();
    let mut query = "limit=3".to_string();
    let mut pages = 0;
    loop {
        let r = meta(&sb, "GET", PN, &query, None);
        assert_eq!(r.status, 200);
        let page = r.json();
        pages += 1;
        seen.extend(ids(&page));
        assert!(page["paging"]["cursors"]["after"].is_string());
        assert!(page["paging"]["cursors"]["before"].is_string());
        match page["paging"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&format!("http://sandbox.test/v25.0/{PN}/block_users?")));
                query = query_of(next);
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);
}

#[test]
fn default_limit_and_cap() {
    let sb = start();
    fill(&sb, PN, 30);
    let page = meta(&sb, "GET", PN, "", None).json();
    assert_eq!(ids(&page).len(), 25);
    let page = meta(&sb, "GET", PN, "limit=100000", None).json();
    assert_eq!(ids(&page).len(), 30);
    assert!(page["paging"].get("next").is_none());
    for bad in ["limit=0", "limit=-1", "limit=abc"] {
        let r = meta(&sb, "GET", PN, bad, None);
        assert_eq!(r.status, 400);
        assert_eq!(error_code(&r.json()), Some(100));
    }
}

#[test]
fn after_cursor_and_before_cursor() {
    let sb = start();
    let all = fill(&sb, PN, 10);
    let p1 = meta(&sb, "GET", PN, "limit=4", None).json();
    let after = p1["paging"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    let p2 = meta(&sb, "GET", PN, &format!("limit=4&after={after}"), None).json();
    assert_eq!(ids(&p2), all[4..8]);
    assert!(p2["paging"]["previous"].is_string());
    let before = p2["paging"]["cursors"]["before"]
        .as_str()
        .unwrap()
        .to_string();
    let back = meta(&sb, "GET", PN, &format!("limit=4&before={before}"), None).json();
    assert_eq!(ids(&back), all[0..4]);
    let before2 = p2["paging"]["cursors"]["before"].as_str().unwrap();
    let short = meta(&sb, "GET", PN, &format!("limit=2&before={before2}"), None).json();
    assert_eq!(ids(&short), all[2..4]);
    // The cursor decodes like Meta's sample: {"offset":N,"versionId":"..."}.
    assert!(
        after
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[test]
fn stale_cursor_gets_139102_after_a_change() {
    let sb = start_with(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    });
    fill(&sb, PN, 6);
    let p1 = meta(&sb, "GET", PN, "limit=2", None).json();
    let next = query_of(p1["paging"]["next"].as_str().unwrap());
    // Unchanged list: the cursor still works.
    assert_eq!(meta(&sb, "GET", PN, &next, None).status, 200);
    // A block changes the version; the old cursor is refused.
    meta(&sb, "POST", PN, "", Some(&users(&["15559990000"])));
    let r = meta(&sb, "GET", PN, &next, None);
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(error_code(&body), Some(139102));
    assert!(
        body["error"]["error_data"]["details"]
            .as_str()
            .unwrap()
            .contains("retry with offset 0")
    );
    // An idempotent re-block does not change the version.
    let p1 = meta(&sb, "GET", PN, "limit=2", None).json();
    let next = query_of(p1["paging"]["next"].as_str().unwrap());
    meta(&sb, "POST", PN, "", Some(&users(&["15559990000"])));
    assert_eq!(meta(&sb, "GET", PN, &next, None).status, 200);
}

#[test]
fn malformed_cursor_is_code_100() {
    let sb = start();
    fill(&sb, PN, 3);
    for q in [
        "after=%%%",
        "after=bm90IGpzb24",
        "before=eyJ4IjoxfQ",
        "after=a&before=b",
    ] {
        let r = meta(&sb, "GET", PN, q, None);
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(error_code(&r.json()), Some(100), "{q}");
    }
}

#[test]
fn empty_list() {
    let sb = start();
    let r = meta(&sb, "GET", PN, "", None);
    assert_eq!(r.json(), json!({"data": []}));
}

#[test]
fn legacy_shape_on_360dialog_and_switchable() {
    let sb = start();
    let all = fill(&sb, wablock_sandbox::DIALOG360_PHONE_NUMBER_ID, 5);
    let r = d360(&sb, "GET", "limit=2", None);
    let page = r.json();
    let items = page["data"][0]["block_users"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], json!({"input": all[0], "wa_id": all[0]}));
    let next = page["paging"]["next"].as_str().unwrap();
    assert!(next.starts_with("http://sandbox.test/block_users?"));
    let p2 = d360(&sb, "GET", &query_of(next), None).json();
    assert!(p2["paging"]["previous"].is_string());
    assert_eq!(p2["data"][0]["block_users"][0]["wa_id"], all[2].as_str());

    // Meta shape on the 360dialog path, legacy shape on the Meta path.
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"list_shape": "meta"})),
    );
    let page = d360(&sb, "GET", "limit=2", None).json();
    assert_eq!(page["data"][0]["wa_id"], all[0].as_str());
    fill(&sb, PN, 1);
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"list_shape": "legacy"})),
    );
    let page = meta(&sb, "GET", PN, "", None).json();
    assert_eq!(page["data"][0]["block_users"][0]["wa_id"], "15550000000");
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"list_shape": null})),
    );
    let page = meta(&sb, "GET", PN, "", None).json();
    assert_eq!(page["data"][0]["wa_id"], "15550000000");
}
