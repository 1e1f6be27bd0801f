//! The result types: outcomes, pages, blocked users and the lazy iterator, each a thin view
//! of the core value it wraps (its JSON is the core's own).

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use pyo3::exceptions::{PyIndexError, PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PySlice, PySliceMethods, PyString, PyTuple};
use serde_json::Value;
use wablock::Reason;

use crate::errors::{core_err, guarded};

// ------------------------------------------------------------------------------ JSON to Python

/// The canonical JSON value as plain Python objects (`to_dict`).
pub(crate) fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
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

/// Python's own `repr()` of a string (quotes and escapes as Python writes them), or `None`:
/// a result's `repr` reads as the Python expression that built it.
pub(crate) fn py_repr(py: Python<'_>, text: Option<&str>) -> String {
    match text {
        None => "None".to_string(),
        Some(t) => PyString::new(py, t)
            .repr()
            .map(|r| r.to_string_lossy().into_owned())
            .unwrap_or_else(|_| format!("{t:?}")),
    }
}

/// `wablock.Reason(name)`: the str-valued enum defined in Python.
fn reason_to_py<'py>(py: Python<'py>, reason: Reason) -> PyResult<Bound<'py, PyAny>> {
    static REASON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    REASON
        .import(py, "wablock", "Reason")?
        .call1((reason.as_str(),))
}

/// A user the server confirmed: a view of one entry of its outcome, which it shares (no copy
/// of the strings per object, so `outcome.succeeded` costs one small object per user).
#[pyclass(frozen, module = "wablock._wablock", name = "Success")]
pub(crate) struct PySuccess {
    outcome: Arc<wablock::Outcome>,
    index: usize,
}

impl PySuccess {
    fn inner(&self) -> &wablock::Success {
        &self.outcome.succeeded[self.index]
    }
}

#[pymethods]
impl PySuccess {
    /// The string the caller passed, exactly as given.
    #[getter]
    fn input(&self) -> &str {
        &self.inner().input
    }
    /// The identifier as wablock sent it: the normalised phone number or the BSUID.
    #[getter]
    fn sent(&self) -> &str {
        &self.inner().sent
    }
    /// The user's WhatsApp ID (digits) as the server reported it, or None.
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.inner().wa_id.as_deref()
    }
    /// The user's business-scoped user ID (BSUID), or None.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner().user_id.as_deref()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let s = self.inner();
        format!(
            "Success(input={}, sent={}, wa_id={}, user_id={})",
            py_repr(py, Some(&s.input)),
            py_repr(py, Some(&s.sent)),
            py_repr(py, s.wa_id.as_deref()),
            py_repr(py, s.user_id.as_deref())
        )
    }
}

/// A user that was not blocked or unblocked, and why: a view of one entry of its outcome,
/// like [`PySuccess`].
#[pyclass(frozen, module = "wablock._wablock", name = "Failure")]
pub(crate) struct PyFailure {
    outcome: Arc<wablock::Outcome>,
    index: usize,
}

impl PyFailure {
    fn inner(&self) -> &wablock::Failure {
        &self.outcome.failed[self.index]
    }
}

#[pymethods]
impl PyFailure {
    /// The string the caller passed, exactly as given.
    #[getter]
    fn input(&self) -> &str {
        &self.inner().input
    }
    /// The identifier as wablock sent it: the normalised phone number or the BSUID.
    #[getter]
    fn sent(&self) -> Option<&str> {
        self.inner().sent.as_deref()
    }
    /// The user's WhatsApp ID (digits) as the server reported it, or None.
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.inner().wa_id.as_deref()
    }
    /// The user's business-scoped user ID (BSUID), or None.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.inner().user_id.as_deref()
    }
    /// Why the user was not blocked or unblocked: a `wablock.Reason`.
    #[getter]
    fn reason<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        reason_to_py(py, self.inner().reason)
    }
    /// The server's error code for this user (e.g. 131047), or None.
    #[getter]
    fn code(&self) -> Option<i64> {
        self.inner().code
    }
    /// The server's message for this user (wablock's own for INVALID_USER and UNCONFIRMED).
    #[getter]
    fn message(&self) -> &str {
        &self.inner().message
    }
    /// The server's `error_data.details` for this user, or None.
    #[getter]
    fn details(&self) -> Option<&str> {
        self.inner().details.as_deref()
    }
    /// One plain-language sentence about the reason that a support agent can show a person.
    #[getter]
    fn hint(&self) -> &str {
        &self.inner().hint
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let f = self.inner();
        format!(
            "Failure(input={}, reason=Reason.{}, code={}, message={})",
            py_repr(py, Some(&f.input)),
            f.reason.as_str(),
            f.code.map_or_else(|| "None".to_string(), |c| c.to_string()),
            py_repr(py, Some(&f.message))
        )
    }
}

