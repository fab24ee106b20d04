#!/usr/bin/env python3
"""Build NAME.truth.json from a lab run's work directory (stdlib only).

Re-parse the log events of committed truth files (after a parser fix):
    truth.py --relog captures/NAME.truth.json...
Recompute expected_findings from a truth file's faults and log events:
    truth.py --reexpect NAME.truth.json...

Inputs (written by lab.sh / record.sh in the work directory): samples.jsonl
(tool outputs with epoch times), faults.jsonl, traffic.jsonl, marks.jsonl,
nN/corosync.log, nN/ip.json, cap/*.pcap and the merged pcap in the output
directory.  See captures/README.md for the format.
"""
import argparse
import calendar
import gzip
import json
import math
import os
import re
import struct
import subprocess
import sys
import time

FORMAT = "corowire-lab-truth/1"

NFT_RULE = re.compile(r'counter packets (\d+) bytes (\d+).*?comment "(seen|drop) (\d+)>(\d+) l(\d+)"')


def wilson(k, n, z=1.959964):
    """95 % Wilson score interval of k successes in n trials, in percent."""
    if not n:
        return None
    p = k / n
    d = 1 + z * z / n
    c = p + z * z / (2 * n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [round(100 * (c - h) / d, 3), round(100 * (c + h) / d, 3)]


def nft_pairs(text):
    """Per directed pair and link: packets the nft rules saw and dropped
    (rules written by lab.sh nft_fault_add with 'seen S>D lL' / 'drop S>D lL'
    comments)."""
    acc = {}
    for m in NFT_RULE.finditer(text or ""):
        pk, _by, what, src, dst, link = m.groups()
        e = acc.setdefault((int(src), int(dst), int(link)), {"matched": 0, "dropped": 0})
        e["matched" if what == "seen" else "dropped"] += int(pk)
    out = []
    for (src, dst, link), e in sorted(acc.items()):
        out.append({"src": src, "dst": dst, "link": link, "matched": e["matched"], "dropped": e["dropped"],
                    "realized_pct": round(100.0 * e["dropped"] / e["matched"], 3) if e["matched"] else None,
                    "wilson95_pct": wilson(e["dropped"], e["matched"])})
    return out
PFX = os.environ.get("LAB_NS_PREFIX", "cwl")


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pcap_summary(path):
    """First/last packet time (epoch s, float), count, link type, snaplen."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            end = "<"
        else:
            end = ">"
            magic = struct.unpack(">I", hdr[:4])[0]
        nano = magic == 0xA1B23C4D
        _, _, _, _, snaplen, linktype = struct.unpack(end + "HHiIII", hdr[4:24])
        first = last = None
        n = 0
        first_ns = last_ns = None
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, _orig = struct.unpack(end + "IIII", rec)
            f.seek(incl, 1)
            ns = sec * 1_000_000_000 + (frac if nano else frac * 1000)
            if first_ns is None:
                first_ns = ns
            last_ns = ns
            n += 1
    return {
        "file": os.path.basename(path),
        "format": "pcap",
        "timestamp_resolution": "ns" if nano else "us",
        "linktype": linktype,
        "linktype_name": {1: "ETHERNET", 113: "LINUX_SLL", 276: "LINUX_SLL2"}.get(linktype, str(linktype)),
        "snaplen": snaplen,
        "packets": n,
        "first_packet": first_ns / 1e9 if first_ns is not None else None,
        "last_packet": last_ns / 1e9 if last_ns is not None else None,
        "first_packet_ns": first_ns,
        "last_packet_ns": last_ns,
        "bytes": os.path.getsize(path),
    }


def parse_stats(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+) \((\w+)\) = (.*)$", line)
        if not m:
            continue
        key, typ, val = m.groups()
        if typ in ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"):
            try:
                val = int(val)
            except ValueError:
                pass
        elif typ in ("flt", "dbl"):
            val = float(val)
        out[key] = val
    return out


def parse_cfgtool(text):
    """corosync-cfgtool -s -> {"local_nodeid", "transport", "links": {id: {...}}}"""
    res = {"local_nodeid": None, "transport": None, "links": {}}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^Local node ID (\d+), transport (\S+)", line)
        if m:
            res["local_nodeid"] = int(m.group(1))
            res["transport"] = m.group(2)
            continue
        m = re.match(r"^LINK ID (\d+)(?: (\S+))?", line)
        if m:
            cur = {"proto": m.group(2), "addr": None, "status": {}}
            res["links"][m.group(1)] = cur
            continue
        m = re.match(r"^\s+addr\s*=\s*(\S+)", line)
        if m and cur is not None:
            cur["addr"] = m.group(1)
            continue
        m = re.match(r"^\s+nodeid:\s+(\d+):\s*(.*)$", line)
        if m and cur is not None:
            cur["status"][m.group(1)] = m.group(2).strip()
    return res


def parse_quorum(text):
    res = {"quorate": None, "ring_id": None, "total_votes": None, "expected_votes": None, "members": []}
    for line in text.splitlines():
        m = re.match(r"^Quorate:\s+(\w+)", line)
        if m:
            res["quorate"] = m.group(1) == "Yes"
        m = re.match(r"^Ring ID:\s+(\S+)", line)
        if m:
            res["ring_id"] = m.group(1)
        m = re.match(r"^Total votes:\s+(\d+)", line)
        if m:
            res["total_votes"] = int(m.group(1))
        m = re.match(r"^Expected votes:\s+(\d+)", line)
        if m:
            res["expected_votes"] = int(m.group(1))
        m = re.match(r"^\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m and "Nodeid" not in line:
            res["members"].append(int(m.group(1)))
    return res


# ---------------------------------------------------------------- logs
LOG_RE = re.compile(
    r"^(?P<mon>\w{3}) +(?P<day>\d+) (?P<hms>\d\d:\d\d:\d\d)(?:\.(?P<ms>\d+))? "
    r"\[(?P<pid>\d+)\] (?P<host>\S+) corosync (?P<level>\w+) +\[(?P<subsys>[A-Z]+) *\] (?P<msg>.*)$"
)
MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def log_time(m, ref_epoch):
    """Log timestamps are local time of the corosync process (TZ=UTC in this
    lab) without a year: take the year of the run start, or the previous one
    if that would put the line more than a day after the run start."""
    year = time.gmtime(ref_epoch).tm_year
    h, mi, s = (int(x) for x in m.group("hms").split(":"))
    ms = m.group("ms") or "0"
    frac = int(ms) / (10 ** len(ms))
    for y in (year, year - 1, year + 1):
        t = calendar.timegm((y, MONTHS[m.group("mon")], int(m.group("day")), h, mi, s)) + frac
        if abs(t - ref_epoch) < 86400 * 2:
            return round(t, 6)
    return round(calendar.timegm((year, MONTHS[m.group("mon")], int(m.group("day")), h, mi, s)) + frac, 6)


def ints(s):
    return [int(x) for x in re.findall(r"\d+", s)]


EVENTS = [
    ("link_up", re.compile(r"rx: host: (\d+) link: (\d+) is up"), lambda g: {"host": int(g[0]), "link": int(g[1])}),
    ("link_down", re.compile(r"link: host: (\d+) link: (\d+) is down"), lambda g: {"host": int(g[0]), "link": int(g[1])}),
    ("no_active_links", re.compile(r"host: host: (\d+) has no active links"), lambda g: {"host": int(g[0])}),
    ("best_link", re.compile(r"host: host: (\d+) \((\w+)\) best link: (\d+) \(pri: (\d+)\)"),
     lambda g: {"host": int(g[0]), "link_mode": g[1], "link": int(g[2]), "priority": int(g[3])}),
    ("pmtud_change", re.compile(r"PMTUD link change for host: (\d+) link: (\d+) from (\d+) to (\d+)"),
     lambda g: {"host": int(g[0]), "link": int(g[1]), "from": int(g[2]), "to": int(g[3])}),
    ("global_data_mtu", re.compile(r"Global data MTU changed to: (\d+)"), lambda g: {"mtu": int(g[0])}),
    ("mtu_misconfiguration", re.compile(r"possible MTU misconfiguration"), lambda g: {}),
    ("token_warning", re.compile(r"Token has not been received in (\d+) ms"), lambda g: {"ms": int(g[0])}),
    ("processor_failed", re.compile(r"A processor failed, forming new configuration: token timed out \((\d+)ms\), waiting (\d+)ms for consensus"),
     lambda g: {"token_ms": int(g[0]), "consensus_ms": int(g[1])}),
    ("processor_failed", re.compile(r"A processor failed, forming new configuration(.*)"), lambda g: {"detail": g[0].strip()}),
    ("membership", re.compile(r"A new membership \(([0-9a-fA-F]+\.[0-9a-fA-F]+)\) was formed\.(.*)"), None),
    ("failed_to_receive_leave", re.compile(r"Failed to receive the leave message\. failed: ([\d ]+)"), lambda g: {"failed": ints(g[0])}),
    ("retransmit_list", re.compile(r"Retransmit List: (.*)"), lambda g: {"seqs": g[0].split()}),
    ("failed_to_receive", re.compile(r"FAILED TO RECEIVE"), lambda g: {}),
    ("not_scheduled", re.compile(r"Corosync main process was not scheduled.* for ([\d.]+) ms"), lambda g: {"ms": float(g[0])}),
    ("process_pause", re.compile(r"Process pause detected for (\d+) ms"), lambda g: {"ms": int(g[0])}),
    ("unable_to_form", re.compile(r"Totem is unable to form a cluster(.*)"), lambda g: {"detail": g[0].strip()}),
    ("crypto_error", re.compile(r"(Digest does not match|Unable to decrypt packet.*)"), lambda g: {"detail": g[0]}),
    ("packet_rejected", re.compile(r"Packet rejected from (\S+)"), lambda g: {"from": g[0]}),
    ("quorum_members", re.compile(r"^Members\[(\d+)\]:(.*)"), lambda g: {"count": int(g[0]), "members": ints(g[1])}),
    ("quorum_primary", re.compile(r"This node is within the primary component"), lambda g: {"quorate": True}),
    ("quorum_non_primary", re.compile(r"This node is within the non-primary component"), lambda g: {"quorate": False}),
]


def parse_log(path, node, ref_epoch):
    events = []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", errors="replace") as f:
        lines = f.read().splitlines()
    pending_membership = None
    for lineno, line in enumerate(lines, 1):
        m = LOG_RE.match(line)
        if not m:
            continue
        msg = m.group("msg")
        subsys = m.group("subsys")
        if subsys not in ("KNET", "TOTEM", "QUORUM", "MAIN"):
            continue
        for kind, rx, conv in EVENTS:
            mm = rx.search(msg)
            if not mm:
                continue
            if kind == "quorum_members" and subsys != "QUORUM":
                continue
            ev = {"node": node, "t": log_time(m, ref_epoch), "log_time": line[:m.start("pid") - 2],
                  "line": lineno, "level": m.group("level"), "subsys": subsys, "kind": kind}
            if kind == "membership":
                rest = mm.group(2)
                ev["ring_id"] = mm.group(1)
                j = re.search(r"Members joined:([\d ]+)", rest)
                le = re.search(r"left:([\d ]+)", rest)
                ev["joined"] = ints(j.group(1)) if j else []
                ev["left"] = ints(le.group(1)) if le else []
                ev["members"] = None
                pending_membership = ev
            else:
                ev.update(conv(mm.groups()))
                if kind == "quorum_members" and pending_membership is not None:
                    pending_membership["members"] = ev["members"]
                    pending_membership = None
            ev["text"] = msg
            events.append(ev)
            break
    return events


# ---------------------------------------------------------------- expectations
def expected_findings(faults, events, pcap, t0):
    """What a correct analysis of the bridge capture should report, derived
    from the fault schedule, the realised nft counters and corosync's own
    logs (never from corowire). Each entry: kind, where (src/dst node, link
    or node), window (epoch, rel) and the evidence it rests on. An empty
    list on a run without faults means: no warning at all."""
    out = []
    first, last = pcap["first_packet"], pcap["last_packet"]

    def win(f):
        return {"start": f["effective_start"], "end": f["effective_end"],
                "rel_start": f["rel_start"], "rel_end": f["rel_end"]}

    for f in faults:
        k = f["kind"]
        if k in ("loss", "path_loss"):
            pairs = [p for p in f.get("per_pair", []) if p["dropped"]]
            dirs = {(p["src"], p["dst"]) for p in pairs}
            for p in pairs:
                both = (p["dst"], p["src"]) in dirs
                out.append({"kind": "loss" if both else "one_way_loss", "src_node": p["src"], "dst_node": p["dst"],
                            "link": p["link"], **win(f), "fault": f["id"], "realized_pct": p["realized_pct"],
                            "samples": p["matched"], "wilson95_pct": p["wilson95_pct"],
                            "basis": "nft counters (dropped/matched) of the fault's rules"})
        elif k == "cut":
            out.append({"kind": "link_down", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "basis": "every corosync packet to and from the node dropped (see per_pair)"})
        elif k == "link_down":
            out.append({"kind": "link_down", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "basis": "interface set down"})
        elif k == "delay":
            out.append({"kind": "latency", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "delay_ms": f.get("delay_ms"), "jitter_ms": f.get("jitter_ms"),
                        "basis": "NFQUEUE holder delayed the node's packets"})
        elif k == "pause":
            dur = f.get("stall_seconds") or (f["effective_end"] - f["effective_start"])
            out.append({"kind": "host_stall", "node": f["node"], **win(f), "fault": f["id"],
                        "stall_seconds": round(dur, 6), "basis": "SIGSTOP..SIGCONT times measured by the lab"})
        elif k == "cpu_starve":
            out.append({"kind": "host_stall", "node": f["node"], **win(f), "fault": f["id"],
                        "optional": True, "cpu_stat": f.get("cpu_stat"),
                        "basis": "cgroup CPU budget; stalls of up to rt_period - rt_runtime per period when corosync "
                                 "needs more than its budget (cpu_stat.nr_throttled says how often)"})
        elif k == "mtu":
            out.append({"kind": "mtu_change", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "mtu": f["mtu"], "basis": "interface MTU lowered"})
        elif k == "mtu_black_hole":
            out.append({"kind": "mtu_black_hole", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "mtu": f["mtu"], "basis": "bridge port MTU lowered, no ICMP: probes above it go unanswered"})
        elif k in ("reorder", "duplicate"):
            out.append({"kind": "none_at_warning", "node": f["node"], "link": f["link"], **win(f), "fault": f["id"],
                        "basis": "%s only: no packet lost; no loss, link_down or token finding expected unless "
                                 "corosync logged one" % k})
    # from corosync's own logs, inside the capture and after t0 (the ring's
    # first formation at start-up is not a finding)
    for ev in events:
        if not ev.get("in_capture") or ev["t"] < t0:
            continue
        if ev["kind"] == "link_down":
            out.append({"kind": "link_down", "logged_by": ev["node"], "peer": ev["host"], "link": ev["link"],
                        "t": ev["t"], "rel": ev["rel"], "basis": "corosync log of node %d" % ev["node"]})
        elif ev["kind"] == "processor_failed":
            out.append({"kind": "token_lost", "logged_by": ev["node"], "t": ev["t"], "rel": ev["rel"],
                        "basis": "corosync log: A processor failed (token timed out)"})
        elif ev["kind"] == "membership" and (ev.get("left") or ev.get("joined")):
            out.append({"kind": "membership_change", "logged_by": ev["node"], "ring_id": ev["ring_id"],
                        "members": ev.get("members"), "joined": ev["joined"], "left": ev["left"],
                        "t": ev["t"], "rel": ev["rel"], "basis": "corosync log: A new membership"})
        elif ev["kind"] in ("not_scheduled", "process_pause"):
            out.append({"kind": "host_stall", "logged_by": ev["node"], "ms": ev["ms"], "t": ev["t"], "rel": ev["rel"],
                        "basis": "corosync log: %s" % ev["kind"]})
    return out


# ---------------------------------------------------------------- main
def annotate_events(events, first, last, t0):
    for ev in events:
        ev["in_capture"] = bool(first is not None and first <= ev["t"] <= last)
        ev["rel"] = round(ev["t"] - t0, 3)
    events.sort(key=lambda e: (e["t"], e["node"], e["line"]))
    return events


def relog(truth_path):
    """Re-parse log_events of an existing truth file from its committed logs."""
    base = os.path.dirname(os.path.abspath(truth_path))
    t = json.load(open(truth_path))
    events = []
    for node, rel in sorted(t["files"]["logs"].items(), key=lambda kv: int(kv[0])):
        events += parse_log(os.path.join(base, rel), int(node), t["clock"]["run_start"])
    t["log_events"] = annotate_events(events, t["capture"]["first_packet"], t["capture"]["last_packet"], t["clock"]["t0"])
    with open(truth_path, "w") as f:
        json.dump(t, f, indent=1, sort_keys=False)
        f.write("\n")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--relog":
        for p in sys.argv[2:]:
            relog(p)
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--reexpect":
        for p in sys.argv[2:]:
            t = json.load(open(p))
            pc = {"first_packet": t["capture"]["first_packet"], "last_packet": t["capture"]["last_packet"]}
            t["expected_findings"] = expected_findings(t["faults"], t["log_events"], pc, t["clock"]["t0"])
            with open(p, "w") as f:
                json.dump(t, f, indent=1, sort_keys=False)
                f.write("\n")
        return
    ap = argparse.ArgumentParser()
    for a in ("work", "out", "scenario", "transport", "link-mode", "cipher", "hash", "models", "description"):
        ap.add_argument("--" + a, required=True)
    for a in ("nodes", "links", "token", "pmtud-interval", "duration"):
        ap.add_argument("--" + a, type=int, required=True)
    # one node, or several separated by spaces or commas ("1 2 3"); 0 = none
    ap.add_argument("--vantage", default="0")
    ap.add_argument("--expect", default="")
    ap.add_argument("--script", default=None)
    a = ap.parse_args()
    W, OUT, NAME = a.work, a.out, a.scenario

    t0 = float(open(os.path.join(W, "t0")).read())
    run_start = float(open(os.path.join(W, "run_start")).read())
    run_end = float(open(os.path.join(W, "run_end")).read())
    cap_started = float(open(os.path.join(W, "cap", "started")).read())
    cap_stopping = float(open(os.path.join(W, "cap", "stopping")).read())

    pcap = pcap_summary(os.path.join(OUT, NAME + ".pcap"))
    per_link_pcaps = [pcap_summary(os.path.join(W, "cap", "bridge%d.pcap" % l)) for l in range(a.links)]
    vantages = []
    for v in [int(x) for x in a.vantage.replace(",", " ").split() if int(x) > 0]:
        vs = pcap_summary(os.path.join(OUT, "%s.vantage-node%d.pcap" % (NAME, v)))
        vs["node"] = v
        vs["interface"] = "any (inside the node's namespace: eth0..ethN and lo)"
        vantages.append(vs)
    # the first (or only) one, as before several were possible
    vantage = vantages[0] if vantages else None

    samples = read_jsonl(os.path.join(W, "samples.jsonl"))
    models = a.models.split()
    crypto_on = a.cipher != "none" or a.hash != "none"

    # ---- configuration
    nodes = []
    for n in range(1, a.nodes + 1):
        ipj = json.load(open(os.path.join(W, "n%d" % n, "ip.json")))
        ifaces = {i["ifname"]: i for i in ipj}
        node = {"nodeid": n, "name": "node%d" % n, "netns": "%s-n%d" % (PFX, n), "links": {}}
        for l in range(a.links):
            i = ifaces.get("eth%d" % l, {})
            node["links"][str(l)] = {
                "interface": "eth%d" % l,
                "address": "10.77.%d.%d" % (l, n),
                "mac": i.get("address"),
                "port": 5405 + l,
            }
        if crypto_on:
            node["crypto_model"] = models[(n - 1) % len(models)]
        nodes.append(node)

    # effective values as corosync reports them (runtime.config.totem.* in cmap)
    cmap1 = {}
    for s in samples:
        if s["label"] == "config" and s["node"] == 1:
            cmap1 = parse_stats(s["output"])
    rt = {k[len("runtime.config.totem."):]: v for k, v in cmap1.items() if k.startswith("runtime.config.totem.")}
    eff = dict(rt)
    summary = {
        "token_ms": rt.get("token"),
        "token_retransmit_ms": rt.get("token_retransmit"),
        "hold_ms": rt.get("hold"),
        "consensus_ms": rt.get("consensus"),
        "join_ms": rt.get("join"),
        "merge_ms": rt.get("merge"),
        "token_warning_ms": (rt["token"] * rt["token_warning"] // 100) if "token" in rt and "token_warning" in rt else None,
    }
    if a.transport == "knet":
        pi = rt.get("interface.0.knet_ping_interval")
        summary.update({
            "knet_ping_interval_ms": pi,
            "knet_ping_timeout_ms": rt.get("interface.0.knet_ping_timeout"),
            # not exported in cmap; corosync's default, not overridden here
            "knet_pong_count": 2,
            # knet's heartbeat thread runs every 200 ms: pings leave on that grid
            "knet_ping_interval_on_wire_expected_ms": int(math.ceil(pi / 200.0) * 200) if pi else None,
            "knet_pmtud_interval_s": rt.get("knet_pmtud_interval"),
        })
    config = {
        "cluster_name": "corowire-lab",
        "transport": a.transport,
        "link_mode": a.link_mode if a.transport == "knet" else None,
        "links": [{"link": l, "port": 5405 + l, "subnet": "10.77.%d.0/24" % l, "bridge": "%s-br%d" % (PFX, l)} for l in range(a.links)],
        "nodes": nodes,
        "crypto": {
            "enabled": crypto_on,
            "cipher": a.cipher,
            "hash": a.hash,
            "models": {str(n["nodeid"]): n.get("crypto_model") for n in nodes} if crypto_on else None,
            "authkey": NAME + ".authkey" if crypto_on else None,
        },
        "configured": {"token": a.token, "knet_pmtud_interval": a.pmtud_interval if a.transport == "knet" else None,
                       "netmtu": None, "knet_compression_model": "none (default)"},
        "effective": summary,
        "runtime_config_totem": eff,
        "effective_source": "corosync-cmapctl runtime.config.totem.* on node 1 after formation (all of it in runtime_config_totem; "
                            "per-link ping values there as interface.N.*); token_warning_ms = token * token_warning% ; "
                            "knet_pong_count is corosync's default (cmap does not export it)",
        "corosync_conf": {str(n): "logs/%s/node%d.corosync.conf" % (NAME, n) for n in range(1, a.nodes + 1)},
    }

    # ---- faults
    faults = {}
    for r in read_jsonl(os.path.join(W, "faults.jsonl")):
        f = faults.setdefault(r["id"], {"id": r["id"]})
        if r["phase"] == "start":
            for k, v in r.items():
                if k not in ("phase", "requested", "effective", "id"):
                    f[k] = v
            f["requested_start"] = r["requested"]
            f["effective_start"] = r["effective"]
        else:
            f["requested_end"] = r["requested"]
            f["effective_end"] = r["effective"]
            for k, v in r.items():
                if k not in ("phase", "requested", "effective", "id"):
                    f[k] = v
    fault_list = []
    for f in faults.values():
        if f.get("kind") in ("loss", "cut") and f.get("nft_counters"):
            f["per_pair"] = nft_pairs(f["nft_counters"])
            m = sum(p["matched"] for p in f["per_pair"])
            d = sum(p["dropped"] for p in f["per_pair"])
            f["nft_matched"], f["nft_dropped"] = m, d
            f["realized_pct"] = round(100.0 * d / m, 3) if m else None
        if f.get("kind") == "path_loss" and f.get("nft_matched") is not None:
            f["per_pair"] = [{"src": f["node"], "dst": f["dst_node"], "link": f["link"], "matched": f["nft_matched"],
                              "dropped": f["nft_dropped"], "realized_pct": f.get("realized_pct"),
                              "wilson95_pct": wilson(f["nft_dropped"], f["nft_matched"])}]
        if f.get("kind") == "mtu_black_hole" and f.get("nft_counters"):
            f["icmp_frag_needed_dropped"] = sum(int(x) for x in re.findall(r"counter packets (\d+)", f["nft_counters"]))
        f.setdefault("requested_end", None)
        f.setdefault("effective_end", None)
        f["rel_start"] = round(f["effective_start"] - t0, 3)
        f["rel_end"] = round(f["effective_end"] - t0, 3) if f["effective_end"] else None
        fault_list.append(f)

    # ---- samples
    def sample_rec(s, parsed):
        return {"label": s["label"], "node": s["node"], "t_before": s["t_before"], "t_after": s["t_after"],
                "t": round((s["t_before"] + s["t_after"]) / 2, 6), "rc": s["rc"], **parsed}

    stats_samples, cfgtool, quorum = [], [], []
    for s in samples:
        if s["kind"] == "stats":
            stats_samples.append(sample_rec(s, {"stats": parse_stats(s["output"])}))
        elif s["kind"] == "cfgtool":
            cfgtool.append(sample_rec(s, {"parsed": parse_cfgtool(s["output"]), "text": s["output"]}))
        elif s["kind"] == "quorum":
            quorum.append(sample_rec(s, {"parsed": parse_quorum(s["output"]), "text": s["output"]}))

    # ---- counter windows: begin/end stats per node, and their deltas
    windows = []
    counter_suffixes = ("_packets", "_bytes", "_errors", "_retries", "_count")
    for n in range(1, a.nodes + 1):
        b = [s for s in stats_samples if s["node"] == n and s["label"] == "begin"]
        e = [s for s in stats_samples if s["node"] == n and s["label"] == "end"]
        if not b or not e or b[0]["rc"] or e[0]["rc"]:
            continue
        b, e = b[0], e[0]
        deltas = {}
        for k, v in e["stats"].items():
            m = re.match(r"^stats\.knet\.node(\d+)\.link(\d+)\.(\w+)$", k)
            if not m or not k.endswith(counter_suffixes) or not isinstance(v, int):
                continue
            peer, link, ctr = m.groups()
            if peer == str(n):
                continue  # the local node's own entry is knet's loopback link: never on the wire
            bv = b["stats"].get(k, 0)
            deltas.setdefault(peer, {}).setdefault(link, {})[ctr] = v - bv
        windows.append({
            "node": n,
            "begin": {"t_before": b["t_before"], "t_after": b["t_after"], "t": b["t"]},
            "end": {"t_before": e["t_before"], "t_after": e["t_after"], "t": e["t"]},
            "deltas": deltas,
        })

    # ---- log events
    events = []
    for n in range(1, a.nodes + 1):
        events += parse_log(os.path.join(W, "n%d" % n, "corosync.log"), n, run_start)
    annotate_events(events, pcap["first_packet"], pcap["last_packet"], t0)

    def vers(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return None

    fault_list.sort(key=lambda f: f["effective_start"])
    expected = expected_findings(fault_list, events, pcap, t0)
    script_text = open(a.script).read() if a.script and os.path.exists(a.script) else None
    crypto_label = "clear" if not crypto_on else "%s/%s" % (a.cipher, a.hash)
    truth = {
        "format": FORMAT,
        "scenario": NAME,
        "description": a.description,
        "recorded_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run_start)),
        "software": {
            "corosync": vers(["dpkg-query", "-W", "-f=${Version}", "corosync"]),
            "libknet1": vers(["dpkg-query", "-W", "-f=${Version}", "libknet1"]),
            "tcpdump": vers(["dpkg-query", "-W", "-f=${Version}", "tcpdump"]),
            "kernel": os.uname().release,
        },
        "clock": {
            "note": "all times are epoch seconds (float) of the host's CLOCK_REALTIME, the clock tcpdump stamps packets with; "
                    "rel* fields are seconds since t0",
            "t0": t0,
            "t0_meaning": "scenario time zero: every node's votequorum saw all nodes; 'at' offsets in the scenario script count from here",
            "run_start": run_start,
            "run_end": run_end,
            "log_timezone": "UTC (corosync runs with TZ=UTC; the machine's zone is UTC too)",
            "log_year": "year of run_start (log lines carry none)",
            "log_precision": "1 ms, truncated (logging.timestamp: hires)",
        },
        "files": {
            "pcap": pcap["file"],
            "vantage_pcap": vantage["file"] if vantage else None,
            "vantage_pcaps": {str(v["node"]): v["file"] for v in vantages},
            "authkey": config["crypto"]["authkey"],
            "logs": {str(n): "logs/%s/node%d.log.gz" % (NAME, n) for n in range(1, a.nodes + 1)},
            "corosync_conf": config["corosync_conf"],
        },
        "capture": {
            "where": "tcpdump -U -s 0 -w on each bridge " + PFX + "-brL in the hub namespace (promiscuous; every frame between nodes once), "
                     "per-link files merged in time order with mergecap -F pcap",
            "tcpdump_started": cap_started,
            "tcpdump_stopping": cap_stopping,
            **{k: pcap[k] for k in ("file", "format", "timestamp_resolution", "linktype", "linktype_name", "snaplen",
                                    "packets", "first_packet", "last_packet", "first_packet_ns", "last_packet_ns", "bytes")},
            "per_link": [{"link": l, **{k: p[k] for k in ("packets", "first_packet", "last_packet")}} for l, p in enumerate(per_link_pcaps)],
            "vantage": vantage,
            "vantages": vantages,
            "duration": a.duration,
        },
        "config": config,
        "faults": sorted(fault_list, key=lambda f: f["effective_start"]),
        "traffic": [dict(r, rel=round(r["start"] - t0, 3)) for r in read_jsonl(os.path.join(W, "traffic.jsonl"))],
        "marks": [dict(r, rel=round(r["t"] - t0, 3)) for r in read_jsonl(os.path.join(W, "marks.jsonl"))],
        "counter_windows": windows,
        "stats_samples": stats_samples,
        "cfgtool_samples": cfgtool,
        "quorum_samples": quorum,
        "log_events": events,
        "matrix": {
            "nodes": a.nodes, "links": a.links, "two_node": a.nodes == 2, "crypto": crypto_label,
            "token_configured_ms": a.token, "token_effective_ms": summary.get("token_ms"),
            "link_mode": a.link_mode, "fault_kinds": sorted({f["kind"] for f in fault_list}),
            "vantages": ["bridge"] + ["node%d" % v["node"] for v in vantages],
            "healthy": not fault_list,
        },
        "expected_findings": expected,
        "expected_note": a.expect or None,
        "scenario_script": script_text,
    }
    with open(os.path.join(OUT, NAME + ".truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
