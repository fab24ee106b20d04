DESCRIPTION="3 nodes, 1 link, cleartext: four short flaps of node2 (1 s nftables cut both ways, 4 s apart) from 10 s; captures inside every node plus the bridge"
NODES=3
LINKS=1
VANTAGE=all
DURATION=45
EXPECT="four 1 s outages of node2; link_down only where corosync logged it (pong timeout ~1.8 s), flapping if so"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 2 0 4 1 4 cut
}