/// What happened to each input of a block or unblock call.
#[pyclass(frozen, module = "wablock._wablock", name = "Outcome")]
pub(crate) struct PyOutcome {
    pub(crate) inner: Arc<wablock::Outcome>,
    /// `succeeded` and `failed`, made on first read and then the same object every time.
    succeeded: PyOnceLock<Py<Successes>>,
    failed: PyOnceLock<Py<Failures>>,
}

// ------------------------------------------------------------------------ the lazy sequences

/// Which list of the outcome a sequence shows.
#[derive(Clone, Copy)]
enum Side {
    Succeeded,
    Failed,
}

/// The shared state of `outcome.succeeded` and `outcome.failed`: the outcome, and a Python list
/// with a slot per entry, `None` until that entry's `Success` or `Failure` is first read. A
/// caller that only takes `len()` (or reads a few entries) never pays for 64,000 objects; one
/// that reads them all gets each entry as the same object every time, like the list that
/// `succeeded` used to return.
struct Entries {
    outcome: Arc<wablock::Outcome>,
    side: Side,
    len: usize,
    /// The slots, made on the first read of an entry.
    slots: PyOnceLock<Py<PyList>>,
    /// Every slot is filled: the list can be handed out as it is.
    complete: AtomicBool,
}

impl Entries {
    fn new(py: Python<'_>, outcome: &Arc<wablock::Outcome>, side: Side) -> PyResult<Self> {
        register_sequences(py)?;
        let len = match side {
            Side::Succeeded => outcome.succeeded.len(),
            Side::Failed => outcome.failed.len(),
        };
        Ok(Entries {
            outcome: Arc::clone(outcome),
            side,
            len,
            slots: PyOnceLock::new(),
            complete: AtomicBool::new(len == 0),
        })
    }

    fn slots<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyList>> {
        self.slots
            .get_or_try_init(py, || {
                PyList::new(py, (0..self.len).map(|_| py.None())).map(Bound::unbind)
            })
            .map(|slots| slots.bind(py))
    }

    /// Entry `index` (in range), made and kept in its slot on first read.
    fn entry<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyAny>> {
        let slots = self.slots(py)?;
        let item = slots.get_item(index)?;
        if !item.is_none() {
            return Ok(item);
        }
        let outcome = Arc::clone(&self.outcome);
        let item = match self.side {
            Side::Succeeded => Bound::new(py, PySuccess { outcome, index })?.into_any(),
            Side::Failed => Bound::new(py, PyFailure { outcome, index })?.into_any(),
        };
        slots.set_item(index, &item)?;
        Ok(item)
    }

