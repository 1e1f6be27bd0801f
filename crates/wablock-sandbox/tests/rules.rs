//! Block/unblock rules over real HTTP: 24-hour window, clock, self block, business
//! accounts, 64,000 cap, 1,000 users per request, auth, mixed styles, idempotency, BSUIDs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use wablock_sandbox::{MixedStyle, SandboxConfig, demo};

#[test]
fn block_within_24_hours_succeeds_and_is_listed() {
    let sb = start();
    inbound(&sb, PN, "+16505551234");
    let before = sb.state_json(PN)["version_id"].clone();
    let r = meta(&sb, "POST", PN, "", Some(&users(&["+1 (650) 555-1234"])));
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "block_users": {"added_users": [
            {"input": "+1 (650) 555-1234", "wa_id": "16505551234"}]}})
    );
    assert_eq!(blocked_wa_ids(&sb, PN), vec!["16505551234"]);
    assert_ne!(sb.state_json(PN)["version_id"], before);
    assert!(r.header("x-business-use-case-usage").is_some());
}

#[test]
fn unknown_and_stale_users_need_reengagement() {
    let sb = start();
    sb.record_inbound(PN, "15550001111", None);
    sb.advance_clock(Duration::from_secs(24 * 3600 + 1));
    sb.record_inbound(PN, "15550002222", None);
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["15550001111", "15550002222", "15550003333"])),
    );
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(ok_inputs(&body, "added_users"), vec!["15550002222"]);
    assert_eq!(
        failed_codes(&body),
        vec![
            ("15550001111".to_string(), 131047),
            ("15550003333".to_string(), 131047)
        ]
    );
    let f = &body["block_users"]["failed_users"][0];
    assert_eq!(f["wa_id"], "15550001111");
    assert_eq!(f["errors"][0]["message"], "Re-engagement required");
    assert!(f["errors"][0]["error_data"]["details"].is_string());
}

#[test]
fn clock_via_control_endpoint_and_inbound_seconds_ago() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/inbound",
        Some(json!({"phone_number_id": PN, "wa_id": "15550004444", "seconds_ago": 86000})),
    );
    control(
        &sb,
        "POST",
        "/_sandbox/clock",
        Some(json!({"advance_seconds": 401})),
    );
    let r = meta(&sb, "POST", PN, "", Some(&users(&["15550004444"])));
    assert_eq!(
        failed_codes(&r.json()),
        vec![("15550004444".into(), 131047)]
    );
}

#[test]
fn open_mode_blocks_anyone_valid() {
    let sb = start_with(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    });
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["+44 20 7946 0958", "x"])),
    );
    let body = r.json();
    assert_eq!(ok_inputs(&body, "added_users"), vec!["+44 20 7946 0958"]);
    assert_eq!(
        body["block_users"]["added_users"][0]["wa_id"],
        "442079460958"
    );
    assert_eq!(failed_codes(&body), vec![("x".into(), 131047)]);
    assert!(
        body["block_users"]["failed_users"][0]
            .get("wa_id")
            .is_none()
    );
}

#[test]
fn self_block_and_business_account_refused() {
    let sb = start();
    control(
        &sb,
        "POST",
        "/_sandbox/phone",
        Some(
            json!({"phone_number_id": PN, "own_wa_id": "+1 555 000 9999",
                     "business_accounts": ["15557770000"]}),
        ),
    );
    inbound(&sb, PN, "15550009999");
    inbound(&sb, PN, "15557770000");
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["15550009999", "+15557770000"])),
    );
    assert_eq!(
        failed_codes(&r.json()),
        vec![
            ("15550009999".into(), 131021),
            ("+15557770000".into(), 131047)
        ]
    );
    assert!(blocked_wa_ids(&sb, PN).is_empty());
}

