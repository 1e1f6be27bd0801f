//! `wablock_window`: blocks that wait for WhatsApp's 24-hour window (the `wablock-window`
//! crate, docs/window.md): webhook ingest, the pending queue and its SQLite/PostgreSQL store.
//!
//! Every rule, message and JSON shape is the crate's `wablock_window::Window`; this file
//! converts types.

use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::wablock_window::{
    Cancelled, IngestReport, PendingBlock, QueuedBlockResult, Store, WhenPossible, Window,
    WindowState,
};
use wablock::{Error, ErrorKind, boundary};

use crate::client::users_arg;
use crate::{
    ExactCString, fail_with, free_box, guard_value, obj, opt_cstring, opt_ptr, opt_str_arg,
    owned_string, str_arg, str_bytes, to_cstring, wablock_client, wablock_error, wablock_outcome,
    wablock_status, wablock_str,
};

/// A failure of a window function: the window's error, or one this library or the core
/// found at the boundary (a NULL argument, a closed client or window, a panic).
pub(crate) enum Failure {
    Core(Error),
    Window(::wablock_window::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

impl From<::wablock_window::Error> for Failure {
    fn from(e: ::wablock_window::Error) -> Self {
        Failure::Window(e)
    }
}

fn fail(err_out: *mut *mut wablock_error, failure: Failure) -> wablock_status {
    fail_with(
        err_out,
        match failure {
            Failure::Core(e) => wablock_error::new(e),
            Failure::Window(e) => wablock_error::from_window(e),
        },
    )
}

/// The panic boundary and out-param discipline of `crate::call`, for window functions.
fn call<T>(
    err_out: *mut *mut wablock_error,
    out: *mut T,
    out_name: &str,
    f: impl FnOnce() -> Result<T, Failure>,
) -> wablock_status {
    if out.is_null() {
        return fail(err_out, boundary::null_argument(out_name).into());
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => {
            // SAFETY: out is non-NULL and writable per the contract.
            unsafe { out.write(value) };
            wablock_status::WABLOCK_OK
        }
        Ok(Err(failure)) => fail(err_out, failure),
        Err(payload) => fail(err_out, Error::from_panic(&*payload).into()),
    }
}

/// Blocks that wait for the 24-hour window, over one store (a SQLite file or a PostgreSQL
/// database), with one client per phone number id.
///
/// Configure it (`wablock_window_add_client`, `wablock_window_set_app_secret`,
/// `wablock_window_set_lease_ms`) before making calls. Then it may be shared by any number of
/// threads and used from all of them at once. Free it once, after every call on it has
/// returned.
pub struct wablock_window {
    /// `None` once closed. Calls clone the `Arc` and release the lock, so a close never waits
    /// for a call in flight, and the call finishes on its own reference.
    window: RwLock<Option<Arc<Window>>>,
}

impl wablock_window {
    fn new(store: Store) -> *mut wablock_window {
        Box::into_raw(Box::new(wablock_window {
            window: RwLock::new(Some(Arc::new(Window::new(store)))),
        }))
    }

    fn open(&self) -> Result<Arc<Window>, Error> {
        self.window
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(closed)
    }
}

fn closed() -> Error {
    Error::new(
        ErrorKind::InvalidArgument,
        "the window is closed: open a new one to make more calls",
    )
}

/// Opens the store at `location` (a SQLite file path, created if missing, or a `postgres://`
/// / `postgresql://` URL), applies its migrations, and makes a window over it with no client,
/// no app secret (signatures not checked) and the default lease (60 s). A location with any
/// other scheme is refused (`WABLOCK_INVALID_ARGUMENT`); a store that cannot be opened is
/// `WABLOCK_STORE`. A database URL is never quoted in errors.
///
/// Ownership: `location` is borrowed for the call. On success `*window_out` receives a new
/// window, owned by the caller (free with `wablock_window_free`).
///
/// # Safety
/// `location` is a valid `wablock_str`; `window_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_new(
    location: wablock_str,
    window_out: *mut *mut wablock_window,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, window_out, "window_out", || {
        // SAFETY: per the contract above.
        let location = unsafe { str_arg(location, "location") }?;
        Ok(wablock_window::new(Store::open(location)?))
    })
}

/// As `wablock_window_new`, over the default store: the SQLite file
/// `<data dir>/wablock/window.db` (`~/.local/share/wablock/window.db` on Linux).
///
/// # Safety
/// `window_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_new_default(
    window_out: *mut *mut wablock_window,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, window_out, "window_out", || {
        Ok(wablock_window::new(Store::open_default()?))
    })
}

