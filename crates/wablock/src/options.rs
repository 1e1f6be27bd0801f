//! Client settings as one optional-field record, for language layers that take them all at
//! once (Python keyword arguments, a Kotlin or Swift record): each layer converts its values
//! to this, and the builder applies it, so the list and its defaults live here only.

use std::time::Duration;

use crate::builder::ClientBuilder;
use crate::error::Error;
use crate::retry::RetryPolicy;

/// Every [`ClientBuilder`] setting, each optional: `None` keeps the builder's value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientOptions {
    /// See [`ClientBuilder::base_url`].
    pub base_url: Option<String>,
    /// See [`ClientBuilder::api_version`].
    pub api_version: Option<String>,
    /// See [`ClientBuilder::connect_timeout`].
    pub connect_timeout: Option<Duration>,
    /// See [`ClientBuilder::read_timeout`].
    pub read_timeout: Option<Duration>,
    /// See [`ClientBuilder::deadline`].
    pub deadline: Option<Duration>,
    /// [`RetryPolicy::max_attempts`].
    pub max_attempts: Option<u32>,
    /// [`RetryPolicy::initial_backoff`].
    pub initial_backoff: Option<Duration>,
    /// [`RetryPolicy::max_backoff`].
    pub max_backoff: Option<Duration>,
    /// [`RetryPolicy::jitter`].
    pub jitter: Option<bool>,
    /// See [`ClientBuilder::max_batch`].
    pub max_batch: Option<usize>,
    /// See [`ClientBuilder::parallelism`].
    pub parallelism: Option<usize>,
    /// See [`ClientBuilder::allow_insecure_http`].
    pub allow_insecure_http: Option<bool>,
    /// See [`ClientBuilder::max_response_bytes`].
    pub max_response_bytes: Option<u64>,
    /// See [`ClientBuilder::list_restart_budget`].
    pub list_restart_budget: Option<u32>,
}

impl ClientOptions {
    /// A duration given as float seconds (Python): finite and non-negative, or an
    /// `INVALID_ARGUMENT` error that names the option.
    pub fn seconds(name: &str, seconds: f64) -> Result<Duration, Error> {
        Duration::try_from_secs_f64(seconds).map_err(|_| {
            Error::invalid_argument(format!(
                "{name} is {seconds}: it must be a finite, non-negative number of seconds"
            ))
        })
    }

    /// A count given as a signed integer (Python, C), in the type the builder takes, or an
    /// `INVALID_ARGUMENT` error that names the option.
    pub fn count<T: TryFrom<i64>>(name: &str, value: i64) -> Result<T, Error> {
        T::try_from(value)
            .map_err(|_| Error::invalid_argument(format!("{name} is {value}: it is out of range")))
    }
}

impl ClientBuilder {
    /// Applies every option that is set; `build()` then checks them all as usual.
    pub fn options(mut self, o: ClientOptions) -> Self {
        if let Some(v) = o.base_url {
            self = self.base_url(v);
        }
        if let Some(v) = o.api_version {
            self = self.api_version(v);
        }
        if let Some(v) = o.connect_timeout {
            self = self.connect_timeout(v);
        }
        if let Some(v) = o.read_timeout {
            self = self.read_timeout(v);
        }
        if let Some(v) = o.deadline {
            self = self.deadline(Some(v));
        }
        if o.max_attempts.is_some()
            || o.initial_backoff.is_some()
            || o.max_backoff.is_some()
            || o.jitter.is_some()
        {
            let current = self.current_retry_policy().clone();
            self = self.retry_policy(RetryPolicy {
                max_attempts: o.max_attempts.unwrap_or(current.max_attempts),
                initial_backoff: o.initial_backoff.unwrap_or(current.initial_backoff),
                max_backoff: o.max_backoff.unwrap_or(current.max_backoff),
                jitter: o.jitter.unwrap_or(current.jitter),
            });
        }
        if let Some(v) = o.max_batch {
            self = self.max_batch(v);
        }
        if let Some(v) = o.parallelism {
            self = self.parallelism(v);
        }
        if let Some(v) = o.allow_insecure_http {
            self = self.allow_insecure_http(v);
        }
        if let Some(v) = o.max_response_bytes {
            self = self.max_response_bytes(v);
        }
        if let Some(v) = o.list_restart_budget {
            self = self.list_restart_budget(v);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, ErrorKind};

    #[test]
    fn unset_options_keep_the_defaults_and_set_ones_are_checked_by_build() -> Result<(), Error> {
        let client = Client::meta("1000", "t-token")
            .options(ClientOptions::default())
            .build()?;
        assert!(client.fits_one_batch(crate::MAX_BATCH));
        let client = Client::meta("1000", "t-token")
            .options(ClientOptions {
                max_batch: Some(2),
                ..ClientOptions::default()
            })
            .build()?;
        assert!(!client.fits_one_batch(3));
        let refused = Client::meta("1000", "t-token")
            .options(ClientOptions {
                max_attempts: Some(0),
                ..ClientOptions::default()
            })
            .build();
        assert!(refused.is_err_and(|e| e.message().contains("max_attempts is 0")));
        Ok(())
    }

    #[test]
    fn one_retry_option_keeps_the_rest_of_the_policy() {
        let builder = Client::meta("1000", "t-token").options(ClientOptions {
            jitter: Some(false),
            ..ClientOptions::default()
        });
        let policy = builder.current_retry_policy();
        assert!(!policy.jitter);
        assert_eq!(policy.max_attempts, RetryPolicy::default().max_attempts);
        assert_eq!(
            policy.initial_backoff,
            RetryPolicy::default().initial_backoff
        );
    }

    #[test]
    fn foreign_numbers_are_converted_or_refused_with_the_option_name() {
        assert_eq!(
            ClientOptions::seconds("deadline", 1.5).ok(),
            Some(Duration::from_millis(1500))
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = ClientOptions::seconds("read_timeout", bad).err();
            assert!(err.is_some_and(|e| e.kind() == ErrorKind::InvalidArgument
                && e.message().starts_with("read_timeout is ")));
        }
        assert_eq!(ClientOptions::count::<u32>("max_attempts", 3).ok(), Some(3));
        let err = ClientOptions::count::<u32>("max_attempts", -1).err();
        assert!(err.is_some_and(|e| e.message() == "max_attempts is -1: it is out of range"));
    }
}
