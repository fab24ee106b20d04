DESCRIPTION="2 nodes (two_node), 1 link, aes256/sha256 (nss), token 10000 ms: corosync of node1 SIGSTOPped 4 s at 12 s (shorter than the token timeout); captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="host_stall of node1 (4 s); no token_lost"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 1 4
}
