//! `wablock_page` and the `wablock_blocked_users` iterator.

use std::ffi::{CString, c_char};

use wablock::{BlockedUser, BlockedUsers, Page, boundary};

use crate::{
    call, free_box, guard_value, obj, opt_cstring, opt_ptr, owned_string, wablock_error,
    wablock_status,
};

/// A blocked user: a WA ID, a BSUID, or both (never neither). The strings are borrowed from
/// the page or iterator they came from; never free them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wablock_blocked_user {
    /// The user's WhatsApp ID (digits), or NULL.
    pub wa_id: *const c_char,
    /// The user's business-scoped user ID, or NULL.
    pub user_id: *const c_char,
}

struct UserC {
    wa_id: Option<CString>,
    user_id: Option<CString>,
}

impl UserC {
    fn new(user: &BlockedUser) -> UserC {
        UserC {
            wa_id: opt_cstring(user.wa_id.as_deref()),
            user_id: opt_cstring(user.user_id.as_deref()),
        }
    }

    fn view(&self) -> wablock_blocked_user {
        wablock_blocked_user {
            wa_id: opt_ptr(&self.wa_id),
            user_id: opt_ptr(&self.user_id),
        }
    }
}

/// One page of the blocklist. Immutable: it may be read from many threads. Free it with
/// `wablock_page_free`.
pub struct wablock_page {
    page: Page,
    users: Vec<UserC>,
    after: Option<CString>,
    before: Option<CString>,
}

impl wablock_page {
    pub(crate) fn new(page: Page) -> wablock_page {
        wablock_page {
            users: page.users.iter().map(UserC::new).collect(),
            after: opt_cstring(page.after.as_deref()),
            before: opt_cstring(page.before.as_deref()),
            page,
        }
    }
}

/// Frees a page. NULL is allowed and ignored.
///
/// # Safety
/// `page` is NULL or a page from `wablock_client_list_page`, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_free(page: *mut wablock_page) {
    // SAFETY: per the contract above.
    unsafe { free_box(page) }
}

/// Number of users on the page; 0 when `page` is NULL.
///
/// # Safety
/// `page` is NULL or a live page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_count(page: *const wablock_page) -> usize {
    // SAFETY: per the contract above.
    guard_value(0, || unsafe { page.as_ref() }.map_or(0, |p| p.users.len()))
}

/// Reads user `index` (0-based, below `wablock_page_count`) into `*user_out`. An index out of
/// range is `WABLOCK_INVALID_ARGUMENT`.
///
/// Ownership: the strings written are borrowed from `page` and live as long as it does.
///
/// # Safety
/// `page` is NULL or a live page; `user_out` and `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_user_get(
    page: *const wablock_page,
    index: usize,
    user_out: *mut wablock_blocked_user,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, user_out, "user_out", || {
        // SAFETY: per the contract above.
        let p = unsafe { obj(page, "page") }?;
        p.users
            .get(index)
            .map(UserC::view)
            .ok_or_else(|| boundary::index_out_of_range(index, "page", p.users.len(), "users"))
    })
}

/// The cursor for the next page, or NULL. Borrowed from `page` and valid as long as it is.
///
/// # Safety
/// `page` is NULL or a live page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_after(page: *const wablock_page) -> *const c_char {
    // SAFETY: per the contract above.
    guard_value(std::ptr::null(), || {
        unsafe { page.as_ref() }.map_or(std::ptr::null(), |p| opt_ptr(&p.after))
    })
}

/// The cursor for the previous page, or NULL. Borrowed from `page` and valid as long as it is.
///
/// # Safety
/// `page` is NULL or a live page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_before(page: *const wablock_page) -> *const c_char {
    // SAFETY: per the contract above.
    guard_value(std::ptr::null(), || {
        unsafe { page.as_ref() }.map_or(std::ptr::null(), |p| opt_ptr(&p.before))
    })
}

/// Whether another page follows; false when `page` is NULL.
///
/// # Safety
/// `page` is NULL or a live page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_has_more(page: *const wablock_page) -> bool {
    // SAFETY: per the contract above.
    guard_value(false, || {
        unsafe { page.as_ref() }.is_some_and(|p| p.page.has_more)
    })
}

