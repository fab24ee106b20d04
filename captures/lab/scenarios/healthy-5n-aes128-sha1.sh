DESCRIPTION="5 nodes, 1 link, aes128/sha1 (openssl), default token (4950 effective), no fault; captures inside every node plus the bridge; must give no warning"
NODES=5
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 3 200 20 200
    at 18; cpg 4 3000 5 500
}
