//! Listing the blocklist: one page, a lazy iterator over all of it, and `is_blocked`
//! (docs/behaviour.md §3.4).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use compact_str::CompactString;

use crate::client::{Client, Inner, MAX_CURSOR_BYTES, Method, Reply};
use crate::error::{Error, ErrorKind};
use crate::retry::{Attempt, RetryLoop};
use crate::users::{MAX_USERS_PER_CALL, UserId, normalize_user};
use crate::wire::{ListResponse, query_param};
use crate::yielded_ids::YieldedIds;

/// The page size sent when the caller gives none. wablock always sends a `limit`: without
/// one, the walk would depend on the server's default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Pages in a row that bring no user not yet yielded before the walk gives up with
/// `PROTOCOL`: a server handing out fresh cursors over the same users would otherwise keep
/// the walk going forever.
pub const MAX_PAGES_WITHOUT_NEW_USERS: u32 = 3;

/// The most list items a page's buffer is sized for up front (a server may send fewer).
const MAX_PAGE_HINT: u32 = 10_000;

/// Most users a blocklist holds (Meta's limit); a walk yields at most this plus one page.
const BLOCKLIST_CAPACITY: usize = MAX_USERS_PER_CALL;

/// A blocked user as the list reports it: a WA ID, a BSUID, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct BlockedUser {
    /// The user's WhatsApp ID (digits), when the list gives one.
    pub wa_id: Option<CompactString>,
    /// The user's business-scoped user ID, when the list gives one.
    pub user_id: Option<CompactString>,
}

impl BlockedUser {
    /// The identity used to yield each user once.
    pub(crate) fn key(&self) -> Option<&str> {
        self.wa_id.as_deref().or(self.user_id.as_deref())
    }

    /// True when this entry is the user `id`.
    pub fn matches(&self, id: &UserId) -> bool {
        match id {
            UserId::Phone { digits, .. } => self.wa_id.as_deref() == Some(digits.as_str()),
            UserId::Bsuid(bsuid) => self.user_id.as_deref() == Some(bsuid.as_str()),
        }
    }
}

/// One page of the blocklist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "ffi-remote-types"), non_exhaustive)]
pub struct Page {
    /// Users on this page, in the server's order.
    pub users: Vec<BlockedUser>,
    /// Cursor for the next page.
    pub after: Option<String>,
    /// Cursor for the previous page.
    pub before: Option<String>,
    /// True when the page holds users and `paging.next` was present or an `after` cursor came.
    pub has_more: bool,
}

/// A cursor the caller passed: out of bounds is the caller's mistake.
fn check_cursor(name: &str, cursor: Option<&str>) -> Result<(), Error> {
    match cursor {
        Some("") => Err(Error::invalid_argument(format!(
            "the {name} cursor is empty: omit it instead"
        ))),
        Some(c) if c.len() > MAX_CURSOR_BYTES => Err(Error::invalid_argument(format!(
            "the {name} cursor is {} bytes; cursors from the API are far shorter than the {MAX_CURSOR_BYTES}-byte limit",
            c.len()
        ))),
        _ => Ok(()),
    }
}

/// A cursor the server sent: out of bounds is the server's fault, and passing it back would
/// be refused as the caller's.
fn check_server_cursor(name: &str, cursor: Option<&str>, status: u16) -> Result<(), Error> {
    let problem = match cursor {
        Some("") => "empty".to_string(),
        Some(c) if c.len() > MAX_CURSOR_BYTES => {
            format!(
                "{} bytes long, over the {MAX_CURSOR_BYTES}-byte limit",
                c.len()
            )
        }
        _ => return Ok(()),
    };
    let mut err = Error::new(
        ErrorKind::Protocol,
        format!("the {name} cursor the server sent is {problem}; it cannot be used to read on"),
    );
    err.0.http_status = Some(status);
    Err(err)
}

