//! Link arguments for the shared library: a soname, and a version script that exports only
//! `wablock_*` symbols (Rust's own symbols and std's stay local).

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_string());
    println!("cargo:rerun-if-changed=wablock.map");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwablock.so.0");
        println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={dir}/wablock.map");
    }
}
