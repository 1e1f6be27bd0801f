//! Fan-out over several phone numbers (docs/fleet.md): the `wablock` binary run as a
//! subprocess against a sandbox with three numbers and the 24-hour rule on.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use wablock_sandbox::{Sandbox, SandboxConfig};

const GOOD: &str = "sandbox-token";
const BAD: &str = "refused-token-for-3000";

fn sandbox() -> Sandbox {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    // The user wrote to every number lately, so each may block them.
    for id in ["1000", "2000", "3000"] {
        sb.record_inbound(id, "16505551234", None);
    }
    sb
}

fn wablock(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wablock"));
    for v in [
        "WABLOCK_PROVIDER",
        "WABLOCK_PHONE_NUMBER_ID",
        "WABLOCK_ACCESS_TOKEN",
        "WABLOCK_API_KEY",
        "WABLOCK_KEYS_FILE",
        "WABLOCK_API_VERSION",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("WABLOCK_BASE_URL", sb.base_url());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_out(o: &Output) -> Value {
    let text = out(o);
    assert_eq!(text.lines().count(), 1, "one JSON line expected: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        text.trim_end(),
        wablock::canonical_string(&v),
        "not canonical"
    );
    v
}

fn keys_file(contents: &str, mode: u32) -> std::path::PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "wablock-fleet-keys-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

fn assert_no_secret(o: &Output, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !out(o).contains(s) && !err(o).contains(s),
            "{s} was printed"
        );
    }
}

#[test]
fn one_number_refusing_the_token_exits_2_and_the_others_are_still_printed() {
    let sb = sandbox();
    let keys = keys_file(&format!("# per-number tokens\n3000={BAD}\n"), 0o600);
    let env = [
        ("WABLOCK_ACCESS_TOKEN", GOOD),
        ("WABLOCK_KEYS_FILE", keys.to_str().unwrap()),
    ];
    let args = [
        "--phone-number-id",
        "1000,2000,3000",
        "block",
        "+16505551234",
    ];
    let o = wablock(&sb, &env, &args);
    assert_eq!(code(&o), 2, "{}", err(&o));
    let table = out(&o);
    let groups: Vec<&str> = table.split("== number ").skip(1).collect();
    assert_eq!(groups.len(), 3, "{table}");
    assert!(groups[0].starts_with("1000 ==") && groups[0].contains("+16505551234  blocked"));
    assert!(groups[1].starts_with("2000 ==") && groups[1].contains("1 blocked"));
    assert!(
        groups[2].starts_with("3000 ==") && groups[2].contains("error: AUTH"),
        "{table}"
    );
    assert!(err(&o).contains("number 3000: error: AUTH"), "{}", err(&o));
    assert!(
        !err(&o).contains("warning"),
        "a 0600 keys file gets no warning"
    );
    assert_no_secret(&o, &[GOOD, BAD]);
    // The sandbox really blocked the user on the two numbers whose token it took.
    for (id, n) in [("1000", 1), ("2000", 1), ("3000", 0)] {
        assert_eq!(sb.state_json(id)["blocked_count"], n, "{id}");
    }

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let o = wablock(&sb, &env, &json_args);
    assert_eq!(code(&o), 2);
    let v = json_out(&o);
    assert_eq!(
        v["fleet"]["1000"]["outcome"]["succeeded"][0]["wa_id"],
        "16505551234"
    );
    assert_eq!(v["fleet"]["2000"]["outcome"]["failed"], json!([]));
    assert_eq!(v["fleet"]["3000"]["error"]["kind"], "AUTH");
    assert_no_secret(&o, &[GOOD, BAD]);
    std::fs::remove_file(keys).unwrap();
}

