//! Canonical JSON written straight to an `io::Write` (docs/behaviour.md §5): the same bytes as
//! the `to_canonical_json()` of [`Outcome`], [`Error`], [`Page`], a walk, and a fleet's results,
//! without building a `serde_json::Value` tree of the whole result and a `String` of it first.
//! For 64,000 users that tree and its text were most of a caller's peak memory (the CLI's
//! `--json`: 147 → 37 MB, docs/benchmarks.md).
//!
//! The key order below is the sorted order of the keys of the `to_json_value` builders; the
//! tests compare every shape with those builders byte for byte, so a key added to one fails
//! them until it is added here.

use std::io::{self, Write};

use crate::{BlockedUser, Error, Failure, FleetBlocklist, FleetResults, Outcome, Page, Success};

/// A JSON string (serde_json's escaping, as `Value::String(..).to_string()` writes it).
fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

fn opt_string(w: &mut impl Write, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => string(w, s),
        None => w.write_all(b"null"),
    }
}

fn opt_number(w: &mut impl Write, n: Option<impl std::fmt::Display>) -> io::Result<()> {
    match n {
        Some(n) => write!(w, "{n}"),
        None => w.write_all(b"null"),
    }
}

fn success(w: &mut impl Write, s: &Success) -> io::Result<()> {
    w.write_all(b"{\"input\":")?;
    string(w, &s.input)?;
    w.write_all(b",\"sent\":")?;
    string(w, &s.sent)?;
    w.write_all(b",\"user_id\":")?;
    opt_string(w, s.user_id.as_deref())?;
    w.write_all(b",\"wa_id\":")?;
    opt_string(w, s.wa_id.as_deref())?;
    w.write_all(b"}")
}

fn failure(w: &mut impl Write, f: &Failure) -> io::Result<()> {
    w.write_all(b"{\"code\":")?;
    opt_number(w, f.code)?;
    w.write_all(b",\"details\":")?;
    opt_string(w, f.details.as_deref())?;
    w.write_all(b",\"hint\":")?;
    string(w, &f.hint)?;
    w.write_all(b",\"input\":")?;
    string(w, &f.input)?;
    w.write_all(b",\"message\":")?;
    string(w, &f.message)?;
    w.write_all(b",\"reason\":")?;
    string(w, f.reason.as_str())?;
    w.write_all(b",\"sent\":")?;
    opt_string(w, f.sent.as_deref())?;
    w.write_all(b",\"user_id\":")?;
    opt_string(w, f.user_id.as_deref())?;
    w.write_all(b",\"wa_id\":")?;
    opt_string(w, f.wa_id.as_deref())?;
    w.write_all(b"}")
}

/// The outcome object, as `Outcome::to_json_value` would print canonically.
fn outcome_object(w: &mut impl Write, o: &Outcome) -> io::Result<()> {
    w.write_all(b"{\"failed\":[")?;
    for (i, f) in o.failed.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        failure(w, f)?;
    }
    w.write_all(b"],\"operation\":")?;
    string(w, o.operation.as_str())?;
    write!(w, ",\"requests\":{},\"succeeded\":[", o.requests)?;
    for (i, s) in o.succeeded.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        success(w, s)?;
    }
    w.write_all(b"]}")
}

/// `{"outcome":{…}}`: the bytes of [`Outcome::to_canonical_json`], without a newline.
pub fn write_outcome(w: &mut impl Write, o: &Outcome) -> io::Result<()> {
    w.write_all(b"{\"outcome\":")?;
    outcome_object(w, o)?;
    w.write_all(b"}")
}

/// `{"error":{…}}`: the bytes of [`Error::to_canonical_json`], without a newline. The partial
/// outcome of an interrupted 64,000-user call is streamed like a whole one.
pub fn write_error(w: &mut impl Write, e: &Error) -> io::Result<()> {
    w.write_all(b"{\"error\":")?;
    error_object(w, e)?;
    w.write_all(b"}")
}