/// Changes the window with one of the crate's builder methods (`f` cannot fail: arguments are
/// checked before). Refused while a call on the window is in flight.
///
/// # Safety
/// `window` is NULL or a live window.
unsafe fn configure(
    window: *mut wablock_window,
    f: impl FnOnce(Window) -> Window,
) -> Result<(), Failure> {
    // SAFETY: per the caller's contract.
    let handle = unsafe { obj(window.cast_const(), "window") }?;
    let mut slot = handle
        .window
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    let current = slot.take().ok_or_else(closed)?;
    match Arc::try_unwrap(current) {
        Ok(w) => {
            *slot = Some(Arc::new(f(w)));
            Ok(())
        }
        Err(shared) => {
            *slot = Some(shared);
            Err(Error::new(
                ErrorKind::InvalidArgument,
                "the window is in use by a call in flight: configure it before making calls",
            )
            .into())
        }
    }
}

/// The status of a setter.
fn status_of(
    err_out: *mut *mut wablock_error,
    f: impl FnOnce() -> Result<(), Failure>,
) -> wablock_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => wablock_status::WABLOCK_OK,
        Ok(Err(failure)) => fail(err_out, failure),
        Err(payload) => fail(err_out, Error::from_panic(&*payload).into()),
    }
}

/// Sets the client that blocks for `phone_number_id` (one per business number; a second one
/// for the same number replaces the first). The window keeps its own reference to the
/// client's connection pool, so `client` may be freed afterwards. A closed client is
/// `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: both arguments are borrowed for the call.
///
/// # Safety
/// `window` is NULL or a live window on which no call is in flight; `phone_number_id` is a
/// valid `wablock_str`; `client` is NULL or a live client; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_add_client(
    window: *mut wablock_window,
    phone_number_id: wablock_str,
    client: *const wablock_client,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    status_of(err_out, || {
        // SAFETY: per the contract above.
        let number = unsafe { str_arg(phone_number_id, "phone_number_id") }?.to_string();
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?.open()?;
        // SAFETY: per the contract above.
        unsafe { configure(window, |w| w.client(number, client)) }
    })
}

/// Sets the Meta app secret: from then on every ingested payload must carry a valid
/// `X-Hub-Signature-256`. Without it, signatures are not checked (only for receivers that
/// authenticate payloads some other way). The secret is copied, any bytes, and never appears
/// in any message.
///
/// Ownership: `app_secret` is borrowed for the call.
///
/// # Safety
/// `window` is NULL or a live window on which no call is in flight; `app_secret` is a valid
/// `wablock_str`; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_set_app_secret(
    window: *mut wablock_window,
    app_secret: wablock_str,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    status_of(err_out, || {
        // SAFETY: per the contract above.
        let secret = unsafe { str_bytes(app_secret) }
            .ok_or_else(|| boundary::null_argument("app_secret"))?
            .to_vec();
        // SAFETY: per the contract above.
        unsafe { configure(window, |w| w.app_secret(secret)) }
    })
}

/// Sets how long a claim on a queued block holds before another process may take it up
/// (default 60 000 ms). Make it longer than a block call can take, retries included. A
/// negative `lease_ms` is `WABLOCK_INVALID_ARGUMENT`.
///
/// # Safety
/// `window` is NULL or a live window on which no call is in flight; `err_out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_set_lease_ms(
    window: *mut wablock_window,
    lease_ms: i64,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    status_of(err_out, || {
        let lease = u64::try_from(lease_ms)
            .map(Duration::from_millis)
            .map_err(|_| boundary::out_of_range("lease_ms", lease_ms))?;
        // SAFETY: per the contract above.
        unsafe { configure(window, |w| w.lease(lease)) }
    })
}

/// Closes a window: its store connection is released once calls in flight have finished,
/// and every later call on it fails with `WABLOCK_INVALID_ARGUMENT` ("the window is closed").
/// The handle itself stays valid until `wablock_window_free`. Closing twice, or closing NULL,
/// does nothing. Safe to call while other threads use the window.
///
/// # Safety
/// `window` is NULL or a live window.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_close(window: *const wablock_window) {
    guard_value((), || {
        // SAFETY: per the contract above.
        if let Some(w) = unsafe { window.as_ref() } {
            let closed = w
                .window
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            drop(closed);
        }
    })
}

/// Frees a window. NULL is allowed and ignored. Results obtained from it stay valid.
///
/// # Safety
/// `window` is NULL or a window from this library that no thread uses any more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_free(window: *mut wablock_window) {
    // SAFETY: per the contract above.
    unsafe { free_box(window) }
}

