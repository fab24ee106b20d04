DESCRIPTION="5 nodes, 1 link, cleartext, token 10000 ms: latency step: node5's packets delayed 30 ms in the hub (one way, after node5's own capture point) 15-35 s; captures inside every node plus the bridge"
NODES=5
LINKS=1
TOKEN=10000
VANTAGE=all
DURATION=50
EXPECT="latency warning on the pairs with node5 for the 20 s step; one way (node5 -> peers) on the per-node captures"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 15; hub_delay_start 5 0 30 0; local a=$FID
    at 25; cpg 2 200 20 200
    at 35; fault_end $a
}
