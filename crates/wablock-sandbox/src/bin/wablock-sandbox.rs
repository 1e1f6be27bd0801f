//! `wablock-sandbox`: serve the Block Users sandbox over HTTP.
//!
//! Prints the base URL as the first line of stdout, then serves until killed (or until stdin
//! closes, with `--exit-on-stdin-eof`).

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use wablock_sandbox::{MixedStyle, Sandbox, SandboxConfig};

const USAGE: &str = "\
wablock-sandbox: a local fake of the WhatsApp Business Block Users API (Meta and 360dialog)

USAGE:
    wablock-sandbox [OPTIONS]

OPTIONS:
    --host ADDR            address to bind (default 127.0.0.1)
    --port N               port to bind; 0 picks a free one (default 0)
    --open                 no 24-hour rule: any valid user can be blocked
    --latency-ms N         sleep N ms before every API response (default 0)
    --mixed-style 200|400  answer failed users as HTTP 200 (default) or HTTP 400 + 139100
    --demo                 seed the demo data (see docs/sandbox.md)
    --rate-limit N         allow N requests per second per phone number (130429 beyond)
    --access-token T       Meta bearer token to accept (default sandbox-token)
    --api-key K            360dialog D360-API-KEY to accept (default sandbox-key)
    --app-secret S         app secret that signs webhook payloads (default sandbox-app-secret)
    --webhook-url URL      POST each /_sandbox/inbound message's webhook there (http:// only)
    --exit-on-stdin-eof    exit when stdin closes (for test harnesses)
    -h, --help             show this help

The first line of stdout is the base URL, e.g. http://127.0.0.1:41234.
Control endpoints live under /_sandbox/ (see docs/sandbox.md).";

struct Args {
    host: IpAddr,
    port: u16,
    config: SandboxConfig,
    exit_on_stdin_eof: bool,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 0,
        config: SandboxConfig::default(),
        exit_on_stdin_eof: false,
    };
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--host" => {
                let v = value("--host")?;
                args.host = if v == "localhost" {
                    IpAddr::from([127, 0, 0, 1])
                } else {
                    v.parse()
                        .map_err(|_| format!("--host: {v:?} is not an IP address"))?
                };
            }
            "--port" => {
                let v = value("--port")?;
                args.port = v
                    .parse()
                    .map_err(|_| format!("--port: {v:?} is not a port number"))?;
            }
            "--open" => args.config.open = true,
            "--demo" => args.config.seed_demo = true,
            "--exit-on-stdin-eof" => args.exit_on_stdin_eof = true,
            "--latency-ms" => {
                let v = value("--latency-ms")?;
                let ms: u64 = v
                    .parse()
                    .map_err(|_| format!("--latency-ms: {v:?} is not a number of milliseconds"))?;
                args.config.latency = Duration::from_millis(ms);
            }
            "--mixed-style" => {
                let v = value("--mixed-style")?;
                args.config.mixed_style = match v.as_str() {
                    "200" => MixedStyle::Http200,
                    "400" => MixedStyle::Http400,
                    _ => return Err(format!("--mixed-style: {v:?} must be 200 or 400")),
                };
            }
            "--rate-limit" => {
                let v = value("--rate-limit")?;
                let n: u32 = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--rate-limit: {v:?} must be a positive integer"))?;
                args.config.rate_limit_per_second = Some(n);
            }
            "--access-token" => args.config.access_token = value("--access-token")?,
            "--api-key" => args.config.api_key = value("--api-key")?,
            "--app-secret" => args.config.app_secret = value("--app-secret")?,
            "--webhook-url" => {
                let v = value("--webhook-url")?;
                if !v.starts_with("http://") {
                    return Err(format!("--webhook-url: {v:?} must be an http:// URL"));
                }
                args.config.webhook_url = Some(v);
            }
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("wablock-sandbox: {e}");
            return ExitCode::from(64);
        }
    };
    let sandbox = match Sandbox::start_on(SocketAddr::new(args.host, args.port), args.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "wablock-sandbox: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return ExitCode::from(1);
        }
    };
    let url = match args.host {
        IpAddr::V6(_) => format!("http://[{}]:{}", args.host, sandbox.addr().port()),
        IpAddr::V4(_) => format!("http://{}:{}", args.host, sandbox.addr().port()),
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{url}").and_then(|()| out.flush()).is_err() {
        return ExitCode::from(1);
    }
    drop(out);
    if args.exit_on_stdin_eof {
        let mut sink = [0u8; 4096];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        sandbox.shutdown();
        return ExitCode::SUCCESS;
    }
    loop {
        std::thread::park();
    }
}
