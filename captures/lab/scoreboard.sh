#!/bin/bash
# Print the accuracy scoreboard of issue 13 (tests/accuracy_matrix.rs) over
# the committed corpus and a directory of recorded scenarios.
#
#   captures/lab/scoreboard.sh                     corpus + /work/lab-out
#   captures/lab/scoreboard.sh DIR[:DIR...]        corpus + these folders
#   captures/lab/scoreboard.sh -o FILE [DIR...]    also save the scoreboard
#   WRITE_FLOORS=1 captures/lab/scoreboard.sh ...  rewrite the floors from
#                                                  this run (after an improvement)
#
# DIR holds NAME.truth.json files, directly or one folder down
# (/work/lab-out/NAME/, captures/matrix/). Builds the release binary once
# and runs it (COROWIRE_BIN); COROWIRE_MATRIX_JOBS sets the parallel runs
# (default 2). Exit status: the test's (non-zero when a scenario fell
# below its floor).
set -eu
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=
if [ "${1:-}" = -o ]; then
    out=$2
    shift 2
fi
matrix=${1:-/work/lab-out}
cargo build --release --quiet
export COROWIRE_BIN="$PWD/target/release/corowire" COROWIRE_MATRIX="$matrix"
if [ -n "${WRITE_FLOORS:-}" ]; then
    export COROWIRE_MATRIX_WRITE_FLOORS=1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --quiet --test accuracy_matrix -- --nocapture >"$log" 2>&1
rc=$?
set -e
# the scoreboard: from its title to the test harness's next line
awk '/^ACCURACY SCOREBOARD/ { on = 1 } on && /^([.F]$|test |running )/ { exit } on' "$log" >"$log.board"
if [ -s "$log.board" ]; then
    cat "$log.board"
else
    cat "$log"
fi
if [ -n "$out" ]; then
    cp "$log.board" "$out"
fi
rm -f "$log.board"
exit $rc
