DESCRIPTION="5 nodes, 2 links (passive), cleartext: five 1.5 s cuts of node4's link 1 (nftables both ways, 3 s apart) from 10 s; link 0 clean; captures inside every node plus the bridges"
NODES=5
LINKS=2
VANTAGE=all
DURATION=45
EXPECT="link 1 of node4's pairs down/up (flapping) where corosync logged it; no membership change"
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; flaps 4 1 5 1.5 3 cut
}
