DESCRIPTION="5 nodes, 2 links (passive), aes256/sha256 (nss): every packet node2 sends on link 0 delayed 5 ms +- 5 ms (reorders) 10-40 s; link 1 clean; captures inside every node plus the bridges"
NODES=5
LINKS=2
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="jitter on link 0 of node2's pairs; no loss"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; delay_start 2 0 egress 5 5; local a=$FID
    at 20; cpg 2 200 20 200
    at 40; fault_end $a
}
