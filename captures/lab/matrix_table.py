#!/usr/bin/env python3
"""Print the markdown table of the scenario matrix (captures/matrix/) for
captures/README.md: size, crypto, token, faults with their windows (s from
t0), vantages, which pcaps are committed, and the realised loss of every
faulted direction (nft counters: dropped/matched), and what corosync
logged after t0 (link-down lines, token losses counted once per instant
across nodes, ring ids, not-scheduled stalls).

usage: matrix_table.py captures/matrix/*.truth.json
"""
import json
import os
import sys


def fault_text(f):
    k = f["kind"]
    w = "%.1f–%.1f" % (f["rel_start"], f["rel_end"]) if f.get("rel_end") is not None else "%.1f–" % f["rel_start"]
    loc = "node%s" % f["node"] + ("" if f.get("link") is None else " L%s" % f["link"])
    if k == "loss":
        peers = " to/from node%s" % ",".join(map(str, f["peers"])) if f.get("peers") else ""
        return "loss %s%% %s %s%s %s" % (f["percent"], f["direction"], loc, peers, w)
    if k == "path_loss":
        return "path_loss %s%% node%s→node%s L%s (bridge) %s" % (f["percent"], f["node"], f["dst_node"], f["link"], w)
    if k == "cut":
        return "cut %s (%s side) %s" % (loc, "peers'" if f.get("where") == "peers" else "node", w)
    if k == "delay":
        return "delay %s %s±%s ms%s %s" % (loc, f["delay_ms"], f["jitter_ms"], " (hub)" if f.get("where") == "hub" else "", w)
    if k == "pause":
        return "SIGSTOP %s %.3f s @%.1f" % (loc, f.get("stall_seconds") or (f["effective_end"] - f["effective_start"]), f["rel_start"])
    if k == "cpu_starve":
        return "cgroup starve %s rt %d/%d µs %s" % (loc, f["rt_runtime_us"], f["rt_period_us"], w)
    if k == "mtu":
        return "mtu %s %s %s" % (loc, f["mtu"], w)
    if k == "mtu_black_hole":
        return "black hole %s port mtu %s, ICMP dropped %s" % (loc, f["mtu"], w)
    if k == "reorder" or k == "duplicate":
        parts = []
        if f.get("reorder_pct"):
            parts.append("%s%% held +%s ms" % (f["reorder_pct"], f["reorder_extra_ms"]))
        if f.get("duplicate_pct"):
            parts.append("%s%% duplicated" % f["duplicate_pct"])
        return "%s %s %s %s" % (k, loc, ", ".join(parts), w)
    if k == "link_down":
        return "link down %s %s" % (loc, w)
    return "%s %s %s" % (k, loc, w)


def main(paths):
    print("| scenario | nodes / links | crypto | token (eff.) | faults (s from t0) | vantages | pcaps committed | realised loss per faulted direction (dropped/seen) | corosync logged after t0 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for p in sorted(paths):
        t = json.load(open(p))
        m = t["matrix"]
        c = t["files"].get("committed") or {}
        vp = c.get("vantage_pcaps") or {}
        com = []
        if c.get("pcap"):
            com.append("bridge")
        if vp and all(vp.values()):
            com.append("per-node")
        faults = t["faults"]
        kinds = {f["kind"] for f in faults}
        if kinds == {"pause"} and len(faults) > 1:
            ftxt = "; ".join(fault_text(f) for f in faults)
        elif kinds == {"cut"} and len(faults) > 2:
            ftxt = "%d× %s" % (len(faults), fault_text(faults[0]).rsplit(" ", 1)[0]) + \
                   " (%.1f–%.1f)" % (faults[0]["rel_start"], faults[-1]["rel_end"])
        elif kinds == {"link_down"} and len(faults) > 2:
            ftxt = "%d× %s" % (len(faults), fault_text(faults[0]).rsplit(" ", 1)[0]) + \
                   " (%.1f–%.1f)" % (faults[0]["rel_start"], faults[-1]["rel_end"])
        else:
            ftxt = "; ".join(fault_text(f) for f in faults) or "none (healthy)"
        loss = []
        for f in faults:
            if f["kind"] in ("loss", "path_loss"):
                for pp in f.get("per_pair", []):
                    if pp["matched"]:
                        loss.append("%d→%d L%d %.1f%% (%d/%d)" % (pp["src"], pp["dst"], pp["link"], pp["realized_pct"],
                                                                pp["dropped"], pp["matched"]))
        t0 = t["clock"]["t0"]
        ev = [e for e in t["log_events"] if e["t"] >= t0]
        downs = sum(1 for e in ev if e["kind"] == "link_down")
        pf = len({round(e["t"], 1) for e in ev if e["kind"] == "processor_failed"})
        rings = sorted({e["ring_id"] for e in ev if e["kind"] == "membership"}, key=lambda r: int(r.split(".")[1], 16))
        ns = [e for e in ev if e["kind"] in ("not_scheduled", "process_pause")]
        logged = "%d link down, %d token lost%s%s" % (
            downs, pf, ", rings " + " ".join(rings) if rings else "",
            ", not scheduled " + " ".join("n%d %.1f s" % (e["node"], e["ms"] / 1000) for e in ns) if ns else "")
        print("| `%s` | %d / %d%s | %s | %s (%s) | %s | %s | %s | %s | %s |" % (
            t["scenario"], m["nodes"], m["links"], " two_node" if m["two_node"] else "", m["crypto"],
            m["token_configured_ms"], m["token_effective_ms"], ftxt, ", ".join(m["vantages"]),
            " + ".join(com) or "no", "; ".join(loss) or "–", logged))


if __name__ == "__main__":
    main(sys.argv[1:])
