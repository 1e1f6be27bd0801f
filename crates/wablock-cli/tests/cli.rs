//! End-to-end tests of the `wablock` binary: exit codes, `--json`, csv, input files, stdin,
//! usage errors and the demo, against `--sandbox` and against a sandbox started here
//! (reached through `--base-url`/environment credentials).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json};
use wablock_sandbox::{Sandbox, SandboxConfig};

const ENV_VARS: [&str; 6] = [
    "WABLOCK_PROVIDER",
    "WABLOCK_PHONE_NUMBER_ID",
    "WABLOCK_ACCESS_TOKEN",
    "WABLOCK_API_KEY",
    "WABLOCK_BASE_URL",
    "WABLOCK_API_VERSION",
];

fn wablock() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wablock"));
    // The tests decide every credential; nothing leaks in from the caller's shell.
    for v in ENV_VARS {
        cmd.env_remove(v);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    wablock().args(args).output().unwrap()
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = wablock();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json_out(o: &Output) -> Value {
    let text = stdout(o);
    assert_eq!(text.lines().count(), 1, "one JSON line expected: {text}");
    serde_json::from_str(&text).unwrap()
}

fn temp_file(contents: &str) -> std::path::PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "wablock-cli-test-{}-{}.txt",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, contents).unwrap();
    path
}

/// A sandbox of our own, for tests that script faults or need state across invocations.
fn sandbox() -> (Sandbox, Vec<(&'static str, String)>) {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let env = vec![
        ("WABLOCK_BASE_URL", sb.base_url()),
        ("WABLOCK_PHONE_NUMBER_ID", "1000".to_string()),
        ("WABLOCK_ACCESS_TOKEN", "sandbox-token".to_string()),
    ];
    (sb, env)
}

