//! `Window`: blocks that wait for WhatsApp's 24-hour window (docs/window.md), over
//! `wablock_window::Window`. Every rule (the queue, the claims, signature checks, the parser,
//! the window's arithmetic), every message and every JSON shape is the crate's; this converts
//! types. Each call that touches the store or the network runs with the GIL released.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString, PyTuple};
use wablock::{ClientOptions as CoreOptions, Error as CoreError, ErrorKind as CoreKind};
use wablock_window::{Error as WindowErr, Store, Window, WindowState};

use crate::client::{PyCancelToken, PyClient, user_items, user_texts};
use crate::errors::{core_err, window_err};
use crate::types::{PyOutcome, json_to_py, py_repr};

/// Runs a window call inside a panic boundary: a panic becomes the core's `INTERNAL` error
/// (raised as `InternalError`), as for the client's calls.
fn guarded<T>(f: impl FnOnce() -> Result<T, WindowErr>) -> Result<T, WindowErr> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(WindowErr::from(CoreError::from_panic(payload.as_ref()))))
}

/// Unix milliseconds as an aware UTC `datetime.datetime` (exact: epoch + a timedelta).
fn datetime_from_ms<'py>(py: Python<'py>, ms: i64) -> PyResult<Bound<'py, PyAny>> {
    static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static TIMEDELTA: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let epoch = EPOCH.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime
            .getattr("datetime")?
            .call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        Ok(epoch.unbind())
    })?;
    let timedelta = TIMEDELTA.import(py, "datetime", "timedelta")?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("milliseconds", ms)?;
    epoch
        .bind(py)
        .call_method1("__add__", (timedelta.call((), Some(&kwargs))?,))
}

fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn py_list(py: Python<'_>, items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| py_repr(py, Some(s))).collect();
    format!("[{}]", items.join(", "))
}

fn closed_error(py: Python<'_>) -> PyErr {
    core_err(
        py,
        CoreError::new(
            CoreKind::InvalidArgument,
            "the window is closed; open a new wablock.Window",
        ),
    )
}

// ------------------------------------------------------------------------------ result types

/// Whether a user may be blocked right now, as far as the recorded webhooks tell.
#[pyclass(frozen, eq, module = "wablock._wablock", name = "WindowState")]
#[derive(PartialEq)]
pub(crate) struct PyWindowState {
    inner: WindowState,
}

impl PyWindowState {
    fn at_ms(&self) -> Option<i64> {
        match self.inner {
            WindowState::OpenUntil(t) | WindowState::ClosedSince(t) => Some(unix_ms(t)),
            WindowState::Unknown => None,
        }
    }
}

#[pymethods]
impl PyWindowState {
    /// `"open"` (a block is accepted until `open_until`), `"closed"` (refused since
    /// `closed_since`) or `"unknown"` (no message from this user is recorded).
    #[getter]
    fn state(&self) -> &'static str {
        match self.inner {
            WindowState::OpenUntil(_) => "open",
            WindowState::ClosedSince(_) => "closed",
            WindowState::Unknown => "unknown",
        }
    }
    /// True while the window is open: a block would be accepted now.
    #[getter]
    fn is_open(&self) -> bool {
        matches!(self.inner, WindowState::OpenUntil(_))
    }
    /// When the open window closes (the last message's timestamp + 24 h), an aware UTC
    /// `datetime`; None unless the state is `"open"`.
    #[getter]
    fn open_until<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.inner {
            WindowState::OpenUntil(t) => datetime_from_ms(py, unix_ms(t)).map(Some),
            _ => Ok(None),
        }
    }
    /// Since when blocks are refused (the last message's timestamp + 24 h), an aware UTC
    /// `datetime`; None unless the state is `"closed"`.
    #[getter]
    fn closed_since<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.inner {
            WindowState::ClosedSince(t) => datetime_from_ms(py, unix_ms(t)).map(Some),
            _ => Ok(None),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let field = match self.inner {
            WindowState::OpenUntil(_) => "open_until",
            WindowState::ClosedSince(_) => "closed_since",
            WindowState::Unknown => return Ok("WindowState(state='unknown')".to_string()),
        };
        let at = match self.at_ms() {
            Some(ms) => datetime_from_ms(py, ms)?
                .repr()?
                .to_string_lossy()
                .into_owned(),
            None => "None".to_string(),
        };
        Ok(format!(
            "WindowState(state='{}', {field}={at})",
            self.state()
        ))
    }
}

