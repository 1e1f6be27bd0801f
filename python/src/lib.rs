//! `wablock._wablock`: the Python extension over the wablock core.
//!
//! It converts types and nothing else. Validation, messages, hints, error classification,
//! retries and the canonical JSON all come from the core, so Python fails exactly like every
//! other language. The Python side (`wablock/__init__.py`) owns the exception hierarchy and
//! the enums; this module looks them up when it needs them.
//!
//! Every call that can touch the network releases the GIL (`py.detach`), so Python threads
//! overlap while wablock waits on the server.
//!
//! - `errors`: core errors as exceptions (`ErrorInfo`), the panic boundary.
//! - `types`: outcomes, pages, blocked users, the lazy iterator.
//! - `options`: `ClientOptions`, the keyword options of every constructor.
//! - `client`: `Client`.
//! - `fleet`: `Fleet`.
//! - `window`: `Window` (blocks that wait for the 24-hour window, `wablock-window`).

mod client;
mod errors;
mod fleet;
mod log_bridge;
mod options;
mod types;
mod window;

use pyo3::prelude::*;
use wablock::{ErrorKind, Reason};

use crate::client::PyClient;
use crate::errors::{ErrorInfo, core_err};
use crate::types::{PyBlockedUser, PyBlockedUsers, PyFailure, PyOutcome, PyPage, PySuccess};

// -------------------------------------------------------------------------------- the module

#[pymodule]
fn _wablock(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Core log records go to Python's `logging`, under the `wablock` logger. Only wablock's
    // own targets: the HTTP stack's records are not ours to forward (log_bridge.rs).
    log_bridge::install(py)?;

    m.add_class::<PyClient>()?;
    m.add_class::<client::PyCancelToken>()?;
    m.add_class::<PyOutcome>()?;
    m.add_class::<PySuccess>()?;
    m.add_class::<PyFailure>()?;
    m.add_class::<PyPage>()?;
    m.add_class::<PyBlockedUser>()?;
    m.add_class::<PyBlockedUsers>()?;
    m.add_class::<ErrorInfo>()?;
    fleet::register(m)?;
    window::register(m)?;
    m.add("VERSION", wablock::VERSION)?;
    m.add("DEFAULT_API_VERSION", wablock::DEFAULT_API_VERSION)?;
    m.add("MAX_BATCH", wablock::MAX_BATCH)?;
    m.add("MAX_PARALLELISM", wablock::MAX_PARALLELISM)?;
    // The core's fixed lists, so the Python enums can be checked against them.
    let reasons: Vec<(&str, &str)> = Reason::ALL.iter().map(|r| (r.as_str(), r.hint())).collect();
    m.add("REASONS", reasons)?;
    let kinds: Vec<(u32, &str)> = ErrorKind::ALL
        .iter()
        .map(|k| (k.code(), k.as_str()))
        .collect();
    m.add("ERROR_KINDS", kinds)?;
    m.add_function(wrap_pyfunction!(canonical_json, m)?)?;
    m.add_function(wrap_pyfunction!(blocked_users_canonical_json, m)?)?;
    m.add_function(wrap_pyfunction!(is_blocked_canonical_json, m)?)?;
    Ok(())
}

/// Canonical JSON text (docs/behaviour.md §5) of a JSON document given as text: keys sorted,
/// compact. The conformance runner uses it so Python never re-implements the canonical form.
#[pyfunction]
fn canonical_json(py: Python<'_>, text: &str) -> PyResult<String> {
    wablock::canonical_json_text(text).map_err(|e| core_err(py, e))
}

/// The core's `{"blocked_users": …}` shape of a whole walk: the users yielded, and the error
/// (a `WablockError`) that ended it, if one did.
#[pyfunction]
#[pyo3(signature = (users, error=None))]
fn blocked_users_canonical_json(
    users: Vec<PyRef<'_, PyBlockedUser>>,
    error: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let users: Vec<wablock::BlockedUser> = users.iter().map(|u| u.user().clone()).collect();
    let info = error.map(|e| e.getattr("_info")).transpose()?;
    let info = info.as_ref().map(|i| i.cast::<ErrorInfo>()).transpose()?;
    Ok(wablock::blocked_users_canonical_json(
        &users,
        info.map(|i| &i.get().inner),
    ))
}

/// The core's `{"is_blocked": …}` shape.
#[pyfunction]
fn is_blocked_canonical_json(blocked: bool) -> String {
    wablock::is_blocked_canonical_json(blocked)
}