/// The error object, as `Error::to_json_value` would print canonically.
fn error_object(w: &mut impl Write, e: &Error) -> io::Result<()> {
    w.write_all(b"{\"code\":")?;
    opt_number(w, e.code())?;
    w.write_all(b",\"details\":")?;
    opt_string(w, e.details())?;
    w.write_all(b",\"fbtrace_id\":")?;
    opt_string(w, e.fbtrace_id())?;
    w.write_all(b",\"http_status\":")?;
    opt_number(w, e.http_status())?;
    w.write_all(b",\"kind\":")?;
    string(w, e.kind().as_str())?;
    w.write_all(b",\"message\":")?;
    string(w, e.message())?;
    w.write_all(b",\"not_attempted\":[")?;
    for (i, input) in e.not_attempted().iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        string(w, input)?;
    }
    w.write_all(b"],\"partial\":")?;
    match e.partial() {
        Some(p) => outcome_object(w, p)?,
        None => w.write_all(b"null")?,
    }
    w.write_all(b",\"retry_after_ms\":")?;
    // The core's builder: `retry_after.map(|d| d.as_millis() as u64)`.
    opt_number(w, e.retry_after().map(|d| d.as_millis() as u64))?;
    write!(w, ",\"retryable\":{}", e.is_retryable())?;
    w.write_all(b",\"subcode\":")?;
    opt_number(w, e.subcode())?;
    w.write_all(b"}")
}

/// `{"user_id":…,"wa_id":…}`, as `BlockedUser::to_json_value` would print canonically.
fn user_object(w: &mut impl Write, u: &BlockedUser) -> io::Result<()> {
    w.write_all(b"{\"user_id\":")?;
    opt_string(w, u.user_id.as_deref())?;
    w.write_all(b",\"wa_id\":")?;
    opt_string(w, u.wa_id.as_deref())?;
    w.write_all(b"}")
}

/// `{"page":{…}}`: the bytes of [`Page::to_canonical_json`], without a newline.
pub fn write_page(w: &mut impl Write, page: &Page) -> io::Result<()> {
    w.write_all(b"{\"page\":{\"after\":")?;
    opt_string(w, page.after.as_deref())?;
    w.write_all(b",\"before\":")?;
    opt_string(w, page.before.as_deref())?;
    write!(w, ",\"has_more\":{},\"users\":[", page.has_more)?;
    for (i, u) in page.users.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        user_object(w, u)?;
    }
    w.write_all(b"]}}")
}

/// The users of a walk of the blocklist (`list --all --json`), serialised as the walk reads
/// them, and the error that ended the walk early, if one did.
///
/// The canonical key order puts `"error"` before `"users"`, and the error is only known when
/// the walk ends, so the users cannot go to stdout as they come without changing the bytes.
/// They wait as their own final JSON text (about 45 bytes a user), not as `BlockedUser`s, a
/// `serde_json::Value` tree and a `String` of the whole document as before. (The core's walk
/// keeps a set of every key it yielded anyway, to skip repeats: the walk is O(users) in
/// memory whatever is printed.)
pub struct WalkJson {
    users: Vec<u8>,
    count: usize,
    error: Option<Error>,
}

impl WalkJson {
    /// Reads the walk to its end (or its error).
    pub fn read(walk: impl Iterator<Item = Result<BlockedUser, Error>>) -> Self {
        let mut out = WalkJson {
            users: Vec::new(),
            count: 0,
            error: None,
        };
        for item in walk {
            match item {
                Ok(user) => {
                    if out.count > 0 {
                        out.users.push(b',');
                    }
                    // Writing into a Vec cannot fail.
                    let _ = user_object(&mut out.users, &user);
                    out.count += 1;
                }
                Err(err) => {
                    out.error = Some(err);
                    break;
                }
            }
        }
        out
    }

    /// Users read before the end of the walk.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The error that ended the walk early, if one did.
    pub fn into_error(self) -> Option<Error> {
        self.error
    }

    /// `{"blocked_users":{"error":…,"users":[…]}}`: the bytes of the core's
    /// `blocked_users_canonical_json` for the same users and error, without a newline.
    pub fn write(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(b"{\"blocked_users\":{\"error\":")?;
        match &self.error {
            Some(e) => error_object(w, e)?,
            None => w.write_all(b"null")?,
        }
        w.write_all(b",\"users\":[")?;
        w.write_all(&self.users)?;
        w.write_all(b"]}}")
    }
}

/// Labels in the canonical order of JSON object keys (the core's `canonical_string` sorts
/// `String`s, byte by byte), each with its index.
fn sorted_labels<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut sorted: Vec<(&str, usize)> = labels.enumerate().map(|(i, l)| (l, i)).collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    sorted
}

