//! A faithful local fake of the WhatsApp Business "Block Users" API, served over HTTP on
//! loopback.
//!
//! It speaks both dialects of the contract (`docs/behaviour.md` §1): Meta's Cloud API
//! (`/{version}/{phone_number_id}/block_users`, `Authorization: Bearer`) and 360dialog's
//! (`/block_users`, `D360-API-KEY`). It enforces the rules of §1.3 and §7 (24-hour window,
//! self block, business accounts, 64,000 cap, 1,000 users per request, optional rate limit),
//! pages the blocklist with version-bound cursors, and offers control endpoints under
//! `/_sandbox/` to record inbound messages, move the clock, read state and queue scripted
//! responses (including dropped connections) for fault tests. `docs/sandbox.md` documents
//! every endpoint.
//!
//! ```no_run
//! use wablock_sandbox::{Sandbox, SandboxConfig, demo};
//!
//! let sandbox = Sandbox::start(SandboxConfig { seed_demo: true, ..SandboxConfig::default() })?;
//! println!("serving on {}", sandbox.base_url());
//! sandbox.record_inbound(demo::DEMO_PHONE_NUMBER_ID, "16505550199", None);
//! sandbox.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::HashMap;
use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

mod http;
#[cfg(feature = "schema-check")]
pub mod openapi_check;
mod state;
mod webhook;

use state::Core;

/// The phone number id that the 360dialog dialect (`/block_users` + `D360-API-KEY`) maps to.
pub const DIALOG360_PHONE_NUMBER_ID: &str = "100000000360360";
/// The default Meta access token (`Authorization: Bearer sandbox-token`).
pub const DEFAULT_ACCESS_TOKEN: &str = "sandbox-token";
/// The default 360dialog API key (`D360-API-KEY: sandbox-key`).
pub const DEFAULT_API_KEY: &str = "sandbox-key";
/// The app secret the sandbox signs its webhook payloads with (`X-Hub-Signature-256`).
pub const DEFAULT_APP_SECRET: &str = "sandbox-app-secret";
/// The WhatsApp Business Account id used as the key of `x-business-use-case-usage`.
pub const WABA_ID: &str = "102290129340398";
/// The text of the 360dialog `{"error": "..."}` body answered to a wrong or missing API key.
pub const DIALOG360_UNAUTHORIZED_MESSAGE: &str = "Invalid api key";
/// The most users one blocklist holds.
pub const BLOCKLIST_LIMIT: usize = 64_000;
/// The most users one block or unblock request may carry (more gives a whole-request 130429).
pub const MAX_USERS_PER_REQUEST: usize = 1_000;
/// The largest page a GET answers; a bigger `limit` is reduced to this.
pub const MAX_LIST_LIMIT: usize = 10_000;
/// The page size of a GET without `limit`.
pub const DEFAULT_LIST_LIMIT: usize = state::DEFAULT_LIST_LIMIT;

/// How a block/unblock answer that contains `failed_users` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MixedStyle {
    /// HTTP 200 with `block_users.failed_users` (Meta's current guide).
    #[default]
    Http200,
    /// HTTP 400 with `block_users` plus a top-level `error` with code 139100 (Meta's older
    /// guide, 360dialog's schema).
    Http400,
}

/// The body shape of the GET list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListShape {
    /// `{"data":[{"messaging_product":"whatsapp","wa_id":"…"}],"paging":{…}}`.
    Meta,
    /// 360dialog's older `{"data":[{"block_users":[{"input","wa_id"}]}],"paging":{…}}`.
    Legacy,
}

/// Start-up configuration. Every switch can also be changed at run time through
/// `POST /_sandbox/config`; `POST /_sandbox/reset` restores these start values.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// No 24-hour rule: any syntactically valid user can be blocked.
    pub open: bool,
    /// Sleep injected before every API (non-control) response.
    pub latency: Duration,
    /// How mixed or failed block/unblock results are answered.
    pub mixed_style: MixedStyle,
    /// The Meta dialect's bearer token.
    pub access_token: String,
    /// The 360dialog dialect's API key (maps to [`DIALOG360_PHONE_NUMBER_ID`]).
    pub api_key: String,
    /// Requests per second allowed per phone number; excess requests get 130429.
    pub rate_limit_per_second: Option<u32>,
    /// Seed the demo data of [`demo`] into [`demo::DEMO_PHONE_NUMBER_ID`] and
    /// [`DIALOG360_PHONE_NUMBER_ID`].
    pub seed_demo: bool,
    /// Force one list shape for both dialects; `None` means Meta's shape on Meta paths and
    /// the legacy shape on the 360dialog path.
    pub list_shape: Option<ListShape>,
    /// The app secret that signs the webhook payloads `POST /_sandbox/inbound` returns (and
    /// delivers): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.
    pub app_secret: String,
    /// Where `POST /_sandbox/inbound` also POSTs the webhook payload (plain `http://`, e.g. a
    /// `wablock webhook serve` on loopback); `None` delivers nothing.
    pub webhook_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            open: false,
            latency: Duration::ZERO,
            mixed_style: MixedStyle::Http200,
            access_token: DEFAULT_ACCESS_TOKEN.to_string(),
            api_key: DEFAULT_API_KEY.to_string(),
            rate_limit_per_second: None,
            seed_demo: false,
            list_shape: None,
            app_secret: DEFAULT_APP_SECRET.to_string(),
            webhook_url: None,
        }
    }
}

