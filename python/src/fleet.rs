//! `Fleet`: one call on several phone numbers of a business (docs/fleet.md). Every rule (labels
//! checked, parallelism bounded in total and adaptive per number, one entry per number, the
//! merged walk) and every JSON shape is the core's `wablock::Fleet`; this converts types.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::sync::Arc;

use wablock::{Error as CoreError, FleetEntry, FleetResults, Operation, Outcome, boundary};

use crate::client::{PyCancelToken, PyClient, user_items, user_texts};
use crate::errors::{core_err, guarded};
use crate::options::ClientOptions;
use crate::types::{PyBlockedUser, PyOutcome};

/// Several phone numbers' clients under their labels.
#[pyclass(frozen, module = "wablock._wablock", name = "Fleet")]
pub(crate) struct PyFleet {
    inner: wablock::Fleet,
}

/// One number's entry: its outcome (block, unblock), its answer (is_blocked), or its error.
#[pyclass(frozen, module = "wablock._wablock", name = "FleetEntry")]
pub(crate) struct PyFleetEntry {
    label: String,
    outcome: Option<Py<PyOutcome>>,
    is_blocked: Option<bool>,
    error: Option<Py<PyAny>>,
}

/// One entry per number, in fleet order.
#[pyclass(frozen, module = "wablock._wablock", name = "FleetResults")]
pub(crate) struct PyFleetResults {
    entries: Vec<Py<PyFleetEntry>>,
    labels: Vec<String>,
    ok: bool,
    /// The core's JSON of these results, built only when asked: for a large call it costs as
    /// much as the call's own decoding, and most callers never ask.
    canonical: CanonicalJson,
}

type CanonicalJson = Box<dyn Fn() -> String + Send + Sync>;

/// A user on one or more of the fleet's blocklists.
#[pyclass(frozen, module = "wablock._wablock", name = "FleetBlockedUser")]
pub(crate) struct PyFleetBlockedUser {
    user: Py<PyBlockedUser>,
    blocked_on: Vec<String>,
}

/// The merged walk of the fleet's blocklists.
#[pyclass(frozen, module = "wablock._wablock", name = "FleetBlocklist")]
pub(crate) struct PyFleetBlocklist {
    users: Vec<Py<PyFleetBlockedUser>>,
    errors: Vec<(String, Py<PyAny>)>,
    json: String,
}

fn exception(py: Python<'_>, err: CoreError) -> Py<PyAny> {
    core_err(py, err).into_value(py).into_any()
}

impl PyFleetResults {
    fn new<T>(
        py: Python<'_>,
        results: FleetResults<T>,
        canonical: CanonicalJson,
        ok: bool,
        mut convert: impl FnMut(Python<'_>, T) -> PyResult<(Option<Py<PyOutcome>>, Option<bool>)>,
    ) -> PyResult<Self> {
        let mut entries = Vec::with_capacity(results.entries.len());
        let mut labels = Vec::with_capacity(results.entries.len());
        for e in results.entries {
            let (outcome, is_blocked, error) = match e.result {
                Ok(value) => {
                    let (o, b) = convert(py, value)?;
                    (o, b, None)
                }
                Err(err) => (None, None, Some(exception(py, err))),
            };
            labels.push(e.label.clone());
            entries.push(Py::new(
                py,
                PyFleetEntry {
                    label: e.label,
                    outcome,
                    is_blocked,
                    error,
                },
            )?);
        }
        Ok(PyFleetResults {
            entries,
            labels,
            ok,
            canonical,
        })
    }
}

/// `total_parallelism` as the core's count.
fn total(py: Python<'_>, total_parallelism: Option<i64>) -> PyResult<Option<usize>> {
    total_parallelism
        .map(|v| boundary::count::<usize>("total_parallelism", v))
        .transpose()
        .map_err(|e| core_err(py, e))
}

impl PyFleet {
    /// The fleet a call runs on: every number, or the numbers labelled in `numbers`.
    /// `cancel`, when given, is observed by every number's call.
    fn chosen(
        &self,
        py: Python<'_>,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<wablock::Fleet> {
        let fleet = match numbers {
            None => self.inner.clone(),
            Some(labels) => self.inner.select(&labels).map_err(|e| core_err(py, e))?,
        };
        Ok(match cancel {
            Some(token) => fleet.with_cancel(token.get().token.clone()),
            None => fleet,
        })
    }

