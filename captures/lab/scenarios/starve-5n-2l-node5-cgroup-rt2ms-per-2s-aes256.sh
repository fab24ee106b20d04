DESCRIPTION="5 nodes, 2 links, aes256/sha256 (nss): CPU starvation of node5's corosync through a cgroup (RT budget 2 ms per 2 s, CFS quota 1 ms per 100 ms) 10-35 s, CPG traffic from node5: corosync needs ~15-20 ms of CPU per s here, so it runs in short bursts with pauses of up to ~2 s; captures inside every node plus the bridges"
NODES=5
LINKS=2
CRYPTO_CIPHER=aes256
CRYPTO_HASH=sha256
CRYPTO_MODELS=nss
VANTAGE=all
DURATION=50
EXPECT="node5 silent for up to ~2 s at a time, then a burst: host_stall / latency as the wire shows; token loss only if logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; starve_start 5 2000 2000000 1000; local a=$FID
    at 15; cpg 5 200 40 250
    at 35; fault_end $a
}
