DESCRIPTION="3 nodes, transport udpu (no knet, raw totem on udp 5405), cleartext: small and 3000-byte CPG messages, then node3 paused 25-32 s"
NODES=3
LINKS=1
TRANSPORT=udpu
DURATION=50
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 5; cpg 2 200 10 100
    at 12; cpg 3 3000 5 300
    at 25; pause_start 3; local a=$FID
    at 32; fault_end $a
}
