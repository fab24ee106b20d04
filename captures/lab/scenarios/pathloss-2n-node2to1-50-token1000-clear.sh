DESCRIPTION="2 nodes (two_node), 1 link, cleartext, token 1000 ms: 50 % of node2's packets to node1 dropped on the bridge (one direction) 8-45 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=55
EXPECT="one_way_loss 2->1 with the realised rate of the bridge nft counters; 1->2 clean"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; path_loss_start 2 1 0 50; local a=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a
}
