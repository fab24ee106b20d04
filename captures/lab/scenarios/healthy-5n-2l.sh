DESCRIPTION="5 nodes, 2 links, cleartext, no fault: idle ring, small and 3000-byte CPG messages"
NODES=5
LINKS=2
DURATION=40
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 4 200 10 100
    at 15; cpg 5 3000 5 300
}
