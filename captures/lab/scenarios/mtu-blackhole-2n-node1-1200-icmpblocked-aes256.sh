DESCRIPTION="2 nodes (two_node), 1 link, aes256/sha256 (nss), knet_pmtud_interval 5: PMTU black hole on node1's path (bridge port MTU 1200, ICMP frag-needed dropped) 10-40 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
PMTUD_INTERVAL=5
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="mtu_black_hole on the pair; PMTU as corosync logged"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_hole_start 1 0 1200; local a=$FID
    at 40; fault_end $a
    at 47; cpg 2 3000 5 300
}
