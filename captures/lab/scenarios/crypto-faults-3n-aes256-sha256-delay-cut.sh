DESCRIPTION="3 nodes, 1 link, knet crypto aes256/sha256 (nss on every node): every packet node2 sends delayed 30 ms +- 2 ms 10-25 s, then node3 cut both ways 32-42 s (membership change and re-join)"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
DURATION=58
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; delay_start 2 0 egress 30 2; local a=$FID
    at 17; cpg 3 3000 5 500
    at 25; fault_end $a
    at 32; cut_start 3 0; local b=$FID
    at 42; fault_end $b
}
