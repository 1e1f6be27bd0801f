//! One fault run: set up the sandbox, block then unblock with faults queued at random points,
//! and check every invariant after each call.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use wablock::users::UserId;
use wablock::{
    Client, Error, ErrorKind, FakeClock, Operation, Outcome, Progress, Reason, RetryPolicy,
};
use wablock_sandbox::{
    DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, DIALOG360_PHONE_NUMBER_ID, Sandbox, WABA_ID,
};

use crate::checks::{Expectations, check_accounting, check_applied};
use crate::rng::Rng;

/// Which API dialect a run speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Meta's Cloud API (`/v25.0/{id}/block_users`, bearer token).
    Meta,
    /// 360dialog (`/block_users`, `D360-API-KEY`).
    Dialog360,
}

/// The shape of every run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Inputs per call (a few are duplicates or invalid on purpose).
    pub users: usize,
    /// Batches in flight at once.
    pub parallelism: usize,
    /// Users per request.
    pub max_batch: usize,
    /// The client's retry policy (no jitter, so every backoff sleep can be checked exactly).
    pub retry: RetryPolicy,
    /// The client's read timeout; [`Fault::Slow`] answers take longer.
    pub read_timeout: Duration,
    /// How long a [`Fault::Slow`] answer waits before it starts.
    pub slow_delay: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            users: 5_000,
            parallelism: 4,
            max_batch: 1_000,
            retry: RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_millis(50),
                jitter: false,
            },
            // The debug build is several times slower: give real answers room, so that only
            // the scripted slow answers time out.
            read_timeout: Duration::from_millis(if cfg!(debug_assertions) { 1_000 } else { 150 }),
            slow_delay: Duration::from_millis(if cfg!(debug_assertions) { 1_100 } else { 200 }),
        }
    }
}

/// A scripted fault, served by the sandbox instead of its real logic (so it changes no state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// HTTP 500 with an empty body, 360dialog's text error, or a transient Graph error.
    Http500,
    /// HTTP 502 with an HTML error page.
    HtmlPage502,
    /// Graph code 139103 (Meta's internal error) with HTTP 500, 503 or 400.
    Server139103,
    /// Graph code 130429 with a small `Retry-After` (or a usage header), HTTP 429 or 400.
    RateLimited130429,
    /// Graph code 130429 with `Retry-After: 120`, longer than the backoff cap: not slept.
    RetryAfterTooLong,
    /// Headers with the full `Content-Length`, half the body, then the connection closes.
    DropMidBody,
    /// The request is read and the connection closes without a byte.
    DropBeforeResponse,
    /// The answer starts after the client's read timeout has passed.
    Slow,
    /// HTTP 500 whose JSON body is cut short.
    TruncatedJson500,
    /// HTTP 200 whose JSON body is cut short: not an outcome, not retried (`PROTOCOL`).
    TruncatedJson200,
    /// HTTP 200 with an HTML page (a captive portal): `PROTOCOL`.
    HtmlPage200,
    /// HTTP 200 that mentions nobody: every user of the batch is `UNCONFIRMED`.
    EmptySuccess,
    /// HTTP 401 (code 190, or 360dialog's text): `AUTH`, stops the call.
    Unauthorized,
}

impl Fault {
    /// Every fault, in a fixed order.
    pub const ALL: [Fault; 13] = [
        Fault::Http500,
        Fault::HtmlPage502,
        Fault::Server139103,
        Fault::RateLimited130429,
        Fault::RetryAfterTooLong,
        Fault::DropMidBody,
        Fault::DropBeforeResponse,
        Fault::Slow,
        Fault::TruncatedJson500,
        Fault::TruncatedJson200,
        Fault::HtmlPage200,
        Fault::EmptySuccess,
        Fault::Unauthorized,
    ];

    /// Relative frequency (per mille) of random draws; the 401 is injected halfway instead.
    const WEIGHTS: [(Fault, u64); 12] = [
        (Fault::Http500, 260),
        (Fault::HtmlPage502, 100),
        (Fault::Server139103, 130),
        (Fault::RateLimited130429, 130),
        (Fault::RetryAfterTooLong, 10),
        (Fault::DropMidBody, 130),
        (Fault::DropBeforeResponse, 70),
        (Fault::Slow, 15),
        (Fault::TruncatedJson500, 100),
        (Fault::TruncatedJson200, 15),
        (Fault::HtmlPage200, 10),
        (Fault::EmptySuccess, 30),
    ];

