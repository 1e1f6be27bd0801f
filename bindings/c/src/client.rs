//! `wablock_client` and its operations.

use std::ffi::{c_char, c_int, c_void};
use std::ops::ControlFlow;
use std::sync::{PoisonError, RwLock};

use wablock::{Client, Cursor, Error, Operation, Progress, boundary};

use crate::{
    call, free_box, guard_value, obj, opt_str_arg, owned_string, str_arg, str_bytes,
    wablock_blocked_users, wablock_config, wablock_error, wablock_outcome, wablock_page,
    wablock_status, wablock_str,
};

/// A client for one phone number's blocklist, with its connection pool.
///
/// Thread safety: a client handle may be shared by any number of threads and used from all of
/// them at once (every function taking a `const wablock_client *` is safe to call
/// concurrently, `wablock_client_close` included). Free it once, after every call on it has
/// returned.
pub struct wablock_client {
    /// `None` once closed. Calls clone the client (an `Arc`) and release the lock, so a close
    /// never waits for a call in flight, and the call finishes on its own clone.
    client: RwLock<Option<Client>>,
}

impl wablock_client {
    pub(crate) fn new(client: Client) -> *mut wablock_client {
        Box::into_raw(Box::new(wablock_client {
            client: RwLock::new(Some(client)),
        }))
    }

    /// The client, or the core's "client is closed" error.
    pub(crate) fn open(&self) -> Result<Client, Error> {
        self.client
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(Error::client_closed)
    }
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
        Ok(wablock_client::new(config.builder.clone().build()?))
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
        Ok(wablock_client::new(Client::from_env()?))
    })
}

/// Closes a client: its connection pool is released, and every later call on it fails with
/// `WABLOCK_INVALID_ARGUMENT` and the core's "the client is closed" message. Calls already in
/// flight finish normally; iterators already made keep working. The handle itself stays valid
/// until `wablock_client_free`. Closing twice, or closing NULL, does nothing. Safe to call while
/// other threads use the client (unlike `wablock_client_free`), which is what a garbage-collected
/// language needs: close when the user says so, free when nothing can reach the handle.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_close(client: *const wablock_client) {
    guard_value((), || {
        // SAFETY: per the contract above.
        if let Some(c) = unsafe { client.as_ref() } {
            // Dropped outside the lock: the pool's teardown does not block other callers.
            let closed = c
                .client
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            drop(closed);
        }
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

/// Borrows `n` users as `&str`s. A NULL element or bytes that are not UTF-8 refuse the whole
/// call, with the core's error (which still lists every input in `not_attempted`).
///
/// # Safety
/// `users` is NULL or points to `n` readable `wablock_str`s, each valid as in `str_bytes`.
pub(crate) unsafe fn users_arg<'a>(
    users: *const wablock_str,
    n: usize,
) -> Result<Vec<&'a str>, Error> {
    if n == 0 {
        // An empty list is the core's to refuse, with its own message.
        return Ok(Vec::new());
    }
    if users.is_null() {
        return Err(boundary::null_argument("users"));
    }
    if n > isize::MAX as usize / size_of::<wablock_str>() {
        return Err(boundary::out_of_range("n", n));
    }
    // SAFETY: non-NULL, `n` elements per the caller's contract, size checked above.
    let views = unsafe { std::slice::from_raw_parts(users, n) };
    // SAFETY: each element is valid per the contract.
    let bytes: Vec<Option<&[u8]>> = views.iter().map(|s| unsafe { str_bytes(*s) }).collect();
    boundary::users_from_bytes(&bytes)
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
    users: *const wablock_str,
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
        let client = client
            .open()
            .map_err(|closed| boundary::refuse_call(closed, &users))?;
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
        let outcome = client.mutate(operation, users, on_progress)?;
        Ok(Box::into_raw(Box::new(wablock_outcome::new(outcome))))
    })
}

