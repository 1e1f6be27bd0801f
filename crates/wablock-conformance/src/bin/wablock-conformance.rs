//! `wablock-conformance [--only SUBSTRING] [--record-to DIR]`: runs the conformance vectors
//! against the sandbox binary and prints a report (exit 0 when the suite passes).
//!
//! `--record-to DIR` also writes, per vector, `{"result": …, "requests": […]}` as the core
//! produced them: a starting point for a new vector's `expect`, to be checked against docs/behaviour.md by
//! hand before it is committed.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use wablock_conformance as conf;

fn main() -> ExitCode {
    let mut only: Option<String> = None;
    let mut record: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => only = args.next(),
            "--record-to" => record = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: wablock-conformance [--only SUBSTRING] [--record-to DIR]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("wablock-conformance: unknown argument {other:?}");
                return ExitCode::from(64);
            }
        }
    }
    let run = || -> Result<bool, String> {
        let mut vectors = conf::load_vectors(&conf::vectors_dir())?;
        if let Some(o) = &only {
            vectors.retain(|v| v.file_stem.contains(o.as_str()));
        }
        let sandbox = conf::SandboxProcess::start(&conf::find_sandbox_binary()?)?;
        if let Some(dir) = &record {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            for v in &vectors {
                let actual = conf::run_vector(&sandbox, v)?;
                let out = json!({"result": actual.result,
                                 "requests": conf::recorded_requests(&actual)});
                let path = dir.join(format!("{}.json", v.file_stem));
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?,
                )
                .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            println!(
                "recorded {} vector(s) into {}",
                vectors.len(),
                dir.display()
            );
            return Ok(true);
        }
        let verdicts = conf::run_all(&sandbox, &vectors, Some(&conf::results_dir()));
        let (text, ok) = conf::report(&verdicts);
        print!("{text}");
        Ok(ok)
    };
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("wablock-conformance: {e}");
            ExitCode::from(2)
        }
    }
}
