DESCRIPTION="3 nodes, 2 links (passive), aes128/sha1 (openssl): node3's link 0 cut on its own side 10-30 s; link 1 carries on (no membership change); captures inside every node plus the bridges"
NODES=3
LINKS=2
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="link_down on link 0 of node3's pairs; no token_lost, no membership change"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 3 0; local a=$FID
    at 18; cpg 3 200 20 300
    at 30; fault_end $a
}