fn with_env<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn block_on_embedded_sandbox_succeeds_with_exit_0_and_canonical_json() {
    let o = run(&["--sandbox", "block", "+1 (650) 555-1234", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_out(&o);
    assert_eq!(
        v,
        json!({"outcome": {"operation": "block", "failed": [], "requests": 1,
            "succeeded": [{"input": "+1 (650) 555-1234", "sent": "+16505551234",
                           "wa_id": "16505551234", "user_id": null}]}})
    );
    // Exactly the core's canonical text: keys sorted, compact.
    assert_eq!(
        stdout(&o).trim_end(),
        wablock::canonical_string(&v),
        "--json must print canonical JSON"
    );
}

#[test]
fn some_users_failing_exit_1_with_reason_and_hint() {
    // +16505550000 last wrote 3 days ago in the demo data; "call me" is no user at all.
    let o = run(&[
        "--sandbox",
        "block",
        "+16505551235",
        "+16505550000",
        "call me",
        "--json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json_out(&o);
    let failed = v["outcome"]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["reason"], "REENGAGEMENT_REQUIRED");
    assert_eq!(failed[0]["code"], 131047);
    assert!(failed[0]["hint"].as_str().unwrap().contains("24 hours"));
    assert_eq!(failed[1]["reason"], "INVALID_USER");
    assert_eq!(failed[1]["sent"], Value::Null);
    assert_eq!(v["outcome"]["succeeded"][0]["input"], "+16505551235");

    // The table shows the same, in input order, with the hint, within 100 columns.
    let o = run(&[
        "--sandbox",
        "block",
        "+16505551235",
        "+16505550000",
        "call me",
    ]);
    assert_eq!(code(&o), 1);
    let table = stdout(&o);
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].starts_with("INPUT"), "{table}");
    assert!(rows[1].starts_with("+16505551235") && rows[1].contains("blocked"));
    assert!(rows[2].contains("not blocked") && rows[2].contains("REENGAGEMENT_REQUIRED (131047)"));
    assert!(table.contains("hint:") && table.contains("INVALID_USER"));
    assert!(table.contains("3 user(s): 1 blocked, 2 not blocked"));
    for line in table.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
}

#[test]
fn self_block_and_unblock_on_embedded_sandbox() {
    let o = run(&["--sandbox", "block", "+15550783881", "--json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json_out(&o)["outcome"]["failed"][0]["reason"], "SELF_BLOCK");
    let o = run(&["--sandbox", "unblock", "+16505559876", "--json"]);
    assert_eq!(code(&o), 0);
    assert_eq!(json_out(&o)["outcome"]["operation"], "unblock");
}

#[test]
fn call_failure_exits_2_printing_the_kind_and_partial_counts() {
    let (sb, env) = sandbox();
    sb.push_scripts(&json!({"responses": [{"status": 401, "json": {"error": {
        "message": "Error validating access token", "type": "OAuthException", "code": 190,
        "fbtrace_id": "Atrace"}}}]}))
        .unwrap();
    let o = run_env(
        &["block", "+16505551234", "nonsense", "--json"],
        &with_env(&env),
    );
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("error: AUTH: Error validating access token (code 190)"),
        "{err}"
    );
    assert!(
        err.contains("1 user(s) finished before the failure; 0 in an unknown state; 1 unchanged."),
        "{err}"
    );
    let v = json_out(&o);
    assert_eq!(v["error"]["kind"], "AUTH");
    assert_eq!(v["error"]["not_attempted"], json!(["+16505551234"]));
    assert_eq!(v["error"]["partial"]["failed"][0]["reason"], "INVALID_USER");
    assert!(!err.contains("sandbox-token") && !stdout(&o).contains("sandbox-token"));

    // The table form names the users never attempted.
    sb.push_scripts(&json!({"responses": [{"status": 500, "body": "<html>oops</html>"}]}))
        .unwrap();
    let o = run_env(
        &["block", "+16505551234", "--retries", "0"],
        &with_env(&env),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("error: SERVER: HTTP 500"),
        "{}",
        stderr(&o)
    );
    // A 500 may have been applied: the user's state is unknown, never "did not change".
    let out = stdout(&o);
    assert!(
        out.contains("State unknown") && out.contains("+16505551234"),
        "{out}"
    );
    assert!(!out.contains("did not change"), "{out}");
}

#[test]
fn wrong_token_through_flags_is_auth_and_never_printed() {
    let (sb, _) = sandbox();
    let secret = "EAAGsecretTOKEN123";
    let o = run(&[
        "--base-url",
        &sb.base_url(),
        "--phone-number-id",
        "1000",
        "--access-token",
        secret,
        "list",
        "--json",
    ]);
    assert_eq!(code(&o), 2);
    assert_eq!(json_out(&o)["error"]["kind"], "AUTH");
    let err = stderr(&o);
    assert!(
        err.contains("--access-token is visible to other users in `ps`"),
        "{err}"
    );
    assert!(!err.contains(secret) && !stdout(&o).contains(secret));
}

#[test]
fn environment_credentials_reach_the_sandbox_in_both_dialects() {
    let (sb, env) = sandbox();
    sb.record_inbound("1000", "16505551234", None);
    let o = run_env(&["block", "16505551234", "--json"], &with_env(&env));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run_env(&["check", "+1 650 555 1234"], &with_env(&env));
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "+1 650 555 1234 is blocked.\n");
    let reqs = sb.requests();
    assert_eq!(reqs[0]["path"], "/v25.0/1000/block_users");
    assert_eq!(reqs[0]["auth"], "bearer");

    let url = sb.base_url();
    let d360 = [
        ("WABLOCK_PROVIDER", "360dialog"),
        ("WABLOCK_API_KEY", "sandbox-key"),
        ("WABLOCK_BASE_URL", url.as_str()),
    ];
    sb.record_inbound(
        wablock_sandbox::DIALOG360_PHONE_NUMBER_ID,
        "16505551235",
        None,
    );
    let o = run_env(&["block", "16505551235", "--json"], &d360);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let reqs = sb.requests();
    let last = reqs.as_array().unwrap().last().unwrap();
    assert_eq!(last["path"], "/block_users");
    assert_eq!(last["auth"], "d360");
}

#[test]
fn list_formats_and_check_exit_codes() {
    let o = run(&["--sandbox", "list", "--format", "csv"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "wa_id,user_id\n16505559876,\n16505559877,\n");

    let o = run(&["--sandbox", "list", "--limit", "1", "--json"]);
    assert_eq!(code(&o), 0);
    let v = json_out(&o);
    assert_eq!(
        v["page"]["users"],
        json!([{"wa_id": "16505559876", "user_id": null}])
    );
    assert_eq!(v["page"]["has_more"], true);
    assert!(v["page"]["after"].is_string());

    let o = run(&["--sandbox", "list", "--all", "--limit", "1", "--json"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        json_out(&o),
        json!({"blocked_users": {"error": null, "users": [
            {"wa_id": "16505559876", "user_id": null}, {"wa_id": "16505559877", "user_id": null}]}})
    );

    let o = run(&["--sandbox", "list"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("WA_ID"), "{}", stdout(&o));

    let o = run(&["--sandbox", "check", "16505559877", "--json"]);
    assert_eq!(
        (code(&o), stdout(&o).as_str()),
        (0, "{\"is_blocked\":true}\n")
    );
    let o = run(&["--sandbox", "check", "16505551234", "--json"]);
    assert_eq!(
        (code(&o), stdout(&o).as_str()),
        (1, "{\"is_blocked\":false}\n")
    );
    let o = run(&["--sandbox", "check", "hello", "--json"]);
    assert_eq!(code(&o), 2);
    assert_eq!(json_out(&o)["error"]["kind"], "INVALID_ARGUMENT");
}

#[test]
fn users_from_a_file_and_from_stdin() {
    let path = temp_file("# spam reported on Monday\n+16505551234\n\n  +44 7700 900123  \n");
    let o = run(&[
        "--sandbox",
        "block",
        "--from-file",
        path.to_str().unwrap(),
        "--json",
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let inputs: Vec<String> = json_out(&o)["outcome"]["succeeded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["input"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(inputs, ["+16505551234", "+44 7700 900123"]);

    let mut child = wablock()
        .args(["--sandbox", "unblock", "--from-file", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"16505559876\n# a comment\n16505559877\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        json_out(&o)["outcome"]["succeeded"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn usage_errors_exit_64_with_one_clear_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["--bogus", "list"], "unexpected argument '--bogus'"),
        (
            &[
                "--sandbox",
                "block",
                "--from-file",
                "/nonexistent/users.txt",
            ],
            "cannot read users from /nonexistent/users.txt: no such file",
        ),
        (&["--sandbox", "block"], "no users given"),
        (
            &["--sandbox", "block", "x", "--format", "csv"],
            "--format csv is only available for list",
        ),
        (&["--sandbox", "list", "--limit", "0"], "--limit"),
        (
            &["--sandbox", "--parallelism", "99", "list"],
            "parallelism is 99",
        ),
        (
            &["--sandbox", "list", "--all", "--after", "abc"],
            "--all walks the whole list",
        ),
        (&["frobnicate"], "unrecognized subcommand"),
        (
            &[
                "--base-url",
                "http://example.com",
                "--phone-number-id",
                "1",
                "list",
            ],
            "WABLOCK_ACCESS_TOKEN is not set",
        ),
    ];
    for (args, needle) in cases {
        let o = run(args);
        assert_eq!(code(&o), 64, "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: one line expected, got {err:?}"
        );
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(stdout(&o).is_empty(), "{args:?}");
    }

    let empty = temp_file("# nothing but comments\n\n");
    let o = run(&["--sandbox", "block", "--from-file", empty.to_str().unwrap()]);
    std::fs::remove_file(&empty).unwrap();
    assert_eq!(code(&o), 64);
    assert!(stderr(&o).contains("holds no users"));

    let dir = std::env::temp_dir();
    let o = run(&["--sandbox", "block", "--from-file", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 64);
    assert!(
        stderr(&o).contains("cannot read users from"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn missing_credentials_say_how_to_set_them_or_use_the_sandbox() {
    let o = run(&["block", "+16505551234"]);
    assert_eq!(code(&o), 64);
    let err = stderr(&o);
    for needle in [
        "WABLOCK_PHONE_NUMBER_ID",
        "WABLOCK_ACCESS_TOKEN",
        "WABLOCK_API_KEY",
        "--sandbox",
    ] {
        assert!(err.contains(needle), "{err}");
    }
    let o = run(&["--provider", "360dialog", "list"]);
    assert_eq!(code(&o), 64);
    assert!(stderr(&o).contains("WABLOCK_API_KEY"));
}

#[test]
fn help_and_version_exit_0() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("Exit codes"));
    let o = run(&["block", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("--from-file"));
    let o = run(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("wablock "));
}

#[test]
fn demo_walks_through_every_step() {
    let o = run(&["demo"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "== 1. Block two people who just messaged the business",
        "2 user(s): 2 blocked, 0 not blocked",
        "== 2. The 24-hour rule",
        "REENGAGEMENT_REQUIRED (131047)",
        "hint:",
        "== 3. A business number cannot block itself",
        "SELF_BLOCK (131021)",
        "== 4. List the blocklist",
        "5 blocked user(s)",
        "== 5. Unblock",
        "1 unblocked",
        "Exit codes",
    ] {
        assert!(out.contains(needle), "demo lacks {needle:?}:\n{out}");
    }
    let lines = out.lines().count();
    assert!(lines <= 80, "demo is {lines} lines");
    for line in out.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
}

/// `demo` always runs on its own sandbox: `--sandbox` says the same and is accepted;
/// credentials or a URL would name another server and are refused, saying what to type.
#[test]
fn demo_accepts_sandbox_and_refuses_credentials_saying_what_to_type() {
    let o = run(&["--sandbox", "demo"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("== 4. List the blocklist"));
    for args in [
        &["--phone-number-id", "1", "demo"][..],
        &["--sandbox", "--base-url", "http://127.0.0.1:9", "demo"][..],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 64, "{args:?}");
        assert_eq!(
            stderr(&o),
            "wablock: demo always runs on its own embedded sandbox; it takes no credentials or URL (type: wablock demo)\n"
        );
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn sandbox_serve_prints_its_url_first_and_serves() {
    use std::io::BufRead;
    let mut child = wablock()
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let o = run(&[
        "--base-url",
        &url,
        "--phone-number-id",
        wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID,
        "list",
        "--format",
        "csv",
    ]);
    // The flag-free token path: the demo token comes from the environment.
    let o2 = run_env(
        &["list", "--format", "csv"],
        &[
            ("WABLOCK_BASE_URL", url.as_str()),
            (
                "WABLOCK_PHONE_NUMBER_ID",
                wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID,
            ),
            (
                "WABLOCK_ACCESS_TOKEN",
                wablock_sandbox::DEFAULT_ACCESS_TOKEN,
            ),
        ],
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        code(&o),
        64,
        "a phone number id without a token is a usage error"
    );
    assert_eq!(code(&o2), 0, "{}", stderr(&o2));
    assert_eq!(stdout(&o2), "wa_id,user_id\n16505559876,\n16505559877,\n");
}

#[test]
fn batches_and_parallelism_flags_shape_the_requests() {
    let (sb, env) = sandbox();
    sb.set_config(&json!({"open": true})).unwrap();
    let users: Vec<String> = (0..5).map(|i| format!("1650555000{i}")).collect();
    let mut args = vec!["block", "--max-batch", "2", "--parallelism", "1", "--json"];
    args.extend(users.iter().map(String::as_str));
    let o = run_env(&args, &with_env(&env));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(json_out(&o)["outcome"]["requests"], 3);
    assert_eq!(sb.requests().as_array().unwrap().len(), 3);
}

/// Issue 16: `--json block` of 64,000 users from a file is streamed from the outcome; every
/// user is accounted for, in input order, in the core's canonical bytes, and the sandbox really
/// holds every one of them.
#[test]
fn json_block_of_64000_users_from_a_file_accounts_for_every_user() {
    const N: usize = 64_000;
    let sb = Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap();
    let env = [
        ("WABLOCK_BASE_URL", sb.base_url()),
        ("WABLOCK_PHONE_NUMBER_ID", "1000".to_string()),
        ("WABLOCK_ACCESS_TOKEN", "sandbox-token".to_string()),
    ];
    let mut inputs: Vec<String> = (0..N).map(|i| format!("+1555{i:07}")).collect();
    // A copy of the first user in another spelling: its own entry, no extra request.
    inputs.push("+1 555 000-0000".to_string());
    let mut text = String::from("# 64,000 users, one per line\n\n");
    for u in &inputs {
        text.push_str(u);
        text.push('\n');
    }
    let path = temp_file(&text);
    let o = run_env(
        &["--json", "block", "--from-file", path.to_str().unwrap()],
        &with_env(&env),
    );
    let _ = std::fs::remove_file(&path);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let printed = stdout(&o);
    let v = json_out(&o);
    assert_eq!(
        printed.trim_end(),
        wablock::canonical_string(&v),
        "--json must print canonical JSON"
    );
    let outcome = &v["outcome"];
    assert_eq!(outcome["operation"], "block");
    assert_eq!(outcome["failed"], json!([]));
    assert_eq!(outcome["requests"], 64);
    let succeeded = outcome["succeeded"].as_array().unwrap();
    assert_eq!(succeeded.len(), inputs.len());
    for (s, input) in succeeded.iter().zip(&inputs) {
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(
            s,
            &json!({"input": input, "sent": format!("+{digits}"), "wa_id": digits,
                    "user_id": null}),
        );
    }
    let state = sb.state_json("1000");
    assert_eq!(state["blocked_count"], N);
    let held: std::collections::HashSet<&str> = state["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["wa_id"].as_str())
        .collect();
    assert_eq!(held.len(), N);
    assert!(
        inputs[..N].iter().all(|u| held.contains(&u[1..])),
        "a user is missing from the sandbox's blocklist"
    );
}

/// An open sandbox holding `n` blocked users (blocked in-process through the core), and the
/// environment that reaches it.
fn seeded_sandbox(n: usize) -> (Sandbox, Vec<(&'static str, String)>) {
    let sb = Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .unwrap();
    let client = wablock::Client::meta("1000", "sandbox-token")
        .base_url(sb.base_url())
        .build()
        .unwrap();
    let users: Vec<String> = (0..n).map(|i| format!("+1555{i:07}")).collect();
    assert!(client.block(&users).unwrap().is_ok());
    let env = vec![
        ("WABLOCK_BASE_URL", sb.base_url()),
        ("WABLOCK_PHONE_NUMBER_ID", "1000".to_string()),
        ("WABLOCK_ACCESS_TOKEN", "sandbox-token".to_string()),
    ];
    (sb, env)
}

/// `list --all` is streamed (csv user by user, JSON from the users' own text): the JSON is the
/// core's `blocked_users_canonical_json` of the same walk, and the csv and table hold every
/// user.
#[test]
fn list_all_of_20000_users_prints_the_previous_bytes() {
    const N: usize = 20_000;
    let (sb, env) = seeded_sandbox(N);
    let o = run_env(&["--json", "list", "--all"], &with_env(&env));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let client = wablock::Client::meta("1000", "sandbox-token")
        .base_url(sb.base_url())
        .build()
        .unwrap();
    let (users, error) = client.blocked_users(None).collect_until_error();
    assert!(error.is_none());
    assert_eq!(users.len(), N);
    assert_eq!(
        stdout(&o),
        format!("{}\n", wablock::blocked_users_canonical_json(&users, None))
    );

    let o = run_env(&["list", "--all", "--format", "csv"], &with_env(&env));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut expected = String::from("wa_id,user_id\n");
    for u in &users {
        expected.push_str(u.wa_id.as_deref().unwrap());
        expected.push_str(",\n");
    }
    assert_eq!(stdout(&o), expected);

    let o = run_env(&["list", "--all"], &with_env(&env));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), N + 1);
    assert_eq!(stderr(&o), format!("{N} blocked user(s).\n"));
}

/// A reader that goes away (`wablock list --all | head`) ends a streamed output quietly
/// with the shell's SIGPIPE status, 141, as before.
#[test]
fn a_reader_that_goes_away_ends_a_streamed_list_quietly_with_141() {
    use std::io::Read;
    let (_sb, env) = seeded_sandbox(20_000);
    for args in [
        &["list", "--all", "--format", "csv"][..],
        &["--json", "list", "--all"][..],
        &["list", "--all"][..],
    ] {
        let mut cmd = wablock();
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The read end is closed here; the rest of the output has nowhere to go.
        let o = child.wait_with_output().unwrap();
        assert_eq!(code(&o), 141, "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
}
