DESCRIPTION="3 nodes, 1 link, cleartext: 25 % of node1's packets to node3 dropped on the bridge (one pair, one direction: they leave node1 and never reach node3) 8-45 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=55
EXPECT="one_way_loss 1->3 with the realised rate of the bridge nft counters; 3->1 clean"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; path_loss_start 1 3 0 25; local a=$FID
    at 20; cpg 3 200 20 500
    at 45; fault_end $a
}
