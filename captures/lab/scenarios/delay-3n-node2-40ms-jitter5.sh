DESCRIPTION="3 nodes, 1 link: every packet node2 sends delayed 40 ms +- 5 ms (uniform, NFQUEUE holder) 10-50 s"
NODES=3
LINKS=1
DURATION=60
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; delay_start 2 0 egress 40 5; local a=$FID
    at 30; cpg 3 3000 5 500
    at 50; fault_end $a
}
