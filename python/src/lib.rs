//! `wablock._wablock`: the Python extension over the wablock core.
//!
//! It converts types and nothing else. Validation, messages, hints, error classification,
//! retries and the canonical JSON all come from the core, so Python fails exactly like every
//! other language. The Python side (`wablock/__init__.py`) owns the exception hierarchy and
//! the enums; this module looks them up when it needs them.
//!
//! Every call that can touch the network releases the GIL (`py.detach`), so Python threads
//! overlap while wablock waits on the server.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use serde_json::Value;
use wablock::{
    ClientBuilder, Error as CoreError, ErrorKind, Operation, Progress, Reason, RetryPolicy,
};

// ------------------------------------------------------------------------------------ errors

/// Turns a core error into the matching `wablock` exception (the class is chosen in Python,
/// by `wablock._from_core`, which holds the one kind-to-class table).
fn core_err(py: Python<'_>, err: CoreError) -> PyErr {
    static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let build = || -> PyResult<PyErr> {
        let factory = FROM_CORE.import(py, "wablock", "_from_core")?;
        let info = Py::new(py, ErrorInfo { inner: err })?;
        Ok(PyErr::from_value(factory.call1((info,))?))
    };
    build().unwrap_or_else(|e| e)
}

/// Runs a core call inside a panic boundary: a panic becomes an `INTERNAL` error (docs/behaviour.md §4)
/// instead of pyo3's `PanicException`, so callers see the same kind as in every language.
fn guarded<T>(f: impl FnOnce() -> Result<T, CoreError>) -> Result<T, CoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(CoreError::new(
            ErrorKind::Internal,
            "wablock panicked (a bug in wablock); the call's effect is unknown",
        ))
    })
}

/// An `INVALID_ARGUMENT` error for a value that cannot even be converted to the core's type
/// (a negative count, a NaN timeout, a non-string user): the core's own checks cover the rest.
fn invalid(py: Python<'_>, message: String) -> PyErr {
    core_err(py, CoreError::new(ErrorKind::InvalidArgument, message))
}

/// The fields of a core error, attached to every `WablockError` as `_info`.
#[pyclass(frozen, module = "wablock._wablock", name = "ErrorInfo")]
struct ErrorInfo {
    inner: CoreError,
}

#[pymethods]
impl ErrorInfo {
    /// A bare error of `kind` (a canonical name) for errors built by hand, e.g. in tests.
    #[new]
    fn new(py: Python<'_>, kind: &str, message: String) -> PyResult<Self> {
        let kind = ErrorKind::from_name(kind)
            .ok_or_else(|| invalid(py, format!("{kind:?} is not an error kind")))?;
        Ok(ErrorInfo {
            inner: CoreError::new(kind, message),
        })
    }
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind().as_str()
    }
    #[getter]
    fn kind_code(&self) -> u32 {
        self.inner.kind().code()
    }
    #[getter]
    fn message(&self) -> &str {
        self.inner.message()
    }
    /// The core's `Display`: `KIND: message (code N)`.
    #[getter]
    fn display(&self) -> String {
        self.inner.to_string()
    }
    #[getter]
    fn http_status(&self) -> Option<u16> {
        self.inner.http_status()
    }
    #[getter]
    fn code(&self) -> Option<i64> {
        self.inner.code()
    }
    #[getter]
    fn subcode(&self) -> Option<i64> {
        self.inner.subcode()
    }
    #[getter]
    fn details(&self) -> Option<&str> {
        self.inner.details()
    }
    #[getter]
    fn fbtrace_id(&self) -> Option<&str> {
        self.inner.fbtrace_id()
    }
    #[getter]
    fn retryable(&self) -> bool {
        self.inner.is_retryable()
    }
    /// Seconds, as a float.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        self.inner.retry_after().map(|d| d.as_secs_f64())
    }
    #[getter]
    fn partial(&self) -> Option<PyOutcome> {
        self.inner
            .partial()
            .cloned()
            .map(|inner| PyOutcome { inner })
    }
    #[getter]
    fn not_attempted(&self) -> Vec<String> {
        self.inner.not_attempted().to_vec()
    }
    fn to_json(&self) -> String {
        self.inner.to_canonical_json()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::json!({ "error": self.inner.to_json_value() }),
        )
    }
    fn __repr__(&self) -> String {
        format!("ErrorInfo({})", self.inner)
    }
}

