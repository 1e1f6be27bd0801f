//! Printing results: readable tables (at most 100 columns, hints wrapped), canonical JSON and
//! CSV. Text from the server, and the caller's own inputs, are data, never markup: every
//! string printed outside JSON goes through [`printable`] (docs/behaviour.md §4).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use wablock::{BlockedUser, Client, Error, Failure, Outcome, Success, is_blocked_canonical_json};

use crate::args::Format;
use crate::{EXIT_CALL_FAILED, EXIT_OK, EXIT_SOME_FAILED};

/// True for characters a terminal may act on instead of showing: C0 and C1 controls, DEL, and
/// the Unicode marks that reorder text (bidirectional overrides and isolates).
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character shown as an escape (`\x1b`, `\u{202e}`), so that an
/// ANSI or OSC sequence from a server is printed, never obeyed.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_control(c) => out.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// `arg` quoted for a POSIX shell (bash, zsh, sh) when it needs it: bare when it holds only
/// characters no shell treats specially, `'…'` otherwise, and `$'…'` with `\xNN` escapes when it
/// holds control characters, so that pasting the command neither runs nor prints them.
pub fn shell_quote(arg: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        return Cow::Borrowed(arg);
    }
    if arg.chars().any(is_control) {
        let mut out = String::from("$'");
        for c in arg.chars() {
            match c {
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                c if is_control(c) => {
                    let mut utf8 = [0u8; 4];
                    for b in c.encode_utf8(&mut utf8).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        return Cow::Owned(out);
    }
    Cow::Owned(format!("'{}'", arg.replace('\'', "'\\''")))
}

/// `error: KIND: message (code N)`, the core's `Display`, made printable.
pub fn error_line(err: &Error) -> String {
    format!("error: {}", printable(&err.to_string()))
}

/// Tables are laid out for this many columns.
pub const WIDTH: usize = 100;

/// One row of the per-user table, in the caller's input order.
enum Row<'a> {
    Ok(&'a Success),
    Failed(&'a Failure),
}

/// Merges `succeeded` and `failed` (each in input order) back into the caller's order.
fn rows<'a>(outcome: &'a Outcome, inputs: &[String]) -> Vec<Row<'a>> {
    let (mut s, mut f) = (0, 0);
    let mut out = Vec::with_capacity(outcome.len());
    for input in inputs {
        if outcome.succeeded.get(s).is_some_and(|x| x.input == *input) {
            out.push(Row::Ok(&outcome.succeeded[s]));
            s += 1;
        } else if outcome.failed.get(f).is_some_and(|x| x.input == *input) {
            out.push(Row::Failed(&outcome.failed[f]));
            f += 1;
        }
    }
    // Anything left (inputs not in this outcome's order) still gets printed.
    out.extend(outcome.succeeded[s..].iter().map(Row::Ok));
    out.extend(outcome.failed[f..].iter().map(Row::Failed));
    out
}

/// Wraps `text` to `width` columns; the first line is prefixed by `first`, the others by
/// spaces of the same width.
fn wrap(first: &str, text: &str, width: usize) -> String {
    let indent = " ".repeat(first.chars().count());
    let room = width.saturating_sub(indent.len()).max(20);
    let mut out = String::new();
    let mut line = String::new();
    let mut lines = 0;
    let mut flush = |line: &mut String, out: &mut String| {
        let prefix = if lines == 0 { first } else { &indent };
        let _ = writeln!(out, "{prefix}{line}");
        lines += 1;
        line.clear();
    };
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            flush(&mut line, &mut out);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        flush(&mut line, &mut out);
    }
    out
}

fn verb(outcome: &Outcome) -> (&'static str, &'static str) {
    match outcome.operation {
        wablock::Operation::Block => ("blocked", "not blocked"),
        wablock::Operation::Unblock => ("unblocked", "not unblocked"),
    }
}

