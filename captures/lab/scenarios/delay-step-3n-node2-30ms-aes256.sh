DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): latency step: every packet node2 sends delayed 30 ms (no jitter, NFQUEUE holder in node2) 15-35 s, 0 before and after; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="latency warning on node2's pairs for the 20 s step (>= max(5 ms, 10x baseline) held >= 5 s)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 15; delay_start 2 0 egress 30 0; local a=$FID
    at 25; cpg 3 3000 5 500
    at 35; fault_end $a
}