// ------------------------------------------------------------------------------ JSON to Python

/// The canonical JSON value as plain Python objects (`to_dict`).
fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            // Sorted keys, like the canonical string, so `to_dict()` iterates in the same order.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                if let Some(v) = map.get(key) {
                    dict.set_item(key, json_to_py(py, v)?)?;
                }
            }
            dict.into_any()
        }
    })
}

// ------------------------------------------------------------------------------ result types

/// `wablock.Reason(name)`: the str-valued enum defined in Python.
fn reason_to_py<'py>(py: Python<'py>, reason: Reason) -> PyResult<Bound<'py, PyAny>> {
    static REASON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    REASON
        .import(py, "wablock", "Reason")?
        .call1((reason.as_str(),))
}

/// A user the server confirmed.
#[pyclass(frozen, module = "wablock._wablock", name = "Success")]
struct PySuccess {
    inner: wablock::Success,
}

#[pymethods]
impl PySuccess {
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }
    #[getter]
    fn sent(&self) -> &str {
        &self.inner.sent
    }
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.inner.wa_id.as_deref()
    }
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.user_id.as_deref()
    }
    fn __repr__(&self) -> String {
        format!(
            "Success(input={:?}, sent={:?}, wa_id={:?}, user_id={:?})",
            self.inner.input, self.inner.sent, self.inner.wa_id, self.inner.user_id
        )
    }
}

/// A user that was not blocked or unblocked, and why.
#[pyclass(frozen, module = "wablock._wablock", name = "Failure")]
struct PyFailure {
    inner: wablock::Failure,
}

#[pymethods]
impl PyFailure {
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }
    #[getter]
    fn sent(&self) -> Option<&str> {
        self.inner.sent.as_deref()
    }
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.inner.wa_id.as_deref()
    }
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.user_id.as_deref()
    }
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        reason_to_py(py, self.inner.reason)
    }
    #[getter]
    fn code(&self) -> Option<i64> {
        self.inner.code
    }
    #[getter]
    fn message(&self) -> &str {
        &self.inner.message
    }
    #[getter]
    fn details(&self) -> Option<&str> {
        self.inner.details.as_deref()
    }
    #[getter]
    fn hint(&self) -> &str {
        &self.inner.hint
    }
    fn __repr__(&self) -> String {
        format!(
            "Failure(input={:?}, reason={}, code={:?}, message={:?})",
            self.inner.input, self.inner.reason, self.inner.code, self.inner.message
        )
    }
}

/// What happened to each input of a block or unblock call.
#[pyclass(frozen, module = "wablock._wablock", name = "Outcome")]
struct PyOutcome {
    inner: wablock::Outcome,
}

#[pymethods]
impl PyOutcome {
    #[getter]
    fn operation(&self) -> &'static str {
        self.inner.operation.as_str()
    }
    #[getter]
    fn succeeded(&self) -> Vec<PySuccess> {
        let items = self.inner.succeeded.iter().cloned();
        items.map(|inner| PySuccess { inner }).collect()
    }
    #[getter]
    fn failed(&self) -> Vec<PyFailure> {
        let items = self.inner.failed.iter().cloned();
        items.map(|inner| PyFailure { inner }).collect()
    }
    #[getter]
    fn requests(&self) -> u32 {
        self.inner.requests
    }
    #[getter]
    fn ok(&self) -> bool {
        self.inner.is_ok()
    }
    fn __len__(&self) -> usize {
        self.inner.len()
    }
    fn __bool__(&self) -> bool {
        // An outcome is always a real result, even when every user failed; `ok` says more.
        true
    }
    fn to_json(&self) -> String {
        self.inner.to_canonical_json()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::json!({ "outcome": self.inner.to_json_value() }),
        )
    }
    fn __repr__(&self) -> String {
        format!(
            "Outcome(operation={:?}, succeeded={}, failed={}, requests={})",
            self.inner.operation.as_str(),
            self.inner.succeeded.len(),
            self.inner.failed.len(),
            self.inner.requests
        )
    }
}

