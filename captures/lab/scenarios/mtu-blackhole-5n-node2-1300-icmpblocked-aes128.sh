DESCRIPTION="5 nodes, 1 link, aes128/sha1 (openssl), knet_pmtud_interval 5: PMTU black hole on node2's path (bridge port MTU 1300, ICMP frag-needed dropped) 10-40 s, with 2 % random egress loss on node4 at the same time (a lost probe is not a black hole); captures inside every node plus the bridge"
NODES=5
LINKS=1
PMTUD_INTERVAL=5
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=55
EXPECT="mtu_black_hole on node2's pairs only; node4's random loss must not be called a black hole"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; mtu_hole_start 2 0 1300; local a=$FID
    loss_start 4 0 egress 2; local b=$FID
    at 40; fault_end $a; fault_end $b
    at 47; cpg 1 3000 5 300
}