#[test]
fn demo_data_rules() {
    let sb = start_with(SandboxConfig {
        seed_demo: true,
        ..SandboxConfig::default()
    });
    let mut all: Vec<&str> = demo::DEMO_RECENT_USERS.to_vec();
    all.extend([
        demo::DEMO_STALE_USER,
        demo::DEMO_BUSINESS_ACCOUNT,
        demo::DEMO_OWN_NUMBER,
        demo::DEMO_BSUID_USER,
    ]);
    let r = meta(
        &sb,
        "POST",
        demo::DEMO_PHONE_NUMBER_ID,
        "",
        Some(&users(&all)),
    );
    let body = r.json();
    let mut expect_ok: Vec<String> = demo::DEMO_RECENT_USERS
        .iter()
        .map(|s| s.to_string())
        .collect();
    expect_ok.push(demo::DEMO_BSUID_USER.to_string());
    assert_eq!(ok_inputs(&body, "added_users"), expect_ok);
    assert_eq!(
        failed_codes(&body),
        vec![
            (demo::DEMO_STALE_USER.to_string(), 131047),
            (demo::DEMO_BUSINESS_ACCOUNT.to_string(), 131047),
            (demo::DEMO_OWN_NUMBER.to_string(), 131021),
        ]
    );
    // Demo data is in the 360dialog number too.
    let r = d360(&sb, "GET", "", None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["data"][0]["block_users"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn blocklist_cap_of_64000() {
    let sb = start_with(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    });
    let prefill: Vec<String> = (0..63_999).map(|i| format!("1999{i:07}")).collect();
    let st = control(
        &sb,
        "POST",
        "/_sandbox/phone",
        Some(json!({"phone_number_id": PN, "blocked": prefill})),
    );
    assert_eq!(st["blocked_count"], 63_999);
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["15550000001", "15550000002", "19990000005"])),
    );
    let body = r.json();
    assert_eq!(
        ok_inputs(&body, "added_users"),
        vec!["15550000001", "19990000005"]
    );
    assert_eq!(failed_codes(&body), vec![("15550000002".into(), 139101)]);
    assert_eq!(sb.state_json(PN)["blocked_count"], 64_000);
}

#[test]
fn more_than_1000_users_is_a_whole_request_error() {
    let sb = start_with(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    });
    let list: Vec<String> = (0..1001).map(|i| format!("1555{i:07}")).collect();
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    let r = meta(&sb, "POST", PN, "", Some(&users(&refs)));
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r.json()), Some(130429));
    assert!(blocked_wa_ids(&sb, PN).is_empty());
    // Exactly 1,000 is fine.
    let r = meta(&sb, "POST", PN, "", Some(&users(&refs[..1000])));
    assert_eq!(r.status, 200);
    assert_eq!(sb.state_json(PN)["blocked_count"], 1000);
}

#[test]
fn bad_meta_token_is_401_code_190() {
    let sb = start();
    for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        let r = request(
            sb.addr(),
            "GET",
            &format!("/v25.0/{PN}/block_users"),
            &headers,
            None,
        );
        assert_eq!(r.status, 401);
        validate_api_response("GET", &r);
        let body = r.json();
        assert_eq!(error_code(&body), Some(190));
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(
            body["error"]["message"],
            "Invalid OAuth access token - Cannot parse access token"
        );
        assert!(body["error"]["fbtrace_id"].is_string());
    }
    // Any vNN.N version works.
    let r = request(
        sb.addr(),
        "GET",
        &format!("/v23.0/{PN}/block_users"),
        &[("Authorization", "Bearer sandbox-token")],
        None,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn bad_360dialog_key_is_401_text() {
    let sb = start();
    for key in [None, Some("nope")] {
        let headers: Vec<(&str, &str)> = key.iter().map(|k| ("D360-API-KEY", *k)).collect();
        let r = request(sb.addr(), "POST", "/block_users", &headers, Some("{}"));
        assert_eq!(r.status, 401);
        let checked = validate_api_response("POST", &r);
        assert_eq!(checked, vec!["utils.ErrorResp"]);
        assert!(r.json()["error"].is_string());
    }
}

#[test]
fn malformed_bodies_are_code_100() {
    let sb = start();
    let auth = [("Authorization", "Bearer sandbox-token")];
    let target = format!("/v25.0/{PN}/block_users");
    for body in [
        "",
        "not json",
        "[]",
        r#"{"block_users":[{"user":"15550001111"}]}"#,
        r#"{"messaging_product":"sms","block_users":[{"user":"15550001111"}]}"#,
        r#"{"messaging_product":"whatsapp","block_users":[]}"#,
        r#"{"messaging_product":"whatsapp","block_users":{}}"#,
        r#"{"messaging_product":"whatsapp","block_users":["15550001111"]}"#,
        r#"{"messaging_product":"whatsapp","block_users":[{"user":"1555","user_id":"US.1"}]}"#,
        r#"{"messaging_product":"whatsapp","block_users":[{"user":15550001111}]}"#,
        r#"{"messaging_product":"whatsapp","block_users":[{}]}"#,
    ] {
        let r = request(sb.addr(), "POST", &target, &auth, Some(body));
        assert_eq!(r.status, 400, "{body}");
        validate_api_response("POST", &r);
        let j = r.json();
        assert_eq!(error_code(&j), Some(100), "{body}");
        assert_eq!(j["error"]["type"], "OAuthException");
    }
}

#[test]
fn mixed_style_400_has_139100_envelope() {
    let sb = start_with(SandboxConfig {
        mixed_style: MixedStyle::Http400,
        ..SandboxConfig::default()
    });
    inbound(&sb, PN, "15550001111");
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["15550001111", "15550002222"])),
    );
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(ok_inputs(&body, "added_users"), vec!["15550001111"]);
    assert_eq!(failed_codes(&body), vec![("15550002222".into(), 131047)]);
    assert_eq!(body["error"]["code"], 139100);
    assert_eq!(
        body["error"]["message"],
        "(#139100) Failed to block/unblock users"
    );
    assert_eq!(
        body["error"]["error_data"]["details"],
        "Failed to block some users, see the block_users response list for details"
    );
    assert_eq!(body["messaging_product"], "whatsapp");
    // All succeeded: plain 200, no error.
    let r = meta(&sb, "POST", PN, "", Some(&users(&["15550001111"])));
    assert_eq!(r.status, 200);
    assert!(r.json().get("error").is_none());
    // Switch at run time to the 200 style.
    control(
        &sb,
        "POST",
        "/_sandbox/config",
        Some(json!({"mixed_style": "200"})),
    );
    let r = meta(&sb, "POST", PN, "", Some(&users(&["15550002222"])));
    assert_eq!(r.status, 200);
    assert!(r.json().get("error").is_none());
    assert_eq!(failed_codes(&r.json()).len(), 1);
}

