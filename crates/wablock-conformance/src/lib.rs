//! The Rust runner of the conformance vectors in `tests/conformance/vectors/` (format:
//! `tests/conformance/README.md`). It starts the `wablock-sandbox` binary, runs each vector
//! through the core, and compares the canonical JSON and the requests the sandbox saw.
//!
//! The integration test `tests/conformance.rs` runs every vector under `cargo test`; the
//! binary `wablock-conformance` runs them by hand and, with `--record`, writes what the core
//! produced into the vectors as a starting point for new expectations (which must then be
//! checked against docs/behaviour.md by hand).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::{Map, Value, json};
use wablock::{
    Client, Error, Fleet, RetryPolicy, blocked_users_canonical_json, canonical_string,
    is_blocked_canonical_json,
};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// `tests/conformance/vectors`.
pub fn vectors_dir() -> PathBuf {
    workspace_root().join("tests/conformance/vectors")
}

/// Where this runner writes its results: `build/conformance/rust`.
pub fn results_dir() -> PathBuf {
    workspace_root().join("build/conformance/rust")
}

/// One vector file.
#[derive(Debug, Clone)]
pub struct Vector {
    /// The file name without `.json`.
    pub file_stem: String,
    /// The path of the file.
    pub path: PathBuf,
    /// The parsed file.
    pub json: Value,
}

impl Vector {
    /// The vector's `name`.
    pub fn name(&self) -> &str {
        self.json
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(&self.file_stem)
    }
    /// The `known_core_bug` explanation, when the core is known to disagree with docs/behaviour.md.
    pub fn known_core_bug(&self) -> Option<&str> {
        self.json.get("known_core_bug").and_then(Value::as_str)
    }
}

/// Loads every `*.json` in `dir`, in file-name order.
pub fn load_vectors(dir: &Path) -> Result<Vec<Vector>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let json: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let file_stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(Vector {
            file_stem,
            path,
            json,
        });
    }
    Ok(out)
}

/// Finds the `wablock-sandbox` binary: `$WABLOCK_SANDBOX_BIN`, or next to the running
/// executable's target directory (`target/debug/`), or under the workspace's `target/`.
pub fn find_sandbox_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("WABLOCK_SANDBOX_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("WABLOCK_SANDBOX_BIN={} is not a file", p.display()))
        };
    }
    let name = format!("wablock-sandbox{}", std::env::consts::EXE_SUFFIX);
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // target/debug/deps/conformance-hash or target/debug/wablock-conformance
        for dir in exe.ancestors().skip(1).take(2) {
            candidates.push(dir.join(&name));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    candidates.push(target.join("debug").join(&name));
    candidates.push(target.join("release").join(&name));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "the sandbox binary {name} was not found (looked at {}); build it with \
                 `cargo build -p wablock-sandbox` (`cargo test --workspace` and `make test` do), \
                 or set WABLOCK_SANDBOX_BIN",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A running `wablock-sandbox --port 0 --exit-on-stdin-eof`. Dropping it closes its stdin
/// (which stops it) and reaps it.
pub struct SandboxProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    base: String,
    agent: ureq::Agent,
}

impl SandboxProcess {
    /// Starts the binary and reads its base URL from the first line of stdout.
    pub fn start(binary: &Path) -> Result<SandboxProcess, String> {
        let mut child = Command::new(binary)
            .args(["--port", "0", "--exit-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdin = child.stdin.take();
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let mut reader = BufReader::new(out);
            reader
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the sandbox's URL: {e}"))?;
        }
        let base = line.trim().to_string();
        if !base.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the sandbox printed {base:?} instead of its URL"));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Ok(SandboxProcess {
            child,
            stdin,
            base,
            agent,
        })
    }

    /// The sandbox's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// One control request; a non-2xx answer is an error.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let result = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            "POST" => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(body.unwrap_or(&json!({})).to_string()),
            other => return Err(format!("unsupported control method {other}")),
        };
        let mut resp = result.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{method} {path}: cannot read the answer: {e}"))?;
        if !(200..300).contains(&status) {
            return Err(format!("{method} {path} answered {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{method} {path}: not JSON: {e}"))
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get_u64(obj: &Value, key: &str, default: u64) -> Result<u64, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| format!("client.{key} must be a non-negative integer")),
    }
}

