//! `wablock_error`: a call that failed as a whole, with every docs/behaviour.md §3.2 field.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use ::wablock_window::{Error as WindowError, ErrorKind as WindowErrorKind};
use wablock::Error;

use crate::{
    ExactCString, guard_value, opt_cstring, opt_ptr, owned_string, static_cstr, to_cstring,
    wablock_outcome, wablock_status,
};

/// A call that failed as a whole. Written to `*err_out` by a failing function; owned by the
/// caller and freed with `wablock_error_free`. Immutable: it may be read from many threads.
///
/// It is the core's error (`wablock::Error`) for the client, fleet and other core functions,
/// and the window's error (`wablock_window::Error`) for the `wablock_window_*` functions; for a
/// window error of kind BLOCK, the accessors that account for users (`partial`,
/// `not_attempted`, the HTTP and Graph fields) read the core's error inside it.
pub struct wablock_error {
    status: wablock_status,
    /// The core's error: a core call's, or the block call's behind a window BLOCK error.
    core: Option<Error>,
    message: CString,
    display: CString,
    details: Option<CString>,
    fbtrace_id: Option<CString>,
    partial: Option<Box<wablock_outcome>>,
    not_attempted: Vec<ExactCString>,
    /// The window's kind name, for an error of a `wablock_window_*` function.
    window_kind: *const c_char,
    /// The core's error as an object of its own, behind a window BLOCK error.
    block: Option<Box<wablock_error>>,
    /// The crate's `{"error":…}` of a window error that has no core error behind it.
    window_json: Option<String>,
}

// SAFETY: `window_kind` is NULL or points into a static table that lives for the whole process
// and never changes; everything else is owned, immutable data.
unsafe impl Send for wablock_error {}
// SAFETY: as above.
unsafe impl Sync for wablock_error {}

impl wablock_error {
    pub(crate) fn new(error: Error) -> wablock_error {
        wablock_error {
            status: wablock_status::from_kind(error.kind()),
            message: to_cstring(error.message()),
            display: to_cstring(&error.to_string()),
            ..wablock_error::accounting(error)
        }
    }

    /// The fields the core's error gives, with its message and display.
    fn accounting(error: Error) -> wablock_error {
        wablock_error {
            status: wablock_status::from_kind(error.kind()),
            message: CString::default(),
            display: CString::default(),
            details: opt_cstring(error.details()),
            fbtrace_id: opt_cstring(error.fbtrace_id()),
            partial: error
                .partial()
                .map(|p| Box::new(wablock_outcome::new(p.clone()))),
            not_attempted: error
                .not_attempted()
                .iter()
                .map(|s| ExactCString::new(s))
                .collect(),
            window_kind: std::ptr::null(),
            block: None,
            window_json: None,
            core: Some(error),
        }
    }

    /// The C view of a window error: its kind's status (the core's status for BLOCK), the
    /// window's message and display, and for BLOCK the core's error and its accounting.
    pub(crate) fn from_window(error: WindowError) -> wablock_error {
        let status = wablock_status::from_window_kind(&error);
        let base = match error.block_error() {
            Some(core) => wablock_error {
                block: Some(Box::new(wablock_error::new(core.clone()))),
                ..wablock_error::accounting(core.clone())
            },
            None => wablock_error {
                status,
                core: None,
                message: CString::default(),
                display: CString::default(),
                details: None,
                fbtrace_id: None,
                partial: None,
                not_attempted: Vec::new(),
                window_kind: std::ptr::null(),
                block: None,
                window_json: Some(error.to_canonical_json()),
            },
        };
        wablock_error {
            status,
            message: to_cstring(error.message()),
            display: to_cstring(&error.to_string()),
            window_kind: window_kind_name(error.kind()),
            ..base
        }
    }

    /// The status a failing function returns with this error.
    pub(crate) fn status(&self) -> wablock_status {
        self.status
    }
}

/// The window's kinds, in the order of their names' table.
const WINDOW_KINDS: [WindowErrorKind; 5] = [
    WindowErrorKind::InvalidArgument,
    WindowErrorKind::Signature,
    WindowErrorKind::Malformed,
    WindowErrorKind::Store,
    WindowErrorKind::Block,
];

