DESCRIPTION="2 nodes (two_node), 1 link, aes128/sha1 (openssl), token 10000 ms: node2 cut both ways on its own side 10-18 s (8 s, shorter than the token timeout of 10000 ms): link down and up; captures inside each node plus the bridge"
NODES=2
LINKS=1
TOKEN=10000
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="link_down both ways 10-18 s; token_lost / membership only if corosync logged them (token 10000 > cut 8 s)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 2 0; local a=$FID
    at 18; fault_end $a
}