    fn draw(rng: &mut Rng) -> Fault {
        let total: u64 = Fault::WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut x = rng.below(total);
        for (fault, weight) in Fault::WEIGHTS {
            if x < weight {
                return fault;
            }
            x -= weight;
        }
        Fault::Http500
    }

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Http500 => "http_500",
            Fault::HtmlPage502 => "html_page_502",
            Fault::Server139103 => "graph_139103",
            Fault::RateLimited130429 => "graph_130429_retry_after",
            Fault::RetryAfterTooLong => "retry_after_over_cap",
            Fault::DropMidBody => "drop_mid_body",
            Fault::DropBeforeResponse => "drop_before_response",
            Fault::Slow => "slow_past_read_timeout",
            Fault::TruncatedJson500 => "truncated_json_500",
            Fault::TruncatedJson200 => "truncated_json_200",
            Fault::HtmlPage200 => "html_page_200",
            Fault::EmptySuccess => "empty_success",
            Fault::Unauthorized => "http_401",
        }
    }

    /// The error kind the call reports if this fault is the last answer a batch gets; `None`
    /// when the fault is an outcome (users `UNCONFIRMED`), not an error.
    pub fn error_kind(self) -> Option<ErrorKind> {
        Some(match self {
            Fault::Http500 | Fault::HtmlPage502 | Fault::Server139103 | Fault::TruncatedJson500 => {
                ErrorKind::Server
            }
            Fault::RateLimited130429 | Fault::RetryAfterTooLong => ErrorKind::RateLimited,
            Fault::DropMidBody | Fault::DropBeforeResponse => ErrorKind::Network,
            Fault::Slow => ErrorKind::Timeout,
            Fault::TruncatedJson200 | Fault::HtmlPage200 => ErrorKind::Protocol,
            Fault::Unauthorized => ErrorKind::Auth,
            Fault::EmptySuccess => return None,
        })
    }

    /// True when the client must not retry past this fault: the call fails at once.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            Fault::RetryAfterTooLong
                | Fault::TruncatedJson200
                | Fault::HtmlPage200
                | Fault::Unauthorized
        )
    }

    /// True when the fault leaves the batch's users `UNCONFIRMED` (an answer, not an error).
    fn unconfirms(self) -> bool {
        matches!(self, Fault::EmptySuccess | Fault::Slow)
    }

    /// The `/_sandbox/script` item for this fault.
    pub fn script(self, dialect: Dialect, cfg: &RunConfig, rng: &mut Rng) -> Value {
        let graph = |code: i64, message: &str| {
            json!({"error": {"message": message, "type": "OAuthException", "code": code,
                "error_data": {"details": "injected by the fault suite"}, "fbtrace_id": "AfaultTrace"}})
        };
        let empty_success =
            json!({"messaging_product": "whatsapp", "block_users": {"added_users": []}});
        match self {
            Fault::Http500 => match rng.below(3) {
                0 => json!({"status": 500, "body": ""}),
                1 => json!({"status": 500, "json": {"error": "Internal Server Error"}}),
                _ => {
                    json!({"status": 500, "json": {"error": {"message": "An unknown error occurred",
                    "type": "OAuthException", "code": 1, "is_transient": true}}})
                }
            },
            Fault::HtmlPage502 => json!({"status": 502, "headers": {"Content-Type": "text/html"},
                "body": "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"}),
            Fault::Server139103 => json!({"status": *rng.pick(&[500, 503, 400]),
                "json": graph(139103, "(#139103) Internal error")}),
            Fault::RateLimited130429 => {
                let headers = match rng.below(3) {
                    0 => json!({"Retry-After": "0.002"}),
                    1 => json!({"Retry-After": "0.003"}),
                    _ => json!({"x-business-use-case-usage":
                        json!({WABA_ID: [{"type": "whatsapp", "call_count": 100, "total_cputime": 1,
                            "total_time": 1, "estimated_time_to_regain_access": 0}]}).to_string()}),
                };
                json!({"status": *rng.pick(&[429, 400]), "headers": headers,
                    "json": graph(130429, "(#130429) Rate limit hit")})
            }
            Fault::RetryAfterTooLong => json!({"status": 429, "headers": {"Retry-After": "120"},
                "json": graph(130429, "(#130429) Rate limit hit")}),
            Fault::DropMidBody => json!({"fault": "drop_mid_body", "json": empty_success}),
            Fault::DropBeforeResponse => json!({"fault": "drop_before_response"}),
            Fault::Slow => {
                json!({"delay_ms": cfg.slow_delay.as_millis() as u64, "json": empty_success})
            }
            Fault::TruncatedJson500 => json!({"status": 500,
                "body": "{\"error\":{\"message\":\"(#1) An unknown err"}),
            Fault::TruncatedJson200 => json!({"status": 200,
                "body": "{\"messaging_product\":\"whatsapp\",\"block_users\":{\"added_users\":[{\"input\":\"+1650"}),
            Fault::HtmlPage200 => {
                json!({"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
                "body": "<!DOCTYPE html><html><body><form action=\"/login\">Sign in to continue</form></body></html>"})
            }
            Fault::EmptySuccess => match rng.below(3) {
                0 => json!({"json": empty_success}),
                1 => json!({"json": {"messaging_product": "whatsapp"}}),
                _ => json!({"json": {}}),
            },
            Fault::Unauthorized => match dialect {
                Dialect::Meta => json!({"status": 401, "json": graph(190,
                    "Invalid OAuth access token - Cannot parse access token")}),
                Dialect::Dialog360 => json!({"status": 401, "json": {"error": "Invalid api key"}}),
            },
        }
    }
}