/// The static name of a window kind (`"SIGNATURE"`…), written by the window crate.
fn window_kind_name(kind: WindowErrorKind) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = || WINDOW_KINDS.iter().map(|k| k.as_str()).collect();
    WINDOW_KINDS
        .iter()
        .position(|k| *k == kind)
        .map_or(std::ptr::null(), |i| static_cstr(&NAMES, names, i))
}

/// Runs an accessor on a non-NULL error; `default` for NULL or a panic.
///
/// # Safety
/// `error` is NULL or a live error.
unsafe fn with<T>(
    error: *const wablock_error,
    default: T,
    f: impl FnOnce(&wablock_error) -> T,
) -> T {
    // SAFETY: per the caller's contract.
    match unsafe { error.as_ref() } {
        None => default,
        Some(e) => {
            let fallback = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(e)));
            fallback.unwrap_or(default)
        }
    }
}

/// Writes `value` into `out` when both are present; true when written.
fn write_opt<T>(out: *mut T, value: Option<T>) -> bool {
    match value {
        Some(v) if !out.is_null() => {
            // SAFETY: out is non-NULL and writable per each accessor's contract.
            unsafe { out.write(v) };
            true
        }
        Some(_) => true,
        None => false,
    }
}

/// Frees an error. NULL is allowed and ignored.
///
/// # Safety
/// `error` is NULL or an error written by this library, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_free(error: *mut wablock_error) {
    // SAFETY: per the contract above.
    unsafe { crate::free_box(error) }
}

/// The kind of the error: the status the failing function returned (never `WABLOCK_OK`).
/// `WABLOCK_INVALID_ARGUMENT` when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_kind(error: *const wablock_error) -> wablock_status {
    // SAFETY: per the contract above.
    unsafe {
        with(error, wablock_status::WABLOCK_INVALID_ARGUMENT, |e| {
            e.status
        })
    }
}

/// What went wrong, for a person. Never contains the token or API key. Borrowed from `error`
/// and valid as long as it is; NULL only when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_message(error: *const wablock_error) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe { with(error, std::ptr::null(), |e| e.message.as_ptr()) }
}

/// The error as one line for a person, the same text in every language (the core's `Display`):
/// the kind, the message, and the Graph code when there is one, e.g.
/// `"AUTH: Invalid OAuth access token. (code 190)"`. Borrowed from `error` and valid as long as
/// it is; NULL only when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_display(error: *const wablock_error) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe { with(error, std::ptr::null(), |e| e.display.as_ptr()) }
}

/// The HTTP status of the failing response: returns true and writes `*status_out` (when not
/// NULL) if there was one, false otherwise.
///
/// # Safety
/// `error` is NULL or a live error; `status_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_http_status(
    error: *const wablock_error,
    status_out: *mut u16,
) -> bool {
    // SAFETY: per the contract above.
    unsafe {
        with(error, false, |e| {
            write_opt(status_out, e.core.as_ref().and_then(Error::http_status))
        })
    }
}

/// The Graph error code: returns true and writes `*code_out` (when not NULL) if the server
/// gave one, false otherwise.
///
/// # Safety
/// `error` is NULL or a live error; `code_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_code(
    error: *const wablock_error,
    code_out: *mut i64,
) -> bool {
    // SAFETY: per the contract above.
    unsafe {
        with(error, false, |e| {
            write_opt(code_out, e.core.as_ref().and_then(Error::code))
        })
    }
}

/// The Graph `error_subcode`: returns true and writes `*subcode_out` (when not NULL) if the
/// server gave one, false otherwise.
///
/// # Safety
/// `error` is NULL or a live error; `subcode_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_subcode(
    error: *const wablock_error,
    subcode_out: *mut i64,
) -> bool {
    // SAFETY: per the contract above.
    unsafe {
        with(error, false, |e| {
            write_opt(subcode_out, e.core.as_ref().and_then(Error::subcode))
        })
    }
}

/// The Graph `error_data.details`, or NULL. Borrowed from `error` and valid as long as it is.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_details(error: *const wablock_error) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe { with(error, std::ptr::null(), |e| opt_ptr(&e.details)) }
}

/// Meta's trace id (for support tickets), or NULL. Borrowed from `error` and valid as long as
/// it is.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_fbtrace_id(error: *const wablock_error) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe { with(error, std::ptr::null(), |e| opt_ptr(&e.fbtrace_id)) }
}

