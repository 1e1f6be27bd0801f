//! # libwablock: the C ABI of wablock
//!
//! This crate builds `libwablock.so` and `libwablock.a`; `include/wablock.h` is generated from
//! it by cbindgen (`make c-header`). It converts types and nothing else: every behaviour,
//! message and JSON shape comes from the `wablock` core.
//!
//! Conventions (docs/behaviour.md §4, §6), the same for every function:
//! - A fallible function returns a [`wablock_status`], the docs/behaviour.md §3.2 code of the error kind
//!   (`WABLOCK_OK` = 0 on success). Its out-params are written only on success. Its last
//!   parameter `wablock_error **err_out` may be NULL; when it is not, `*err_out` receives a new
//!   error object on failure (free it with `wablock_error_free`) and is left untouched on
//!   success.
//! - Strings passed in are `wablock_str` (pointer and length), so a NUL byte is data and no
//!   length is guessed. NULL where a value is required, and strings that are not UTF-8, give
//!   `WABLOCK_INVALID_ARGUMENT`, never a crash; the core words every such error.
//! - No value is a sentinel: an optional number comes with a `has_…` flag, an optional string
//!   as a pointer that may be NULL, and a setting is removed by its own `…_clear_…` function.
//! - Every export runs inside a panic boundary: a panic becomes `WABLOCK_INTERNAL`, worded by
//!   the core (`Error::from_panic`).
//! - Every object Rust allocates is freed by its NULL-safe `wablock_*_free`; every `char *`
//!   returned is freed by `wablock_string_free`. A `const char *` is borrowed from the object it
//!   came from and lives as long as that object.
//! - A `wablock_client`, and a `wablock_window` once configured, may be used from many threads
//!   at once. Outcomes, errors, pages and the window's results are immutable and may be read
//!   from many threads. A `wablock_config` and a `wablock_blocked_users` iterator are used by
//!   one thread at a time.

#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use wablock::{Error, ErrorKind, boundary};

mod cancel;
mod client;
mod config;
mod error;
mod fleet;
mod outcome;
mod page;
mod window;

pub use cancel::*;
pub use client::*;
pub use config::*;
pub use error::*;
pub use fleet::*;
pub use outcome::*;
pub use page::*;
pub use window::*;

/// The status every fallible function returns: `WABLOCK_OK`, or the docs/behaviour.md §3.2 code of the
/// error kind. The numbers never change meaning; new kinds get new numbers.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wablock_status {
    /// Success.
    WABLOCK_OK = 0,
    /// A caller error found before any request: empty list, bad config, NULL, bad UTF-8.
    WABLOCK_INVALID_ARGUMENT = 1,
    /// The token or API key was refused.
    WABLOCK_AUTH = 2,
    /// Throttled, and still throttled when the retry budget ran out.
    WABLOCK_RATE_LIMITED = 3,
    /// The blocklist is full (139101 as a whole-request error).
    WABLOCK_BLOCKLIST_FULL = 4,
    /// The blocklist kept changing while it was listed (139102, restart budget spent).
    WABLOCK_CONCURRENT_UPDATE = 5,
    /// Meta's side failed, and kept failing through the retries.
    WABLOCK_SERVER = 6,
    /// Any other API error code.
    WABLOCK_REJECTED = 7,
    /// DNS, connect, reset or TLS failure.
    WABLOCK_NETWORK = 8,
    /// The connect, read or overall deadline passed.
    WABLOCK_TIMEOUT = 9,
    /// A response that cannot be interpreted.
    WABLOCK_PROTOCOL = 10,
    /// A bug: a panic caught at the C boundary.
    WABLOCK_INTERNAL = 11,
    /// The caller stopped the call: its progress callback asked to, or its `wablock_cancel`
    /// handle was triggered.
    WABLOCK_CANCELLED = 12,
    /// A webhook's `X-Hub-Signature-256` is missing, unreadable or does not match the app
    /// secret (`wablock_window_ingest`); nothing of the payload was recorded.
    WABLOCK_SIGNATURE = 13,
    /// A webhook body is not a WhatsApp Business webhook payload (`wablock_window_ingest`);
    /// nothing of it was recorded.
    WABLOCK_MALFORMED = 14,
    /// The window's store (SQLite or PostgreSQL) failed; the message says which operation.
    WABLOCK_STORE = 15,
}

