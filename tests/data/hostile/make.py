#!/usr/bin/env python3
"""Makes the hostile test captures in this directory from the committed
real captures (tests/data/ and tests/data/spec/). Deterministic: running it
again rewrites the same bytes. Needs python3 and `cryptography` (for the
authenticated-but-broken encrypted packets).

usage: python3 tests/data/hostile/make.py

Each file and what it exercises (issue 16; tests/hostile_inputs.rs):
  pcap-bad-length.pcap        record 10's captured length is 0xFFFFFFFF
  pcapng-bad-length.pcapng    block 10's length is 0xFFFFFFFF
  pcapng-200-bad-blocks.pcapng  20 good packets, then 200 blocks on an
                              undescribed interface (200 warnings)
  ip-fragments.pcap           IPv4/IPv6 fragments: never completed, evicted
                              by time, overlapping, duplicated, one whole
  knet-frag-failures.pcap     knet DATA fragments: bad frag_seq, a message
                              over 64 KiB, one left pending
  knet-node-8959.pcap         knet ping / pong / DATA from nodes 0x22FF
                              and 0xFF22 (read as corosync 2 before)
  crypto-bad-padding.pcap     aes256/sha256 knet packets (key
                              tests/data/spec/lab-authkey.bin): HMAC valid
                              with invalid padding, and a decrypted DATA
                              packet whose totem message is cut short
  before-1970.pcapng          frames at -1 ns and -1.5 s (if_tsoffset -2 s)
  spoofed-node-ids.pcap       the spec's real 3-node cleartext capture with
                              200 knet pings from node ids 1000-1199 at
                              addresses 10.66.x.y inserted, none answered
"""
import hashlib
import hmac
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..")
SPEC = os.path.join(DATA, "spec")


def pcap_records(path):
    """(header, [(sec, frac, frame)]) of a little-endian pcap."""
    d = open(path, "rb").read()
    hdr, off, out = d[:24], 24, []
    while off + 16 <= len(d):
        sec, frac, cap, _orig = struct.unpack("<IIII", d[off:off + 16])
        out.append((sec, frac, d[off + 16:off + 16 + cap]))
        off += 16 + cap
    return hdr, out


def pcap(linktype, recs, nanos=False):
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for sec, frac, fr in recs:
        out += struct.pack("<IIII", sec, frac, len(fr), len(fr)) + fr
    return out


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, mf=False, frag_off=0):
    flags = (0x2000 if mf else 0) | (frag_off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv6_frag(src, dst, ident, offset, more, payload):
    """An IPv6 packet with a fragment header carrying `payload` (UDP next)."""
    fh = struct.pack("!BBHI", 17, 0, offset | (1 if more else 0), ident)
    return struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(payload), 44, 64, src, dst) + fh + payload


A = [10, 99, 0, 1]
B = [10, 99, 0, 2]
RAW = 101  # LINKTYPE_RAW: frames start with the IP header
T0 = 1_795_311_487


def sll2_udp_payload(fr):
    # LINKTYPE_LINUX_SLL2 (20 bytes) + IPv4 (20) + UDP (8)
    return fr[48:]


def knet_samples(totem_type=2):
    """(ping, data) UDP payloads from the spec cleartext capture; the DATA
    packet is whole and carries a totem message of `totem_type`."""
    _, recs = pcap_records(os.path.join(SPEC, "lab-c3.1.7-knet1.25-cleartext.pcap"))
    ping = data = None
    for _, _, fr in recs:
        p = sll2_udp_payload(fr)
        if ping is None and p[1] == 0x81:
            ping = p
        if (data is None and p[1] == 0 and p[11] <= 1
                and p[14:16] in (b"\x70\xc0", b"\xc0\x70") and p[17] == totem_type):
            data = p
    return ping, data


