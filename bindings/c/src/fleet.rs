//! `wablock_fleet`: one call on several phone numbers of a business (docs/fleet.md).
//!
//! Every rule (labels checked, parallelism bounded in total and adaptive per number, one entry
//! per number, the merged walk) and every message and JSON shape is the core's `wablock::Fleet`;
//! this file converts types.

use std::ffi::{CString, c_char};

use wablock::{Client, Error, Fleet, FleetBlocklist, FleetResults, Operation, Outcome, boundary};

use crate::cancel::wablock_cancel;
use crate::{
    ExactCString, call, call_unit, free_box, guard_value, obj, opt_cstring, opt_ptr, owned_string,
    str_arg, str_bytes, wablock_client, wablock_error, wablock_outcome, wablock_status,
    wablock_str,
};

/// Collects labelled clients into a fleet: one client per phone number, under the number's
/// label (its phone number ID for Meta, a name of your choosing for 360dialog). Use it from one
/// thread at a time; free it with `wablock_fleet_builder_free`.
pub struct wablock_fleet_builder {
    members: Vec<(String, Client)>,
    total_parallelism: Option<usize>,
}

/// Several phone numbers' clients under their labels. Like a client, it may be used from many
/// threads at once; free it once, after every call on it has returned. It keeps its own
/// reference to each client's connection pool, so the `wablock_client`s added may be freed
/// as soon as it is built.
pub struct wablock_fleet {
    fleet: Fleet,
}

/// One number's entry in a `wablock_fleet_results`. The pointers are borrowed from the
/// results and live as long as they do; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_fleet_entry {
    /// The number's label (NUL-terminated; see `label_len`).
    pub label: *const c_char,
    /// The length of `label` in bytes.
    pub label_len: usize,
    /// The number's own outcome when its block or unblock call completed, else NULL.
    pub outcome: *const wablock_outcome,
    /// True when the entry holds an is_blocked answer (then `is_blocked` is it).
    pub has_is_blocked: bool,
    /// The number's answer to `wablock_fleet_is_blocked`; meaningful when `has_is_blocked`.
    pub is_blocked: bool,
    /// The number's own error when its call failed as a whole (with its own accounting), else
    /// NULL.
    pub error: *const wablock_error,
}

enum Answer {
    Outcome(Box<wablock_outcome>),
    IsBlocked(bool),
    Error(Box<wablock_error>),
}

/// One entry per number of the fleet (or of the numbers chosen), in fleet order: each
/// number's own outcome or is_blocked answer, or its own error. Immutable: it may be read from
/// many threads. Free it with `wablock_fleet_results_free`.
pub struct wablock_fleet_results {
    json: String,
    entries: Vec<(ExactCString, Answer)>,
}

impl wablock_fleet_results {
    fn new<T>(
        results: FleetResults<T>,
        json: String,
        answer: impl Fn(T) -> Answer,
    ) -> *mut wablock_fleet_results {
        let entries = results
            .entries
            .into_iter()
            .map(|e| {
                let answer = match e.result {
                    Ok(value) => answer(value),
                    Err(err) => Answer::Error(Box::new(wablock_error::new(err))),
                };
                (ExactCString::new(&e.label), answer)
            })
            .collect();
        Box::into_raw(Box::new(wablock_fleet_results { json, entries }))
    }

    fn outcomes(results: FleetResults<Outcome>) -> *mut wablock_fleet_results {
        let json = results.to_canonical_json();
        Self::new(results, json, |o| {
            Answer::Outcome(Box::new(wablock_outcome::new(o)))
        })
    }

    fn answers(results: FleetResults<bool>) -> *mut wablock_fleet_results {
        let json = results.to_canonical_json();
        Self::new(results, json, Answer::IsBlocked)
    }
}

