DESCRIPTION="3 nodes, 2 links (passive), aes128/sha1 (openssl), token 10000 ms, no fault; captures inside every node plus the bridges: idle ring, small and fragmented CPG messages, a burst; must give no warning"
NODES=3
LINKS=2
TOKEN=10000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 2 200 20 200
    at 18; cpg 3 1000 100 0
    at 25; cpg 1 3000 5 500
}
