//! `wablock-bench-echo`: a minimal Block Users server for the latency benchmark (issue 16).
//!
//! It answers every block (POST) or unblock (DELETE) batch on `/{version}/{phone}/block_users`
//! as all-succeeded (`{"input": sent, "wa_id": digits}` per user, or `user_id` for a BSUID)
//! after sleeping the injected latency, and keeps no state: no blocklist, no rules, no lock.
//! Its purpose is a server that is *not* the bottleneck, so that the benchmark's latency cell
//! measures the client; the sandbox (`wablock-sandbox`) stays the faithful fake and keeps its
//! own cell. Listing is not served (404): only the block cells run against it.
//!
//! The transport is deliberately small: `std::net` with a thread per connection (the client
//! keeps at most `parallelism` connections open, so every request in flight sleeps its
//! latency concurrently), TCP_NODELAY on every socket, and `httparse` (already in the
//! workspace, through the HTTP client) to parse each request head. `tiny_http` (what `wablock
//! webhook serve` uses) was tried first and dropped: it sets no TCP_NODELAY, so each answer's
//! last segment waited for the client's delayed ACK (~40 ms: 64,000 blocks at 50 ms took
//! 1.80 s), and at parallelism 16 some of its connections went unserved until the client
//! timed out and retried (76 requests for 64 batches, 32.7 s; reading tiny_http 0.12's task
//! pool, a burst of new connections can be queued behind threads that are busy with
//! keep-alive connections).
//!
//! ```text
//! wablock-bench-echo [--port N] [--latency-ms N] [--exit-on-stdin-eof] [--open]
//! ```
//!
//! The first line of stdout is the base URL. `--open` is accepted and ignored, so that
//! `bench/run.py` starts it with the sandbox's command line. Control endpoints:
//! `POST /_sandbox/reset` (zeroes the counters; there is no state to reset) and
//! `GET /_echo/stats`: `{"requests", "users", "handle_s_total", "handle_s_max"}`, where a
//! request's handling time is the server's own work on it: from the moment its head has been
//! read to the moment its answer is written, minus the injected sleep.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

const USAGE: &str =
    "usage: wablock-bench-echo [--port N] [--latency-ms N] [--exit-on-stdin-eof] [--open]";
/// Largest request head and body accepted (a 1,000-user body is about 30 kB).
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The request body the core sends: `{"messaging_product":"whatsapp","block_users":[…]}`.
#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    block_users: Vec<User<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow, default)]
    user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    user_id: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    users: AtomicU64,
    handle_ns_total: AtomicU64,
    handle_ns_max: AtomicU64,
}

impl Stats {
    fn reset(&self) {
        for c in [
            &self.requests,
            &self.users,
            &self.handle_ns_total,
            &self.handle_ns_max,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    fn record(&self, users: usize, handled: Duration) {
        let ns = u64::try_from(handled.as_nanos()).unwrap_or(u64::MAX);
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.users.fetch_add(users as u64, Ordering::Relaxed);
        self.handle_ns_total.fetch_add(ns, Ordering::Relaxed);
        self.handle_ns_max.fetch_max(ns, Ordering::Relaxed);
    }

    fn json(&self) -> String {
        let s = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 / 1e9;
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "users": self.users.load(Ordering::Relaxed),
            "handle_s_total": s(&self.handle_ns_total),
            "handle_s_max": s(&self.handle_ns_max),
        })
        .to_string()
    }
}

/// `+1 (555) 000-0001` → `15550000001`: the digits the server reports as `wa_id`.
fn digits(user: &str) -> String {
    user.chars().filter(char::is_ascii_digit).collect()
}

/// The answer to one block/unblock body: every user succeeded. `None` when the body is not
/// the core's request shape (answered 400).
fn answer(body: &[u8], block: bool) -> Option<(Vec<u8>, usize)> {
    let parsed: Body<'_> = serde_json::from_slice(body).ok()?;
    let mut out = Vec::with_capacity(64 + parsed.block_users.len() * 48);
    out.extend_from_slice(br#"{"messaging_product":"whatsapp","block_users":{""#);
    out.extend_from_slice(if block {
        b"added_users"
    } else {
        b"removed_users"
    });
    out.extend_from_slice(b"\":[");
    for (i, u) in parsed.block_users.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let (input, key, id) = match (&u.user, &u.user_id) {
            (Some(user), None) => (user.as_ref(), "wa_id", digits(user)),
            (None, Some(bsuid)) => (bsuid.as_ref(), "user_id", bsuid.to_string()),
            _ => return None,
        };
        out.extend_from_slice(b"{\"input\":");
        serde_json::to_writer(&mut out, input).ok()?;
        let _ = write!(out, ",\"{key}\":");
        serde_json::to_writer(&mut out, &id).ok()?;
        out.push(b'}');
    }
    out.extend_from_slice(b"]}}");
    Some((out, parsed.block_users.len()))
}

fn is_api_path(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    matches!(segs.as_slice(), [v, id, "block_users"] if v.starts_with('v') && !id.is_empty())
}

