//! Core log records to Python's `logging`: pyo3-log's logger, behind a filter that turns away
//! every other crate's records before pyo3-log looks anything up.
//!
//! Installing pyo3-log for the `wablock` targets at `Trace` sets the `log` crate's global
//! maximum level to `Trace`, so every `trace!` of every crate in the process (the HTTP stack
//! traces each read of a response body: ~190,000 records for a 64,000-user block) reached
//! pyo3-log, which splits the target on `::`, hashes each prefix twice and only then drops the
//! record: ~2,000 instructions a record, a third of the extension's CPU for that call. This
//! filter answers those with one prefix comparison; the records it lets through are exactly
//! the ones pyo3-log's `filter_target("wablock")` accepts. The global maximum is now `Debug`
//! (wablock never traces), so those `trace!` records do not even reach the filter.

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// `wablock` or `wablock::…`: the targets forwarded to Python (what pyo3-log's
/// `filter_target("wablock")` matches).
fn forwarded(target: &str) -> bool {
    target
        .strip_prefix("wablock")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

struct WablockOnly(pyo3_log::Logger);

impl Log for WablockOnly {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        forwarded(metadata.target()) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if forwarded(record.target()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// The most verbose level wablock's own crates log at: none of them calls `trace!`. It is the
/// `log` crate's global maximum level, which every `log!` call site checks before anything
/// else, so the HTTP stack's `trace!` records (one per read of a response body, ~190,000 in a
/// 64,000-user block) stop at that one comparison instead of reaching [`WablockOnly`] (~100
/// instructions each). A `trace!` added to wablock would need this raised to `Trace`.
const MAX_FORWARDED_LEVEL: LevelFilter = LevelFilter::Debug;

/// Installs the bridge as the process's `log` logger, under the `wablock` Python logger
/// (targets `wablock::bulk` become `wablock.bulk`). Levels are read from Python on every
/// record, so `logging.getLogger("wablock").setLevel(...)` takes effect at once. A second
/// initialisation (a sub-interpreter, a reload) keeps the first logger.
pub(crate) fn install(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(LevelFilter::Off)
        .filter_target("wablock".to_string(), MAX_FORWARDED_LEVEL);
    if log::set_boxed_logger(Box::new(WablockOnly(logger))).is_ok() {
        log::set_max_level(MAX_FORWARDED_LEVEL);
    }
    Ok(())
}
