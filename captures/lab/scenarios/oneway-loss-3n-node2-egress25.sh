DESCRIPTION="3 nodes, 1 link: 25 % egress loss on node2 (only packets node2 sends) 10-50 s; pongs/pings from node2 lost, link flaps expected"
NODES=3
LINKS=1
DURATION=60
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; loss_start 2 0 egress 25; local a=$FID
    at 50; fault_end $a
}