/// A user on one or more of the fleet's blocklists. The pointers are borrowed from the
/// blocklist and live as long as it does; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_fleet_blocked_user {
    /// The user's WhatsApp ID (digits), or NULL.
    pub wa_id: *const c_char,
    /// The user's business-scoped user ID, or NULL.
    pub user_id: *const c_char,
    /// The labels of the numbers that block the user, in fleet order.
    pub blocked_on: *const *const c_char,
    /// The number of labels in `blocked_on` (at least 1).
    pub blocked_on_count: usize,
}

/// A number whose walk ended in an error: its list may be incomplete. The pointers are
/// borrowed from the blocklist; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_fleet_walk_error {
    /// The number's label (NUL-terminated; see `label_len`).
    pub label: *const c_char,
    /// The length of `label` in bytes.
    pub label_len: usize,
    /// The error that ended the number's walk.
    pub error: *const wablock_error,
}

struct FleetUserC {
    wa_id: Option<CString>,
    user_id: Option<CString>,
    // Kept alive for `blocked_on`, which points into it.
    _labels: Vec<ExactCString>,
    blocked_on: Vec<*const c_char>,
}

/// The merged blocklists of a fleet: each blocked user once, with the numbers that block them,
/// and the numbers whose walk failed. Immutable: it may be read from many threads. Free it
/// with `wablock_fleet_blocklist_free`.
pub struct wablock_fleet_blocklist {
    json: String,
    users: Vec<FleetUserC>,
    errors: Vec<(ExactCString, Box<wablock_error>)>,
}

// SAFETY: the raw pointers in `blocked_on` point into strings the same object owns and never
// changes after it is built; the object is immutable and shared read-only.
unsafe impl Send for wablock_fleet_blocklist {}
// SAFETY: as above.
unsafe impl Sync for wablock_fleet_blocklist {}

impl wablock_fleet_blocklist {
    fn new(blocklist: FleetBlocklist) -> *mut wablock_fleet_blocklist {
        let json = blocklist.to_canonical_json();
        let users = blocklist
            .users
            .iter()
            .map(|u| {
                let labels: Vec<ExactCString> =
                    u.blocked_on.iter().map(|l| ExactCString::new(l)).collect();
                let blocked_on = labels.iter().map(ExactCString::as_ptr).collect();
                FleetUserC {
                    wa_id: opt_cstring(u.user.wa_id.as_deref()),
                    user_id: opt_cstring(u.user.user_id.as_deref()),
                    _labels: labels,
                    blocked_on,
                }
            })
            .collect();
        let errors = blocklist
            .errors
            .into_iter()
            .map(|(label, err)| (ExactCString::new(&label), Box::new(wablock_error::new(err))))
            .collect();
        Box::into_raw(Box::new(wablock_fleet_blocklist {
            json,
            users,
            errors,
        }))
    }
}

/// Borrows `n` users (a user that is NULL or not UTF-8 refuses the call, worded by the core).
///
/// # Safety
/// `items` is NULL or points to `n` readable `wablock_str`s, each valid as in `str_bytes`.
unsafe fn users_arg<'a>(items: *const wablock_str, n: usize) -> Result<Vec<&'a str>, Error> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(boundary::null_argument("users"));
    }
    if n > isize::MAX as usize / size_of::<wablock_str>() {
        return Err(boundary::out_of_range("n", n));
    }
    // SAFETY: non-NULL, `n` elements per the caller's contract, size checked above.
    let views = unsafe { std::slice::from_raw_parts(items, n) };
    // SAFETY: each element is valid per the contract.
    let bytes: Vec<Option<&[u8]>> = views.iter().map(|s| unsafe { str_bytes(*s) }).collect();
    boundary::users_from_bytes(&bytes)
}

