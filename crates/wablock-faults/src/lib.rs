//! Fault-injection suite for wablock (test-only, not published).
//!
//! Each *run* blocks and then unblocks a few thousand users through a real [`wablock::Client`]
//! against an in-process [`wablock_sandbox::Sandbox`], while scripted faults (HTTP 500s,
//! 139103, 130429 with `Retry-After`, dropped connections, slow answers, truncated JSON, HTML
//! error pages, a 401 halfway through) are queued at random points of the call. After every
//! call the run checks:
//!
//! 1. the accounting rule: every input appears exactly once across `succeeded`, `failed`,
//!    the error's `partial` and its `not_attempted`, each list in input order;
//! 2. no success the sandbox did not apply (compared with the sandbox's state);
//! 3. retries stay within the policy (per-user attempts, request counts, backoff sleeps);
//! 4. nothing panics.
//!
//! Randomness comes from a seeded [`Rng`], so a failing run is reproduced from its seed.

mod call_checks;
mod checks;
mod fault;
pub mod fuzz_targets;
mod phase;
mod rng;
mod run;
mod setup;

pub use checks::{Expectations, Expected, check_accounting, check_applied};
pub use fault::Fault;
pub use rng::Rng;
pub use run::{Dialect, RunConfig, Stats, run_one};