/// A blocked user: a WA ID, a BSUID, or both.
#[pyclass(frozen, eq, hash, module = "wablock._wablock", name = "BlockedUser")]
#[derive(PartialEq, Eq, Hash)]
struct PyBlockedUser {
    inner: wablock::BlockedUser,
}

#[pymethods]
impl PyBlockedUser {
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.inner.wa_id.as_deref()
    }
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner.user_id.as_deref()
    }
    fn __repr__(&self) -> String {
        format!(
            "BlockedUser(wa_id={:?}, user_id={:?})",
            self.inner.wa_id, self.inner.user_id
        )
    }
}

/// One page of the blocklist.
#[pyclass(frozen, module = "wablock._wablock", name = "Page")]
struct PyPage {
    inner: wablock::Page,
}

#[pymethods]
impl PyPage {
    #[getter]
    fn users(&self) -> Vec<PyBlockedUser> {
        let users = self.inner.users.iter().cloned();
        users.map(|inner| PyBlockedUser { inner }).collect()
    }
    #[getter]
    fn after(&self) -> Option<&str> {
        self.inner.after.as_deref()
    }
    #[getter]
    fn before(&self) -> Option<&str> {
        self.inner.before.as_deref()
    }
    #[getter]
    fn has_more(&self) -> bool {
        self.inner.has_more
    }
    fn __len__(&self) -> usize {
        self.inner.users.len()
    }
    fn to_json(&self) -> String {
        self.inner.to_canonical_json()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::json!({ "page": self.inner.to_json_value() }),
        )
    }
    fn __repr__(&self) -> String {
        format!(
            "Page(users={}, has_more={}, after={:?}, before={:?})",
            self.inner.users.len(),
            self.inner.has_more,
            self.inner.after,
            self.inner.before
        )
    }
}

// ------------------------------------------------------------------------------ the iterator

/// The lazy iterator of `Client.blocked_users`: one page in memory, fetched with the GIL
/// released.
#[pyclass(frozen, module = "wablock._wablock", name = "BlockedUsers")]
struct PyBlockedUsers {
    inner: Mutex<wablock::BlockedUsers>,
}

impl PyBlockedUsers {
    /// Reads the iterator under its lock, taken with the GIL released: a fetch in another
    /// thread holds the lock and may need the GIL (to log), so waiting on the lock while
    /// holding the GIL could deadlock.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&wablock::BlockedUsers) -> T + Send,
    ) -> T {
        py.detach(|| f(&self.inner.lock().unwrap_or_else(PoisonError::into_inner)))
    }
}

#[pymethods]
impl PyBlockedUsers {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyBlockedUser>> {
        // The lock is taken with the GIL released, so a second thread waiting on it cannot
        // deadlock with the first one re-acquiring the GIL.
        let item = py.detach(|| {
            let mut it = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            guarded(|| it.next().transpose())
        });
        match item {
            Ok(None) => Ok(None),
            Ok(Some(inner)) => Ok(Some(PyBlockedUser { inner })),
            Err(err) => Err(core_err(py, err)),
        }
    }

    /// Pages requested so far (restarts included).
    #[getter]
    fn pages_requested(&self, py: Python<'_>) -> u32 {
        self.with(py, |it| it.pages_requested())
    }

    /// Restarts made after the list changed underneath the iterator (139102).
    #[getter]
    fn restarts(&self, py: Python<'_>) -> u32 {
        self.with(py, |it| it.restarts())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("BlockedUsers(pages_requested={})", self.pages_requested(py))
    }
}

// -------------------------------------------------------------------------------- the client

/// Constructor options, converted to the core's types. Only conversion happens here; the
/// core's `build()` checks every value.
#[derive(Default)]
struct Options {
    api_version: Option<String>,
    base_url: Option<String>,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    deadline: Option<f64>,
    retries: Option<i64>,
    max_attempts: Option<i64>,
    retry_backoff: Option<f64>,
    retry_max_backoff: Option<f64>,
    retry_jitter: Option<bool>,
    parallelism: Option<i64>,
    max_batch: Option<i64>,
    allow_insecure_http: Option<bool>,
    max_response_bytes: Option<i64>,
    list_restart_budget: Option<i64>,
}

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid(
            py,
            format!("{name} is {value}: it must be a finite, non-negative number of seconds"),
        )
    })
}

