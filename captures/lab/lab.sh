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
    starve_cleanup
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

# nft table per fault in a node's namespace; DIR egress|ingress|both.
# One pair of rules per peer and direction, each with a counter and a
# comment naming the directed pair: "seen S>D lL" counts every corosync
# packet of that pair the rule saw, "drop S>D lL" the ones it dropped (the
# random draw is made once per packet, in the drop rule of its pair). The
# realised loss per direction is drop/seen from these counters (truth.py).
# PCT 100 = drop all (a cut). PEERS: the peers the rules apply to (default:
# every other node).
nft_fault_add() {   # node table link dir pct [peers...]
    local n=$1 t=$2 l=$3 dir=$4 pct=$5; shift 5
    local peers=("$@") p draw=""
    [ ${#peers[@]} = 0 ] && peers=($(seq 1 "$NODES" | grep -vx "$n"))
    if [ "$pct" != 100 ]; then
        draw="numgen random mod 10000 < $(awk -v p="$pct" 'BEGIN { printf "%d", p * 100 + 0.5 }') "
    fi
    {
        printf 'table inet %s {\n' "$t"
        if [ "$dir" = egress ] || [ "$dir" = both ]; then
            printf ' chain out {\n  type filter hook output priority 0\n'
            for p in "${peers[@]}"; do
                printf '  oifname "eth%s" ip daddr %s udp dport 5405-5412 counter comment "seen %s>%s l%s"\n' "$l" "$(addr "$p" "$l")" "$n" "$p" "$l"
                printf '  oifname "eth%s" ip daddr %s udp dport 5405-5412 %scounter drop comment "drop %s>%s l%s"\n' "$l" "$(addr "$p" "$l")" "$draw" "$n" "$p" "$l"
            done
            printf ' }\n'
        fi
        if [ "$dir" = ingress ] || [ "$dir" = both ]; then
            printf ' chain in {\n  type filter hook prerouting priority 0\n'
            for p in "${peers[@]}"; do
                printf '  iifname "eth%s" ip saddr %s udp dport 5405-5412 counter comment "seen %s>%s l%s"\n' "$l" "$(addr "$p" "$l")" "$p" "$n" "$l"
                printf '  iifname "eth%s" ip saddr %s udp dport 5405-5412 %scounter drop comment "drop %s>%s l%s"\n' "$l" "$(addr "$p" "$l")" "$draw" "$p" "$n" "$l"
            done
            printf ' }\n'
        fi
        printf '}\n'
    } >"$WORK/nft.$t"
    local b=$EPOCHREALTIME
    in_ns "$n" nft -f "$WORK/nft.$t" || die "cannot apply nftables fault $t"
    echo "$n $t" >>"$WORK/fault.${t#cwl_}.tables"
    # the table takes effect atomically somewhere in [before, after]
    echo "$b $EPOCHREALTIME" >>"$WORK/fault.${t#cwl_}.applied"
}

nft_fault_del() { in_ns "$1" nft delete table inet "$2"; }

# loss NODE LINK DIR PERCENT [PEERS...] (start now; returns fault id in FID)
# PEERS restricts the loss to the pairs with those peers (one pair only)
loss_start() {
    local n=$1 l=$2 dir=$3 pct=$4; shift 4
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    nft_fault_add "$n" "cwl_$FID" "$l" "$dir" "$pct" "$@"
    local pj="null"; [ $# -gt 0 ] && pj="[$(IFS=,; echo "$*")]"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{$(applied_json "$FID")\"kind\": \"loss\", \"node\": $n, \"link\": $l, \"direction\": \"$dir\", \"percent\": $pct, \"peers\": $pj, \"mechanism\": \"nftables numgen random drop, udp dport 5405-5412, per-peer counter rules, in node netns\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}
# "apply_before"/"apply_after": epoch range in which the nft tables took effect
applied_json() {   # fid
    awk 'NR == 1 { b = $1 } { a = $2 } END { if (NR) printf "\"apply_before\": %s, \"apply_after\": %s, ", b, a }' "$WORK/fault.$1.applied"
}
nft_fault_end() {   # fid
    local fid=$1 n tb
    local t0; t0=$(now)
    : >"$WORK/fault.$fid.counters"
    # per table: list its counters, then delete it; the fault ends (the
    # last table is gone) within remove_before..remove_after
    local rb=$EPOCHREALTIME
    while read -r n tb; do
        { echo "# node $n"; in_ns "$n" nft list table inet "$tb"; } >>"$WORK/fault.$fid.counters" 2>&1
        nft_fault_del "$n" "$tb"
    done <"$WORK/fault.$fid.tables"
    local ra=$EPOCHREALTIME
    fault_record "$fid" end "${REQ:-$t0}" "$(now)" \
        "{\"remove_before\": $rb, \"remove_after\": $ra, \"nft_counters\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <"$WORK/fault.$fid.counters")}"
}

# cut NODE LINK : drop everything (both directions) on one link
cut_start() {
    local n=$1 l=$2
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    nft_fault_add "$n" "cwl_$FID" "$l" both 100
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{$(applied_json "$FID")\"kind\": \"cut\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"where\": \"node\", \"mechanism\": \"nftables drop of all corosync udp both ways, in node netns (per-peer counter rules)\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}

# peer_cut NODE LINK [PEERS...] : the same cut made on the peers' side: in
# every peer's namespace (or only PEERS'), drop all corosync udp to and
# from NODE on LINK. NODE's own interface and rules are untouched, so its
# own capture shows its packets leaving and the peers' captures show them
# arriving (tcpdump taps before prerouting), but nobody answers.
peer_cut_start() {
    local n=$1 l=$2; shift 2
    local peers=("$@") p
    [ ${#peers[@]} = 0 ] && peers=($(seq 1 "$NODES" | grep -vx "$n"))
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    for p in "${peers[@]}"; do
        nft_fault_add "$p" "cwl_${FID}_n$p" "$l" both 100 "$n"
        # nft_fault_add appends to fault.<table>.tables; collect under FID
        cat "$WORK/fault.${FID}_n$p.tables" >>"$WORK/fault.$FID.tables"
        cat "$WORK/fault.${FID}_n$p.applied" >>"$WORK/fault.$FID.applied"
    done
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{$(applied_json "$FID")\"kind\": \"cut\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"where\": \"peers\", \"peers\": [$(IFS=,; echo "${peers[*]}")], \"mechanism\": \"nftables drop of all corosync udp to and from the node, both ways, in each peer's netns (per-pair counter rules)\"}"
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

# pause_for NODE SECONDS : one host stall of a measured length, in one go:
# SIGSTOP, sleep, SIGCONT. The times are bash's $EPOCHREALTIME (no fork)
# right before and right after each kill, so the stall is known to a few
# hundred microseconds (stop_sent .. cont_sent).
#
# The stop comes at a random phase, up to PAUSE_PHASE_S (default 1 s) after
# the scheduled time (seeded by scenario and fault: the same each run).
# Scheduled at whole seconds, the stops would fall at one fixed phase of
# bg_traffic's one-a-second messages (~90 ms after the stalled sender's
# own message, in every recording made before this), and a stall's start
# estimated from the node's last packet would look better than it is.
pause_for() {
    local n=$1 secs=$2 pid; pid=$(node_pid "$n")
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    local req=${REQ:-$EPOCHREALTIME}
    local phase
    phase=$(python3 -c "import random; print(random.Random('${SCENARIO:-}/$FID').uniform(0, ${PAUSE_PHASE_S:-1.0}))")
    sleep "$phase"
    local sb sa cb ca
    sb=$EPOCHREALTIME; kill -STOP "$pid"; sa=$EPOCHREALTIME
    local rest; rest=$(python3 -c "print(max(0.0, $sa + $secs - __import__('time').time()))")
    sleep "$rest"
    cb=$EPOCHREALTIME; kill -CONT "$pid"; ca=$EPOCHREALTIME
    fault_record "$FID" start "$req" "$sa" \
        "{\"kind\": \"pause\", \"node\": $n, \"link\": null, \"direction\": null, \"requested_seconds\": $secs, \"stop_sent_before\": $sb, \"stop_sent_after\": $sa, \"mechanism\": \"SIGSTOP / SIGCONT of corosync (host stall, not a network fault); times: bash EPOCHREALTIME around each kill\"}"
    fault_record "$FID" end "$(python3 -c "print($req + $secs)")" "$ca" \
        "{\"cont_sent_before\": $cb, \"cont_sent_after\": $ca, \"stall_seconds\": $(python3 -c "print(round($cb - $sa, 6))")}"
}

# starve NODE RT_RUNTIME_US RT_PERIOD_US CFS_QUOTA_US : CPU starvation of
# the node's corosync through a cgroup. This host has cgroup v1 (no
# cpu.max); corosync runs SCHED_RR, which CFS quotas (cpu.max, or v1
# cpu.cfs_quota_us) do not limit, so the group gets an RT budget too
# (cpu.rt_runtime_us per cpu.rt_period_us, CONFIG_RT_GROUP_SCHED) and a CFS
# quota (per 100 ms) for any non-RT thread. Every thread of corosync is
# moved in (cgroup.procs); at the end back to the root group, and the
# group's cpu.stat (nr_throttled, throttled_time) is stored.
CG_ROOT=/sys/fs/cgroup/cpu
starve_start() {
    local n=$1 rt=$2 per=$3 cfs=$4 pid; pid=$(node_pid "$n")
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    local cg="$CG_ROOT/$NS_PREFIX-starve-$FID"
    mkdir "$cg" || die "cannot create cgroup $cg"
    echo "$cg" >"$WORK/fault.$FID.cgroup"
    echo "$per" >"$cg/cpu.rt_period_us" || die "cpu.rt_period_us"
    echo "$rt" >"$cg/cpu.rt_runtime_us" || die "cpu.rt_runtime_us"
    echo 100000 >"$cg/cpu.cfs_period_us"
    echo "$cfs" >"$cg/cpu.cfs_quota_us"
    awk '{ print $14 + $15 }' "/proc/$pid/stat" >"$WORK/fault.$FID.cpu0"
    echo "$pid" >"$cg/cgroup.procs" || die "cannot move corosync into $cg"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"cpu_starve\", \"node\": $n, \"link\": null, \"direction\": null, \"cgroup\": \"cpu:/$(basename "$cg")\", \"rt_runtime_us\": $rt, \"rt_period_us\": $per, \"cfs_quota_us\": $cfs, \"cfs_period_us\": 100000, \"threads\": $(wc -l <"$cg/tasks"), \"mechanism\": \"cgroup v1 cpu controller: all corosync threads (SCHED_RR) moved into a group with cpu.rt_runtime_us/cpu.rt_period_us and cpu.cfs_quota_us (the v1 equivalents of cpu.max; RT tasks are only limited by the RT budget)\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}
starve_end() {
    local fid=$1 n; n=$(cat "$WORK/fault.$fid.node")
    local cg; cg=$(cat "$WORK/fault.$fid.cgroup")
    local t0; t0=$(now)
    echo "$(node_pid "$n")" >"$CG_ROOT/cgroup.procs"
    local teff; teff=$(now)
    local st; st=$(cat "$cg/cpu.stat")
    local c1; c1=$(awk '{ print $14 + $15 }' "/proc/$(node_pid "$n")/stat")
    rmdir "$cg"
    fault_record "$fid" end "${REQ:-$t0}" "$teff" \
        "{\"corosync_cpu_ticks_during\": $((c1 - $(cat "$WORK/fault.$fid.cpu0"))), \"clk_tck\": $(getconf CLK_TCK), \"cpu_stat\": $(python3 -c 'import json,sys; print(json.dumps(dict((l.split()[0], int(l.split()[1])) for l in sys.stdin if l.strip())))' <<<"$st")}"
}
starve_cleanup() {
    local cg
    for cg in "$CG_ROOT/$NS_PREFIX"-starve-*; do
        [ -d "$cg" ] || continue
        local p
        for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" >"$CG_ROOT/cgroup.procs" 2>/dev/null; done
        rmdir "$cg" 2>/dev/null
    done
}

# mtu_hole NODE LINK MTU : an ICMP-less PMTU black hole on NODE's path.
# The MTU of NODE's bridge port (nNlL in the hub) is lowered; NODE's own
# ethL stays at 1500, so NODE and its peers keep sending full-size frames,
# and the veth/bridge drop the larger ones silently (no ICMP, no local
# EMSGSIZE): frames from NODE above MTU die entering the hub (never on the
# bridge), frames to NODE above MTU are on the bridge and die leaving it.
# In addition every node drops ICMP fragmentation-needed (counted), as a
# firewall that blocks ICMP would.
mtu_hole_start() {
    local n=$1 l=$2 mtu=$3 m
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    for m in $(seq 1 "$NODES"); do
        printf 'table inet cwl_%s {\n chain in {\n  type filter hook prerouting priority 0\n  icmp type destination-unreachable icmp code frag-needed counter drop comment "icmp frag-needed to %s"\n }\n chain out {\n  type filter hook output priority 0\n  icmp type destination-unreachable icmp code frag-needed counter drop comment "icmp frag-needed from %s"\n }\n}\n' "$FID" "$m" "$m" >"$WORK/nft.$FID.$m"
        in_ns "$m" nft -f "$WORK/nft.$FID.$m" || die "cannot apply icmp drop"
        echo "$m cwl_$FID" >>"$WORK/fault.$FID.tables"
    done
    ip -n "$HUB" link set "n${n}l$l" mtu "$mtu" || die "cannot set hub port mtu"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"mtu_black_hole\", \"node\": $n, \"link\": $l, \"direction\": \"both\", \"mtu\": $mtu, \"normal_mtu\": 1500, \"where\": \"hub\", \"mechanism\": \"MTU of the node's bridge port n${n}l$l lowered in the hub (node's own interface stays 1500): larger frames dropped silently both ways; ICMP frag-needed dropped by nftables in every node\"}"
    echo "$n $l" >"$WORK/fault.$FID.node"
}
mtu_hole_end() {
    local fid=$1 n l m tb; read -r n l <"$WORK/fault.$fid.node"
    local t0; t0=$(now)
    ip -n "$HUB" link set "n${n}l$l" mtu 1500
    local teff; teff=$(now)
    : >"$WORK/fault.$fid.counters"
    while read -r m tb; do
        { echo "# node $m"; in_ns "$m" nft list table inet "$tb"; } >>"$WORK/fault.$fid.counters" 2>&1
        in_ns "$m" nft delete table inet "$tb"
    done <"$WORK/fault.$fid.tables"
    fault_record "$fid" end "${REQ:-$t0}" "$teff" \
        "{\"nft_counters\": $(python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' <"$WORK/fault.$fid.counters")}"
}

# nfq_mangle NODE LINK KIND DELAY JITTER REORDER_PCT REORDER_MS DUP_PCT :
# NODE's egress on LINK through nfqdelay with reordering (REORDER_PCT % of
# the packets held REORDER_MS longer than the rest, which pass at once)
# and/or duplication (DUP_PCT % sent twice: nfqdelay re-sends a copy with a
# raw socket, mark 0x7717 so that the copy skips the queue). KIND is
# "reorder" or "duplicate" (the fault record's kind).
nfq_mangle_start() {
    local n=$1 l=$2 kind=$3 ms=$4 jit=$5 rpct=$6 rms=$7 dpct=$8
    FAULT_SEQ=$((FAULT_SEQ + 1)); FID="f$FAULT_SEQ"
    DELAY_QUEUE=$((DELAY_QUEUE + 1))
    ip netns exec "$(nsname "$n")" chrt -f 50 "$WORK/bin/nfqdelay" "$DELAY_QUEUE" "$ms" "$jit" "$rpct" "$rms" "$dpct" >"$WORK/fault.$FID.out" 2>&1 &
    local pid=$!
    remember_pid "$pid"
    echo "$pid" >"$WORK/fault.$FID.pid"
    for _ in $(seq 1 50); do grep -q ready "$WORK/fault.$FID.out" && break; sleep 0.05; done
    grep -q ready "$WORK/fault.$FID.out" || die "nfqdelay did not start"
    echo "filter OUTPUT -o eth$l -p udp --dport 5405:5412 -m mark ! --mark 0x7717 -j NFQUEUE --queue-num $DELAY_QUEUE --queue-bypass" >"$WORK/fault.$FID.rules"
    local tb ch rest
    while read -r tb ch rest; do
        # shellcheck disable=SC2086
        in_ns "$n" iptables-legacy -t "$tb" -A "$ch" $rest || die "cannot add NFQUEUE rule"
    done <"$WORK/fault.$FID.rules"
    fault_record "$FID" start "${REQ:-$(now)}" "$(now)" \
        "{\"kind\": \"$kind\", \"node\": $n, \"link\": $l, \"direction\": \"egress\", \"delay_ms\": $ms, \"jitter_ms\": $jit, \"reorder_pct\": $rpct, \"reorder_extra_ms\": $rms, \"duplicate_pct\": $dpct, \"mechanism\": \"iptables-legacy NFQUEUE rule to nfqdelay in node netns: reorder = a random share of packets held longer, the rest released at once; duplicate = a copy re-sent through a raw socket (same IP id, UDP checksum recomputed, fwmark 0x7717 skips the queue)\"}"
    echo "$n" >"$WORK/fault.$FID.node"
}

# flaps NODE LINK COUNT DOWN_S UP_S [cut|linkdown] : COUNT short flaps in a
# row (blocking): COUNT faults of DOWN_S seconds with UP_S seconds between
flaps() {
    local n=$1 l=$2 count=$3 down=$4 up=$5 how=${6:-cut} i
    for i in $(seq 1 "$count"); do
        local ts=$EPOCHREALTIME
        if [ "$how" = cut ]; then cut_start "$n" "$l"; else linkdown_start "$n" "$l"; fi
        local f=$FID
        sleep "$(python3 -c "print(max(0.0, $ts + $down - __import__('time').time()))")"
        REQ=; fault_end "$f"
        [ "$i" = "$count" ] || sleep "$up"
    done
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
        cpu_starve) starve_end "$fid" ;;
        mtu_black_hole) mtu_hole_end "$fid" ;;
        reorder|duplicate) delay_end "$fid" ;;
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
