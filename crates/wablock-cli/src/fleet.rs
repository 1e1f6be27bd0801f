//! Fan-out over several phone numbers (docs/fleet.md): `--phone-number-id A,B,…` (or
//! `WABLOCK_PHONE_NUMBER_ID=A,B`) for Meta, a keys file of `label=secret` lines
//! (`--keys-file PATH` or `WABLOCK_KEYS_FILE`) for 360dialog's one key per number. The
//! core's `Fleet` runs the calls; this module only builds it and prints its results.

use std::collections::HashSet;
use std::io::{self, Write};

use wablock::{Client, Fleet, FleetBlocklist, FleetResults, Operation, Outcome};
use wablock_sandbox::{Sandbox, SandboxConfig};

use crate::args::{Format, Global, ProviderArg};
use crate::input::io_reason;
use crate::output::{self, printable};
use crate::{EXIT_CALL_FAILED, EXIT_OK, EXIT_SOME_FAILED, Exit, credentials_builder, tune, usage};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn phone_number_ids(g: &Global) -> Option<String> {
    g.phone_number_id
        .clone()
        .or_else(|| env("WABLOCK_PHONE_NUMBER_ID"))
}

fn keys_file(g: &Global) -> Option<String> {
    g.keys_file.clone().or_else(|| env("WABLOCK_KEYS_FILE"))
}

/// True when the command fans out: several phone number IDs, or a keys file.
pub fn wanted(g: &Global) -> bool {
    keys_file(g).is_some() || phone_number_ids(g).is_some_and(|ids| ids.contains(','))
}

fn is_360(g: &Global) -> bool {
    match g.provider {
        Some(p) => p == ProviderArg::Dialog360,
        None => env("WABLOCK_PROVIDER").is_some_and(|p| {
            matches!(
                p.trim().to_ascii_lowercase().as_str(),
                "360dialog" | "dialog360"
            )
        }),
    }
}