fn count<T: TryFrom<i64>>(py: Python<'_>, name: &str, value: i64) -> PyResult<T> {
    T::try_from(value).map_err(|_| invalid(py, format!("{name} is {value}: it is out of range")))
}

impl Options {
    fn apply(self, py: Python<'_>, mut b: ClientBuilder) -> PyResult<ClientBuilder> {
        if let Some(v) = self.api_version {
            b = b.api_version(v);
        }
        if let Some(v) = self.base_url {
            b = b.base_url(v);
        }
        if let Some(t) = self.timeout {
            let t = seconds(py, "timeout", t)?;
            b = b.read_timeout(t).connect_timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(seconds(py, "connect_timeout", t)?);
        }
        if let Some(t) = self.deadline {
            b = b.deadline(Some(seconds(py, "deadline", t)?));
        }
        let mut policy = RetryPolicy::default();
        if let Some(r) = self.retries {
            // `retries` counts re-sends; the core counts attempts, the first one included.
            let r: u32 = count(py, "retries", r)?;
            policy.max_attempts = r.saturating_add(1);
        }
        if let Some(n) = self.max_attempts {
            if self.retries.is_some() {
                return Err(invalid(
                    py,
                    "pass retries or max_attempts, not both (max_attempts = retries + 1)".into(),
                ));
            }
            policy.max_attempts = count(py, "max_attempts", n)?;
        }
        if let Some(t) = self.retry_backoff {
            policy.initial_backoff = seconds(py, "retry_backoff", t)?;
        }
        if let Some(t) = self.retry_max_backoff {
            policy.max_backoff = seconds(py, "retry_max_backoff", t)?;
        }
        if let Some(j) = self.retry_jitter {
            policy.jitter = j;
        }
        b = b.retry_policy(policy);
        if let Some(n) = self.parallelism {
            b = b.parallelism(count(py, "parallelism", n)?);
        }
        if let Some(n) = self.max_batch {
            b = b.max_batch(count(py, "max_batch", n)?);
        }
        if let Some(a) = self.allow_insecure_http {
            b = b.allow_insecure_http(a);
        }
        if let Some(n) = self.max_response_bytes {
            b = b.max_response_bytes(count(py, "max_response_bytes", n)?);
        }
        if let Some(n) = self.list_restart_budget {
            b = b.list_restart_budget(count(py, "list_restart_budget", n)?);
        }
        Ok(b)
    }

    fn build(self, py: Python<'_>, builder: ClientBuilder) -> PyResult<PyClient> {
        // `build()` refuses a max_batch outside 1..=MAX_BATCH, so a built client's batches are
        // at most this; no builder (`from_env` included) sets it otherwise.
        let max_batch = self
            .max_batch
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(wablock::MAX_BATCH);
        let builder = self.apply(py, builder)?;
        let client = py
            .detach(|| guarded(|| builder.build()))
            .map_err(|e| core_err(py, e))?;
        Ok(PyClient {
            inner: Mutex::new(Some(client)),
            max_batch,
        })
    }
}

/// A client for one phone number's blocklist.
#[pyclass(frozen, module = "wablock._wablock", name = "Client")]
struct PyClient {
    /// `None` once closed.
    inner: Mutex<Option<wablock::Client>>,
    /// The client's batch size: a call with at most this many inputs is a single batch.
    max_batch: usize,
}

/// The progress hook of a bulk call: runs the caller's callback with the GIL, turns a raised
/// exception (or a Ctrl-C seen by the waiting thread) into `Break`, and keeps the first one.
struct Hook {
    callback: Option<Py<PyAny>>,
    failure: Mutex<Option<PyErr>>,
    cancel: AtomicBool,
}

impl Hook {
    fn store(&self, err: PyErr) {
        let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(err);
        self.cancel.store(true, Ordering::SeqCst);
    }

    fn on_progress(&self, p: Progress) -> ControlFlow<()> {
        if self.cancel.load(Ordering::SeqCst) {
            return ControlFlow::Break(());
        }
        let Some(callback) = &self.callback else {
            return ControlFlow::Continue(());
        };
        Python::attach(|py| match callback.call1(py, (p.done, p.total)) {
            Ok(_) => ControlFlow::Continue(()),
            Err(err) => {
                self.store(err);
                ControlFlow::Break(())
            }
        })
    }
}