    /// The whole list, every slot filled (the same list every time).
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if !self.complete.load(Ordering::Acquire) {
            for index in 0..self.len {
                self.entry(py, index)?;
            }
            self.complete.store(true, Ordering::Release);
        }
        self.slots(py).cloned()
    }

    fn len(&self) -> usize {
        self.len
    }

    /// `seq[i]` (negative from the end) or `seq[a:b:c]` (a new `list`), as a list answers.
    fn getitem<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            let length = isize::try_from(self.len).unwrap_or(isize::MAX);
            let ix = slice.indices(length)?;
            let picked = PyList::empty(py);
            let mut at = ix.start;
            for _ in 0..ix.slicelength {
                picked.append(self.entry(py, at.unsigned_abs())?)?;
                at += ix.step;
            }
            return Ok(picked.into_any());
        }
        let index = match key.extract::<isize>() {
            Ok(index) => index,
            Err(err) if err.is_instance_of::<PyOverflowError>(py) => {
                return Err(PyIndexError::new_err(
                    "cannot fit 'int' into an index-sized integer",
                ));
            }
            Err(_) if !key.hasattr("__index__")? => {
                return Err(PyTypeError::new_err(format!(
                    "indices must be integers or slices, not {}",
                    key.get_type().name()?
                )));
            }
            Err(err) => return Err(err),
        };
        let len = isize::try_from(self.len).unwrap_or(isize::MAX);
        let at = if index < 0 { index + len } else { index };
        if !(0..len).contains(&at) {
            return Err(PyIndexError::new_err("index out of range"));
        }
        self.entry(py, at.unsigned_abs())
    }

    /// The entries as a list, for comparing and concatenating: one of these sequences, or a
    /// `list`; anything else is not comparable (`NotImplemented`).
    fn as_list<'py>(other: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyList>>> {
        let py = other.py();
        if let Ok(s) = other.cast::<Successes>() {
            return s.get().0.list(py).map(Some);
        }
        if let Ok(f) = other.cast::<Failures>() {
            return f.get().0.list(py).map(Some);
        }
        Ok(other.cast::<PyList>().ok().cloned())
    }

    fn richcmp<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        op: CompareOp,
    ) -> PyResult<Py<PyAny>> {
        let Some(other) = Self::as_list(other)? else {
            return Ok(py.NotImplemented());
        };
        let mine = self.list(py)?;
        mine.as_any().rich_compare(other, op).map(Bound::unbind)
    }

    fn add<'py>(
        &self,
        py: Python<'py>,
        other: &Bound<'py, PyAny>,
        reflected: bool,
    ) -> PyResult<Py<PyAny>> {
        let Some(other) = Self::as_list(other)? else {
            return Ok(py.NotImplemented());
        };
        let mine = self.list(py)?;
        let (left, right) = if reflected {
            (other, mine)
        } else {
            (mine, other)
        };
        left.as_any().add(right).map(Bound::unbind)
    }
}

/// Registers both sequence types as `collections.abc.Sequence` (once).
fn register_sequences(py: Python<'_>) -> PyResult<()> {
    static REGISTERED: PyOnceLock<()> = PyOnceLock::new();
    REGISTERED
        .get_or_try_init(py, || {
            let abc = py.import("collections.abc")?.getattr("Sequence")?;
            abc.call_method1("register", (py.get_type::<Successes>(),))?;
            abc.call_method1("register", (py.get_type::<Failures>(),))?;
            Ok::<(), PyErr>(())
        })
        .map(|_| ())
}

/// Declares a read-only sequence class over [`Entries`]: the same protocol as a `list` that
/// cannot be changed (`len`, indexing from either end, slices, iteration, `reversed`, `in`,
/// `index`, `count`, `==` with a list or another sequence, `+`, `repr`, truthiness).
macro_rules! entries_sequence {
    ($(#[$doc:meta])* $name:ident, $pyname:literal) => {
        $(#[$doc])*
        #[pyclass(frozen, sequence, module = "wablock._wablock", name = $pyname)]
        pub(crate) struct $name(Entries);

        #[pymethods]
        impl $name {
            fn __len__(&self) -> usize {
                self.0.len()
            }
            fn __bool__(&self) -> bool {
                self.0.len() > 0
            }
            fn __getitem__<'py>(
                &self,
                py: Python<'py>,
                key: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.0.getitem(py, key)
            }
            fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.0.list(py)?.as_any().try_iter()?.into_any())
            }
            fn __reversed__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.0.list(py)?.call_method0("__reversed__")
            }
            fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
                self.0.list(py)?.contains(value)
            }
            /// The position of the first entry equal to `value` (`ValueError` if none).
            #[pyo3(signature = (value, *bounds))]
            fn index<'py>(
                &self,
                py: Python<'py>,
                value: &Bound<'py, PyAny>,
                bounds: &Bound<'py, PyTuple>,
            ) -> PyResult<Bound<'py, PyAny>> {
                let mut args = vec![value.clone()];
                args.extend(bounds.iter());
                self.0
                    .list(py)?
                    .call_method1("index", PyTuple::new(py, args)?)
            }
            /// How many entries are equal to `value`.
            fn count<'py>(
                &self,
                py: Python<'py>,
                value: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyAny>> {
                self.0.list(py)?.call_method1("count", (value,))
            }
            fn __richcmp__<'py>(
                &self,
                py: Python<'py>,
                other: &Bound<'py, PyAny>,
                op: CompareOp,
            ) -> PyResult<Py<PyAny>> {
                self.0.richcmp(py, other, op)
            }
            fn __add__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
                self.0.add(py, other, false)
            }
            fn __radd__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
                self.0.add(py, other, true)
            }
            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(self.0.list(py)?.repr()?.to_string_lossy().into_owned())
            }
        }
    };
}

