#!/usr/bin/env python3
"""Lab self-check: compare each node's knet tx counters (deltas between the
'begin' and 'end' stats samples of NAME.truth.json) with the packets the
bridge capture holds between the same two sample times.

usage: check_counters.py captures/NAME.truth.json
Cleartext knet only (the packet type is read from the knet header); for
encrypted captures only totals are compared.
"""
import json
import os
import struct
import sys

TYPES = {0x00: "data", 0x81: "ping", 0x82: "pong", 0x83: "pmtu", 0x84: "pmtu_reply"}


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        nano = magic == 0xA1B23C4D
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack("<IIII", rec)
            yield sec + frac / (1e9 if nano else 1e6), f.read(incl)


def udp(data):
    if len(data) < 14 or data[12:14] != b"\x08\x00":
        return None
    ip = data[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17:
        return None
    frag = struct.unpack(">H", ip[6:8])[0]
    if frag & 0x1FFF:
        return None
    src, dst = ip[12:16], ip[16:20]
    u = ip[ihl:]
    sport, dport = struct.unpack(">HH", u[:4])
    return src, dst, sport, dport, u[8:]


def main(path):
    t = json.load(open(path))
    base = os.path.dirname(path)
    crypto = t["config"]["crypto"]["enabled"]
    pk = [(ts, udp(d)) for ts, d in frames(os.path.join(base, t["files"]["pcap"]))]
    bad = 0
    for w in t["counter_windows"]:
        a = w["node"]
        t0, t1 = w["begin"]["t"], w["end"]["t"]
        for peer, links in sorted(w["deltas"].items()):
            for link, d in sorted(links.items()):
                src = bytes([10, 77, int(link), a])
                dst = bytes([10, 77, int(link), int(peer)])
                wire = {"data": 0, "ping": 0, "pong": 0, "pmtu": 0, "pmtu_reply": 0, "total": 0}
                for ts, u in pk:
                    if u is None or not (t0 <= ts <= t1) or u[0] != src or u[1] != dst:
                        continue
                    wire["total"] += 1
                    if not crypto and len(u[4]) >= 2:
                        wire[TYPES.get(u[4][1], "data")] += 1
                # libknet 1.25 counts PMTUD probes in tx_pmtu_packets but does
                # not count the PMTUD replies it sends in any tx counter
                pairs = [("tx_total_packets", wire["total"] - wire["pmtu_reply"])] if not crypto else [
                    ("tx_total_packets", wire["total"])]
                if not crypto:
                    pairs += [("tx_data_packets", wire["data"]), ("tx_ping_packets", wire["ping"]),
                              ("tx_pong_packets", wire["pong"]),
                              ("tx_pmtu_packets", wire["pmtu"])]
                for key, n in pairs:
                    ok = abs(d.get(key, 0) - n) <= 1
                    bad += not ok
                    print("%s node%d->node%s link%s %-17s counter %5d wire %5d  (pmtud probes %d replies %d)" % (
                        "ok " if ok else "BAD", a, peer, link, key, d.get(key, 0), n, wire["pmtu"], wire["pmtu_reply"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
