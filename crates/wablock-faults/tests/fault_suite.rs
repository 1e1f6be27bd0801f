//! The fault suite: `WABLOCK_FAULT_RUNS` seeded runs of block + unblock of 5,000 users at
//! parallelism 4 against the in-process sandbox with scripted faults. The default is 200 runs
//! in an optimised build (`make fault-suite`, part of `make test`) and 10 in the debug build of
//! `cargo test --workspace`, where each run is several times slower. The debug build runs the
//! 10 runs after the optimised build's 200 (runs 200 to 209 of the same base seed), so the two
//! add up instead of repeating the same runs; it still brings overflow checks and debug
//! assertions to the runs it makes. Set
//! `WABLOCK_FAULT_SEED` to change the base seed, or `WABLOCK_FAULT_ONLY` to one run's seed
//! (printed on failure) to replay just that run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use wablock_faults::{Rng, RunConfig, Stats, run_one};
use wablock_sandbox::{Sandbox, SandboxConfig};

const DEFAULT_SEED: u64 = 0x5EED_B10C;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
    .or_else(|| panic!("{name}={v:?} is not a number"))
}

#[test]
fn block_and_unblock_5000_users_under_random_faults() {
    const OPTIMISED_RUNS: u64 = 200;
    let default_runs = if cfg!(debug_assertions) {
        10
    } else {
        OPTIMISED_RUNS
    };
    let first_run = if cfg!(debug_assertions) {
        OPTIMISED_RUNS
    } else {
        0
    };
    let runs = env_u64("WABLOCK_FAULT_RUNS").unwrap_or(default_runs);
    let base = env_u64("WABLOCK_FAULT_SEED").unwrap_or(DEFAULT_SEED);
    let only = env_u64("WABLOCK_FAULT_ONLY");
    let sandbox = Sandbox::start(SandboxConfig {
        open: true,
        ..SandboxConfig::default()
    })
    .expect("sandbox starts");
    let cfg = RunConfig::default();
    let mut stats = Stats::default();
    let started = Instant::now();
    let seeds: Vec<(u64, u64)> = match only {
        Some(seed) => vec![(0, seed)],
        None => (first_run..first_run + runs)
            .map(|i| (i, Rng::run_seed(base, i)))
            .collect(),
    };
    for (i, seed) in seeds {
        if let Err(why) = run_one(&sandbox, seed, &cfg, &mut stats) {
            panic!(
                "fault run {i} failed: {why}\n  base seed {base:#x}, run seed {seed:#x}; replay with \
                 WABLOCK_FAULT_ONLY={seed:#x} cargo test -p wablock-faults --test fault_suite"
            );
        }
    }
    let elapsed = started.elapsed();
    eprintln!(
        "fault suite: {} runs ({} calls, {} failed as a whole) in {:.1} s, base seed {base:#x}; \
         {} requests, {} inputs accounted, {} backoff sleeps checked; faults queued {}, served {}: {:?}; \
         final errors: {:?}; retries no fault explains (slow machine): {}, requests abandoned on a timeout before the sandbox read them: {}",
        stats.runs,
        stats.calls,
        stats.calls_failed,
        elapsed.as_secs_f64(),
        stats.requests,
        stats.inputs,
        stats.sleeps,
        stats.faults_queued,
        stats.served_total(),
        stats.faults_served,
        stats.errors,
        stats.unexplained_retries,
        stats.abandoned_requests,
    );
    assert_eq!(stats.runs, runs.min(if only.is_some() { 1 } else { runs }));
    // The suite must really inject: every run queues faults, and most kinds get served.
    if only.is_none() && runs >= 10 {
        assert!(
            stats.served_total() >= runs,
            "too few faults served: {stats:?}"
        );
        assert!(
            stats.faults_served.len() >= 10,
            "fault kinds served: {:?}",
            stats.faults_served
        );
        assert!(
            stats.calls_failed > 0 && stats.calls_failed < stats.calls,
            "{stats:?}"
        );
    }
}