entries_sequence!(
    /// `Outcome.succeeded`: the confirmed users as a read-only sequence of `Success`.
    Successes,
    "Successes"
);
entries_sequence!(
    /// `Outcome.failed`: the users not blocked or unblocked as a read-only sequence of
    /// `Failure`.
    Failures,
    "Failures"
);

#[pymethods]
impl PyOutcome {
    /// `'block'` or `'unblock'`.
    #[getter]
    fn operation(&self) -> &'static str {
        self.inner.operation.as_str()
    }
    /// The users the server confirmed, in input order, each a `Success`: a read-only sequence
    /// whose entries are made when first read (`list(outcome.succeeded)` gives a list).
    #[getter]
    fn succeeded(&self, py: Python<'_>) -> PyResult<Py<Successes>> {
        self.succeeded
            .get_or_try_init(py, || {
                Py::new(
                    py,
                    Successes(Entries::new(py, &self.inner, Side::Succeeded)?),
                )
            })
            .map(|s| s.clone_ref(py))
    }
    /// The users not blocked or unblocked, in input order, each a `Failure` with its reason: a
    /// read-only sequence like `succeeded`.
    #[getter]
    fn failed(&self, py: Python<'_>) -> PyResult<Py<Failures>> {
        self.failed
            .get_or_try_init(py, || {
                Py::new(py, Failures(Entries::new(py, &self.inner, Side::Failed)?))
            })
            .map(|s| s.clone_ref(py))
    }
    /// How many HTTP requests the call made, retries included.
    #[getter]
    fn requests(&self) -> u32 {
        self.inner.requests
    }
    /// True when every input succeeded (nothing in `failed`).
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
    /// The canonical JSON text (keys sorted, compact): byte for byte what every language prints.
    fn to_json(&self) -> String {
        self.inner.to_canonical_json()
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::json!({ "outcome": self.inner.to_json_value() }),
        )
    }
    fn __repr__(&self) -> String {
        format!(
            "Outcome(operation='{}', succeeded=<{} users>, failed=<{} users>, requests={})",
            self.inner.operation.as_str(),
            self.inner.succeeded.len(),
            self.inner.failed.len(),
            self.inner.requests
        )
    }
}

/// A blocked user: a WA ID, a BSUID, or both.
///
/// Immutable to Python. The iterator of `blocked_users` may refill one whose only reference is
/// its own (nobody else can see it any more) instead of freeing it and allocating the next
/// user's object, as CPython's `zip` and `enumerate` reuse their result tuple ([`Walk`]).
#[pyclass(frozen, eq, hash, module = "wablock._wablock", name = "BlockedUser")]
pub(crate) struct PyBlockedUser {
    inner: UnsafeCell<wablock::BlockedUser>,
}

// SAFETY: the user is written only by `PyBlockedUsers::__next__` (`Walk::refill`), with the GIL
// held and when the iterator's reference is the object's only one: no other thread or Python
// code holds the object, so no `&` to its user exists. Every other access only reads.
unsafe impl Sync for PyBlockedUser {}

impl PyBlockedUser {
    pub(crate) fn new(inner: wablock::BlockedUser) -> Self {
        PyBlockedUser {
            inner: UnsafeCell::new(inner),
        }
    }

