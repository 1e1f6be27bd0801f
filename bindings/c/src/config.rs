//! `wablock_config`: the client builder.

use wablock::{Client, ClientBuilder, Error, RetryPolicy, boundary};

use crate::{call, call_unit, free_box, str_arg, wablock_error, wablock_status, wablock_str};

/// The settings of a client, before it is built: credentials, base URL, timeouts, retry
/// policy, batching and parallelism. Created by `wablock_config_new_meta`,
/// `wablock_config_new_360dialog` or `wablock_config_from_env`, changed by the
/// `wablock_config_set_*` functions, turned into a client by `wablock_client_new` (which does
/// not consume it), freed by `wablock_config_free`. Settings are checked when the client is
/// built. Use one config from one thread at a time.
pub struct wablock_config {
    pub(crate) builder: ClientBuilder,
}

fn new_config(builder: ClientBuilder) -> *mut wablock_config {
    Box::into_raw(Box::new(wablock_config { builder }))
}

/// Changes a config in place with one of the builder's setters.
///
/// # Safety
/// `config` is NULL or a live config used by no other thread.
unsafe fn update(
    config: *mut wablock_config,
    err_out: *mut *mut wablock_error,
    f: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Error>,
) -> wablock_status {
    call_unit(err_out, || {
        // SAFETY: per the caller's contract.
        let config = unsafe { config.as_mut() }.ok_or_else(|| boundary::null_argument("config"))?;
        config.builder = f(config.builder.clone())?;
        Ok(())
    })
}

/// A config for Meta's Cloud API. `phone_number_id` is the numeric ID of the WhatsApp phone
/// number; `access_token` is the bearer token, copied and never shown in any message.
///
/// Ownership: both strings are borrowed for the call and copied. On success `*config_out`
/// receives a new config, owned by the caller (free with `wablock_config_free`).
///
/// # Safety
/// The strings are valid `wablock_str`s; `config_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_new_meta(
    phone_number_id: wablock_str,
    access_token: wablock_str,
    config_out: *mut *mut wablock_config,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, config_out, "config_out", || {
        // SAFETY: per the contract above.
        let id = unsafe { str_arg(phone_number_id, "phone_number_id") }?;
        // SAFETY: per the contract above.
        let token = unsafe { str_arg(access_token, "access_token") }?;
        Ok(new_config(Client::meta(id, token)))
    })
}

/// A config for 360dialog. `api_key` is the phone number's `D360-API-KEY`, copied and never
/// shown in any message.
///
/// Ownership: `api_key` is borrowed for the call and copied. On success `*config_out` receives
/// a new config, owned by the caller (free with `wablock_config_free`).
///
/// # Safety
/// `api_key` is a valid `wablock_str`; `config_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_new_360dialog(
    api_key: wablock_str,
    config_out: *mut *mut wablock_config,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, config_out, "config_out", || {
        // SAFETY: per the contract above.
        let key = unsafe { str_arg(api_key, "api_key") }?;
        Ok(new_config(Client::dialog360(key)))
    })
}

/// A config from the environment: `WABLOCK_PROVIDER` (`meta` or `360dialog`),
/// `WABLOCK_PHONE_NUMBER_ID`, `WABLOCK_ACCESS_TOKEN`, `WABLOCK_API_KEY`, `WABLOCK_BASE_URL`,
/// `WABLOCK_API_VERSION`. A missing or malformed variable is `WABLOCK_INVALID_ARGUMENT` with a
/// message naming it.
///
/// Ownership: on success `*config_out` receives a new config, owned by the caller.
///
/// # Safety
/// `config_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_from_env(
    config_out: *mut *mut wablock_config,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, config_out, "config_out", || {
        ClientBuilder::from_env().map(new_config)
    })
}

/// Frees a config. NULL is allowed and ignored. Clients built from it are not affected.
///
/// # Safety
/// `config` is NULL or a config from this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_free(config: *mut wablock_config) {
    // SAFETY: per the contract above.
    unsafe { free_box(config) }
}

/// Replaces the provider's base URL (a sandbox, a proxy). Plain `http://` is accepted only for
/// loopback hosts unless `wablock_config_set_allow_insecure_http` is on; checked when the
/// client is built.
///
/// Ownership: `base_url` is borrowed for the call and copied.
///
/// # Safety
/// `config` is NULL or a live config; `base_url` is a valid `wablock_str`; `err_out` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_base_url(
    config: *mut wablock_config,
    base_url: wablock_str,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.base_url(str_arg(base_url, "base_url")?))
        })
    }
}

