//! `wablock_client` and its operations.

use std::ffi::{c_char, c_int, c_void};
use std::ops::ControlFlow;

use wablock::{Client, Error, Operation, Progress};

use crate::{
    call, free_box, invalid, obj, opt_str_arg, optional_u32, str_arg, wablock_blocked_users,
    wablock_config, wablock_error, wablock_outcome, wablock_page, wablock_status,
};

/// A client for one phone number's blocklist, with its connection pool.
///
/// Thread safety: a client handle may be shared by any number of threads and used from all of
/// them at once (every function taking a `const wablock_client *` is safe to call
/// concurrently). Free it once, after every call on it has returned.
pub struct wablock_client {
    pub(crate) client: Client,
}

/// Which mutation a call performs or performed.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wablock_operation {
    /// Block (`POST block_users`).
    WABLOCK_OPERATION_BLOCK = 0,
    /// Unblock (`DELETE block_users`).
    WABLOCK_OPERATION_UNBLOCK = 1,
}

/// The progress callback of `wablock_client_mutate`: `done` users out of `total` distinct
/// valid users have had their batch finish. Return 0 to go on, nonzero to cancel: the call
/// then stops at the next batch boundary and fails with `WABLOCK_CANCELLED`, its error
/// carrying `partial` and `not_attempted`.
///
/// It may be called from wablock's worker threads, never two calls at once, and never after
/// `wablock_client_mutate` has returned. It must not unwind (no C++ exceptions, no longjmp).
pub type wablock_progress_cb =
    Option<unsafe extern "C" fn(done: usize, total: usize, user_data: *mut c_void) -> c_int>;

/// Builds a client from a config, checking every setting. The config is not consumed.
///
/// Ownership: `config` is borrowed for the call. On success `*client_out` receives a new
/// client, owned by the caller (free with `wablock_client_free`).
///
/// # Safety
/// `config` is NULL or a live config; `client_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_new(
    config: *const wablock_config,
    client_out: *mut *mut wablock_client,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, client_out, "client_out", || {
        // SAFETY: per the contract above.
        let config = unsafe { obj(config, "config") }?;
        let client = config.builder.clone().build()?;
        Ok(Box::into_raw(Box::new(wablock_client { client })))
    })
}

/// Builds a client from the environment (see `wablock_config_from_env`).
///
/// Ownership: on success `*client_out` receives a new client, owned by the caller.
///
/// # Safety
/// `client_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_from_env(
    client_out: *mut *mut wablock_client,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, client_out, "client_out", || {
        let client = Client::from_env()?;
        Ok(Box::into_raw(Box::new(wablock_client { client })))
    })
}

/// Frees a client. NULL is allowed and ignored. Outcomes, errors, pages and iterators obtained
/// from it stay valid (an iterator keeps its own reference to the connection pool).
///
/// # Safety
/// `client` is NULL or a client from this library that no thread uses any more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_free(client: *mut wablock_client) {
    // SAFETY: per the contract above.
    unsafe { free_box(client) }
}

