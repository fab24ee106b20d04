DESCRIPTION="3 nodes, 1 link, knet crypto aes128/sha1 (openssl on every node), knet_pmtud_interval 5: 20 % egress loss on node2 8-30 s, then node3 eth0 MTU 1500 -> 1200 at 35 s, back to 1500 at 55 s; 3000-byte CPG messages at 58 s (one during the low MTU is a retransmit storm of several MB)"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
PMTUD_INTERVAL=5
DURATION=66
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 2 0 egress 20; local a=$FID
    at 30; fault_end $a
    at 35; mtu_start 3 0 1200; local b=$FID
    at 55; fault_end $b
    at 58; cpg 1 3000 5 300
}
