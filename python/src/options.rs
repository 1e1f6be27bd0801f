//! `ClientOptions`: the core's option record (`wablock::ClientOptions`) as the keyword
//! arguments of every constructor (`Client(...)`, `Client.dialog360(...)`,
//! `Client.from_env(...)`): the same names as in every language, durations in float seconds.
//! Only conversion happens here; the core converts, applies and checks every value.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use wablock::ClientOptions as CoreOptions;

/// Declares `ClientOptions` from one list: each option's name, its Python type and how it
/// becomes the core's (`same`, `seconds` or `count`). pyo3 parses the keyword arguments, so an
/// unknown name is Python's usual `TypeError`.
macro_rules! client_options {
    ($($name:ident: $ty:ty => $convert:ident,)*) => {
        /// The settings a constructor received, before conversion.
        #[pyclass(frozen, module = "wablock._wablock", name = "ClientOptions")]
        #[derive(Clone)]
        pub(crate) struct ClientOptions {
            $($name: Option<$ty>,)*
        }

        #[pymethods]
        impl ClientOptions {
            #[new]
            #[pyo3(signature = (*, $($name = None),*))]
            #[allow(clippy::too_many_arguments)]
            fn new($($name: Option<$ty>),*) -> Self {
                ClientOptions { $($name),* }
            }
        }

        impl ClientOptions {
            /// The core's option record: floats become durations, Python ints the core's
            /// counts; a value that does not convert is the core's `INVALID_ARGUMENT`.
            pub(crate) fn to_core(&self) -> Result<CoreOptions, wablock::Error> {
                Ok(CoreOptions {
                    $($name: $convert(stringify!($name), self.$name.clone())?,)*
                })
            }
        }
    };
}

client_options! {
    base_url: String => same,
    api_version: String => same,
    connect_timeout: f64 => seconds,
    read_timeout: f64 => seconds,
    deadline: f64 => seconds,
    max_attempts: i64 => count,
    initial_backoff: f64 => seconds,
    max_backoff: f64 => seconds,
    jitter: bool => same,
    max_batch: i64 => count,
    parallelism: i64 => count,
    allow_insecure_http: bool => same,
    max_response_bytes: i64 => count,
    list_restart_budget: i64 => count,
}

/// An option the core takes as Python gives it.
fn same<T>(_name: &str, value: Option<T>) -> Result<Option<T>, wablock::Error> {
    Ok(value)
}

/// An optional duration in float seconds.
fn seconds(name: &str, value: Option<f64>) -> Result<Option<Duration>, wablock::Error> {
    value.map(|v| CoreOptions::seconds(name, v)).transpose()
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
}
