DESCRIPTION="3 nodes, 1 link: corosync of node2 SIGSTOPped 10-18 s (longer than token 3650 + consensus 4380 ms): node2 leaves, then re-joins after SIGCONT"
NODES=3
LINKS=1
DURATION=45
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; pause_start 2; local a=$FID
    at 18; fault_end $a
}
