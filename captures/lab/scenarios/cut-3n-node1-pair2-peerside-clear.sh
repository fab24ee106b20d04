DESCRIPTION="3 nodes, 1 link, cleartext: only the pair node1-node2 cut, on node2's side (node2 drops all corosync traffic to and from node1) 10-30 s; node3 still reaches both (partial connectivity); captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="link_down on pair 1-2 only; membership as corosync logged (a partial partition)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; peer_cut_start 1 0 2; local a=$FID
    at 30; fault_end $a
}