impl PyClient {
    fn client(&self, py: Python<'_>) -> PyResult<wablock::Client> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.clone().ok_or_else(|| {
            invalid(
                py,
                "the client is closed: create a new one to make more calls".into(),
            )
        })
    }

    fn mutate(
        &self,
        py: Python<'_>,
        operation: Operation,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        let client = self.client(py)?;
        let users = user_list(py, users)?;
        let hook = Hook {
            callback: on_progress.filter(|c| !c.is_none()).map(Bound::unbind),
            failure: Mutex::new(None),
            cancel: AtomicBool::new(false),
        };
        let progress = |p: Progress| hook.on_progress(p);
        let work = || guarded(|| client.mutate(operation, &users, Some(&progress)));
        // A single batch has no batch boundary at which Ctrl-C could stop it, and it is bounded
        // by the client's timeouts: run it inline, without the helper thread (whose spawn and
        // hand-off cost about as much as a loopback request).
        let result = if users.len() <= self.max_batch {
            py.detach(work)
        } else {
            run_interruptible(py, &hook, work)
        };
        let failure = hook
            .failure
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match (failure, result) {
            (None, Ok(inner)) => Ok(PyOutcome { inner }),
            (None, Err(err)) => Err(core_err(py, err)),
            // The callback (or Ctrl-C) stopped the call: its exception propagates, carrying
            // what the core accounted for so the caller loses nothing.
            (Some(exc), result) => {
                let value = exc.value(py);
                let (partial, not_attempted) = match result {
                    Ok(inner) => (Some(PyOutcome { inner }), Vec::new()),
                    Err(err) => (
                        err.partial().cloned().map(|inner| PyOutcome { inner }),
                        err.not_attempted().to_vec(),
                    ),
                };
                // Exceptions with __slots__ refuse attributes; the exception matters more.
                let _ = value.setattr("partial", partial);
                let _ = value.setattr("not_attempted", not_attempted);
                Err(exc)
            }
        }
    }
}

/// Runs `work` on a helper thread while this thread waits with the GIL released, waking every
/// 50 ms to let Python handle signals: a Ctrl-C becomes a `KeyboardInterrupt` stored in the
/// hook, which stops the bulk call at its next batch boundary. (Python only delivers signals
/// on the main thread, and the core calls the hook from its worker threads.)
fn run_interruptible<T: Send>(py: Python<'_>, hook: &Hook, work: impl FnOnce() -> T + Send) -> T {
    let done = Mutex::new(false);
    let wake = std::sync::Condvar::new();
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let result = work();
            *done.lock().unwrap_or_else(PoisonError::into_inner) = true;
            wake.notify_all();
            result
        });
        loop {
            let finished = py.detach(|| {
                let guard = done.lock().unwrap_or_else(PoisonError::into_inner);
                let (guard, _) = wake
                    .wait_timeout_while(guard, Duration::from_millis(50), |d| !*d)
                    .unwrap_or_else(PoisonError::into_inner);
                *guard
            });
            if finished {
                break;
            }
            if let Err(err) = py.check_signals() {
                hook.store(err);
            }
        }
        match py.detach(|| worker.join()) {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The users argument: any iterable of `str`. A bare `str` is refused rather than split into
/// characters, and so is anything that is not a string (the core sees only valid UTF-8).
fn user_list(py: Python<'_>, users: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if users.is_instance_of::<PyString>() {
        return Err(invalid(
            py,
            "users must be a list (or other iterable) of strings, not a single string: pass [user]"
                .into(),
        ));
    }
    let iter = users.try_iter().map_err(|_| {
        invalid(
            py,
            "users must be a list (or other iterable) of strings".into(),
        )
    })?;
    let mut out = Vec::new();
    for (i, item) in iter.enumerate() {
        let item = item?;
        let text = item
            .cast::<PyString>()
            .map_err(|_| invalid(py, format!("user #{i} is not a string")))?
            .to_cow()
            .map_err(|_| invalid(py, format!("user #{i} is not valid Unicode text")))?;
        out.push(text.into_owned());
    }
    Ok(out)
}

fn optional_u32(py: Python<'_>, name: &str, value: Option<i64>) -> PyResult<Option<u32>> {
    value.map(|v| count(py, name, v)).transpose()
}

