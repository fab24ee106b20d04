DESCRIPTION="2 nodes (two_node), 1 link, cleartext: node1 cut on the peer's side (node2 drops all corosync traffic to and from node1) 10-25 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
VANTAGE=all
DURATION=45
EXPECT="link_down both ways, token_lost, two singleton rings (two_node keeps both quorate), then re-join"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; peer_cut_start 1 0; local a=$FID
    at 25; fault_end $a
}
