#!/usr/bin/env bash
# Python for the `wablock` package: an interpreter with venv (make python-test builds its own
# virtualenv and installs the pinned tools from PyPI), and the dev files, whose libpython the
# extension crate links against when `cargo test --workspace` builds it outside maturin.
set -euo pipefail
PACKAGES=(python3 python3-venv python3-dev)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m venv --help >/dev/null