/// Sets the Graph API version, e.g. `"v25.0"` (Meta only; default `v25.0`).
///
/// Ownership: `api_version` is borrowed for the call and copied.
///
/// # Safety
/// As `wablock_config_set_base_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_api_version(
    config: *mut wablock_config,
    api_version: wablock_str,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.api_version(str_arg(api_version, "api_version")?))
        })
    }
}

/// Time allowed to open a connection, in milliseconds (default 10,000). A negative value is
/// `WABLOCK_INVALID_ARGUMENT` now, 0 when the client is built.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_connect_timeout_ms(
    config: *mut wablock_config,
    timeout_ms: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.connect_timeout(boundary::millis("connect_timeout_ms", timeout_ms)?))
        })
    }
}

/// Time allowed to wait for a response and read its body, in milliseconds (default 30,000). A
/// negative value is `WABLOCK_INVALID_ARGUMENT` now, 0 when the client is built.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_read_timeout_ms(
    config: *mut wablock_config,
    timeout_ms: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.read_timeout(boundary::millis("read_timeout_ms", timeout_ms)?))
        })
    }
}

/// An overall deadline for each call, retries and backoff included, in milliseconds (default:
/// none; `wablock_config_clear_deadline` removes it again). A negative value is
/// `WABLOCK_INVALID_ARGUMENT`, with a message naming it.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_deadline_ms(
    config: *mut wablock_config,
    deadline_ms: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.deadline(Some(boundary::millis("deadline_ms", deadline_ms)?)))
        })
    }
}

/// Removes the overall deadline (the default): a call then runs as long as its retries take.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_clear_deadline(
    config: *mut wablock_config,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe { update(config, err_out, |b| Ok(b.deadline(None))) }
}

/// The retry policy: `max_attempts` in all (the first included; 1 means no retries),
/// exponential backoff from `initial_backoff_ms` doubling up to `max_backoff_ms`, with full
/// jitter when `jitter` is true. Default: 4, 500, 30,000, true. A negative delay is
/// `WABLOCK_INVALID_ARGUMENT`.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_retry_policy(
    config: *mut wablock_config,
    max_attempts: u32,
    initial_backoff_ms: i64,
    max_backoff_ms: i64,
    jitter: bool,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.retry_policy(RetryPolicy {
                max_attempts,
                initial_backoff: boundary::millis("initial_backoff_ms", initial_backoff_ms)?,
                max_backoff: boundary::millis("max_backoff_ms", max_backoff_ms)?,
                jitter,
            }))
        })
    }
}

/// Users per request, 1 to 1,000 (default 1,000); checked when the client is built (a
/// negative value at once), with a message naming the value passed.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_max_batch(
    config: *mut wablock_config,
    max_batch: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.max_batch(boundary::count("max_batch", max_batch)?))
        })
    }
}

/// Batches in flight at once, 1 to 16 (default 4); checked when the client is built (a
/// negative value at once), with a message naming the value passed.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_parallelism(
    config: *mut wablock_config,
    parallelism: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.parallelism(boundary::count("parallelism", parallelism)?))
        })
    }
}

/// Allows plain `http://` to any host (default off: the token would cross the network in
/// clear).
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_allow_insecure_http(
    config: *mut wablock_config,
    allow: bool,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe { update(config, err_out, |b| Ok(b.allow_insecure_http(allow))) }
}

/// Largest response body read, in bytes (default 8 MiB); a larger body is
/// `WABLOCK_PROTOCOL`.
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_max_response_bytes(
    config: *mut wablock_config,
    max_response_bytes: u64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        update(config, err_out, |b| {
            Ok(b.max_response_bytes(max_response_bytes))
        })
    }
}

/// Restarts the blocked-users iterator makes on 139102 before failing with
/// `WABLOCK_CONCURRENT_UPDATE` (default 3).
///
/// # Safety
/// `config` is NULL or a live config; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_config_set_list_restart_budget(
    config: *mut wablock_config,
    restarts: u32,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe { update(config, err_out, |b| Ok(b.list_restart_budget(restarts))) }
}
