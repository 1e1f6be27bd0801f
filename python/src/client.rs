//! `Client`: the constructors, the calls (with the GIL released while they wait), progress
//! callbacks, `CancelToken` and Ctrl-C (both through the core's cancellation token).

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use wablock::{
    CancelToken, ClientBuilder, ClientOptions as CoreOptions, Error as CoreError, Operation,
    Progress,
};

use crate::errors::{core_err, guarded};
use crate::options::ClientOptions;
use crate::types::{PyBlockedUsers, PyOutcome, PyPage};

/// A client for one phone number's blocklist.
#[pyclass(frozen, module = "wablock._wablock", name = "Client")]
pub(crate) struct PyClient {
    /// `None` once closed.
    inner: Mutex<Option<wablock::Client>>,
}

/// A cancellation handle: pass it as `cancel=` to a call, and call `cancel()` from any thread
/// to stop that call (no new batch, page or retry starts; requests in flight finish; the call
/// raises `CancelledError` with its accounting). Clones share state; it never resets.
#[pyclass(frozen, module = "wablock._wablock", name = "CancelToken")]
pub(crate) struct PyCancelToken {
    pub(crate) token: CancelToken,
}

#[pymethods]
impl PyCancelToken {
    #[new]
    fn new() -> Self {
        PyCancelToken {
            token: CancelToken::new(),
        }
    }

    /// Stops every call observing this token. Idempotent; safe from any thread.
    fn cancel(&self) {
        self.token.cancel();
    }