/// A new window over the same store, clients, app secret, lease and claims as `window`, whose
/// every call observes `cancel` (the crate's `Window::with_cancel`, as
/// `wablock_client_with_cancel` is the core's): once it is triggered,
/// - `wablock_window_block_when_possible` stops as `wablock_client_block` does: the status is
///   `WABLOCK_CANCELLED`, the error's window kind `BLOCK`, its `partial` and `not_attempted`
///   hold every input, and nothing is queued;
/// - `wablock_window_ingest` and `wablock_window_process_pending` refuse to start
///   (`WABLOCK_CANCELLED`, kind `BLOCK`; nothing recorded). Once a payload is recorded they
///   take up no further queued block; the one in flight, if any, ends `WABLOCK_CANCELLED` in
///   its report entry and stays queued (`still_pending`). The call then succeeds with the
///   report of what was done, and the rest waits for the next webhook or
///   `wablock_window_process_pending`;
/// - `wablock_window_window_state`, `_pending` and `_cancel_pending` are single store
///   operations and do not observe it.
///
/// `window` itself is unaffected. The new window takes `window`'s configuration as it is now;
/// from then on the two are separate handles: a setter on either does not change the other
/// (a client added to the new window observes `cancel` too), a call in flight on one does not
/// refuse a setter on the other, and closing or freeing `window` does not close the new one
/// (the store's connection is released once both are closed or freed). Free a window made
/// for one call as soon as that call returns, so that closing `window` takes effect.
///
/// Ownership: both arguments are borrowed. On success `*window_out` receives a new window,
/// owned by the caller (free with `wablock_window_free`). A closed `window` gives
/// `WABLOCK_INVALID_ARGUMENT` ("the window is closed").
///
/// # Safety
/// `window` and `cancel` are NULL or live handles; `window_out` and `err_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_with_cancel(
    window: *const wablock_window,
    cancel: *const crate::wablock_cancel,
    window_out: *mut *mut wablock_window,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, window_out, "window_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        // SAFETY: per the contract above.
        let cancel = unsafe { obj(cancel, "cancel") }?;
        Ok(Box::into_raw(Box::new(wablock_window {
            window: RwLock::new(Some(Arc::new(window.with_cancel(cancel.token.clone())))),
        })))
    })
}

// ------------------------------------------------------------------------- block_when_possible

/// The result of `wablock_window_block_when_possible`. Immutable: it may be read from many
/// threads. Free it with `wablock_when_possible_free`.
pub struct wablock_when_possible {
    outcome: Box<wablock_outcome>,
    queued: Vec<ExactCString>,
    json: String,
}

impl wablock_when_possible {
    fn new(result: WhenPossible) -> *mut wablock_when_possible {
        let json = result.to_canonical_json();
        Box::into_raw(Box::new(wablock_when_possible {
            queued: result.queued.iter().map(|s| ExactCString::new(s)).collect(),
            outcome: Box::new(wablock_outcome::new(result.outcome)),
            json,
        }))
    }
}

/// Blocks `n` users on `phone_number_id` now, with that number's client; those refused with
/// `REENGAGEMENT_REQUIRED` are queued and blocked when they next write in (see
/// `wablock_window_ingest`). The result's outcome accounts for every input, as
/// `wablock_client_block`'s does; its queued list names the inputs queued (each also in the
/// outcome's failed list).
///
/// Errors: no client for `phone_number_id` is `WABLOCK_INVALID_ARGUMENT`; a store failure
/// `WABLOCK_STORE`; when the block call fails as a whole (window kind BLOCK), the status is
/// the core's (`WABLOCK_AUTH`, `WABLOCK_NETWORK`, `WABLOCK_INVALID_ARGUMENT` for `n == 0`…),
/// the error carries the core's `partial` and `not_attempted`, and nothing is queued.
///
/// Ownership: the arguments are borrowed for the call. `*result_out` is owned by the caller
/// (free with `wablock_when_possible_free`).
///
/// # Safety
/// `window` is NULL or a live window; `phone_number_id` is a valid `wablock_str`; `users` is
/// NULL or points to `n` valid `wablock_str`s; `result_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_block_when_possible(
    window: *const wablock_window,
    phone_number_id: wablock_str,
    users: *const wablock_str,
    n: usize,
    result_out: *mut *mut wablock_when_possible,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, result_out, "result_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        // SAFETY: per the contract above.
        let number = unsafe { str_arg(phone_number_id, "phone_number_id") }?;
        // SAFETY: per the contract above.
        let users = unsafe { users_arg(users, n) }?;
        Ok(wablock_when_possible::new(
            window.block_when_possible(number, users)?,
        ))
    })
}

/// Frees a result. NULL is allowed and ignored.
///
/// # Safety
/// `result` is NULL or a result from this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_when_possible_free(result: *mut wablock_when_possible) {
    // SAFETY: per the contract above.
    unsafe { free_box(result) }
}

