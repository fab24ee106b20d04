DESCRIPTION="3 nodes, 1 link, cleartext: 50 % egress loss on node2 8-45 s (links flap, membership changes); captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=3000
VANTAGE=all
DURATION=55
EXPECT="50 % egress loss on node2 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 2 0 egress 50 ; local a=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a
}
