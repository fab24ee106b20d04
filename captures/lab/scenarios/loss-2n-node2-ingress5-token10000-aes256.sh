DESCRIPTION="2 nodes (two_node), 1 link, aes256/sha256 (nss), token 10000 ms: 5 % ingress loss on node2 8-45 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="5 % ingress loss on node2 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 2 0 ingress 5 ; local a=$FID
    at 20; cpg 2 200 20 500
    at 45; fault_end $a
}