/// The result of `Window.block_when_possible`.
#[pyclass(frozen, module = "wablock._wablock", name = "WhenPossible")]
pub(crate) struct PyWhenPossible {
    outcome: Py<PyOutcome>,
    queued: Vec<String>,
}

impl PyWhenPossible {
    /// The crate's JSON, built when asked: most callers never ask, and for a large call it is
    /// as costly as the call's own decoding.
    fn json(&self) -> String {
        wablock_window::WhenPossible {
            outcome: (*self.outcome.get().inner).clone(),
            queued: self.queued.clone(),
        }
        .to_canonical_json()
    }
}

#[pymethods]
impl PyWhenPossible {
    /// The core's `Outcome`: every input exactly once, in `succeeded` or `failed`.
    #[getter]
    fn outcome(&self, py: Python<'_>) -> Py<PyOutcome> {
        self.outcome.clone_ref(py)
    }
    /// The inputs refused with `REENGAGEMENT_REQUIRED` and now queued (each also in
    /// `outcome.failed`), in input order.
    #[getter]
    fn queued(&self) -> Vec<String> {
        self.queued.clone()
    }
    /// `{"outcome": {…}, "queued": [...]}` as canonical JSON text: byte for byte what every
    /// language (and the CLI's `--json`) prints.
    fn to_json(&self) -> String {
        self.json()
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict_of(py, &self.json())
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let outcome = self.outcome.bind(py).repr().map_or_else(
            |_| "Outcome(...)".to_string(),
            |r| r.to_string_lossy().into_owned(),
        );
        format!(
            "WhenPossible(outcome={outcome}, queued={})",
            py_list(py, &self.queued)
        )
    }
}

fn dict_of<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        core_err(
            py,
            CoreError::new(
                CoreKind::Internal,
                format!("canonical JSON unreadable: {e}"),
            ),
        )
    })?;
    json_to_py(py, &value)
}

/// What happened to one queued block that `ingest` or `process_pending` took up.
#[pyclass(frozen, module = "wablock._wablock", name = "QueuedBlockResult")]
pub(crate) struct PyQueuedBlockResult {
    phone_number_id: String,
    user: String,
    input: String,
    still_pending: bool,
    outcome: Option<Py<PyOutcome>>,
    error: Option<Py<PyAny>>,
    json: String,
}

impl PyQueuedBlockResult {
    fn new(py: Python<'_>, r: wablock_window::QueuedBlockResult) -> PyResult<Self> {
        let json = wablock::canonical_string(&r.to_json_value());
        let (outcome, error) = match r.outcome {
            Ok(o) => (Some(Py::new(py, PyOutcome::from(o))?), None),
            Err(e) => (None, Some(core_err(py, e).into_value(py).into_any())),
        };
        Ok(PyQueuedBlockResult {
            phone_number_id: r.phone_number_id,
            user: r.user,
            input: r.input,
            still_pending: r.still_pending,
            outcome,
            error,
            json,
        })
    }
}

fn results(
    py: Python<'_>,
    blocks: Vec<wablock_window::QueuedBlockResult>,
) -> PyResult<Vec<Py<PyQueuedBlockResult>>> {
    blocks
        .into_iter()
        .map(|b| Py::new(py, PyQueuedBlockResult::new(py, b)?))
        .collect()
}

