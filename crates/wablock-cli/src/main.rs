//! `wablock`: block, unblock and list the users blocked on a WhatsApp Business phone number,
//! from the command line, against the real API or an embedded sandbox. `docs/cli.md` is the
//! manual; every behaviour comes from the `wablock` core, this binary only parses arguments
//! and prints.

mod args;
mod completions;
mod demo;
mod fleet;
mod input;
mod interrupt;
mod output;
mod stream;
mod window;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wablock::{Client, ClientBuilder, ErrorKind, Operation, Progress, RetryPolicy};
use wablock_sandbox::{Sandbox, SandboxConfig};

use args::{Cli, Command, Format, Global, ProviderArg};

/// Every user succeeded (or `check`: the user is blocked).
pub(crate) const EXIT_OK: u8 = 0;
/// Some users failed (or `check`: the user is not blocked).
pub(crate) const EXIT_SOME_FAILED: u8 = 1;
/// The call failed as a whole.
pub(crate) const EXIT_CALL_FAILED: u8 = 2;
/// Usage error: bad flags, unreadable input, missing credentials (sysexits' EX_USAGE).
pub(crate) const EXIT_USAGE: u8 = 64;
/// Stopped by Ctrl-C, after printing what happened to every user (128 + SIGINT, as shells say).
const EXIT_INTERRUPTED: u8 = 130;

/// An early exit: a message for stderr and the exit code.
pub(crate) struct Exit {
    pub(crate) code: u8,
    pub(crate) message: String,
}

pub(crate) fn usage(message: impl Into<String>) -> Exit {
    Exit {
        code: EXIT_USAGE,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(exit) => {
            if !exit.message.is_empty() {
                eprintln!("wablock: {}", exit.message);
            }
            ExitCode::from(exit.code)
        }
    }
}

