#!/usr/bin/env bash
# Times corowire against tcpdump and tshark on the same mixed capture, in the
# same run, and measures corowire's peak memory at two file sizes.
#
# usage: bash benches/compare.sh [SIZE_MB ...]   (default: 1024 2048)
# Needs: tcpdump, tshark, python3; builds corowire in release mode.
# Files go to bench-data/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1024 2048)
mkdir -p bench-data
cargo build --release --quiet
bin=target/release/corowire

measure() { # label command... -> "label wall_s peak_kb"
  local label=$1; shift
  local t
  t=$(mktemp)
  /usr/bin/time -o "$t" -f '%e %M' "$@" >/dev/null 2>&1 || true
  printf '%-28s %8s s %10s KB\n' "$label" $(tail -n 1 "$t")
  rm -f "$t"
}

printf '%-28s %10s %13s\n' "tool (file)" "wall" "peak RSS"
for mb in "${sizes[@]}"; do
  f=bench-data/mixed-${mb}m.pcap
  [ -f "$f" ] || python3 benches/gen-mixed.py "$f" "$mb" >&2
  frames=$($bin decode -s --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["input"]["frames"])')
  cat "$f" >/dev/null   # page cache, so every tool reads from memory
  echo "--- $f: $frames frames"
  for i in 1 2 3; do measure "corowire decode -s #$i" "$bin" decode -s "$f"; done
  measure "tcpdump -r -w /dev/null" tcpdump -r "$f" -w /dev/null
  if [ "$mb" = "${sizes[0]}" ]; then
    measure "tshark -r (summary lines)" tshark -n -r "$f"
  fi
done
