DESCRIPTION="5 nodes, 1 link, aes128/sha1 (openssl): reordering on node3's egress: 30 % of node3's packets held 5 ms, the rest pass at once, 10-40 s, with CPG traffic from node3; captures inside every node plus the bridge"
NODES=5
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=50
EXPECT="no loss, no link_down, no token finding"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; nfq_mangle_start 3 0 reorder 0 0 30 5 0; local a=$FID
    at 15; cpg 3 200 40 200
    at 40; fault_end $a
}