#[pymethods]
impl PyClient {
    /// A client for Meta's Cloud API.
    #[new]
    #[pyo3(signature = (phone_number_id, access_token, *, api_version=None, base_url=None,
        timeout=None, connect_timeout=None, deadline=None, retries=None, max_attempts=None, retry_backoff=None,
        retry_max_backoff=None, retry_jitter=None, parallelism=None, max_batch=None,
        allow_insecure_http=None, max_response_bytes=None, list_restart_budget=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        phone_number_id: String,
        access_token: String,
        api_version: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        deadline: Option<f64>,
        retries: Option<i64>,
        max_attempts: Option<i64>,
        retry_backoff: Option<f64>,
        retry_max_backoff: Option<f64>,
        retry_jitter: Option<bool>,
        parallelism: Option<i64>,
        max_batch: Option<i64>,
        allow_insecure_http: Option<bool>,
        max_response_bytes: Option<i64>,
        list_restart_budget: Option<i64>,
    ) -> PyResult<Self> {
        let options = Options {
            api_version,
            base_url,
            timeout,
            connect_timeout,
            deadline,
            retries,
            max_attempts,
            retry_backoff,
            retry_max_backoff,
            retry_jitter,
            parallelism,
            max_batch,
            allow_insecure_http,
            max_response_bytes,
            list_restart_budget,
        };
        options.build(py, wablock::Client::meta(phone_number_id, access_token))
    }

    /// A client for 360dialog (one API key per phone number).
    #[staticmethod]
    #[pyo3(signature = (api_key, *, base_url=None, timeout=None, connect_timeout=None,
        deadline=None, retries=None, max_attempts=None, retry_backoff=None, retry_max_backoff=None,
        retry_jitter=None, parallelism=None, max_batch=None, allow_insecure_http=None,
        max_response_bytes=None, list_restart_budget=None))]
    #[allow(clippy::too_many_arguments)]
    fn dialog360(
        py: Python<'_>,
        api_key: String,
        base_url: Option<String>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        deadline: Option<f64>,
        retries: Option<i64>,
        max_attempts: Option<i64>,
        retry_backoff: Option<f64>,
        retry_max_backoff: Option<f64>,
        retry_jitter: Option<bool>,
        parallelism: Option<i64>,
        max_batch: Option<i64>,
        allow_insecure_http: Option<bool>,
        max_response_bytes: Option<i64>,
        list_restart_budget: Option<i64>,
    ) -> PyResult<Self> {
        let options = Options {
            base_url,
            timeout,
            connect_timeout,
            deadline,
            retries,
            max_attempts,
            retry_backoff,
            retry_max_backoff,
            retry_jitter,
            parallelism,
            max_batch,
            allow_insecure_http,
            max_response_bytes,
            list_restart_budget,
            ..Options::default()
        };
        options.build(py, wablock::Client::dialog360(api_key))
    }

    /// A client from the `WABLOCK_*` environment variables (see the README).
    #[staticmethod]
    #[pyo3(signature = (*, timeout=None, connect_timeout=None, deadline=None, retries=None, max_attempts=None,
        retry_backoff=None, retry_max_backoff=None, retry_jitter=None, parallelism=None,
        max_batch=None, allow_insecure_http=None, max_response_bytes=None,
        list_restart_budget=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_env(
        py: Python<'_>,
        timeout: Option<f64>,
        connect_timeout: Option<f64>,
        deadline: Option<f64>,
        retries: Option<i64>,
        max_attempts: Option<i64>,
        retry_backoff: Option<f64>,
        retry_max_backoff: Option<f64>,
        retry_jitter: Option<bool>,
        parallelism: Option<i64>,
        max_batch: Option<i64>,
        allow_insecure_http: Option<bool>,
        max_response_bytes: Option<i64>,
        list_restart_budget: Option<i64>,
    ) -> PyResult<Self> {
        let builder = ClientBuilder::from_env().map_err(|e| core_err(py, e))?;
        let options = Options {
            timeout,
            connect_timeout,
            deadline,
            retries,
            max_attempts,
            retry_backoff,
            retry_max_backoff,
            retry_jitter,
            parallelism,
            max_batch,
            allow_insecure_http,
            max_response_bytes,
            list_restart_budget,
            ..Options::default()
        };
        options.build(py, builder)
    }

    /// `"meta"` or `"360dialog"`.
    #[getter]
    fn provider(&self, py: Python<'_>) -> PyResult<&'static str> {
        Ok(match self.client(py)?.provider() {
            wablock::Provider::Meta => "meta",
            wablock::Provider::Dialog360 => "360dialog",
        })
    }

    /// The `block_users` endpoint URL (holds no secret).
    #[getter]
    fn endpoint(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.client(py)?.endpoint().to_string())
    }

    /// True once `close()` ran.
    #[getter]
    fn closed(&self) -> bool {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.is_none()
    }

    /// Blocks `users`.
    #[pyo3(signature = (users, *, on_progress=None))]
    fn block(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        self.mutate(py, Operation::Block, users, on_progress)
    }

    /// Unblocks `users`.
    #[pyo3(signature = (users, *, on_progress=None))]
    fn unblock(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<PyOutcome> {
        self.mutate(py, Operation::Unblock, users, on_progress)
    }

    /// One page of the blocklist.
    #[pyo3(signature = (limit=None, after=None, before=None))]
    fn list_page(
        &self,
        py: Python<'_>,
        limit: Option<i64>,
        after: Option<String>,
        before: Option<String>,
    ) -> PyResult<PyPage> {
        let client = self.client(py)?;
        let limit = optional_u32(py, "limit", limit)?;
        py.detach(|| guarded(|| client.list_page(limit, after.as_deref(), before.as_deref())))
            .map(|inner| PyPage { inner })
            .map_err(|e| core_err(py, e))
    }

    /// A lazy iterator over every blocked user.
    #[pyo3(signature = (page_size=None))]
    fn blocked_users(&self, py: Python<'_>, page_size: Option<i64>) -> PyResult<PyBlockedUsers> {
        let client = self.client(py)?;
        let page_size = optional_u32(py, "page_size", page_size)?;
        Ok(PyBlockedUsers {
            inner: Mutex::new(client.blocked_users(page_size)),
        })
    }

    /// Whether `user` is blocked (walks the whole list).
    fn is_blocked(&self, py: Python<'_>, user: String) -> PyResult<bool> {
        let client = self.client(py)?;
        py.detach(|| guarded(|| client.is_blocked(&user)))
            .map_err(|e| core_err(py, e))
    }

    /// Drops the connection pool; later calls raise `InvalidArgumentError`.
    fn close(&self) {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.take();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_ref() {
            // Provider and endpoint only: the credentials never appear.
            Some(c) => {
                let provider = match c.provider() {
                    wablock::Provider::Meta => "meta",
                    wablock::Provider::Dialog360 => "360dialog",
                };
                format!("Client(provider='{provider}', endpoint='{}')", c.endpoint())
            }
            None => "Client(closed)".to_string(),
        }
    }
}

