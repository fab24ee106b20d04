DESCRIPTION="3 nodes, 1 link, cleartext, token 10000 ms: four 1 s flaps of node3's interface (ip link set down/up, 4 s apart) from 10 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
TOKEN=10000
VANTAGE=all
DURATION=45
EXPECT="short outages of node3; link_down where logged; no token_lost (token 10000)"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 3 0 4 1 4 linkdown
}
