DESCRIPTION="5 nodes, 1 link, aes128/sha1 (openssl): two flaps of node3's interface (ip link set down 2 s, up 8 s) from 10 s; captures inside every node plus the bridge"
NODES=5
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="link_down/up of node3's pairs twice; membership as logged"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 3 0 2 2 8 linkdown
}