/// The fleet a call runs on: every number when `labels` is NULL, else the `n_labels` numbers
/// named, in the order named (the core refuses an unknown label, and an empty choice).
///
/// # Safety
/// `fleet` is NULL or live; `labels` is NULL or points to `n_labels` valid `wablock_str`s.
unsafe fn chosen(
    fleet: *const wablock_fleet,
    labels: *const wablock_str,
    n_labels: usize,
) -> Result<Fleet, Error> {
    // SAFETY: per the caller's contract.
    let fleet = &unsafe { obj(fleet, "fleet") }?.fleet;
    if labels.is_null() {
        if n_labels != 0 {
            return Err(boundary::null_argument("labels"));
        }
        return Ok(fleet.clone());
    }
    if n_labels > isize::MAX as usize / size_of::<wablock_str>() {
        return Err(boundary::out_of_range("n_labels", n_labels));
    }
    // SAFETY: non-NULL, `n_labels` elements per the caller's contract, size checked above.
    let views = unsafe { std::slice::from_raw_parts(labels, n_labels) };
    // SAFETY: each element is valid per the contract.
    let names: Vec<&str> = views
        .iter()
        .map(|s| unsafe { str_arg(*s, "label") })
        .collect::<Result<_, _>>()?;
    fleet.select(names)
}

/// A new, empty fleet builder.
///
/// Ownership: on success `*builder_out` is owned by the caller; free it with
/// `wablock_fleet_builder_free`.
///
/// # Safety
/// `builder_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_builder_new(
    builder_out: *mut *mut wablock_fleet_builder,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, builder_out, "builder_out", || {
        Ok(Box::into_raw(Box::new(wablock_fleet_builder {
            members: Vec::new(),
            total_parallelism: None,
        })))
    })
}

/// Adds a phone number's client under `label` (checked by `wablock_fleet_builder_build`: not
/// empty, not used twice). The fleet shares the client's connection pool and settings; a
/// closed client is refused with the core's "the client is closed" error.
///
/// Ownership: `label` and `client` are borrowed for the call; the client may be freed after.
///
/// # Safety
/// `builder` is NULL or a live builder used by no other thread; `client` is NULL or live;
/// `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_builder_add(
    builder: *mut wablock_fleet_builder,
    label: wablock_str,
    client: *const wablock_client,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call_unit(err_out, || {
        // SAFETY: per the contract above.
        let b = unsafe { builder.as_mut() }.ok_or_else(|| boundary::null_argument("builder"))?;
        // SAFETY: per the contract above.
        let label = unsafe { str_arg(label, "label") }?;
        // SAFETY: per the contract above.
        let client = unsafe { obj(client, "client") }?.open()?;
        b.members.push((label.to_owned(), client));
        Ok(())
    })
}

/// Bounds the requests in flight across every number (default 16; 0 is refused when the
/// fleet is built). Each number's own parallelism still adapts to its own rate limits.
///
/// # Safety
/// `builder` is NULL or a live builder used by no other thread; `err_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_builder_set_total_parallelism(
    builder: *mut wablock_fleet_builder,
    total: usize,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call_unit(err_out, || {
        // SAFETY: per the contract above.
        let b = unsafe { builder.as_mut() }.ok_or_else(|| boundary::null_argument("builder"))?;
        b.total_parallelism = Some(total);
        Ok(())
    })
}

/// Builds the fleet, checking the labels (at least one, none empty, no two alike) and the
/// bound. The builder is not consumed.
///
/// Ownership: on success `*fleet_out` is owned by the caller; free it with
/// `wablock_fleet_free`.
///
/// # Safety
/// `builder` is NULL or a live builder used by no other thread; `fleet_out` and `err_out` are
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_builder_build(
    builder: *const wablock_fleet_builder,
    fleet_out: *mut *mut wablock_fleet,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, fleet_out, "fleet_out", || {
        // SAFETY: per the contract above.
        let b = unsafe { obj(builder, "builder") }?;
        let mut fb = Fleet::builder();
        for (label, client) in &b.members {
            fb = fb.number(label.clone(), client.clone());
        }
        if let Some(total) = b.total_parallelism {
            fb = fb.total_parallelism(total);
        }
        Ok(Box::into_raw(Box::new(wablock_fleet {
            fleet: fb.build()?,
        })))
    })
}

/// Frees a fleet builder. NULL is allowed and ignored.
///
/// # Safety
/// `builder` is NULL or a builder from `wablock_fleet_builder_new`, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_builder_free(builder: *mut wablock_fleet_builder) {
    // SAFETY: per the contract above.
    unsafe { free_box(builder) }
}

