DESCRIPTION="3 nodes, 1 link, aes128/sha1 (openssl): latency step: every packet node1 sends delayed 50 ms (NFQUEUE in node1) 12-32 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes128
CRYPTO_HASH=sha1
CRYPTO_MODELS=openssl
VANTAGE=all
DURATION=45
EXPECT="latency warning on node1's pairs for the 20 s step"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 12; delay_start 1 0 egress 50 0; local a=$FID
    at 32; fault_end $a
}