fn get_str<'a>(obj: &'a Value, key: &str, default: &'a str) -> Result<&'a str, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_str().ok_or_else(|| format!("{key} must be a string")),
    }
}

/// Builds the client a vector's `client` object describes (defaults of the README).
pub fn build_client(spec: &Value, base: &str) -> Result<Result<Client, Error>, String> {
    let empty = json!({});
    let spec = if spec.is_null() { &empty } else { spec };
    let builder = match get_str(spec, "provider", "meta")? {
        "meta" => Client::meta(
            get_str(spec, "phone_number_id", "1000")?,
            get_str(spec, "access_token", "sandbox-token")?,
        )
        .api_version(get_str(spec, "api_version", "v25.0")?),
        "360dialog" => Client::dialog360(get_str(spec, "api_key", "sandbox-key")?),
        other => {
            return Err(format!(
                "client.provider {other:?} is not meta or 360dialog"
            ));
        }
    };
    let retry = spec.get("retry").cloned().unwrap_or(json!({}));
    let policy = RetryPolicy {
        max_attempts: u32::try_from(get_u64(&retry, "max_attempts", 4)?)
            .map_err(|_| "retry.max_attempts is too large")?,
        initial_backoff: Duration::from_millis(get_u64(&retry, "initial_backoff_ms", 1)?),
        max_backoff: Duration::from_millis(get_u64(&retry, "max_backoff_ms", 50)?),
        jitter: retry
            .get("jitter")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let deadline = match spec.get("deadline_ms") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Duration::from_millis(
            v.as_u64()
                .ok_or("client.deadline_ms must be an integer or null")?,
        )),
    };
    let as_usize = |k: &str, d: u64| -> Result<usize, String> {
        usize::try_from(get_u64(spec, k, d)?).map_err(|_| format!("client.{k} is too large"))
    };
    let builder = builder
        .base_url(base)
        .max_batch(as_usize("max_batch", 1000)?)
        .parallelism(as_usize("parallelism", 1)?)
        .retry_policy(policy)
        .connect_timeout(Duration::from_millis(get_u64(
            spec,
            "connect_timeout_ms",
            2000,
        )?))
        .read_timeout(Duration::from_millis(get_u64(
            spec,
            "read_timeout_ms",
            2000,
        )?))
        .deadline(deadline)
        .list_restart_budget(
            u32::try_from(get_u64(spec, "list_restart_budget", 3)?)
                .map_err(|_| "client.list_restart_budget is too large")?,
        )
        .max_response_bytes(get_u64(
            spec,
            "max_response_bytes",
            wablock::DEFAULT_MAX_RESPONSE_BYTES,
        )?);
    Ok(builder.build())
}

/// The core's canonical text as a value, for comparison with a vector's `expect.result`.
fn core_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("the core's canonical JSON does not parse: {e}"))
}

fn error_result(err: &Error) -> Value {
    json!({"error": err.to_json_value()})
}

/// Runs a vector's `operation` and returns its canonical result value.
pub fn run_operation(client: &Client, op: &Value) -> Result<Value, String> {
    let name = op
        .get("op")
        .and_then(Value::as_str)
        .ok_or("operation.op (string) is required")?;
    let opt_str = |k: &str| op.get(k).and_then(Value::as_str);
    let opt_u32 = |k: &str| -> Result<Option<u32>, String> {
        match op.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| format!("operation.{k} must be an integer")),
        }
    };
    Ok(match name {
        "block" | "unblock" => {
            let users = op_users(op)?;
            let r = if name == "block" {
                client.block(&users)
            } else {
                client.unblock(&users)
            };
            match r {
                Ok(o) => json!({"outcome": o.to_json_value()}),
                Err(e) => error_result(&e),
            }
        }
        "list_page" => {
            let limit = opt_u32("limit")?;
            let cursor = wablock::Cursor::from_options(opt_str("after"), opt_str("before"));
            match cursor.and_then(|c| client.list_page(limit, c)) {
                Ok(p) => json!({"page": p.to_json_value()}),
                Err(e) => error_result(&e),
            }
        }
        "blocked_users" => {
            let (users, error) = client
                .blocked_users(opt_u32("page_size")?)
                .collect_until_error();
            core_json(&blocked_users_canonical_json(&users, error.as_ref()))?
        }
        "is_blocked" => {
            let user = opt_str("user").ok_or("operation.user (string) is required")?;
            match client.is_blocked(user) {
                Ok(b) => core_json(&is_blocked_canonical_json(b))?,
                Err(e) => error_result(&e),
            }
        }
        other => return Err(format!("unknown operation {other:?}")),
    })
}