/// Counters over many runs, for the report and the docs' figures.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Runs completed.
    pub runs: u64,
    /// Block/unblock calls made.
    pub calls: u64,
    /// Calls that ended in an error (with `partial`/`not_attempted` checked).
    pub calls_failed: u64,
    /// HTTP requests the sandbox saw.
    pub requests: u64,
    /// Inputs accounted for, summed over calls.
    pub inputs: u64,
    /// Faults queued.
    pub faults_queued: u64,
    /// Faults actually served to the client, by kind (401s by token rotation included).
    pub faults_served: BTreeMap<&'static str, u64>,
    /// Final error kinds.
    pub errors: BTreeMap<&'static str, u64>,
    /// Backoff sleeps checked.
    pub sleeps: u64,
    /// Requests the client sent but abandoned on its read timeout before the sandbox read
    /// them (so the sandbox never logged them). Zero on an idle machine.
    pub abandoned_requests: u64,
    /// Retries no served fault explains: real answers that missed the read timeout because
    /// the machine was busy. Reported, since they void the "must succeed" check of a call.
    pub unexplained_retries: u64,
}

impl Stats {
    /// Faults served in all.
    pub fn served_total(&self) -> u64 {
        self.faults_served.values().sum()
    }
}

/// How the 401 halfway through is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthFault {
    /// A scripted 401 queued for the next request.
    Scripted,
    /// The sandbox's credential is changed: every later request gets a real 401.
    Rotated,
}

/// What a phase queued, and where.
struct PhasePlan {
    /// Faults to queue after progress step `i` (step 0: before the call).
    steps: Vec<Vec<Fault>>,
    step: usize,
    auth: Option<AuthFault>,
    auth_done: bool,
    pushed: Vec<Fault>,
    errors: Vec<String>,
}

/// Fixed facts of one run.
struct RunSetup {
    dialect: Dialect,
    phone_number_id: String,
    own: String,
    business: String,
    exp: Expectations,
}

/// Per-run fault bookkeeping: faults are served FIFO, so the queue length before and after a
/// call says exactly which queued faults that call received.
struct FaultLog {
    queued: Vec<Fault>,
    served: usize,
}