/// A copy of `fleet` whose every call observes `cancel` (as `wablock_client_with_cancel` does
/// for one client): once it is triggered, no number sends a new request, and each number's
/// entry ends as `WABLOCK_CANCELLED` with its own accounting (or its finished outcome).
/// `fleet` itself is unaffected.
///
/// Ownership: both arguments are borrowed. On success `*fleet_out` receives a new fleet, owned
/// by the caller (free with `wablock_fleet_free`).
///
/// # Safety
/// `fleet` and `cancel` are NULL or live handles; `fleet_out` and `err_out` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_with_cancel(
    fleet: *const wablock_fleet,
    cancel: *const wablock_cancel,
    fleet_out: *mut *mut wablock_fleet,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, fleet_out, "fleet_out", || {
        // SAFETY: per the contract above.
        let fleet = unsafe { obj(fleet, "fleet") }?;
        // SAFETY: per the contract above.
        let cancel = unsafe { obj(cancel, "cancel") }?;
        Ok(Box::into_raw(Box::new(wablock_fleet {
            fleet: fleet.fleet.with_cancel(cancel.token.clone()),
        })))
    })
}

/// Frees a fleet. NULL is allowed and ignored. Results obtained from it stay valid.
///
/// # Safety
/// `fleet` is NULL or a fleet from `wablock_fleet_builder_build` that no thread uses any more.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_free(fleet: *mut wablock_fleet) {
    // SAFETY: per the contract above.
    unsafe { free_box(fleet) }
}

/// # Safety
/// As [`wablock_fleet_block`].
#[allow(clippy::too_many_arguments)]
unsafe fn fleet_mutate(
    operation: Operation,
    fleet: *const wablock_fleet,
    users: *const wablock_str,
    n: usize,
    labels: *const wablock_str,
    n_labels: usize,
    results_out: *mut *mut wablock_fleet_results,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, results_out, "results_out", || {
        // SAFETY: per the caller's contract.
        let fleet = unsafe { chosen(fleet, labels, n_labels) }?;
        // SAFETY: per the caller's contract.
        let users = unsafe { users_arg(users, n) }?;
        let results = fleet.mutate(operation, &users);
        Ok(wablock_fleet_results::outcomes(results))
    })
}

/// Blocks `n` users on every number of the fleet, or on the `n_labels` numbers named in
/// `labels` (NULL: every number). Numbers run in parallel. The call itself fails only for a
/// bad argument (NULL, a user that is not UTF-8, an unknown label); otherwise `*results_out`
/// holds one entry per number: its own outcome, accounting for every input, or its own error
/// (with its own `not_attempted`). One number failing never hides the others.
///
/// Ownership: `users` and `labels` are borrowed for the call. On success `*results_out` is
/// owned by the caller; free it with `wablock_fleet_results_free`.
///
/// # Safety
/// `fleet` is NULL or live; `users` points to `n` valid `wablock_str`s (NULL when `n` is 0);
/// `labels` is NULL or points to `n_labels` valid `wablock_str`s; `results_out` and `err_out`
/// are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_block(
    fleet: *const wablock_fleet,
    users: *const wablock_str,
    n: usize,
    labels: *const wablock_str,
    n_labels: usize,
    results_out: *mut *mut wablock_fleet_results,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: forwarded contract.
    unsafe {
        fleet_mutate(
            Operation::Block,
            fleet,
            users,
            n,
            labels,
            n_labels,
            results_out,
            err_out,
        )
    }
}

/// Unblocks `n` users on every number of the fleet, or on the numbers named; as
/// `wablock_fleet_block`.
///
/// # Safety
/// As `wablock_fleet_block`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_unblock(
    fleet: *const wablock_fleet,
    users: *const wablock_str,
    n: usize,
    labels: *const wablock_str,
    n_labels: usize,
    results_out: *mut *mut wablock_fleet_results,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    // SAFETY: forwarded contract.
    unsafe {
        fleet_mutate(
            Operation::Unblock,
            fleet,
            users,
            n,
            labels,
            n_labels,
            results_out,
            err_out,
        )
    }
}

