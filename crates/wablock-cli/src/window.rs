//! Blocks that wait for the 24-hour window (docs/window.md), from the command line:
//! `block --when-possible`, `pending`, `webhook ingest` and `webhook serve`. The rules, the
//! queue and the signature check are `wablock-window`'s; this module parses and prints.

use std::io::Read;

use clap::{Args, Subcommand};

use wablock_window::{IngestReport, Store, Window};

use crate::args::{Format, Global, StoreArg};
use crate::output::{self, printable};
use crate::{EXIT_CALL_FAILED, EXIT_OK, EXIT_SOME_FAILED, Exit, usage};

/// `webhook` subcommands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Verify and ingest one webhook payload read from stdin; make the queued blocks it
    /// allows.
    Ingest {
        /// The X-Hub-Signature-256 header as received (sha256=…).
        #[arg(long, value_name = "HEADER")]
        signature: Option<String>,
        #[command(flatten)]
        secret: SecretArgs,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        global: Global,
    },
    /// A webhook receiver on plain HTTP (put TLS in a reverse proxy in front, docs/window.md):
    /// answers Meta's GET verification, and verifies, ingests and acknowledges each POST.
    Serve {
        /// Port to listen on; 0 picks a free one. The URL is the first line of stdout.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to listen on (the reverse proxy's side).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        #[command(flatten)]
        secret: SecretArgs,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        global: Global,
    },
}

/// The Meta app secret that signs webhooks.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// The Meta app secret; prefer the environment, flags show up in `ps` [env:
    /// WABLOCK_APP_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub app_secret: Option<String>,
    /// Accept payloads without checking their signature (only behind something that
    /// authenticates them already).
    #[arg(long, conflicts_with = "app_secret")]
    pub unsigned: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn open_store(arg: &StoreArg) -> Result<Store, Exit> {
    let location = arg.store.clone().or_else(|| env("WABLOCK_STORE"));
    let store = match &location {
        Some(l) => Store::open(l),
        None => Store::open_default(),
    };
    // The window crate's messages never quote the location (it may hold a password).
    store.map_err(|e| Exit {
        code: EXIT_CALL_FAILED,
        message: format!("cannot open the store: {}", printable(&e.to_string())),
    })
}

/// A `Window` over the store, with one client per phone number of the connection flags
/// (the same flags, variables and keys file as `block`; docs/cli.md).
fn window(g: &Global, store: &StoreArg) -> Result<(Window, Vec<String>), Exit> {
    let conn = crate::fleet::connect(g)?;
    let mut window = Window::new(open_store(store)?);
    let labels: Vec<String> = conn.fleet.labels().map(str::to_string).collect();
    for label in &labels {
        if let Some(client) = conn.fleet.client(label) {
            window = window.client(label.clone(), client.clone());
        }
    }
    Ok((window, labels))
}

fn app_secret(s: &SecretArgs) -> Result<Option<String>, Exit> {
    if s.unsigned {
        return Ok(None);
    }
    if s.app_secret.is_some() {
        eprintln!(
            "wablock: warning: --app-secret is visible to other users in `ps`; prefer WABLOCK_APP_SECRET"
        );
    }
    match s.app_secret.clone().or_else(|| env("WABLOCK_APP_SECRET")) {
        Some(secret) => Ok(Some(secret)),
        None => Err(usage(
            "no app secret to check webhook signatures with: set WABLOCK_APP_SECRET to your Meta \
             app secret (or pass --unsigned when something else authenticates the payloads)",
        )),
    }
}

fn window_error(e: &wablock_window::Error) -> String {
    format!("error: {}", printable(&e.to_string()))
}

/// A window error that is not the core's: its line on stderr and, with `--json`, the crate's
/// `{"error":…}` on stdout, as a core error prints.
fn print_window_error(e: &wablock_window::Error, format: Format) {
    eprintln!("wablock: {}", window_error(e));
    if format == Format::Json {
        println!("{}", e.to_canonical_json());
    }
}

