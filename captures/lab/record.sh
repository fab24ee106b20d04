#!/bin/bash
# Record corowire lab scenarios: real corosync 3 / kronosnet clusters in
# network namespaces, captured with tcpdump, with a truth file per capture.
#
#   captures/lab/record.sh --list              list scenarios
#   captures/lab/record.sh SCENARIO...         record into captures/
#   captures/lab/record.sh --out DIR SCENARIO  record into DIR
#   KEEP_WORK=1 captures/lab/record.sh ...     keep the work directory
#
# Needs root (namespaces, nftables) and the Debian 12 packages named in
# captures/README.md.
set -u
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_DIR=$(cd "$LAB_DIR/.." && pwd)

list() {
    local f name
    for f in "$LAB_DIR"/scenarios/*.sh; do
        name=$(basename "$f" .sh)
        printf '%-32s %s\n' "$name" "$(sed -n 's/^DESCRIPTION="\(.*\)"$/\1/p' "$f")"
    done
}

run_one() {   # scenario out_dir
    local name=$1
    OUT=$2
    # shellcheck source=lab.sh
    . "$LAB_DIR/lab.sh"
    NODES=3 LINKS=1 TRANSPORT=knet TOKEN=3000 LINK_MODE=passive
    CRYPTO_CIPHER=none CRYPTO_HASH=none CRYPTO_MODELS=nss PMTUD_INTERVAL=30
    DURATION=60 VANTAGE= DESCRIPTION= EXPECT=
    scenario() { :; }
    . "$LAB_DIR/scenarios/$name.sh"
    SCENARIO=$name
    # VANTAGE=all: a capture inside every node
    [ "$VANTAGE" = all ] && VANTAGE=$(seq -s ' ' 1 "$NODES")

    [ "$(id -u)" = 0 ] || die "must run as root"
    local t
    for t in chrt corosync corosync-cmapctl corosync-cfgtool corosync-quorumtool tcpdump mergecap nft iptables-legacy ip gcc python3 unshare timeout; do
        command -v "$t" >/dev/null || die "missing tool: $t"
    done
    WORK=$(mktemp -d /tmp/corowire-lab.XXXXXX)
    : >"$WORK/pids"
    trap cleanup EXIT INT TERM
    log "scenario $name in $WORK"

    build_tools
    netns_up
    if [ "$CRYPTO_CIPHER" != none ] || [ "$CRYPTO_HASH" != none ]; then
        # throw-away 256-byte key (what corosync-keygen writes by default)
        head -c 256 /dev/urandom >"$WORK/authkey"
        chmod 400 "$WORK/authkey"
    fi
    echo "$(now)" >"$WORK/run_start"
    start_captures
    start_cluster
    wait_formed 40
    mark "all nodes see $NODES votes"
    T0=$(now)
    echo "$T0" >"$WORK/t0"
    sample_all begin full
    for n in $(seq 1 "$NODES"); do sample_tool config "$n" cmap corosync-cmapctl; done
    start_sampler 5
    scenario
    at "$DURATION"
    stop_sampler
    sample_all end full
    stop_captures
    stop_cluster
    echo "$(now)" >"$WORK/run_end"
    write_outputs
}

write_outputs() {
    local l files=()
    for l in $(seq 0 $((LINKS - 1))); do files+=("$WORK/cap/bridge$l.pcap"); done
    mkdir -p "$OUT/logs/$SCENARIO"
    rm -f "$OUT/$SCENARIO".* "$OUT/logs/$SCENARIO"/*
    mergecap -F pcap -w "$OUT/$SCENARIO.pcap" "${files[@]}"
    local v
    for v in $VANTAGE; do
        cp "$WORK/cap/vantage$v.pcap" "$OUT/$SCENARIO.vantage-node$v.pcap"
    done
    [ -f "$WORK/authkey" ] && cp "$WORK/authkey" "$OUT/$SCENARIO.authkey" && chmod 644 "$OUT/$SCENARIO.authkey"
    local n
    for n in $(seq 1 "$NODES"); do
        cp "$WORK/n$n/corosync.conf" "$OUT/logs/$SCENARIO/node$n.corosync.conf"
        sed -i "s|$WORK|/LAB|g" "$OUT/logs/$SCENARIO/node$n.corosync.conf"
        gzip -9n <"$WORK/n$n/corosync.log" >"$OUT/logs/$SCENARIO/node$n.log.gz"
    done
    python3 "$LAB_DIR/truth.py" --work "$WORK" --out "$OUT" --scenario "$SCENARIO" \
        --nodes "$NODES" --links "$LINKS" --transport "$TRANSPORT" --token "$TOKEN" \
        --link-mode "$LINK_MODE" --cipher "$CRYPTO_CIPHER" --hash "$CRYPTO_HASH" \
        --models "$CRYPTO_MODELS" --pmtud-interval "$PMTUD_INTERVAL" \
        --duration "$DURATION" --vantage "${VANTAGE:-0}" --description "$DESCRIPTION" \
        --expect "$EXPECT" --script "$LAB_DIR/scenarios/$SCENARIO.sh" \
        || die "truth.py failed"
    log "wrote $OUT/$SCENARIO.*"
}

case ${1:-} in
    ''|-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    --list) list; exit 0 ;;
    --one) run_one "$2" "$3"; exit $? ;;
esac
if [ "$1" = --out ]; then OUT_DIR=$(mkdir -p "$2" && cd "$2" && pwd); shift 2; fi
rc=0
child=
# timeout(1) puts the run in its own process group, so Ctrl-C / SIGTERM
# given to this script are forwarded to it (the run then cleans up)
interrupted() {
    echo "interrupted: stopping the running scenario" >&2
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
    exit 130
}
trap interrupted INT TERM
for sc in "$@"; do
    [ -f "$LAB_DIR/scenarios/$sc.sh" ] || { echo "unknown scenario: $sc (see --list)" >&2; rc=1; continue; }
    dur=$(sed -n 's/^DURATION=\([0-9]*\).*/\1/p' "$LAB_DIR/scenarios/$sc.sh"); dur=${dur:-60}
    # bounded: scenario duration + setup/formation/teardown margin
    timeout --signal=TERM --kill-after=30 $((dur + 150)) "$0" --one "$sc" "$OUT_DIR" &
    child=$!
    wait "$child" || { echo "scenario $sc failed" >&2; rc=1; }
    child=
done
exit $rc