/// Whether `user` is on each number's blocklist (every number, or the numbers named). Each
/// entry holds the number's answer (`has_is_blocked`) or its own error.
///
/// Ownership: `user` and `labels` are borrowed for the call. On success `*results_out` is
/// owned by the caller; free it with `wablock_fleet_results_free`.
///
/// # Safety
/// `fleet` is NULL or live; `user` is a valid `wablock_str`; `labels` is NULL or points to
/// `n_labels` valid `wablock_str`s; `results_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_is_blocked(
    fleet: *const wablock_fleet,
    user: wablock_str,
    labels: *const wablock_str,
    n_labels: usize,
    results_out: *mut *mut wablock_fleet_results,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, results_out, "results_out", || {
        // SAFETY: per the contract above.
        let fleet = unsafe { chosen(fleet, labels, n_labels) }?;
        // SAFETY: per the contract above.
        let user = unsafe { str_arg(user, "user") }?;
        Ok(wablock_fleet_results::answers(fleet.is_blocked(user)))
    })
}

/// Walks every number's blocklist (or the numbers named) and merges them: each user once,
/// with the labels of the numbers that block them. `page_size` applies when `has_page_size`.
/// A number whose walk failed keeps the users it yielded, and its error is listed.
///
/// Ownership: `labels` is borrowed for the call. On success `*blocklist_out` is owned by the
/// caller; free it with `wablock_fleet_blocklist_free`.
///
/// # Safety
/// `fleet` is NULL or live; `labels` is NULL or points to `n_labels` valid `wablock_str`s;
/// `blocklist_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocked_users(
    fleet: *const wablock_fleet,
    has_page_size: bool,
    page_size: i64,
    labels: *const wablock_str,
    n_labels: usize,
    blocklist_out: *mut *mut wablock_fleet_blocklist,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, blocklist_out, "blocklist_out", || {
        // SAFETY: per the contract above.
        let fleet = unsafe { chosen(fleet, labels, n_labels) }?;
        let page_size = if has_page_size {
            Some(boundary::count::<u32>("page_size", page_size)?)
        } else {
            None
        };
        Ok(wablock_fleet_blocklist::new(fleet.blocked_users(page_size)))
    })
}

/// The number of entries (one per number the call ran on); 0 when `results` is NULL.
///
/// # Safety
/// `results` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_results_count(
    results: *const wablock_fleet_results,
) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { results.as_ref() }.map_or(0, |r| r.entries.len())
    })
}

/// Reads entry `index` (0-based, fleet order, below `wablock_fleet_results_count`) into
/// `*entry_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the pointers written are borrowed from `results` and live as long as it does.
///
/// # Safety
/// `results` is NULL or live; `entry_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_results_get(
    results: *const wablock_fleet_results,
    index: usize,
    entry_out: *mut wablock_fleet_entry,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, entry_out, "entry_out", || {
        // SAFETY: per the contract above.
        let r = unsafe { obj(results, "results") }?;
        let (label, answer) = r.entries.get(index).ok_or_else(|| {
            boundary::index_out_of_range(index, "fleet results", r.entries.len(), "numbers")
        })?;
        let mut entry = wablock_fleet_entry {
            label: label.as_ptr(),
            label_len: label.len(),
            outcome: std::ptr::null(),
            has_is_blocked: false,
            is_blocked: false,
            error: std::ptr::null(),
        };
        match answer {
            Answer::Outcome(o) => entry.outcome = &**o,
            Answer::IsBlocked(b) => {
                entry.has_is_blocked = true;
                entry.is_blocked = *b;
            }
            Answer::Error(e) => entry.error = &**e,
        }
        Ok(entry)
    })
}