/// Demo data, seeded when [`SandboxConfig::seed_demo`] is set (into
/// [`crate::demo::DEMO_PHONE_NUMBER_ID`] and [`crate::DIALOG360_PHONE_NUMBER_ID`]).
pub mod demo {
    /// The demo business phone number id (Meta dialect).
    pub const DEMO_PHONE_NUMBER_ID: &str = "106540352242922";
    /// The business's own number, as a WA ID; blocking it gives 131021.
    pub const DEMO_OWN_NUMBER: &str = "15550783881";
    /// Users who messaged in the last 24 hours (1 to 4 minutes ago); they can be blocked.
    pub const DEMO_RECENT_USERS: &[&str] = &[
        "+16505551234",
        "+16505551235",
        "+447700900123",
        "+4915123456789",
    ];
    /// A user who messaged 3 days ago; blocking gives 131047.
    pub const DEMO_STALE_USER: &str = "+16505550000";
    /// A WhatsApp Business account that messaged recently; it cannot be blocked (131047).
    pub const DEMO_BUSINESS_ACCOUNT: &str = "+15557654321";
    /// A business-scoped user id (no known phone number) who messaged 5 minutes ago.
    pub const DEMO_BSUID_USER: &str = "US.13491208655302741918";
    /// Users already on the demo blocklist (they messaged an hour ago).
    pub const DEMO_BLOCKED_USERS: &[&str] = &["+16505559876", "+16505559877"];
}

struct Shared {
    core: Mutex<Core>,
    stop: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    addr: SocketAddr,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock must not take the whole sandbox down.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running sandbox server. Dropping it (or calling [`Sandbox::shutdown`]) stops it.
pub struct Sandbox {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.shared.addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds `127.0.0.1:0` (an ephemeral port) and serves on background threads.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        Sandbox::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config)
    }

    /// Binds `addr` and serves on background threads.
    pub fn start_on(addr: SocketAddr, config: SandboxConfig) -> io::Result<Sandbox> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            core: Mutex::new(Core::new(config)),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            addr,
        });
        let for_thread = Arc::clone(&shared);
        let accept = thread::Builder::new()
            .name("wablock-sandbox-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(Sandbox {
            shared,
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// Stops accepting, closes open connections and joins the accept thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.shared.stop.swap(true, Ordering::SeqCst) {
            return;
        }
        // Wake the accept loop.
        let mut wake = self.shared.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
        for (_, conn) in self.shared.conns().drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Records an inbound message from `wa_id` (and/or the BSUID `user_id`) to
    /// `phone_number_id`, now on the sandbox clock. An empty `wa_id` means "BSUID only".
    /// Invalid identifiers are ignored.
    pub fn record_inbound(&self, phone_number_id: &str, wa_id: &str, user_id: Option<&str>) {
        let _ = self
            .shared
            .core()
            .record_inbound(phone_number_id, Some(wa_id), user_id, 0);
    }

    /// Moves the sandbox clock forward (the 24-hour rule uses it).
    pub fn advance_clock(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.shared.core().advance_clock(ms);
    }

    /// The state of one phone number, as served by `GET /_sandbox/state`.
    pub fn state_json(&self, phone_number_id: &str) -> serde_json::Value {
        self.shared.core().state_json(phone_number_id)
    }

    /// Clears all state, scripts and the request log, restores the start configuration and
    /// re-seeds demo data if configured.
    pub fn reset(&self) {
        self.shared.core().reset();
    }

    /// Configures a phone number; `body` is the JSON of `POST /_sandbox/phone`.
    pub fn configure_phone(&self, body: &serde_json::Value) -> Result<serde_json::Value, String> {
        self.shared.core().configure_phone(body)
    }

    /// Changes switches at run time; `body` is the JSON of `POST /_sandbox/config`.
    pub fn set_config(&self, body: &serde_json::Value) -> Result<(), String> {
        self.shared.core().set_config(body)
    }

    /// Queues scripted responses; `body` is the JSON of `POST /_sandbox/script`. Returns
    /// how many are queued now.
    pub fn push_scripts(&self, body: &serde_json::Value) -> Result<usize, String> {
        self.shared.core().push_scripts(body)
    }

    /// The log of API requests since the last reset, as served by `GET /_sandbox/requests`.
    pub fn requests(&self) -> serde_json::Value {
        self.shared.core().requests_json()
    }

    /// Clears the request log.
    pub fn clear_requests(&self) {
        self.shared.core().clear_requests();
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors and the like: back off a little.
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.conns().insert(id, clone);
        }
        let shared2 = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("wablock-sandbox-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                serve_connection(stream, &shared2);
                shared2.conns().remove(&id);
            });
        if spawned.is_err() {
            if let Some(s) = shared.conns().remove(&id) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(16 * 1024, stream);
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let req = match http::read_request(&mut reader, &mut writer) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let resp = http::Response::json(
                        400,
                        &serde_json::json!({"error": format!("malformed HTTP request: {e}")}),
                    );
                    let _ = http::write_response(&mut writer, &resp, false);
                }
                return;
            }
        };
        let host = req
            .header("host")
            .map(str::to_string)
            .unwrap_or_else(|| shared.addr.to_string());
        // Parsing happens before the lock, serialising (in `write_response`) after it: the
        // lock is held only to read and change state, so concurrent requests overlap.
        let pre = state::Prepared::new(&req);
        let mut resp = shared.core().handle(&req, &host, pre);
        // A webhook to deliver is POSTed with the lock released: its receiver may well call
        // this sandbox back (to block the user) before it answers.
        if let Some(delivery) = resp.webhook.take() {
            let outcome = webhook::deliver(&delivery);
            if let Some(serde_json::Value::Object(body)) = resp.pending.as_mut() {
                body.insert("webhook_delivery".into(), outcome);
            }
        }
        // The injected latency is slept with the lock released (the guard above is a
        // temporary, dropped at the end of that statement).
        if !resp.delay.is_zero() {
            thread::sleep(resp.delay);
        }
        match http::write_response(&mut writer, &resp, req.keep_alive) {
            Ok(true) => {}
            _ => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}
