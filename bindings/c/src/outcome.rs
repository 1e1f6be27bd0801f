//! `wablock_outcome`: what happened to each user of a block or unblock call.

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use wablock::{Operation, Outcome, Reason};

use crate::{
    call, free_box, guard_value, invalid, obj, opt_cstring, opt_ptr, owned_string, static_cstr,
    to_cstring, wablock_error, wablock_operation, wablock_status,
};

/// Why one user was not blocked or unblocked. The numbering follows `wablock::Reason::ALL`
/// and never changes meaning.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wablock_reason {
    /// 131047: the user has not messaged this number in 24 hours, or is not a WhatsApp user.
    WABLOCK_REASON_REENGAGEMENT_REQUIRED = 0,
    /// 131021: a number cannot block itself.
    WABLOCK_REASON_SELF_BLOCK = 1,
    /// 139101: the blocklist holds 64,000 users already.
    WABLOCK_REASON_BLOCKLIST_FULL = 2,
    /// 130429: throttled until the retry budget ran out.
    WABLOCK_REASON_RATE_LIMITED = 3,
    /// 139103: Meta's internal error until the retry budget ran out.
    WABLOCK_REASON_SERVER = 4,
    /// Not a phone number, WA ID or BSUID; never sent.
    WABLOCK_REASON_INVALID_USER = 5,
    /// The server's answer did not mention this user; its state is unknown.
    WABLOCK_REASON_UNCONFIRMED = 6,
    /// Any other per-user error code; the message says why.
    WABLOCK_REASON_OTHER = 7,
}

impl wablock_reason {
    const ALL: [wablock_reason; 8] = [
        wablock_reason::WABLOCK_REASON_REENGAGEMENT_REQUIRED,
        wablock_reason::WABLOCK_REASON_SELF_BLOCK,
        wablock_reason::WABLOCK_REASON_BLOCKLIST_FULL,
        wablock_reason::WABLOCK_REASON_RATE_LIMITED,
        wablock_reason::WABLOCK_REASON_SERVER,
        wablock_reason::WABLOCK_REASON_INVALID_USER,
        wablock_reason::WABLOCK_REASON_UNCONFIRMED,
        wablock_reason::WABLOCK_REASON_OTHER,
    ];

    fn from_core(reason: Reason) -> wablock_reason {
        Reason::ALL
            .iter()
            .position(|r| *r == reason)
            .and_then(|i| Self::ALL.get(i).copied())
            .unwrap_or(wablock_reason::WABLOCK_REASON_OTHER)
    }
}

/// A user the server confirmed. The strings are borrowed from the outcome and live as long as
/// it does; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_success {
    /// The caller's string, exactly as passed.
    pub input: *const c_char,
    /// What was sent for it after normalisation.
    pub sent: *const c_char,
    /// The WhatsApp ID the server reported, or NULL.
    pub wa_id: *const c_char,
    /// The business-scoped user ID the server reported, or NULL.
    pub user_id: *const c_char,
}

/// A user that was not blocked (or unblocked), and why. The strings are borrowed from the
/// outcome and live as long as it does; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_failure {
    /// The caller's string, exactly as passed.
    pub input: *const c_char,
    /// What was sent for it, or NULL when it was never sent (`WABLOCK_REASON_INVALID_USER`).
    pub sent: *const c_char,
    /// The WhatsApp ID the server reported, or NULL.
    pub wa_id: *const c_char,
    /// The business-scoped user ID the server reported, or NULL.
    pub user_id: *const c_char,
    /// The classified reason.
    pub reason: wablock_reason,
    /// True when the server gave an error code (then in `code`).
    pub has_code: bool,
    /// The server's error code; 0 when `has_code` is false.
    pub code: i64,
    /// The server's message, or wablock's for client-side reasons. Never NULL.
    pub message: *const c_char,
    /// The server's `error_data.details`, or NULL.
    pub details: *const c_char,
    /// One plain-language sentence a support agent can show a person. Never NULL.
    pub hint: *const c_char,
}

struct SuccessC {
    input: CString,
    sent: CString,
    wa_id: Option<CString>,
    user_id: Option<CString>,
}

struct FailureC {
    input: CString,
    sent: Option<CString>,
    wa_id: Option<CString>,
    user_id: Option<CString>,
    message: CString,
    details: Option<CString>,
    hint: CString,
}

/// The result of a block or unblock call that completed: every input appears exactly once,
/// as succeeded or failed, each list in the caller's input order. Immutable: it may be read
/// from many threads at once. Free it with `wablock_outcome_free` (unless it is borrowed from
/// an error by `wablock_error_partial`).
pub struct wablock_outcome {
    pub(crate) outcome: Outcome,
    succeeded: Vec<SuccessC>,
    failed: Vec<FailureC>,
}

impl wablock_outcome {
    /// The C view of an outcome: every string copied once, NUL-terminated.
    pub(crate) fn new(outcome: Outcome) -> wablock_outcome {
        let succeeded = outcome
            .succeeded
            .iter()
            .map(|s| SuccessC {
                input: to_cstring(&s.input),
                sent: to_cstring(&s.sent),
                wa_id: opt_cstring(s.wa_id.as_deref()),
                user_id: opt_cstring(s.user_id.as_deref()),
            })
            .collect();
        let failed = outcome
            .failed
            .iter()
            .map(|f| FailureC {
                input: to_cstring(&f.input),
                sent: opt_cstring(f.sent.as_deref()),
                wa_id: opt_cstring(f.wa_id.as_deref()),
                user_id: opt_cstring(f.user_id.as_deref()),
                message: to_cstring(&f.message),
                details: opt_cstring(f.details.as_deref()),
                hint: to_cstring(&f.hint),
            })
            .collect();
        wablock_outcome {
            outcome,
            succeeded,
            failed,
        }
    }
}

