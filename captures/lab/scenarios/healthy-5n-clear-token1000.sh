DESCRIPTION="5 nodes, 1 link, cleartext, token 1000 ms (2950 effective), no fault; captures inside every node plus the bridge; must give no warning"
NODES=5
LINKS=1
TOKEN=1000
VANTAGE=all
DURATION=45
EXPECT="healthy: zero warnings"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; cpg 4 200 20 200
    at 18; cpg 2 3000 5 500
}
