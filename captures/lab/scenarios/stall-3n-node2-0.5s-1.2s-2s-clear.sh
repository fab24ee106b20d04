DESCRIPTION="3 nodes, 1 link, cleartext: corosync of node2 SIGSTOPped 0.5 s at 10 s, 1.2 s at 22 s, 2 s at 34 s (token 3650 ms: no token loss expected); captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="three host_stall of node2 with their durations (+-200 ms); no loss, no token_lost unless logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; pause_for 2 0.5
    at 22; pause_for 2 1.2
    at 34; pause_for 2 2
}
