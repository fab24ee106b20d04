DESCRIPTION="3 nodes, 1 link, aes128/sha1 (openssl): 25 % egress loss on node3 8-45 s (links flap, ring may re-form); captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=3000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=55
EXPECT="25 % egress loss on node3 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 3 0 egress 25 ; local a=$FID
    at 20; cpg 3 200 20 500
    at 45; fault_end $a
}