// -------------------------------------------------------------------------------- the module

#[pymodule]
fn _wablock(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Core log records go to Python's `logging`, under the `wablock` logger (targets
    // `wablock::bulk` become `wablock.bulk`). Only wablock's own targets: the HTTP stack's
    // records are not ours to forward. Levels are read from Python on every record, so
    // `logging.getLogger("wablock").setLevel(...)` takes effect at once.
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)?
        .filter(log::LevelFilter::Off)
        .filter_target("wablock".to_string(), log::LevelFilter::Trace);
    // A second initialisation (a sub-interpreter, a reload) keeps the first logger.
    let _ = logger.install();

    m.add_class::<PyClient>()?;
    m.add_class::<PyOutcome>()?;
    m.add_class::<PySuccess>()?;
    m.add_class::<PyFailure>()?;
    m.add_class::<PyPage>()?;
    m.add_class::<PyBlockedUser>()?;
    m.add_class::<PyBlockedUsers>()?;
    m.add_class::<ErrorInfo>()?;
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
    Ok(())
}

/// Canonical JSON text (docs/behaviour.md §5) of a JSON document given as text: keys sorted, compact.
/// The conformance runner uses it so Python never re-implements the canonical form.
#[pyfunction]
fn canonical_json(py: Python<'_>, text: &str) -> PyResult<String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| invalid(py, format!("not JSON: {e}")))?;
    Ok(wablock::canonical_string(&value))
}
