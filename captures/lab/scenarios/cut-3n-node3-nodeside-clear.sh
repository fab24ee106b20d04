DESCRIPTION="3 nodes, 1 link, cleartext: node3 cut both ways on its own side (nftables drop in node3, per-peer counters) 10-30 s: links down, token lost, node3 leaves and re-joins; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="link_down on every pair with node3, token_lost, membership 1+2 (left 3), then joined 3"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 3 0; local a=$FID
    at 30; fault_end $a
}