#[pymethods]
impl PyQueuedBlockResult {
    /// The business phone number id the block was for.
    #[getter]
    fn phone_number_id(&self) -> &str {
        &self.phone_number_id
    }
    /// The user's identity: WA ID digits, or the BSUID.
    #[getter]
    fn user(&self) -> &str {
        &self.user
    }
    /// The caller's original string, as queued and sent.
    #[getter]
    fn input(&self) -> &str {
        &self.input
    }
    /// True when the block stays queued (a retryable failure, or the server still asks for
    /// re-engagement); False when it is done (blocked, or refused for good).
    #[getter]
    fn still_pending(&self) -> bool {
        self.still_pending
    }
    /// The block call's `Outcome` (the user in `succeeded`, or in `failed` with a reason), or
    /// None when the call failed as a whole (see `error`).
    #[getter]
    fn outcome(&self, py: Python<'_>) -> Option<Py<PyOutcome>> {
        self.outcome.as_ref().map(|o| o.clone_ref(py))
    }
    /// The `WablockError` the block call failed with as a whole (with its `partial` and
    /// `not_attempted`), or None when it returned an `outcome`.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|e| e.clone_ref(py))
    }
    /// `{"phone_number_id", "user", "input", "still_pending", "outcome" | "error"}` as
    /// canonical JSON text.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict_of(py, &self.json)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let result = match (&self.outcome, &self.error) {
            (Some(o), _) => format!(
                "outcome={}",
                o.bind(py).repr().map_or_else(
                    |_| "Outcome(...)".into(),
                    |r| r.to_string_lossy().into_owned()
                )
            ),
            (None, Some(e)) => format!(
                "error={}",
                e.bind(py).repr().map_or_else(
                    |_| "WablockError(...)".into(),
                    |r| r.to_string_lossy().into_owned()
                )
            ),
            (None, None) => "outcome=None".to_string(),
        };
        format!(
            "QueuedBlockResult(phone_number_id={}, user={}, input={}, still_pending={}, {result})",
            py_repr(py, Some(&self.phone_number_id)),
            py_repr(py, Some(&self.user)),
            py_repr(py, Some(&self.input)),
            py_bool(self.still_pending)
        )
    }
}

/// The result of `Window.ingest`.
#[pyclass(frozen, module = "wablock._wablock", name = "IngestReport")]
pub(crate) struct PyIngestReport {
    messages: usize,
    new_messages: usize,
    blocks: Vec<Py<PyQueuedBlockResult>>,
    json: String,
}

#[pymethods]
impl PyIngestReport {
    /// Inbound messages in the payload.
    #[getter]
    fn messages(&self) -> usize {
        self.messages
    }
    /// Of those, messages not seen before (a redelivered payload has none).
    #[getter]
    fn new_messages(&self) -> usize {
        self.new_messages
    }
    /// The queued blocks taken up during this ingest, each a `QueuedBlockResult`.
    #[getter]
    fn blocks(&self, py: Python<'_>) -> Vec<Py<PyQueuedBlockResult>> {
        self.blocks.iter().map(|b| b.clone_ref(py)).collect()
    }
    /// `{"ingest": {"messages", "new_messages", "blocks": [...]}}` as canonical JSON text:
    /// byte for byte what every language (and the CLI's `--json`) prints.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        dict_of(py, &self.json)
    }
    fn __repr__(&self) -> String {
        format!(
            "IngestReport(messages={}, new_messages={}, blocks=<{} blocks>)",
            self.messages,
            self.new_messages,
            self.blocks.len()
        )
    }
}

/// A queued block, waiting for the user to write in.
#[pyclass(frozen, module = "wablock._wablock", name = "PendingBlock")]
pub(crate) struct PyPendingBlock {
    inner: wablock_window::PendingBlock,
}

#[pymethods]
impl PyPendingBlock {
    /// The business phone number id the block is for.
    #[getter]
    fn phone_number_id(&self) -> &str {
        &self.inner.phone_number_id
    }
    /// The user's identity: WA ID digits, or the BSUID.
    #[getter]
    fn user(&self) -> &str {
        &self.inner.user
    }
    /// The caller's original string, sent as is when the block is made.
    #[getter]
    fn input(&self) -> &str {
        &self.inner.input
    }
    /// When it was queued, an aware UTC `datetime`.
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_ms(py, self.inner.created_at_ms)
    }
    /// The process holding it right now (a claim that expires), or None.
    #[getter]
    fn claim_owner(&self) -> Option<&str> {
        self.inner.claim_owner.as_deref()
    }
    /// Until when that claim holds, an aware UTC `datetime`; None when unclaimed.
    #[getter]
    fn claimed_until<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.inner.claimed_until_ms {
            0 => Ok(None),
            ms => datetime_from_ms(py, ms).map(Some),
        }
    }
    /// `{"phone_number_id", "user", "input", "created_at_ms"}` as canonical JSON text (one
    /// item of the CLI's `pending --json`).
    fn to_json(&self) -> String {
        wablock::canonical_string(&self.inner.to_json_value())
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_json_value())
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "PendingBlock(phone_number_id={}, user={}, input={}, created_at_ms={})",
            py_repr(py, Some(&self.inner.phone_number_id)),
            py_repr(py, Some(&self.inner.user)),
            py_repr(py, Some(&self.inner.input)),
            self.inner.created_at_ms
        )
    }
}

