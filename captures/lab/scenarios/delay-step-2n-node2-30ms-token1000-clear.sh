DESCRIPTION="2 nodes (two_node), 1 link, cleartext, token 1000 ms: latency step: node2's packets delayed 30 ms in the hub (one way) 15-35 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=50
EXPECT="latency warning on the pair for the 20 s step; one way 2->1 on the per-node captures"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 15; hub_delay_start 2 0 30 0; local a=$FID
    at 25; cpg 1 200 20 200
    at 35; fault_end $a
}
