//! `wablock_cancel`: a cancellation handle, and clients whose calls observe one.

use wablock::CancelToken;

use crate::{call, free_box, guard_value, obj, wablock_client, wablock_error, wablock_status};

/// A cancellation handle (the core's `CancelToken`). Trigger it from any thread, at any time,
/// as often as you like: every call of a client made with `wablock_client_with_cancel` from
/// it stops sending: no new batch, page or retry starts, a sleeping retry wakes at once,
/// requests already in flight finish, and the call fails with `WABLOCK_CANCELLED`, its error
/// carrying `partial` and `not_attempted` (together, every input). A handle never resets: use
/// a new one per call (or group of calls) you may want to stop.
///
/// Thread safety: every function taking a `const wablock_cancel *` may be called from any
/// thread, concurrently. Free it once no thread uses it; clients made from it keep their own
/// reference, so it may be freed before them.
pub struct wablock_cancel {
    pub(crate) token: CancelToken,
}

/// Creates a cancellation handle, not triggered.
///
/// Ownership: on success `*cancel_out` receives a new handle, owned by the caller (free with
/// `wablock_cancel_free`).
///
/// # Safety
/// `cancel_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancel_new(
    cancel_out: *mut *mut wablock_cancel,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, cancel_out, "cancel_out", || {
        Ok(Box::into_raw(Box::new(wablock_cancel {
            token: CancelToken::new(),
        })))
    })
}

/// Triggers the handle: every call observing it stops as described at `wablock_cancel`.
/// Idempotent; NULL is ignored. Safe from any thread (not from a signal handler: it takes a
/// lock).
///
/// # Safety
/// `cancel` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancel_trigger(cancel: *const wablock_cancel) {
    guard_value((), || {
        // SAFETY: per the contract above.
        if let Some(c) = unsafe { cancel.as_ref() } {
            c.token.cancel();
        }
    })
}

/// True once the handle was triggered; false for NULL.
///
/// # Safety
/// `cancel` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancel_is_triggered(cancel: *const wablock_cancel) -> bool {
    guard_value(false, || {
        // SAFETY: per the contract above.
        unsafe { cancel.as_ref() }.is_some_and(|c| c.token.is_cancelled())
    })
}

/// Frees a cancellation handle. NULL is allowed and ignored. Clients made from it stay valid
/// (and still observe a trigger that happened before the free).
///
/// # Safety
/// `cancel` is NULL or a handle from this library that no thread uses any more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancel_free(cancel: *mut wablock_cancel) {
    // SAFETY: per the contract above.
    unsafe { free_box(cancel) }
}

/// A new client handle for the same phone number, settings and connection pool as `client`,
/// whose every call observes `cancel`: block, unblock and mutate check it before each batch
/// and each request and during each backoff sleep; list_page, blocked_users iterators and
/// is_blocked before each page. `client` itself is unaffected.
///
/// Ownership: both arguments are borrowed. On success `*client_out` receives a new client,
/// owned by the caller (free with `wablock_client_free`). A closed `client` gives
/// `WABLOCK_INVALID_ARGUMENT`.
///
/// # Safety
/// `client` and `cancel` are NULL or live handles; `client_out` and `err_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_client_with_cancel(
    client: *const wablock_client,
    cancel: *const wablock_cancel,
    client_out: *mut *mut wablock_client,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, client_out, "client_out", || {
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?;
        // SAFETY: per the contract above.
        let cancel = unsafe { obj(cancel, "cancel") }?;
        Ok(wablock_client::new(
            client.open()?.with_cancel(cancel.token.clone()),
        ))
    })
}