/// The result of `Window.cancel_pending`: every input exactly once.
#[pyclass(frozen, module = "wablock._wablock", name = "Cancelled")]
pub(crate) struct PyCancelled {
    inner: wablock_window::Cancelled,
}

#[pymethods]
impl PyCancelled {
    /// Inputs whose queued block was removed.
    #[getter]
    fn cancelled(&self) -> Vec<String> {
        self.inner.cancelled.clone()
    }
    /// Inputs that had no queued block on that number.
    #[getter]
    fn not_pending(&self) -> Vec<String> {
        self.inner.not_pending.clone()
    }
    /// Inputs that are not a phone number, WA ID or BSUID, each as `(input, reason)`.
    #[getter]
    fn invalid(&self) -> Vec<(String, String)> {
        self.inner.invalid.clone()
    }
    fn __len__(&self) -> usize {
        self.inner.cancelled.len() + self.inner.not_pending.len() + self.inner.invalid.len()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let invalid: Vec<String> = self
            .inner
            .invalid
            .iter()
            .map(|(i, why)| format!("({}, {})", py_repr(py, Some(i)), py_repr(py, Some(why))))
            .collect();
        format!(
            "Cancelled(cancelled={}, not_pending={}, invalid=[{}])",
            py_list(py, &self.inner.cancelled),
            py_list(py, &self.inner.not_pending),
            invalid.join(", ")
        )
    }
}

// -------------------------------------------------------------------------------- the window

/// Pending blocks, the 24-hour window and webhook ingest over one store.
#[pyclass(frozen, module = "wablock._wablock", name = "Window")]
pub(crate) struct PyWindow {
    /// `None` once closed.
    inner: Mutex<Option<Arc<Window>>>,
    /// What `repr` shows of the store: never a database URL (it may hold a password).
    store: Option<String>,
    numbers: Vec<String>,
    signed: bool,
}

impl PyWindow {
    fn current(&self, py: Python<'_>) -> PyResult<Arc<Window>> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.clone().ok_or_else(|| closed_error(py))
    }

    /// The window a call runs on: observing the caller's token, if any (the same store,
    /// clients and claims; see `wablock_window::Window::with_cancel`).
    fn observing(
        &self,
        py: Python<'_>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<Arc<Window>> {
        let window = self.current(py)?;
        Ok(match cancel {
            Some(token) => Arc::new(window.with_cancel(token.get().token.clone())),
            None => window,
        })
    }
}

/// The store argument: a `str` or an `os.PathLike` (SQLite file, or a `postgres://` URL).
fn store_location(py: Python<'_>, store: &Bound<'_, PyAny>) -> PyResult<String> {
    let text = if store.is_instance_of::<PyString>() {
        store.clone()
    } else {
        let os = py.import("os")?;
        os.call_method1("fsdecode", (os.call_method1("fspath", (store,))?,))?
    };
    Ok(text.cast::<PyString>()?.to_cow()?.into_owned())
}

/// `clients`: a mapping `{phone_number_id: Client}` or pairs `(phone_number_id, Client)`.
fn client_pairs(
    py: Python<'_>,
    clients: &Bound<'_, PyAny>,
) -> PyResult<Vec<(String, wablock::Client)>> {
    let pairs = match clients.cast::<PyDict>() {
        Ok(d) => d.items().into_any(),
        Err(_) => match clients.hasattr("items")? {
            true => clients.call_method0("items")?,
            false => clients.clone(),
        },
    };
    let mut out = Vec::new();
    for item in pairs.try_iter()? {
        let (number, client): (Bound<'_, PyString>, PyRef<'_, PyClient>) = item?.extract()?;
        out.push((number.to_cow()?.into_owned(), client.client(py)?));
    }
    Ok(out)
}