/// The per-user table: INPUT, SENT, RESULT, REASON, and under each failure its code and
/// message and the hint, wrapped.
pub fn outcome_table(outcome: &Outcome, inputs: &[String]) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_outcome_table(&mut out, outcome, inputs);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`outcome_table`], written line by line.
pub fn write_outcome_table(
    w: &mut impl Write,
    outcome: &Outcome,
    inputs: &[String],
) -> io::Result<()> {
    let (ok_word, fail_word) = verb(outcome);
    let rows = rows(outcome, inputs);
    let cell = |s: &str, cap: usize| s.chars().count().min(cap);
    let mut w_input = "INPUT".len();
    let mut w_sent = "SENT".len();
    for r in &rows {
        let (i, s) = match r {
            Row::Ok(x) => (printable(&x.input), printable(&x.sent)),
            Row::Failed(x) => (
                printable(&x.input),
                printable(x.sent.as_deref().unwrap_or("-")),
            ),
        };
        w_input = w_input.max(cell(&i, 30));
        w_sent = w_sent.max(cell(&s, 26));
    }
    let w_result = fail_word.len();
    writeln!(
        w,
        "{:<w_input$}  {:<w_sent$}  {:<w_result$}  REASON",
        "INPUT", "SENT", "RESULT"
    )?;
    for r in &rows {
        match r {
            Row::Ok(x) => {
                writeln!(
                    w,
                    "{:<w_input$}  {:<w_sent$}  {ok_word}",
                    printable(&x.input),
                    printable(&x.sent)
                )?;
            }
            Row::Failed(x) => {
                let reason = match x.code {
                    Some(c) => format!("{} ({c})", x.reason.as_str()),
                    None => x.reason.as_str().to_string(),
                };
                writeln!(
                    w,
                    "{:<w_input$}  {:<w_sent$}  {:<w_result$}  {reason}",
                    printable(&x.input),
                    printable(x.sent.as_deref().unwrap_or("-")),
                    fail_word
                )?;
                let mut said = x.message.clone();
                if let Some(d) = &x.details {
                    said.push_str(": ");
                    said.push_str(d);
                }
                // Only a refusal with a code came from the server; INVALID_USER and
                // UNCONFIRMED are wablock's own explanations.
                let label = if x.code.is_some() {
                    "    server: "
                } else {
                    "    why:    "
                };
                w.write_all(wrap(label, &printable(&said), WIDTH).as_bytes())?;
                w.write_all(wrap("    hint:   ", &x.hint, WIDTH).as_bytes())?;
            }
        }
    }
    writeln!(
        w,
        "{} user(s): {} {ok_word}, {} {fail_word}; {} HTTP request(s).",
        outcome.len(),
        outcome.succeeded.len(),
        outcome.failed.len(),
        outcome.requests
    )
}

/// Prints an outcome on stdout.
pub fn print_outcome(outcome: &Outcome, inputs: &[String], format: Format) {
    match format {
        // Streamed: no JSON tree and no text of the whole outcome in memory (64,000 users).
        Format::Json => crate::stream::print_json(|w| crate::stream::write_outcome(w, outcome)),
        _ => crate::stream::print(|w| write_outcome_table(w, outcome, inputs)),
    }
}

/// Prints a failed call: `error: KIND: message` on stderr (always), then on stdout the
/// canonical JSON, or the partial outcome, the users whose state is unknown and the users
/// never sent.
pub fn print_error(err: &Error, inputs: &[String], format: Format) {
    eprintln!("{}", error_line(err));
    let partial = err.partial().map_or(0, Outcome::len);
    let (unknown, unchanged) = (err.state_unknown(), err.state_unchanged());
    eprintln!(
        "{partial} user(s) finished before the failure; {} in an unknown state; {} unchanged.",
        unknown.len(),
        unchanged.len()
    );
    if format == Format::Json {
        crate::stream::print_json(|w| crate::stream::write_error(w, err));
        return;
    }
    crate::stream::print(|w| write_error_text(w, err, inputs));
}

