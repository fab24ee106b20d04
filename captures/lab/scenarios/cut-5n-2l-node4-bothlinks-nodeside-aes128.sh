DESCRIPTION="5 nodes, 2 links (passive), aes128/sha1 (openssl): both links of node4 cut on its own side 10-25 s: node4 leaves and re-joins; captures inside every node plus the bridges"
NODES=5
LINKS=2
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="link_down on both links of every pair with node4, token_lost, membership without node4, then joined 4"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 4 0; local a=$FID; cut_start 4 1; local b=$FID
    at 25; fault_end $a; fault_end $b
}
