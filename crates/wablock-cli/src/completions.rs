//! `wablock completions SHELL` and `wablock man [--dir DIR]`: clap's own generators
//! (clap_complete, clap_mangen) over the same command definition the parser uses.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::args::Cli;
use crate::input::io_reason;
use crate::output::printable;
use crate::{EXIT_CALL_FAILED, EXIT_OK, Exit};

/// Prints the completion script for `shell` on stdout.
pub fn print(shell: clap_complete::Shell) -> Result<u8, Exit> {
    let mut cmd = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails, and a reader
    // that stops early (`| head`, `| grep -q`) closes the pipe. A closed pipe is not an error.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "wablock", &mut script);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(&script);
    let _ = out.flush();
    Ok(EXIT_OK)
}

/// Prints the top-level man page on stdout, or writes one page per command into `dir`.
pub fn man(dir: Option<&Path>) -> Result<u8, Exit> {
    let cmd = Cli::command();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .map_err(|e| Exit {
                code: EXIT_CALL_FAILED,
                message: format!("cannot render the man page: {e}"),
            })?;
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&page);
        let _ = out.flush();
        return Ok(EXIT_OK);
    };
    let shown = printable(&dir.to_string_lossy()).into_owned();
    if !dir.is_dir() {
        return Err(crate::usage(format!(
            "--dir {shown}: no such directory; create it first (mkdir -p)"
        )));
    }
    clap_mangen::generate_to(cmd, dir).map_err(|e| Exit {
        code: EXIT_CALL_FAILED,
        message: format!("cannot write the man pages into {shown}: {}", io_reason(&e)),
    })?;
    println!("wrote the man pages (wablock.1 and one per command) into {shown}");
    Ok(EXIT_OK)
}
