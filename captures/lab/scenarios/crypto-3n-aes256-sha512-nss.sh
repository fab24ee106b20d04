DESCRIPTION="3 nodes, 1 link, knet crypto aes256/sha512 with crypto_model nss on every node; small and fragmented CPG messages"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha512
CRYPTO_MODELS=nss
DURATION=35
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 6; cpg 2 200 10 100
    at 12; cpg 3 3000 5 300
}