    fn mutate(
        &self,
        py: Python<'_>,
        operation: Operation,
        users: &Bound<'_, PyAny>,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyFleetResults> {
        let fleet = self.chosen(py, numbers, cancel)?;
        let items = user_items(py, users)?;
        let users = user_texts(py, &items)?;
        let results = py.detach(|| fleet.mutate(operation, &users));
        let ok = results.is_ok();
        // The outcomes are shared between the Python objects and the JSON, never copied
        // unless the JSON is asked for.
        let shared = FleetResults {
            entries: results
                .entries
                .into_iter()
                .map(|e| FleetEntry {
                    label: e.label,
                    result: e.result.map(Arc::new),
                })
                .collect(),
        };
        let kept = shared.clone();
        let canonical: CanonicalJson = Box::new(move || {
            let entries = kept.entries.iter().map(|e| FleetEntry {
                label: e.label.clone(),
                result: e
                    .result
                    .as_ref()
                    .map(|o| Outcome::clone(o))
                    .map_err(Clone::clone),
            });
            FleetResults {
                entries: entries.collect(),
            }
            .to_canonical_json()
        });
        PyFleetResults::new(py, shared, canonical, ok, |py, o| {
            Ok((Some(Py::new(py, PyOutcome::from(o))?), None))
        })
    }
}

#[pymethods]
impl PyFleet {
    /// A fleet of labelled clients: a mapping `{label: Client}` or pairs `(label, Client)`.
    #[new]
    #[pyo3(signature = (numbers, *, total_parallelism=None))]
    fn new(
        py: Python<'_>,
        numbers: &Bound<'_, PyAny>,
        total_parallelism: Option<i64>,
    ) -> PyResult<Self> {
        let pairs = match numbers.cast::<PyDict>() {
            Ok(d) => d.items().into_any(),
            Err(_) => numbers.clone(),
        };
        let mut builder = wablock::Fleet::builder();
        for item in pairs.try_iter()? {
            let (label, client): (Bound<'_, PyString>, PyRef<'_, PyClient>) = item?.extract()?;
            builder = builder.number(label.to_cow()?.into_owned(), client.client(py)?);
        }
        if let Some(total) = total(py, total_parallelism)? {
            builder = builder.total_parallelism(total);
        }
        let inner = guarded(|| builder.build()).map_err(|e| core_err(py, e))?;
        Ok(PyFleet { inner })
    }

    /// A Meta fleet: one access token serving every phone number ID, each number labelled by
    /// its ID; `options` (as for `Client`) apply to every number.
    #[staticmethod]
    #[pyo3(signature = (phone_number_ids, access_token, *, total_parallelism=None, **options))]
    fn meta(
        py: Python<'_>,
        phone_number_ids: Vec<String>,
        access_token: String,
        total_parallelism: Option<i64>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let ids = phone_number_ids;
        let options = ClientOptions::from_kwargs(py, options)?;
        let total = total(py, total_parallelism)?;
        let inner = py
            .detach(|| {
                guarded(|| {
                    let core = options.to_core()?;
                    let fleet =
                        wablock::Fleet::meta(&ids, &access_token, |b| b.options(core.clone()))?;
                    match total {
                        None => Ok(fleet),
                        Some(t) => fleet.with_total_parallelism(t),
                    }
                })
            })
            .map_err(|e| core_err(py, e))?;
        Ok(PyFleet { inner })
    }

    /// The labels, in fleet order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.labels().map(str::to_owned).collect()
    }

