//! Core errors as `wablock` exceptions, and the panic boundary.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use wablock::{Error as CoreError, ErrorKind};

use crate::types::{PyOutcome, json_to_py};

/// Turns a core error into the matching `wablock` exception (the class is chosen in Python,
/// by `wablock._from_core`, which holds the one kind-to-class table).
pub(crate) fn core_err(py: Python<'_>, err: CoreError) -> PyErr {
    static FROM_CORE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let build = || -> PyResult<PyErr> {
        let factory = FROM_CORE.import(py, "wablock", "_from_core")?;
        let info = Py::new(py, ErrorInfo { inner: err })?;
        Ok(PyErr::from_value(factory.call1((info,))?))
    };
    build().unwrap_or_else(|e| e)
}

/// Runs a core call inside a panic boundary: a panic becomes the core's `INTERNAL` error
/// (docs/behaviour.md §4) instead of pyo3's `PanicException`, worded as in every language.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, CoreError>) -> Result<T, CoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(CoreError::from_panic(payload.as_ref())))
}

/// The fields of a core error, attached to every `WablockError` as `_info`.
#[pyclass(frozen, module = "wablock._wablock", name = "ErrorInfo")]
pub(crate) struct ErrorInfo {
    pub(crate) inner: CoreError,
}

#[pymethods]
impl ErrorInfo {
    /// A bare error of `kind` (a canonical name) for errors built by hand, e.g. in tests. A
    /// name the core does not know is a `KeyError` carrying that name, as a table lookup.
    #[new]
    fn new(kind: &str, message: String) -> PyResult<Self> {
        let kind =
            ErrorKind::from_name(kind).ok_or_else(|| PyKeyError::new_err(kind.to_owned()))?;
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
        self.inner.partial().cloned().map(PyOutcome::from)
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

/// Turns a `wablock_window` error into its exception, with the crate's `Display` as its text:
/// `INVALID_ARGUMENT` is the core's `InvalidArgumentError`; `BLOCK` is the core's own error
/// (`AuthError`, …, with its `partial` and `not_attempted`); `SIGNATURE`, `MALFORMED` and
/// `STORE` are `wablock.SignatureError`, `MalformedPayloadError` and `StoreError` (subclasses
/// of `WindowError`), chosen in Python by `wablock._from_window`.
pub(crate) fn window_err(py: Python<'_>, err: wablock_window::Error) -> PyErr {
    use wablock_window::ErrorKind as WindowKind;
    if let Some(block) = err.block_error() {
        return core_err(py, block.clone());
    }
    if err.kind() == WindowKind::InvalidArgument {
        return core_err(
            py,
            CoreError::new(ErrorKind::InvalidArgument, err.message()),
        );
    }
    static FROM_WINDOW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let build = || -> PyResult<PyErr> {
        let factory = FROM_WINDOW.import(py, "wablock", "_from_window")?;
        let exc = factory.call1((err.kind().as_str(), err.message(), err.to_string()))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}