/// Borrows `n` C strings as `&str`s: NULL elements and bad UTF-8 are caller errors.
///
/// # Safety
/// `users` is NULL or points to `n` readable pointers, each NULL or NUL-terminated.
unsafe fn users_arg<'a>(users: *const *const c_char, n: usize) -> Result<Vec<&'a str>, Error> {
    if n == 0 {
        // An empty list is the core's to refuse, with its own message.
        return Ok(Vec::new());
    }
    if users.is_null() {
        return Err(invalid(format!("users is NULL but n is {n}")));
    }
    if n > isize::MAX as usize / size_of::<*const c_char>() {
        return Err(invalid(format!("n is {n}, larger than any array")));
    }
    // SAFETY: non-NULL, `n` elements per the caller's contract, size checked above.
    let ptrs = unsafe { std::slice::from_raw_parts(users, n) };
    ptrs.iter()
        .enumerate()
        // SAFETY: each element is NULL or NUL-terminated per the contract.
        .map(|(i, p)| unsafe { str_arg(*p, &format!("users[{i}]")) })
        .collect::<Result<Vec<_>, Error>>()
        .map_err(|err| {
            // The accounting rule holds here too: every string the caller passed is listed
            // (bad UTF-8 replaced by U+FFFD); a NULL element names no user.
            let inputs = ptrs
                .iter()
                .filter(|p| !p.is_null())
                // SAFETY: non-NULL and NUL-terminated per the contract.
                .map(|p| {
                    unsafe { std::ffi::CStr::from_ptr(*p) }
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            err.with_not_attempted(inputs)
        })
}

struct Callback {
    f: unsafe extern "C" fn(usize, usize, *mut c_void) -> c_int,
    user_data: *mut c_void,
}

// SAFETY: the core calls the progress function from worker threads but never two at once, and
// the caller's contract (documented on wablock_progress_cb) allows exactly that use of
// `user_data`.
unsafe impl Sync for Callback {}

/// # Safety
/// As [`wablock_client_mutate`].
#[allow(clippy::too_many_arguments)]
unsafe fn mutate(
    client: *const wablock_client,
    operation: Operation,
    users: *const *const c_char,
    n: usize,
    progress: wablock_progress_cb,
    user_data: *mut c_void,
    outcome_out: *mut *mut wablock_outcome,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, outcome_out, "outcome_out", || {
        // SAFETY: per the caller's contract.
        let client = unsafe { obj(client, "client") }?;
        // SAFETY: per the caller's contract.
        let users = unsafe { users_arg(users, n) }?;
        let callback = progress.map(|f| Callback { f, user_data });
        let on_progress = |p: Progress| {
            let Some(cb) = &callback else {
                return ControlFlow::Continue(());
            };
            // SAFETY: the caller's function and data, called as documented.
            if unsafe { (cb.f)(p.done, p.total, cb.user_data) } != 0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let on_progress: Option<&wablock::ProgressFn<'_>> = if callback.is_some() {
            Some(&on_progress)
        } else {
            None
        };
        let outcome = client.client.mutate(operation, users, on_progress)?;
        Ok(Box::into_raw(Box::new(wablock_outcome::new(outcome))))
    })
}

/// Blocks `n` users (phone numbers in any common writing, WA IDs or BSUIDs).
///
/// On success `*outcome_out` receives what happened to each input: every input appears
/// exactly once, as succeeded or failed. On failure of the call as a whole, `*err_out` gets
/// the error, whose `partial` outcome and `not_attempted` list still account for every input.
/// `n == 0` (with `users` NULL or not) is `WABLOCK_INVALID_ARGUMENT`, as is a NULL or non-UTF-8
/// element; nothing is sent then.
///
/// Ownership: `users` and its strings are borrowed for the call. `*outcome_out` is owned by the
/// caller (free with `wablock_outcome_free`).
///
/// # Safety
/// `client` is NULL or a live client; `users` is NULL or points to `n` pointers, each NULL or
/// NUL-terminated; `outcome_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_block(
    client: *const wablock_client,
    users: *const *const c_char,
    n: usize,
    outcome_out: *mut *mut wablock_outcome,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: forwarded contract.
    unsafe {
        mutate(
            client,
            Operation::Block,
            users,
            n,
            None,
            std::ptr::null_mut(),
            outcome_out,
            err_out,
        )
    }
}

/// Unblocks `n` users; see `wablock_client_block` for the outcome, errors and ownership.
///
/// # Safety
/// As `wablock_client_block`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_unblock(
    client: *const wablock_client,
    users: *const *const c_char,
    n: usize,
    outcome_out: *mut *mut wablock_outcome,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: forwarded contract.
    unsafe {
        mutate(
            client,
            Operation::Unblock,
            users,
            n,
            None,
            std::ptr::null_mut(),
            outcome_out,
            err_out,
        )
    }
}

