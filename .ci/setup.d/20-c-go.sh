#!/usr/bin/env bash
# C and Go bindings: a C compiler, cJSON and libcurl for the C conformance runner, valgrind for
# the leak run, pkg-config for the install check. Go (1.23+, for iter.Seq2) ships with the
# machine image; Debian's golang-go is too old, so it is checked, not installed.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_need gcc libc6-dev make pkg-config valgrind libcjson-dev libcurl4-openssl-dev binutils
collect_only
export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "20-c-go: go is not installed: bindings/go needs Go 1.23 or later; install it and put it on the PATH" >&2
  exit 1
fi
minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [ "${minor:-0}" -lt 23 ]; then
  echo "20-c-go: $(go env GOVERSION) is too old: bindings/go needs Go 1.23 or later" >&2
  exit 1
fi
