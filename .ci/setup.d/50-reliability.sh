#!/usr/bin/env bash
# Reliability area: `make fuzz-smoke` needs a nightly toolchain and cargo-fuzz (libFuzzer with
# sanitizer coverage). `make test` does not: its fault suite, property tests and seed replay run
# on stable. So this step is best effort: a machine that cannot fetch nightly still passes CI,
# and says so.
set -uo pipefail
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || echo "reliability setup: nightly toolchain unavailable; make fuzz-smoke will not run here"
fi
if ! command -v cargo-fuzz >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --locked -j 2 >/dev/null 2>&1 \
    || echo "reliability setup: cargo-fuzz could not be installed; make fuzz-smoke will not run here"
fi
command -v python3 >/dev/null 2>&1 || echo "reliability setup: python3 missing (fuzz/seed_corpus.py)"
exit 0
