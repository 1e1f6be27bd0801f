//! Several processes on one store: two receivers ingesting the same webhook block each user
//! once, and a receiver killed with SIGKILL between claiming and blocking loses nothing.
//!
//! The other processes are this test binary run again with `--ignored --exact
//! child_process_entry` and their orders in `WW_*` variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use wablock_window::{ManualClock, Store, Window};

const CLAIMED_MARKER: &str = "CHILD-CLAIMED";
const REPORT_MARKER: &str = "CHILD-REPORT";

/// The entry point of the child processes; ignored in a normal run.
#[test]
#[ignore = "run only as a child process by the tests in this file"]
fn child_process_entry() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let pnid = var("WW_PNID");
    let lease = Duration::from_millis(var("WW_LEASE_MS").parse().unwrap());
    let mut window = Window::new(Store::open(&var("WW_STORE")).unwrap())
        .client(&pnid, client(&var("WW_SANDBOX"), &pnid))
        .app_secret(APP_SECRET)
        .lease(lease);
    let pause = std::env::var("WW_PAUSE_AFTER_CLAIM").as_deref() == Ok("1");
    window = window.after_claim(move |block| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{CLAIMED_MARKER} {}", block.user).unwrap();
        out.flush().unwrap();
        if pause {
            // Killed here by the test; the bound only stops an orphan from lingering.
            std::thread::sleep(Duration::from_secs(120));
        }
    });
    let body = std::fs::read(var("WW_BODY_FILE")).unwrap();
    let report = window.ingest(&body, Some(&sign(&body))).unwrap();
    let succeeded: usize = report
        .blocks
        .iter()
        .filter_map(|b| b.outcome.as_ref().ok())
        .map(|o| o.succeeded.len())
        .sum();
    println!(
        "{REPORT_MARKER} new={} blocks={} succeeded={succeeded}",
        report.new_messages,
        report.blocks.len()
    );
}

/// Kills the child if a test fails before it ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(
    store: &str,
    sandbox_url: &str,
    pnid: &str,
    body_file: &std::path::Path,
    pause: bool,
) -> ChildGuard {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WW_STORE", store)
        .env("WW_SANDBOX", sandbox_url)
        .env("WW_PNID", pnid)
        .env("WW_BODY_FILE", body_file)
        .env("WW_LEASE_MS", "60000")
        .env("WW_PAUSE_AFTER_CLAIM", if pause { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    ChildGuard(child)
}

/// A webhook with one message from each user, all at `timestamp`.
fn payload(pnid: &str, users: &[String], timestamp: i64) -> Vec<u8> {
    let messages: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, u)| serde_json::json!({"from": u, "id": format!("wamid.P{pnid}{i}"), "timestamp": timestamp.to_string(), "type": "text", "text": {"body": "hi"}}))
        .collect();
    let contacts: Vec<_> = users
        .iter()
        .map(|u| serde_json::json!({"profile": {"name": "x"}, "wa_id": u}))
        .collect();
    serde_json::to_vec(&serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
          "metadata": {"display_phone_number": "15550783881", "phone_number_id": pnid},
          "contacts": contacts, "messages": messages}}]}]}))
    .unwrap()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )* }
        mod postgres { $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )* }
    };
}

both!(
    two_processes_ingesting_one_payload_block_each_user_once,
    a_receiver_killed_after_claiming_loses_nothing,
);