/// The table form of a failed call: HTTP status, details, `fbtrace_id`, the users that
/// finished, the users whose state is unknown and the users never sent.
pub fn write_error_text(w: &mut impl Write, err: &Error, inputs: &[String]) -> io::Result<()> {
    let (unknown, unchanged) = (err.state_unknown(), err.state_unchanged());
    if let Some(status) = err.http_status() {
        writeln!(w, "HTTP status: {status}")?;
    }
    if let Some(d) = err.details() {
        w.write_all(wrap("details: ", &printable(d), WIDTH).as_bytes())?;
    }
    if let Some(t) = err.fbtrace_id() {
        writeln!(w, "fbtrace_id: {}", printable(t))?;
    }
    if let Some(r) = err.retry_after() {
        writeln!(
            w,
            "The server asked to wait {:.0} s before retrying.",
            r.as_secs_f64()
        )?;
    }
    if let Some(p) = err.partial().filter(|p| !p.is_empty()) {
        writeln!(w, "Finished before the failure:")?;
        write_outcome_table(w, p, inputs)?;
    }
    let list = |users: &[&str]| printable(&users.join(", ")).into_owned();
    if !unknown.is_empty() {
        w.write_all(wrap(
            "State unknown (sent, but no usable answer came; the server may have applied the change, so check the blocklist or send them again): ",
            &list(&unknown),
            WIDTH,
        ).as_bytes())?;
    }
    if !unchanged.is_empty() {
        w.write_all(wrap(
            "Not attempted (never sent, or refused with the whole request; their state did not change): ",
            &list(&unchanged),
            WIDTH,
        ).as_bytes())?;
    }
    Ok(())
}

pub fn csv_field(s: Option<&str>) -> String {
    let s = printable(s.unwrap_or(""));
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The header of the csv of a list.
pub const CSV_HEADER: &str = "wa_id,user_id\n";

/// One user's csv line.
pub fn write_csv_user(w: &mut impl Write, u: &BlockedUser) -> io::Result<()> {
    writeln!(
        w,
        "{},{}",
        csv_field(u.wa_id.as_deref()),
        csv_field(u.user_id.as_deref())
    )
}

/// Users as a table (WA_ID, USER_ID; the first column as wide as its longest ID, so the
/// users are read twice) or as csv, line by line.
pub fn write_users<'a, I>(w: &mut impl Write, users: I, format: Format) -> io::Result<()>
where
    I: IntoIterator<Item = &'a BlockedUser>,
    I::IntoIter: Clone,
{
    let users = users.into_iter();
    match format {
        Format::Csv => {
            w.write_all(CSV_HEADER.as_bytes())?;
            for u in users {
                write_csv_user(w, u)?;
            }
        }
        _ => {
            let width = users
                .clone()
                .filter_map(|u| u.wa_id.as_deref())
                .map(str::len)
                .max()
                .unwrap_or(0)
                .max("WA_ID".len());
            writeln!(w, "{:<width$}  USER_ID", "WA_ID")?;
            for u in users {
                writeln!(
                    w,
                    "{:<width$}  {}",
                    printable(u.wa_id.as_deref().unwrap_or("-")),
                    printable(u.user_id.as_deref().unwrap_or("-"))
                )?;
            }
        }
    }
    Ok(())
}

/// The rows of the users table of a walk, kept as their printed cells until the walk ends
/// (the first column is as wide as the longest ID): `WA_ID \0 USER_ID \n` per user, a few
/// bytes more than the IDs themselves, instead of a `Vec<BlockedUser>`. [`printable`] text
/// holds no control character, so neither separator can occur in a cell.
#[derive(Default)]
pub struct TableRows {
    text: String,
    /// The width of the first column so far: the longest raw WA ID (as [`write_users`]).
    width: usize,
    count: usize,
}

impl TableRows {
    pub fn push(&mut self, u: &BlockedUser) {
        if let Some(wa_id) = u.wa_id.as_deref() {
            self.width = self.width.max(wa_id.len());
        }
        self.text
            .push_str(&printable(u.wa_id.as_deref().unwrap_or("-")));
        self.text.push('\0');
        self.text
            .push_str(&printable(u.user_id.as_deref().unwrap_or("-")));
        self.text.push('\n');
        self.count += 1;
    }

    /// The table, byte for byte as [`write_users`] writes it for the same users.
    pub fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let width = self.width.max("WA_ID".len());
        writeln!(w, "{:<width$}  USER_ID", "WA_ID")?;
        for line in self.text.lines() {
            let (wa_id, user_id) = line.split_once('\0').unwrap_or((line, ""));
            writeln!(w, "{wa_id:<width$}  {user_id}")?;
        }
        Ok(())
    }
}

