DESCRIPTION="3 nodes, 2 links (passive): node3 link 1 cut both ways 10-30 s (link 1 down, no membership change); node2 link 0 set down 40-43 s and 50-53 s (flaps, data moves to link 1)"
NODES=3
LINKS=2
DURATION=65
scenario() {
    at 1; bg_traffic 1 100 3000 1
    at 10; cut_start 3 1; local a=$FID
    at 30; fault_end $a
    at 40; linkdown_start 2 0; local b=$FID
    at 43; fault_end $b
    at 50; linkdown_start 2 0; local c=$FID
    at 53; fault_end $c
}
