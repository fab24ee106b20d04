#!/usr/bin/env python3
"""Generate a large corosync-only pcap for the benches (not committed).

A committed capture is repeated end to end until the file reaches SIZE_MB,
each copy shifted in time to start one second after the previous one ended,
so timestamps only increase: the shape of an incident capture taken with a
port filter (knet/totem traffic only, nothing else). An encrypted source
gives an encrypted-only file, read with the source's authkey.

usage: gen-repeat.py OUT.pcap SIZE_MB SOURCE.pcap
"""
import struct
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, size_mb, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(src, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic == 0xA1B2C3D4:
            per_sec = 1_000_000
        elif magic == 0xA1B23C4D:
            per_sec = 1_000_000_000
        else:
            sys.exit("%s: need a little-endian pcap" % src)
        recs = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, orig = struct.unpack("<IIII", rec)
            recs.append((sec * per_sec + frac, incl, orig, f.read(incl)))
    if not recs:
        sys.exit("%s: no packets" % src)
    first, last = recs[0][0], recs[-1][0]
    span = last - first + per_sec  # one second between copies
    limit = size_mb * 1024 * 1024
    written, copies = 24, 0
    with open(out, "wb") as o:
        o.write(hdr)
        while written < limit:
            shift = copies * span
            chunk = []
            for ts, incl, orig, data in recs:
                t = ts + shift
                chunk.append(struct.pack("<IIII", t // per_sec, t % per_sec, incl, orig))
                chunk.append(data)
                written += 16 + incl
                if written >= limit:
                    break
            o.write(b"".join(chunk))
            copies += 1
    print("%s: %d copies of %s, %d bytes" % (out, copies, src, written), file=sys.stderr)


if __name__ == "__main__":
    main()
