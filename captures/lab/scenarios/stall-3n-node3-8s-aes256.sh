DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): corosync of node3 SIGSTOPped 8 s at 12 s (longer than token 3650 + consensus 4380 ms): node3 leaves and re-joins; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="host_stall of node3 (8 s); token_lost and membership (left 3, joined 3) as logged; the stalled node's own late view is not a token loss measured by it"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 12; pause_for 3 8
}
