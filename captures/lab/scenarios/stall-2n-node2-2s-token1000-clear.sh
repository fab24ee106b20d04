DESCRIPTION="2 nodes (two_node), 1 link, cleartext, token 1000 ms: corosync of node2 SIGSTOPped 2 s at 12 s and 0.5 s at 28 s (the first longer than the token timeout); captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node2; token_lost where node1 logged it (not measured at the stalled node)"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 2 2
    at 28; pause_for 2 0.5
}
