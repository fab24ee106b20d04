DESCRIPTION="5 nodes, 2 links, aes256/sha256 (nss): 10 % loss both ways on node3 link 0 only 8-45 s (link 1 clean); captures inside every node plus the bridges"
NODES=5
LINKS=2
TOKEN=3000
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=55
EXPECT="10 % both loss on node3 link0 8-45 s: loss flagged on the faulted direction(s) with the realised rate of the per-pair nft counters"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; loss_start 3 0 both 10 ; local a=$FID
    at 20; cpg 3 200 20 500
    at 45; fault_end $a
}