    pub(crate) fn user(&self) -> &wablock::BlockedUser {
        // SAFETY: see `unsafe impl Sync` above: no write happens while a reader holds the object.
        unsafe { &*self.inner.get() }
    }
}

impl PartialEq for PyBlockedUser {
    fn eq(&self, other: &Self) -> bool {
        self.user() == other.user()
    }
}

impl Eq for PyBlockedUser {}

impl std::hash::Hash for PyBlockedUser {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.user().hash(state);
    }
}

#[pymethods]
impl PyBlockedUser {
    /// The user's WhatsApp ID (digits) as the server reported it, or None.
    #[getter]
    fn wa_id(&self) -> Option<&str> {
        self.user().wa_id.as_deref()
    }
    /// The user's business-scoped user ID (BSUID), or None.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.user().user_id.as_deref()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let user = self.user();
        format!(
            "BlockedUser(wa_id={}, user_id={})",
            py_repr(py, user.wa_id.as_deref()),
            py_repr(py, user.user_id.as_deref())
        )
    }
}

/// One page of the blocklist.
#[pyclass(frozen, module = "wablock._wablock", name = "Page")]
pub(crate) struct PyPage {
    pub(crate) inner: wablock::Page,
}

#[pymethods]
impl PyPage {
    /// The users on this page, in the server's order, each a `BlockedUser`.
    #[getter]
    fn users(&self) -> Vec<PyBlockedUser> {
        let users = self.inner.users.iter().cloned();
        users.map(PyBlockedUser::new).collect()
    }
    /// The cursor to pass as `after=` to read the next page, or None.
    #[getter]
    fn after(&self) -> Option<&str> {
        self.inner.after.as_deref()
    }
    /// The cursor to pass as `before=` to read the previous page, or None.
    #[getter]
    fn before(&self) -> Option<&str> {
        self.inner.before.as_deref()
    }
    /// True when another page follows: pass `after` to `list_page` to read it.
    #[getter]
    fn has_more(&self) -> bool {
        self.inner.has_more
    }
    fn __len__(&self) -> usize {
        self.inner.users.len()
    }
    /// The canonical JSON text (keys sorted, compact): byte for byte what every language prints.
    fn to_json(&self) -> String {
        self.inner.to_canonical_json()
    }
    /// The canonical JSON as Python dicts, lists and scalars.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(
            py,
            &serde_json::json!({ "page": self.inner.to_json_value() }),
        )
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Page(users=<{} users>, has_more={}, after={}, before={})",
            self.inner.users.len(),
            if self.inner.has_more { "True" } else { "False" },
            py_repr(py, self.inner.after.as_deref()),
            py_repr(py, self.inner.before.as_deref())
        )
    }
}

// ------------------------------------------------------------------------------ the iterator

/// The lazy iterator of `Client.blocked_users`: one page in memory, fetched with the GIL
/// released.
#[pyclass(frozen, module = "wablock._wablock", name = "BlockedUsers")]
pub(crate) struct PyBlockedUsers {
    inner: Mutex<Walk>,
}

/// The core's iterator, and the last two `BlockedUser` objects `__next__` returned.
///
/// `for user in it` keeps the previous user in its loop variable while it asks for the next
/// one, so the object from two calls back is usually held by nobody but this iterator: it is
/// refilled with the next user instead of being freed while a new one is allocated (the two
/// cost ~450 instructions a user, more than the rest of `__next__`). An object anyone else
/// still holds (a list built with `list(it)`, a variable) is never touched: its count of
/// references is above one, and the iterator drops its own reference and makes a new one.
struct Walk {
    it: wablock::BlockedUsers,
    recent: [Option<Py<PyBlockedUser>>; 2],
    turn: usize,
}

