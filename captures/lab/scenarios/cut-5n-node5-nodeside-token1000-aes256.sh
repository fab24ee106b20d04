DESCRIPTION="5 nodes, 1 link, aes256/sha256 (nss), token 1000 ms: node5 cut both ways on its own side 10-25 s: node5 leaves (its own singleton ring) and re-joins; captures inside every node plus the bridge"
NODES=5
LINKS=1
TOKEN=1000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=45
EXPECT="link_down on every pair with node5, token_lost, membership 1-4 (left 5) and node5 alone, then joined 5"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 5 0; local a=$FID
    at 25; fault_end $a
}