/// `list` without `--all`: one page. `next_command` renders the command that reads the next
/// page, given its cursor.
pub fn list_page(
    client: &Client,
    limit: Option<u32>,
    after: Option<&str>,
    before: Option<&str>,
    format: Format,
    next_command: &dyn Fn(&str) -> String,
) -> u8 {
    match wablock::Cursor::from_options(after, before).and_then(|c| client.list_page(limit, c)) {
        Ok(page) => {
            match format {
                Format::Json => crate::stream::print_json(|w| crate::stream::write_page(w, &page)),
                _ => {
                    crate::stream::print(|w| write_users(w, &page.users, format));
                    // Cursors go to stderr so that csv on stdout stays pure data.
                    if page.has_more {
                        if let Some(a) = &page.after {
                            eprintln!("More users: {}", next_command(a));
                        }
                    }
                    if format == Format::Table {
                        eprintln!("{} user(s) on this page.", page.users.len());
                    }
                }
            }
            EXIT_OK
        }
        Err(err) => fail(&err, format),
    }
}

/// `list --all`: every page, following cursors. Csv goes out user by user as the walk reads
/// them; the table waits for the walk (its first column is as wide as the longest ID); JSON
/// waits as its own text (see [`crate::stream::WalkJson`]).
pub fn list_all(client: &Client, page_size: Option<u32>, format: Format) -> u8 {
    let walk = client.blocked_users(page_size);
    let (count, error) = match format {
        Format::Json => {
            let walk = crate::stream::WalkJson::read(walk);
            crate::stream::print_json(|w| walk.write(w));
            let count = walk.count();
            (count, walk.into_error())
        }
        Format::Csv => {
            let (mut count, mut error) = (0, None);
            crate::stream::print(|w| {
                w.write_all(CSV_HEADER.as_bytes())?;
                for item in walk {
                    match item {
                        Ok(user) => {
                            write_csv_user(w, &user)?;
                            count += 1;
                        }
                        Err(err) => {
                            error = Some(err);
                            break;
                        }
                    }
                }
                Ok(())
            });
            (count, error)
        }
        Format::Table => {
            let (mut rows, mut error) = (TableRows::default(), None);
            for item in walk {
                match item {
                    Ok(user) => rows.push(&user),
                    Err(err) => {
                        error = Some(err);
                        break;
                    }
                }
            }
            crate::stream::print(|w| rows.write(w));
            (rows.count, error)
        }
    };
    if format == Format::Table {
        eprintln!("{count} blocked user(s).");
    }
    match error {
        None => EXIT_OK,
        Some(e) => {
            eprintln!("{}", error_line(&e));
            eprintln!("The list above stops where the error happened.");
            EXIT_CALL_FAILED
        }
    }
}

/// `check USER`: exit 0 when blocked, 1 when not, 2 on error.
pub fn check(client: &Client, user: &str, format: Format) -> u8 {
    match client.is_blocked(user) {
        Ok(blocked) => {
            match format {
                Format::Json => println!("{}", is_blocked_canonical_json(blocked)),
                _ if blocked => println!("{} is blocked.", printable(user)),
                _ => println!("{} is not blocked.", printable(user)),
            }
            if blocked { EXIT_OK } else { EXIT_SOME_FAILED }
        }
        Err(err) => fail(&err, format),
    }
}

fn fail(err: &Error, format: Format) -> u8 {
    eprintln!("{}", error_line(err));
    if format == Format::Json {
        println!("{}", err.to_canonical_json());
    }
    EXIT_CALL_FAILED
}

/// The previous builders of the tables (one `String` of the whole text), kept verbatim as the
/// oracle of the line-by-line writers: the tests compare their bytes.
#[cfg(test)]
pub(crate) mod oracle {
    use std::fmt::Write as _;

