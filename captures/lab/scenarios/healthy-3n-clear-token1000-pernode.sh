DESCRIPTION="3 nodes, 1 link, cleartext, token 1000 ms, no fault; a capture inside every node plus the bridge: idle ring, small CPG messages, a back-to-back burst; must give no warning"
NODES=3
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 2 200 20 200
    at 18; cpg 3 1000 100 0
    at 25; cpg 1 3000 5 500
}
