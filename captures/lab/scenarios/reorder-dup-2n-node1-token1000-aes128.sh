DESCRIPTION="2 nodes (two_node), 1 link, aes128/sha1 (openssl), token 1000 ms: node1's egress reordered (10 % held 20 ms) and duplicated (5 %) 10-40 s, with CPG traffic; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=50
EXPECT="no loss, no link_down, no token finding"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; nfq_mangle_start 1 0 reorder 0 0 10 20 5; local a=$FID
    at 15; cpg 1 200 40 200
    at 40; fault_end $a
}
