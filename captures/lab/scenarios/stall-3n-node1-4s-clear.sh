DESCRIPTION="3 nodes, 1 link, cleartext: corosync of node1 SIGSTOPped 4 s at 12 s (longer than token 3650 ms, shorter than token + consensus): token lost, ring re-forms; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=45
EXPECT="host_stall of node1 (4 s); token_lost / membership as corosync logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 1 4
}