/// The results as canonical JSON, written by the core: `{"fleet":{"<label>":{"outcome":…}}}`
/// (or `{"is_blocked":…}`, or `{"error":…}` per number), keys sorted, compact.
///
/// Ownership: the returned string is owned by the caller; free it with `wablock_string_free`.
/// NULL when `results` is NULL.
///
/// # Safety
/// `results` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_results_to_json(
    results: *const wablock_fleet_results,
) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { results.as_ref() }.map_or(std::ptr::null_mut(), |r| owned_string(&r.json))
    })
}

/// Frees fleet results (and the outcomes and errors borrowed from them). NULL is ignored.
///
/// # Safety
/// `results` is NULL or results from a fleet call, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_results_free(results: *mut wablock_fleet_results) {
    // SAFETY: per the contract above.
    unsafe { free_box(results) }
}

/// The number of distinct blocked users; 0 when `blocklist` is NULL.
///
/// # Safety
/// `blocklist` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_user_count(
    blocklist: *const wablock_fleet_blocklist,
) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { blocklist.as_ref() }.map_or(0, |b| b.users.len())
    })
}

/// Reads user `index` (0-based, in the order first seen: fleet order, then list order) into
/// `*user_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the pointers written are borrowed from `blocklist`.
///
/// # Safety
/// `blocklist` is NULL or live; `user_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_user_get(
    blocklist: *const wablock_fleet_blocklist,
    index: usize,
    user_out: *mut wablock_fleet_blocked_user,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, user_out, "user_out", || {
        // SAFETY: per the contract above.
        let b = unsafe { obj(blocklist, "blocklist") }?;
        let u = b.users.get(index).ok_or_else(|| {
            boundary::index_out_of_range(index, "fleet blocklist", b.users.len(), "users")
        })?;
        Ok(wablock_fleet_blocked_user {
            wa_id: opt_ptr(&u.wa_id),
            user_id: opt_ptr(&u.user_id),
            blocked_on: u.blocked_on.as_ptr(),
            blocked_on_count: u.blocked_on.len(),
        })
    })
}

/// The number of numbers whose walk ended in an error; 0 when `blocklist` is NULL.
///
/// # Safety
/// `blocklist` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_error_count(
    blocklist: *const wablock_fleet_blocklist,
) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || {
        unsafe { blocklist.as_ref() }.map_or(0, |b| b.errors.len())
    })
}

/// Reads failed walk `index` (fleet order, below `wablock_fleet_blocklist_error_count`) into
/// `*error_out`. An index out of range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the pointers written are borrowed from `blocklist`.
///
/// # Safety
/// `blocklist` is NULL or live; `error_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_error_get(
    blocklist: *const wablock_fleet_blocklist,
    index: usize,
    error_out: *mut wablock_fleet_walk_error,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, error_out, "error_out", || {
        // SAFETY: per the contract above.
        let b = unsafe { obj(blocklist, "blocklist") }?;
        let (label, error) = b.errors.get(index).ok_or_else(|| {
            boundary::index_out_of_range(index, "fleet blocklist", b.errors.len(), "errors")
        })?;
        Ok(wablock_fleet_walk_error {
            label: label.as_ptr(),
            label_len: label.len(),
            error: &**error,
        })
    })
}

/// The merged blocklists as canonical JSON, written by the core:
/// `{"fleet_blocked_users":{"errors":{…},"users":[{"blocked_on":[…],"user_id":…,"wa_id":…}…]}}`.
///
/// Ownership: the returned string is owned by the caller; free it with `wablock_string_free`.
/// NULL when `blocklist` is NULL.
///
/// # Safety
/// `blocklist` is NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_to_json(
    blocklist: *const wablock_fleet_blocklist,
) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { blocklist.as_ref() }.map_or(std::ptr::null_mut(), |b| owned_string(&b.json))
    })
}

/// Frees a fleet blocklist. NULL is allowed and ignored.
///
/// # Safety
/// `blocklist` is NULL or a blocklist from `wablock_fleet_blocked_users`, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_fleet_blocklist_free(blocklist: *mut wablock_fleet_blocklist) {
    // SAFETY: per the contract above.
    unsafe { free_box(blocklist) }
}