impl wablock_status {
    /// The status of an error kind: the kind's fixed code.
    pub(crate) fn from_kind(kind: ErrorKind) -> wablock_status {
        use wablock_status::*;
        const BY_CODE: [wablock_status; 13] = [
            WABLOCK_OK,
            WABLOCK_INVALID_ARGUMENT,
            WABLOCK_AUTH,
            WABLOCK_RATE_LIMITED,
            WABLOCK_BLOCKLIST_FULL,
            WABLOCK_CONCURRENT_UPDATE,
            WABLOCK_SERVER,
            WABLOCK_REJECTED,
            WABLOCK_NETWORK,
            WABLOCK_TIMEOUT,
            WABLOCK_PROTOCOL,
            WABLOCK_INTERNAL,
            WABLOCK_CANCELLED,
        ];
        // A kind newer than this binding (the core's enum is non-exhaustive) is reported as
        // INTERNAL rather than as a wrong kind.
        BY_CODE
            .get(kind.code() as usize)
            .copied()
            .filter(|s| *s != WABLOCK_OK)
            .unwrap_or(WABLOCK_INTERNAL)
    }

    /// The status of a window error: INVALID_ARGUMENT, SIGNATURE, MALFORMED and STORE have
    /// their own numbers; BLOCK is the status of the core's error inside it.
    pub(crate) fn from_window_kind(error: &::wablock_window::Error) -> wablock_status {
        use ::wablock_window::ErrorKind as K;
        use wablock_status::*;
        match error.kind() {
            K::InvalidArgument => WABLOCK_INVALID_ARGUMENT,
            K::Signature => WABLOCK_SIGNATURE,
            K::Malformed => WABLOCK_MALFORMED,
            K::Store => WABLOCK_STORE,
            K::Block => error
                .block_error()
                .map_or(WABLOCK_INTERNAL, |e| wablock_status::from_kind(e.kind())),
            // A kind newer than this binding.
            _ => WABLOCK_INTERNAL,
        }
    }
}

/// The window's own kinds, numbered after the core's (13, 14, 15).
const WINDOW_STATUS_KINDS: [::wablock_window::ErrorKind; 3] = [
    ::wablock_window::ErrorKind::Signature,
    ::wablock_window::ErrorKind::Malformed,
    ::wablock_window::ErrorKind::Store,
];

/// Major version of this library (SemVer).
pub const WABLOCK_VERSION_MAJOR: u32 = 0;
/// Minor version of this library.
pub const WABLOCK_VERSION_MINOR: u32 = 1;
/// Patch version of this library.
pub const WABLOCK_VERSION_PATCH: u32 = 0;
/// `MAJOR * 10000 + MINOR * 100 + PATCH`, for `#if` comparisons.
pub const WABLOCK_VERSION_NUMBER: u32 = 100;

/// The library's version, `"MAJOR.MINOR.PATCH"`. Static: never free it.
///
/// Compare it with the `WABLOCK_VERSION_*` macros to detect a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    VERSION.as_ptr()
}

/// The library's version as `MAJOR * 10000 + MINOR * 100 + PATCH`.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_version_number() -> u32 {
    WABLOCK_VERSION_NUMBER
}

/// The canonical name of a status, e.g. `"RATE_LIMITED"` or `"SIGNATURE"`, or `"OK"` for 0;
/// NULL for a number that is no status. Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_status_name(status: i32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        if status == 0 {
            return c"OK".as_ptr();
        }
        static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
        let names = || {
            let core = ErrorKind::ALL.iter().map(|k| k.as_str());
            core.chain(WINDOW_STATUS_KINDS.iter().map(|k| k.as_str()))
                .collect()
        };
        // Kinds are numbered from 1, in ALL order, then the window's.
        usize::try_from(status)
            .ok()
            .and_then(|s| s.checked_sub(1))
            .map_or(std::ptr::null(), |i| static_cstr(&NAMES, names, i))
    })
}