/// Whether the same call may succeed if tried again later; false when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_retryable(error: *const wablock_error) -> bool {
    // SAFETY: per the contract above.
    unsafe {
        with(error, false, |e| {
            e.core.as_ref().is_some_and(Error::is_retryable)
        })
    }
}

/// How long the server asked the caller to wait, in milliseconds: returns true and writes
/// `*retry_after_ms_out` (when not NULL) if the server said, false otherwise.
///
/// # Safety
/// `error` is NULL or a live error; `retry_after_ms_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_retry_after_ms(
    error: *const wablock_error,
    retry_after_ms_out: *mut u64,
) -> bool {
    // SAFETY: per the contract above.
    unsafe {
        with(error, false, |e| {
            let ms = e
                .core
                .as_ref()
                .and_then(Error::retry_after)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
            write_opt(retry_after_ms_out, ms)
        })
    }
}

/// The outcome of the users whose batches finished before the failure, or NULL. Borrowed from
/// `error`: valid as long as it is; never free it.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_partial(
    error: *const wablock_error,
) -> *const wablock_outcome {
    // SAFETY: per the contract above.
    unsafe {
        with(error, std::ptr::null(), |e| {
            e.partial
                .as_deref()
                .map_or(std::ptr::null(), |p| p as *const wablock_outcome)
        })
    }
}

/// Number of inputs neither confirmed nor refused; 0 when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_not_attempted_count(error: *const wablock_error) -> usize {
    // SAFETY: per the contract above.
    unsafe { with(error, 0, |e| e.not_attempted.len()) }
}

/// Input `index` (0-based, in input order) of those neither confirmed nor refused, exactly as
/// the caller passed it; NULL when out of range. When `len_out` is not NULL it receives the
/// string's length in bytes (an input may hold a NUL byte, where C's string functions would
/// stop). Borrowed from `error` and valid as long as it is.
///
/// # Safety
/// `error` is NULL or a live error; `len_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_not_attempted_get(
    error: *const wablock_error,
    index: usize,
    len_out: *mut usize,
) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe {
        with(error, std::ptr::null(), |e| {
            match e.not_attempted.get(index) {
                None => std::ptr::null(),
                Some(s) => {
                    write_opt(len_out, Some(s.len()));
                    s.as_ptr()
                }
            }
        })
    }
}

/// The error as canonical JSON (docs/behaviour.md §5): `{"error":{…}}`, keys sorted, compact.
/// For a window error of kind BLOCK it is the core's error inside it (as the CLI prints it);
/// for the window's other kinds, the window crate's JSON in the same shape (its kind and
/// message, the HTTP fields null, nothing attempted).
///
/// Ownership: the returned string is owned by the caller; free it with
/// `wablock_string_free`. NULL when `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_to_json(error: *const wablock_error) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        let Some(error) = (unsafe { error.as_ref() }) else {
            return std::ptr::null_mut();
        };
        match (&error.core, &error.window_json) {
            (Some(core), _) => owned_string(&core.to_canonical_json()),
            (None, Some(json)) => owned_string(json),
            (None, None) => std::ptr::null_mut(),
        }
    })
}

/// The window's kind of the error, `"INVALID_ARGUMENT"`, `"SIGNATURE"`, `"MALFORMED"`,
/// `"STORE"` or `"BLOCK"` (the `wablock-window` crate's names), when a `wablock_window_*`
/// function failed with it; NULL for any other error (a core call's, a NULL argument found by
/// this library, a panic) and when `error` is NULL. Static: never free it.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_window_kind(error: *const wablock_error) -> *const c_char {
    // SAFETY: per the contract above.
    unsafe { with(error, std::ptr::null(), |e| e.window_kind) }
}

/// For a window error of kind BLOCK (the block call failed as a whole): the core's own error,
/// with its status, message, display and accounting, exactly as `wablock_client_block` would
/// have reported it. NULL for any other error. Borrowed from `error`: valid as long as it is;
/// never free it.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_error_block_error(
    error: *const wablock_error,
) -> *const wablock_error {
    // SAFETY: per the contract above.
    unsafe {
        with(error, std::ptr::null(), |e| {
            e.block
                .as_deref()
                .map_or(std::ptr::null(), |b| b as *const wablock_error)
        })
    }
}
