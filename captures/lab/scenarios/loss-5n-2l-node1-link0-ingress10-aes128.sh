DESCRIPTION="5 nodes, 2 links (passive), aes128/sha1 (openssl): 10 % ingress loss on node1 link 0 only 8-45 s; captures inside every node plus the bridges"
NODES=5
LINKS=2
TOKEN=3000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=55
EXPECT="10 % ingress loss on node1 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 1 0 ingress 10 ; local a=$FID
    at 20; cpg 1 200 20 500
    at 45; fault_end $a
}
