DESCRIPTION="2 nodes (two_node), 1 link, cleartext: duplication on node2's egress: 20 % of node2's packets sent twice 10-40 s, with CPG traffic from node2; captures inside each node plus the bridge"
NODES=2
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="no loss, no link_down, no token finding"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; nfq_mangle_start 2 0 duplicate 0 0 0 0 20; local a=$FID
    at 15; cpg 2 200 40 200
    at 40; fault_end $a
}