def corrupt_lengths():
    hdr, recs = pcap_records(os.path.join(DATA, "cleartext-20-ns.pcap"))
    d = bytearray(open(os.path.join(DATA, "cleartext-20-ns.pcap"), "rb").read())
    off = 24
    for sec, frac, fr in recs[:9]:
        off += 16 + len(fr)
    d[off + 8:off + 12] = struct.pack("<I", 0xFFFFFFFF)
    write("pcap-bad-length.pcap", bytes(d))

    d = bytearray(open(os.path.join(DATA, "cleartext-20.pcapng"), "rb").read())
    off, n = 0, 0
    while off < len(d):
        btype, blen = struct.unpack("<II", d[off:off + 8])
        if btype == 6:
            n += 1
            if n == 10:
                d[off + 4:off + 8] = struct.pack("<I", 0xFFFFFFFF)
                break
        off += blen
    write("pcapng-bad-length.pcapng", bytes(d))

    # 20 good packets, then 200 packet blocks on interface 7 (never described).
    d = open(os.path.join(DATA, "cleartext-20.pcapng"), "rb").read()
    bad = b""
    for i in range(200):
        body = struct.pack("<IIIII", 7, 0, i, 4, 4) + b"\xde\xad\xbe\xef"
        blen = 12 + len(body)
        bad += struct.pack("<II", 6, blen) + body + struct.pack("<I", blen)
    write("pcapng-200-bad-blocks.pcapng", d + bad)


