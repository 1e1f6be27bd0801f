//! The `wablock-sandbox` binary: first stdout line is the base URL; exit on stdin EOF; flags.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wablock-sandbox");

#[test]
fn prints_base_url_and_exits_on_stdin_eof() {
    let mut child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--demo",
            "--exit-on-stdin-eof",
            "--mixed-style",
            "400",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let r = common::request(
        addr,
        "GET",
        &format!(
            "/v25.0/{}/block_users",
            wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID
        ),
        &[("Authorization", "Bearer sandbox-token")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    let cfg = common::request(addr, "GET", "/_sandbox/config", &[], None).json();
    assert_eq!(cfg["mixed_style"], "400");
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(Instant::now() < deadline, "did not exit on stdin EOF");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bad_flags_exit_64() {
    for args in [
        vec!["--bogus"],
        vec!["--port"],
        vec!["--port", "99999"],
        vec!["--mixed-style", "500"],
        vec!["--latency-ms", "x"],
        vec!["--rate-limit", "0"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--exit-on-stdin-eof"));
}
