# corowire capture lab: shared functions, sourced by record.sh.
#
# Topology (everything lives in namespaces created here; the host's own
# namespace is never touched):
#   cwl-hub          one bridge per knet link: cwl-br0, cwl-br1 (no IP)
#   cwl-nN           node N; interface ethL = 10.77.L.N/24 for link L,
#                    veth peer nNlL in cwl-hub enslaved to cwl-brL
# Faults are nftables tables / NFQUEUE programs inside the node namespaces,
# so deleting the namespaces removes every trace.
#
# Variables a scenario sets (defaults below): NODES LINKS TRANSPORT TOKEN
# LINK_MODE CRYPTO_CIPHER CRYPTO_HASH CRYPTO_MODELS PMTUD_INTERVAL DURATION
# VANTAGE DESCRIPTION BG_CPG

set -u

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPTURES_DIR=$(cd "$LAB_DIR/.." && pwd)
NS_PREFIX=${LAB_NS_PREFIX:-cwl}   # namespaces, bridges and nft tables are named after it
HUB=$NS_PREFIX-hub
NET_PREFIX=10.77

now() { date +%s.%N; }
log() { printf '%s lab: %s\n' "$(date -u +%H:%M:%S.%3N)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

nsname() { echo "$NS_PREFIX-n$1"; }
addr() { echo "$NET_PREFIX.$2.$1"; }   # addr NODE LINK
in_ns() { local n=$1; shift; ip netns exec "$(nsname "$n")" "$@"; }

remember_pid() { echo "$1" >>"$WORK/pids"; }

# ---------------------------------------------------------------- cleanup
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "${WORK:-}" ] || exit $rc
    log "cleanup"
    [ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null
    if [ -f "$WORK/pids" ]; then
        local p
        # resume paused processes first so that they can die
        for p in $(tac "$WORK/pids"); do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
        for _ in $(seq 1 50); do
            local alive=0
            for p in $(cat "$WORK/pids"); do kill -0 "$p" 2>/dev/null && alive=1; done
            [ $alive = 0 ] && break
            sleep 0.1
        done
        for p in $(cat "$WORK/pids"); do kill -KILL "$p" 2>/dev/null; done
    fi
    netns_down
    if [ "${KEEP_WORK:-0}" != 1 ]; then rm -rf "$WORK"; else log "work dir kept: $WORK"; fi
    exit $rc
}

netns_down() {
    local ns
    for ns in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
}

# ---------------------------------------------------------------- network
netns_up() {
    netns_down
    ip netns add "$HUB"
    ip -n "$HUB" link set lo up
    local l n
    for l in $(seq 0 $((LINKS - 1))); do
        ip -n "$HUB" link add "$NS_PREFIX-br$l" type bridge stp_state 0 forward_delay 0
        # no multicast snooping/queries, no IPv6 on the bridge: it only forwards
        ip netns exec "$HUB" sysctl -qw "net.ipv6.conf.$NS_PREFIX-br$l.disable_ipv6=1"
        ip -n "$HUB" link set "$NS_PREFIX-br$l" up
    done
    for n in $(seq 1 "$NODES"); do
        local ns; ns=$(nsname "$n")
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        for l in $(seq 0 $((LINKS - 1))); do
            ip link add "n${n}l${l}" netns "$HUB" type veth peer name "eth$l" netns "$ns"
            ip -n "$HUB" link set "n${n}l${l}" master "$NS_PREFIX-br$l" up
            ip -n "$ns" addr add "$(addr "$n" "$l")/24" dev "eth$l"
            ip -n "$ns" link set "eth$l" up
        done
    done
    for n in $(seq 1 "$NODES"); do
        mkdir -p "$WORK/n$n"
        ip -n "$(nsname "$n")" -j addr show >"$WORK/n$n/ip.json"
    done
}

