DESCRIPTION="3 nodes, 1 link, cleartext, no fault: idle ring, small CPG messages, 3000/10000-byte (knet-fragmented) messages, a back-to-back burst"
NODES=3
LINKS=1
DURATION=45
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 5; cpg 2 200 20 100
    at 12; cpg 3 3000 10 300
    at 18; cpg 1 10000 3 500
    at 24; cpg 2 1000 100 0
    at 30; cpg 3 3000 15 0
}
