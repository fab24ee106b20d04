#!/usr/bin/env python3
"""Seed the fuzz corpora with real bytes from the committed captures, so the
fuzzers start from valid Ethernet/IP/UDP/knet/totem and mutate from there.

usage: fuzz/seed.py [CORPUS_DIR]   (default fuzz/corpus)
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURES = os.path.join(HERE, "..", "captures")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
# decode_frame picks the link type from the first byte, modulo this list's length.
LINKTYPE_INDEX = {1: 0, 101: 1, 113: 2, 276: 3, 228: 4, 229: 5, 0: 6}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or struct.unpack("<I", data[:4])[0] not in (0xA1B2C3D4, 0xA1B23C4D):
        return
    lt = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        yield lt, data[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_payload(lt, fr):
    l2 = {1: 14, 276: 20, 113: 16}.get(lt)
    if l2 is None or len(fr) < l2 + 28:
        return None
    if lt == 1 and fr[12:14] != b"\x08\x00":
        return None
    ip = fr[l2:]
    if ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    return ip[(ip[0] & 15) * 4 + 8:]


def put(target, blob):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(blob).hexdigest()), "wb") as f:
        f.write(blob)


def main():
    seen = {}
    for name in sorted(os.listdir(CAPTURES)):
        if not name.endswith(".pcap"):
            continue
        path = os.path.join(CAPTURES, name)
        with open(path, "rb") as f:
            put("capture_file", f.read(4096))
        for lt, fr in frames(path):
            p = udp_payload(lt, fr)
            if p is None or lt not in LINKTYPE_INDEX:
                continue
            # One seed per (capture kind, first bytes, length class): variety, not volume.
            clear = p[:1] == b"\x01" or p[:2] in (b"\x70\xc0", b"\xc0\x70")
            key = (lt, p[:2] if clear else b"enc", len(p) // 64)
            if key in seen:
                continue
            seen[key] = True
            put("decode_frame", bytes([LINKTYPE_INDEX[lt]]) + fr)
            put("net_decode", bytes([LINKTYPE_INDEX[lt]]) + fr)
            if p[:1] == b"\x01":
                put("knet", bytes([min(len(p), 255)]) + p[:255])
                if p[1:2] == b"\x00" and len(p) > 14:
                    put("totem", p[14:])
            elif p[:2] in (b"\x70\xc0", b"\xc0\x70"):
                put("totem", p)
    print("seeded %d distinct frames into %s" % (len(seen), OUT))
    print("seeded %d analysis sequences" % seed_analysis())


# The analysis target's records: flags (link type index | time mode << 3),
# time step (2 bytes LE), frame length (2 bytes LE), frame; after a mode byte.
ANALYSIS_LINKTYPES = {1: 0, 101: 1, 113: 2, 276: 3, 228: 4}


def seed_analysis():
    """Runs of consecutive frames (up to ~60 KB) from four places in each
    capture, with their real spacing: the fuzzer starts from real cluster
    traffic, faults included."""
    n = 0
    for name in sorted(os.listdir(CAPTURES)):
        if not name.endswith(".pcap"):
            continue
        path = os.path.join(CAPTURES, name)
        with open(path, "rb") as f:
            data = f.read()
        magic = struct.unpack("<I", data[:4])[0]
        lt = struct.unpack("<I", data[20:24])[0]
        if lt not in ANALYSIS_LINKTYPES:
            continue
        recs, off = [], 24
        while off + 16 <= len(data):
            s, frac, incl = struct.unpack("<III", data[off:off + 12])
            t = s * 10**9 + (frac if magic == 0xA1B23C4D else frac * 1000)
            recs.append((t, data[off + 16:off + 16 + incl]))
            off += 16 + incl
        for start in range(0, len(recs), max(1, len(recs) // 4)):
            blob = bytearray([2 if n % 3 == 0 else 0])
            prev = recs[start][0]
            for t, fr in recs[start:start + 500]:
                dt, prev = max(0, t - prev), t
                if dt // 1000 <= 0xFFFF:
                    flags, step = ANALYSIS_LINKTYPES[lt], dt // 1000
                else:
                    flags, step = ANALYSIS_LINKTYPES[lt] | 1 << 3, min(0xFFFF, dt // 10**9)
                r = bytes([flags]) + struct.pack("<HH", step, len(fr)) + fr
                if len(blob) + len(r) > 60000:
                    break
                blob += r
            # The tui target reads the same sequences.
            put("analysis", bytes(blob))
            put("tui", bytes(blob))
            n += 1
    return n


if __name__ == "__main__":
    main()
