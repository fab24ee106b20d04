#!/usr/bin/env bash
# Times `corowire report` against tcpdump's filter pass and `cat` on the same
# files, in the same run, and measures corowire's peak memory:
#   - a SPAN-like mix (gen-mixed.py, 5 % corosync),
#   - a corosync-only file (gen-repeat.py: healthy-3n-clear repeated, the
#     shape of an incident capture taken with a port filter),
#   - an encrypted-only file (healthy-3n-aes256-sha256-nss repeated, read
#     with its authkey),
# then peak RSS of `report` on corosync-only files of the RSS_MB sizes.
#
# usage: bash benches/compare.sh [EXTRA REPORT ARGS...]   (e.g. --threads 1)
# env:   MIX_MB (1024) COROSYNC_MB (512) CRYPTO_MB (256) RSS_MB ("256 2048"; "" for none)
#        RUNS (3) BIN (default: build target/release/corowire) TSHARK (0; 1: tshark once on the mix, minutes)
# Needs: tcpdump, python3 (tshark optional). Files go to bench-data/ (ignored by git).
# "speed" is tcpdump's wall time over corowire's in the same run: above 1.0
# corowire is faster. Each file's last row, "med", is the median of its runs.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=("$@")
MIX_MB=${MIX_MB:-1024}
COROSYNC_MB=${COROSYNC_MB:-512}
CRYPTO_MB=${CRYPTO_MB:-256}
RSS_MB=${RSS_MB-256 2048}
RUNS=${RUNS:-3}
TSHARK=${TSHARK:-0}
mkdir -p bench-data
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/corowire
fi
key=captures/healthy-3n-aes256-sha256-nss.authkey
filter=(udp portrange 5404-5412)

timed() { # command... -> "wall_s peak_kb"
  local t
  t=$(mktemp)
  /usr/bin/time -o "$t" -f '%e %M' "$@" >/dev/null 2>&1 || true
  tail -n 1 "$t"
  rm -f "$t"
}

median() { # numbers... -> their median
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

make_file() { # kind size_mb -> path
  local kind=$1 mb=$2 f
  case $kind in
    mix) f=bench-data/mixed-${mb}m.pcap
         [ -f "$f" ] || python3 benches/gen-mixed.py "$f" "$mb" >&2 ;;
    corosync) f=bench-data/corosync-${mb}m.pcap
         [ -f "$f" ] || python3 benches/gen-repeat.py "$f" "$mb" captures/healthy-3n-clear.pcap ;;
    crypto) f=bench-data/crypto-aes256-sha256-${mb}m.pcap
         [ -f "$f" ] || python3 benches/gen-repeat.py "$f" "$mb" captures/healthy-3n-aes256-sha256-nss.pcap ;;
  esac
  echo "$f"
}

bench() { # kind size_mb
  local kind=$1 mb=$2 f frames args=()
  f=$(make_file "$kind" "$mb")
  [ "$kind" = crypto ] && args=(--authkey "$key")
  frames=$("$BIN" decode -s --json "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["input"]["frames"])')
  cat "$f" >/dev/null   # page cache, so every tool reads from memory
  echo "--- $kind: $f, $((($(stat -L -c %s "$f") + 524288) / 1048576)) MB, $frames frames"
  printf '%-4s %14s %14s %10s %8s %12s\n' run "corowire s" "tcpdump s" "cat s" speed "peak RSS KB"
  local cs=() ts=() ks=() ss=() rs=()
  for i in $(seq 1 "$RUNS"); do
    local c t k s
    c=($(timed "$BIN" report "${args[@]}" "${extra[@]}" "$f"))
    t=($(timed tcpdump -r "$f" -w /dev/null "${filter[@]}"))
    k=($(timed cat "$f"))
    s=$(python3 -c "print(${t[0]} / max(${c[0]}, 0.005))")
    printf '%-4s %14s %14s %10s %7.2fx %12s\n' "#$i" "${c[0]}" "${t[0]}" "${k[0]}" "$s" "${c[1]}"
    cs+=("${c[0]}") ts+=("${t[0]}") ks+=("${k[0]}") ss+=("$s") rs+=("${c[1]}")
  done
  # The median of each column (the speed's is the median of the runs'
  # ratios): wall times on a shared machine move by tens of percent run
  # to run, and one number per file is what the issue's targets compare.
  printf '%-4s %14s %14s %10s %7.2fx %12s\n' med "$(median "${cs[@]}")" "$(median "${ts[@]}")" \
    "$(median "${ks[@]}")" "$(median "${ss[@]}")" "$(median "${rs[@]}")"
  if [ "$kind" = mix ] && [ "$TSHARK" = 1 ] && command -v tshark >/dev/null; then
    printf 'tshark -n -r (summary lines): %s s\n' "$(timed tshark -n -r "$f" | cut -d' ' -f1)"
  fi
}

echo "corowire: $BIN ${extra[*]}; $(nproc) cores; $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
bench mix "$MIX_MB"
bench corosync "$COROSYNC_MB"
bench crypto "$CRYPTO_MB"
echo "--- peak RSS of report on corosync-only files"
for mb in $RSS_MB; do
  f=$(make_file corosync "$mb")
  cat "$f" >/dev/null
  r=($(timed "$BIN" report "${extra[@]}" "$f"))
  printf '%6s MB: %8s s %10s KB\n' "$mb" "${r[0]}" "${r[1]}"
done
echo "done $(date -u +%FT%TZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