/// Blocks or unblocks with a progress callback. `operation` is `WABLOCK_OPERATION_BLOCK` or
/// `WABLOCK_OPERATION_UNBLOCK` (anything else is `WABLOCK_INVALID_ARGUMENT`). `progress` may
/// be NULL; `user_data` is passed to it untouched. A nonzero return from `progress` cancels the
/// call (`WABLOCK_CANCELLED`). Otherwise as `wablock_client_block`.
///
/// Ownership: `users`, its strings and `user_data` are borrowed for the call; the callback is
/// not called after this function returns. `*outcome_out` is owned by the caller.
///
/// # Safety
/// As `wablock_client_block`; `progress` is NULL or a function that may be called from other
/// threads (never concurrently) with `user_data`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn wablock_client_mutate(
    client: *const wablock_client,
    operation: i32,
    users: *const *const c_char,
    n: usize,
    progress: wablock_progress_cb,
    user_data: *mut c_void,
    outcome_out: *mut *mut wablock_outcome,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    let op = match operation {
        x if x == wablock_operation::WABLOCK_OPERATION_BLOCK as i32 => Operation::Block,
        x if x == wablock_operation::WABLOCK_OPERATION_UNBLOCK as i32 => Operation::Unblock,
        other => {
            return call(err_out, outcome_out, "outcome_out", || {
                Err(invalid(format!(
                    "operation is {other}: it must be WABLOCK_OPERATION_BLOCK or WABLOCK_OPERATION_UNBLOCK"
                )))
            });
        }
    };
    // SAFETY: forwarded contract.
    unsafe {
        mutate(
            client,
            op,
            users,
            n,
            progress,
            user_data,
            outcome_out,
            err_out,
        )
    }
}

/// Fetches one page of the blocklist: at most `limit` users (`WABLOCK_UNSET` for wablock's
/// default, 100; 0 is refused), after the cursor `after` or before the cursor `before` (either may
/// be NULL; not both set).
///
/// Ownership: the cursors are borrowed for the call. `*page_out` is owned by the caller (free
/// with `wablock_page_free`).
///
/// # Safety
/// `client` is NULL or a live client; `after` and `before` are NULL or NUL-terminated;
/// `page_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_list_page(
    client: *const wablock_client,
    limit: i64,
    after: *const c_char,
    before: *const c_char,
    page_out: *mut *mut wablock_page,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, page_out, "page_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?;
        let limit = optional_u32(limit, "limit")?;
        // SAFETY: per the contract above.
        let after = unsafe { opt_str_arg(after, "after") }?;
        // SAFETY: per the contract above.
        let before = unsafe { opt_str_arg(before, "before") }?;
        let page = client.client.list_page(limit, after, before)?;
        Ok(Box::into_raw(Box::new(wablock_page::new(page))))
    })
}

/// Starts a lazy walk over every blocked user, `page_size` users per request
/// (`WABLOCK_UNSET` for wablock's default, 100). Nothing is sent until the first
/// `wablock_blocked_users_next`.
///
/// Ownership: on success `*iter_out` receives a new iterator, owned by the caller (free with
/// `wablock_blocked_users_free`). It holds its own reference to the client's connection pool,
/// so it may outlive `client`.
///
/// # Safety
/// `client` is NULL or a live client; `iter_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_blocked_users(
    client: *const wablock_client,
    page_size: i64,
    iter_out: *mut *mut wablock_blocked_users,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, iter_out, "iter_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?;
        let page_size = optional_u32(page_size, "page_size")?;
        let iter = client.client.blocked_users(page_size);
        Ok(Box::into_raw(Box::new(wablock_blocked_users::new(iter))))
    })
}

/// Whether `user` is on the blocklist. Walks the whole list: O(blocklist) requests.
/// A user that is not a phone number, WA ID or BSUID is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: `user` is borrowed for the call. On success `*blocked_out` is written.
///
/// # Safety
/// `client` is NULL or a live client; `user` is NULL or NUL-terminated; `blocked_out` and
/// `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_is_blocked(
    client: *const wablock_client,
    user: *const c_char,
    blocked_out: *mut bool,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, blocked_out, "blocked_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?;
        // SAFETY: per the contract above.
        let user = unsafe { str_arg(user, "user") }?;
        client.client.is_blocked(user)
    })
}
