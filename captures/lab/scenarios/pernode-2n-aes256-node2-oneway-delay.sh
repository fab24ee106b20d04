DESCRIPTION="2 nodes, 1 link, knet crypto aes256/sha256 (nss), one capture inside each node (tcpdump -i any) plus the bridge: node2's packets delayed 20 ms in the hub (one way, after node2's capture point) 10-30 s"
NODES=2
LINKS=1
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE="1 2"
DURATION=40
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; hub_delay_start 2 0 20 0; local a=$FID
    at 30; fault_end $a
}
