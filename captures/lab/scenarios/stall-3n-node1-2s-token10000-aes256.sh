DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss), token 10000 ms: corosync of node1 (the CPG sender) SIGSTOPped 2 s at 12 s and 2 s at 27 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node1 (2 s); token_lost only as logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 1 2
    at 27; pause_for 1 2
}
