DESCRIPTION="2 nodes (two_node), 1 link, aes128/sha1 (openssl), token 1000 ms: three 2 s cuts of node1 (nftables both ways, 5 s apart) from 10 s; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="three outages: link_down/up each, token_lost and membership changes as logged (token 1000 < 2 s)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 1 0 3 2 5 cut
}