/// The page as canonical JSON (docs/behaviour.md §5): `{"page":{…}}`, keys sorted, compact.
///
/// Ownership: the returned string is owned by the caller; free it with
/// `wablock_string_free`. NULL when `page` is NULL.
///
/// # Safety
/// `page` is NULL or a live page.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_page_to_json(page: *const wablock_page) -> *mut c_char {
    guard_value(std::ptr::null_mut(), || {
        // SAFETY: per the contract above.
        unsafe { page.as_ref() }.map_or(std::ptr::null_mut(), |p| {
            owned_string(&p.page.to_canonical_json())
        })
    })
}

/// A lazy walk over every blocked user, from `wablock_client_blocked_users`. It yields each
/// user once and survives the list changing underneath it (up to the restart budget). Use it
/// from one thread at a time; free it with `wablock_blocked_users_free`.
pub struct wablock_blocked_users {
    iter: BlockedUsers,
    current: Option<UserC>,
}

impl wablock_blocked_users {
    pub(crate) fn new(iter: BlockedUsers) -> wablock_blocked_users {
        wablock_blocked_users {
            iter,
            current: None,
        }
    }
}

/// Advances the iterator. On `WABLOCK_OK`, `*has_user_out` says whether a user was yielded;
/// when true, `*user_out` holds it. When false the walk is over (every later call says the
/// same). A failure (for example `WABLOCK_CONCURRENT_UPDATE` after the restart budget, or a
/// network error) also ends the walk.
///
/// Ownership: the strings written to `*user_out` are borrowed from `iter` and valid until the
/// next call on it or its free.
///
/// # Safety
/// `iter` is NULL or a live iterator used by no other thread; `user_out`, `has_user_out` and
/// `err_out` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_blocked_users_next(
    iter: *mut wablock_blocked_users,
    user_out: *mut wablock_blocked_user,
    has_user_out: *mut bool,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    if user_out.is_null() {
        return call(err_out, has_user_out, "user_out", || {
            Err(boundary::null_argument("user_out"))
        });
    }
    call(err_out, has_user_out, "has_user_out", || {
        // SAFETY: per the contract above.
        let it = unsafe { iter.as_mut() }.ok_or_else(|| boundary::null_argument("iter"))?;
        it.current = None;
        match it.iter.next() {
            None => Ok(false),
            Some(Err(e)) => Err(e),
            Some(Ok(user)) => {
                let current = UserC::new(&user);
                // SAFETY: user_out is non-NULL (checked above) and writable per the contract.
                unsafe { user_out.write(current.view()) };
                it.current = Some(current);
                Ok(true)
            }
        }
    })
}

/// Runs the rest of the walk and writes its canonical JSON to `*json_out`:
/// `{"blocked_users":{"error":null,"users":[…]}}`, or, when an error ended the walk, the users
/// yielded before it and `"error":{…}` (the shape of the CLI's `--json` and of every language's
/// conformance result, built by the core). Users already taken with
/// `wablock_blocked_users_next` are not repeated. Only a NULL `iter` or `json_out` fails; an
/// error of the walk is part of the JSON. The walk is over afterwards.
///
/// Ownership: `*json_out` is owned by the caller; free it with `wablock_string_free`.
///
/// # Safety
/// `iter` is NULL or a live iterator used by no other thread; `json_out` and `err_out` are
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_blocked_users_collect_to_json(
    iter: *mut wablock_blocked_users,
    json_out: *mut *mut c_char,
    err_out: *mut *mut wablock_error,
) -> wablock_status {
    call(err_out, json_out, "json_out", || {
        // SAFETY: per the contract above.
        let it = unsafe { iter.as_mut() }.ok_or_else(|| boundary::null_argument("iter"))?;
        it.current = None;
        let (users, error) = it.iter.collect_until_error();
        Ok(owned_string(&wablock::blocked_users_canonical_json(
            &users,
            error.as_ref(),
        )))
    })
}

/// Frees an iterator. NULL is allowed and ignored.
///
/// # Safety
/// `iter` is NULL or an iterator from `wablock_client_blocked_users`, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wablock_blocked_users_free(iter: *mut wablock_blocked_users) {
    // SAFETY: per the contract above.
    unsafe { free_box(iter) }
}
