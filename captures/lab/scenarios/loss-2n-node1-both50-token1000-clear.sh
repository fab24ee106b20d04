DESCRIPTION="2 nodes (two_node), 1 link, cleartext, token 1000 ms: 50 % loss both ways on node1 8-45 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=55
EXPECT="50 % both loss on node1 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 1 0 both 50 ; local a=$FID
    at 20; cpg 1 200 20 500
    at 45; fault_end $a
}