/// `wablock list | head` closes stdout early; `println!` then panics. Exit quietly with the
/// shell's SIGPIPE status (141) instead of printing a backtrace, as C tools do.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// `--help` and `--version` exit 0 on stdout; every other parse failure is one line on
/// stderr and exit 64 (clap's own default would be 2, which here means "the call failed").
fn clap_exit(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    match err.kind() {
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            if err.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
                return ExitCode::from(EXIT_USAGE);
            }
            ExitCode::SUCCESS
        }
        _ => {
            // clap renders "error: …\n\nUsage: …\n\nFor more information…"; keep the first line.
            let text = err.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments")
                .trim()
                .trim_start_matches("error: ");
            eprintln!("wablock: {first} (see wablock --help)");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Exit> {
    let Cli { global, command } = cli;
    // Commands that take no connection or output flag refuse them instead of ignoring them.
    let flagless = |what: &str| -> Result<(), Exit> {
        if global.is_empty() {
            Ok(())
        } else {
            Err(usage(format!(
                "{what} takes no connection, tuning or output flag; drop them"
            )))
        }
    };
    match command {
        Command::Demo => {
            // `--sandbox` says what demo always does: accepted. Credentials or a URL would
            // suggest another server: refused.
            if global.has_connection_flags() {
                return Err(usage(
                    "demo always runs on its own embedded sandbox; it takes no credentials or URL (type: wablock demo)",
                ));
            }
            demo::run().map_err(|e| Exit {
                code: EXIT_CALL_FAILED,
                message: format!("demo failed: {e}"),
            })
        }
        Command::Completions { shell } => {
            flagless("completions")?;
            completions::print(shell)
        }
        Command::Man { dir } => {
            flagless("man")?;
            completions::man(dir.as_deref())
        }
        Command::Sandbox {
            command:
                args::SandboxCommand::Serve {
                    port,
                    open,
                    latency_ms,
                    webhook_url,
                    app_secret,
                },
        } => {
            flagless("sandbox serve")?;
            let mut config = SandboxConfig {
                open,
                latency: Duration::from_millis(latency_ms),
                seed_demo: true,
                ..SandboxConfig::default()
            };
            if let Some(url) = webhook_url {
                if !url.starts_with("http://") {
                    return Err(usage(format!(
                        "--webhook-url {}: the sandbox delivers over plain http:// only",
                        output::printable(&url)
                    )));
                }
                config.webhook_url = Some(url);
            }
            if let Some(secret) = app_secret {
                config.app_secret = secret;
            }
            serve(port, config)
        }
        Command::Block(block) => {
            let users = block.users;
            let g = global.merge(users.global);
            let format = output_format(&g, false)?;
            if block.when_possible {
                let list = input::read_users(
                    &users.users,
                    users.from_file.as_deref(),
                    users.column.as_deref(),
                )?;
                return window::block_when_possible(&g, format, &block.store, &list);
            }
            if block.store.store.is_some() {
                return Err(usage("--store is for block --when-possible"));
            }
            mutate(
                &g,
                format,
                Operation::Block,
                &users.users,
                &users.from_file,
                &users.column,
            )
        }
        Command::Pending { json, store } => {
            flagless("pending")?;
            window::pending(&store, json)
        }
        Command::Webhook { command } => window::webhook(global, command),
        Command::Unblock(users) => {
            let g = global.merge(users.global);
            let format = output_format(&g, false)?;
            mutate(
                &g,
                format,
                Operation::Unblock,
                &users.users,
                &users.from_file,
                &users.column,
            )
        }
        Command::List {
            global: after,
            limit,
            all,
            after: after_cursor,
            before,
        } => {
            let g = global.merge(after);
            let format = output_format(&g, true)?;
            if all && (after_cursor.is_some() || before.is_some()) {
                return Err(usage("--all walks the whole list; it takes no cursor"));
            }
            if fleet::wanted(&g) {
                if after_cursor.is_some() || before.is_some() {
                    return Err(usage(
                        "several numbers are listed in full (--all); a cursor belongs to one number",
                    ));
                }
                return fleet::list(&g, limit, format);
            }
            let conn = connect(&g)?;
            if all {
                Ok(output::list_all(&conn.client, limit, format))
            } else {
                let next_command = |cursor: &str| list_next_command(&g, limit, format, cursor);
                Ok(output::list_page(
                    &conn.client,
                    limit,
                    after_cursor.as_deref(),
                    before.as_deref(),
                    format,
                    &next_command,
                ))
            }
        }
        Command::Check {
            user,
            global: after,
        } => {
            let g = global.merge(after);
            let format = output_format(&g, false)?;
            if fleet::wanted(&g) {
                return fleet::check(&g, &user, format);
            }
            let conn = connect(&g)?;
            Ok(output::check(&conn.client, &user, format))
        }
    }
}

/// The output format `--json`/`--format` ask for; csv only where `csv_ok`.
fn output_format(g: &Global, csv_ok: bool) -> Result<Format, Exit> {
    if g.json && g.format.is_some_and(|f| f != Format::Json) {
        return Err(usage(
            "--json and --format cannot disagree; use one of them",
        ));
    }
    let format = if g.json {
        Format::Json
    } else {
        g.format.unwrap_or(Format::Table)
    };
    if format == Format::Csv && !csv_ok {
        return Err(usage("--format csv is only available for list"));
    }
    Ok(format)
}

fn serve(port: u16, config: SandboxConfig) -> Result<u8, Exit> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let sandbox = Sandbox::start_on(addr, config).map_err(|e| Exit {
        code: EXIT_CALL_FAILED,
        message: format!("cannot listen on {addr}: {e}"),
    })?;
    let mut out = std::io::stdout().lock();
    // The URL is the first line so that scripts can read it.
    let _ = writeln!(out, "{}", sandbox.base_url());
    let _ = writeln!(
        out,
        "wablock sandbox: Meta dialect at /{}/{}/block_users (Authorization: Bearer {}),",
        wablock::DEFAULT_API_VERSION,
        wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID,
        wablock_sandbox::DEFAULT_ACCESS_TOKEN
    );
    let _ = writeln!(
        out,
        "  360dialog dialect at /block_users (D360-API-KEY: {}); control endpoints under /_sandbox/.",
        wablock_sandbox::DEFAULT_API_KEY
    );
    let _ = writeln!(
        out,
        "  Try: WABLOCK_BASE_URL={} WABLOCK_PHONE_NUMBER_ID={} WABLOCK_ACCESS_TOKEN={} wablock list",
        sandbox.base_url(),
        wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID,
        wablock_sandbox::DEFAULT_ACCESS_TOKEN
    );
    let _ = writeln!(out, "  Press Ctrl-C to stop.");
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

/// A client, and the embedded sandbox it talks to when `--sandbox` is set (kept alive).
struct Connection {
    client: Client,
    _sandbox: Option<Sandbox>,
}

const CREDENTIALS_HELP: &str = "no credentials: set WABLOCK_PHONE_NUMBER_ID and WABLOCK_ACCESS_TOKEN \
(Meta), or WABLOCK_PROVIDER=360dialog and WABLOCK_API_KEY; or pass --phone-number-id/--access-token \
or --api-key; or add --sandbox to try it on the embedded sandbox";

fn connect(g: &Global) -> Result<Connection, Exit> {
    let (builder, sandbox) = if g.sandbox {
        if g.base_url.is_some() || g.access_token.is_some() || g.api_key.is_some() {
            return Err(usage(
                "--sandbox brings its own URL and credentials; drop --base-url, --access-token and --api-key",
            ));
        }
        let sandbox = Sandbox::start(SandboxConfig {
            seed_demo: true,
            ..SandboxConfig::default()
        })
        .map_err(|e| Exit {
            code: EXIT_CALL_FAILED,
            message: format!("cannot start the embedded sandbox: {e}"),
        })?;
        let builder = match g.provider {
            Some(ProviderArg::Dialog360) => Client::dialog360(wablock_sandbox::DEFAULT_API_KEY),
            _ => Client::meta(
                g.phone_number_id
                    .as_deref()
                    .unwrap_or(wablock_sandbox::demo::DEMO_PHONE_NUMBER_ID),
                wablock_sandbox::DEFAULT_ACCESS_TOKEN,
            ),
        }
        .base_url(sandbox.base_url());
        (builder, Some(sandbox))
    } else {
        if g.access_token.is_some() {
            eprintln!(
                "wablock: warning: --access-token is visible to other users in `ps`; prefer WABLOCK_ACCESS_TOKEN"
            );
        }
        if g.api_key.is_some() {
            eprintln!(
                "wablock: warning: --api-key is visible to other users in `ps`; prefer WABLOCK_API_KEY"
            );
        }
        (credentials_builder(g, |n| std::env::var(n).ok())?, None)
    };
    let builder = tune(builder, g)?;
    let client = builder.build().map_err(|e| {
        // Everything `build` checks came from flags or the environment: a usage error.
        usage(output::printable(&e.to_string()))
    })?;
    Ok(Connection {
        client,
        _sandbox: sandbox,
    })
}

/// Flags win over environment variables; the core's `from_lookup` does the rest, so the
/// CLI and every binding read the same variables the same way.
pub(crate) fn credentials_builder(
    g: &Global,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder, Exit> {
    let lookup = |name: &str| -> Option<String> {
        let flag = match name {
            "WABLOCK_PROVIDER" => g.provider.map(|p| p.as_env().to_string()),
            "WABLOCK_PHONE_NUMBER_ID" => g.phone_number_id.clone(),
            "WABLOCK_ACCESS_TOKEN" => g.access_token.clone(),
            "WABLOCK_API_KEY" => g.api_key.clone(),
            "WABLOCK_BASE_URL" => g.base_url.clone(),
            "WABLOCK_API_VERSION" => g.api_version.clone(),
            _ => None,
        };
        flag.or_else(|| env(name)).filter(|v| !v.trim().is_empty())
    };
    let provider = lookup("WABLOCK_PROVIDER").unwrap_or_else(|| "meta".into());
    let is_360 = matches!(
        provider.trim().to_ascii_lowercase().as_str(),
        "360dialog" | "dialog360"
    );
    let needed: &[&str] = if is_360 {
        &["WABLOCK_API_KEY"]
    } else {
        &["WABLOCK_PHONE_NUMBER_ID", "WABLOCK_ACCESS_TOKEN"]
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|n| lookup(n).is_none())
        .collect();
    if missing.len() == needed.len() {
        return Err(usage(CREDENTIALS_HELP));
    }
    if !missing.is_empty() {
        return Err(usage(format!(
            "{} is not set; {}",
            missing.join(" and "),
            CREDENTIALS_HELP.trim_start_matches("no credentials: ")
        )));
    }
    ClientBuilder::from_lookup(lookup).map_err(|e| usage(e.message().to_string()))
}

pub(crate) fn tune(mut b: ClientBuilder, g: &Global) -> Result<ClientBuilder, Exit> {
    if let Some(v) = &g.api_version {
        b = b.api_version(v.clone());
    }
    if let Some(p) = g.parallelism {
        b = b.parallelism(p);
    }
    if let Some(m) = g.max_batch {
        b = b.max_batch(m);
    }
    if let Some(t) = g.timeout {
        if !(t.is_finite() && t > 0.0 && t <= 86_400.0) {
            return Err(usage(format!(
                "--timeout {t}: it must be a number of seconds between 0 and 86400"
            )));
        }
        let d = Duration::from_secs_f64(t);
        b = b.connect_timeout(d).read_timeout(d);
    }
    if let Some(r) = g.retries {
        let policy = RetryPolicy {
            max_attempts: r.saturating_add(1),
            ..RetryPolicy::default()
        };
        b = b.retry_policy(policy);
    }
    Ok(b)
}

fn mutate(
    g: &Global,
    format: Format,
    op: Operation,
    args: &[String],
    from_file: &Option<String>,
    column: &Option<String>,
) -> Result<u8, Exit> {
    let users = input::read_users(args, from_file.as_deref(), column.as_deref())?;
    if fleet::wanted(g) {
        return fleet::mutate(g, format, op, &users);
    }
    let conn = connect(g)?;
    let max_batch = g.max_batch.unwrap_or(wablock::MAX_BATCH).max(1);
    // Distinct valid users decide how many batches run (the core dedupes the same way). Only
    // a terminal gets a bar, so only then are they counted (a set of 64,000 key copies is
    // not kept alive through the call otherwise), and the set is dropped once counted.
    let distinct = if users.len() > max_batch && std::io::stderr().is_terminal() {
        users
            .iter()
            .filter_map(|s| wablock::users::normalize_user(s).ok())
            .map(|id| id.key().to_string())
            .collect::<HashSet<String>>()
            .len()
    } else {
        0
    };
    let bar = (distinct > max_batch).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(distinct as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {wide_bar} {pos}/{len} users ({eta} left)",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let progress = |p: Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        }
        if interrupt::interrupted() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    interrupt::catch_ctrl_c();
    let result = conn.client.mutate(op, &users, Some(&progress));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(match result {
        Ok(outcome) => {
            output::print_outcome(&outcome, &users, format);
            if outcome.is_ok() {
                EXIT_OK
            } else {
                EXIT_SOME_FAILED
            }
        }
        Err(err) if err.kind() == ErrorKind::Cancelled && interrupt::interrupted() => {
            eprintln!(
                "wablock: interrupted (Ctrl-C): no new batch was sent after it; the batches in flight finished."
            );
            output::print_error(&err, &users, format);
            EXIT_INTERRUPTED
        }
        Err(err) => {
            output::print_error(&err, &users, format);
            EXIT_CALL_FAILED
        }
    })
}

/// The command that lists the page after `cursor` with the same options: every flag the
/// user gave that chooses the list or the output (never a secret: those stay in the
/// environment), each argument shell-quoted.
fn list_next_command(g: &Global, limit: Option<u32>, format: Format, cursor: &str) -> String {
    let mut args: Vec<String> = vec!["wablock".into()];
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            args.push(name.to_string());
            args.push(value);
        }
    };
    flag("--provider", g.provider.map(|p| p.as_env().to_string()));
    flag("--phone-number-id", g.phone_number_id.clone());
    flag("--base-url", g.base_url.clone());
    flag("--api-version", g.api_version.clone());
    flag("--timeout", g.timeout.map(|t| t.to_string()));
    flag("--retries", g.retries.map(|r| r.to_string()));
    if g.sandbox {
        args.push("--sandbox".into());
    }
    args.push("list".into());
    if let Some(limit) = limit {
        args.push("--limit".into());
        args.push(limit.to_string());
    }
    if format == Format::Csv {
        args.push("--format".into());
        args.push("csv".into());
    }
    args.push("--after".into());
    args.push(cursor.to_string());
    args.iter()
        .map(|a| output::shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn global(args: &[&str]) -> Global {
        let mut full = vec!["wablock"];
        full.extend_from_slice(args);
        full.push("demo");
        Cli::try_parse_from(full).unwrap().global
    }

    #[test]
    fn flags_override_env_and_missing_credentials_say_how() {
        let env = |n: &str| match n {
            "WABLOCK_PHONE_NUMBER_ID" => Some("111".to_string()),
            "WABLOCK_ACCESS_TOKEN" => Some("token-from-env".to_string()),
            _ => None,
        };
        let b = credentials_builder(&global(&["--phone-number-id", "222"]), env)
            .ok()
            .unwrap();
        let c = b.build().unwrap();
        assert!(
            c.endpoint().ends_with("/222/block_users"),
            "{}",
            c.endpoint()
        );

        let err = credentials_builder(&global(&[]), |_| None).err().unwrap();
        assert_eq!(err.code, EXIT_USAGE);
        assert!(err.message.contains("WABLOCK_ACCESS_TOKEN"));
        assert!(err.message.contains("--sandbox"));

        let err = credentials_builder(&global(&["--provider", "360dialog"]), env)
            .err()
            .unwrap();
        assert!(err.message.contains("WABLOCK_API_KEY"));
    }
}