/// A vector operation's `users`: an array of strings.
fn op_users(op: &Value) -> Result<Vec<String>, String> {
    op.get("users")
        .and_then(Value::as_array)
        .ok_or("operation.users (array of strings) is required")?
        .iter()
        .map(|u| {
            u.as_str()
                .map(str::to_string)
                .ok_or("users must be strings")
        })
        .collect::<Result<_, _>>()
        .map_err(str::to_string)
}

/// A fleet member's client: the vector's top-level `client` with the member's `client` keys
/// laid over it (`tests/conformance/README.md`, "Fleet vectors").
pub fn member_client_spec(defaults: &Value, member: &Value) -> Value {
    let mut merged = defaults.as_object().cloned().unwrap_or_default();
    if let Some(own) = member.get("client").and_then(Value::as_object) {
        for (k, v) in own {
            merged.insert(k.clone(), v.clone());
        }
    }
    Value::Object(merged)
}

/// Builds the fleet a vector's `fleet` array describes. A member's client or the fleet the
/// core refuses to build is the core's error, as for a single client.
pub fn build_fleet(
    defaults: &Value,
    members: &Value,
    total_parallelism: Option<&Value>,
    base: &str,
) -> Result<Result<Fleet, Error>, String> {
    let members = members.as_array().ok_or("fleet must be an array")?;
    let mut builder = Fleet::builder();
    for (i, member) in members.iter().enumerate() {
        let label = member
            .get("label")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("fleet[{i}].label (string) is required"))?;
        match build_client(&member_client_spec(defaults, member), base)? {
            Ok(client) => builder = builder.number(label, client),
            Err(e) => return Ok(Err(e)),
        }
    }
    match total_parallelism {
        None | Some(Value::Null) => {}
        Some(v) => {
            let n = v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("total_parallelism must be a non-negative integer")?;
            builder = builder.total_parallelism(n);
        }
    }
    Ok(builder.build())
}

/// Runs a fleet vector's `operation` (`fleet_block`, `fleet_unblock`, `fleet_is_blocked`,
/// `fleet_blocked_users`) and returns the core's canonical JSON as a value.
pub fn run_fleet_operation(fleet: &Fleet, op: &Value) -> Result<Value, String> {
    let name = op
        .get("op")
        .and_then(Value::as_str)
        .ok_or("operation.op (string) is required")?;
    let text = match name {
        "fleet_block" | "fleet_unblock" => {
            let users = op_users(op)?;
            let results = if name == "fleet_block" {
                fleet.block(&users)
            } else {
                fleet.unblock(&users)
            };
            results.to_canonical_json()
        }
        "fleet_is_blocked" => {
            let user = op
                .get("user")
                .and_then(Value::as_str)
                .ok_or("operation.user (string) is required")?;
            fleet.is_blocked(user).to_canonical_json()
        }
        "fleet_blocked_users" => {
            let page_size = match op.get("page_size") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("operation.page_size must be an integer")?,
                ),
            };
            fleet.blocked_users(page_size).to_canonical_json()
        }
        other => return Err(format!("unknown fleet operation {other:?}")),
    };
    core_json(&text)
}

/// What one vector produced.
#[derive(Debug, Clone)]
pub struct Actual {
    /// The canonical result value.
    pub result: Value,
    /// The API requests the sandbox logged (control requests excluded).
    pub requests: Vec<Value>,
}

