DESCRIPTION="5 nodes, 2 links (passive), aes128/sha1 (openssl), token 1000 ms: 5 % egress loss on node2 link 1 only 8-45 s; captures inside every node plus the bridges"
NODES=5
LINKS=2
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=55
EXPECT="5 % egress loss on node2 link1 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 2 1 egress 5 ; local a=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a
}