/// Where a page of the blocklist starts: at the beginning, or after or before a cursor from an
/// earlier page ([`Page::after`], [`Page::before`]). One cursor at most, by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cursor<'a> {
    /// The first page.
    #[default]
    First,
    /// The page after this cursor.
    After(&'a str),
    /// The page before this cursor.
    Before(&'a str),
}

impl<'a> Cursor<'a> {
    /// The cursor of a layer that takes `after` and `before` as two optional values (a C
    /// pointer, a keyword argument): both set is `INVALID_ARGUMENT`, worded here.
    pub fn from_options(after: Option<&'a str>, before: Option<&'a str>) -> Result<Self, Error> {
        match (after, before) {
            (Some(_), Some(_)) => Err(Error::invalid_argument(
                "pass either an after cursor or a before cursor, not both",
            )),
            (Some(a), None) => Ok(Cursor::After(a)),
            (None, Some(b)) => Ok(Cursor::Before(b)),
            (None, None) => Ok(Cursor::First),
        }
    }
}

impl Client {
    /// Fetches one page: `limit` users at most ([`DEFAULT_PAGE_SIZE`] when `None`), from the
    /// start or after or before a cursor from an earlier page. A 139102 answer (the list
    /// changed since the cursor was issued) is a `CONCURRENT_UPDATE` error; restart from the
    /// first page.
    pub fn list_page(&self, limit: Option<u32>, cursor: Cursor<'_>) -> Result<Page, Error> {
        self.list_page_by(limit, cursor, self.call_deadline())
    }

    fn list_page_by(
        &self,
        limit: Option<u32>,
        cursor: Cursor<'_>,
        deadline: Option<Instant>,
    ) -> Result<Page, Error> {
        if limit == Some(0) {
            return Err(Error::invalid_argument("limit must be at least 1"));
        }
        let (after, before) = match cursor {
            Cursor::First => (None, None),
            Cursor::After(a) => (Some(a), None),
            Cursor::Before(b) => (None, Some(b)),
        };
        check_cursor("after", after)?;
        check_cursor("before", before)?;
        let limit_text = limit.unwrap_or(DEFAULT_PAGE_SIZE).to_string();
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(2);
        query.push(("limit", &limit_text));
        if let Some(a) = after {
            query.push(("after", a));
        }
        if let Some(b) = before {
            query.push(("before", b));
        }
        let inner = &self.inner;
        let retry = RetryLoop {
            policy: &inner.retry,
            clock: inner.clock.as_ref(),
            deadline,
            cancel: self.cancel.as_ref(),
        };
        retry.run(|_attempt| {
            let reply = inner.exchange(Method::Get, &query, None, deadline)?;
            decode_page(inner, &reply, limit.unwrap_or(DEFAULT_PAGE_SIZE)).map(Attempt::Done)
        })
    }

    /// A lazy iterator over every blocked user, following cursors, `page_size` users per
    /// request ([`DEFAULT_PAGE_SIZE`] when `None`). It yields each user once, restarts from the
    /// first page on 139102 (up to the restart budget, then yields a `CONCURRENT_UPDATE`
    /// error), and holds one page plus the set of ids already yielded. It always ends: pages
    /// that bring no new user ([`MAX_PAGES_WITHOUT_NEW_USERS`] in a row), or more users than a
    /// blocklist holds plus one page, end it with a `PROTOCOL` error.
    pub fn blocked_users(&self, page_size: Option<u32>) -> BlockedUsers {
        BlockedUsers {
            client: self.clone(),
            page_size: page_size.unwrap_or(DEFAULT_PAGE_SIZE),
            buffer: VecDeque::new(),
            cursor: None,
            seen_cursors: HashSet::new(),
            yielded: YieldedIds::default(),
            restarts: 0,
            requests: 0,
            pages_this_pass: 0,
            pages_without_new_users: 0,
            stale_pages_allowed: MAX_PAGES_WITHOUT_NEW_USERS,
            finished: false,
        }
    }

    /// Whether `user` is on the blocklist. Walks the list as [`Client::blocked_users`] does
    /// and stops at the first page that holds the user: O(blocklist) requests.
    pub fn is_blocked(&self, user: &str) -> Result<bool, Error> {
        let id = normalize_user(user)
            .map_err(|e| Error::invalid_argument(format!("cannot check this user: {e}")))?;
        for entry in self.blocked_users(None) {
            if entry?.matches(&id) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Interprets a GET reply as a page, or the call's error. `limit` is the page size asked for
/// (it only sizes a buffer).
pub(crate) fn decode_page(inner: &Inner, reply: &Reply, limit: u32) -> Result<Page, Error> {
    if !(200..300).contains(&reply.status) {
        return Err(inner.reply_error(reply));
    }
    // The common page in one pass; any other shape in serde.
    let fast = crate::fastwire::list_response(&reply.body, limit.min(MAX_PAGE_HINT) as usize);
    let body: ListResponse = match fast {
        Some(body) => Ok(body),
        None => serde_json::from_slice(&reply.body),
    }
    .map_err(|e| {
        let mut err = Error::new(
            ErrorKind::Protocol,
            format!("the list response is not the JSON the API documents: {e}"),
        );
        err.0.http_status = Some(reply.status);
        err
    })?;
    let mut page = page_from(body);
    // A cursor read out of a percent-encoded `next` URL was decoded after the body was scrubbed.
    page.after = page.after.map(|c| inner.secret.scrub(c));
    page.before = page.before.map(|c| inner.secret.scrub(c));
    check_server_cursor("after", page.after.as_deref(), reply.status)?;
    check_server_cursor("before", page.before.as_deref(), reply.status)?;
    Ok(page)
}

fn page_from(body: ListResponse<'_>) -> Page {
    let mut users = Vec::with_capacity(body.data.len());
    for item in body.data {
        match item.block_users {
            // 360dialog's older shape nests the users one level down.
            Some(nested) => users.extend(nested.into_iter().map(|u| BlockedUser {
                wa_id: u.wa_id,
                user_id: u.user_id,
            })),
            None => users.push(BlockedUser {
                wa_id: item.wa_id,
                user_id: item.user_id,
            }),
        }
    }
    users.retain(|u| u.wa_id.is_some() || u.user_id.is_some());
    let paging = body.paging.unwrap_or_default();
    let cursors = paging.cursors.unwrap_or_default();
    let after = cursors
        .after
        .or_else(|| paging.next.as_deref().and_then(|n| query_param(n, "after")));
    let before = cursors.before.or_else(|| {
        paging
            .previous
            .as_deref()
            .and_then(|p| query_param(p, "before"))
    });
    // Meta's own sample answer carries cursors and no `next`: an `after` cursor with a
    // non-empty page means "read on", whatever the page's size.
    let has_more = !users.is_empty() && (paging.next.is_some() || after.is_some());
    Page {
        users,
        after,
        before,
        has_more,
    }
}

/// The iterator of [`Client::blocked_users`]. After it yields an error it ends.
#[derive(Debug)]
pub struct BlockedUsers {
    client: Client,
    page_size: u32,
    /// Users of the last page not yielded before, in the server's order.
    buffer: VecDeque<BlockedUser>,
    cursor: Option<String>,
    seen_cursors: HashSet<String>,
    yielded: YieldedIds,
    restarts: u32,
    requests: u32,
    /// Pages read since the walk last started from the first page.
    pages_this_pass: u32,
    /// Pages in a row that brought no user not yet yielded.
    pages_without_new_users: u32,
    /// How many such pages in a row are allowed: after a restart, the pages already read are
    /// expected to bring nothing new.
    stale_pages_allowed: u32,
    finished: bool,
}

impl BlockedUsers {
    /// Reads the rest of the walk: every user yielded from here on, and the error that ended
    /// it early, if one did (the iterator yields nothing after an error). For callers that
    /// want the whole list at once: the CLI's `list --all`, the C export, the fleet.
    pub fn collect_until_error(&mut self) -> (Vec<BlockedUser>, Option<Error>) {
        let mut users = Vec::new();
        for item in self.by_ref() {
            match item {
                Ok(user) => users.push(user),
                Err(err) => return (users, Some(err)),
            }
        }
        (users, None)
    }

    /// Restarts made so far after 139102.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Pages requested so far.
    pub fn pages_requested(&self) -> u32 {
        self.requests
    }

    /// Users read from the server and not yielded yet: that many more `next` calls return at
    /// once, without a request (a language layer may hand them over in one go).
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    fn fetch(&mut self) -> Result<(), Error> {
        self.requests += 1;
        let deadline = self.client.call_deadline();
        match self.client.list_page_by(
            Some(self.page_size),
            self.cursor.as_deref().map_or(Cursor::First, Cursor::After),
            deadline,
        ) {
            Ok(page) => self.take_page(page),
            Err(err) if err.kind() == ErrorKind::ConcurrentUpdate => self.restart(err),
            Err(err) => Err(err),
        }
    }

    /// Keeps the users of `page` not yielded yet and decides whether the walk goes on.
    fn take_page(&mut self, page: Page) -> Result<(), Error> {
        self.pages_this_pass += 1;
        let more = page.has_more;
        let mut users = page.users;
        self.yielded.keep_new(&mut users);
        // The page's vector becomes the buffer (which is empty when a page is fetched): no
        // user is moved again.
        if self.buffer.is_empty() {
            self.buffer = VecDeque::from(users);
        } else {
            self.buffer.extend(users);
        }
        let limit = BLOCKLIST_CAPACITY + self.page_size as usize;
        if self.yielded.len() > limit {
            self.buffer.clear();
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the server listed more than {limit} different users, more than a blocklist can hold ({BLOCKLIST_CAPACITY}) plus one page; the listing cannot be trusted, so wablock stopped"
                ),
            ));
        }
        if self.buffer.is_empty() {
            self.pages_without_new_users += 1;
            if more && self.pages_without_new_users >= self.stale_pages_allowed {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the server sent {} pages in a row that brought no user not already listed, each with a cursor to read on; the listing would never end, so wablock stopped",
                        self.pages_without_new_users
                    ),
                ));
            }
        } else {
            self.pages_without_new_users = 0;
            self.stale_pages_allowed = MAX_PAGES_WITHOUT_NEW_USERS;
        }
        match page.after {
            // A cursor seen twice would loop forever: it ends the list.
            Some(next) if more && self.seen_cursors.insert(next.clone()) => {
                self.cursor = Some(next)
            }
            _ => self.finished = true,
        }
        Ok(())
    }

    /// After 139102: from the first page again (Meta: "retry with offset 0"), skipping users
    /// already yielded, or `CONCURRENT_UPDATE` once the restart budget is spent.
    fn restart(&mut self, err: Error) -> Result<(), Error> {
        if self.restarts >= self.client.inner.list_restart_budget {
            let mut e = Error::new(
                ErrorKind::ConcurrentUpdate,
                format!(
                    "the blocklist kept changing while it was listed; gave up after {} restart{}",
                    self.restarts,
                    if self.restarts == 1 { "" } else { "s" }
                ),
            );
            e.0.http_status = err.http_status();
            e.0.details = err.details().map(str::to_string);
            e.0.code = err.code();
            e.0.fbtrace_id = err.fbtrace_id().map(str::to_string);
            return Err(e);
        }
        self.restarts += 1;
        log::info!(
            "blocklist changed while listing; restart {} from the first page",
            self.restarts
        );
        // The pages already read hold users already yielded: re-reading them is expected.
        self.stale_pages_allowed = self.pages_this_pass + MAX_PAGES_WITHOUT_NEW_USERS;
        self.pages_without_new_users = 0;
        self.pages_this_pass = 0;
        self.cursor = None;
        self.seen_cursors.clear();
        Ok(())
    }
}

impl Iterator for BlockedUsers {
    type Item = Result<BlockedUser, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(user) = self.buffer.pop_front() {
                return Some(Ok(user));
            }
            if self.finished {
                return None;
            }
            if let Err(err) = self.fetch() {
                self.finished = true;
                self.buffer.clear();
                return Some(Err(err));
            }
        }
    }
}
