DESCRIPTION="3 nodes, 1 link, knet crypto aes256/sha256 (nss on every node), no fault: same traffic as healthy-3n-clear"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
DURATION=45
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 5; cpg 2 200 20 100
    at 12; cpg 3 3000 10 300
    at 18; cpg 1 10000 3 500
    at 24; cpg 2 1000 100 0
    at 30; cpg 3 3000 15 0
}