    /// True once `cancel()` ran.
    #[getter]
    fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!(
            "CancelToken(cancelled={})",
            if self.token.is_cancelled() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The client a call runs on: observing the caller's token, if any.
fn observing(
    client: wablock::Client,
    cancel: Option<&Bound<'_, PyCancelToken>>,
) -> wablock::Client {
    match cancel {
        Some(token) => client.with_cancel(token.get().token.clone()),
        None => client,
    }
}

/// The progress hook of a bulk call: runs the caller's callback with the GIL, turns a raised
/// exception (or a Ctrl-C seen by the waiting thread) into a cancellation of the call's token,
/// and keeps the first one.
struct Hook {
    callback: Option<Py<PyAny>>,
    failure: Mutex<Option<PyErr>>,
    cancel: CancelToken,
}

impl Hook {
    fn store(&self, err: PyErr) {
        let mut slot = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(err);
        self.cancel.cancel();
    }

    fn on_progress(&self, p: Progress) -> ControlFlow<()> {
        if self.cancel.is_cancelled() {
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
    /// The client of `builder` with a constructor's keyword options.
    fn build(
        py: Python<'_>,
        builder: ClientBuilder,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = ClientOptions::from_kwargs(py, options)?;
        let client = py
            .detach(|| guarded(|| builder.options(options.to_core()?).build()))
            .map_err(|e| core_err(py, e))?;
        Ok(PyClient {
            inner: Mutex::new(Some(client)),
        })
    }

    pub(crate) fn client(&self, py: Python<'_>) -> PyResult<wablock::Client> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .clone()
            .ok_or_else(|| core_err(py, CoreError::client_closed()))
    }

    fn mutate(
        &self,
        py: Python<'_>,
        operation: Operation,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyOutcome> {
        let items = user_items(py, users)?;
        let users = user_texts(py, &items)?;
        // The call observes the caller's token, or one of its own; Ctrl-C and a raising
        // progress callback cancel that token (so a caller's token is cancelled by them too).
        let token = cancel.map_or_else(CancelToken::new, |t| t.get().token.clone());
        let client = self.client(py)?.with_cancel(token.clone());
        let hook = Hook {
            callback: on_progress.filter(|c| !c.is_none()).map(Bound::unbind),
            failure: Mutex::new(None),
            cancel: token,
        };
        let progress = |p: Progress| hook.on_progress(p);
        let work = || guarded(|| client.mutate(operation, &users, Some(&progress)));
        // A single batch has no batch boundary at which Ctrl-C could stop it, and it is bounded
        // by the client's timeouts: run it inline, without the helper thread (whose spawn and
        // hand-off cost about as much as a loopback request).
        let result = if client.fits_one_batch(users.len()) {
            py.detach(work)
        } else {
            run_interruptible(py, &hook, work)
        };
        let failure = hook
            .failure
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match (failure, result) {
            (None, Ok(inner)) => Ok(PyOutcome::from(inner)),
            (None, Err(err)) => Err(core_err(py, err)),
            // The callback (or Ctrl-C) stopped the call: its exception propagates, carrying
            // what the core accounted for so the caller loses nothing.
            (Some(exc), result) => {
                let value = exc.value(py);
                let (partial, not_attempted) = match result {
                    Ok(inner) => (Some(PyOutcome::from(inner)), Vec::new()),
                    Err(err) => (
                        err.partial().cloned().map(PyOutcome::from),
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
/// hook, whose token stops the bulk call before its next request. (Python only delivers signals
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
        let result = match py.detach(|| worker.join()) {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        // A Ctrl-C that came after the last look (while the last batch finished) is reported
        // with this call, carrying its outcome, rather than raised by the next line of Python,
        // where the outcome would be lost.
        if let Err(err) = py.check_signals() {
            hook.store(err);
        }
        result
    })
}

/// Users read from Python per hold of the GIL (about a millisecond's work at most).
const USERS_PER_GIL_HOLD: usize = 1024;

/// The users argument's items: any iterable. A bare `str` is refused rather than split into
/// characters, and so is a non-iterable. The items are kept (strong references) so that
/// [`user_texts`] can borrow their text while the GIL is released.
pub(crate) fn user_items<'py>(
    py: Python<'py>,
    users: &Bound<'py, PyAny>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if users.is_instance_of::<PyString>() {
        return Err(core_err(py, CoreError::users_given_as_one_string()));
    }
    let iter = users
        .try_iter()
        .map_err(|_| core_err(py, CoreError::users_not_a_list()))?;
    // A list or tuple says how many items come: one allocation for them.
    let known = if users.is_exact_instance_of::<PyList>() || users.is_exact_instance_of::<PyTuple>()
    {
        users.len().unwrap_or(0)
    } else {
        0
    };
    let mut out = Vec::with_capacity(known);
    for (i, item) in iter.enumerate() {
        // Rust code holding the GIL never honours Python's switch interval: hand the GIL over
        // now and then, so an event loop (AsyncClient) or other threads keep running while a
        // 64,000-user list is read.
        if i % USERS_PER_GIL_HOLD == USERS_PER_GIL_HOLD - 1 {
            py.detach(|| ());
        }
        out.push(item?);
    }
    Ok(out)
}

/// Each item's text, borrowed from the `str` object where Python can lend its UTF-8 (no copy
/// per user), for the core, which takes any `AsRef<str>`. Anything that is not a string (or a
/// str with lone surrogates) refuses the call, but every input is still listed in
/// not_attempted: a non-string as Python prints it.
pub(crate) fn user_texts<'a>(
    py: Python<'_>,
    items: &'a [Bound<'_, PyAny>],
) -> PyResult<Vec<Cow<'a, str>>> {
    let mut out: Vec<Cow<'a, str>> = Vec::with_capacity(items.len());
    let mut first_not_text = None;
    for (i, item) in items.iter().enumerate() {
        match text_of(item) {
            Some(text) => out.push(text),
            None => {
                first_not_text.get_or_insert(i);
                out.push(Cow::Owned(
                    item.str()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ));
            }
        }
    }
    match first_not_text {
        Some(i) => Err(core_err(
            py,
            wablock::boundary::refuse_call(CoreError::user_not_text(i), &out),
        )),
        None => Ok(out),
    }
}

unsafe extern "C" {
    /// CPython's UTF-8 view of a `str`: cached in the object (for an ASCII string, its own
    /// buffer), valid while the object lives. In the stable ABI from Python 3.10 (and exported
    /// by every CPython 3 before it, outside the limited API): called only on 3.10 and later.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

/// Whether the running Python lends a `str`'s UTF-8 through the stable ABI (3.10 and later).
fn utf8_lent(py: Python<'_>) -> bool {
    static LENT: OnceLock<bool> = OnceLock::new();
    *LENT.get_or_init(|| py.version_info() >= (3, 10))
}

/// A `str`'s text: borrowed for as long as `item` is (its object is immutable and `item` holds
/// a reference), or copied on Python 3.9; `None` for a non-string or lone surrogates.
fn text_of<'a>(item: &'a Bound<'_, PyAny>) -> Option<Cow<'a, str>> {
    let text = item.cast::<PyString>().ok()?;
    if !utf8_lent(item.py()) {
        return text.to_cow().ok().map(|t| Cow::Owned(t.into_owned()));
    }
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `text` is a str and the GIL is held. The buffer returned belongs to the object,
    // which `item` keeps alive for 'a, and a str never changes.
    let data = unsafe { PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size) };
    if data.is_null() {
        // Lone surrogates cannot be encoded: the UnicodeEncodeError is not the caller's.
        let _ = PyErr::take(item.py());
        return None;
    }
    let len = usize::try_from(size).ok()?;
    // SAFETY: CPython returned `size` bytes at `data`, alive as long as the object (above),
    // and they are UTF-8: the function encodes strictly (lone surrogates fail, above), so
    // checking them again would only cost a pass over every input.
    let text: &'a str = unsafe {
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        std::str::from_utf8_unchecked(bytes)
    };
    Some(Cow::Borrowed(text))
}

/// `limit` or `page_size`: a Python int as the core's count.
fn optional_u32(py: Python<'_>, name: &str, value: Option<i64>) -> PyResult<Option<u32>> {
    value
        .map(|v| CoreOptions::count(name, v))
        .transpose()
        .map_err(|e| core_err(py, e))
}

#[pymethods]
impl PyClient {
    /// A client for one phone number on Meta's Cloud API.
    ///
    /// `phone_number_id` is the numeric ID of the WhatsApp phone number (not the number
    /// itself); `access_token` a token with `whatsapp_business_messaging`. Keyword options
    /// (all optional): `base_url`, `api_version`, `connect_timeout` and `read_timeout`
    /// (seconds), `deadline` (seconds, the whole call), `max_attempts`, `initial_backoff`,
    /// `max_backoff`, `jitter`, `max_batch` (1-1,000), `parallelism` (1-16),
    /// `allow_insecure_http`, `max_response_bytes`, `list_restart_budget`.
    ///
    /// Raises `InvalidArgumentError` (also a `ValueError`) naming the bad value. The token
    /// never appears in `repr`, messages or logs. Use as a context manager to close it.
    #[new]
    #[pyo3(signature = (phone_number_id, access_token, **options))]
    fn new(
        py: Python<'_>,
        phone_number_id: String,
        access_token: String,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Self::build(
            py,
            wablock::Client::meta(phone_number_id, access_token),
            options,
        )
    }

    /// A client for one phone number through 360dialog (one API key per phone number); the
    /// same keyword options as `Client(...)`.
    #[staticmethod]
    #[pyo3(signature = (api_key, **options))]
    fn dialog360(
        py: Python<'_>,
        api_key: String,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Self::build(py, wablock::Client::dialog360(api_key), options)
    }

    /// A client from the environment: `WABLOCK_PROVIDER` (`meta` or `360dialog`),
    /// `WABLOCK_PHONE_NUMBER_ID`, `WABLOCK_ACCESS_TOKEN`, `WABLOCK_API_KEY`, `WABLOCK_BASE_URL`
    /// and `WABLOCK_API_VERSION`; keyword options as for `Client(...)` are applied on top. A
    /// missing or malformed variable raises `InvalidArgumentError` naming it.
    #[staticmethod]
    #[pyo3(signature = (**options))]
    fn from_env(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let builder = ClientBuilder::from_env().map_err(|e| core_err(py, e))?;
        Self::build(py, builder, options)
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

    /// Blocks `users` and reports what happened to each one.
    ///
    /// `users` is any iterable of strings: phone numbers in any common writing
    /// (`"+1 (650) 555-1234"`), WA IDs (digits) or BSUIDs (`"US.1349…"`). Duplicates are sent
    /// once; more than 1,000 are split into batches, sent in parallel and retried.
    ///
    /// Returns an `Outcome` in which every input appears exactly once, in `succeeded` or in
    /// `failed` (each failure with a `reason` and a plain-language `hint`). Raises a
    /// `WablockError` subclass when the call fails as a whole (`AuthError`, `RateLimitError`,
    /// …); its `partial` and `not_attempted` still account for every input.
    ///
    /// `on_progress(done, total)` is called after each batch (from a worker thread);
    /// returning `False` or raising stops the call at the next batch (`CancelledError`).
    /// `cancel`, a `CancelToken`, stops it from any thread. Ctrl-C stops it too.
    #[pyo3(signature = (users, *, on_progress=None, cancel=None))]
    fn block(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyOutcome> {
        self.mutate(py, Operation::Block, users, on_progress, cancel)
    }

    /// Unblocks `users` and reports what happened to each one.
    ///
    /// The same inputs, batching, retries, `on_progress`, `cancel` and errors as `block`;
    /// every input appears once in the returned `Outcome` (or in the error's `partial` and
    /// `not_attempted`).
    #[pyo3(signature = (users, *, on_progress=None, cancel=None))]
    fn unblock(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        on_progress: Option<Bound<'_, PyAny>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyOutcome> {
        self.mutate(py, Operation::Unblock, users, on_progress, cancel)
    }

    /// One page of the blocklist: at most `limit` users (100 when `None`), from the start,
    /// or after (`after=`) or before (`before=`) a cursor from an earlier `Page`, not both.
    ///
    /// Returns a `Page` with `users`, `after`, `before` and `has_more`. Raises
    /// `ConcurrentUpdateError` when the list changed since the cursor was issued (start again
    /// from the first page), or another `WablockError`. Retried like `block`.
    #[pyo3(signature = (limit=None, after=None, before=None, *, cancel=None))]
    fn list_page(
        &self,
        py: Python<'_>,
        limit: Option<i64>,
        after: Option<String>,
        before: Option<String>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyPage> {
        let client = observing(self.client(py)?, cancel);
        let limit = optional_u32(py, "limit", limit)?;
        py.detach(|| {
            guarded(|| {
                let cursor = wablock::Cursor::from_options(after.as_deref(), before.as_deref())?;
                client.list_page(limit, cursor)
            })
        })
        .map(|inner| PyPage { inner })
        .map_err(|e| core_err(py, e))
    }

    /// Every blocked user, lazily: one request per `page_size` users (100 when `None`).
    ///
    /// The iterator yields each user once, restarts from the first page if the list changes
    /// while it is read (skipping users already yielded), and always ends. A failure raises
    /// the `WablockError` from `next()`. Holds one page plus the set of ids yielded.
    #[pyo3(signature = (page_size=None, *, cancel=None))]
    fn blocked_users(
        &self,
        py: Python<'_>,
        page_size: Option<i64>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyBlockedUsers> {
        let client = observing(self.client(py)?, cancel);
        let page_size = optional_u32(py, "page_size", page_size)?;
        Ok(PyBlockedUsers::new(client.blocked_users(page_size)))
    }

    /// Whether `user` (a phone number, WA ID or BSUID) is on the blocklist.
    ///
    /// Walks the list page by page and stops at the first page that holds the user: up to
    /// one request per 100 blocked users. An invalid user raises `InvalidArgumentError`.
    #[pyo3(signature = (user, *, cancel=None))]
    fn is_blocked(
        &self,
        py: Python<'_>,
        user: String,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<bool> {
        let client = observing(self.client(py)?, cancel);
        py.detach(|| guarded(|| client.is_blocked(&user)))
            .map_err(|e| core_err(py, e))
    }

    /// Drops the connection pool; later calls raise `InvalidArgumentError` ("the client is
    /// closed"). Calls in flight finish. `with Client(...) as client:` closes on exit.
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
