DESCRIPTION="3 nodes, 1 link, cleartext: reordering on node2's egress: 20 % of node2's packets held 15 ms while the rest pass at once (NFQUEUE) 10-40 s, with CPG traffic; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="no loss, no link_down, no token finding: reordering only (late packets are not lost)"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; nfq_mangle_start 2 0 reorder 0 0 20 15 0; local a=$FID
    at 15; cpg 2 200 40 200
    at 40; fault_end $a
}
