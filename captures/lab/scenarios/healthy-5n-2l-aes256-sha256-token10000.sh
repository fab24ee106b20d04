DESCRIPTION="5 nodes, 2 links (passive), knet crypto aes256/sha256 (nss), token 10000 ms, no fault; a capture inside every node plus the bridges: idle ring, small and fragmented CPG messages; must give no warning"
NODES=5
LINKS=2
TOKEN=10000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 3 200 20 200
    at 18; cpg 5 3000 5 500
}
