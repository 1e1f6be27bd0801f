//! Shell completions, the man page, CSV input (`--from-file … --column`) and help that lists
//! only the options a command takes: the `wablock` binary run as a subprocess.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

fn wablock(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wablock"));
    for v in [
        "WABLOCK_PROVIDER",
        "WABLOCK_PHONE_NUMBER_ID",
        "WABLOCK_ACCESS_TOKEN",
        "WABLOCK_API_KEY",
        "WABLOCK_KEYS_FILE",
        "WABLOCK_BASE_URL",
        "WABLOCK_API_VERSION",
    ] {
        cmd.env_remove(v);
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

fn temp_path(ext: &str) -> std::path::PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "wablock-packaging-{}-{}.{ext}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

fn temp_file(contents: &str) -> std::path::PathBuf {
    let path = temp_path("csv");
    std::fs::write(&path, contents).unwrap();
    path
}

const SUBCOMMANDS: [&str; 8] = [
    "block",
    "unblock",
    "list",
    "check",
    "sandbox",
    "demo",
    "completions",
    "man",
];

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let o = wablock(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", err(&o));
        let script = out(&o);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
        assert!(
            script.contains("from-file") && script.contains("column"),
            "{shell}"
        );
    }
    // bash can parse the script it is given (syntax check only, nothing runs).
    if Command::new("bash").arg("--version").output().is_ok() {
        let path = temp_path("bash");
        std::fs::write(&path, out(&wablock(&["completions", "bash"]))).unwrap();
        let o = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(o.status.success(), "{}", err(&o));
        let _ = std::fs::remove_file(path);
    }
    let o = wablock(&["completions", "tcsh"]);
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("tcsh"), "{}", err(&o));
}

