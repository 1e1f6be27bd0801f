//! The Rust driver of the wablock benchmark: one scenario per process, measured from outside
//! by `bench/run.py` (wall time, CPU, peak RSS). Every driver (Rust, Python, C, pywa, httpx)
//! speaks the same command line and prints the same one-line JSON result, so the orchestrator
//! treats them alike:
//!
//! ```text
//! wablock-bench-driver MODE BASE_URL PHONE_NUMBER_ID TOKEN N
//!   idle    build a client and exit (N ignored): the RSS and CPU baseline
//!   block   block N distinct users in one call (batches of 1,000, default parallelism)
//!   list    walk the whole blocklist, N users per page
//!   block1  N calls blocking one (distinct) user each, each call timed in-process
//!   block1-thread  as block1, but each call runs on a fresh scoped thread that the caller
//!           waits for (a diagnostic: the Python package's per-call pattern, see
//!           docs/benchmarks.md)
//! ```
//!
//! Users are `+1555` followed by the index on 7 digits, identical in every driver.
//! `WABLOCK_BENCH_PARALLELISM=N` overrides the client's parallelism (a diagnostic; the
//! benchmark's main cells use the default, 4).

use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;

/// The benchmark's user `i`, the same string in every driver.
fn user(i: usize) -> String {
    // By hand, as `format!("+1555{i:07}")` would give: the harness's own cost of making the
    // inputs is counted in the driver's CPU, so it is kept small (the Python drivers' f-string
    // is C code too).
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = i;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let start = at.min(digits.len() - 7);
    let mut s = String::with_capacity(5 + digits.len() - start);
    s.push_str("+1555");
    s.extend(digits[start..].iter().map(|&b| char::from(b)));
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, url, phone, token, n] = args.as_slice() else {
        eprintln!(
            "usage: wablock-bench-driver idle|block|list|block1|block1-thread BASE_URL PHONE_ID TOKEN N"
        );
        return ExitCode::from(64);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a non-negative integer, got {n:?}");
        return ExitCode::from(64);
    };
    match run(mode, url, phone, token, n) {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("wablock-bench-driver: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(mode: &str, url: &str, phone: &str, token: &str, n: usize) -> Result<String, String> {
    let mut builder = wablock::Client::meta(phone, token).base_url(url);
    if let Ok(p) = std::env::var("WABLOCK_BENCH_PARALLELISM") {
        let p = p
            .parse()
            .map_err(|_| format!("WABLOCK_BENCH_PARALLELISM={p:?} is not a number"))?;
        builder = builder.parallelism(p);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let result = match mode {
        "idle" => json!({"mode": "idle", "count": 0}),
        "block" => {
            let users: Vec<String> = (0..n).map(user).collect();
            let start = Instant::now();
            let outcome = client.block(&users).map_err(|e| e.to_string())?;
            let work = start.elapsed().as_secs_f64();
            json!({"mode": "block", "count": outcome.succeeded.len(),
                   "failed": outcome.failed.len(), "requests": outcome.requests, "work_s": work})
        }
        "list" => {
            let page = u32::try_from(n).map_err(|_| format!("page size {n} is too large"))?;
            let start = Instant::now();
            let mut users = client.blocked_users(Some(page));
            let mut count = 0usize;
            for entry in users.by_ref() {
                entry.map_err(|e| e.to_string())?;
                count += 1;
            }
            let work = start.elapsed().as_secs_f64();
            json!({"mode": "list", "count": count, "requests": users.pages_requested(),
                   "work_s": work})
        }
        "block1" | "block1-thread" => {
            let threaded = mode == "block1-thread";
            let mut calls = Vec::with_capacity(n);
            let mut ok = 0usize;
            let start = Instant::now();
            for i in 0..n {
                let one = [user(i)];
                let t = Instant::now();
                let outcome = if threaded {
                    std::thread::scope(|s| s.spawn(|| client.block(&one)).join())
                        .map_err(|_| "the call's thread panicked".to_string())?
                } else {
                    client.block(&one)
                }
                .map_err(|e| e.to_string())?;
                calls.push(t.elapsed().as_secs_f64());
                ok += outcome.succeeded.len();
            }
            let work = start.elapsed().as_secs_f64();
            calls.sort_by(f64::total_cmp);
            let median = calls.get(calls.len() / 2).copied().unwrap_or(0.0);
            json!({"mode": mode, "count": ok, "requests": n, "work_s": work,
                   "per_call_median_s": median,
                   "per_call_mean_s": if n > 0 { work / n as f64 } else { 0.0 }})
        }
        other => return Err(format!("unknown mode {other:?}")),
    };
    Ok(result.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_is_the_formatted_index() {
        for i in [0, 7, 42, 1_234_567, 9_999_999, 12_345_678] {
            assert_eq!(super::user(i), format!("+1555{i:07}"));
        }
    }
}