/// Runs one seeded run (block, then unblock, each with faults) on `sandbox`, which must have
/// been started with `open: true`. Returns a description of the first broken invariant.
pub fn run_one(
    sandbox: &Sandbox,
    seed: u64,
    cfg: &RunConfig,
    stats: &mut Stats,
) -> Result<(), String> {
    sandbox.reset();
    let mut rng = Rng::new(seed);
    let setup = set_up(sandbox, cfg, &mut rng)?;
    let mut log = FaultLog {
        queued: Vec::new(),
        served: 0,
    };
    for operation in [Operation::Block, Operation::Unblock] {
        run_phase(sandbox, cfg, &setup, operation, &mut rng, &mut log, stats)
            .map_err(|e| format!("{} ({:?} dialect): {e}", operation.as_str(), setup.dialect))?;
    }
    stats.runs += 1;
    Ok(())
}

fn set_up(sandbox: &Sandbox, cfg: &RunConfig, rng: &mut Rng) -> Result<RunSetup, String> {
    let dialect = if rng.chance(250) {
        Dialect::Dialog360
    } else {
        Dialect::Meta
    };
    let phone_number_id = match dialect {
        Dialect::Meta => format!("1{}", rng.digits(14)),
        Dialect::Dialog360 => DIALOG360_PHONE_NUMBER_ID.to_string(),
    };
    if rng.chance(500) {
        // Mixed answers (the own number, a business account) as HTTP 400 + 139100.
        sandbox.set_config(&json!({"mixed_style": "400"}))?;
    }
    let own = format!("1555{}", rng.digits(7));
    let business = format!("1556{}", rng.digits(7));
    sandbox.configure_phone(
        &json!({"phone_number_id": phone_number_id, "own_wa_id": own,
        "business_accounts": [business]}),
    )?;
    let inputs = make_inputs(cfg.users, &own, &business, rng);
    Ok(RunSetup {
        dialect,
        phone_number_id,
        own,
        business,
        exp: Expectations::new(inputs),
    })
}

/// Mostly distinct phone numbers in many writings, plus BSUIDs, duplicates written another
/// way, invalid strings, the number's own WA ID and a business account.
fn make_inputs(n: usize, own: &str, business: &str, rng: &mut Rng) -> Vec<String> {
    const INVALID: [&str; 9] = [
        "not-a-number",
        "12",
        "+1 650 555 12345678901",
        "US.ENT.1234567",
        "us.abc",
        "",
        "☎ 16505551234",
        "++16505551234",
        "1650555123x",
    ];
    let mut seen = HashSet::new();
    let mut phones: Vec<String> = Vec::new();
    let mut inputs = Vec::with_capacity(n);
    while inputs.len() < n.saturating_sub(2) {
        let r = rng.below(1000);
        if r < 5 {
            inputs.push(rng.pick(&INVALID).to_string());
        } else if r == 5 {
            inputs.push("9".repeat(300));
        } else if r < 16 && !phones.is_empty() {
            let digits = rng.pick(&phones).clone();
            inputs.push(write_phone(&digits, rng));
        } else if r < 26 {
            let bsuid = format!("US.{}", rng.digits(18));
            if seen.insert(bsuid.clone()) {
                inputs.push(bsuid);
            }
        } else {
            let digits = format!("1{}", rng.digits(10));
            if digits.starts_with("1555")
                || digits.starts_with("1556")
                || !seen.insert(digits.clone())
            {
                continue;
            }
            inputs.push(write_phone(&digits, rng));
            phones.push(digits);
        }
    }
    for special in [own, business] {
        let at = rng.below(inputs.len() as u64 + 1) as usize;
        inputs.insert(at, write_phone(special, rng));
    }
    inputs
}

/// An 11-digit number in one of the common writings.
fn write_phone(d: &str, rng: &mut Rng) -> String {
    let (c, a, b, e) = (&d[..1], &d[1..4], &d[4..7], &d[7..]);
    match rng.below(6) {
        0 => format!("+{d}"),
        1 => d.to_string(),
        2 => format!("+{c} ({a}) {b}-{e}"),
        3 => format!("{c}.{a}.{b}.{e}"),
        4 => format!(" +{c} {a} {b} {e} "),
        _ => format!("{c}-{a}-{b}-{e}"),
    }
}