# ---------------------------------------------------------------- build
build_tools() {
    command -v iptables-legacy >/dev/null || die "missing tool: iptables-legacy (apt-get install iptables)"
    mkdir -p "$WORK/bin"
    gcc -O2 -Wall -o "$WORK/bin/cpgload" "$LAB_DIR/cpgload.c" -lcpg || die "cannot build cpgload"
    gcc -O2 -Wall -o "$WORK/bin/nfqdelay" "$LAB_DIR/nfqdelay.c" -lnetfilter_queue || die "cannot build nfqdelay"
}

# ---------------------------------------------------------------- corosync
crypto_model_of() {   # node -> model
    local n=$1 models=(${CRYPTO_MODELS:-nss})
    local i=$(( (n - 1) % ${#models[@]} ))
    echo "${models[$i]}"
}

write_conf() {   # node
    local n=$1 d="$WORK/n$1" l m
    mkdir -p "$d/run" "$d/state"
    {
        echo "totem {"
        echo "    version: 2"
        echo "    cluster_name: corowire-lab"
        echo "    transport: $TRANSPORT"
        echo "    token: $TOKEN"
        if [ "$TRANSPORT" = knet ]; then
            echo "    link_mode: $LINK_MODE"
            echo "    knet_pmtud_interval: $PMTUD_INTERVAL"
            if [ "$CRYPTO_CIPHER" != none ] || [ "$CRYPTO_HASH" != none ]; then
                echo "    crypto_model: $(crypto_model_of "$n")"
                echo "    keyfile: $WORK/authkey"
            fi
            echo "    crypto_cipher: $CRYPTO_CIPHER"
            echo "    crypto_hash: $CRYPTO_HASH"
        fi
        for l in $(seq 0 $((LINKS - 1))); do
            echo "    interface {"
            echo "        linknumber: $l"
            echo "    }"
        done
        echo "}"
        echo "nodelist {"
        for m in $(seq 1 "$NODES"); do
            echo "    node {"
            echo "        nodeid: $m"
            echo "        name: node$m"
            for l in $(seq 0 $((LINKS - 1))); do
                echo "        ring${l}_addr: $(addr "$m" "$l")"
            done
            echo "    }"
        done
        echo "}"
        echo "quorum {"
        echo "    provider: corosync_votequorum"
        [ "$NODES" = 2 ] && echo "    two_node: 1"
        echo "}"
        echo "logging {"
        echo "    to_stderr: no"
        echo "    to_syslog: no"
        echo "    to_logfile: yes"
        echo "    logfile: $d/corosync.log"
        echo "    timestamp: hires"
        echo "    debug: off"
        echo "}"
        echo "system {"
        echo "    state_dir: $d/state"
        echo "}"
    } >"$d/corosync.conf"
}

start_node() {   # node
    local n=$1 d="$WORK/n$1"
    # private /run for the fixed /var/run/corosync.pid; TZ=UTC fixes the log clock
    TZ=UTC ip netns exec "$(nsname "$n")" unshare --mount --propagation private \
        sh -c "mount --bind '$d/run' /run && exec corosync -f -c '$d/corosync.conf'" \
        >"$d/stdout" 2>&1 &
    local pid=$!
    echo "$pid" >"$d/pid"
    remember_pid "$pid"
}

node_pid() { cat "$WORK/n$1/pid"; }

start_cluster() {
    local n
    for n in $(seq 1 "$NODES"); do write_conf "$n"; done
    for n in $(seq 1 "$NODES"); do start_node "$n"; done
}

# wait until every node's votequorum sees all NODES members
wait_formed() {
    local deadline=$(( $(date +%s) + ${1:-40} )) n ok
    while :; do
        ok=1
        for n in $(seq 1 "$NODES"); do
            local c
            c=$(in_ns "$n" timeout 2 corosync-quorumtool -p 2>/dev/null | awk '/^Total votes:/ {print $3}')
            [ "${c:-0}" = "$NODES" ] || ok=0
        done
        [ $ok = 1 ] && return 0
        [ "$(date +%s)" -ge $deadline ] && die "cluster did not form"
        sleep 0.5
    done
}

stop_cluster() {
    local n p
    for n in $(seq 1 "$NODES"); do kill -CONT "$(node_pid "$n")" 2>/dev/null; kill -TERM "$(node_pid "$n")" 2>/dev/null; done
    for _ in $(seq 1 100); do
        local alive=0
        for n in $(seq 1 "$NODES"); do kill -0 "$(node_pid "$n")" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
    for n in $(seq 1 "$NODES"); do kill -KILL "$(node_pid "$n")" 2>/dev/null; done
}

# ---------------------------------------------------------------- capture
# tcpdump -U writes every packet at once; pcap (not pcapng), full snaplen.
start_tcpdump() {   # name netns iface
    local name=$1 ns=$2 ifc=$3
    ip netns exec "$ns" tcpdump -n -U -s 0 -i "$ifc" -w "$WORK/cap/$name.pcap" \
        >"$WORK/cap/$name.stdout" 2>"$WORK/cap/$name.stderr" &
    local pid=$!
    remember_pid "$pid"
    echo "$pid" >>"$WORK/cap/tcpdump.pids"
    for _ in $(seq 1 100); do
        grep -q "listening on" "$WORK/cap/$name.stderr" 2>/dev/null && return 0
        sleep 0.05
    done
    die "tcpdump on $ns/$ifc did not start"
}

start_captures() {
    mkdir -p "$WORK/cap"
    local l
    for l in $(seq 0 $((LINKS - 1))); do
        start_tcpdump "bridge$l" "$HUB" "$NS_PREFIX-br$l"
    done
    # VANTAGE: one node, or several ("1 2 3"): a capture inside each of
    # those nodes' namespaces (what one host's incident pcap looks like)
    local v
    for v in ${VANTAGE:-}; do
        start_tcpdump "vantage$v" "$(nsname "$v")" any
    done
    echo "$(now)" >"$WORK/cap/started"
}

stop_captures() {
    # a little idle traffic after the last sample, so every sample lies
    # strictly inside the capture
    sleep 1
    echo "$(now)" >"$WORK/cap/stopping"
    local p
    for p in $(cat "$WORK/cap/tcpdump.pids"); do kill -TERM "$p" 2>/dev/null; done
    for p in $(cat "$WORK/cap/tcpdump.pids"); do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    done
}

# ---------------------------------------------------------------- sampling
# One JSON-lines record per tool call, with epoch times before and after.
sample_tool() {   # label node kind cmd...
    local label=$1 n=$2 kind=$3; shift 3
    local t0 t1 out rc
    t0=$(now)
    out=$(in_ns "$n" timeout 3 "$@" 2>&1); rc=$?
    t1=$(now)
    python3 -c '
import json, sys
label, node, kind, t0, t1, rc = sys.argv[1:7]
print(json.dumps({"label": label, "node": int(node), "kind": kind, "t_before": float(t0),
                  "t_after": float(t1), "rc": int(rc), "output": sys.stdin.read()}))
' "$label" "$n" "$kind" "$t0" "$t1" "$rc" <<<"$out" >>"$WORK/samples.jsonl"
}

# full sample of every node: stats (all keys), cfgtool -s, quorum
sample_all() {   # label [full]
    local label=$1 full=${2:-full} n
    for n in $(seq 1 "$NODES"); do
        if [ "$full" = full ]; then
            sample_tool "$label" "$n" stats corosync-cmapctl -m stats
        else
            sample_tool "$label" "$n" stats corosync-cmapctl -m stats stats.knet.
        fi
    done
    for n in $(seq 1 "$NODES"); do
        sample_tool "$label" "$n" cfgtool corosync-cfgtool -s
        sample_tool "$label" "$n" quorum corosync-quorumtool -s
    done
}

start_sampler() {   # period
    local period=${1:-5}
    (
        trap 'exit 0' TERM
        i=0
        while :; do
            sleep "$period"
            i=$((i + 1))
            sample_all "periodic-$i" knet
        done
    ) &
    SAMPLER_PID=$!
}

stop_sampler() {
    [ -n "${SAMPLER_PID:-}" ] || return 0
    kill -TERM "$SAMPLER_PID" 2>/dev/null
    wait "$SAMPLER_PID" 2>/dev/null
    SAMPLER_PID=
}

# ---------------------------------------------------------------- schedule
# at SECONDS: sleep until T0 + SECONDS
at() {
    local target
    target=$(python3 -c "print($T0 + $1)")
    local d
    d=$(python3 -c "import time; print(max(0.0, $target - time.time()))")
    sleep "$d" &
    wait $!
    REQ=$target
}

# ---------------------------------------------------------------- faults
# Each fault writes a start and an end record to faults.jsonl.
FAULT_SEQ=0
fault_record() {   # id phase requested effective json-params
    python3 -c '
import json, sys
fid, phase, req, eff, params = sys.argv[1:6]
rec = {"id": fid, "phase": phase, "requested": float(req), "effective": float(eff)}
rec.update(json.loads(params))
print(json.dumps(rec))
' "$@" >>"$WORK/faults.jsonl"
}

# nft table per fault in the node's namespace; DIR egress|ingress|both
nft_fault_add() {   # node table link dir verdict-expr
    local n=$1 t=$2 l=$3 dir=$4 expr=$5
    {
        printf 'table inet %s {\n' "$t"
        if [ "$dir" = egress ] || [ "$dir" = both ]; then
            printf ' chain out {\n  type filter hook output priority 0\n  oifname "eth%s" udp dport 5405-5412 %s\n }\n' "$l" "$expr"
        fi
        if [ "$dir" = ingress ] || [ "$dir" = both ]; then
            printf ' chain in {\n  type filter hook prerouting priority 0\n  iifname "eth%s" udp dport 5405-5412 %s\n }\n' "$l" "$expr"
        fi
        printf '}\n'
    } >"$WORK/nft.$t"
    in_ns "$n" nft -f "$WORK/nft.$t" || die "cannot apply nftables fault $t"
}

nft_fault_del() { in_ns "$1" nft delete table inet "$2"; }

# loss NODE LINK DIR PERCENT  (start now; returns fault id in FID)
loss_start() {
    local n=$1 l=$2 dir=$3 pct=$4
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    local p=$(python3 -c "print(int(round($pct * 100)))")
    nft_fault_add "$n" "cwl_$FID" "$l" "$dir" "numgen random mod 10000 < $p counter drop"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"loss\", \"node\": $n, \"link\": $l, \"direction\": \"$dir\", \"percent\": $pct, \"mechanism\": \"nftables numgen random drop, udp dport 5405-5412, in node netns\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}
nft_fault_end() {   # fid
    local fid=$1 n; n=$(cat "$WORK/fault.$fid.node")
    local t0; t0=$(now)
    in_ns "$n" nft list table inet "cwl_$fid" >"$WORK/fault.$fid.counters" 2>&1
    nft_fault_del "$n" "cwl_$fid"
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" \
        "{\"nft_counters\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <"$WORK/fault.$fid.counters")}"
}

# cut NODE LINK : drop everything (both directions) on one link
cut_start() {
    local n=$1 l=$2
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    nft_fault_add "$n" "cwl_$FID" "$l" both "counter drop"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"cut\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"mechanism\": \"nftables drop of all corosync udp both ways, in node netns\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}

# delay NODE LINK DIR MS JITTER : NFQUEUE + nfqdelay.  This kernel has no
# nft "queue" expression (CONFIG_NFT_QUEUE unset) but has xt_NFQUEUE, so the
# rule is an iptables-legacy rule inside the node's namespace.
DELAY_QUEUE=10
ipt_delay_rules() {   # link dir queue -> one "table chain match" line per rule
    local l=$1 dir=$2 q=$3
    if [ "$dir" = egress ] || [ "$dir" = both ]; then
        echo "filter OUTPUT -o eth$l -p udp --dport 5405:5412 -j NFQUEUE --queue-num $q --queue-bypass"
    fi
    if [ "$dir" = ingress ] || [ "$dir" = both ]; then
        echo "mangle PREROUTING -i eth$l -p udp --dport 5405:5412 -j NFQUEUE --queue-num $q --queue-bypass"
    fi
}
delay_start() {
    local n=$1 l=$2 dir=$3 ms=$4 jit=$5
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    DELAY_QUEUE=$((DELAY_QUEUE + 1))
    # not through in_ns: a backgrounded function would leave $! the subshell's pid
    # SCHED_FIFO (below corosync's own RR 99): on a loaded host a normal
    # priority holder wakes late and adds milliseconds to every packet
    ip netns exec "$(nsname "$n")" chrt -f 50 "$WORK/bin/nfqdelay" "$DELAY_QUEUE" "$ms" "$jit" >"$WORK/fault.$FID.out" 2>&1 &
    local pid=$!
    remember_pid "$pid"
    echo "$pid" >"$WORK/fault.$FID.pid"
    for _ in $(seq 1 50); do grep -q ready "$WORK/fault.$FID.out" && break; sleep 0.05; done
    grep -q ready "$WORK/fault.$FID.out" || die "nfqdelay did not start"
    ipt_delay_rules "$l" "$dir" "$DELAY_QUEUE" >"$WORK/fault.$FID.rules"
    local tb ch rest
    while read -r tb ch rest; do
        # shellcheck disable=SC2086
        in_ns "$n" iptables-legacy -t "$tb" -A "$ch" $rest || die "cannot add NFQUEUE rule"
    done <"$WORK/fault.$FID.rules"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"delay\", \"node\": $n, \"link\": $l, \"direction\": \"$dir\", \"delay_ms\": $ms, \"jitter_ms\": $jit, \"jitter_distribution\": \"uniform +-jitter, reordering possible\", \"mechanism\": \"iptables-legacy NFQUEUE rule to nfqdelay (libnetfilter_queue) in node netns\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}
delay_end() {
    local fid=$1 n; n=$(cat "$WORK/fault.$fid.node")
    local ns; ns=$(cat "$WORK/fault.$fid.ns" 2>/dev/null || nsname "$n")
    local t0; t0=$(now)
    local tb ch rest
    while read -r tb ch rest; do
        ip netns exec "$ns" iptables-legacy -t "$tb" -L "$ch" -v -n -x >>"$WORK/fault.$fid.counters" 2>&1
        # shellcheck disable=SC2086
        ip netns exec "$ns" iptables-legacy -t "$tb" -D "$ch" $rest
    done <"$WORK/fault.$fid.rules"
    local teff; teff=$(now)
    # packets already held are still released after their delay
    sleep 0.2
    kill -TERM "$(cat "$WORK/fault.$fid.pid")" 2>/dev/null
    wait "$(cat "$WORK/fault.$fid.pid")" 2>/dev/null
    fault_record "$fid" end "${REQ:-$t0}" "$teff" \
        "{\"nft_counters\": null, \"iptables_counters\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <"$WORK/fault.$fid.counters"), \"nfqdelay\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <"$WORK/fault.$fid.out")}"
}

# hub_delay NODE LINK MS JITTER : delay every corosync packet NODE sends on
# LINK inside the hub, between the bridge ports: after the sender's own
# capture point and the bridge capture, before the receivers'. Per-node
# captures then see the delay between departure and arrival, as on a real
# network. br_netfilter (built into this kernel; bridge-nf-call-iptables is
# 1 in a fresh namespace) hands bridged IPv4 to iptables FORWARD, where a
# physdev rule queues the packets of NODE's bridge port to nfqdelay.
hub_delay_start() {
    local n=$1 l=$2 ms=$3 jit=$4
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    DELAY_QUEUE=$((DELAY_QUEUE + 1))
    ip netns exec "$HUB" "$WORK/bin/nfqdelay" "$DELAY_QUEUE" "$ms" "$jit" >"$WORK/fault.$FID.out" 2>&1 &
    local pid=$!
    remember_pid "$pid"
    echo "$pid" >"$WORK/fault.$FID.pid"
    for _ in $(seq 1 50); do grep -q ready "$WORK/fault.$FID.out" && break; sleep 0.05; done
    grep -q ready "$WORK/fault.$FID.out" || die "nfqdelay did not start"
    ip netns exec "$HUB" sysctl -qw net.bridge.bridge-nf-call-iptables=1 || die "no br_netfilter in the hub"
    echo "filter FORWARD -m physdev --physdev-in n${n}l$l -p udp --dport 5405:5412 -j NFQUEUE --queue-num $DELAY_QUEUE --queue-bypass" >"$WORK/fault.$FID.rules"
    echo "$HUB" >"$WORK/fault.$FID.ns"
    local tb ch rest
    while read -r tb ch rest; do
        # shellcheck disable=SC2086
        ip netns exec "$HUB" iptables-legacy -t "$tb" -A "$ch" $rest || die "cannot add NFQUEUE rule in the hub"
    done <"$WORK/fault.$FID.rules"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"delay\", \"node\": $n, \"link\": $l, \"direction\": \"egress\", \"delay_ms\": $ms, \"jitter_ms\": $jit, \"jitter_distribution\": \"uniform +-jitter, reordering possible\", \"where\": \"hub\", \"mechanism\": \"iptables-legacy FORWARD physdev-in n${n}l$l NFQUEUE to nfqdelay in the hub namespace (br_netfilter): after the sender's capture point and the bridge capture, before the receivers'\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}

# path_loss SRC DST LINK PERCENT : drop PERCENT of SRC's corosync packets to
# DST on the bridge (nftables bridge family, forward hook, in the hub): the
# packets leave SRC (in its capture and in the bridge capture) and never
# reach DST. A counter rule before the drop counts every matching packet, so
# the realised rate is dropped / matched.
path_loss_start() {
    local s=$1 d=$2 l=$3 pct=$4
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    local p; p=$(python3 -c "print(int(round($pct * 100)))")
    local m="ip saddr $(addr "$s" "$l") ip daddr $(addr "$d" "$l") udp dport 5405-5412"
    printf 'table bridge %s_%s {\n chain path {\n  type filter hook forward priority 0\n  %s counter\n  %s numgen random mod 10000 < %s counter drop\n }\n}\n' \
        "$NS_PREFIX" "$FID" "$m" "$m" "$p" >"$WORK/nft.$FID"
    ip netns exec "$HUB" nft -f "$WORK/nft.$FID" || die "cannot apply bridge path loss $FID"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"path_loss\", \"node\": $s, \"dst_node\": $d, \"link\": $l, \"direction\": \"path\", \"percent\": $pct, \"where\": \"hub\", \"mechanism\": \"nftables bridge family forward chain in the hub: numgen random drop of udp dport 5405-5412 from node $s to node $d (after both the sender's and the bridge capture point)\"}"
    echo "$s" >"$WORK/fault.$FID.node"
}
path_loss_end() {   # fid
    local fid=$1 t0; t0=$(now)
    ip netns exec "$HUB" nft list table bridge "${NS_PREFIX}_$fid" >"$WORK/fault.$fid.counters" 2>&1
    ip netns exec "$HUB" nft delete table bridge "${NS_PREFIX}_$fid"
    local extra
    extra=$(python3 -c '
import json, re, sys
text = open(sys.argv[1]).read()
c = [int(x) for x in re.findall(r"counter packets (\d+)", text)]
matched, dropped = (c + [None, None])[:2]
pct = round(100.0 * dropped / matched, 3) if matched else None
print(json.dumps({"nft_counters": text, "nft_matched": matched, "nft_dropped": dropped, "realized_pct": pct}))
' "$WORK/fault.$fid.counters")
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" "$extra"
}

# mtu NODE LINK MTU : lower the MTU of the node's interface (both directions of its path)
mtu_start() {
    local n=$1 l=$2 mtu=$3
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    in_ns "$n" ip link set "eth$l" mtu "$mtu"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"mtu\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"mtu\": $mtu, \"normal_mtu\": 1500, \"mechanism\": \"ip link set ethL mtu in node netns (veth: larger frames are dropped both ways)\"}"
    echo "$n $l" >"$WORK/fault.$FID.node"
}
mtu_end() {
    local fid=$1 n l; read -r n l <"$WORK/fault.$fid.node"
    local t0; t0=$(now)
    in_ns "$n" ip link set "eth$l" mtu 1500
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" '{}'
}

# linkdown NODE LINK : ip link set ethL down (flap when ended)
linkdown_start() {
    local n=$1 l=$2
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    in_ns "$n" ip link set "eth$l" down
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"link_down\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"mechanism\": \"ip link set ethL down in node netns\"}"
    echo "$n $l" >"$WORK/fault.$FID.node"
}
linkdown_end() {
    local fid=$1 n l; read -r n l <"$WORK/fault.$fid.node"
    local t0; t0=$(now)
    in_ns "$n" ip link set "eth$l" up
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" '{}'
}

# pause NODE : SIGSTOP corosync
pause_start() {
    local n=$1
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    kill -STOP "$(node_pid "$n")"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"pause\", \"node\": $n, \"link\": null, \"direction\": null, \"mechanism\": \"SIGSTOP / SIGCONT of corosync (host stall, not a network fault)\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}
pause_end() {
    local fid=$1 n; n=$(cat "$WORK/fault.$fid.node")
    local t0; t0=$(now)
    kill -CONT "$(node_pid "$n")"
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" '{}'
}

fault_end() {   # fid : dispatch on kind
    local fid=$1
    local kind
    kind=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["id"] == sys.argv[2] and r["phase"] == "start":
        print(r["kind"])
' "$WORK/faults.jsonl" "$fid")
    case $kind in
        loss|cut) nft_fault_end "$fid" ;;
        path_loss) path_loss_end "$fid" ;;
        delay) delay_end "$fid" ;;
        mtu) mtu_end "$fid" ;;
        link_down) linkdown_end "$fid" ;;
        pause) pause_end "$fid" ;;
        *) die "unknown fault $fid ($kind)" ;;
    esac
}

# ---------------------------------------------------------------- traffic
# cpg NODE SIZE COUNT INTERVAL_MS : run cpgload in the background
cpg() {
    local n=$1 size=$2 count=$3 iv=$4
    local t; t=$(now)
    ip netns exec "$(nsname "$n")" "$WORK/bin/cpgload" corowire-lab "$size" "$count" "$iv" >>"$WORK/cpg.out" 2>&1 &
    local pid=$!
    remember_pid "$pid"
    python3 -c '
import json, sys
n, size, count, iv, t = sys.argv[1:6]
print(json.dumps({"node": int(n), "size": int(size), "count": int(count), "interval_ms": int(iv), "start": float(t)}))
' "$n" "$size" "$count" "$iv" "$t" >>"$WORK/traffic.jsonl"
}

mark() {   # free-form scenario note with a timestamp
    python3 -c 'import json,sys; print(json.dumps({"t": float(sys.argv[1]), "note": sys.argv[2]}))' "$(now)" "$*" >>"$WORK/marks.jsonl"
}

# background CPG chatter: one small message from NODE every INTERVAL_MS,
# stopping 6 s before the end so the final counter sample sees an idle ring
bg_traffic() {   # node size interval_ms
    local n=$1 size=$2 iv=$3
    local count=$(( (DURATION - 6 - ${4:-0}) * 1000 / iv ))
    [ $count -gt 0 ] && cpg "$n" "$size" "$count" "$iv"
}