/// The core's outcome of the block call: read it with the `wablock_outcome_*` functions.
/// Borrowed from `result`: valid as long as it is; never free it. NULL when `result` is NULL.
///
/// # Safety
/// `result` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_when_possible_outcome(
    result: *const wablock_when_possible,
) -> *const wablock_outcome {
    guard_value(std::ptr::null(), || {
        // SAFETY: per the contract above.
        unsafe { result.as_ref() }.map_or(std::ptr::null(), |r| &*r.outcome as *const _)
    })
}

/// Number of inputs queued; 0 when `result` is NULL.
///
/// # Safety
/// `result` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_when_possible_queued_count(
    result: *const wablock_when_possible,
) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { result.as_ref() }.map_or(0, |r| r.queued.len())
    })
}

/// Queued input `index` (0-based, in input order), exactly as the caller passed it; NULL when
/// out of range. When `len_out` is not NULL it receives the length in bytes. Borrowed from
/// `result` and valid as long as it is.
///
/// # Safety
/// `result` is NULL or a live result; `len_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_when_possible_queued_get(
    result: *const wablock_when_possible,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: per the contract above.
        let item = unsafe { result.as_ref() }.and_then(|r| r.queued.get(index));
        // SAFETY: per the contract above.
        unsafe { exact_out(item, len_out) }
    })
}

/// The result as the crate's canonical JSON, `{"outcome":{…},"queued":[…]}` (the CLI's
/// `block --when-possible --json`). Owned by the caller: free it with `wablock_string_free`.
/// NULL when `result` is NULL.
///
/// # Safety
/// `result` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_when_possible_to_json(
    result: *const wablock_when_possible,
) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { result.as_ref() }.map_or(std::ptr::null_mut(), |r| owned_string(&r.json))
    })
}

/// A borrowed exact string and its length.
///
/// # Safety
/// `len_out` is NULL or writable.
unsafe fn exact_out(item: Option<&ExactCString>, len_out: *mut usize) -> *const c_char {
    match item {
        None => std::ptr::null(),
        Some(s) => {
            if !len_out.is_null() {
                // SAFETY: per the caller's contract.
                unsafe { len_out.write(s.len()) };
            }
            s.as_ptr()
        }
    }
}

// ---------------------------------------------------------------------------- queued blocks

/// One queued block that `wablock_window_ingest` or `wablock_window_process_pending` took up.
/// The pointers are borrowed from the object it was read from and live as long as it does;
/// never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_queued_block {
    /// The business phone number id.
    pub phone_number_id: *const c_char,
    /// The user's identity (WA ID digits or BSUID).
    pub user: *const c_char,
    /// The caller's original string, as queued and sent (NUL-terminated; see `input_len`).
    pub input: *const c_char,
    /// The length of `input` in bytes.
    pub input_len: usize,
    /// The block call's outcome (read it with the `wablock_outcome_*` functions), or NULL when
    /// the call failed as a whole.
    pub outcome: *const wablock_outcome,
    /// The core's error when the block call failed as a whole (with its accounting), else
    /// NULL.
    pub error: *const wablock_error,
    /// True when the block stays queued (a retryable failure, or the server still asks for
    /// re-engagement); false when it is done (blocked, or refused for good).
    pub still_pending: bool,
    /// This block as the crate's canonical JSON, `{"input",…,"outcome"|"error",…}`.
    pub json: *const c_char,
}

struct QueuedC {
    phone_number_id: CString,
    user: CString,
    input: ExactCString,
    outcome: Option<Box<wablock_outcome>>,
    error: Option<Box<wablock_error>>,
    still_pending: bool,
    json: CString,
}

/// Queued blocks taken up, in the order they were made. Immutable: it may be read from many
/// threads. Free it with `wablock_queued_blocks_free` (unless it is borrowed from a report by
/// `wablock_ingest_report_blocks`).
pub struct wablock_queued_blocks {
    items: Vec<QueuedC>,
}

impl wablock_queued_blocks {
    fn new(results: Vec<QueuedBlockResult>) -> wablock_queued_blocks {
        let items = results
            .into_iter()
            .map(|r| {
                let json = to_cstring(&wablock::canonical_string(&r.to_json_value()));
                let (outcome, error) = match r.outcome {
                    Ok(o) => (Some(Box::new(wablock_outcome::new(o))), None),
                    Err(e) => (None, Some(Box::new(wablock_error::new(e)))),
                };
                QueuedC {
                    phone_number_id: to_cstring(&r.phone_number_id),
                    user: to_cstring(&r.user),
                    input: ExactCString::new(&r.input),
                    outcome,
                    error,
                    still_pending: r.still_pending,
                    json,
                }
            })
            .collect();
        wablock_queued_blocks { items }
    }
}