fn queue_len(sandbox: &Sandbox) -> Result<usize, String> {
    sandbox.push_scripts(&json!({"responses": []}))
}

#[allow(clippy::too_many_arguments)]
fn run_phase(
    sandbox: &Sandbox,
    cfg: &RunConfig,
    setup: &RunSetup,
    operation: Operation,
    rng: &mut Rng,
    log: &mut FaultLog,
    stats: &mut Stats,
) -> Result<(), String> {
    let batches = cfg.users.div_ceil(cfg.max_batch);
    let mut steps = Vec::with_capacity(batches + 1);
    for _ in 0..=batches {
        let count = match rng.below(100) {
            0..45 => 0,
            45..75 => 1,
            75..92 => 2,
            _ => 3,
        };
        steps.push((0..count).map(|_| Fault::draw(rng)).collect::<Vec<_>>());
    }
    let auth = rng.chance(100).then(|| {
        if rng.chance(500) {
            AuthFault::Scripted
        } else {
            AuthFault::Rotated
        }
    });
    let scripts: Vec<Vec<Value>> = steps
        .iter()
        .map(|faults| {
            faults
                .iter()
                .map(|f| f.script(setup.dialect, cfg, rng))
                .collect()
        })
        .collect();
    let auth_script = Fault::Unauthorized.script(setup.dialect, cfg, rng);
    let plan = Mutex::new(PhasePlan {
        steps,
        step: 0,
        auth,
        auth_done: false,
        pushed: Vec::new(),
        errors: Vec::new(),
    });
    let push = |plan: &mut PhasePlan, step: usize| {
        if let (Some(faults), Some(bodies)) = (plan.steps.get(step).cloned(), scripts.get(step)) {
            if faults.is_empty() {
                return;
            }
            match sandbox.push_scripts(&json!({ "responses": bodies })) {
                Ok(_) => plan.pushed.extend(faults),
                Err(e) => plan.errors.push(format!("queueing faults: {e}")),
            }
        }
    };
    let rotated_credential = json!(match setup.dialect {
        Dialect::Meta => json!({"access_token": "rotated-token-value"}),
        Dialect::Dialog360 => json!({"api_key": "rotated-key-value"}),
    });
    let on_progress = |p: Progress| {
        let mut plan = plan.lock().unwrap_or_else(PoisonError::into_inner);
        plan.step += 1;
        let step = plan.step;
        push(&mut plan, step);
        // With 4 batches in flight from the start, the first finished batch is the last point
        // at which unsent batches remain: the 401 lands mid-call, before the rest are sent.
        if !plan.auth_done && p.done < p.total {
            match plan.auth {
                Some(AuthFault::Scripted) => {
                    match sandbox.push_scripts(&json!({"responses": [auth_script.clone()]})) {
                        Ok(_) => plan.pushed.push(Fault::Unauthorized),
                        Err(e) => plan.errors.push(format!("queueing the 401: {e}")),
                    }
                }
                Some(AuthFault::Rotated) => {
                    if let Err(e) = sandbox.set_config(&rotated_credential) {
                        plan.errors.push(format!("rotating the credential: {e}"));
                    }
                }
                None => {}
            }
            plan.auth_done = true;
        }
        ControlFlow::Continue(())
    };

    let clock = Arc::new(FakeClock::new());
    let builder = match setup.dialect {
        Dialect::Meta => Client::meta(&setup.phone_number_id, DEFAULT_ACCESS_TOKEN),
        Dialect::Dialog360 => Client::dialog360(DEFAULT_API_KEY),
    };
    let client = builder
        .base_url(sandbox.base_url())
        .parallelism(cfg.parallelism)
        .max_batch(cfg.max_batch)
        .retry_policy(cfg.retry.clone())
        .read_timeout(cfg.read_timeout)
        .clock(clock.clone())
        .build()
        .map_err(|e| format!("building the client: {e}"))?;

    sandbox.clear_requests();
    let queued_before = queue_len(sandbox)?;
    {
        let mut p = plan.lock().unwrap_or_else(PoisonError::into_inner);
        push(&mut p, 0);
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        client.mutate(operation, &setup.exp.inputs, Some(&on_progress))
    }))
    .map_err(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("the client panicked: {text}")
    })?;
    let plan = plan.into_inner().unwrap_or_else(PoisonError::into_inner);
    let rotated = plan.auth == Some(AuthFault::Rotated) && plan.auth_done;
    if rotated {
        let restore = match setup.dialect {
            Dialect::Meta => json!({"access_token": DEFAULT_ACCESS_TOKEN}),
            Dialect::Dialog360 => json!({"api_key": DEFAULT_API_KEY}),
        };
        sandbox.set_config(&restore)?;
    }
    if let Some(e) = plan.errors.first() {
        return Err(e.clone());
    }

    // Exactly the faults this call received: FIFO, so the first `served_now` not yet served.
    let queued_after = queue_len(sandbox)?;
    log.queued.extend(&plan.pushed);
    let served_now = (queued_before + plan.pushed.len())
        .checked_sub(queued_after)
        .ok_or("the script queue grew by itself")?;
    let served: Vec<Fault> = log.queued[log.served..log.served + served_now].to_vec();
    log.served += served_now;
    stats.faults_queued += plan.pushed.len() as u64;
    for f in &served {
        *stats.faults_served.entry(f.name()).or_default() += 1;
    }

    let requests = sandbox.requests();
    let state = sandbox.state_json(&setup.phone_number_id);
    let view = Checked {
        cfg,
        setup,
        operation,
        served: &served,
        rotated,
        canonical: rng.chance(100),
    };
    let logged = view.check_requests(&requests)?;
    stats.requests += logged as u64;
    stats.calls += 1;
    stats.inputs += setup.exp.inputs.len() as u64;
    let sleeps = clock.sleeps();
    stats.sleeps += sleeps.len() as u64;
    view.check_sleeps(&sleeps, batches)?;
    if rotated {
        // Every request after the rotation got a real 401; count one served fault.
        *stats.faults_served.entry("http_401_rotated").or_default() += 1;
    }
    let client_requests = match &result {
        Ok(outcome) => {
            view.check_accounting(Some(outcome), &[])?;
            view.check_outcome(outcome, &state)?;
            Some(outcome.requests as usize)
        }
        Err(err) => {
            stats.calls_failed += 1;
            *stats.errors.entry(err.kind().as_str()).or_default() += 1;
            view.check_error(err, &state)?;
            err.partial().map(|p| p.requests as usize)
        }
    };
    // The client counts every request it sends; the sandbox logs those it reads. They differ
    // only by requests abandoned on a read timeout before the sandbox read them (a loaded
    // machine); never the other way, and never beyond the policy's bound.
    let mut lost = 0;
    if let Some(sent) = client_requests {
        if sent < logged {
            return Err(format!(
                "the client counted {sent} requests but the sandbox saw {logged}"
            ));
        }
        if sent > batches * cfg.retry.max_attempts as usize {
            return Err(format!("{sent} requests for {batches} batches"));
        }
        lost = sent - logged;
        stats.abandoned_requests += lost as u64;
    }
    // Each retry must be explained by a served fault; one that is not was a real answer that
    // missed the read timeout on a loaded machine (harmless, but it voids the next check).
    let errors_served = served.iter().filter(|f| f.error_kind().is_some()).count();
    if lost > 0 || logged > batches + errors_served {
        stats.unexplained_retries += (logged + lost).saturating_sub(batches + errors_served) as u64;
        return Ok(());
    }
    view.check_must_succeed(&result)
}

