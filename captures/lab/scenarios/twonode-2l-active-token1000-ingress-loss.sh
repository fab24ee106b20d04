DESCRIPTION="2 nodes (two_node), 2 links, link_mode active, token 1000 ms: 15 % ingress loss on node1 link 0 (dropped after the bridge, so visible in the pcap) 10-40 s; small and 3000-byte CPG messages"
NODES=2
LINKS=2
LINK_MODE=active
TOKEN=1000
DURATION=50
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; loss_start 1 0 ingress 15; local a=$FID
    at 20; cpg 2 3000 5 300
    at 40; fault_end $a
}
