DESCRIPTION="5 nodes, 1 link, cleartext: 50 % egress loss on node1 towards node5 only (one pair, one direction) 8-45 s; captures inside every node plus the bridge"
NODES=5
LINKS=1
TOKEN=3000
VANTAGE=all
DURATION=55
EXPECT="50 % egress loss on node1 link0 (pair with node5 only) 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 1 0 egress 50 5; local a=$FID
    at 20; cpg 1 200 20 500
    at 45; fault_end $a
}
