DESCRIPTION="2 nodes (two_node), 1 link, aes256/sha256 (nss), knet_pmtud_interval 5: node2 eth0 MTU 1500 -> 1200 10-40 s (local EMSGSIZE, PMTUD follows); 3000-byte CPG messages after PMTUD adapted and after the MTU is back; captures inside each node plus the bridge"
NODES=2
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
PMTUD_INTERVAL=5
VANTAGE=all
DURATION=55
EXPECT="mtu_change on the pair while lowered, exact PMTU per direction as corosync logged; no black hole"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_start 2 0 1200; local a=$FID
    at 25; cpg 1 3000 5 300
    at 40; fault_end $a
    at 47; cpg 1 3000 5 300
}
