DESCRIPTION="5 nodes, 1 link, aes256/sha256 (nss): corosync of node2 SIGSTOPped 0.5 s at 12 s and 4 s at 25 s (token 4950 ms); captures inside every node plus the bridge"
NODES=5
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node2 (0.5 s, 4 s); token_lost only as logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 2 0.5
    at 25; pause_for 2 4
}
