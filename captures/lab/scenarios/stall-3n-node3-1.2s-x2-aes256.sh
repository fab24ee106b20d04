DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): corosync of node3 SIGSTOPped 1.2 s twice (12 s and 27 s); captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node3 (1.2 s); no token_lost"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 3 1.2
    at 27; pause_for 3 1.2
}
