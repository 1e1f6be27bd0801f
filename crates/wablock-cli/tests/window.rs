//! Blocks that wait for the 24-hour window, end to end through the `wablock` binary against
//! the sandbox (24-hour rule on) with a SQLite store in a temp dir: `block --when-possible`,
//! `pending --json`, `webhook ingest` (tampered, signed, redelivered) and `webhook serve` fed
//! by the sandbox's webhook delivery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use wablock_sandbox::{DEFAULT_APP_SECRET, Sandbox, SandboxConfig};

const NUMBER: &str = "1000";
const STALE: &str = "+16505550000";

fn temp_dir() -> std::path::PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "wablock-cli-window-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wablock(sb: &Sandbox, store: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wablock"));
    for v in [
        "WABLOCK_PROVIDER",
        "WABLOCK_API_KEY",
        "WABLOCK_KEYS_FILE",
        "WABLOCK_API_VERSION",
        "WABLOCK_APP_SECRET",
        "WABLOCK_VERIFY_TOKEN",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("WABLOCK_BASE_URL", sb.base_url())
        .env("WABLOCK_PHONE_NUMBER_ID", NUMBER)
        .env("WABLOCK_ACCESS_TOKEN", "sandbox-token")
        .env("WABLOCK_STORE", store)
        .stdin(Stdio::null());
    cmd
}

fn run(sb: &Sandbox, store: &str, args: &[&str]) -> Output {
    wablock(sb, store).args(args).output().unwrap()
}

