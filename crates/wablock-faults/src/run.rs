//! One fault run: set up the sandbox, block then unblock with faults queued at random points,
//! and check every invariant after each call.

use std::collections::BTreeMap;
use std::time::Duration;

use wablock::{Operation, RetryPolicy};
use wablock_sandbox::Sandbox;

use crate::phase::{FaultLog, run_phase};
use crate::rng::Rng;
use crate::setup::set_up;

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
    /// The client's read timeout; [`Fault::Slow`](crate::Fault::Slow) answers take longer.
    pub read_timeout: Duration,
    /// How long a [`Fault::Slow`](crate::Fault::Slow) answer waits before it starts.
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
    let mut log = FaultLog::new();
    for operation in [Operation::Block, Operation::Unblock] {
        run_phase(sandbox, cfg, &setup, operation, &mut rng, &mut log, stats)
            .map_err(|e| format!("{} ({:?} dialect): {e}", operation.as_str(), setup.dialect))?;
    }
    stats.runs += 1;
    Ok(())
}
