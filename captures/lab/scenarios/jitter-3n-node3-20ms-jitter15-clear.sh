DESCRIPTION="3 nodes, 1 link, cleartext: every packet node3 sends delayed 20 ms +- 15 ms (uniform, reorders) 10-40 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="latency with high jitter on node3's pairs 10-40 s; no loss"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; delay_start 3 0 egress 20 15; local a=$FID
    at 20; cpg 1 3000 5 500
    at 40; fault_end $a
}
