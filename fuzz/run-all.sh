#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) on the stable
# toolchain (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags).
# Usage: bash fuzz/run-all.sh [SECONDS] [extra libFuzzer args...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-20}
shift || true
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
mkdir -p corpus
# Start from real frames of the committed captures.
python3 seed.py corpus
for t in $(cargo fuzz list); do
  # analysis and tui run whole sequences of frames through the engine
  # (safe Rust only): ASan's allocator costs them 4x in runs per second
  # (~275/s with it, ~1,100/s without, for analysis), so they run without.
  san=address
  case "$t" in analysis | tui) san=none ;; esac
  echo "--- fuzz target $t: ${secs}s (sanitizer $san)"
  mkdir -p "corpus/$t"
  rc=0
  cargo fuzz run -s "$san" "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 "$@" >"corpus/$t.log" 2>&1 || rc=$?
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs|ERROR|panicked|SUMMARY' "corpus/$t.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "corpus/$t.log" >&2
    echo "fuzz target $t failed (exit $rc)" >&2
    exit 1
  fi
done