/// Frees a string returned by a wablock function (a `char *`, never a `const char *`).
/// NULL is allowed and ignored.
///
/// # Safety
/// `s` is NULL or a `char *` returned by wablock and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_string_free(s: *mut c_char) {
    guard_value((), || {
        if !s.is_null() {
            // SAFETY: the caller passes a pointer from CString::into_raw, freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// The canonical JSON (docs/behaviour.md §5: keys sorted at every level, compact) of a JSON
/// document given as text, written by the core, so a program that compares results (a
/// conformance runner) never re-implements the form. Text that is not JSON is
/// `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: `text` is borrowed for the call. On success `*json_out` is owned by the caller;
/// free it with `wablock_string_free`.
///
/// # Safety
/// `text` is a valid `wablock_str`; `json_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_canonical_json(
    text: wablock_str,
    json_out: *mut *mut c_char,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, json_out, "json_out", || {
        // SAFETY: per the contract above.
        let text = unsafe { str_arg(text, "text") }?;
        Ok(owned_string(&wablock::canonical_json_text(text)?))
    })
}

// ---------------------------------------------------------------------------------- helpers

/// Entry `index` of a table of static C strings built once from the core's `&'static str`s
/// (names, hints). The table lives for the whole process (a static holds it, so leak checkers
/// see it as reachable); NULL when `index` is out of range.
pub(crate) fn static_cstr(
    table: &'static OnceLock<Vec<CString>>,
    items: impl FnOnce() -> Vec<&'static str>,
    index: usize,
) -> *const c_char {
    table
        .get_or_init(|| items().into_iter().map(to_cstring).collect())
        .get(index)
        .map_or(std::ptr::null(), |c| c.as_ptr())
}

/// A C copy of a Rust string. A NUL inside (possible only in server text) becomes U+FFFD so
/// that C never sees a truncated string.
pub(crate) fn to_cstring(s: &str) -> CString {
    CString::new(s)
        .or_else(|_| CString::new(s.replace('\0', "\u{FFFD}")))
        .unwrap_or_default()
}

pub(crate) fn opt_cstring(s: Option<&str>) -> Option<CString> {
    s.map(to_cstring)
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// A string passed in: `len` bytes at `data`, UTF-8, not NUL-terminated. A NUL byte is data
/// like any other (in a user it makes that user `WABLOCK_REASON_INVALID_USER`). `data` may be
/// NULL only when `len` is 0 (the empty string). Borrowed for the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_str {
    /// The first byte, or NULL for the empty string.
    pub data: *const c_char,
    /// The number of bytes at `data`.
    pub len: usize,
}

/// A `wablock_str` over a NUL-terminated string (its bytes before the NUL), for C callers
/// that hold one; NULL gives the empty string. The result borrows `s`.
///
/// # Safety
/// `s` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_str_from_cstr(s: *const c_char) -> wablock_str {
    guard_value(
        wablock_str {
            data: std::ptr::null(),
            len: 0,
        },
        || wablock_str {
            data: s,
            // SAFETY: non-NULL and NUL-terminated per the contract.
            len: if s.is_null() {
                0
            } else {
                unsafe { CStr::from_ptr(s) }.to_bytes().len()
            },
        },
    )
}

/// The bytes of a `wablock_str`; `None` when `data` is NULL with a non-zero `len`.
///
/// # Safety
/// `s.data` is NULL or points to `s.len` readable bytes that outlive `'a`.
pub(crate) unsafe fn str_bytes<'a>(s: wablock_str) -> Option<&'a [u8]> {
    match (s.data.is_null(), s.len) {
        (true, 0) => Some(&[]),
        (true, _) => None,
        // A length no allocation can have is treated as a bad pointer.
        (false, n) if n > isize::MAX as usize => None,
        // SAFETY: non-NULL and `len` readable bytes per the caller's contract.
        (false, n) => Some(unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), n) }),
    }
}

/// A required string argument.
///
/// # Safety
/// As [`str_bytes`].
pub(crate) unsafe fn str_arg<'a>(s: wablock_str, name: &str) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { str_bytes(s) }.ok_or_else(|| boundary::null_argument(name))?;
    std::str::from_utf8(bytes).map_err(|_| boundary::not_utf8(name))
}

/// An optional string argument: a NULL pointer means absent.
///
/// # Safety
/// `p` is NULL or points to a `wablock_str` valid as in [`str_bytes`].
pub(crate) unsafe fn opt_str_arg<'a>(
    p: *const wablock_str,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    // SAFETY: per the caller's contract.
    match unsafe { p.as_ref() } {
        None => Ok(None),
        // SAFETY: forwarded contract.
        Some(s) => unsafe { str_arg(*s, name) }.map(Some),
    }
}

/// A borrowed object argument.
///
/// # Safety
/// `p` is NULL or a live object of type `T` created by this library.
pub(crate) unsafe fn obj<'a, T>(p: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: per the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| boundary::null_argument(name))
}