#[pymethods]
impl PyWindow {
    /// Opens (creating and migrating if needed) the store and builds a window over it.
    ///
    /// `store` is a SQLite file path (`str` or `os.PathLike`), a `postgres://` URL, or None
    /// for the default `<data dir>/wablock/window.db`. `clients` maps each business phone
    /// number id to the `Client` that blocks for it (a mapping, or `(id, Client)` pairs; the
    /// window keeps its own handle on each client's connection pool, so closing a `Client`
    /// later does not affect it). `app_secret` (the Meta app secret, `str` or `bytes`)
    /// makes every ingested payload need a valid `X-Hub-Signature-256`; without it signatures
    /// are not checked. `lease` (seconds, default 60) is how long a claim on a queued block
    /// holds before another process may take it up.
    ///
    /// Raises `InvalidArgumentError` for a bad location or lease, `StoreError` when the store
    /// cannot be opened. Neither the app secret nor a database password appears in `repr` or
    /// messages. Use as a context manager to close the store.
    #[new]
    #[pyo3(signature = (store=None, clients=None, *, app_secret=None, lease=None))]
    fn new(
        py: Python<'_>,
        store: Option<&Bound<'_, PyAny>>,
        clients: Option<&Bound<'_, PyAny>>,
        app_secret: Option<&Bound<'_, PyAny>>,
        lease: Option<f64>,
    ) -> PyResult<Self> {
        let location = store
            .filter(|s| !s.is_none())
            .map(|s| store_location(py, s))
            .transpose()?;
        let clients = match clients.filter(|c| !c.is_none()) {
            Some(c) => client_pairs(py, c)?,
            None => Vec::new(),
        };
        let secret: Option<Vec<u8>> = match app_secret.filter(|s| !s.is_none()) {
            None => None,
            Some(s) => Some(if let Ok(text) = s.cast::<PyString>() {
                text.to_cow()?.as_bytes().to_vec()
            } else if let Ok(bytes) = s.cast::<PyBytes>() {
                bytes.as_bytes().to_vec()
            } else {
                return Err(PyTypeError::new_err(
                    "app_secret must be a str or bytes (the Meta app secret)",
                ));
            }),
        };
        let lease = lease
            .map(|s| CoreOptions::seconds("lease", s))
            .transpose()
            .map_err(|e| core_err(py, e))?;
        let opened = py.detach(|| {
            guarded(|| match &location {
                Some(l) => Store::open(l),
                None => Store::open_default(),
            })
        });
        let store_obj = opened.map_err(|e| window_err(py, e))?;
        let description = location.map(|l| {
            if store_obj.is_postgres() {
                "postgres://[url redacted]".to_string()
            } else {
                l
            }
        });
        let mut numbers: Vec<String> = clients.iter().map(|(n, _)| n.clone()).collect();
        numbers.sort();
        numbers.dedup();
        let mut window = Window::new(store_obj);
        for (number, client) in clients {
            window = window.client(number, client);
        }
        let signed = secret.is_some();
        if let Some(secret) = secret {
            window = window.app_secret(secret);
        }
        if let Some(lease) = lease {
            window = window.lease(lease);
        }
        Ok(PyWindow {
            inner: Mutex::new(Some(Arc::new(window))),
            store: description,
            numbers,
            signed,
        })
    }

    /// The phone number ids that have a client, sorted.
    #[getter]
    fn phone_number_ids(&self) -> Vec<String> {
        self.numbers.clone()
    }

    /// True when the store is PostgreSQL (rather than a SQLite file).
    #[getter]
    fn is_postgres(&self, py: Python<'_>) -> PyResult<bool> {
        let window = self.current(py)?;
        Ok(py.detach(|| window.store().is_postgres()))
    }

    /// True once `close()` ran.
    #[getter]
    fn closed(&self) -> bool {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard.is_none()
    }

