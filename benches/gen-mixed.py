#!/usr/bin/env python3
"""Generate a large mixed pcap for the benches (not committed).

Real corosync frames (taken from a committed capture, Ethernet link type) are
spread among bulk non-corosync traffic, as a SPAN port shows it: TCP ACKs and
full-size TCP segments, DNS, syslog, NTP, VLAN-tagged frames, IPv6 UDP.
Timestamps increase monotonically.

usage: gen-mixed.py OUT.pcap SIZE_MB [SOURCE.pcap] [--corosync-every N]
"""
import random
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            sys.exit("%s: need a little-endian pcap" % path)
        linktype = struct.unpack("<I", hdr[20:24])[0]
        if linktype != 1:
            sys.exit("%s: need Ethernet frames (link type 1), got %d" % (path, linktype))
        frames = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, incl, _ = struct.unpack("<IIII", rec)
            frames.append(f.read(incl))
        return frames


def csum(b):
    return 0  # checksums are not verified by the readers under test


def eth(payload, ethertype=0x0800, vlan=None):
    dst, src = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
    if vlan is not None:
        return dst + src + struct.pack(">HHH", 0x8100, vlan, ethertype) + payload
    return dst + src + struct.pack(">H", ethertype) + payload


def ipv4(proto, payload, src, dst):
    total = 20 + len(payload)
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, bytes(src), bytes(dst)) + payload


def ipv6_udp(sport, dport, data):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data
    return struct.pack(">IHBB16s16s", 0x60000000, len(udp), 17, 64, b"\xfd" + b"\x00" * 14 + b"\x01", b"\xfd" + b"\x00" * 14 + b"\x02") + udp


def tcp(sport, dport, data):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 1, 0x50, 0x10, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack(">HHHH", sport, dport, 8 + len(data), 0) + data


def bulk_templates():
    r = random.Random(7)
    a, b = [192, 0, 2, 10], [198, 51, 100, 20]
    t = []
    t += [eth(ipv4(6, tcp(443, 50000 + i, b""), a, b)) for i in range(8)] * 6           # ACKs, 54 B
    t += [eth(ipv4(6, tcp(50000 + i, 443, bytes(1460)), b, a)) for i in range(8)] * 3   # full segments, 1514 B
    t += [eth(ipv4(17, udp(53000 + i, 53, bytes(40)), a, b)) for i in range(4)] * 2     # DNS
    t += [eth(ipv4(17, udp(514, 514, bytes(r.randrange(60, 300))), a, b)) for _ in range(4)]  # syslog
    t += [eth(ipv4(17, udp(123, 123, bytes(48)), a, b), vlan=100)] * 2                   # NTP on a VLAN
    t += [eth(ipv6_udp(40000, 8080, bytes(200)), ethertype=0x86DD)] * 2                   # IPv6 UDP
    t += [eth(ipv4(6, tcp(22, 40022, bytes(r.randrange(100, 600))), a, b)) for _ in range(4)]
    return t


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    every = 20
    if "--corosync-every" in sys.argv:
        every = int(sys.argv[sys.argv.index("--corosync-every") + 1])
        args = [a for a in args if a != str(every)]
    if len(args) < 2:
        sys.exit(__doc__)
    out, size_mb = args[0], int(args[1])
    src = args[2] if len(args) > 2 else "captures/healthy-3n-clear.pcap"
    coro = read_pcap(src)
    bulk = bulk_templates()
    r = random.Random(42)
    limit = size_mb * 1024 * 1024
    written, n, ci = 24, 0, 0
    t_us = 1_700_000_000 * 1_000_000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk = []
        while written < limit:
            if n % every == 0:
                fr = coro[ci % len(coro)]
                ci += 1
            else:
                fr = bulk[r.randrange(len(bulk))]
            t_us += 3
            rec = struct.pack("<IIII", t_us // 1_000_000, t_us % 1_000_000, len(fr), len(fr)) + fr
            chunk.append(rec)
            written += len(rec)
            n += 1
            if len(chunk) >= 65536:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    print("%s: %d frames (%d corosync), %.1f MB" % (out, n, ci, written / 1e6))


if __name__ == "__main__":
    main()
