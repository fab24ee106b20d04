DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss), token 1000 ms: 10 % egress loss on node1 towards node3 only (one pair, one direction) 8-45 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="10 % egress loss on node1 link0 (pair with node3 only) 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 1 0 egress 10 3; local a=$FID
    at 20; cpg 1 200 20 500
    at 45; fault_end $a
}
