//! A scripted HTTP/1.1 responder on loopback: each request is recorded and answered by a
//! handler, so tests assert what the client really sent and how it read real HTTP answers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
    /// The `user`/`user_id` values of a block_users request body.
    pub fn users(&self) -> Vec<String> {
        self.json()["block_users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                u.get("user")
                    .or(u.get("user_id"))
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    pub drop: bool,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, body.to_string())
    }
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: body.into(),
            delay: Duration::ZERO,
            drop: false,
        }
    }
    pub fn dropped() -> Reply {
        Reply {
            drop: true,
            ..Reply::raw(200, "")
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delayed(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub struct Responder {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
}

impl Responder {
    /// Serves every request with `handler`.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Responder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen2, stop2, accepted2) = (seen.clone(), stop.clone(), accepted.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                accepted2.fetch_add(1, Ordering::SeqCst);
                let (handler, seen) = (handler.clone(), seen2.clone());
                thread::spawn(move || serve(stream, &*handler, &seen));
            }
        });
        Responder {
            url,
            seen,
            stop,
            accepted,
        }
    }

    /// Answers with `replies` in order; once they run out, repeats the last one.
    pub fn script(replies: Vec<Reply>) -> Responder {
        let queue = Mutex::new((replies, 0usize));
        Responder::start(move |_| {
            let mut q = queue.lock().unwrap();
            let i = q.1.min(q.0.len() - 1);
            q.1 += 1;
            q.0[i].clone()
        })
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// TCP connections accepted so far. Counted before a connection is served, so once a
    /// client call has its answer, its connection is in the count.
    pub fn connections_accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Seen {
            method,
            path,
            query,
            headers,
            body,
        };
        seen.lock().unwrap().push(request.clone());
        let reply = handler(&request);
        thread::sleep(reply.delay);
        if reply.drop {
            return;
        }
        let mut head = format!(
            "HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\n",
            reply.status,
            reply.body.len()
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&reply.body).is_err() {
            return;
        }
    }
}

/// A Meta-dialect client pointed at `url`, with instant, deterministic retries.
pub fn client(url: &str) -> wablock::ClientBuilder {
    wablock::Client::meta("1000", "TOKEN-s3cr3t-value")
        .base_url(url)
        .retry_policy(wablock::RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(50),
            jitter: false,
        })
        .read_timeout(Duration::from_secs(5))
}

/// The Graph error envelope.
pub fn graph_error(code: i64, message: &str) -> Value {
    serde_json::json!({"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Atrace"}})
}

/// A success body confirming every user of the request.
pub fn confirm_all(req: &Seen, key: &str) -> Reply {
    let items: Vec<Value> = req
        .users()
        .iter()
        .map(|u| serde_json::json!({"input": u, "wa_id": u.trim_start_matches('+')}))
        .collect();
    Reply::json(
        200,
        serde_json::json!({"messaging_product": "whatsapp", "block_users": {key: items}}),
    )
}

/// One failed_users item.
pub fn failed_item(input: &str, code: i64, message: &str) -> Value {
    serde_json::json!({"input": input, "errors": [{"message": message, "code": code, "error_data": {"details": format!("details for {input}")}}]})
}