#[test]
fn unblock_and_idempotency() {
    let sb = start_with(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    });
    meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&["15550001111", "15550002222"])),
    );
    let v1 = sb.state_json(PN)["version_id"].clone();
    // Blocking again is a success and changes nothing.
    let r = meta(&sb, "POST", PN, "", Some(&users(&["+15550001111"])));
    assert_eq!(ok_inputs(&r.json(), "added_users"), vec!["+15550001111"]);
    assert_eq!(sb.state_json(PN)["version_id"], v1);
    assert_eq!(blocked_wa_ids(&sb, PN), vec!["15550001111", "15550002222"]);
    // Unblock one, plus one that is not blocked (also a success).
    let r = meta(
        &sb,
        "DELETE",
        PN,
        "",
        Some(&users(&["15550001111", "15550009999"])),
    );
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "block_users": {"removed_users": [
            {"input": "15550001111", "wa_id": "15550001111"},
            {"input": "15550009999", "wa_id": "15550009999"}]}})
    );
    assert_eq!(blocked_wa_ids(&sb, PN), vec!["15550002222"]);
    assert_ne!(sb.state_json(PN)["version_id"], v1);
    // 360dialog unblock works on its own number.
    let r = d360(&sb, "DELETE", "", Some(&users(&["15550002222"])));
    assert_eq!(ok_inputs(&r.json(), "removed_users"), vec!["15550002222"]);
}