    use wablock::{BlockedUser, Error, Outcome};

    use super::{Row, WIDTH, csv_field, printable, rows, verb, wrap};
    use crate::args::Format;

    /// The per-user table: INPUT, SENT, RESULT, REASON, and under each failure its code and
    /// message and the hint, wrapped.
    pub(crate) fn outcome_table(outcome: &Outcome, inputs: &[String]) -> String {
        let (ok_word, fail_word) = verb(outcome);
        let rows = rows(outcome, inputs);
        let cell = |s: &str, cap: usize| s.chars().count().min(cap);
        let mut w_input = "INPUT".len();
        let mut w_sent = "SENT".len();
        for r in &rows {
            let (i, s) = match r {
                Row::Ok(x) => (printable(&x.input), printable(&x.sent)),
                Row::Failed(x) => (
                    printable(&x.input),
                    printable(x.sent.as_deref().unwrap_or("-")),
                ),
            };
            w_input = w_input.max(cell(&i, 30));
            w_sent = w_sent.max(cell(&s, 26));
        }
        let w_result = fail_word.len();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<w_input$}  {:<w_sent$}  {:<w_result$}  REASON",
            "INPUT", "SENT", "RESULT"
        );
        for r in &rows {
            match r {
                Row::Ok(x) => {
                    let line = format!(
                        "{:<w_input$}  {:<w_sent$}  {ok_word}",
                        printable(&x.input),
                        printable(&x.sent)
                    );
                    let _ = writeln!(out, "{line}");
                }
                Row::Failed(x) => {
                    let reason = match x.code {
                        Some(c) => format!("{} ({c})", x.reason.as_str()),
                        None => x.reason.as_str().to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "{:<w_input$}  {:<w_sent$}  {:<w_result$}  {reason}",
                        printable(&x.input),
                        printable(x.sent.as_deref().unwrap_or("-")),
                        fail_word
                    );
                    let mut said = x.message.clone();
                    if let Some(d) = &x.details {
                        said.push_str(": ");
                        said.push_str(d);
                    }
                    // Only a refusal with a code came from the server; INVALID_USER and
                    // UNCONFIRMED are wablock's own explanations.
                    let label = if x.code.is_some() {
                        "    server: "
                    } else {
                        "    why:    "
                    };
                    out.push_str(&wrap(label, &printable(&said), WIDTH));
                    out.push_str(&wrap("    hint:   ", &x.hint, WIDTH));
                }
            }
        }
        let _ = writeln!(
            out,
            "{} user(s): {} {ok_word}, {} {fail_word}; {} HTTP request(s).",
            outcome.len(),
            outcome.succeeded.len(),
            outcome.failed.len(),
            outcome.requests
        );
        out
    }

    /// The table form of a failed call: HTTP status, details, `fbtrace_id`, the users that
    /// finished, the users whose state is unknown and the users never sent.
    pub(crate) fn error_text(err: &Error, inputs: &[String]) -> String {
        let (unknown, unchanged) = (err.state_unknown(), err.state_unchanged());
        let mut out = String::new();
        if let Some(status) = err.http_status() {
            let _ = writeln!(out, "HTTP status: {status}");
        }
        if let Some(d) = err.details() {
            out.push_str(&wrap("details: ", &printable(d), WIDTH));
        }
        if let Some(t) = err.fbtrace_id() {
            let _ = writeln!(out, "fbtrace_id: {}", printable(t));
        }
        if let Some(r) = err.retry_after() {
            let _ = writeln!(
                out,
                "The server asked to wait {:.0} s before retrying.",
                r.as_secs_f64()
            );
        }
        if let Some(p) = err.partial().filter(|p| !p.is_empty()) {
            let _ = writeln!(out, "Finished before the failure:");
            out.push_str(&outcome_table(p, inputs));
        }
        let list = |users: &[&str]| printable(&users.join(", ")).into_owned();
        if !unknown.is_empty() {
            out.push_str(&wrap(
                "State unknown (sent, but no usable answer came; the server may have applied the change, so check the blocklist or send them again): ",
                &list(&unknown),
                WIDTH,
            ));
        }
        if !unchanged.is_empty() {
            out.push_str(&wrap(
                "Not attempted (never sent, or refused with the whole request; their state did not change): ",
                &list(&unchanged),
                WIDTH,
            ));
        }
        out
    }

    pub(crate) fn users_text(users: &[BlockedUser], format: Format) -> String {
        let mut out = String::new();
        match format {
            Format::Csv => {
                out.push_str("wa_id,user_id\n");
                for u in users {
                    let _ = writeln!(
                        out,
                        "{},{}",
                        csv_field(u.wa_id.as_deref()),
                        csv_field(u.user_id.as_deref())
                    );
                }
            }
            _ => {
                let w = users
                    .iter()
                    .filter_map(|u| u.wa_id.as_deref())
                    .map(str::len)
                    .max()
                    .unwrap_or(0)
                    .max("WA_ID".len());
                let _ = writeln!(out, "{:<w$}  USER_ID", "WA_ID");
                for u in users {
                    let _ = writeln!(
                        out,
                        "{:<w$}  {}",
                        printable(u.wa_id.as_deref().unwrap_or("-")),
                        printable(u.user_id.as_deref().unwrap_or("-"))
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    use crate::stream::tests::{mixed_inputs, mixed_outcome, odd_users, partial_error};

    fn written(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        write(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn tables_written_line_by_line_are_the_previous_builders_bytes() {
        let outcome = mixed_outcome();
        let inputs = mixed_inputs();
        assert!(!outcome.failed.is_empty() && !outcome.succeeded.is_empty());
        let table = written(|w| write_outcome_table(w, &outcome, &inputs));
        assert_eq!(table, oracle::outcome_table(&outcome, &inputs));
        assert_eq!(outcome_table(&outcome, &inputs), table);
        // Inputs in another order than the outcome's: the leftover rows still print.
        let reversed: Vec<String> = inputs.iter().rev().cloned().collect();
        assert_eq!(
            written(|w| write_outcome_table(w, &outcome, &reversed)),
            oracle::outcome_table(&outcome, &reversed)
        );

        let (inputs, err) = partial_error();
        let text = written(|w| write_error_text(w, &err, &inputs));
        assert!(text.contains("Finished before the failure:"), "{text}");
        assert!(text.contains("\\x1b[31m"), "{text}");
        assert_eq!(text, oracle::error_text(&err, &inputs));

        let users = odd_users();
        for format in [Format::Table, Format::Csv] {
            assert_eq!(
                written(|w| write_users(w, &users, format)),
                oracle::users_text(&users, format)
            );
            assert_eq!(
                written(|w| write_users(w, &[], format)),
                oracle::users_text(&[], format)
            );
        }
        // The table of `list --all`, from the rows kept during the walk.
        for list in [&users[..], &users[..1], &[]] {
            let mut rows = TableRows::default();
            for u in list {
                rows.push(u);
            }
            assert_eq!(rows.count, list.len());
            assert_eq!(
                written(|w| rows.write(w)),
                oracle::users_text(list, Format::Table)
            );
        }
        // The csv of `list --all`, written user by user as the walk reads them.
        let mut csv = CSV_HEADER.as_bytes().to_vec();
        for u in &users {
            write_csv_user(&mut csv, u).unwrap();
        }
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            oracle::users_text(&users, Format::Csv)
        );
    }

    #[test]
    fn wrap_keeps_to_the_width() {
        let text = "word ".repeat(60);
        let out = wrap("    hint:   ", &text, WIDTH);
        assert!(out.lines().count() > 2);
        for line in out.lines() {
            assert!(line.len() <= WIDTH, "{line:?}");
        }
        assert!(out.lines().nth(1).unwrap().starts_with("            word"));
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field(Some("123")), "123");
        assert_eq!(csv_field(Some("a,\"b")), "\"a,\"\"b\"");
        assert_eq!(csv_field(None), "");
    }
}
