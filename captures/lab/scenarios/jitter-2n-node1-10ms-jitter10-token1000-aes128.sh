DESCRIPTION="2 nodes (two_node), 1 link, aes128/sha1 (openssl), token 1000 ms: every packet node1 sends delayed 10 ms +- 10 ms (uniform, reorders) 10-40 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=50
EXPECT="latency/jitter on the pair 10-40 s; no loss"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; delay_start 1 0 egress 10 10; local a=$FID
    at 20; cpg 2 200 20 200
    at 40; fault_end $a
}
