DESCRIPTION="2 nodes (two_node), 2 links, link_mode active, cleartext, default token, no fault; captures inside each node plus the bridges: idle ring, small and fragmented CPG messages; must give no warning"
NODES=2
LINKS=2
LINK_MODE=active
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 2 200 20 200
    at 18; cpg 1 3000 5 500
}
