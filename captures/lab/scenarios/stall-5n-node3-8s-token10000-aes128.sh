DESCRIPTION="5 nodes, 1 link, aes128/sha1 (openssl), token 10000 ms (11950 effective): corosync of node3 SIGSTOPped 8 s at 12 s (shorter than the token timeout); captures inside every node plus the bridge"
NODES=5
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=50
EXPECT="host_stall of node3 (8 s); links to node3 down in the peers' view; token_lost only if logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 3 8
}