#[test]
fn a_user_refused_on_one_number_exits_1_and_all_good_exits_0() {
    let sb = sandbox();
    // +447700900123 wrote to 1000 and 2000 only: 3000 refuses them (24-hour rule).
    sb.record_inbound("1000", "447700900123", None);
    sb.record_inbound("2000", "447700900123", None);
    let env = [("WABLOCK_ACCESS_TOKEN", GOOD)];
    let o = wablock(
        &sb,
        &env,
        &[
            "block",
            "+447700900123",
            "--phone-number-id",
            "1000,2000,3000",
            "--json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", err(&o));
    let v = json_out(&o);
    assert_eq!(v["fleet"]["1000"]["outcome"]["failed"], json!([]));
    assert_eq!(
        v["fleet"]["3000"]["outcome"]["failed"][0]["reason"],
        "REENGAGEMENT_REQUIRED"
    );

    // WABLOCK_PHONE_NUMBER_ID=A,B fans out as the flag does; everyone succeeds: exit 0.
    let env = [
        ("WABLOCK_ACCESS_TOKEN", GOOD),
        ("WABLOCK_PHONE_NUMBER_ID", "1000,2000"),
    ];
    let o = wablock(&sb, &env, &["unblock", "+447700900123"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("== number 1000 ==") && out(&o).contains("== number 2000 =="));
    assert!(!out(&o).contains("3000"));
}

#[test]
fn list_and_check_fan_out() {
    let sb = sandbox();
    let env = [("WABLOCK_ACCESS_TOKEN", GOOD)];
    let ids = ["--phone-number-id", "1000,2000,3000"];
    let o = wablock(&sb, &env, &["block", "+16505551234", ids[0], "1000,2000"]);
    assert_eq!(code(&o), 0, "{}", err(&o));

    let o = wablock(&sb, &env, &[ids[0], ids[1], "list", "--json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json_out(&o);
    assert_eq!(
        v["fleet_blocked_users"]["users"],
        json!([{"wa_id": "16505551234", "user_id": null, "blocked_on": ["1000", "2000"]}])
    );
    assert_eq!(v["fleet_blocked_users"]["errors"], json!({}));

    let o = wablock(&sb, &env, &[ids[0], ids[1], "list"]);
    assert_eq!(code(&o), 0);
    let table = out(&o);
    let groups: Vec<&str> = table.split("== number ").skip(1).collect();
    assert_eq!(groups.len(), 3, "{table}");
    assert!(groups[0].contains("16505551234") && groups[1].contains("16505551234"));
    assert!(groups[2].contains("0 blocked user(s)"), "{table}");

    let o = wablock(&sb, &env, &[ids[0], ids[1], "list", "--format", "csv"]);
    assert_eq!(
        out(&o),
        "number,wa_id,user_id\n1000,16505551234,\n2000,16505551234,\n"
    );

    // Blocked on two numbers of three: exit 1; on both of the two: exit 0.
    let o = wablock(
        &sb,
        &env,
        &[ids[0], ids[1], "check", "+16505551234", "--json"],
    );
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert_eq!(
        json_out(&o),
        json!({"fleet": {"1000": {"is_blocked": true}, "2000": {"is_blocked": true},
                         "3000": {"is_blocked": false}}})
    );
    let o = wablock(&sb, &env, &["check", "+16505551234", ids[0], "1000,2000"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(out(&o).contains("number 2000: +16505551234 is blocked."));

    // A cursor belongs to one number.
    let o = wablock(&sb, &env, &[ids[0], ids[1], "list", "--after", "abc"]);
    assert_eq!(code(&o), 64);
}

#[test]
fn several_360dialog_keys_come_from_a_keys_file_never_the_command_line() {
    let sb = sandbox();
    sb.record_inbound(
        wablock_sandbox::DIALOG360_PHONE_NUMBER_ID,
        "16505551234",
        None,
    );
    let keys = keys_file("main = sandbox-key\nbackup=refused-key-9876\n", 0o644);
    let env = [("WABLOCK_PROVIDER", "360dialog")];
    let o = wablock(
        &sb,
        &env,
        &[
            "block",
            "+16505551234",
            "--keys-file",
            keys.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code(&o), 2, "{}", err(&o));
    let v = json_out(&o);
    assert_eq!(
        v["fleet"]["main"]["outcome"]["succeeded"][0]["wa_id"],
        "16505551234"
    );
    assert_eq!(v["fleet"]["backup"]["error"]["kind"], "AUTH");
    assert_no_secret(&o, &["sandbox-key", "refused-key-9876"]);
    #[cfg(unix)]
    assert!(
        err(&o).contains("is readable by every user; restrict it: chmod 600"),
        "{}",
        err(&o)
    );

    // A malformed line names its number, never its text (it may hold a secret).
    let bad = keys_file("only-a-secret-value\n", 0o600);
    let o = wablock(
        &sb,
        &env,
        &[
            "block",
            "+16505551234",
            "--keys-file",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 64);
    assert!(
        err(&o).contains("line 1: expected label=secret"),
        "{}",
        err(&o)
    );
    assert_no_secret(&o, &["only-a-secret-value"]);

    // 360dialog without a keys file has nothing to fan out over.
    let o = wablock(
        &sb,
        &env,
        &["block", "+16505551234", "--phone-number-id", "a,b"],
    );
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("keys file"), "{}", err(&o));
    std::fs::remove_file(keys).unwrap();
    std::fs::remove_file(bad).unwrap();
}

/// The fleet's `--json` outputs are written number by number and user by user: the same
/// bytes as the core's builders for the same results.
#[test]
fn fleet_json_outputs_are_the_core_builders_bytes() {
    let sb = Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap();
    // 3000's own token is refused: its call fails as a whole.
    let keys = keys_file(&format!("3000={BAD}\n"), 0o600);
    let env = [
        ("WABLOCK_ACCESS_TOKEN", GOOD),
        ("WABLOCK_KEYS_FILE", keys.to_str().unwrap()),
    ];
    let users: Vec<String> = (0..3000).map(|i| format!("+1555{i:07}")).collect();
    let mut args = vec!["--json", "--phone-number-id", "2000,3000,1000", "block"];
    args.extend(users.iter().map(String::as_str));
    args.push("not a user");
    let o = wablock(&sb, &env, &args);
    assert_eq!(code(&o), 2, "{}", err(&o));
    let v = json_out(&o);
    assert!(v["fleet"]["3000"]["error"]["kind"].is_string(), "{v}");
    for label in ["1000", "2000"] {
        assert_eq!(
            v["fleet"][label]["outcome"]["succeeded"]
                .as_array()
                .unwrap()
                .len(),
            3000
        );
        assert_eq!(
            v["fleet"][label]["outcome"]["failed"][0]["reason"],
            "INVALID_USER"
        );
    }

    let o = wablock(
        &sb,
        &env,
        &["--json", "--phone-number-id", "2000,1000,3000", "list"],
    );
    let client = |id: &str, token: &str| {
        wablock::Client::meta(id, token)
            .base_url(sb.base_url())
            .build()
            .unwrap()
    };
    let fleet = wablock::Fleet::builder()
        .number("2000", client("2000", GOOD))
        .number("1000", client("1000", GOOD))
        .number("3000", client("3000", BAD))
        .build()
        .unwrap();
    let expected = fleet.blocked_users(None);
    assert_eq!(expected.users.len(), 3000);
    assert_eq!(expected.errors.len(), 1);
    assert_eq!(code(&o), 2, "{}", err(&o));
    // Each refusal carries its own random fbtrace_id; every other byte must be equal.
    let printed = without_trace_ids(&out(&o));
    let wanted = without_trace_ids(&format!("{}\n", expected.to_canonical_json()));
    assert!(printed == wanted, "{printed:.300}\n!=\n{wanted:.300}");
    let _ = std::fs::remove_file(&keys);
}

fn without_trace_ids(text: &str) -> String {
    let key = "\"fbtrace_id\":\"";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        out.push_str(&rest[..i + key.len()]);
        rest = &rest[i + key.len()..];
        rest = &rest[rest.find('"').unwrap()..];
    }
    out.push_str(rest);
    out
}
