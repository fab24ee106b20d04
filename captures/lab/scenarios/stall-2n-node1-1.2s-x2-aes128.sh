DESCRIPTION="2 nodes (two_node), 1 link, aes128/sha1 (openssl): corosync of node1 (the CPG sender) SIGSTOPped 1.2 s twice (12 s and 27 s); captures inside each node plus the bridge"
NODES=2
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="two host_stall of node1 (1.2 s); no token_lost (token 3000)"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 1 1.2
    at 27; pause_for 1 1.2
}
