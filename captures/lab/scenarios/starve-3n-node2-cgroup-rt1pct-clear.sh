DESCRIPTION="3 nodes, 1 link, cleartext: a cgroup CPU limit on node2's corosync that does not bite (RT budget 10 ms per 1 s, CFS quota 1 ms per 100 ms) 10-35 s, with CPG traffic from node2: corosync used ~17 ms of CPU per s and RT runtime sharing between the 2 CPUs covered it, no corosync event; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=50
EXPECT="no corosync event: the budget was not exceeded enough to stall it; nothing above info expected"
scenario() {
    at 1; bg_traffic 1 100 1000 1
    at 10; starve_start 2 10000 1000000 1000; local a=$FID
    at 15; cpg 2 200 40 250
    at 35; fault_end $a
}
