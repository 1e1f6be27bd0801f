#!/usr/bin/env bash
# `make fuzz-build` / `make fuzz-smoke` need a nightly toolchain and cargo-fuzz (libFuzzer with
# sanitizer coverage); `make test` does not (its fault suite, property tests and seed replay run
# on stable), so CI does not install them. Best effort: a machine that cannot fetch nightly says
# so instead of hanging (the download is bounded in time).
set -uo pipefail
if ! rustup toolchain list | grep -q '^nightly'; then
  timeout 600 rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || echo "reliability setup: nightly toolchain unavailable; make fuzz-smoke will not run here"
fi
if ! command -v cargo-fuzz >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --locked -j 2 >/dev/null 2>&1 \
    || echo "reliability setup: cargo-fuzz could not be installed; make fuzz-smoke will not run here"
fi
command -v python3 >/dev/null 2>&1 || echo "reliability setup: python3 missing (fuzz/seed_corpus.py)"
exit 0