/// Frees an outcome. NULL is allowed and ignored. Never free the outcome borrowed from an
/// error by `wablock_error_partial`.
///
/// # Safety
/// `outcome` is NULL or an outcome returned by a block/unblock call, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_free(outcome: *mut wablock_outcome) {
    // SAFETY: per the contract above.
    unsafe { free_box(outcome) }
}

/// Block or unblock. `WABLOCK_OPERATION_BLOCK` when `outcome` is NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_operation(
    outcome: *const wablock_outcome,
) -> wablock_operation {
    guard_value(wablock_operation::WABLOCK_OPERATION_BLOCK, || {
        // SAFETY: per the contract above.
        match unsafe { outcome.as_ref() }.map(|o| o.outcome.operation) {
            Some(Operation::Unblock) => wablock_operation::WABLOCK_OPERATION_UNBLOCK,
            _ => wablock_operation::WABLOCK_OPERATION_BLOCK,
        }
    })
}

/// Number of inputs the server confirmed; 0 when `outcome` is NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_succeeded_count(outcome: *const wablock_outcome) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { outcome.as_ref() }.map_or(0, |o| o.succeeded.len())
    })
}

/// Number of inputs that failed; 0 when `outcome` is NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_failed_count(outcome: *const wablock_outcome) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { outcome.as_ref() }.map_or(0, |o| o.failed.len())
    })
}

/// HTTP requests made, retries included; 0 when `outcome` is NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_requests(outcome: *const wablock_outcome) -> u32 {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { outcome.as_ref() }.map_or(0, |o| o.outcome.requests)
    })
}

/// Reads succeeded user `index` (0-based, below `wablock_outcome_succeeded_count`) into
/// `*success_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the strings written are borrowed from `outcome` and live as long as it does.
///
/// # Safety
/// `outcome` is NULL or a live outcome; `success_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_succeeded_get(
    outcome: *const wablock_outcome,
    index: usize,
    success_out: *mut wablock_success,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, success_out, "success_out", || {
        // SAFETY: per the contract above.
        let o = unsafe { obj(outcome, "outcome") }?;
        let s = o.succeeded.get(index).ok_or_else(|| {
            invalid(format!(
                "index {index} is out of range: the outcome has {} succeeded users",
                o.succeeded.len()
            ))
        })?;
        Ok(wablock_success {
            input: s.input.as_ptr(),
            sent: s.sent.as_ptr(),
            wa_id: opt_ptr(&s.wa_id),
            user_id: opt_ptr(&s.user_id),
        })
    })
}

/// Reads failed user `index` (0-based, below `wablock_outcome_failed_count`) into
/// `*failure_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the strings written are borrowed from `outcome` and live as long as it does.
///
/// # Safety
/// `outcome` is NULL or a live outcome; `failure_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_failed_get(
    outcome: *const wablock_outcome,
    index: usize,
    failure_out: *mut wablock_failure,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, failure_out, "failure_out", || {
        // SAFETY: per the contract above.
        let o = unsafe { obj(outcome, "outcome") }?;
        let (f, c) = o
            .outcome
            .failed
            .get(index)
            .zip(o.failed.get(index))
            .ok_or_else(|| {
                invalid(format!(
                    "index {index} is out of range: the outcome has {} failed users",
                    o.failed.len()
                ))
            })?;
        Ok(wablock_failure {
            input: c.input.as_ptr(),
            sent: opt_ptr(&c.sent),
            wa_id: opt_ptr(&c.wa_id),
            user_id: opt_ptr(&c.user_id),
            reason: wablock_reason::from_core(f.reason),
            has_code: f.code.is_some(),
            code: f.code.unwrap_or(0),
            message: c.message.as_ptr(),
            details: opt_ptr(&c.details),
            hint: c.hint.as_ptr(),
        })
    })
}

/// The outcome as canonical JSON (docs/behaviour.md §5): `{"outcome":{…}}`, keys sorted, compact.
///
/// Ownership: the returned string is owned by the caller; free it with
/// `wablock_string_free`. NULL when `outcome` is NULL.
///
/// # Safety
/// `outcome` is NULL or a live outcome.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_outcome_to_json(outcome: *const wablock_outcome) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { outcome.as_ref() }.map_or(std::ptr::null_mut(), |o| {
            owned_string(&o.outcome.to_canonical_json())
        })
    })
}

/// The canonical name of a reason, e.g. `"SELF_BLOCK"`; NULL for a number that is no reason.
/// Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_reason_name(reason: i32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
        let names = || Reason::ALL.iter().map(|r| r.as_str()).collect();
        usize::try_from(reason).map_or(std::ptr::null(), |i| static_cstr(&NAMES, names, i))
    })
}

/// The plain-language hint of a reason (the same sentence every language shows); NULL for a
/// number that is no reason. Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn wablock_reason_hint(reason: i32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        static HINTS: OnceLock<Vec<CString>> = OnceLock::new();
        let hints = || Reason::ALL.iter().map(|r| r.hint()).collect();
        usize::try_from(reason).map_or(std::ptr::null(), |i| static_cstr(&HINTS, hints, i))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn reason_numbers_follow_reason_all() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(wablock_reason::from_core(*r) as usize, i);
            let name = unsafe { CStr::from_ptr(wablock_reason_name(i as i32)) };
            assert_eq!(name.to_str().unwrap(), r.as_str());
            let hint = unsafe { CStr::from_ptr(wablock_reason_hint(i as i32)) };
            assert_eq!(hint.to_str().unwrap(), r.hint());
        }
        assert!(wablock_reason_name(8).is_null());
        assert!(wablock_reason_hint(-1).is_null());
    }
}