/// A C copy of a caller's string that keeps every byte, NUL included: C reads it up to the
/// first NUL, and the `_len` field next to it gives the whole length.
pub(crate) struct ExactCString(Box<[u8]>);

impl ExactCString {
    pub(crate) fn new(s: &str) -> ExactCString {
        let mut bytes = Vec::with_capacity(s.len() + 1);
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
        ExactCString(bytes.into_boxed_slice())
    }
    pub(crate) fn as_ptr(&self) -> *const c_char {
        self.0.as_ptr().cast()
    }
    /// The length without the terminating NUL.
    pub(crate) fn len(&self) -> usize {
        self.0.len() - 1
    }
}

/// Writes a failure into `err_out` (when given) and returns its status.
fn fail(err_out: *mut *mut wablock_error, error: Error) -> wablock_status {
    fail_with(err_out, wablock_error::new(error))
}

/// Writes a failure's C object into `err_out` (when given) and returns its status.
pub(crate) fn fail_with(err_out: *mut *mut wablock_error, error: wablock_error) -> wablock_status {
    let status = error.status();
    if !err_out.is_null() {
        // SAFETY: err_out is non-NULL and, per every function's contract, writable.
        unsafe { *err_out = Box::into_raw(Box::new(error)) };
    }
    status
}

/// The panic boundary and out-param discipline of every fallible export: checks `out`, runs
/// `f`, writes `*out` only on success and `*err_out` only on failure.
pub(crate) fn call<T>(
    err_out: *mut *mut wablock_error,
    out: *mut T,
    out_name: &str,
    f: impl FnOnce() -> Result<T, Error>,
) -> wablock_status {
    if out.is_null() {
        return fail(err_out, boundary::null_argument(out_name));
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => {
            // SAFETY: out is non-NULL and writable per the contract.
            unsafe { out.write(value) };
            wablock_status::WABLOCK_OK
        }
        Ok(Err(error)) => fail(err_out, error),
        Err(payload) => fail(err_out, Error::from_panic(&*payload)),
    }
}

/// [`call`] for functions without an out-param (setters).
pub(crate) fn call_unit(
    err_out: *mut *mut wablock_error,
    f: impl FnOnce() -> Result<(), Error>,
) -> wablock_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => wablock_status::WABLOCK_OK,
        Ok(Err(error)) => fail(err_out, error),
        Err(payload) => fail(err_out, Error::from_panic(&*payload)),
    }
}

/// The panic boundary of infallible accessors: a panic returns `default`.
pub(crate) fn guard_value<T>(default: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// Frees a boxed object; NULL is ignored.
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` and is not used again.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    guard_value((), || {
        if !p.is_null() {
            // SAFETY: per the caller's contract.
            drop(unsafe { Box::from_raw(p) });
        }
    })
}

/// A new owned `char *` for C; freed by [`wablock_string_free`].
pub(crate) fn owned_string(s: &str) -> *mut c_char {
    to_cstring(s).into_raw()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_the_core_codes() {
        for kind in ErrorKind::ALL {
            assert_eq!(wablock_status::from_kind(kind) as u32, kind.code());
            let name = unsafe { CStr::from_ptr(wablock_status_name(kind.code() as i32)) };
            assert_eq!(name.to_str().unwrap(), kind.as_str());
        }
        for (code, kind) in [
            (13, ::wablock_window::ErrorKind::Signature),
            (14, ::wablock_window::ErrorKind::Malformed),
            (15, ::wablock_window::ErrorKind::Store),
        ] {
            let name = unsafe { CStr::from_ptr(wablock_status_name(code)) };
            assert_eq!(name.to_str().unwrap(), kind.as_str());
        }
        assert!(wablock_status_name(16).is_null());
        assert!(wablock_status_name(-1).is_null());
    }

    #[test]
    fn version_macros_follow_the_package_version() {
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
        assert_eq!(
            (
                WABLOCK_VERSION_MAJOR,
                WABLOCK_VERSION_MINOR,
                WABLOCK_VERSION_PATCH
            ),
            (major, minor, patch)
        );
        assert_eq!(WABLOCK_VERSION_NUMBER, major * 10000 + minor * 100 + patch);
        let v = unsafe { CStr::from_ptr(wablock_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
        assert_eq!(wablock_version(), wablock_version());
    }

    #[test]
    fn nul_in_server_text_is_replaced_not_truncated() {
        assert_eq!(to_cstring("a\0b").to_str().unwrap(), "a\u{FFFD}b");
    }
}
