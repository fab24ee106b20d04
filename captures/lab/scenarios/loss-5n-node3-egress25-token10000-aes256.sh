DESCRIPTION="5 nodes, 1 link, aes256/sha256 (nss), token 10000 ms: 25 % egress loss on node3 8-45 s; captures inside every node plus the bridge"
NODES=5
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="25 % egress loss on node3 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 3 0 egress 25 ; local a=$FID
    at 20; cpg 3 200 20 500
    at 45; fault_end $a
}