/// `{"fleet":{"<label>":{"outcome":…}|{"error":…},…}}`: the bytes of
/// `FleetResults::<Outcome>::to_canonical_json`, number by number, without a newline.
pub fn write_fleet_outcomes(w: &mut impl Write, results: &FleetResults<Outcome>) -> io::Result<()> {
    w.write_all(b"{\"fleet\":{")?;
    let order = sorted_labels(results.entries.iter().map(|e| e.label.as_str()));
    for (n, (label, i)) in order.into_iter().enumerate() {
        if n > 0 {
            w.write_all(b",")?;
        }
        string(w, label)?;
        w.write_all(b":")?;
        match &results.entries[i].result {
            Ok(outcome) => write_outcome(w, outcome)?,
            Err(err) => write_error(w, err)?,
        }
    }
    w.write_all(b"}}")
}

/// `{"fleet_blocked_users":{"errors":{…},"users":[…]}}`: the bytes of
/// `FleetBlocklist::to_canonical_json`, user by user, without a newline.
pub fn write_fleet_blocklist(w: &mut impl Write, list: &FleetBlocklist) -> io::Result<()> {
    w.write_all(b"{\"fleet_blocked_users\":{\"errors\":{")?;
    let order = sorted_labels(list.errors.iter().map(|(l, _)| l.as_str()));
    for (n, (label, i)) in order.into_iter().enumerate() {
        if n > 0 {
            w.write_all(b",")?;
        }
        string(w, label)?;
        w.write_all(b":")?;
        error_object(w, &list.errors[i].1)?;
    }
    w.write_all(b"},\"users\":[")?;
    for (n, u) in list.users.iter().enumerate() {
        if n > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"{\"blocked_on\":[")?;
        for (k, label) in u.blocked_on.iter().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            string(w, label)?;
        }
        w.write_all(b"],\"user_id\":")?;
        opt_string(w, u.user.user_id.as_deref())?;
        w.write_all(b",\"wa_id\":")?;
        opt_string(w, u.user.wa_id.as_deref())?;
        w.write_all(b"}")?;
    }
    w.write_all(b"]}}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{ErrorKind, Operation, Reason, blocked_users_canonical_json};

    fn text(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        write(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    /// Strings that need escaping: quotes, backslashes, control and bidi characters.
    const ODD: &str = "a\"b\\c\u{1}\n\u{202e}é";

    fn outcome() -> Outcome {
        Outcome {
            operation: Operation::Block,
            succeeded: vec![Success {
                input: ODD.into(),
                sent: "+16505551234".into(),
                wa_id: Some("16505551234".into()),
                user_id: None,
            }],
            failed: vec![Failure {
                input: "US.13491208655302741918".into(),
                sent: None,
                wa_id: None,
                user_id: Some(ODD.into()),
                reason: Reason::ReengagementRequired,
                code: Some(131047),
                message: ODD.to_string(),
                details: Some(ODD.to_string()),
                hint: Reason::ReengagementRequired.hint().to_string(),
            }],
            requests: 2,
        }
    }

    #[test]
    fn every_writer_prints_the_builders_bytes() {
        let o = outcome();
        assert_eq!(text(|w| write_outcome(w, &o)), o.to_canonical_json());

        let mut e = Error::new(ErrorKind::RateLimited, ODD).with_not_attempted(vec![ODD.into()]);
        e.0.http_status = Some(429);
        e.0.code = Some(130429);
        e.0.subcode = Some(2494055);
        e.0.details = Some(ODD.to_string());
        e.0.fbtrace_id = Some("Atrace".to_string());
        e.0.retry_after = Some(Duration::from_millis(7_500));
        e.0.partial = Some(Box::new(o.clone()));
        assert_eq!(text(|w| write_error(w, &e)), e.to_canonical_json());
        let bare = Error::new(ErrorKind::Network, "refused");
        assert_eq!(text(|w| write_error(w, &bare)), bare.to_canonical_json());

        let users = vec![
            BlockedUser {
                wa_id: Some(ODD.into()),
                user_id: None,
            },
            BlockedUser {
                wa_id: None,
                user_id: Some("US.1".into()),
            },
        ];
        let page = Page {
            users: users.clone(),
            after: Some(ODD.to_string()),
            before: None,
            has_more: true,
        };
        assert_eq!(text(|w| write_page(w, &page)), page.to_canonical_json());

        let walk = WalkJson::read(users.iter().cloned().map(Ok).chain([Err(e.clone())]));
        assert_eq!(walk.count(), 2);
        assert_eq!(
            text(|w| walk.write(w)),
            blocked_users_canonical_json(&users, Some(&e))
        );
        let empty = WalkJson::read(std::iter::empty());
        assert_eq!(
            text(|w| empty.write(w)),
            blocked_users_canonical_json(&[], None)
        );
    }
}
