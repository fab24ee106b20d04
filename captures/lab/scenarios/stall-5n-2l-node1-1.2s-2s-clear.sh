DESCRIPTION="5 nodes, 2 links (passive), cleartext: corosync of node1 (the CPG sender) SIGSTOPped 1.2 s at 12 s and 2 s at 26 s; captures inside every node plus the bridges"
NODES=5
LINKS=2
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node1 on both links; no token_lost (token 4950 ms) unless logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 1 1.2
    at 26; pause_for 1 2
}
