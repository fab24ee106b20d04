#!/usr/bin/env bash
# Load bench for `corowire live` (not a timed test; needs root, corosync,
# iproute2, nft, tcpdump, tmux, gcc, python3).
#
# What it does, in namespaces of its own (prefix cwb, network 10.78.0.0/24;
# the capture lab's functions from captures/lab/lab.sh):
#   1. a 3-node corosync 3 / knet cluster on one bridge (cwb-br0 in cwb-hub)
#      and two flood endpoints on the same bridge (cwb-fa -> cwb-fb, UDP to
#      port 9, dropped at cwb-fb's prerouting hook: non-corosync traffic);
#   2. `corowire live -i cwb-br0 --promisc --report-every 5s --format json`
#      (headless) and, in parallel on the same bridge with the same kernel
#      filter, `tcpdump` writing a reference pcap (nanosecond stamps);
#   3. benches/udpflood (sendmmsg, batches of 64) floods for FLOOD_SECS at
#      FLOOD_PPS (0 = as fast as it goes) with FLOOD_SENDERS processes;
#   4. the same flood again with the interactive TUI (`corowire live -i` in
#      tmux): the time from a key press ('?') to the help overlay on screen,
#      with and without the flood, and the same for a trivial raw-mode
#      program in another tmux window (the control: how slow the machine is);
#   5. idle CPU of the TUI: 30 s in tmux on a silent interface, and 30 s on
#      the cluster's own traffic with no flood.
#
# How "no corosync packet lost in user space" is measured: every report
# carries libpcap's counters for corowire's socket (`received` = passed the
# kernel filter, `dropped` = lost because the ring was full) and `frames`
# (frames corowire read). The reference is tcpdump's pcap on the same
# bridge: the packets in it between corowire's first and last packet time
# (capture.first_ts .. capture.last_ts of the last interval report) must
# equal corowire's count (both sockets see the same skb timestamps). The
# flood rate is the flood port's rx_packets in /sys/class/net over the
# flood; CPU is utime+stime from /proc/PID/stat over wall time.
#
# usage: sudo bash benches/live-load.sh
# env:   FLOOD_PPS (0), FLOOD_SENDERS (2), FLOOD_SECS (30), IDLE_SECS (30),
#        BIN (default: target/release/corowire, built with --features live),
#        LAB_NS_PREFIX (cwb). Results: a summary on stdout, files in $OUT
#        (default bench-data/live-load).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FLOOD_PPS=${FLOOD_PPS:-0}
FLOOD_SENDERS=${FLOOD_SENDERS:-2}
FLOOD_SECS=${FLOOD_SECS:-30}
IDLE_SECS=${IDLE_SECS:-30}
OUT=${OUT:-$ROOT/bench-data/live-load}
BIN=${BIN:-}
mkdir -p "$OUT"
rm -f "$OUT"/*

if [ -z "$BIN" ]; then
    cargo build --release --features live --quiet || exit 1
    BIN=$ROOT/target/release/corowire
fi
gcc -O2 -Wall -o "$OUT/udpflood" benches/udpflood.c || exit 1

# shellcheck source=../captures/lab/lab.sh
source captures/lab/lab.sh
NS_PREFIX=${LAB_NS_PREFIX:-cwb}; HUB=$NS_PREFIX-hub; NET_PREFIX=10.78
NODES=3; LINKS=1; TRANSPORT=knet; TOKEN=3000; LINK_MODE=passive; PMTUD_INTERVAL=30
CRYPTO_CIPHER=none; CRYPTO_HASH=none
WORK=$(mktemp -d)
TMUX_SOCK=$NS_PREFIX-bench-$$
bench_cleanup() {
    local s
    for s in "$TMUX_SOCK" "$TMUX_SOCK"-idle1 "$TMUX_SOCK"-idle2 "$TMUX_SOCK"-idle3; do
        tmux -L "$s" kill-server 2>/dev/null
        rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$s"
    done
    cleanup
}
trap bench_cleanup EXIT INT TERM
BR=$NS_PREFIX-br0
FILTER='udp portrange 5404-5412 or (ip and ip[6:2] & 0x1fff != 0 and ip[9] == 17) or (ip6 and ip6[6] == 44 and ip6[40] == 17) or (icmp and icmp[0] == 3 and icmp[1] == 4) or (icmp6 and ip6[40] == 2)'

netns_up
start_cluster
wait_formed 60
log "cluster formed"

# Flood endpoints on the same bridge.
for x in a b; do
    ns=$NS_PREFIX-f$x
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "f$x" netns "$HUB" type veth peer name eth0 netns "$ns"
    ip -n "$HUB" link set "f$x" master "$BR" up
    ip -n "$ns" addr add "$NET_PREFIX.0.20$([ $x = a ] && echo 1 || echo 2)/24" dev eth0
    ip -n "$ns" link set eth0 up
done
FB_IP=$NET_PREFIX.0.202
ip netns exec "$NS_PREFIX-fb" nft -f - <<EOF
table ip sink {
    chain pre { type filter hook prerouting priority -300; udp dport 9 drop; }
}
EOF
# Resolve the sink's address and teach the bridge where it is.
ip netns exec "$NS_PREFIX-fa" "$OUT/udpflood" "$FB_IP" 9 0.3 1000 2>/dev/null
[ "$(ip netns exec "$HUB" cat /sys/class/net/fb/statistics/tx_packets)" -gt 100 ] || die "flood path down"

cpu_ticks() {   # pid -> utime + stime in clock ticks (0 when there is no such process)
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
    # the command name (field 2) has no spaces here: corowire
    awk '{print $14 + $15}' "/proc/$1/stat"
}
CLK_TCK=$(getconf CLK_TCK)
rx_flood() { ip netns exec "$HUB" cat /sys/class/net/fa/statistics/rx_packets; }

flood() {   # seconds -> runs FLOOD_SENDERS floods in the background, pids in FLOOD_PIDS
    FLOOD_PIDS=""
    local per=0 i
    [ "$FLOOD_PPS" != 0 ] && per=$((FLOOD_PPS / FLOOD_SENDERS))
    for i in $(seq 1 "$FLOOD_SENDERS"); do
        ip netns exec "$NS_PREFIX-fa" "$OUT/udpflood" "$FB_IP" 9 "$1" "$per" 18 2>>"$OUT/flood.err" &
        FLOOD_PIDS="$FLOOD_PIDS $!"
    done
}

# ------------------------------------------------------------ 1: headless
log "phase 1: headless live + tcpdump reference, ${FLOOD_SECS}s flood"
# --immediate-mode: a packet is written as soon as it arrives (with block
# reads, the last second's packets would be lost when tcpdump is stopped).
ip netns exec "$HUB" tcpdump -i "$BR" -p -n -s 0 -B 8192 --time-stamp-precision nano -U --immediate-mode \
    -w "$OUT/ref.pcap" "$FILTER" 2>"$OUT/tcpdump.err" &
TCPDUMP=$!
sleep 1
ip netns exec "$HUB" "$BIN" live -i "$BR" --promisc --report-every 5s --format json \
    >"$OUT/headless.jsonl" 2>"$OUT/headless.err" &
CW=$!
sleep 3
c0=$(cpu_ticks $CW); w0=$(date +%s.%N); r0=$(rx_flood)
flood "$FLOOD_SECS"
# shellcheck disable=SC2086
wait $FLOOD_PIDS
c1=$(cpu_ticks $CW); w1=$(date +%s.%N); r1=$(rx_flood)
sleep 7   # one more report after the flood
kill -TERM $CW; wait $CW 2>/dev/null   # writes its final report
sleep 2   # the reference must outlast corowire's window
kill -INT $TCPDUMP; wait $TCPDUMP 2>/dev/null
python3 - "$OUT" "$c0" "$c1" "$w0" "$w1" "$r0" "$r1" "$CLK_TCK" <<'EOF' | tee "$OUT/summary.txt"
import json, struct, sys
out, c0, c1, w0, w1, r0, r1, tck = sys.argv[1:]
wall = float(w1) - float(w0)
reports = [json.loads(l) for l in open(f"{out}/headless.jsonl") if l.strip()]
last = reports[-1]
src, cap = last["source"], last["capture"]
first_ns = round(cap["first_ts"] * 1e9)
last_ns = round(cap["last_ts"] * 1e9)
def pcap_ts(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        scale = 1 if magic == 0xA1B23C4D else 1000
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            s, frac, incl, _ = struct.unpack("<IIII", rh)
            f.seek(incl, 1)
            yield s * 1_000_000_000 + frac * scale
ref = sum(1 for t in pcap_ts(f"{out}/ref.pcap") if first_ns - 1000 <= t <= last_ns + 1000)
ps = src["pcap_stats"] or {}
print(f"flood: {int(r1) - int(r0)} packets in {wall:.1f} s = {(int(r1) - int(r0)) / wall:,.0f} pps "
      "(rx_packets of the flood port on the bridge)")
print(f"corowire headless: {len(reports)} reports; corosync packets {cap['packets']}, frames read {src['frames']}")
print(f"reference (tcpdump, same filter, same window): {ref} packets")
print(f"difference: {ref - src['frames']} (reference - corowire frames)")
print(f"pcap_stats: received {ps.get('received')} dropped {ps.get('dropped')} if_dropped {ps.get('if_dropped')}")
print(f"corowire CPU during the flood: {100 * (int(c1) - int(c0)) / int(tck) / wall:.1f} % of a core")
EOF
grep -h "sent\|packets" "$OUT/flood.err" "$OUT/tcpdump.err" | sed 's/^/  /'

# ------------------------------------------------------------ 2: TUI under load
log "phase 2: interactive TUI under the same flood"
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s cw -x 100 -y 30 \
    "ip netns exec $HUB $BIN live -i $BR --promisc; sleep 30"
sleep 4
TUI=$(pgrep -f "^$BIN live -i $BR --promisc" | head -1)
wait_screen() {   # pane present(1)|absent(0) text -> waits at most 10 s; 1 on timeout
    local i
    for i in $(seq 1 1000); do
        if tmux -L "$TMUX_SOCK" capture-pane -p -t "$1" | grep -q -- "$3"; then
            [ "$2" = 1 ] && return 0
        else
            [ "$2" = 0 ] && return 0
        fi
        sleep 0.01
    done
    return 1
}
keylat() {   # pane -> LAT: five key-to-screen times in ms ("timeout" after 10 s)
    LAT=""
    local t0 t1 pane=$1
    for _ in 1 2 3 4 5; do
        t0=$(date +%s%N)
        tmux -L "$TMUX_SOCK" send-keys -t "$pane" '?'
        if wait_screen "$pane" 1 ' keys '; then
            t1=$(date +%s%N)
            LAT="$LAT $(( (t1 - t0) / 1000000 ))"
        else
            LAT="$LAT timeout"
        fi
        tmux -L "$TMUX_SOCK" send-keys -t "$pane" Escape
        wait_screen "$pane" 0 ' keys ' || tmux -L "$TMUX_SOCK" send-keys -t "$pane" Escape
        sleep 1
    done
}
# Control: the same measurement on a trivial program (shows '[ keys ]' on '?',
# clears on any other key), to tell corowire's delay from the machine's and
# tmux's. It says "ready" once in raw mode (keys sent earlier are flushed).
tmux -L "$TMUX_SOCK" new-window -d -t cw -n ctl "python3 -c '
import os, sys, termios, tty
tty.setraw(0)
os.write(1, b\"ready\")
while True:
    c = os.read(0, 1)
    os.write(1, b\"\\x1b[2J\\x1b[H\" + (b\"[ keys ]\" if c == b\"?\" else b\"\"))
'"
wait_screen cw:ctl 1 ready || die "control program did not start"
keylat cw:0
echo "TUI without flood: key '?' to help overlay on screen (ms, incl. tmux polling):$LAT" | tee -a "$OUT/summary.txt"
keylat cw:ctl
echo "control program without flood (ms):$LAT" | tee -a "$OUT/summary.txt"
flood 25
sleep 5
c0=$(cpu_ticks "$TUI"); w0=$(date +%s.%N)
keylat cw:0
c1=$(cpu_ticks "$TUI"); w1=$(date +%s.%N)
TUI_LAT=$LAT
keylat cw:ctl
echo "control program under load (ms):$LAT" | tee -a "$OUT/summary.txt"
LAT=$TUI_LAT
tmux -L "$TMUX_SOCK" capture-pane -p -t cw:0 >"$OUT/tui-under-load.txt"
# shellcheck disable=SC2086
wait $FLOOD_PIDS
tmux -L "$TMUX_SOCK" send-keys -t cw:0 q
sleep 1
tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
echo "TUI under load: key '?' to help overlay on screen (ms, incl. tmux polling):$LAT" | tee -a "$OUT/summary.txt"
ticks=$((c1 - c0))
awk -v c="$ticks" -v t="$CLK_TCK" -v a="$w0" -v b="$w1" \
    'BEGIN { printf "TUI CPU under load: %.1f %% of a core\n", 100 * c / t / (b - a) }' | tee -a "$OUT/summary.txt"
grep -m1 "kernel rcvd" "$OUT/tui-under-load.txt" | sed 's/^/  header: /' | tee -a "$OUT/summary.txt"

# ------------------------------------------------------------ 3: idle CPU
IDLE_N=0
idle_cpu() {   # label command
    # A tmux server of its own each time: a new session on a server that is
    # shutting down fails.
    IDLE_N=$((IDLE_N + 1))
    local sock=$TMUX_SOCK-idle$IDLE_N pid="" c0 c1 w0 w1 ticks
    tmux -L "$sock" -f /dev/null new-session -d -s cw -x 100 -y 30 "$2; sleep 60"
    for _ in $(seq 1 50); do
        pid=$(pgrep -f "^$BIN " | head -1)
        [ -n "$pid" ] && break
        sleep 0.1
    done
    if [ -z "$pid" ]; then
        echo "idle CPU, $1: corowire did not start" | tee -a "$OUT/summary.txt"
        tmux -L "$sock" kill-server 2>/dev/null
        return
    fi
    sleep 3
    c0=$(cpu_ticks "$pid"); w0=$(date +%s.%N)
    sleep "$IDLE_SECS"
    c1=$(cpu_ticks "$pid"); w1=$(date +%s.%N)
    ticks=$((c1 - c0))
    awk -v l="$1" -v c="$ticks" -v t="$CLK_TCK" -v a="$w0" -v b="$w1" \
        'BEGIN { printf "idle CPU, %s: %.2f %% of a core over %.0f s\n", l, 100 * c / t / (b - a), b - a }' |
        tee -a "$OUT/summary.txt"
    tmux -L "$sock" capture-pane -p -t cw >"$OUT/idle$IDLE_N.txt"
    tmux -L "$sock" send-keys -t cw q
    sleep 1
    tmux -L "$sock" kill-server 2>/dev/null
}
log "phase 3: idle CPU of the TUI (${IDLE_SECS}s each)"
idle_cpu "live TUI on a silent interface (lo in $HUB)" "ip netns exec $HUB $BIN live -i lo"
idle_cpu "live TUI on the cluster's own traffic, no flood" "ip netns exec $HUB $BIN live -i $BR --promisc"
idle_cpu "replay TUI at recorded speed (healthy-3n-clear.pcap)" "$BIN tui $ROOT/captures/healthy-3n-clear.pcap --speed 1"
log "summary in $OUT/summary.txt"
