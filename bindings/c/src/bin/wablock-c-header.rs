//! Writes the C header of libwablock with the pinned cbindgen library.
//!
//! Usage: `wablock-c-header OUT.h` (run by `make c-header`; `make c-test` runs it into a
//! temporary file and diffs the result against the committed `include/wablock.h`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: wablock-c-header OUT.h");
        return ExitCode::from(2);
    };
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wablock-c-header: cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    // cbindgen does not export string constants; the version string comes from Cargo.
    config.after_includes = Some(format!(
        "\n/** This library's version, \"MAJOR.MINOR.PATCH\", as the header was generated. */\n#define WABLOCK_VERSION \"{}\"",
        env!("CARGO_PKG_VERSION")
    ));
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("wablock-c-header: {e}");
            return ExitCode::FAILURE;
        }
    };
    bindings.write_to_file(&out);
    ExitCode::SUCCESS
}
