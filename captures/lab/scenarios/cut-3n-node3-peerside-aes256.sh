DESCRIPTION="3 nodes, 1 link, aes256/sha256 (nss): node3 cut on the peers' side (node1 and node2 drop all corosync traffic to and from node3) 10-30 s; node3's own interface and rules untouched; captures inside every node plus the bridge"
NODES=3
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="link_down on every pair with node3, token_lost, node3 leaves and re-joins; node3's packets still on the wire (bridge and peers' captures), unanswered"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; peer_cut_start 3 0; local a=$FID
    at 30; fault_end $a
}
