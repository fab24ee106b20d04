DESCRIPTION="3 nodes, 1 link, cleartext, token 1000 ms: 5 % ingress loss on node3 8-45 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=55
EXPECT="5 % ingress loss on node3 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 3 0 ingress 5 ; local a=$FID
    at 20; cpg 3 200 20 500
    at 45; fault_end $a
}