fn ingest(sb: &Sandbox, store: &str, body: &[u8], signature: &str) -> Output {
    let mut child = wablock(sb, store)
        .env("WABLOCK_APP_SECRET", DEFAULT_APP_SECRET)
        .args(["webhook", "ingest", "--signature", signature, "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body).unwrap();
    child.wait_with_output().unwrap()
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
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        text.trim_end(),
        wablock::canonical_string(&v),
        "not canonical"
    );
    v
}

/// One HTTP/1.1 exchange on loopback (Connection: close): status and body.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn inbound(sb: &Sandbox, wa_id: &str) -> Value {
    let (status, body) = http(
        sb.addr(),
        "POST",
        "/_sandbox/inbound",
        Some(&json!({"phone_number_id": NUMBER, "wa_id": wa_id})),
    );
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn pending(sb: &Sandbox, store: &str) -> Value {
    let o = run(sb, store, &["pending", "--json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    json_out(&o)["pending"].clone()
}

fn queue_stale_user(sb: &Sandbox, store: &str) {
    let o = run(sb, store, &["block", "--when-possible", STALE, "--json"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let v = json_out(&o);
    assert_eq!(v["queued"], json!([STALE]));
    assert_eq!(v["outcome"]["failed"][0]["reason"], "REENGAGEMENT_REQUIRED");
    assert_eq!(sb.state_json(NUMBER)["blocked_count"], 0);
    let queue = pending(sb, store);
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue[0]["input"], STALE);
    assert_eq!(queue[0]["user"], "16505550000");
    assert_eq!(queue[0]["phone_number_id"], NUMBER);
}

#[test]
fn a_refused_block_waits_for_the_users_next_signed_message() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = temp_dir();
    let db = dir.join("window.db");
    let store = db.to_str().unwrap();

    // 1. The user has not written in 24 hours: refused, and queued.
    queue_stale_user(&sb, store);

    // 2. They write; the sandbox hands us the webhook Meta would deliver, signed.
    let hook = inbound(&sb, STALE);
    let body = hook["webhook_body"].as_str().unwrap().to_string();
    let signature = hook["signature"].as_str().unwrap().to_string();

    // 3. A tampered payload is refused and changes nothing.
    let tampered = body.replace("Hello from the sandbox", "Hello from someone else");
    assert_ne!(tampered, body);
    let o = ingest(&sb, store, tampered.as_bytes(), &signature);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(err(&o).contains("SIGNATURE"), "{}", err(&o));
    assert!(!err(&o).contains(DEFAULT_APP_SECRET));
    // --json: the crate's error JSON on stdout, in the core's error shape.
    let error = json_out(&o)["error"].clone();
    assert_eq!(error["kind"], "SIGNATURE");
    assert_eq!(error["not_attempted"], json!([]));
    assert!(error["http_status"].is_null() && !out(&o).contains(DEFAULT_APP_SECRET));
    assert_eq!(pending(&sb, store).as_array().unwrap().len(), 1);
    assert_eq!(sb.state_json(NUMBER)["blocked_count"], 0);

    // 4. The genuine payload opens the window and makes the queued block.
    let o = ingest(&sb, store, body.as_bytes(), &signature);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let report = json_out(&o)["ingest"].clone();
    assert_eq!(report["messages"], 1);
    assert_eq!(report["new_messages"], 1);
    assert_eq!(report["blocks"][0]["input"], STALE);
    assert_eq!(report["blocks"][0]["still_pending"], false);
    assert_eq!(
        report["blocks"][0]["outcome"]["succeeded"][0]["wa_id"],
        "16505550000"
    );
    assert_eq!(sb.state_json(NUMBER)["blocked_count"], 1);
    assert_eq!(pending(&sb, store), json!([]));

    // 5. Meta redelivers the same payload: nothing new, no request to the API.
    let requests_before = sb.requests().as_array().unwrap().len();
    let o = ingest(&sb, store, body.as_bytes(), &signature);
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        json_out(&o),
        json!({"ingest": {"messages": 1, "new_messages": 0, "blocks": []}})
    );
    assert_eq!(sb.requests().as_array().unwrap().len(), requests_before);
    assert_eq!(pending(&sb, store), json!([]));
    assert_eq!(sb.state_json(NUMBER)["blocked_count"], 1);

    // Without an app secret, ingest refuses to run rather than trust the payload.
    let mut child = wablock(&sb, store)
        .args(["webhook", "ingest", "--signature", &signature])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The CLI may refuse and exit before reading stdin: a broken pipe here is expected.
    let _ = child.stdin.take().unwrap().write_all(body.as_bytes());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 64);
    assert!(err(&o).contains("WABLOCK_APP_SECRET"), "{}", err(&o));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Kills the receiver when the test ends, however it ends.
struct Receiver(Child);

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn webhook_serve_fed_by_the_sandbox_blocks_the_user_on_their_next_message() {
    let sb = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = temp_dir();
    let db = dir.join("window.db");
    let store = db.to_str().unwrap();
    queue_stale_user(&sb, store);

    let mut receiver = Receiver(
        wablock(&sb, store)
            .env("WABLOCK_APP_SECRET", DEFAULT_APP_SECRET)
            .env("WABLOCK_VERIFY_TOKEN", "verify-me-please")
            .args(["webhook", "serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(receiver.0.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();

    // Meta's GET handshake: the challenge comes back for the right token only.
    let (status, body) = http(
        addr,
        "GET",
        "/?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=1158201444",
        None,
    );
    assert_eq!((status, body.as_str()), (200, "1158201444"));
    let (status, body) = http(
        addr,
        "GET",
        "/?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444",
        None,
    );
    assert_eq!(status, 403);
    assert!(!body.contains("1158201444"));

    // An unsigned POST is refused.
    let (status, _) = http(addr, "POST", "/", Some(&json!({"object": "x"})));
    assert_eq!(status, 401);

    // The sandbox delivers the user's next message to the receiver, which blocks them.
    let (status, _) = http(
        sb.addr(),
        "POST",
        "/_sandbox/config",
        Some(&json!({"webhook_url": url})),
    );
    assert_eq!(status, 200);
    let hook = inbound(&sb, STALE);
    assert_eq!(hook["webhook_delivery"]["status"], 200, "{hook}");
    assert_eq!(sb.state_json(NUMBER)["blocked_count"], 1);
    assert_eq!(pending(&sb, store), json!([]));

    // The receiver logged it, with the user's input as queued.
    let log: Vec<String> = lines.by_ref().take(6).map(Result::unwrap).collect();
    assert!(
        log.iter()
            .any(|l| l.contains("blocked +16505550000 on 1000")),
        "{log:?}"
    );
    drop(receiver);
    std::fs::remove_dir_all(dir).unwrap();
}