/// Resets the sandbox, applies the setup, runs the operation and reads the request log.
pub fn run_vector(sandbox: &SandboxProcess, vector: &Vector) -> Result<Actual, String> {
    sandbox.control("POST", "/_sandbox/reset", Some(&json!({})))?;
    if let Some(steps) = vector.json.get("setup").and_then(Value::as_array) {
        for (i, step) in steps.iter().enumerate() {
            let method = step.get("method").and_then(Value::as_str).unwrap_or("POST");
            let path = step
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("setup[{i}].path is required"))?;
            sandbox
                .control(method, path, step.get("body"))
                .map_err(|e| format!("setup[{i}]: {e}"))?;
        }
    }
    let client_spec = vector.json.get("client").cloned().unwrap_or(Value::Null);
    if let Some(members) = vector.json.get("fleet") {
        let operation = vector
            .json
            .get("operation")
            .ok_or("operation is required")?;
        let result = match build_fleet(
            &client_spec,
            members,
            vector.json.get("total_parallelism"),
            sandbox.base_url(),
        )? {
            Ok(fleet) => run_fleet_operation(&fleet, operation)?,
            Err(e) => error_result(&e),
        };
        let log = sandbox.control("GET", "/_sandbox/requests", None)?;
        let mut requests = log.as_array().cloned().unwrap_or_default();
        // Numbers run in parallel, so the log interleaves them: each number's requests keep
        // their order once the log is stably sorted by path (README, "Fleet vectors").
        requests.sort_by(|a, b| {
            let path = |r: &Value| r.get("path").and_then(Value::as_str).map(str::to_owned);
            path(a).cmp(&path(b))
        });
        return Ok(Actual { result, requests });
    }
    let result = match build_client(&client_spec, sandbox.base_url())? {
        Ok(client) => run_operation(
            &client,
            vector
                .json
                .get("operation")
                .ok_or("operation is required")?,
        )?,
        Err(e) => error_result(&e),
    };
    let log = sandbox.control("GET", "/_sandbox/requests", None)?;
    let requests = log.as_array().cloned().unwrap_or_default();
    Ok(Actual { result, requests })
}

