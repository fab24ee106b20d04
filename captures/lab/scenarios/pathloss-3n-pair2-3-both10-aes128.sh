DESCRIPTION="3 nodes, 1 link, aes128/sha1 (openssl): 10 % of the packets between node2 and node3 dropped on the bridge in both directions (one pair only) 8-45 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=55
EXPECT="loss both ways on pair 2-3 only, realised rates from the bridge nft counters; pairs with node1 clean"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; path_loss_start 2 3 0 10; local a=$FID
    path_loss_start 3 2 0 10; local b=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a; fault_end $b
}
