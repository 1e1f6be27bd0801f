//! One phase of a run: one block or unblock call with faults queued before it and at its
//! progress steps, then every check on what the call answered and what the sandbox saw.

use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use wablock::{Client, Error, FakeClock, Operation, Outcome, Progress};
use wablock_sandbox::{DEFAULT_ACCESS_TOKEN, DEFAULT_API_KEY, Sandbox};

use crate::call_checks::Checked;
use crate::fault::Fault;
use crate::rng::Rng;
use crate::run::{Dialect, RunConfig, Stats};
use crate::setup::RunSetup;

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
    /// The `/_sandbox/script` items of `steps`, drawn up front.
    scripts: Vec<Vec<Value>>,
    step: usize,
    auth: Option<AuthFault>,
    auth_script: Value,
    auth_done: bool,
    pushed: Vec<Fault>,
    errors: Vec<String>,
}

impl PhasePlan {
    /// Draws the faults of each of the `batches + 1` steps, whether a 401 comes halfway and
    /// how, and every script body (the draw order is part of a seed's meaning).
    fn draw(batches: usize, dialect: Dialect, cfg: &RunConfig, rng: &mut Rng) -> PhasePlan {
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
            .map(|faults| faults.iter().map(|f| f.script(dialect, cfg, rng)).collect())
            .collect();
        let auth_script = Fault::Unauthorized.script(dialect, cfg, rng);
        PhasePlan {
            steps,
            scripts,
            step: 0,
            auth,
            auth_script,
            auth_done: false,
            pushed: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Queues the faults of `step` on the sandbox.
    fn push_step(&mut self, sandbox: &Sandbox, step: usize) {
        if let (Some(faults), Some(bodies)) =
            (self.steps.get(step).cloned(), self.scripts.get(step))
        {
            if faults.is_empty() {
                return;
            }
            match sandbox.push_scripts(&json!({ "responses": bodies })) {
                Ok(_) => self.pushed.extend(faults),
                Err(e) => self.errors.push(format!("queueing faults: {e}")),
            }
        }
    }

    /// Called on each progress report of the call: queues the next step's faults and, once,
    /// the 401.
    fn on_progress(&mut self, sandbox: &Sandbox, dialect: Dialect, p: &Progress) {
        self.step += 1;
        let step = self.step;
        self.push_step(sandbox, step);
        // With 4 batches in flight from the start, the first finished batch is the last point
        // at which unsent batches remain: the 401 lands mid-call, before the rest are sent.
        if !self.auth_done && p.done < p.total {
            match self.auth {
                Some(AuthFault::Scripted) => {
                    match sandbox.push_scripts(&json!({"responses": [self.auth_script.clone()]})) {
                        Ok(_) => self.pushed.push(Fault::Unauthorized),
                        Err(e) => self.errors.push(format!("queueing the 401: {e}")),
                    }
                }
                Some(AuthFault::Rotated) => {
                    if let Err(e) = sandbox.set_config(&rotated_credential(dialect)) {
                        self.errors.push(format!("rotating the credential: {e}"));
                    }
                }
                None => {}
            }
            self.auth_done = true;
        }
    }

    /// True when the sandbox's credential was rotated during the call.
    fn rotated(&self) -> bool {
        self.auth == Some(AuthFault::Rotated) && self.auth_done
    }
}

fn rotated_credential(dialect: Dialect) -> Value {
    json!(match dialect {
        Dialect::Meta => json!({"access_token": "rotated-token-value"}),
        Dialect::Dialog360 => json!({"api_key": "rotated-key-value"}),
    })
}

fn restore_credential(sandbox: &Sandbox, dialect: Dialect) -> Result<(), String> {
    let restore = match dialect {
        Dialect::Meta => json!({"access_token": DEFAULT_ACCESS_TOKEN}),
        Dialect::Dialog360 => json!({"api_key": DEFAULT_API_KEY}),
    };
    sandbox.set_config(&restore)
}

/// Per-run fault bookkeeping: faults are served FIFO, so the queue length before and after a
/// call says exactly which queued faults that call received.
pub(crate) struct FaultLog {
    queued: Vec<Fault>,
    served: usize,
}

impl FaultLog {
    pub(crate) fn new() -> FaultLog {
        FaultLog {
            queued: Vec::new(),
            served: 0,
        }
    }

    /// Records the faults one call `pushed` and returns exactly those it received: FIFO, so
    /// the first `served_now` not yet served.
    fn record_call(
        &mut self,
        pushed: &[Fault],
        queued_before: usize,
        queued_after: usize,
        stats: &mut Stats,
    ) -> Result<Vec<Fault>, String> {
        self.queued.extend(pushed);
        let served_now = (queued_before + pushed.len())
            .checked_sub(queued_after)
            .ok_or("the script queue grew by itself")?;
        let served: Vec<Fault> = self.queued[self.served..self.served + served_now].to_vec();
        self.served += served_now;
        stats.faults_queued += pushed.len() as u64;
        for f in &served {
            *stats.faults_served.entry(f.name()).or_default() += 1;
        }
        Ok(served)
    }
}

fn queue_len(sandbox: &Sandbox) -> Result<usize, String> {
    sandbox.push_scripts(&json!({"responses": []}))
}

/// A client for the run's dialect, with the run's shape and a fake clock for backoff sleeps.
fn build_client(
    sandbox: &Sandbox,
    cfg: &RunConfig,
    setup: &RunSetup,
    clock: Arc<FakeClock>,
) -> Result<Client, String> {
    let builder = match setup.dialect {
        Dialect::Meta => Client::meta(&setup.phone_number_id, DEFAULT_ACCESS_TOKEN),
        Dialect::Dialog360 => Client::dialog360(DEFAULT_API_KEY),
    };
    builder
        .base_url(sandbox.base_url())
        .parallelism(cfg.parallelism)
        .max_batch(cfg.max_batch)
        .retry_policy(cfg.retry.clone())
        .read_timeout(cfg.read_timeout)
        .clock(clock)
        .build()
        .map_err(|e| format!("building the client: {e}"))
}

/// What one faulted call gave: its result, the plan as the call left it, and the script
/// queue's length before the call.
struct FaultedCall {
    result: Result<Outcome, Error>,
    plan: PhasePlan,
    queued_before: usize,
}

/// Makes the call with step 0's faults queued before it and the rest queued from its
/// progress reports. A panic in the client is a failure, not a crash of the suite.
fn call_with_faults(
    sandbox: &Sandbox,
    client: &Client,
    setup: &RunSetup,
    operation: Operation,
    plan: PhasePlan,
) -> Result<FaultedCall, String> {
    let plan = Mutex::new(plan);
    let on_progress = |p: Progress| {
        plan.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .on_progress(sandbox, setup.dialect, &p);
        ControlFlow::Continue(())
    };
    sandbox.clear_requests();
    let queued_before = queue_len(sandbox)?;
    plan.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push_step(sandbox, 0);
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
    Ok(FaultedCall {
        result,
        plan: plan.into_inner().unwrap_or_else(PoisonError::into_inner),
        queued_before,
    })
}

/// Runs one phase (`operation` over all inputs) and checks it.
pub(crate) fn run_phase(
    sandbox: &Sandbox,
    cfg: &RunConfig,
    setup: &RunSetup,
    operation: Operation,
    rng: &mut Rng,
    log: &mut FaultLog,
    stats: &mut Stats,
) -> Result<(), String> {
    let batches = cfg.users.div_ceil(cfg.max_batch);
    let plan = PhasePlan::draw(batches, setup.dialect, cfg, rng);
    let clock = Arc::new(FakeClock::new());
    let client = build_client(sandbox, cfg, setup, clock.clone())?;
    let call = call_with_faults(sandbox, &client, setup, operation, plan)?;
    let rotated = call.plan.rotated();
    if rotated {
        restore_credential(sandbox, setup.dialect)?;
    }
    if let Some(e) = call.plan.errors.first() {
        return Err(e.clone());
    }
    let queued_after = queue_len(sandbox)?;
    let served = log.record_call(&call.plan.pushed, call.queued_before, queued_after, stats)?;

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
    let client_requests = match &call.result {
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
    if retries_explained(cfg, batches, &served, client_requests, logged, stats)? {
        view.check_must_succeed(&call.result)
    } else {
        Ok(())
    }
}

/// Compares the requests the client counted with those the sandbox logged and says whether
/// every retry is explained by a served fault (which the "must succeed" check needs).
fn retries_explained(
    cfg: &RunConfig,
    batches: usize,
    served: &[Fault],
    client_requests: Option<usize>,
    logged: usize,
    stats: &mut Stats,
) -> Result<bool, String> {
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
        return Ok(false);
    }
    Ok(true)
}
