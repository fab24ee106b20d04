DESCRIPTION="3 nodes, 1 link, one capture inside every node (tcpdump -i any) plus the bridge: node2's packets delayed 20 ms in the hub (one way, after node2's capture point) and 20 % of node1's packets to node3 dropped on the bridge (left node1, never reached node3) 8-42 s"
NODES=3
LINKS=1
VANTAGE="1 2 3"
DURATION=50
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 8; hub_delay_start 2 0 20 0; local a=$FID
    path_loss_start 1 3 0 20; local b=$FID
    at 42; fault_end $a
    fault_end $b
}