/// The facts one call is checked against.
struct Checked<'a> {
    cfg: &'a RunConfig,
    setup: &'a RunSetup,
    operation: Operation,
    served: &'a [Fault],
    rotated: bool,
    canonical: bool,
}

impl Checked<'_> {
    fn check_accounting(
        &self,
        outcome: Option<&Outcome>,
        not_attempted: &[String],
    ) -> Result<(), String> {
        check_accounting(&self.setup.exp, outcome, not_attempted)
    }

    /// Reasons, sent forms, and the sandbox's state against every success.
    fn check_outcome(&self, outcome: &Outcome, state: &Value) -> Result<(), String> {
        if outcome.operation != self.operation {
            return Err("the outcome names the wrong operation".into());
        }
        let sent_for = |input: &str| -> Option<(&UserId, &String)> {
            let e = self.setup.exp.get(input)?;
            Some((&e.id, &e.sent))
        };
        let unconfirmed_possible = self.served.iter().any(|f| f.unconfirms());
        check_applied(&self.setup.exp, outcome, state)?;
        for f in &outcome.failed {
            let expected: &[Reason] = match sent_for(&f.input) {
                None => &[Reason::InvalidUser],
                Some((id, _))
                    if self.operation == Operation::Block && id.key() == self.setup.own =>
                {
                    &[Reason::SelfBlock, Reason::Unconfirmed]
                }
                Some((id, _))
                    if self.operation == Operation::Block && id.key() == self.setup.business =>
                {
                    &[Reason::ReengagementRequired, Reason::Unconfirmed]
                }
                Some(_) => &[Reason::Unconfirmed],
            };
            let ok = expected.contains(&f.reason)
                && (f.reason != Reason::Unconfirmed || unconfirmed_possible);
            if !ok {
                return Err(format!(
                    "{:?} failed with {} ({}); expected one of {expected:?} (faults served: {:?})",
                    f.input, f.reason, f.message, self.served
                ));
            }
            match (f.reason, &f.sent, sent_for(&f.input)) {
                (Reason::InvalidUser, None, _) => {}
                (_, Some(sent), Some((_, expected))) if sent == expected => {}
                _ => {
                    return Err(format!(
                        "{:?} failed with a wrong sent form {:?}",
                        f.input, f.sent
                    ));
                }
            }
            if f.hint != f.reason.hint() {
                return Err(format!("{:?} carries the wrong hint", f.input));
            }
        }
        // The canonical JSON says the same as the object (sampled: it is the costliest check).
        if !self.canonical {
            return Ok(());
        }
        let v: Value = serde_json::from_str(&outcome.to_canonical_json())
            .map_err(|e| format!("canonical JSON does not parse: {e}"))?;
        let n = |k: &str| v["outcome"][k].as_array().map_or(usize::MAX, Vec::len);
        if n("succeeded") != outcome.succeeded.len() || n("failed") != outcome.failed.len() {
            return Err("canonical JSON disagrees with the outcome".into());
        }
        Ok(())
    }

    fn check_error(&self, err: &Error, state: &Value) -> Result<(), String> {
        let mut allowed: HashSet<ErrorKind> =
            self.served.iter().filter_map(|f| f.error_kind()).collect();
        // A loaded machine may make a real answer miss the read timeout.
        allowed.insert(ErrorKind::Timeout);
        if self.rotated {
            allowed.insert(ErrorKind::Auth);
        }
        if !allowed.contains(&err.kind()) {
            return Err(format!(
                "error {} ({}) although the faults served were {:?}",
                err.kind(),
                err.message(),
                self.served
            ));
        }
        if err.is_retryable() != err.kind().is_retryable() {
            return Err(format!(
                "error {} has retryable = {}",
                err.kind(),
                err.is_retryable()
            ));
        }
        if err.kind() == ErrorKind::RateLimited
            && self.served.contains(&Fault::RetryAfterTooLong)
            && err
                .retry_after()
                .is_some_and(|d| d != Duration::from_secs(120))
            && !self.served.contains(&Fault::RateLimited130429)
        {
            return Err(format!(
                "retry_after is {:?}, the server said 120 s",
                err.retry_after()
            ));
        }
        self.check_accounting(err.partial(), err.not_attempted())?;
        if let Some(partial) = err.partial() {
            self.check_outcome(partial, state)?;
        }
        // An invalid input is never sent, so it is always answered (INVALID_USER), never pending.
        if err
            .not_attempted()
            .iter()
            .any(|i| self.setup.exp.get(i).is_none())
        {
            return Err("an invalid input is listed as not_attempted".into());
        }
        Ok(())
    }

    /// Requests as the sandbox logged them: the right method and auth, batches within
    /// `max_batch`, only valid users in their first spelling, each user sent at most
    /// `max_attempts` times. Returns how many requests there were.
    fn check_requests(&self, log: &Value) -> Result<usize, String> {
        let entries = log.as_array().ok_or("the request log is not an array")?;
        let method = match self.operation {
            Operation::Block => "POST",
            Operation::Unblock => "DELETE",
        };
        let valid_sent = &self.setup.exp.valid_sent;
        let mut attempts: HashMap<String, u32> = HashMap::new();
        for entry in entries {
            if entry["method"] != method {
                return Err(format!("unexpected request {}", entry["method"]));
            }
            let auth = match self.setup.dialect {
                Dialect::Meta => "bearer",
                Dialect::Dialog360 => "d360",
            };
            if entry["auth"] != auth {
                return Err(format!("a request went out with auth {}", entry["auth"]));
            }
            let users = entry["body"]["block_users"].as_array().ok_or_else(|| {
                format!(
                    "a request body is not a block_users list: {}",
                    entry["body"]
                )
            })?;
            if users.is_empty() || users.len() > self.cfg.max_batch {
                return Err(format!(
                    "a request carried {} users (max_batch {})",
                    users.len(),
                    self.cfg.max_batch
                ));
            }
            let mut in_request = HashSet::new();
            for u in users {
                let sent = u
                    .get("user")
                    .or_else(|| u.get("user_id"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("a request item has no user: {u}"))?;
                if !valid_sent.contains(sent) {
                    return Err(format!(
                        "{sent:?} was sent but is not the first spelling of a valid input"
                    ));
                }
                if !in_request.insert(sent) {
                    return Err(format!("{sent:?} appears twice in one request"));
                }
                let n = attempts.entry(sent.to_string()).or_default();
                *n += 1;
                if *n > self.cfg.retry.max_attempts {
                    return Err(format!(
                        "{sent:?} was sent {n} times; the policy allows {} attempts",
                        self.cfg.retry.max_attempts
                    ));
                }
            }
        }
        let batches = self.cfg.users.div_ceil(self.cfg.max_batch);
        if entries.len() > batches * self.cfg.retry.max_attempts as usize {
            return Err(format!("{} requests for {batches} batches", entries.len()));
        }
        Ok(entries.len())
    }

    /// Every backoff sleep is one the policy computes (no jitter here), or a server hint the
    /// faults gave, never above the cap; no more sleeps than retries allowed.
    fn check_sleeps(&self, sleeps: &[Duration], batches: usize) -> Result<(), String> {
        let policy = &self.cfg.retry;
        let hints = [Duration::from_millis(2), Duration::from_millis(3)];
        let mut allowed = Vec::new();
        for attempt in 1..policy.max_attempts {
            let computed = policy.backoff(attempt);
            allowed.push(computed);
            allowed.extend(hints.iter().map(|h| computed.max(*h)));
        }
        for s in sleeps {
            let ok = allowed
                .iter()
                .any(|a| a.abs_diff(*s) <= Duration::from_micros(1));
            if !ok || *s > policy.max_backoff {
                return Err(format!("slept {s:?}, which the policy never computes"));
            }
        }
        let max = batches * (policy.max_attempts as usize - 1);
        if sleeps.len() > max {
            return Err(format!(
                "{} backoff sleeps; at most {max} retries are allowed",
                sleeps.len()
            ));
        }
        Ok(())
    }

    /// With no fatal fault, no 401 and fewer faults than attempts, no batch can exhaust its
    /// budget: the call must succeed.
    fn check_must_succeed(&self, result: &Result<Outcome, Error>) -> Result<(), String> {
        let errors = self
            .served
            .iter()
            .filter(|f| f.error_kind().is_some())
            .count();
        let fatal = self.served.iter().any(|f| f.is_fatal());
        if !fatal && !self.rotated && errors < self.cfg.retry.max_attempts as usize {
            if let Err(e) = result {
                return Err(format!(
                    "the call failed with {e} although only {errors} retryable faults were served ({:?})",
                    self.served
                ));
            }
        }
        Ok(())
    }
}