fn two_processes_ingesting_one_payload_block_each_user_once(backend: Backend) {
    let Some(store) = test_store(backend) else {
        return;
    };
    let sb = sandbox();
    let pnid = fresh_phone_number_id();
    let window = Window::new(Store::open(&store.location).unwrap())
        .client(&pnid, client(&sb.base_url(), &pnid));
    let users: Vec<String> = (0..6).map(|i| format!("1650555070{i}")).collect();
    let queued = window.block_when_possible(&pnid, &users).unwrap();
    assert_eq!(queued.queued, users);
    for u in &users {
        sb.record_inbound(&pnid, u, None);
    }
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("payload.json");
    std::fs::write(&body_file, payload(&pnid, &users, unix_now())).unwrap();

    let mut children: Vec<ChildGuard> = (0..2)
        .map(|_| spawn_child(&store.location, &sb.base_url(), &pnid, &body_file, false))
        .collect();
    let mut new_total = 0;
    let mut succeeded_total = 0;
    for child in &mut children {
        let mut out = String::new();
        std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
        let status = child.0.wait().unwrap();
        assert!(status.success(), "child failed: {out}");
        let report = out
            .lines()
            .find_map(|l| l.split_once(REPORT_MARKER).map(|(_, r)| r))
            .unwrap_or_else(|| panic!("no report line in: {out}"));
        let field = |name: &str| -> usize {
            report
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap()
                .parse()
                .unwrap()
        };
        new_total += field("new");
        succeeded_total += field("succeeded");
    }
    assert_eq!(
        new_total,
        users.len(),
        "each message is recorded by one process"
    );
    assert_eq!(
        succeeded_total,
        users.len(),
        "each user is blocked by one process"
    );
    for u in &users {
        // One refused block at queue time, then exactly one more.
        assert_eq!(block_requests_for(&sb, &pnid, u), 2, "user {u}");
        assert!(is_blocked_in_sandbox(&sb, &pnid, u));
    }
    assert!(window.pending().unwrap().is_empty());
}

fn a_receiver_killed_after_claiming_loses_nothing(backend: Backend) {
    let Some(store) = test_store(backend) else {
        return;
    };
    let sb = sandbox();
    let pnid = fresh_phone_number_id();
    let user = "16505550801".to_string();
    let clock = Arc::new(ManualClock::new(SystemTime::now()));
    let window = Window::new(Store::open(&store.location).unwrap())
        .client(&pnid, client(&sb.base_url(), &pnid))
        .app_secret(APP_SECRET)
        .clock(clock.clone());
    window.block_when_possible(&pnid, [&user]).unwrap();
    sb.record_inbound(&pnid, &user, None);
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("payload.json");
    let body = payload(&pnid, std::slice::from_ref(&user), unix_now());
    std::fs::write(&body_file, &body).unwrap();

    let mut child = spawn_child(&store.location, &sb.base_url(), &pnid, &body_file, true);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let claimed = lines
        .by_ref()
        .map_while(Result::ok)
        // libtest may have written "test child_process_entry ... " on the same line.
        .find_map(|l| {
            l.split_once(CLAIMED_MARKER)
                .map(|(_, u)| u.trim().to_string())
        });
    assert_eq!(claimed.as_deref(), Some(user.as_str()));
    child.0.kill().unwrap(); // SIGKILL
    let status = child.0.wait().unwrap();
    assert!(!status.success());

    // The dead process holds the claim; it made no block request.
    let pending = window.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].claim_owner.is_some());
    assert_eq!(block_requests_for(&sb, &pnid, &user), 1);

    // Meta redelivers: recorded already, and the claim is still live, so nothing happens.
    let report = window.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(report.new_messages, 0);
    assert!(report.blocks.is_empty());
    assert_eq!(block_requests_for(&sb, &pnid, &user), 1);

    // Once the lease has run out, the block is taken up again, once.
    clock.advance(Duration::from_secs(61));
    let report = window.ingest(&body, Some(&sign(&body))).unwrap();
    assert_eq!(report.blocks.len(), 1);
    assert!(!report.blocks[0].still_pending);
    assert_eq!(
        report.blocks[0].outcome.as_ref().unwrap().succeeded.len(),
        1
    );
    assert!(window.process_pending().unwrap().is_empty());
    assert_eq!(block_requests_for(&sb, &pnid, &user), 2);
    assert!(is_blocked_in_sandbox(&sb, &pnid, &user));
    assert!(window.pending().unwrap().is_empty());
}
