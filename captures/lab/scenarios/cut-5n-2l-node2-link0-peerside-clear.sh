DESCRIPTION="5 nodes, 2 links (passive), cleartext: node2's link 0 cut on the peers' side (nodes 1,3,4,5 drop node2's corosync traffic on link 0) 10-30 s; link 1 carries on: link down, no membership change; captures inside every node plus the bridges"
NODES=5
LINKS=2
VANTAGE=all
DURATION=50
EXPECT="link_down on link 0 of every pair with node2; no token loss, no membership change"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; peer_cut_start 2 0; local a=$FID
    at 18; cpg 2 200 20 300
    at 30; fault_end $a
}