/// Takes up every queued block whose user's window is open and that no live process holds
/// (users who wrote in, and blocks whose claim expired), without a new webhook. Each block's
/// own failure is in its entry; the call fails only when the store does (`WABLOCK_STORE`).
///
/// Ownership: `*blocks_out` is owned by the caller (free with `wablock_queued_blocks_free`).
///
/// # Safety
/// `window` is NULL or a live window; `blocks_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_process_pending(
    window: *const wablock_window,
    blocks_out: *mut *mut wablock_queued_blocks,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, blocks_out, "blocks_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        Ok(Box::into_raw(Box::new(wablock_queued_blocks::new(
            window.process_pending()?,
        ))))
    })
}

/// Frees a list of queued blocks. NULL is allowed and ignored. Never free the list borrowed
/// from a report by `wablock_ingest_report_blocks`.
///
/// # Safety
/// `blocks` is NULL or a list from `wablock_window_process_pending`, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_queued_blocks_free(blocks: *mut wablock_queued_blocks) {
    // SAFETY: per the contract above.
    unsafe { free_box(blocks) }
}

/// Number of blocks in the list; 0 when `blocks` is NULL.
///
/// # Safety
/// `blocks` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_queued_blocks_count(
    blocks: *const wablock_queued_blocks,
) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { blocks.as_ref() }.map_or(0, |b| b.items.len())
    })
}

/// Reads block `index` (0-based, below `wablock_queued_blocks_count`) into `*block_out`. An
/// index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the pointers written are borrowed from `blocks` and live as long as it does.
///
/// # Safety
/// `blocks` is NULL or a live list; `block_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_queued_blocks_get(
    blocks: *const wablock_queued_blocks,
    index: usize,
    block_out: *mut wablock_queued_block,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, block_out, "block_out", || {
        // SAFETY: per the contract above.
        let list = unsafe { obj(blocks, "blocks") }?;
        let b = list.items.get(index).ok_or_else(|| {
            boundary::index_out_of_range(index, "list", list.items.len(), "queued blocks")
        })?;
        Ok(wablock_queued_block {
            phone_number_id: b.phone_number_id.as_ptr(),
            user: b.user.as_ptr(),
            input: b.input.as_ptr(),
            input_len: b.input.len(),
            outcome: b
                .outcome
                .as_deref()
                .map_or(std::ptr::null(), |o| o as *const _),
            error: b
                .error
                .as_deref()
                .map_or(std::ptr::null(), |e| e as *const _),
            still_pending: b.still_pending,
            json: b.json.as_ptr(),
        })
    })
}

// ----------------------------------------------------------------------------------- ingest

/// The result of `wablock_window_ingest`. Immutable: it may be read from many threads. Free
/// it with `wablock_ingest_report_free`.
pub struct wablock_ingest_report {
    messages: usize,
    new_messages: usize,
    blocks: wablock_queued_blocks,
    json: String,
}

impl wablock_ingest_report {
    fn new(report: IngestReport) -> *mut wablock_ingest_report {
        let json = report.to_canonical_json();
        Box::into_raw(Box::new(wablock_ingest_report {
            messages: report.messages,
            new_messages: report.new_messages,
            blocks: wablock_queued_blocks::new(report.blocks),
            json,
        }))
    }
}

/// Verifies, parses and records one webhook payload, then blocks the queued users whose
/// window is open (those who just wrote in). `body` is the raw request body exactly as
/// received; `signature` the `X-Hub-Signature-256` header as received, or NULL when there was
/// none.
///
/// Errors: with an app secret set, a missing, unreadable or wrong signature is
/// `WABLOCK_SIGNATURE`; a body that is not a WhatsApp Business webhook payload is
/// `WABLOCK_MALFORMED`; in both cases nothing of the payload is recorded. A store failure is
/// `WABLOCK_STORE`. A block taken up that fails is not a call error: it is in the report.
/// Ingesting the same payload again records nothing new.
///
/// Ownership: `body` and `signature` are borrowed for the call. `*report_out` is owned by the
/// caller (free with `wablock_ingest_report_free`).
///
/// # Safety
/// `window` is NULL or a live window; `body` is NULL (then `body_len` is 0) or points to
/// `body_len` readable bytes; `signature` is NULL or a valid `wablock_str`; `report_out` and
/// `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_ingest(
    window: *const wablock_window,
    body: *const u8,
    body_len: usize,
    signature: *const wablock_str,
    report_out: *mut *mut wablock_ingest_report,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, report_out, "report_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        let body: &[u8] = if body_len == 0 {
            &[]
        } else if body.is_null() {
            return Err(boundary::null_argument("body").into());
        } else if body_len > isize::MAX as usize {
            return Err(boundary::out_of_range("body_len", body_len).into());
        } else {
            // SAFETY: non-NULL with `body_len` readable bytes per the contract.
            unsafe { std::slice::from_raw_parts(body, body_len) }
        };
        // SAFETY: per the contract above.
        let signature = unsafe { opt_str_arg(signature, "signature") }?;
        Ok(wablock_ingest_report::new(window.ingest(body, signature)?))
    })
}