/// `block --when-possible`: block now, queue the users outside their 24-hour window. Exit 0
/// when every user is blocked or queued, 1 when some were refused for another reason, 2 when
/// the call failed as a whole.
pub fn block_when_possible(
    g: &Global,
    format: Format,
    store: &StoreArg,
    users: &[String],
) -> Result<u8, Exit> {
    let (window, labels) = window(g, store)?;
    let [number] = labels.as_slice() else {
        return Err(usage(
            "--when-possible queues blocks for one phone number at a time; give one --phone-number-id",
        ));
    };
    match window.block_when_possible(number, users) {
        Ok(result) => {
            if format == Format::Json {
                println!("{}", result.to_canonical_json());
            } else {
                crate::stream::print(|w| output::write_outcome_table(w, &result.outcome, users));
                if !result.queued.is_empty() {
                    let list = result
                        .queued
                        .iter()
                        .map(|u| printable(u).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ");
                    println!(
                        "Queued until they next write to {} (see wablock pending): {list}",
                        printable(number)
                    );
                }
            }
            let refused_otherwise = result.outcome.failed.len() > result.queued.len();
            Ok(if refused_otherwise {
                EXIT_SOME_FAILED
            } else {
                EXIT_OK
            })
        }
        Err(e) => {
            match e.block_error() {
                Some(err) => output::print_error(err, users, format),
                None => print_window_error(&e, format),
            }
            Ok(EXIT_CALL_FAILED)
        }
    }
}

/// `pending [--json]`: the queued blocks, oldest first.
pub fn pending(store: &StoreArg, json_out: bool) -> Result<u8, Exit> {
    let window = Window::new(open_store(store)?);
    let rows = window.pending().map_err(|e| Exit {
        code: EXIT_CALL_FAILED,
        message: window_error(&e),
    })?;
    if json_out {
        println!("{}", wablock_window::pending_canonical_json(&rows));
    } else {
        println!("NUMBER            USER                      INPUT");
        for p in &rows {
            println!(
                "{:<17} {:<25} {}",
                printable(&p.phone_number_id),
                printable(&p.user),
                printable(&p.input)
            );
        }
        println!("{} queued block(s).", rows.len());
    }
    Ok(EXIT_OK)
}

fn report_text(r: &IngestReport) -> String {
    let mut out = format!(
        "{} message(s), {} new; {} queued block(s) taken up.\n",
        r.messages,
        r.new_messages,
        r.blocks.len()
    );
    for b in &r.blocks {
        let who = format!(
            "{} on {}",
            printable(&b.input),
            printable(&b.phone_number_id)
        );
        let line = match &b.outcome {
            Ok(o) if !o.succeeded.is_empty() => format!("  blocked {who}"),
            Ok(o) => match o.failed.first() {
                Some(f) => format!(
                    "  not blocked {who}: {} ({}){}",
                    f.reason.as_str(),
                    printable(&f.hint),
                    if b.still_pending {
                        "; still queued"
                    } else {
                        ""
                    }
                ),
                None => format!("  nothing done for {who}"),
            },
            Err(e) => format!("  {who}: {}; still queued", output::error_line(e)),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Exit code of a report: 1 when a block taken up was refused or failed.
fn report_code(r: &IngestReport) -> u8 {
    if r.blocks
        .iter()
        .all(|b| b.outcome.as_ref().is_ok_and(|o| o.failed.is_empty()))
    {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    }
}

/// `webhook ingest` and `webhook serve`.
pub fn webhook(before: Global, command: WebhookCommand) -> Result<u8, Exit> {
    match command {
        WebhookCommand::Ingest {
            signature,
            secret,
            store,
            global,
        } => {
            let g = before.merge(global);
            let format = crate::output_format(&g, false)?;
            let secret = app_secret(&secret)?;
            let mut body = Vec::new();
            std::io::stdin()
                .lock()
                .take(wablock_window::webhook::MAX_WEBHOOK_BYTES as u64 + 1)
                .read_to_end(&mut body)
                .map_err(|e| usage(format!("cannot read the payload from stdin: {e}")))?;
            if body.is_empty() {
                return Err(usage(
                    "no payload on stdin: wablock webhook ingest --signature 'sha256=…' < payload.json",
                ));
            }
            let (mut window, _) = window(&g, &store)?;
            if let Some(s) = &secret {
                window = window.app_secret(s);
            }
            match window.ingest(&body, signature.as_deref()) {
                Ok(report) => {
                    if format == Format::Json {
                        println!("{}", report.to_canonical_json());
                    } else {
                        print!("{}", report_text(&report));
                    }
                    Ok(report_code(&report))
                }
                Err(e) => {
                    print_window_error(&e, format);
                    eprintln!("wablock: nothing of this payload was recorded.");
                    Ok(EXIT_CALL_FAILED)
                }
            }
        }
        WebhookCommand::Serve {
            port,
            host,
            secret,
            store,
            global,
        } => {
            let g = before.merge(global);
            if g.json || g.format.is_some() {
                return Err(usage(
                    "webhook serve logs one line per request; it takes no --json or --format",
                ));
            }
            let secret = app_secret(&secret)?;
            let Some(verify_token) = env("WABLOCK_VERIFY_TOKEN") else {
                return Err(usage(
                    "no verify token for Meta's GET handshake: set WABLOCK_VERIFY_TOKEN to the \
                     token entered in the app's webhook settings",
                ));
            };
            let (mut window, _) = window(&g, &store)?;
            if let Some(s) = &secret {
                window = window.app_secret(s);
            }
            serve(&window, host, port, &verify_token)
        }
    }
}

/// Decodes `%XX` and `+` in a query component.
fn query_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (query_decode(k) == name).then(|| query_decode(v))
    })
}

/// Compares in time independent of where the strings differ.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn text_response(status: u16, text: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let response = tiny_http::Response::from_string(text).with_status_code(status);
    match tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"text/plain; charset=utf-8"[..]) {
        Ok(h) => response.with_header(h),
        Err(()) => response,
    }
}