    /// Blocks `users` on every number (or the numbers labelled in `numbers`).
    #[pyo3(signature = (users, *, numbers=None, cancel=None))]
    fn block(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyFleetResults> {
        self.mutate(py, Operation::Block, users, numbers, cancel)
    }

    /// Unblocks `users` on every number (or the numbers labelled in `numbers`).
    #[pyo3(signature = (users, *, numbers=None, cancel=None))]
    fn unblock(
        &self,
        py: Python<'_>,
        users: &Bound<'_, PyAny>,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyFleetResults> {
        self.mutate(py, Operation::Unblock, users, numbers, cancel)
    }

    /// Whether `user` is on each number's blocklist.
    #[pyo3(signature = (user, *, numbers=None, cancel=None))]
    fn is_blocked(
        &self,
        py: Python<'_>,
        user: String,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyFleetResults> {
        let fleet = self.chosen(py, numbers, cancel)?;
        let results = py.detach(|| fleet.is_blocked(&user));
        let ok = results.is_ok();
        let kept = results.clone();
        let canonical: CanonicalJson = Box::new(move || kept.to_canonical_json());
        PyFleetResults::new(py, results, canonical, ok, |_, b| Ok((None, Some(b))))
    }

    /// Walks every number's blocklist and yields each user once, with the numbers blocking them.
    #[pyo3(signature = (page_size=None, *, numbers=None, cancel=None))]
    fn blocked_users(
        &self,
        py: Python<'_>,
        page_size: Option<i64>,
        numbers: Option<Vec<String>>,
        cancel: Option<&Bound<'_, PyCancelToken>>,
    ) -> PyResult<PyFleetBlocklist> {
        let fleet = self.chosen(py, numbers, cancel)?;
        let page_size = page_size
            .map(|v| boundary::count::<u32>("page_size", v))
            .transpose()
            .map_err(|e| core_err(py, e))?;
        let walk = py.detach(|| fleet.blocked_users(page_size));
        let json = walk.to_canonical_json();
        let users = walk
            .users
            .into_iter()
            .map(|u| {
                let user = Py::new(py, PyBlockedUser::new(u.user))?;
                Py::new(
                    py,
                    PyFleetBlockedUser {
                        user,
                        blocked_on: u.blocked_on,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        let errors = walk
            .errors
            .into_iter()
            .map(|(label, err)| (label, exception(py, err)))
            .collect();
        Ok(PyFleetBlocklist {
            users,
            errors,
            json,
        })
    }

    fn __repr__(&self) -> String {
        // Labels only: the credentials never appear.
        format!("Fleet(labels={:?})", self.labels())
    }
}

#[pymethods]
impl PyFleetEntry {
    #[getter]
    fn label(&self) -> &str {
        &self.label
    }
    /// The number's own outcome (block, unblock), or None.
    #[getter]
    fn outcome(&self, py: Python<'_>) -> Option<Py<PyOutcome>> {
        self.outcome.as_ref().map(|o| o.clone_ref(py))
    }
    /// The number's answer (is_blocked), or None.
    #[getter]
    fn is_blocked(&self) -> Option<bool> {
        self.is_blocked
    }
    /// The number's own error (a `WablockError`, with its own accounting), or None.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|e| e.clone_ref(py))
    }
    fn __repr__(&self) -> String {
        let what = if self.error.is_some() {
            "error"
        } else if self.outcome.is_some() {
            "outcome"
        } else {
            "is_blocked"
        };
        format!("FleetEntry(label={:?}, {what})", self.label)
    }
}

#[pymethods]
impl PyFleetResults {
    /// The entries, one per number, in fleet order.
    #[getter]
    fn entries(&self, py: Python<'_>) -> Vec<Py<PyFleetEntry>> {
        self.entries.iter().map(|e| e.clone_ref(py)).collect()
    }
    /// The labels, in fleet order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }
    /// True when every number's call finished and refused nobody.
    #[getter]
    fn ok(&self) -> bool {
        self.ok
    }
    /// `{"fleet": {"<label>": …}}`, the core's canonical JSON.
    fn to_json(&self, py: Python<'_>) -> String {
        py.detach(|| (self.canonical)())
    }
    fn __len__(&self) -> usize {
        self.entries.len()
    }
    fn __getitem__(&self, py: Python<'_>, label: &str) -> PyResult<Py<PyFleetEntry>> {
        self.labels
            .iter()
            .position(|l| l == label)
            .map(|i| self.entries[i].clone_ref(py))
            .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(label.to_owned()))
    }
    fn __contains__(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l == label)
    }
    fn __repr__(&self) -> String {
        format!("FleetResults(labels={:?})", self.labels)
    }
}

#[pymethods]
impl PyFleetBlockedUser {
    #[getter]
    fn user(&self, py: Python<'_>) -> Py<PyBlockedUser> {
        self.user.clone_ref(py)
    }
    #[getter]
    fn wa_id(&self) -> Option<String> {
        self.user.get().user().wa_id.as_deref().map(str::to_owned)
    }
    #[getter]
    fn user_id(&self) -> Option<String> {
        self.user.get().user().user_id.as_deref().map(str::to_owned)
    }
    /// The labels of the numbers that block the user, in fleet order.
    #[getter]
    fn blocked_on(&self) -> Vec<String> {
        self.blocked_on.clone()
    }
    fn __repr__(&self) -> String {
        let u = self.user.get().user();
        format!(
            "FleetBlockedUser(wa_id={:?}, user_id={:?}, blocked_on={:?})",
            u.wa_id, u.user_id, self.blocked_on
        )
    }
}

#[pymethods]
impl PyFleetBlocklist {
    /// Each blocked user once, in the order first seen.
    #[getter]
    fn users(&self, py: Python<'_>) -> Vec<Py<PyFleetBlockedUser>> {
        self.users.iter().map(|u| u.clone_ref(py)).collect()
    }
    /// `{label: WablockError}` for the numbers whose walk failed (their lists may be short).
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (label, err) in &self.errors {
            d.set_item(label, err.clone_ref(py))?;
        }
        Ok(d)
    }
    /// `{"fleet_blocked_users": …}`, the core's canonical JSON.
    fn to_json(&self) -> String {
        self.json.clone()
    }
    fn __len__(&self) -> usize {
        self.users.len()
    }
}

/// Adds the fleet classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFleet>()?;
    m.add_class::<PyFleetEntry>()?;
    m.add_class::<PyFleetResults>()?;
    m.add_class::<PyFleetBlockedUser>()?;
    m.add_class::<PyFleetBlocklist>()?;
    Ok(())
}
