//! `ClientOptions`: the one list of client settings, taken as keyword arguments by every
//! constructor (`Client(...)`, `Client.dialog360(...)`, `Client.from_env(...)`). The names are
//! the core's, as in every language; durations are seconds, as floats. Only conversion
//! happens here: the core's `build()` checks every value.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use wablock::{ClientBuilder, RetryPolicy};

use crate::errors::invalid;

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

fn seconds(py: Python<'_>, name: &str, value: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        invalid(
            py,
            format!("{name} is {value}: it must be a finite, non-negative number of seconds"),
        )
    })
}

pub(crate) fn count<T: TryFrom<i64>>(py: Python<'_>, name: &str, value: i64) -> PyResult<T> {
    T::try_from(value).map_err(|_| invalid(py, format!("{name} is {value}: it is out of range")))
}

impl ClientOptions {
    /// The options of a constructor's `**options`.
    pub(crate) fn from_kwargs(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let options = py.get_type::<ClientOptions>().call((), kwargs)?;
        Ok(options.cast_into::<ClientOptions>()?.get().clone())
    }

    /// `builder` with every option that was given.
    pub(crate) fn apply(self, py: Python<'_>, mut b: ClientBuilder) -> PyResult<ClientBuilder> {
        let secs = |name: &str, value: Option<f64>| value.map(|v| seconds(py, name, v)).transpose();
        if let Some(v) = self.base_url {
            b = b.base_url(v);
        }
        if let Some(v) = self.api_version {
            b = b.api_version(v);
        }
        if let Some(t) = secs("connect_timeout", self.connect_timeout)? {
            b = b.connect_timeout(t);
        }
        if let Some(t) = secs("read_timeout", self.read_timeout)? {
            b = b.read_timeout(t);
        }
        if let Some(t) = secs("deadline", self.deadline)? {
            b = b.deadline(Some(t));
        }
        let default = RetryPolicy::default();
        b = b.retry_policy(RetryPolicy {
            max_attempts: match self.max_attempts {
                Some(n) => count(py, "max_attempts", n)?,
                None => default.max_attempts,
            },
            initial_backoff: secs("initial_backoff", self.initial_backoff)?
                .unwrap_or(default.initial_backoff),
            max_backoff: secs("max_backoff", self.max_backoff)?.unwrap_or(default.max_backoff),
            jitter: self.jitter.unwrap_or(default.jitter),
        });
        if let Some(n) = self.max_batch {
            b = b.max_batch(count(py, "max_batch", n)?);
        }
        if let Some(n) = self.parallelism {
            b = b.parallelism(count(py, "parallelism", n)?);
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
}
