DESCRIPTION="5 nodes, 1 link, cleartext, knet_pmtud_interval 5: node4 eth0 MTU 1500 -> 1200 10-40 s (node side: local EMSGSIZE, PMTUD follows); 3000-byte CPG messages at 25 s and after; captures inside every node plus the bridge"
NODES=5
LINKS=1
PMTUD_INTERVAL=5
VANTAGE=all
DURATION=55
EXPECT="mtu_change on node4's pairs while lowered; PMTU per direction as corosync logged"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_start 4 0 1200; local a=$FID
    at 25; cpg 1 3000 5 300
    at 40; fault_end $a
    at 47; cpg 1 3000 5 300
}
