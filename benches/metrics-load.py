#!/usr/bin/env python3
"""What `live --metrics-listen` costs at a given corosync packet rate.

Not a timed test. `corowire live -r -` reads a pcap stream that this script
writes to its stdin at RATE corosync packets/s of wall time, with the
capture clock running on the wall clock (pcap timestamps = the time the
record is written, so the engine's seconds are real seconds and the
endpoint publishes once a second as in live capture). The packets are a
corpus capture's (default healthy-5n-2l: 5 nodes, 2 links, 40 directions)
played in a loop, its time compressed to reach RATE: per-packet work is
the real decoder's and engine's, and the snapshot behind each exposition
has the cluster's real size.

Each round runs corowire twice, alternating which goes first:
  baseline  live -r - --report-every 1h                (reports to /dev/null)
  metrics   the same plus --metrics-listen 127.0.0.1:0, scraped every
            SCRAPE s with Prometheus' Accept header (OpenMetrics)
and takes each run's CPU (user + system, from wait4) over the same number
of packets. The scrapes ask for gzip, as Prometheus does (sizes are the
compressed bodies; the plain-text scrape half way through is not gzipped). The endpoint's cost is the difference; the scrape's size and
latency are measured on every scrape, and one Prometheus-text scrape at
the end. The machine is shared: read the spread across rounds, not one
figure.

usage: python3 benches/metrics-load.py [--rate 100000] [--secs 20]
           [--scrape 1] [--rounds 3] [--capture captures/healthy-5n-2l.pcap]
           [--bin target/release/corowire]
"""

import argparse
import os
import re
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request

ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
          "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def read_pcap(path):
    """(link type, ns per tick, [(offset ns from first packet, record bytes)])"""
    d = open(path, "rb").read()
    magic = struct.unpack("<I", d[:4])[0]
    if magic == 0xA1B2C3D4:
        tick = 1000
    elif magic == 0xA1B23C4D:
        tick = 1
    else:
        sys.exit(f"{path}: not a little-endian pcap")
    linktype = struct.unpack("<I", d[20:24])[0]
    recs, off, first = [], 24, None
    while off + 16 <= len(d):
        s, f, caplen, origlen = struct.unpack("<IIII", d[off:off + 16])
        data = d[off + 16:off + 16 + caplen]
        off += 16 + caplen
        t = s * 1_000_000_000 + f * tick
        first = t if first is None else first
        recs.append((t - first, origlen, data))
    return linktype, recs


