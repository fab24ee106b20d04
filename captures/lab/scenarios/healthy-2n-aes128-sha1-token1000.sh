DESCRIPTION="2 nodes (two_node), 1 link, knet crypto aes128/sha1 (openssl), token 1000 ms, no fault; a capture inside each node plus the bridge: idle ring, small and fragmented CPG messages; must give no warning"
NODES=2
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 2 200 20 200
    at 18; cpg 1 3000 5 500
}
