#!/usr/bin/env bash
# Python for the `wablock` package: an interpreter with venv (make python-test builds its own
# virtualenv and installs the pinned tools from PyPI), and the dev files, whose libpython the
# extension crate links against when `cargo test --workspace` builds it outside maturin.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_need python3 python3-venv python3-dev
collect_only
python3 -m venv --help >/dev/null