def feed(proc, linktype, recs, rate, secs, done):
    """Writes a nanosecond pcap at `rate` packets/s for `secs` seconds."""
    span = recs[-1][0] + 1
    k = (len(recs) / (span / 1e9)) / rate  # compression: capture ns per wall ns
    out = proc.stdin
    out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
    start = time.time_ns()
    sent, i, loop = 0, 0, 0
    total = int(rate * secs)
    pack = struct.Struct("<IIII").pack
    try:
        while sent < total:
            now = time.time_ns()
            due = min(total, int((now - start) * rate / 1e9) + 1)
            if due <= sent:
                time.sleep(0.002)
                continue
            parts = []
            while sent < due:
                off, origlen, data = recs[i]
                ts = start + int((loop * span + off) * k)
                parts.append(pack(ts // 1_000_000_000, ts % 1_000_000_000, len(data), origlen))
                parts.append(data)
                sent += 1
                i += 1
                if i == len(recs):
                    i, loop = 0, loop + 1
            out.write(b"".join(parts))
        out.close()
    except BrokenPipeError:
        pass
    done["sent"] = sent
    done["wall"] = (time.time_ns() - start) / 1e9


def scraper(addr, every, stop, sizes, latencies, text_size, text_at):
    """Scrapes as Prometheus does; scrape number `text_at` (half way
    through) asks for plain text instead."""
    n = 0
    while not stop.is_set():
        n += 1
        t = time.perf_counter()
        try:
            # As Prometheus asks: OpenMetrics, gzip.
            headers = {} if n == text_at else {"Accept": ACCEPT, "Accept-Encoding": "gzip"}
            req = urllib.request.Request(f"http://{addr}/metrics", headers=headers)
            body = urllib.request.urlopen(req, timeout=5).read()
            if n == text_at:
                text_size.append(len(body))
            else:
                latencies.append(time.perf_counter() - t)
                sizes.append(len(body))
        except OSError:
            pass
        stop.wait(every)


def run(args, linktype, recs, metrics):
    cmd = [args.bin, "live", "-r", "-", "--report-every", "1h"]
    if metrics:
        cmd += ["--metrics-listen", "127.0.0.1:0"]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, bufsize=1 << 20)
    done, sizes, latencies, text_size = {}, [], [], []
    stop = threading.Event()
    t = threading.Thread(target=feed, args=(p, linktype, recs, args.rate, args.secs, done))
    t.start()
    s = None
    if metrics:
        line = p.stderr.readline().decode()
        m = re.search(r"metrics at http://(\S+)/metrics", line)
        if not m:
            sys.exit(f"no metrics address: {line!r}")
        addr = m.group(1)
        s = threading.Thread(target=scraper,
                             args=(addr, args.scrape, stop, sizes, latencies, text_size,
                                   max(2, int(args.secs / args.scrape / 2))))
        s.start()
    t.join()
    if metrics:
        stop.set()
        s.join()
    _, status, ru = os.wait4(p.pid, 0)
    p.stderr.close()
    cpu = ru.ru_utime + ru.ru_stime
    return {
        "cpu": cpu, "sent": done["sent"], "wall": done["wall"], "status": status,
        "om_size": statistics.median(sizes) if sizes else None,
        "om_max": max(sizes) if sizes else None,
        "text_size": text_size[0] if text_size else None, "scrapes": len(sizes),
        "lat_ms": statistics.median(latencies) * 1e3 if latencies else None,
        "maxrss_kb": ru.ru_maxrss,
    }


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--rate", type=int, default=100_000)
    a.add_argument("--secs", type=float, default=20)
    a.add_argument("--scrape", type=float, default=1.0)
    a.add_argument("--rounds", type=int, default=3)
    a.add_argument("--capture", default="captures/healthy-5n-2l.pcap")
    a.add_argument("--bin", default="target/release/corowire")
    args = a.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    linktype, recs = read_pcap(args.capture)
    print(f"{args.capture}: {len(recs)} packets looped at {args.rate}/s for {args.secs} s, "
          f"scrape every {args.scrape} s, {args.rounds} rounds")
    base, met = [], []
    for r in range(args.rounds):
        order = [False, True] if r % 2 == 0 else [True, False]
        for m in order:
            res = run(args, linktype, recs, m)
            (met if m else base).append(res)
            rate = res["sent"] / res["wall"]
            extra = ""
            if m:
                extra = (f" scrapes {res['scrapes']} OpenMetrics gzipped {res['om_size']:.0f} B"
                         f" (max {res['om_max']}) text {res['text_size']} B"
                         f" latency p50 {res['lat_ms']:.2f} ms")
            print(f"round {r + 1} {'metrics ' if m else 'baseline'}: {res['sent']} packets"
                  f" in {res['wall']:.1f} s ({rate:,.0f}/s) cpu {res['cpu']:.2f} s"
                  f" ({100 * res['cpu'] / res['wall']:.1f} %) rss {res['maxrss_kb'] / 1024:.1f} MB{extra}")
    diffs = [m["cpu"] - b["cpu"] for b, m in zip(base, met)]
    walls = [m["wall"] for m in met]
    print(f"endpoint cost: {statistics.median(diffs):+.2f} s CPU per run "
          f"({100 * statistics.median(diffs) / statistics.median(walls):+.1f} % of a core; "
          f"per round {', '.join(f'{d:+.2f}' for d in diffs)}); baseline "
          f"{100 * statistics.median(b['cpu'] for b in base) / statistics.median(b['wall'] for b in base):.1f} % of a core")


if __name__ == "__main__":
    main()
