#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS (default 60) from the seeded corpus and prints
# one summary line per target (executions, exec/s, corpus size). Fails on any finding; the
# crashing input is left in fuzz/artifacts/<target>/ (copy it to fuzz/regressions/<target>/
# once the bug is fixed).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TOOLCHAIN="${FUZZ_TOOLCHAIN:-nightly}"
TARGETS="${FUZZ_TARGETS:-decode_outcome decode_page decode_error normalize_input webhook}"
mkdir -p ../build/fuzz
python3 seed_corpus.py
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo "+$TOOLCHAIN" fuzz build
status=0
for t in $TARGETS; do
  log="../build/fuzz/$t.log"
  echo "== fuzz $t for ${SECONDS_PER_TARGET} s"
  if ! cargo "+$TOOLCHAIN" fuzz run "$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
    echo "!! $t: finding or failure, see $log and fuzz/artifacts/$t/"
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5 || true
    status=1
  fi
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  rate=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  cov=$(grep -E '#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+).*/\1/' || true)
  echo "   $t: $execs executions, $rate exec/s; $cov"
done
exit $status