    /// Blocks `users` on `phone_number_id` now; those refused with `REENGAGEMENT_REQUIRED`
    /// are queued and blocked when they next write in.
    ///
    /// `users` is any iterable of strings, as for `Client.block`. Returns a `WhenPossible`:
    /// its `outcome` has every input exactly once, and `queued` lists the inputs queued. When
    /// the call fails as a whole, nothing is queued and the core's exception is raised
    /// (`AuthError`, …, with `partial` and `not_attempted`). No client for that number is
    /// `InvalidArgumentError`; a store failure `StoreError`.
    ///
    /// `cancel`, a `CancelToken`, stops it from any thread as it stops `Client.block`: no new
    /// batch starts, batches in flight finish, nothing is queued, and `CancelledError` is raised
    /// with `partial` and `not_attempted` accounting for every input.
    #[pyo3(signature = (phone_number_id, users, *, cancel=None))]
    fn block_when_possible(
        &self,
        py: Python<'_>,
        phone_number_id: String,
        users: &Bound<'_, PyAny>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyWhenPossible> {
        let window = self.observing(py, cancel)?;
        let items = user_items(py, users)?;
        let users = user_texts(py, &items)?;
        let result = py
            .detach(|| guarded(|| window.block_when_possible(&phone_number_id, &users)))
            .map_err(|e| window_err(py, e))?;
        Ok(PyWhenPossible {
            outcome: Py::new(py, PyOutcome::from(result.outcome))?,
            queued: result.queued,
        })
    }

