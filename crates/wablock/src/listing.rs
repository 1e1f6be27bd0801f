//! Listing the blocklist: one page, a lazy iterator over all of it, and `is_blocked`
//! (docs/behaviour.md §3.4).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use crate::client::{Client, Inner, MAX_CURSOR_BYTES, Method, Reply};
use crate::error::{Error, ErrorKind};
use crate::users::{UserId, normalize_user};
use crate::wire::{ListResponse, query_param};

/// A blocked user as the list reports it: a WA ID, a BSUID, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlockedUser {
    /// The user's WhatsApp ID (digits), when the list gives one.
    pub wa_id: Option<String>,
    /// The user's business-scoped user ID, when the list gives one.
    pub user_id: Option<String>,
}

impl BlockedUser {
    /// The identity used to yield each user once.
    fn key(&self) -> Option<&str> {
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
pub struct Page {
    /// Users on this page, in the server's order.
    pub users: Vec<BlockedUser>,
    /// Cursor for the next page.
    pub after: Option<String>,
    /// Cursor for the previous page.
    pub before: Option<String>,
    /// True when `paging.next` was present, or an `after` cursor came with a full page.
    pub has_more: bool,
}

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

impl Client {
    /// Fetches one page: `limit` users at most (the server's default when `None`), after or
    /// before a cursor from an earlier page. A 139102 answer (the list changed since the
    /// cursor was issued) is a `CONCURRENT_UPDATE` error; restart from the first page.
    pub fn list_page(
        &self,
        limit: Option<u32>,
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Page, Error> {
        self.list_page_by(limit, after, before, self.call_deadline())
    }

    fn list_page_by(
        &self,
        limit: Option<u32>,
        after: Option<&str>,
        before: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<Page, Error> {
        if after.is_some() && before.is_some() {
            return Err(Error::invalid_argument(
                "pass either an after cursor or a before cursor, not both",
            ));
        }
        if limit == Some(0) {
            return Err(Error::invalid_argument("limit must be at least 1"));
        }
        check_cursor("after", after)?;
        check_cursor("before", before)?;
        let limit_text = limit.map(|l| l.to_string());
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(2);
        if let Some(l) = &limit_text {
            query.push(("limit", l));
        }
        if let Some(a) = after {
            query.push(("after", a));
        }
        if let Some(b) = before {
            query.push(("before", b));
        }
        let inner = &self.inner;
        let policy = &inner.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = inner
                .exchange(Method::Get, &query, None, deadline)
                .and_then(|reply| decode_page(inner, &reply, limit));
            match result {
                Err(err) if err.is_retryable() && attempt < policy.max_attempts => {
                    let delay = match policy.delay(attempt, err.retry_after()) {
                        Ok(delay) => delay,
                        Err(_) => return Err(err),
                    };
                    if deadline.is_some_and(|d| inner.clock.now() + delay >= d) {
                        return Err(err);
                    }
                    inner.clock.sleep(delay);
                }
                other => return other,
            }
        }
    }

    /// A lazy iterator over every blocked user, following cursors, `page_size` users per
    /// request (the server's default when `None`). It yields each user once, restarts from the
    /// first page on 139102 (up to the restart budget, then yields a `CONCURRENT_UPDATE`
    /// error), and holds one page plus the set of ids already yielded.
    pub fn blocked_users(&self, page_size: Option<u32>) -> BlockedUsers {
        BlockedUsers {
            client: self.clone(),
            page_size,
            buffer: VecDeque::new(),
            cursor: None,
            seen_cursors: HashSet::new(),
            yielded: HashSet::new(),
            restarts: 0,
            requests: 0,
            finished: false,
        }
    }

    /// Whether `user` is on the blocklist. Walks the whole list: O(blocklist) requests.
    pub fn is_blocked(&self, user: &str) -> Result<bool, Error> {
        let id = normalize_user(user)
            .map_err(|e| Error::invalid_argument(format!("cannot check this user: {}", e.0)))?;
        for entry in self.blocked_users(None) {
            if entry?.matches(&id) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Interprets a GET reply as a page, or the call's error.
pub(crate) fn decode_page(inner: &Inner, reply: &Reply, limit: Option<u32>) -> Result<Page, Error> {
    if !(200..300).contains(&reply.status) {
        return Err(inner.reply_error(reply));
    }
    let body: ListResponse = serde_json::from_slice(&reply.body).map_err(|e| {
        let mut err = Error::new(
            ErrorKind::Protocol,
            format!("the list response is not the JSON the API documents: {e}"),
        );
        err.0.http_status = Some(reply.status);
        err
    })?;
    Ok(page_from(body, limit))
}

fn page_from(body: ListResponse, limit: Option<u32>) -> Page {
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
    let full_page = limit.is_some_and(|l| users.len() >= l as usize);
    let has_more = !users.is_empty() && (paging.next.is_some() || (after.is_some() && full_page));
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
    page_size: Option<u32>,
    buffer: VecDeque<BlockedUser>,
    cursor: Option<String>,
    seen_cursors: HashSet<String>,
    yielded: HashSet<String>,
    restarts: u32,
    requests: u32,
    finished: bool,
}

impl BlockedUsers {
    /// Restarts made so far after 139102.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Pages requested so far.
    pub fn pages_requested(&self) -> u32 {
        self.requests
    }

    fn fetch(&mut self) -> Result<(), Error> {
        self.requests += 1;
        let deadline = self.client.call_deadline();
        match self
            .client
            .list_page_by(self.page_size, self.cursor.as_deref(), None, deadline)
        {
            Ok(page) => {
                let more = page.has_more;
                self.buffer.extend(page.users);
                match page.after {
                    // A cursor seen twice would loop forever: it ends the list.
                    Some(next) if more && self.seen_cursors.insert(next.clone()) => {
                        self.cursor = Some(next)
                    }
                    _ => self.finished = true,
                }
                Ok(())
            }
            Err(err) if err.kind() == ErrorKind::ConcurrentUpdate => {
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
                // Meta: "retry with offset 0". Users already yielded are skipped.
                self.restarts += 1;
                log::info!(
                    "blocklist changed while listing; restart {} from the first page",
                    self.restarts
                );
                self.cursor = None;
                self.seen_cursors.clear();
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

impl Iterator for BlockedUsers {
    type Item = Result<BlockedUser, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            while let Some(user) = self.buffer.pop_front() {
                let fresh = user.key().is_some_and(|k| !self.yielded.contains(k));
                if fresh {
                    if let Some(k) = user.key() {
                        self.yielded.insert(k.to_string());
                    }
                    return Some(Ok(user));
                }
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
