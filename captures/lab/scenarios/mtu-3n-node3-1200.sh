DESCRIPTION="3 nodes, 1 link, knet_pmtud_interval 5: node3 eth0 MTU 1500 -> 1200 at 10 s, back to 1500 at 45 s; 3000-byte CPG messages at 25 s and 55 s"
NODES=3
LINKS=1
PMTUD_INTERVAL=5
DURATION=65
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_start 3 0 1200; local a=$FID
    at 25; cpg 1 3000 5 300
    at 45; fault_end $a
    at 55; cpg 1 3000 5 300
}
