DESCRIPTION="3 nodes, 1 link: node3 cut both ways 10-25 s (membership change and re-join); bridge capture plus a capture inside node1's namespace (tcpdump -i any: single-vantage view)"
NODES=3
LINKS=1
VANTAGE=1
DURATION=45
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 3 0; local a=$FID
    at 25; fault_end $a
}