/// The `label=secret` lines of a keys file, in order. Blank lines and `#` comments are
/// skipped. Errors name the line, never its text (it holds a secret).
fn read_keys_file(path: &str) -> Result<Vec<(String, String)>, Exit> {
    let shown = printable(path).into_owned();
    let text = std::fs::read_to_string(path).map_err(|e| {
        usage(format!(
            "cannot read the keys file {shown}: {}",
            io_reason(&e)
        ))
    })?;
    warn_if_readable_by_others(path, &shown);
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((label, secret)) = line.split_once('=') else {
            return Err(usage(format!(
                "the keys file {shown}, line {}: expected label=secret",
                i + 1
            )));
        };
        let (label, secret) = (label.trim(), secret.trim());
        if label.is_empty() || secret.is_empty() {
            return Err(usage(format!(
                "the keys file {shown}, line {}: the label and the secret must both be non-empty (label=secret)",
                i + 1
            )));
        }
        if !seen.insert(label.to_string()) {
            return Err(usage(format!(
                "the keys file {shown}, line {}: the label {} is used twice",
                i + 1,
                printable(label)
            )));
        }
        keys.push((label.to_string(), secret.to_string()));
    }
    if keys.is_empty() {
        return Err(usage(format!(
            "the keys file {shown} holds no label=secret line"
        )));
    }
    Ok(keys)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &str, shown: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o004 != 0 {
            eprintln!(
                "wablock: warning: the keys file {shown} is readable by every user; restrict it: chmod 600 {}",
                output::shell_quote(path)
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &str, _shown: &str) {}

/// The fleet, and the embedded sandbox it talks to under `--sandbox` (kept alive).
pub struct Connection {
    pub fleet: Fleet,
    _sandbox: Option<Sandbox>,
}

/// Builds the fleet: every number's client reads the same variables and flags as a single
/// client does, with its own phone number ID and secret.
pub fn connect(g: &Global) -> Result<Connection, Exit> {
    let keys = keys_file(g).map(|p| read_keys_file(&p)).transpose()?;
    let ids: Option<Vec<String>> = phone_number_ids(g).map(|ids| {
        ids.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let dialog = is_360(g);
    // (label, phone number ID for Meta, secret if the keys file holds one)
    let members: Vec<(String, Option<String>)> = if dialog {
        if ids.is_some() && g.phone_number_id.is_some() {
            return Err(usage(
                "360dialog takes no phone number ID: name its numbers in the keys file (label=API key)",
            ));
        }
        let Some(keys) = keys else {
            return Err(usage(
                "several 360dialog numbers need a keys file of label=API key lines: --keys-file PATH or WABLOCK_KEYS_FILE",
            ));
        };
        keys.into_iter().map(|(l, k)| (l, Some(k))).collect()
    } else {
        let keys = keys.unwrap_or_default();
        match ids {
            // The numbers named; each takes its token from the keys file, or the shared one.
            Some(ids) if !ids.is_empty() => ids
                .into_iter()
                .map(|id| {
                    let token = keys.iter().find(|(l, _)| *l == id).map(|(_, t)| t.clone());
                    (id, token)
                })
                .collect(),
            _ => keys.into_iter().map(|(l, t)| (l, Some(t))).collect(),
        }
    };
    if members.is_empty() {
        return Err(usage(
            "no phone number: pass --phone-number-id A,B,… or a keys file",
        ));
    }
    let sandbox = if g.sandbox {
        if g.base_url.is_some() || g.access_token.is_some() || g.api_key.is_some() {
            return Err(usage(
                "--sandbox brings its own URL and credentials; drop --base-url, --access-token and --api-key",
            ));
        }
        Some(
            Sandbox::start(SandboxConfig {
                seed_demo: true,
                ..SandboxConfig::default()
            })
            .map_err(|e| Exit {
                code: EXIT_CALL_FAILED,
                message: format!("cannot start the embedded sandbox: {e}"),
            })?,
        )
    } else {
        None
    };
    // Each number's own view of the flags: no shared ID, token or key, which come from
    // `lookup` below.
    let mut own = g.clone();
    own.phone_number_id = None;
    own.access_token = None;
    own.api_key = None;
    own.keys_file = None;
    let mut builder = Fleet::builder();
    for (label, secret) in members {
        let client_builder = match &sandbox {
            Some(sb) => {
                let b = if dialog {
                    Client::dialog360(
                        secret
                            .as_deref()
                            .unwrap_or(wablock_sandbox::DEFAULT_API_KEY),
                    )
                } else {
                    Client::meta(
                        &label,
                        secret
                            .as_deref()
                            .unwrap_or(wablock_sandbox::DEFAULT_ACCESS_TOKEN),
                    )
                };
                b.base_url(sb.base_url())
            }
            None => {
                let lookup = |name: &str| -> Option<String> {
                    match name {
                        "WABLOCK_PHONE_NUMBER_ID" if !dialog => Some(label.clone()),
                        "WABLOCK_ACCESS_TOKEN" if !dialog => secret
                            .clone()
                            .or_else(|| g.access_token.clone())
                            .or_else(|| env(name)),
                        "WABLOCK_API_KEY" if dialog => secret.clone(),
                        "WABLOCK_PHONE_NUMBER_ID" | "WABLOCK_API_KEY" | "WABLOCK_ACCESS_TOKEN" => {
                            None
                        }
                        _ => env(name),
                    }
                };
                credentials_builder(&own, lookup).map_err(|e| Exit {
                    code: e.code,
                    message: format!("number {}: {}", printable(&label), e.message),
                })?
            }
        };
        let client = tune(client_builder, g)?.build().map_err(|e| {
            usage(format!(
                "number {}: {}",
                printable(&label),
                printable(&e.to_string())
            ))
        })?;
        builder = builder.number(label, client);
    }
    let fleet = builder
        .build()
        .map_err(|e| usage(printable(&e.to_string()).into_owned()))?;
    Ok(Connection {
        fleet,
        _sandbox: sandbox,
    })
}

fn heading(w: &mut impl Write, label: &str) -> io::Result<()> {
    writeln!(w, "== number {} ==", printable(label))
}

/// Each number's outcome table (or error), under its heading, line by line.
fn write_mutate_table(
    w: &mut impl Write,
    results: &FleetResults<Outcome>,
    users: &[String],
) -> io::Result<()> {
    for entry in &results.entries {
        heading(w, &entry.label)?;
        match &entry.result {
            Ok(outcome) => output::write_outcome_table(w, outcome, users)?,
            Err(err) => {
                writeln!(w, "{}", output::error_line(err))?;
                output::write_error_text(w, err, users)?;
            }
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Each number's users in csv (`number,wa_id,user_id`) or as a table under its heading, line
/// by line.
fn write_list_text(
    w: &mut impl Write,
    labels: &[&str],
    list: &FleetBlocklist,
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        w.write_all(b"number,wa_id,user_id\n")?;
    }
    for &label in labels {
        let users = list
            .users
            .iter()
            .filter(move |u| u.blocked_on.iter().any(|l| l == label))
            .map(|u| &u.user);
        if format == Format::Csv {
            for u in users {
                writeln!(
                    w,
                    "{},{},{}",
                    output::csv_field(Some(label)),
                    output::csv_field(u.wa_id.as_deref()),
                    output::csv_field(u.user_id.as_deref())
                )?;
            }
            continue;
        }
        heading(w, label)?;
        if let Some((_, err)) = list.errors.iter().find(|(l, _)| l == label) {
            writeln!(w, "{}", output::error_line(err))?;
            writeln!(w, "(the list below stops where the error happened)")?;
        }
        output::write_users(w, users.clone(), format)?;
        writeln!(w, "{} blocked user(s).\n", users.count())?;
    }
    Ok(())
}

/// `block`/`unblock` on every number: exit 0 when every user succeeded on every number, 1
/// when some users were refused somewhere, 2 when some number's call failed as a whole.
pub fn mutate(g: &Global, format: Format, op: Operation, users: &[String]) -> Result<u8, Exit> {
    let conn = connect(g)?;
    let results = conn.fleet.mutate(op, users);
    if format == Format::Json {
        crate::stream::print_json(|w| crate::stream::write_fleet_outcomes(w, &results));
    } else {
        crate::stream::print(|w| write_mutate_table(w, &results, users));
    }
    for (label, err) in results.errors() {
        eprintln!(
            "wablock: number {}: {}",
            printable(label),
            output::error_line(err)
        );
    }
    Ok(exit_code(&results, Outcome::is_ok))
}

fn exit_code<T>(results: &FleetResults<T>, ok: impl Fn(&T) -> bool) -> u8 {
    if results.errors().next().is_some() {
        EXIT_CALL_FAILED
    } else if results
        .entries
        .iter()
        .all(|e| e.result.as_ref().is_ok_and(&ok))
    {
        EXIT_OK
    } else {
        EXIT_SOME_FAILED
    }
}

/// `check USER` on every number: 0 blocked on every number, 1 not blocked on some, 2 some
/// number's call failed.
pub fn check(g: &Global, user: &str, format: Format) -> Result<u8, Exit> {
    let conn = connect(g)?;
    let results = conn.fleet.is_blocked(user);
    if format == Format::Json {
        println!("{}", results.to_canonical_json());
    } else {
        crate::stream::print(|w| {
            for entry in &results.entries {
                let label = printable(&entry.label);
                match &entry.result {
                    Ok(true) => writeln!(w, "number {label}: {} is blocked.", printable(user))?,
                    Ok(false) => {
                        writeln!(w, "number {label}: {} is not blocked.", printable(user))?
                    }
                    Err(err) => writeln!(w, "number {label}: {}", output::error_line(err))?,
                }
            }
            Ok(())
        });
    }
    Ok(exit_code(&results, |b| *b))
}

/// `list` on every number: every page of each, merged (the core's `FleetBlocklist`), the
/// table grouped by number. Exit 2 when some number's walk failed.
pub fn list(g: &Global, page_size: Option<u32>, format: Format) -> Result<u8, Exit> {
    let conn = connect(g)?;
    let list = conn.fleet.blocked_users(page_size);
    if format == Format::Json {
        crate::stream::print_json(|w| crate::stream::write_fleet_blocklist(w, &list));
    } else {
        let labels: Vec<&str> = conn.fleet.labels().collect();
        crate::stream::print(|w| write_list_text(w, &labels, &list, format));
    }
    for (label, err) in &list.errors {
        eprintln!(
            "wablock: number {}: {}",
            printable(label),
            output::error_line(err)
        );
    }
    Ok(if list.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_CALL_FAILED
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::fmt::Write as _;

    use wablock::{FleetBlockedUser, FleetEntry};

    use super::*;
    use crate::stream::tests::{mixed_inputs, mixed_outcome, odd_users, partial_error};

    fn old_heading(label: &str) -> String {
        format!("== number {} ==\n", printable(label))
    }

    /// The previous builder of the fleet's block/unblock table (one `String`), verbatim.
    fn old_mutate_table(results: &FleetResults<Outcome>, users: &[String]) -> String {
        let mut out = String::new();
        for entry in &results.entries {
            out.push_str(&old_heading(&entry.label));
            match &entry.result {
                Ok(outcome) => out.push_str(&output::oracle::outcome_table(outcome, users)),
                Err(err) => {
                    let _ = writeln!(out, "{}", output::error_line(err));
                    out.push_str(&output::oracle::error_text(err, users));
                }
            }
            out.push('\n');
        }
        out
    }

    /// The previous builders of the fleet's list csv and table (one `String`), verbatim.
    fn old_list_text(labels: &[&str], list: &FleetBlocklist, format: Format) -> String {
        match format {
            Format::Csv => {
                let mut out = String::from("number,wa_id,user_id\n");
                for &label in labels {
                    for u in list
                        .users
                        .iter()
                        .filter(|u| u.blocked_on.iter().any(|l| l == label))
                    {
                        let _ = writeln!(
                            out,
                            "{},{},{}",
                            output::csv_field(Some(label)),
                            output::csv_field(u.user.wa_id.as_deref()),
                            output::csv_field(u.user.user_id.as_deref())
                        );
                    }
                }
                out
            }
            _ => {
                let mut out = String::new();
                for &label in labels {
                    out.push_str(&old_heading(label));
                    if let Some((_, err)) = list.errors.iter().find(|(l, _)| l == label) {
                        let _ = writeln!(out, "{}", output::error_line(err));
                        let _ = writeln!(out, "(the list below stops where the error happened)");
                    }
                    let users: Vec<wablock::BlockedUser> = list
                        .users
                        .iter()
                        .filter(|u| u.blocked_on.iter().any(|l| l == label))
                        .map(|u| u.user.clone())
                        .collect();
                    out.push_str(&output::oracle::users_text(&users, format));
                    let _ = writeln!(out, "{} blocked user(s).\n", users.len());
                }
                out
            }
        }
    }

    fn written(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut buf = Vec::new();
        write(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn fleet_tables_written_line_by_line_are_the_previous_builders_bytes() {
        let outcome = mixed_outcome();
        let (_, err) = partial_error();
        let inputs = mixed_inputs();
        let results = FleetResults {
            entries: vec![
                FleetEntry {
                    label: "2000".to_string(),
                    result: Ok(outcome),
                },
                FleetEntry {
                    label: "1000\u{1b}".to_string(),
                    result: Err(err),
                },
            ],
        };
        assert_eq!(
            written(|w| write_mutate_table(w, &results, &inputs)),
            old_mutate_table(&results, &inputs)
        );

        let users = odd_users();
        let (_, err) = partial_error();
        let labels = ["b", "a", "c,\"d"];
        let list = FleetBlocklist {
            users: users
                .into_iter()
                .enumerate()
                .map(|(i, user)| FleetBlockedUser {
                    user,
                    blocked_on: match i % 3 {
                        0 => vec!["b".to_string(), "a".to_string()],
                        1 => vec!["a".to_string()],
                        _ => vec!["b".to_string(), "c,\"d".to_string()],
                    },
                })
                .collect(),
            errors: vec![("a".to_string(), err)],
        };
        let empty = FleetBlocklist {
            users: vec![],
            errors: vec![],
        };
        for format in [Format::Table, Format::Csv] {
            assert_eq!(
                written(|w| write_list_text(w, &labels, &list, format)),
                old_list_text(&labels, &list, format)
            );
            assert_eq!(
                written(|w| write_list_text(w, &labels, &empty, format)),
                old_list_text(&labels, &empty, format)
            );
        }
    }
}