#[test]
fn man_prints_a_roff_page_and_writes_one_per_command() {
    let o = wablock(&["man"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let page = out(&o);
    assert!(page.contains(".TH wablock 1"), "{page}");
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"));
    assert!(page.contains("block") && page.contains("completions"));

    let dir = temp_path("man");
    std::fs::create_dir_all(&dir).unwrap();
    let o = wablock(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    for name in [
        "wablock.1",
        "wablock-block.1",
        "wablock-list.1",
        "wablock-sandbox-serve.1",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(text.contains(".TH"), "{name} is no roff page");
    }
    let block = std::fs::read_to_string(dir.join("wablock-block.1")).unwrap();
    assert!(block.contains("column"), "{block}");
    std::fs::remove_dir_all(&dir).unwrap();

    let o = wablock(&["man", "--dir", "/nonexistent/wablock-man"]);
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("no such directory"), "{}", err(&o));
}

#[test]
fn help_lists_only_the_options_a_command_takes() {
    let o = wablock(&["sandbox", "serve", "--help"]);
    assert_eq!(code(&o), 0);
    let help = out(&o);
    assert!(help.contains("--port") && help.contains("--open"), "{help}");
    for foreign in [
        "--access-token",
        "--api-key",
        "--phone-number-id",
        "--base-url",
        "--parallelism",
        "--retries",
        "--json",
        "--format",
    ] {
        assert!(
            !help.contains(foreign),
            "sandbox serve --help lists {foreign}"
        );
    }
    let help = out(&wablock(&["sandbox", "--help"]));
    assert!(!help.contains("--access-token"), "{help}");
    for cmd in ["completions", "man", "demo"] {
        let help = out(&wablock(&[cmd, "--help"]));
        assert!(!help.contains("--access-token"), "{cmd}: {help}");
    }
    // The commands that call the API still take them, before or after the command name.
    for cmd in ["block", "unblock", "list", "check"] {
        let help = out(&wablock(&[cmd, "--help"]));
        assert!(
            help.contains("--access-token") && help.contains("--json"),
            "{cmd}"
        );
    }
    let o = wablock(&["--json", "sandbox", "serve"]);
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("sandbox serve takes no"), "{}", err(&o));
    let o = wablock(&["sandbox", "serve", "--access-token", "x"]);
    assert_eq!(code(&o), 64);
}

fn sent(o: &Output) -> Vec<String> {
    let v: Value = serde_json::from_str(out(o).trim()).unwrap();
    let mut all: Vec<(String, String)> = Vec::new();
    for key in ["succeeded", "failed"] {
        for u in v["outcome"][key].as_array().unwrap() {
            all.push((key.into(), u["input"].as_str().unwrap().to_string()));
        }
    }
    all.into_iter().map(|(_, input)| input).collect()
}

#[test]
fn csv_by_header_name_and_by_position_with_quoted_fields() {
    let csv = temp_file(
        "name,phone,note\n\
         \"Doe, Jane\",\"+1 (650) 555-1234\",\"said \"\"hi\"\", then left\"\n\
         Bo,+16505551235,\"two\nlines\"\n\
         Empty,,x\n",
    );
    let path = csv.to_str().unwrap();
    let o = wablock(&[
        "--sandbox",
        "block",
        "--from-file",
        path,
        "--column",
        "phone",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(sent(&o), ["+1 (650) 555-1234", "+16505551235"]);

    // By position (counting from 1): the header row is skipped, as its cell is no user.
    let o = wablock(&[
        "--sandbox",
        "block",
        "--from-file",
        path,
        "--column",
        "2",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(sent(&o), ["+1 (650) 555-1234", "+16505551235"]);

    // A file without a header: by position, the first row is data.
    let bare = temp_file("x,+16505551234\ny,+447700900123\n");
    let o = wablock(&[
        "--sandbox",
        "block",
        "--from-file",
        bare.to_str().unwrap(),
        "--column",
        "2",
        "--json",
    ]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(sent(&o), ["+16505551234", "+447700900123"]);

    // stdin works too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wablock"))
        .args([
            "--sandbox",
            "block",
            "--from-file",
            "-",
            "--column",
            "phone",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"phone\n+16505551235\n").unwrap();
    drop(child.stdin.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(sent(&o), ["+16505551235"]);
    std::fs::remove_file(csv).unwrap();
    std::fs::remove_file(bare).unwrap();
}

#[test]
fn a_missing_column_is_a_usage_error_listing_the_header() {
    let csv = temp_file("name,phone,note\nAl,+16505551234,x\n");
    let path = csv.to_str().unwrap();
    let o = wablock(&[
        "--sandbox",
        "block",
        "--from-file",
        path,
        "--column",
        "mobile",
    ]);
    assert_eq!(code(&o), 64);
    let e = err(&o);
    assert!(e.contains("--column mobile"), "{e}");
    assert!(e.contains("its columns are: name, phone, note"), "{e}");
    assert!(out(&o).is_empty());

    let o = wablock(&["--sandbox", "block", "--from-file", path, "--column", "4"]);
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("3 column(s)"), "{}", err(&o));
    let o = wablock(&["--sandbox", "block", "--from-file", path, "--column", "0"]);
    assert_eq!(code(&o), 64);

    // --column only means something with --from-file.
    let o = wablock(&["--sandbox", "block", "+16505551234", "--column", "phone"]);
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("--from-file"), "{}", err(&o));

    // A header and no users in the column.
    let empty = temp_file("name,phone\nAl,\n");
    let o = wablock(&[
        "--sandbox",
        "block",
        "--from-file",
        empty.to_str().unwrap(),
        "--column",
        "phone",
    ]);
    assert_eq!(code(&o), 64);
    assert!(
        err(&o).contains("holds no users in column phone"),
        "{}",
        err(&o)
    );
    std::fs::remove_file(csv).unwrap();
    std::fs::remove_file(empty).unwrap();
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_a_crash() {
    // `wablock completions bash | grep -q _wablock` closes stdout after the first match.
    for args in [&["completions", "bash"][..], &["man"][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wablock"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before reading anything
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