/// Blocks `n` users (phone numbers in any common writing, WA IDs or BSUIDs).
///
/// On success `*outcome_out` receives what happened to each input: every input appears
/// exactly once, as succeeded or failed. On failure of the call as a whole, `*err_out` gets
/// the error, whose `partial` outcome and `not_attempted` list still account for every input.
/// `n == 0` (with `users` NULL or not) is `WABLOCK_INVALID_ARGUMENT`, as is an element that is
/// NULL (with a non-zero length) or not UTF-8; nothing is sent then. A user with a NUL byte or
/// any other unusable text is not a call error: it fails alone, as
/// `WABLOCK_REASON_INVALID_USER`.
///
/// Ownership: `users` and its strings are borrowed for the call. `*outcome_out` is owned by the
/// caller (free with `wablock_outcome_free`).
///
/// # Safety
/// `client` is NULL or a live client; `users` is NULL or points to `n` `wablock_str`s, each
/// with `len` readable bytes at `data`; `outcome_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_block(
    client: *const wablock_client,
    users: *const wablock_str,
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
    users: *const wablock_str,
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
/// `WABLOCK_OPERATION_UNBLOCK` (anything else is `WABLOCK_INVALID_ARGUMENT`; see also
/// `wablock_operation_from_name`). `progress` may
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
    users: *const wablock_str,
    n: usize,
    progress: wablock_progress_cb,
    user_data: *mut c_void,
    outcome_out: *mut *mut wablock_outcome,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    let op = match boundary::operation_from_code(i64::from(operation)) {
        Ok(op) => op,
        Err(error) => return call(err_out, outcome_out, "outcome_out", || Err(error)),
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

/// The C number of an operation named `"block"` or `"unblock"` (for bindings whose operation
/// is a name). Any other name is `WABLOCK_INVALID_ARGUMENT`, with a message quoting it.
///
/// # Safety
/// `name` is valid as a `wablock_str`; `operation_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_operation_from_name(
    name: wablock_str,
    operation_out: *mut wablock_operation,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, operation_out, "operation_out", || {
        // SAFETY: per the contract above.
        let name = unsafe { str_arg(name, "operation") }?;
        Ok(match boundary::operation_from_name(name)? {
            Operation::Block => wablock_operation::WABLOCK_OPERATION_BLOCK,
            Operation::Unblock => wablock_operation::WABLOCK_OPERATION_UNBLOCK,
        })
    })
}

/// An optional count: `value` when `has_value`, passed to the core as the caller gave it.
fn optional_count(has_value: bool, value: i64, name: &str) -> Result<Option<u32>, Error> {
    has_value.then(|| boundary::count(name, value)).transpose()
}

/// Fetches one page of the blocklist: at most `limit` users when `has_limit` (otherwise
/// wablock's default, 100; 0 and negative limits are refused), after the cursor `*after` or before
/// the cursor `*before` (either pointer may be NULL for none; not both set).
///
/// Ownership: the cursors are borrowed for the call. `*page_out` is owned by the caller (free
/// with `wablock_page_free`).
///
/// # Safety
/// `client` is NULL or a live client; `after` and `before` are NULL or point to valid
/// `wablock_str`s; `page_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_list_page(
    client: *const wablock_client,
    has_limit: bool,
    limit: i64,
    after: *const wablock_str,
    before: *const wablock_str,
    page_out: *mut *mut wablock_page,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, page_out, "page_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?.open()?;
        let limit = optional_count(has_limit, limit, "limit")?;
        // SAFETY: per the contract above.
        let after = unsafe { opt_str_arg(after, "after") }?;
        // SAFETY: per the contract above.
        let before = unsafe { opt_str_arg(before, "before") }?;
        let page = client.list_page(limit, Cursor::from_options(after, before)?)?;
        Ok(Box::into_raw(Box::new(wablock_page::new(page))))
    })
}

/// Starts a lazy walk over every blocked user, `page_size` users per request when
/// `has_page_size` (otherwise wablock's default, 100). Nothing is sent until the first
/// `wablock_blocked_users_next`.
///
/// Ownership: on success `*iter_out` receives a new iterator, owned by the caller (free with
/// `wablock_blocked_users_free`). It holds its own reference to the client's connection pool,
/// so it may outlive `client`, and keeps working after `wablock_client_close`.
///
/// # Safety
/// `client` is NULL or a live client; `iter_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_blocked_users(
    client: *const wablock_client,
    has_page_size: bool,
    page_size: i64,
    iter_out: *mut *mut wablock_blocked_users,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, iter_out, "iter_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?.open()?;
        let page_size = optional_count(has_page_size, page_size, "page_size")?;
        let iter = client.blocked_users(page_size);
        Ok(Box::into_raw(Box::new(wablock_blocked_users::new(iter))))
    })
}

/// Whether `user` is on the blocklist. Walks the whole list: O(blocklist) requests.
/// A user that is not a phone number, WA ID or BSUID is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: `user` is borrowed for the call. On success `*blocked_out` is written.
///
/// # Safety
/// `client` is NULL or a live client; `user` is a valid `wablock_str`; `blocked_out` and
/// `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_is_blocked(
    client: *const wablock_client,
    user: wablock_str,
    blocked_out: *mut bool,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, blocked_out, "blocked_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?.open()?;
        // SAFETY: per the contract above.
        let user = unsafe { str_arg(user, "user") }?;
        client.is_blocked(user)
    })
}

/// The canonical JSON of an `is_blocked` answer, `{"is_blocked":true}` or
/// `{"is_blocked":false}` (the shape every language and the CLI's `--json` use).
///
/// Ownership: the returned string is owned by the caller; free it with `wablock_string_free`.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_is_blocked_to_json(blocked: bool) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        owned_string(&wablock::is_blocked_canonical_json(blocked))
    })
}