    /// Verifies, parses and records a webhook, then blocks the queued users whose window is
    /// now open.
    ///
    /// `body` is the raw request body (`bytes`, exactly as received: a re-serialised copy no
    /// longer matches its signature); `signature` the `X-Hub-Signature-256` header, or None.
    /// Returns an `IngestReport`. With an app secret, a missing or wrong signature raises
    /// `SignatureError`; a body that is not a WhatsApp webhook payload raises
    /// `MalformedPayloadError`; in both cases nothing is recorded. Ingesting the same payload
    /// again records nothing new (`new_messages == 0`).
    ///
    /// `cancel`, a `CancelToken`, stops it from any thread: already cancelled, the call raises
    /// `CancelledError` and records nothing; cancelled once the payload is recorded, it takes
    /// up no further queued block and returns the report of what it did (a block whose request
    /// was in flight ends as the server answered; one not yet sent ends with `CancelledError`
    /// as its `error` and stays queued). Nothing is lost: what was not taken up stays queued
    /// for the next webhook or `process_pending`.
    #[pyo3(signature = (body, signature=None, *, cancel=None))]
    fn ingest(
        &self,
        py: Python<'_>,
        body: &Bound<'_, PyAny>,
        signature: Option<String>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyIngestReport> {
        let window = self.observing(py, cancel)?;
        let body: Vec<u8> = if let Ok(b) = body.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if let Ok(b) = body.cast::<PyByteArray>() {
            b.to_vec()
        } else {
            return Err(PyTypeError::new_err(
                "body must be bytes: the raw request body exactly as received (a decoded or \
                 re-serialised body no longer matches its signature)",
            ));
        };
        let report = py
            .detach(|| guarded(|| window.ingest(&body, signature.as_deref())))
            .map_err(|e| window_err(py, e))?;
        let json = report.to_canonical_json();
        Ok(PyIngestReport {
            messages: report.messages,
            new_messages: report.new_messages,
            blocks: results(py, report.blocks)?,
            json,
        })
    }

    /// Whether `user` may be blocked on `phone_number_id` now: a `WindowState` whose `state`
    /// is `"open"` (`open_until`), `"closed"` (`closed_since`) or `"unknown"`.
    ///
    /// The 24 hours run from the timestamp of the user's latest recorded message. An invalid
    /// user raises `InvalidArgumentError`; a store failure `StoreError`.
    fn window(
        &self,
        py: Python<'_>,
        phone_number_id: String,
        user: String,
    ) -> PyResult<PyWindowState> {
        let window = self.current(py)?;
        py.detach(|| guarded(|| window.window(&phone_number_id, &user)))
            .map(|inner| PyWindowState { inner })
            .map_err(|e| window_err(py, e))
    }

    /// Every queued block, oldest first, each a `PendingBlock`.
    ///
    /// Raises `StoreError` when the store fails.
    fn pending(&self, py: Python<'_>) -> PyResult<Vec<PyPendingBlock>> {
        let window = self.current(py)?;
        py.detach(|| guarded(|| window.pending()))
            .map(|rows| {
                rows.into_iter()
                    .map(|inner| PyPendingBlock { inner })
                    .collect()
            })
            .map_err(|e| window_err(py, e))
    }

    /// Removes the queued blocks of `users` on `phone_number_id`.
    ///
    /// Returns a `Cancelled` listing every input once: in `cancelled`, `not_pending` or
    /// `invalid` (with the reason). An empty list raises `InvalidArgumentError`.
    fn cancel_pending(
        &self,
        py: Python<'_>,
        phone_number_id: String,
        users: &Bound<'_, PyAny>,
    ) -> PyResult<PyCancelled> {
        let window = self.current(py)?;
        let items = user_items(py, users)?;
        let users = user_texts(py, &items)?;
        py.detach(|| guarded(|| window.cancel_pending(&phone_number_id, &users)))
            .map(|inner| PyCancelled { inner })
            .map_err(|e| window_err(py, e))
    }

    /// Blocks every queued user whose window is open and whose block no live process holds,
    /// without a new webhook: users who wrote in, and blocks whose claim expired.
    ///
    /// Returns a list of `QueuedBlockResult`, one per block taken up. Raises `StoreError`
    /// when the store fails.
    ///
    /// `cancel`, a `CancelToken`, as for `ingest`: already cancelled, `CancelledError` and
    /// nothing done; cancelled part-way, no further queued block is taken up and the list
    /// returned holds what was (the rest stays queued).
    #[pyo3(signature = (*, cancel=None))]
    fn process_pending(
        &self,
        py: Python<'_>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<Vec<Py<PyQueuedBlockResult>>> {
        let window = self.observing(py, cancel)?;
        let blocks = py
            .detach(|| guarded(|| window.process_pending()))
            .map_err(|e| window_err(py, e))?;
        results(py, blocks)
    }

    /// Closes the store (once calls in flight finish); later calls raise
    /// `InvalidArgumentError`. `with Window(...) as window:` closes on exit.
    fn close(&self, py: Python<'_>) {
        let taken = {
            let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            guard.take()
        };
        // Dropping the last reference closes the database connection: without the GIL.
        py.detach(move || drop(taken));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        // Never the app secret or a database URL (it may hold a password).
        if self.closed() {
            return "Window(closed)".to_string();
        }
        format!(
            "Window(store={}, phone_number_ids={}, signatures_checked={})",
            py_repr(py, self.store.as_deref()),
            py_list(py, &self.numbers),
            py_bool(self.signed)
        )
    }
}

/// `{"error": {…}}` of a window error of `kind` (`"SIGNATURE"`, `"MALFORMED"`, `"STORE"`, or
/// `"INVALID_ARGUMENT"`) with `message`: the crate's canonical JSON, in the core's error shape.
#[pyfunction]
fn window_error_json(kind: &str, message: &str) -> PyResult<String> {
    use wablock_window::ErrorKind as Kind;
    let kind = [
        Kind::InvalidArgument,
        Kind::Signature,
        Kind::Malformed,
        Kind::Store,
    ]
    .into_iter()
    .find(|k| k.as_str() == kind)
    .ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "{kind:?} is not a window error kind without a block error; expected \
                 INVALID_ARGUMENT, SIGNATURE, MALFORMED or STORE"
        ))
    })?;
    Ok(WindowErr::new(kind, message).to_canonical_json())
}

/// Adds the window classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(window_error_json, m)?)?;
    m.add_class::<PyWindow>()?;
    m.add_class::<PyWindowState>()?;
    m.add_class::<PyWhenPossible>()?;
    m.add_class::<PyQueuedBlockResult>()?;
    m.add_class::<PyIngestReport>()?;
    m.add_class::<PyPendingBlock>()?;
    m.add_class::<PyCancelled>()?;
    Ok(())
}
