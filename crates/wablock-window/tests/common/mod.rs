//! Test harness: a real SQLite file or a real PostgreSQL server started here (initdb + pg_ctl
//! on a free loopback port in a temp dir), the sandbox in-process, and signed webhook payloads.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use wablock_sandbox::{Sandbox, SandboxConfig};

pub const APP_SECRET: &str = "test-app-secret-5f2c";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty store location for one test; keeps its server or directory alive.
pub struct TestStore {
    pub location: String,
    _dir: Option<tempfile::TempDir>,
    _server: Option<Arc<PgServer>>,
}

/// A fresh store on `backend`, or `None` when the developer opted out of PostgreSQL.
pub fn test_store(backend: Backend) -> Option<TestStore> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let location = dir.path().join("window.db").to_string_lossy().into_owned();
            Some(TestStore {
                location,
                _dir: Some(dir),
                _server: None,
            })
        }
        Backend::Postgres => {
            if std::env::var("WABLOCK_SKIP_POSTGRES").as_deref() == Ok("1") {
                eprintln!(
                    "!!! SKIPPED: PostgreSQL test skipped because WABLOCK_SKIP_POSTGRES=1 \
                     (CI must not set it)"
                );
                return None;
            }
            let server = PgServer::shared();
            let db = server.create_database();
            Some(TestStore {
                location: format!("postgres://postgres@127.0.0.1:{}/{db}", server.port),
                _dir: None,
                _server: Some(server),
            })
        }
    }
}

/// A PostgreSQL server owned by the tests running right now: started by the first, stopped
/// (even after a failure, from Drop during unwinding) when the last lets go.
pub struct PgServer {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_user: Option<&'static str>,
    databases: AtomicU64,
}

static SERVER: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());

impl PgServer {
    pub fn shared() -> Arc<PgServer> {
        let mut slot = SERVER.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(server) = slot.upgrade() {
            return server;
        }
        let server = Arc::new(PgServer::start());
        *slot = Arc::downgrade(&server);
        server
    }

    fn start() -> PgServer {
        let bin = pg_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's initdb and pg_ctl were not found (PATH, /usr/lib/postgresql/*/bin); \
                 run .ci/setup.d/50-postgres.sh, or set WABLOCK_SKIP_POSTGRES=1 to skip these tests"
            )
        });
        // initdb refuses to run as root: run the server as an unprivileged user then.
        let as_user = is_root().then_some("nobody");
        // The unprivileged user must reach the directory: TMPDIR may sit under root's home.
        let parent = match as_user {
            Some(_) => PathBuf::from("/tmp"),
            None => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix("wablock-pg-")
            .tempdir_in(parent)
            .unwrap();
        if let Some(user) = as_user {
            let status = Command::new("chown")
                .arg(user)
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(
                status.success(),
                "chown {user} {} failed",
                dir.path().display()
            );
        }
        let data = dir.path().join("data");
        let run = |program: &str, args: &[&str]| {
            let exe = bin.join(program);
            let mut cmd = match as_user {
                Some(user) => {
                    let mut c = Command::new(runuser());
                    c.args(["-u", user, "--"]).arg(&exe);
                    c
                }
                None => Command::new(&exe),
            };
            let out = cmd
                .args(args)
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
            assert!(
                out.status.success(),
                "{program} {args:?} failed: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data_s = data.to_string_lossy().into_owned();
        run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
                &data_s,
            ],
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let log = dir.path().join("server.log").to_string_lossy().into_owned();
        // `-w` waits until the server accepts connections (or fails).
        run(
            "pg_ctl",
            &["-D", &data_s, "-o", &options, "-l", &log, "-w", "start"],
        );
        PgServer {
            port,
            bin: bin.clone(),
            as_user,
            databases: AtomicU64::new(0),
            dir,
        }
    }

    /// A new empty database on this server.
    pub fn create_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            self.databases.fetch_add(1, Ordering::Relaxed)
        );
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        name
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let data = self.dir.path().join("data");
        let mut cmd = match self.as_user {
            Some(user) => {
                let mut c = Command::new(runuser());
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn pg_bin_dir() -> Option<PathBuf> {
    let has = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has(&dir) {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has(d))
        .collect();
    versions.sort();
    versions.pop()
}

/// runuser lives in sbin, which a root shell's PATH may lack.
fn runuser() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join("runuser"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("runuser (util-linux) was not found: as root, PostgreSQL must run as an unprivileged user")
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A phone number id no other test uses (the sandbox keeps state per number).
pub fn fresh_phone_number_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "9{:06}{:05}",
        std::process::id() % 1_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).unwrap()
}

pub fn client(sb_url: &str, phone_number_id: &str) -> wablock::Client {
    wablock::Client::meta(phone_number_id, wablock_sandbox::DEFAULT_ACCESS_TOKEN)
        .base_url(sb_url)
        .retry_policy(wablock::RetryPolicy::none())
        .build()
        .unwrap()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Meta webhook with one text message from `from` (phone) and/or `from_user_id` (BSUID).
pub fn message_payload(
    phone_number_id: &str,
    from: Option<&str>,
    from_user_id: Option<&str>,
    wamid: &str,
    timestamp: i64,
) -> Vec<u8> {
    let mut message = serde_json::json!({
        "id": wamid, "timestamp": timestamp.to_string(), "type": "text",
        "text": {"body": "hello again"}
    });
    let mut contact = serde_json::json!({"profile": {"name": "Sam"}});
    if let Some(from) = from {
        message["from"] = from.into();
        contact["wa_id"] = from.into();
    }
    if let Some(uid) = from_user_id {
        message["from_user_id"] = uid.into();
        contact["user_id"] = uid.into();
    }
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
            "contacts": [contact],
            "messages": [message]
        }}]}]
    }))
    .unwrap()
}

pub fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POST block requests the sandbox received for `phone_number_id` naming `user` (as sent).
pub fn block_requests_for(sb: &Sandbox, phone_number_id: &str, user: &str) -> usize {
    let log = sb.requests();
    log.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST")
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.contains(&format!("/{phone_number_id}/")))
        })
        .filter(|r| {
            r["body"]["block_users"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|i| i["user"] == user || i["user_id"] == user)
            })
        })
        .count()
}

/// Whether the sandbox's blocklist for the number holds the user (wa_id digits or BSUID).
pub fn is_blocked_in_sandbox(sb: &Sandbox, phone_number_id: &str, user: &str) -> bool {
    sb.state_json(phone_number_id)["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["wa_id"] == user || b["user_id"] == user)
}