/// Frees a report. NULL is allowed and ignored.
///
/// # Safety
/// `report` is NULL or a report from this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_ingest_report_free(report: *mut wablock_ingest_report) {
    // SAFETY: per the contract above.
    unsafe { free_box(report) }
}

/// Inbound messages in the payload; 0 when `report` is NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_ingest_report_messages(
    report: *const wablock_ingest_report,
) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { report.as_ref() }.map_or(0, |r| r.messages)
    })
}

/// Of those, messages not seen before (a redelivered payload has none); 0 when `report` is
/// NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_ingest_report_new_messages(
    report: *const wablock_ingest_report,
) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { report.as_ref() }.map_or(0, |r| r.new_messages)
    })
}

/// The queued blocks taken up during this ingest: read them with `wablock_queued_blocks_count`
/// and `wablock_queued_blocks_get`. Borrowed from `report`: valid as long as it is; never free
/// it. NULL when `report` is NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_ingest_report_blocks(
    report: *const wablock_ingest_report,
) -> *const wablock_queued_blocks {
    guard_value(std::ptr::null(), || {
        // SAFETY: per the contract above.
        unsafe { report.as_ref() }.map_or(std::ptr::null(), |r| &r.blocks as *const _)
    })
}

/// The report as the crate's canonical JSON,
/// `{"ingest":{"blocks":[…],"messages":…,"new_messages":…}}` (the CLI's `webhook ingest
/// --json`). Owned by the caller: free it with `wablock_string_free`. NULL when `report` is
/// NULL.
///
/// # Safety
/// `report` is NULL or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_ingest_report_to_json(
    report: *const wablock_ingest_report,
) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { report.as_ref() }.map_or(std::ptr::null_mut(), |r| owned_string(&r.json))
    })
}

// ------------------------------------------------------------------------------ window state

/// Whether a user may be blocked now, as far as the recorded webhooks tell.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wablock_window_state_kind {
    /// No message from this user to this number is recorded.
    WABLOCK_WINDOW_UNKNOWN = 0,
    /// The user wrote in less than 24 hours ago: a block is accepted until `at_ms`.
    WABLOCK_WINDOW_OPEN = 1,
    /// The user's last message is older: blocks are refused since `at_ms`.
    WABLOCK_WINDOW_CLOSED = 2,
}

/// The answer of `wablock_window_window_state`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_window_state {
    /// Open, closed or unknown.
    pub kind: wablock_window_state_kind,
    /// Unix milliseconds: open until (OPEN), closed since (CLOSED); 0 for UNKNOWN.
    pub at_ms: i64,
}

/// Unix milliseconds of a time (negative before 1970).
fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Whether `user` may be blocked on `phone_number_id` now: the 24 hours run from the timestamp
/// of the user's latest recorded message. A user that is not a phone number, WA ID or BSUID is
/// `WABLOCK_INVALID_ARGUMENT`; a store failure `WABLOCK_STORE`.
///
/// Ownership: the strings are borrowed for the call; `*state_out` is written on success.
///
/// # Safety
/// `window` is NULL or a live window; the strings are valid `wablock_str`s; `state_out` and
/// `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_window_state(
    window: *const wablock_window,
    phone_number_id: wablock_str,
    user: wablock_str,
    state_out: *mut wablock_window_state,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, state_out, "state_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        // SAFETY: per the contract above.
        let number = unsafe { str_arg(phone_number_id, "phone_number_id") }?;
        // SAFETY: per the contract above.
        let user = unsafe { str_arg(user, "user") }?;
        use wablock_window_state_kind::*;
        Ok(match window.window(number, user)? {
            WindowState::OpenUntil(t) => wablock_window_state {
                kind: WABLOCK_WINDOW_OPEN,
                at_ms: unix_ms(t),
            },
            WindowState::ClosedSince(t) => wablock_window_state {
                kind: WABLOCK_WINDOW_CLOSED,
                at_ms: unix_ms(t),
            },
            WindowState::Unknown => wablock_window_state {
                kind: WABLOCK_WINDOW_UNKNOWN,
                at_ms: 0,
            },
        })
    })
}

