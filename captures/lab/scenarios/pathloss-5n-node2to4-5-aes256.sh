DESCRIPTION="5 nodes, 1 link, aes256/sha256 (nss): 5 % of node2's packets to node4 dropped on the bridge (one pair, one direction) 8-45 s; captures inside every node plus the bridge"
NODES=5
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="one_way_loss 2->4 with the realised rate of the bridge nft counters; everything else clean"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; path_loss_start 2 4 0 5; local a=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a
}