def ip_fragments():
    ping, _ = knet_samples()
    recs = []
    t = [T0, 0]

    def add(pkt, step_us=1000):
        t[1] += step_us
        recs.append((t[0] + t[1] // 1_000_000, t[1] % 1_000_000, pkt))

    dgram = udp(5405, 5405, ping)  # a knet ping: 8 + 26 bytes of UDP
    # 1. A whole datagram in two fragments, the first sent twice.
    add(ipv4(A, B, 17, dgram[:24], ident=100, mf=True))
    add(ipv4(A, B, 17, dgram[:24], ident=100, mf=True))
    add(ipv4(A, B, 17, dgram[24:], ident=100, frag_off=24))
    # 2. 30 first fragments that never complete (time out below).
    for i in range(30):
        add(ipv4(A, B, 17, dgram[:24], ident=200 + i, mf=True))
    # 3. Overlap: the second fragment rewrites bytes of the first.
    add(ipv4(A, B, 17, dgram[:24], ident=300, mf=True))
    add(ipv4(A, B, 17, bytes(len(dgram) - 16), ident=300, frag_off=16))
    # 4. IPv6 first fragments that never complete.
    s6, d6 = bytes(15) + b"\x01", bytes(15) + b"\x02"
    for i in range(3):
        add(ipv6_frag(s6, d6, 400 + i, 0, True, dgram[:24]))
    # 5. 31 s later (timeout 30 s): one more fragment expires the 33 above,
    #    and stays pending itself.
    add(ipv4(A, B, 17, dgram[:24], ident=500, mf=True), step_us=31_000_000)
    write("ip-fragments.pcap", pcap(RAW, recs))


def knet_data(node, seq, frag_num, frag_seq, payload):
    # version, type DATA, node, pad1, pad2, seq, compress, pad, bcast, frag_num, frag_seq, channel
    return struct.pack("!BBHBBHBBBBBB", 1, 0, node, 0, 0, seq, 0, 0, 1, frag_num, frag_seq, 0) + payload


def knet_frag_failures():
    recs = []
    t = [T0, 0]

    def add(payload, step_us=1000):
        t[1] += step_us
        recs.append((t[0] + t[1] // 1_000_000, t[1] % 1_000_000,
                     ipv4(A, B, 17, udp(5405, 5405, payload))))

    # frag_seq 0 and frag_seq 3 of 2: refused.
    add(knet_data(1, 10, 2, 0, bytes(100)))
    add(knet_data(1, 11, 2, 3, bytes(100)))
    # Two fragments of 33,000 bytes: past 64 KiB, dropped.
    add(knet_data(1, 12, 2, 1, bytes(33_000)))
    add(knet_data(1, 12, 2, 2, bytes(33_000)))
    # One fragment of two, never completed.
    add(knet_data(1, 13, 2, 1, bytes(100)))
    write("knet-frag-failures.pcap", pcap(RAW, recs))


def knet_node_8959():
    ping, data = knet_samples()
    recs = []
    n = 0
    for node in (b"\x22\xff", b"\xff\x22"):
        for p in (ping, ping[:1] + b"\x82" + ping[2:], data):
            p = p[:2] + node + p[4:]
            n += 1
            recs.append((T0, n * 1000, ipv4(A, B, 17, udp(5405, 5405, p))))
    write("knet-node-8959.pcap", pcap(RAW, recs))


def crypto_bad_padding():
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = open(os.path.join(SPEC, "lab-authkey.bin"), "rb").read()
    _, data = knet_samples()
    _, token = knet_samples(totem_type=0)

    def seal(clear, pad_ok=True):
        salt = hashlib.sha256(clear).digest()[:16]
        n = 16 - len(clear) % 16
        if pad_ok:
            padded = clear + bytes([n]) * n
        else:
            padded = clear + bytes(n - 1) + b"\x11"  # last byte 17 > 16: invalid
        enc = Cipher(algorithms.AES(key[:32]), modes.CBC(salt)).encryptor()
        ct = enc.update(padded) + enc.finalize()
        mac = hmac.new(key, salt + ct, hashlib.sha256).digest()
        return salt + ct + mac

    recs = []
    # 1-2: a good DATA packet (so the suite is found), then the same with bad padding.
    recs.append((T0, 1000, ipv4(A, B, 17, udp(5405, 5405, seal(data)))))
    recs.append((T0, 2000, ipv4(A, B, 17, udp(5405, 5405, seal(data, pad_ok=False)))))
    # 3: a DATA packet whose orf token is cut 20 bytes into the message
    #    (its 13-byte header is whole, its body is not).
    recs.append((T0, 3000, ipv4(A, B, 17, udp(5405, 5405, seal(token[:14 + 20])))))
    write("crypto-bad-padding.pcap", pcap(RAW, recs))


def before_1970():
    _, recs = pcap_records(os.path.join(DATA, "cleartext-20-ns.pcap"))
    fr = recs[0][2]

    def block(btype, body):
        body += bytes(-len(body) % 4)
        blen = 12 + len(body)
        return struct.pack("<II", btype, blen) + body + struct.pack("<I", blen)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # IDB: SLL2, tsresol 9 (ns), if_tsoffset -2 s.
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HHq", 14, 8, -2) + struct.pack("<HH", 0, 0)
    idb = block(1, struct.pack("<HHI", 276, 0, 0) + opts)

    def epb(ns):
        body = struct.pack("<IIIII", 0, ns >> 32, ns & 0xFFFFFFFF, len(fr), len(fr)) + fr
        return block(6, body)

    write("before-1970.pcapng", shb + idb + epb(1_999_999_999) + epb(500_000_000))


def spoofed_node_ids():
    """The real capture with a flood of pings from node ids nobody answers:
    without a config the budgets must not grow with them (issue 16, 10)."""
    hdr, recs = pcap_records(os.path.join(SPEC, "lab-c3.1.7-knet1.25-cleartext.pcap"))
    ping = next(fr for _, _, fr in recs if sll2_udp_payload(fr)[1] == 0x81)
    out = bytearray(hdr)
    for i, (sec, frac, fr) in enumerate(recs):
        out += struct.pack("<IIII", sec, frac, len(fr), len(fr)) + fr
        if 100 <= i < 300:
            n = 1000 + i - 100
            f = bytearray(ping)
            ip = f[20:40]
            ip[12:16] = bytes([10, 66, n >> 8, n & 0xFF])
            ip[10:12] = b"\0\0"
            ip[10:12] = struct.pack("!H", csum(bytes(ip)))
            f[20:40] = ip
            f[48 + 2:48 + 4] = struct.pack("!H", n)  # knet sender node id
            f[40 + 6:40 + 8] = b"\0\0"  # no UDP checksum
            out += struct.pack("<IIII", sec, frac, len(f), len(f)) + bytes(f)
    write("spoofed-node-ids.pcap", bytes(out))


if __name__ == "__main__":
    spoofed_node_ids()
    corrupt_lengths()
    ip_fragments()
    knet_frag_failures()
    knet_node_8959()
    crypto_bad_padding()
    before_1970()
