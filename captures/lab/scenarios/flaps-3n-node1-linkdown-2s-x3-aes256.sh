DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): three flaps of node1's interface (ip link set down 2 s, up 5 s) from 10 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="link_down/up of every pair with node1 three times (link_flapping)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 1 0 3 2 5 linkdown
}
