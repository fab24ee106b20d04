DESCRIPTION="3 nodes, 1 link, cleartext: CPU starvation of node2's corosync through a cgroup (RT budget 1 ms per 1 s, CFS quota 1 ms per 100 ms) 10-35 s, with CPG traffic from node2: corosync needs ~15-20 ms of CPU per s here, so it runs in short bursts with pauses of up to ~1 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="node2 silent for up to ~1 s at a time, then a burst: host_stall / latency as the wire shows; token loss only if logged"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; starve_start 2 1000 1000000 1000; local a=$FID
    at 15; cpg 2 200 40 250
    at 35; fault_end $a
}
