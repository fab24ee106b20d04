DESCRIPTION="3 nodes, 2 links: both links of node3 cut (nftables drop both ways) 10-30 s: links down, token lost, membership 1 2, then node3 re-joins"
NODES=3
LINKS=2
DURATION=55
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 3 0; local a=$FID; cut_start 3 1; local b=$FID
    at 30; fault_end $a; fault_end $b
}
