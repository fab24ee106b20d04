DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): duplication on node3's egress: 10 % of node3's packets sent twice (NFQUEUE holder re-sends a copy) 10-40 s, with CPG traffic; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="no loss, no link_down, no token finding: duplicates only"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; nfq_mangle_start 3 0 duplicate 0 0 0 0 10; local a=$FID
    at 15; cpg 3 200 40 200
    at 40; fault_end $a
}
