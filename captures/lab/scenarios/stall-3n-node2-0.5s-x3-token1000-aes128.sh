DESCRIPTION="3 nodes, 1 link, aes128/sha1 (openssl), token 1000 ms (1650 effective): corosync of node2 SIGSTOPped 0.5 s three times (10, 20, 30 s); captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="three host_stall of node2 (0.5 s); no token_lost unless logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; pause_for 2 0.5
    at 20; pause_for 2 0.5
    at 30; pause_for 2 0.5
}