/// One parsed request: method, path (without the query), body, and whether the connection
/// stays open after the answer.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    keep_alive: bool,
}

/// Reads the next request from `reader`; `Ok(None)` at a clean end of the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut head = Vec::with_capacity(1024);
    loop {
        let n = reader.read_until(b'\n', &mut head)?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an HTTP request",
            ));
        }
    }
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    if header("transfer-encoding").is_some() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "chunked bodies are not supported",
        ));
    }
    let length: usize = match header("content-length") {
        None => 0,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| *n <= MAX_BODY)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?,
    };
    let keep_alive = match header("connection").as_deref() {
        Some("close") => false,
        Some("keep-alive") => true,
        _ => parsed.version == Some(1),
    };
    let method = parsed.method.unwrap_or("").to_string();
    let target = parsed.path.unwrap_or("");
    let path = target.split('?').next().unwrap_or("").to_string();
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request {
        method,
        path,
        body,
        keep_alive,
    }))
}

/// Writes a JSON answer in one `write_all` (head and body together).
fn respond(w: &mut TcpStream, status: u16, body: &[u8], keep_alive: bool) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let mut out = Vec::with_capacity(body.len() + 128);
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n",
        body.len(),
        if keep_alive {
            ""
        } else {
            "Connection: close\r\n"
        }
    );
    out.extend_from_slice(body);
    w.write_all(&out)
}

/// Answers one request; the injected latency is slept before API answers only.
fn serve_one(req: &Request, w: &mut TcpStream, latency: Duration, stats: &Stats) -> io::Result<()> {
    let taken = Instant::now();
    let (status, body, users) = match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/_sandbox/reset") => {
            stats.reset();
            return respond(w, 200, br#"{"ok":true}"#, req.keep_alive);
        }
        ("GET", "/_echo/stats") => {
            return respond(w, 200, stats.json().as_bytes(), req.keep_alive);
        }
        ("POST" | "DELETE", p) if is_api_path(p) => match answer(&req.body, req.method == "POST")
        {
            Some((text, users)) => (200, text, users),
            None => (
                400,
                br#"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}}"#
                    .to_vec(),
                0,
            ),
        },
        (m, p) => {
            let body = json!({"error": format!(
                "wablock-bench-echo serves block and unblock only, not {m} {p}")});
            return respond(w, 404, body.to_string().as_bytes(), req.keep_alive);
        }
    };
    let before_sleep = taken.elapsed();
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    let woke = Instant::now();
    respond(w, status, &body, req.keep_alive)?;
    stats.record(users, before_sleep + woke.elapsed());
    Ok(())
}

fn serve_connection(stream: TcpStream, latency: Duration, stats: &Stats) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    loop {
        let req = match read_request(&mut reader) {
            Ok(Some(req)) => req,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let body = json!({"error": e.to_string()}).to_string();
                    let _ = respond(&mut writer, 400, body.as_bytes(), false);
                }
                return;
            }
        };
        if serve_one(&req, &mut writer, latency, stats).is_err() || !req.keep_alive {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

struct Args {
    port: u16,
    latency: Duration,
    exit_on_stdin_eof: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        latency: Duration::ZERO,
        exit_on_stdin_eof: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match arg.as_str() {
            "--port" => {
                args.port = u16::try_from(number("--port")?).map_err(|_| "--port: too large")?;
            }
            "--latency-ms" => args.latency = Duration::from_millis(number("--latency-ms")?),
            "--exit-on-stdin-eof" => args.exit_on_stdin_eof = true,
            "--open" => {}
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("wablock-bench-echo: {e}");
            return ExitCode::from(64);
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wablock-bench-echo: cannot listen on {addr}: {e}");
            return ExitCode::from(2);
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    println!("http://{bound}");
    let _ = io::stdout().flush();
    let stats = Arc::new(Stats::default());
    let latency = args.latency;
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let stats = Arc::clone(&stats);
            let _ = std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || serve_connection(stream, latency, &stats));
        }
    });
    if args.exit_on_stdin_eof {
        let mut sink = Vec::new();
        let _ = io::stdin().read_to_end(&mut sink);
        return ExitCode::SUCCESS;
    }
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn every_user_is_answered_as_succeeded() {
        let body = br#"{"messaging_product":"whatsapp","block_users":[{"user":"+15550000001"},{"user_id":"US.1"},{"user":"+1 \"5\""}]}"#;
        let (text, n) = answer(body, true).unwrap();
        assert_eq!(n, 3);
        let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            v,
            json!({"messaging_product": "whatsapp", "block_users": {"added_users": [
                {"input": "+15550000001", "wa_id": "15550000001"},
                {"input": "US.1", "user_id": "US.1"},
                {"input": "+1 \"5\"", "wa_id": "15"}]}})
        );
        let (text, _) = answer(body, false).unwrap();
        assert!(String::from_utf8(text).unwrap().contains("removed_users"));
        assert!(answer(b"{}", true).is_none());
        assert!(answer(br#"{"block_users":[{}]}"#, true).is_none());
        assert!(is_api_path("/v25.0/123/block_users"));
        assert!(!is_api_path("/block_users"));
    }
}
