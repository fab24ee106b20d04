DESCRIPTION="5 nodes, 2 links, aes256/sha256 (nss): CPU starvation of node5's corosync through a cgroup (RT budget 10 ms per 500 ms, CFS quota 1 ms per 100 ms) 10-35 s, CPG traffic from node5; captures inside every node plus the bridges"
NODES=5
LINKS=2
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="node5 answers late or in bursts while starved; host_stall / latency as the wire shows"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; starve_start 5 10000 500000 1000; local a=$FID
    at 15; cpg 5 200 40 250
    at 35; fault_end $a
}
