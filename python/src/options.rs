//! `ClientOptions`: the core's option record (`wablock::ClientOptions`) as the keyword
//! arguments of every constructor (`Client(...)`, `Client.dialog360(...)`,
//! `Client.from_env(...)`): the same names as in every language, durations in float seconds.
//! Only conversion happens here; the core converts, applies and checks every value.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use wablock::ClientOptions as CoreOptions;

/// The settings a constructor received. pyo3 parses them from the keyword arguments, so an
/// unknown name is Python's usual `TypeError`.
#[pyclass(frozen, module = "wablock._wablock", name = "ClientOptions")]
#[derive(Clone)]
pub(crate) struct ClientOptions {
    base_url: Option<String>,
    api_version: Option<String>,
    connect_timeout: Option<f64>,
    read_timeout: Option<f64>,
    deadline: Option<f64>,
    max_attempts: Option<i64>,
    initial_backoff: Option<f64>,
    max_backoff: Option<f64>,
    jitter: Option<bool>,
    max_batch: Option<i64>,
    parallelism: Option<i64>,
    allow_insecure_http: Option<bool>,
    max_response_bytes: Option<i64>,
    list_restart_budget: Option<i64>,
}

#[pymethods]
impl ClientOptions {
    #[new]
    #[pyo3(signature = (*, base_url=None, api_version=None, connect_timeout=None,
        read_timeout=None, deadline=None, max_attempts=None, initial_backoff=None,
        max_backoff=None, jitter=None, max_batch=None, parallelism=None,
        allow_insecure_http=None, max_response_bytes=None, list_restart_budget=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        base_url: Option<String>,
        api_version: Option<String>,
        connect_timeout: Option<f64>,
        read_timeout: Option<f64>,
        deadline: Option<f64>,
        max_attempts: Option<i64>,
        initial_backoff: Option<f64>,
        max_backoff: Option<f64>,
        jitter: Option<bool>,
        max_batch: Option<i64>,
        parallelism: Option<i64>,
        allow_insecure_http: Option<bool>,
        max_response_bytes: Option<i64>,
        list_restart_budget: Option<i64>,
    ) -> Self {
        ClientOptions {
            base_url,
            api_version,
            connect_timeout,
            read_timeout,
            deadline,
            max_attempts,
            initial_backoff,
            max_backoff,
            jitter,
            max_batch,
            parallelism,
            allow_insecure_http,
            max_response_bytes,
            list_restart_budget,
        }
    }
}

/// An optional Python int as the core's count type.
fn count<T: TryFrom<i64>>(name: &str, value: Option<i64>) -> Result<Option<T>, wablock::Error> {
    value.map(|v| CoreOptions::count(name, v)).transpose()
}

impl ClientOptions {
    /// The options of a constructor's `**options`.
    pub(crate) fn from_kwargs(
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = py.get_type::<ClientOptions>().call((), kwargs)?;
        Ok(options.cast_into::<ClientOptions>()?.get().clone())
    }

    /// The core's options record: floats become durations, Python ints the core's counts.
    pub(crate) fn to_core(&self) -> Result<CoreOptions, wablock::Error> {
        let secs = |name: &str, value: Option<f64>| {
            value.map(|v| CoreOptions::seconds(name, v)).transpose()
        };
        Ok(CoreOptions {
            base_url: self.base_url.clone(),
            api_version: self.api_version.clone(),
            connect_timeout: secs("connect_timeout", self.connect_timeout)?,
            read_timeout: secs("read_timeout", self.read_timeout)?,
            deadline: secs("deadline", self.deadline)?,
            max_attempts: count("max_attempts", self.max_attempts)?,
            initial_backoff: secs("initial_backoff", self.initial_backoff)?,
            max_backoff: secs("max_backoff", self.max_backoff)?,
            jitter: self.jitter,
            max_batch: count("max_batch", self.max_batch)?,
            parallelism: count("parallelism", self.parallelism)?,
            allow_insecure_http: self.allow_insecure_http,
            max_response_bytes: count("max_response_bytes", self.max_response_bytes)?,
            list_restart_budget: count("list_restart_budget", self.list_restart_budget)?,
        })
    }
}