impl Walk {
    /// The next user as an object, if the core has it buffered (no request, so the GIL stays
    /// held). A refill needs the GIL to decide that nobody else holds the object, so it is
    /// only done where CPython has one (not on a free-threaded build).
    fn next_buffered(&mut self, py: Python<'_>) -> Option<PyResult<Py<PyBlockedUser>>> {
        if self.it.buffered() == 0 {
            return None;
        }
        let user = self.it.next()?.ok()?;
        let slot = &mut self.recent[self.turn];
        self.turn ^= 1;
        if let Some(held) = slot.as_ref()
            // SAFETY: `held` is a live object and the GIL is held.
            && unsafe { pyo3::ffi::Py_REFCNT(held.as_ptr()) } == 1
            && gil_enabled(py)
        {
            // SAFETY: the GIL is held and `slot` holds the object's only reference: nothing
            // else can read the user while it is replaced (see `unsafe impl Sync`).
            unsafe { *held.get().inner.get() = user };
            return Some(Ok(held.clone_ref(py)));
        }
        Some(Py::new(py, PyBlockedUser::new(user)).inspect(|made| {
            *slot = Some(made.clone_ref(py));
        }))
    }
}

/// Whether this CPython has a GIL (it has unless it is a free-threaded build running without
/// one), read once per process.
fn gil_enabled(py: Python<'_>) -> bool {
    static ENABLED: PyOnceLock<bool> = PyOnceLock::new();
    *ENABLED.get_or_init(py, || {
        py.import("sys")
            .and_then(|sys| match sys.getattr("_is_gil_enabled") {
                Ok(is_enabled) => is_enabled.call0()?.extract::<bool>(),
                Err(_) => Ok(true),
            })
            .unwrap_or(false)
    })
}

impl PyBlockedUsers {
    pub(crate) fn new(it: wablock::BlockedUsers) -> Self {
        PyBlockedUsers {
            inner: Mutex::new(Walk {
                it,
                recent: [None, None],
                turn: 0,
            }),
        }
    }

    /// Reads the iterator under its lock, taken with the GIL released: a fetch in another
    /// thread holds the lock and may need the GIL (to log), so waiting on the lock while
    /// holding the GIL could deadlock.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&wablock::BlockedUsers) -> T + Send,
    ) -> T {
        py.detach(|| f(&self.inner.lock().unwrap_or_else(PoisonError::into_inner).it))
    }
}

#[pymethods]
impl PyBlockedUsers {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyBlockedUser>>> {
        // A user of the page already read is taken without releasing the GIL: `try_lock`
        // never waits, so it cannot deadlock, and a page's worth of calls skip the GIL
        // hand-off (most of the per-user cost of a listing).
        let buffered = match self.inner.try_lock() {
            Ok(mut walk) => walk.next_buffered(py),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner().next_buffered(py),
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(user) = buffered {
            return user.map(Some);
        }
        // The lock is taken with the GIL released, so a second thread waiting on it cannot
        // deadlock with the first one re-acquiring the GIL.
        let item = py.detach(|| {
            let mut walk = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            guarded(|| walk.it.next().transpose())
        });
        match item {
            Ok(None) => Ok(None),
            Ok(Some(user)) => Py::new(py, PyBlockedUser::new(user)).map(Some),
            Err(err) => Err(core_err(py, err)),
        }
    }

    /// The next user and every user already read with it (no request for those): an empty
    /// list at the end. For the async iterator, which hands over a page per thread hop.
    fn _next_chunk(&self, py: Python<'_>) -> PyResult<Vec<PyBlockedUser>> {
        let chunk = py.detach(|| {
            let mut walk = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            let it = &mut walk.it;
            guarded(|| {
                let mut out = Vec::new();
                if let Some(first) = it.next().transpose()? {
                    out.push(first);
                    while it.buffered() > 0 {
                        match it.next() {
                            Some(Ok(user)) => out.push(user),
                            Some(Err(err)) => return Err(err),
                            None => break,
                        }
                    }
                }
                Ok(out)
            })
        });
        match chunk {
            Ok(users) => Ok(users.into_iter().map(PyBlockedUser::new).collect()),
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

impl From<wablock::Outcome> for PyOutcome {
    fn from(inner: wablock::Outcome) -> Self {
        PyOutcome::from(Arc::new(inner))
    }
}

impl From<Arc<wablock::Outcome>> for PyOutcome {
    fn from(inner: Arc<wablock::Outcome>) -> Self {
        PyOutcome {
            inner,
            succeeded: PyOnceLock::new(),
            failed: PyOnceLock::new(),
        }
    }
}
