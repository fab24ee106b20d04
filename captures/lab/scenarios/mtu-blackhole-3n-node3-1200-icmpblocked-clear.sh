DESCRIPTION="3 nodes, 1 link, cleartext, knet_pmtud_interval 5: PMTU black hole on node3's path: node3's bridge port MTU 1200 (node3's eth0 stays 1500), frames above it dropped silently both ways, ICMP frag-needed dropped in every node, 10-40 s; no large CPG messages during it; captures inside every node plus the bridge"
NODES=3
LINKS=1
PMTUD_INTERVAL=5
VANTAGE=all
DURATION=55
EXPECT="mtu_black_hole on the pairs with node3 (probes above ~1200 unanswered while smaller ones are answered); PMTU as corosync logged"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_hole_start 3 0 1200; local a=$FID
    at 40; fault_end $a
    at 47; cpg 1 3000 5 300
}