/// Differences between a vector's expectations and what happened; empty when it passes.
pub fn compare(vector: &Vector, actual: &Actual) -> Vec<String> {
    let mut problems = Vec::new();
    let expect = vector.json.get("expect").cloned().unwrap_or(Value::Null);
    match expect.get("result") {
        None => problems.push("expect.result is missing".into()),
        Some(want) => {
            let (w, a) = (canonical_string(want), canonical_string(&actual.result));
            if w != a {
                problems.push(format!(
                    "result differs:\n{}",
                    diff_json(want, &actual.result, "$")
                        .into_iter()
                        .map(|l| format!("    {l}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ));
            }
        }
    }
    if let Some(want) = expect.get("requests").and_then(Value::as_array) {
        if want.len() != actual.requests.len() {
            problems.push(format!(
                "expected {} request(s), the sandbox saw {}: {}",
                want.len(),
                actual.requests.len(),
                actual
                    .requests
                    .iter()
                    .map(|r| format!(
                        "{} {}",
                        r.get("method").and_then(Value::as_str).unwrap_or("?"),
                        r.get("path").and_then(Value::as_str).unwrap_or("?")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (i, (w, a)) in want.iter().zip(&actual.requests).enumerate() {
            let Some(wobj) = w.as_object() else {
                problems.push(format!("expect.requests[{i}] is not an object"));
                continue;
            };
            for (k, wv) in wobj {
                let av = a.get(k).unwrap_or(&Value::Null);
                if canonical_string(wv) != canonical_string(av) {
                    problems.push(format!(
                        "request {i} {k}: expected {}, got {}",
                        short(wv),
                        short(av)
                    ));
                }
            }
        }
    }
    problems
}

fn short(v: &Value) -> String {
    let s = canonical_string(v);
    if s.len() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}… ({} bytes)", s.len())
    } else {
        s
    }
}

/// A path-by-path diff of two JSON values.
pub fn diff_json(want: &Value, got: &Value, path: &str) -> Vec<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let mut keys: Vec<&String> = w.keys().chain(g.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let p = format!("{path}.{k}");
                    match (w.get(k), g.get(k)) {
                        (Some(a), Some(b)) => diff_json(a, b, &p),
                        (Some(a), None) => vec![format!("{p}: expected {}, missing", short(a))],
                        (None, Some(b)) => vec![format!("{p}: unexpected {}", short(b))],
                        (None, None) => vec![],
                    }
                })
                .collect()
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .flat_map(|(i, (a, b))| diff_json(a, b, &format!("{path}[{i}]")))
            .collect(),
        _ if want == got => vec![],
        _ => vec![format!(
            "{path}: expected {}, got {}",
            short(want),
            short(got)
        )],
    }
}

/// The request items `--record` writes: method, path, query, auth and body.
pub fn recorded_requests(actual: &Actual) -> Vec<Value> {
    actual
        .requests
        .iter()
        .map(|r| {
            let mut m = Map::new();
            for k in ["method", "path", "query", "auth", "body"] {
                m.insert(k.into(), r.get(k).cloned().unwrap_or(Value::Null));
            }
            Value::Object(m)
        })
        .collect()
}

/// Writes `build/conformance/rust/<file_stem>.json`: the canonical result, one line, no
/// trailing newline.
pub fn write_result(dir: &Path, vector: &Vector, result: &Value) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{}.json", vector.file_stem));
    std::fs::write(&path, canonical_string(result))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The verdict on one vector.
#[derive(Debug)]
pub enum Verdict {
    /// Matches.
    Pass,
    /// Differs (the problems).
    Fail(Vec<String>),
    /// Differs, and the vector says the core is known to disagree with docs/behaviour.md.
    KnownCoreBug(String, Vec<String>),
    /// Marked `known_core_bug` but matches: the marker is stale.
    StaleMarker(String),
    /// Could not run (setup failed, bad vector).
    Broken(String),
}

/// Runs every vector; returns the verdicts in order. Results are written to `results`.
pub fn run_all(
    sandbox: &SandboxProcess,
    vectors: &[Vector],
    results: Option<&Path>,
) -> Vec<(String, Verdict)> {
    vectors
        .iter()
        .map(|v| {
            let verdict = match run_vector(sandbox, v) {
                Err(e) => Verdict::Broken(e),
                Ok(actual) => {
                    if let Some(dir) = results {
                        if let Err(e) = write_result(dir, v, &actual.result) {
                            return (v.file_stem.clone(), Verdict::Broken(e));
                        }
                    }
                    let problems = compare(v, &actual);
                    match (v.known_core_bug(), problems.is_empty()) {
                        (None, true) => Verdict::Pass,
                        (None, false) => Verdict::Fail(problems),
                        (Some(why), false) => Verdict::KnownCoreBug(why.to_string(), problems),
                        (Some(why), true) => Verdict::StaleMarker(why.to_string()),
                    }
                }
            };
            (v.file_stem.clone(), verdict)
        })
        .collect()
}

/// A human-readable report; the second value is true when the suite passes (known core bugs
/// are expected failures; stale markers and mismatches fail it).
pub fn report(verdicts: &[(String, Verdict)]) -> (String, bool) {
    let mut out = String::new();
    let (mut pass, mut known, mut bad) = (0, 0, 0);
    for (name, v) in verdicts {
        match v {
            Verdict::Pass => pass += 1,
            Verdict::KnownCoreBug(why, problems) => {
                known += 1;
                out.push_str(&format!(
                    "EXPECTED FAILURE {name} (known_core_bug: {why})\n  {}\n",
                    problems.join("\n  ")
                ));
            }
            Verdict::Fail(problems) => {
                bad += 1;
                out.push_str(&format!("FAIL {name}\n  {}\n", problems.join("\n  ")));
            }
            Verdict::StaleMarker(why) => {
                bad += 1;
                out.push_str(&format!(
                    "FAIL {name}: marked known_core_bug ({why}) but now passes: remove the marker\n"
                ));
            }
            Verdict::Broken(e) => {
                bad += 1;
                out.push_str(&format!("BROKEN {name}: {e}\n"));
            }
        }
    }
    out.push_str(&format!(
        "conformance (rust): {} vectors, {pass} passed, {known} known core bug(s), {bad} failed\n",
        verdicts.len()
    ));
    (out, bad == 0)
}