fn serve(
    window: &Window,
    host: std::net::IpAddr,
    port: u16,
    verify_token: &str,
) -> Result<u8, Exit> {
    let addr = std::net::SocketAddr::new(host, port);
    let server = tiny_http::Server::http(addr).map_err(|e| Exit {
        code: EXIT_CALL_FAILED,
        message: format!("cannot listen on {addr}: {e}"),
    })?;
    let bound = server.server_addr().to_ip().unwrap_or(addr);
    // The URL is the first line so that scripts (and tests) can read it.
    println!("http://{bound}/");
    println!(
        "wablock webhook serve: GET answers Meta's verification with WABLOCK_VERIFY_TOKEN; POST \
         verifies, ingests and acknowledges. Put TLS in a reverse proxy in front. Ctrl-C stops."
    );
    for mut request in server.incoming_requests() {
        let url = request.url().to_string();
        let (status, text) = match request.method() {
            tiny_http::Method::Get => {
                let mode = query_param(&url, "hub.mode");
                let token = query_param(&url, "hub.verify_token");
                let challenge = query_param(&url, "hub.challenge");
                match (mode.as_deref(), token, challenge) {
                    (Some("subscribe"), Some(token), Some(challenge))
                        if same_secret(&token, verify_token) =>
                    {
                        println!("GET verification: accepted");
                        (200, challenge)
                    }
                    (Some(_), Some(_), _) => {
                        println!("GET verification: refused (wrong verify token or mode)");
                        (403, "verification refused\n".to_string())
                    }
                    _ => (
                        400,
                        "expected hub.mode, hub.verify_token and hub.challenge\n".to_string(),
                    ),
                }
            }
            tiny_http::Method::Post => {
                let signature = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("X-Hub-Signature-256"))
                    .map(|h| h.value.as_str().to_string());
                let mut body = Vec::new();
                let read = request
                    .as_reader()
                    .take(wablock_window::webhook::MAX_WEBHOOK_BYTES as u64 + 1)
                    .read_to_end(&mut body);
                match read {
                    Err(e) => (400, format!("cannot read the body: {e}\n")),
                    Ok(_) => match window.ingest(&body, signature.as_deref()) {
                        Ok(report) => {
                            print!("POST {}", report_text(&report));
                            (200, "ok\n".to_string())
                        }
                        Err(e) => {
                            println!("POST refused: {}", window_error(&e));
                            let status = match e.kind() {
                                wablock_window::ErrorKind::Signature => 401,
                                wablock_window::ErrorKind::Malformed => 400,
                                // The store failed: Meta retries a 5xx later.
                                _ => 500,
                            };
                            (status, format!("{}\n", e.kind().as_str()))
                        }
                    },
                }
            }
            _ => (405, "GET or POST only\n".to_string()),
        };
        let _ = request.respond(text_response(status, &text));
    }
    Ok(EXIT_OK)
}