#[test]
fn bsuids() {
    let sb = start();
    let bsuid = "US.13491208655302741918";
    sb.record_inbound(PN, "", Some(bsuid));
    sb.record_inbound(PN, "15550001111", Some("GB.9876"));
    let r = meta(
        &sb,
        "POST",
        PN,
        "",
        Some(&users(&[bsuid, "GB.9876", "US.ENT.123", "DE.42"])),
    );
    let body = r.json();
    let added = body["block_users"]["added_users"].as_array().unwrap();
    assert_eq!(added[0], json!({"input": bsuid, "user_id": bsuid}));
    assert_eq!(
        added[1],
        json!({"input": "GB.9876", "user_id": "GB.9876", "wa_id": "15550001111"})
    );
    assert_eq!(
        failed_codes(&body),
        vec![("US.ENT.123".into(), 100), ("DE.42".into(), 131047)]
    );
    // The linked user is blocked under both identities.
    let r = meta(&sb, "POST", PN, "", Some(&users(&["15550001111"])));
    assert_eq!(
        r.json()["block_users"]["added_users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(sb.state_json(PN)["blocked_count"], 2);
    // The list shows a BSUID-only entry without wa_id.
    let list = meta(&sb, "GET", PN, "", None).json();
    assert_eq!(
        list["data"][0],
        json!({"messaging_product": "whatsapp", "user_id": bsuid})
    );
    assert_eq!(list["data"][1]["wa_id"], "15550001111");
    // Unblocking by phone number removes the linked entry.
    meta(&sb, "DELETE", PN, "", Some(&users(&["15550001111"])));
    assert_eq!(blocked_wa_ids(&sb, PN), vec![bsuid]);
}

#[test]
fn rate_limit_per_phone_number() {
    let sb = start_with(SandboxConfig {
        rate_limit_per_second: Some(3),
        ..SandboxConfig::default()
    });
    // Within one second (retry if the test straddles a second boundary).
    for attempt in 0..5 {
        let codes: Vec<u16> = (0..5)
            .map(|_| meta(&sb, "GET", PN, "", None).status)
            .collect();
        let limited = codes.iter().filter(|c| **c == 429).count();
        if limited == 0 && attempt < 4 {
            continue;
        }
        assert!(limited >= 1, "{codes:?}");
        break;
    }
    let r = loop {
        let r = meta(&sb, "GET", PN, "", None);
        if r.status == 429 {
            break r;
        }
    };
    assert_eq!(error_code(&r.json()), Some(130429));
    let usage: serde_json::Value =
        serde_json::from_str(r.header("x-business-use-case-usage").unwrap()).unwrap();
    let item = &usage.as_object().unwrap().values().next().unwrap()[0];
    assert!(item["estimated_time_to_regain_access"].is_u64());
    // Another phone number has its own budget.
    assert_eq!(meta(&sb, "GET", "200000000000999", "", None).status, 200);
}

#[test]
fn unknown_paths_and_methods() {
    let sb = start();
    let auth = [("Authorization", "Bearer sandbox-token")];
    let r = request(sb.addr(), "GET", "/v25.0/123/messages", &auth, None);
    assert_eq!(r.status, 400);
    validate_api_response("GET", &r);
    let r = request(
        sb.addr(),
        "PUT",
        &format!("/v25.0/{PN}/block_users"),
        &auth,
        Some("{}"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r.json()), Some(100));
    let r = request(sb.addr(), "GET", "/_sandbox/nothing", &[], None);
    assert_eq!(r.status, 404);
}

#[test]
fn reset_clears_everything_and_reseeds() {
    let sb = start_with(SandboxConfig {
        seed_demo: true,
        ..SandboxConfig::default()
    });
    control(&sb, "POST", "/_sandbox/config", Some(json!({"open": true})));
    meta(&sb, "POST", PN, "", Some(&users(&["15550001111"])));
    assert_eq!(sb.state_json(PN)["blocked_count"], 1);
    control(&sb, "POST", "/_sandbox/reset", None);
    assert_eq!(sb.state_json(PN)["blocked_count"], 0);
    assert_eq!(control(&sb, "GET", "/_sandbox/requests", None), json!([]));
    assert_eq!(control(&sb, "GET", "/_sandbox/config", None)["open"], false);
    assert_eq!(
        sb.state_json(demo::DEMO_PHONE_NUMBER_ID)["blocked_count"],
        demo::DEMO_BLOCKED_USERS.len()
    );
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    use std::io::{BufRead, BufReader, Read, Write};
    let sb = start();
    let mut s = std::net::TcpStream::connect(sb.addr()).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    for _ in 0..50 {
        write!(
            s,
            "GET /v25.0/{PN}/block_users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-token\r\n\r\n"
        )
        .unwrap();
        let mut len = 0;
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        assert_eq!(body, br#"{"data":[]}"#);
    }
}

#[test]
fn shutdown_closes_the_port_and_open_connections() {
    use std::io::Read;
    let sb = start();
    let addr = sb.addr();
    assert!(sb.base_url().starts_with("http://127.0.0.1:"));
    let mut idle = std::net::TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Make sure the connection is being served before shutting down.
    assert_eq!(
        request(addr, "GET", "/_sandbox/health", &[], None).status,
        200
    );
    sb.shutdown();
    let mut buf = [0u8; 16];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "idle connection closed");
    assert!(std::net::TcpStream::connect(addr).is_err());
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<wablock_sandbox::Sandbox>();
}