// ---------------------------------------------------------------------------------- pending

/// A queued block, waiting for the user to write in. The strings are borrowed from the list
/// and live as long as it does; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_pending_block {
    /// The business phone number id the block is for.
    pub phone_number_id: *const c_char,
    /// The user's identity: WA ID digits, or the BSUID.
    pub user: *const c_char,
    /// The caller's original string, sent as is when the block is made (NUL-terminated; see
    /// `input_len`).
    pub input: *const c_char,
    /// The length of `input` in bytes.
    pub input_len: usize,
    /// When it was queued, Unix milliseconds.
    pub created_at_ms: i64,
    /// The process holding it right now, or NULL (claims expire).
    pub claim_owner: *const c_char,
    /// Until when that claim holds, Unix milliseconds (0 when unclaimed).
    pub claimed_until_ms: i64,
}

struct PendingC {
    phone_number_id: CString,
    user: CString,
    input: ExactCString,
    created_at_ms: i64,
    claim_owner: Option<CString>,
    claimed_until_ms: i64,
}

/// Every queued block, oldest first. Immutable: it may be read from many threads. Free it
/// with `wablock_pending_list_free`.
pub struct wablock_pending_list {
    rows: Vec<PendingC>,
    json: String,
}

impl wablock_pending_list {
    fn new(rows: Vec<PendingBlock>) -> *mut wablock_pending_list {
        let json = ::wablock_window::pending_canonical_json(&rows);
        let rows = rows
            .into_iter()
            .map(|p| PendingC {
                phone_number_id: to_cstring(&p.phone_number_id),
                user: to_cstring(&p.user),
                input: ExactCString::new(&p.input),
                created_at_ms: p.created_at_ms,
                claim_owner: opt_cstring(p.claim_owner.as_deref()),
                claimed_until_ms: p.claimed_until_ms,
            })
            .collect();
        Box::into_raw(Box::new(wablock_pending_list { rows, json }))
    }
}

/// Every queued block, oldest first. A store failure is `WABLOCK_STORE`.
///
/// Ownership: `*pending_out` is owned by the caller (free with `wablock_pending_list_free`).
///
/// # Safety
/// `window` is NULL or a live window; `pending_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_pending(
    window: *const wablock_window,
    pending_out: *mut *mut wablock_pending_list,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, pending_out, "pending_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        Ok(wablock_pending_list::new(window.pending()?))
    })
}

/// Frees a pending list. NULL is allowed and ignored.
///
/// # Safety
/// `pending` is NULL or a list from this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_pending_list_free(pending: *mut wablock_pending_list) {
    // SAFETY: per the contract above.
    unsafe { free_box(pending) }
}

/// Number of queued blocks in the list; 0 when `pending` is NULL.
///
/// # Safety
/// `pending` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_pending_list_count(pending: *const wablock_pending_list) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { pending.as_ref() }.map_or(0, |p| p.rows.len())
    })
}

/// Reads queued block `index` (0-based, below `wablock_pending_list_count`) into
/// `*block_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the strings written are borrowed from `pending` and live as long as it does.
///
/// # Safety
/// `pending` is NULL or a live list; `block_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_pending_list_get(
    pending: *const wablock_pending_list,
    index: usize,
    block_out: *mut wablock_pending_block,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, block_out, "block_out", || {
        // SAFETY: per the contract above.
        let list = unsafe { obj(pending, "pending") }?;
        let p = list.rows.get(index).ok_or_else(|| {
            boundary::index_out_of_range(index, "list", list.rows.len(), "queued blocks")
        })?;
        Ok(wablock_pending_block {
            phone_number_id: p.phone_number_id.as_ptr(),
            user: p.user.as_ptr(),
            input: p.input.as_ptr(),
            input_len: p.input.len(),
            created_at_ms: p.created_at_ms,
            claim_owner: opt_ptr(&p.claim_owner),
            claimed_until_ms: p.claimed_until_ms,
        })
    })
}

/// The list as the crate's canonical JSON, `{"pending":[{…}…]}` (the CLI's `pending --json`).
/// Owned by the caller: free it with `wablock_string_free`. NULL when `pending` is NULL.
///
/// # Safety
/// `pending` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_pending_list_to_json(
    pending: *const wablock_pending_list,
) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { pending.as_ref() }.map_or(std::ptr::null_mut(), |p| owned_string(&p.json))
    })
}

// --------------------------------------------------------------------------- cancel_pending

