//! Fan-out over several phone numbers (docs/fleet.md): `--phone-number-id A,B,…` (or
//! `WABLOCK_PHONE_NUMBER_ID=A,B`) for Meta, a keys file of `label=secret` lines
//! (`--keys-file PATH` or `WABLOCK_KEYS_FILE`) for 360dialog's one key per number. The
//! core's `Fleet` runs the calls; this module only builds it and prints its results.

use std::collections::HashSet;
use std::fmt::Write as _;

use wablock::{Client, Fleet, FleetResults, Operation, Outcome};
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

fn heading(label: &str) -> String {
    format!("== number {} ==\n", printable(label))
}

/// `block`/`unblock` on every number: exit 0 when every user succeeded on every number, 1
/// when some users were refused somewhere, 2 when some number's call failed as a whole.
pub fn mutate(g: &Global, format: Format, op: Operation, users: &[String]) -> Result<u8, Exit> {
    let conn = connect(g)?;
    let results = conn.fleet.mutate(op, users);
    if format == Format::Json {
        println!("{}", results.to_canonical_json());
    } else {
        let mut out = String::new();
        for entry in &results.entries {
            out.push_str(&heading(&entry.label));
            match &entry.result {
                Ok(outcome) => out.push_str(&output::outcome_table(outcome, users)),
                Err(err) => {
                    let _ = writeln!(out, "{}", output::error_line(err));
                    out.push_str(&output::error_text(err, users));
                }
            }
            out.push('\n');
        }
        print!("{out}");
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
        let mut out = String::new();
        for entry in &results.entries {
            let label = printable(&entry.label);
            let _ = match &entry.result {
                Ok(true) => writeln!(out, "number {label}: {} is blocked.", printable(user)),
                Ok(false) => writeln!(out, "number {label}: {} is not blocked.", printable(user)),
                Err(err) => writeln!(out, "number {label}: {}", output::error_line(err)),
            };
        }
        print!("{out}");
    }
    Ok(exit_code(&results, |b| *b))
}

/// `list` on every number: every page of each, merged (the core's `FleetBlocklist`), the
/// table grouped by number. Exit 2 when some number's walk failed.
pub fn list(g: &Global, page_size: Option<u32>, format: Format) -> Result<u8, Exit> {
    let conn = connect(g)?;
    let list = conn.fleet.blocked_users(page_size);
    match format {
        Format::Json => println!("{}", list.to_canonical_json()),
        Format::Csv => {
            let mut out = String::from("number,wa_id,user_id\n");
            for label in conn.fleet.labels() {
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
            print!("{out}");
        }
        Format::Table => {
            let mut out = String::new();
            for label in conn.fleet.labels() {
                out.push_str(&heading(label));
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
                out.push_str(&output::users_text(&users, format));
                let _ = writeln!(out, "{} blocked user(s).\n", users.len());
            }
            print!("{out}");
        }
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