/// The result of `wablock_window_cancel_pending`: every input exactly once, in one of three
/// lists, each in input order. Immutable: it may be read from many threads. Free it with
/// `wablock_cancelled_free`.
pub struct wablock_cancelled {
    cancelled: Vec<ExactCString>,
    not_pending: Vec<ExactCString>,
    invalid: Vec<(ExactCString, CString)>,
}

impl wablock_cancelled {
    fn new(c: Cancelled) -> *mut wablock_cancelled {
        let exact = |v: &[String]| v.iter().map(|s| ExactCString::new(s)).collect();
        Box::into_raw(Box::new(wablock_cancelled {
            cancelled: exact(&c.cancelled),
            not_pending: exact(&c.not_pending),
            invalid: c
                .invalid
                .iter()
                .map(|(input, why)| (ExactCString::new(input), to_cstring(why)))
                .collect(),
        }))
    }
}

/// Removes the queued blocks of `n` users on `phone_number_id`. `n == 0` is
/// `WABLOCK_INVALID_ARGUMENT` (the crate's message); a store failure `WABLOCK_STORE`. An input
/// that is not a phone number, WA ID or BSUID is not a call error: it is in the invalid list.
///
/// Ownership: the arguments are borrowed for the call. `*cancelled_out` is owned by the caller
/// (free with `wablock_cancelled_free`).
///
/// # Safety
/// `window` is NULL or a live window; `phone_number_id` is a valid `wablock_str`; `users` is
/// NULL or points to `n` valid `wablock_str`s; `cancelled_out` and `err_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_window_cancel_pending(
    window: *const wablock_window,
    phone_number_id: wablock_str,
    users: *const wablock_str,
    n: usize,
    cancelled_out: *mut *mut wablock_cancelled,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, cancelled_out, "cancelled_out", || {
        // SAFETY: per the contract above.
        let window = unsafe { obj(window, "window") }?.open()?;
        // SAFETY: per the contract above.
        let number = unsafe { str_arg(phone_number_id, "phone_number_id") }?;
        // SAFETY: per the contract above.
        let users = unsafe { users_arg(users, n) }?;
        Ok(wablock_cancelled::new(
            window.cancel_pending(number, users)?,
        ))
    })
}

/// Frees a cancel result. NULL is allowed and ignored.
///
/// # Safety
/// `cancelled` is NULL or a result from this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancelled_free(cancelled: *mut wablock_cancelled) {
    // SAFETY: per the contract above.
    unsafe { free_box(cancelled) }
}

/// Which list of a `wablock_cancelled` to read.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wablock_cancelled_list {
    /// Inputs whose queued block was removed.
    WABLOCK_CANCELLED_CANCELLED = 0,
    /// Inputs that had no queued block on that number.
    WABLOCK_CANCELLED_NOT_PENDING = 1,
    /// Inputs that are not a phone number, WA ID or BSUID (each with the reason).
    WABLOCK_CANCELLED_INVALID = 2,
}

/// Number of inputs in list `list` (`wablock_cancelled_list`); 0 when `cancelled` is NULL or
/// `list` is no list.
///
/// # Safety
/// `cancelled` is NULL or a live result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancelled_count(
    cancelled: *const wablock_cancelled,
    list: i32,
) -> usize {
    guard_value(0, || {
        // SAFETY: per the contract above.
        unsafe { cancelled.as_ref() }.map_or(0, |c| match list {
            0 => c.cancelled.len(),
            1 => c.not_pending.len(),
            2 => c.invalid.len(),
            _ => 0,
        })
    })
}

/// Input `index` (0-based, in input order) of list `list` (`wablock_cancelled_list`), exactly
/// as the caller passed it; NULL when out of range. When `len_out` is not NULL it receives the
/// length in bytes. For the invalid list, when `reason_out` is not NULL it receives why the
/// input is not a user (the core's words); for the other lists it is left untouched. Borrowed
/// from `cancelled` and valid as long as it is.
///
/// # Safety
/// `cancelled` is NULL or a live result; `len_out` and `reason_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_cancelled_get(
    cancelled: *const wablock_cancelled,
    list: i32,
    index: usize,
    len_out: *mut usize,
    reason_out: *mut *const c_char,
) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: per the contract above.
        let Some(c) = (unsafe { cancelled.as_ref() }) else {
            return std::ptr::null();
        };
        let item = match list {
            0 => c.cancelled.get(index),
            1 => c.not_pending.get(index),
            2 => c.invalid.get(index).map(|(input, why)| {
                if !reason_out.is_null() {
                    // SAFETY: per the contract above.
                    unsafe { reason_out.write(why.as_ptr()) };
                }
                input
            }),
            _ => None,
        };
        // SAFETY: per the contract above.
        unsafe { exact_out(item, len_out) }
    })
}
