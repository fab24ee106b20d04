#!/usr/bin/env python3
"""Print the markdown table of committed captures for captures/README.md,
with fault and membership times in seconds from each capture's first packet.

usage: corpus_table.py captures/*.truth.json
"""
import json
import os
import sys


def main(paths):
    print("| files | size | nodes / links / transport / crypto | what happens (s from first packet) |")
    print("| --- | --- | --- | --- |")
    for p in sorted(paths):
        t = json.load(open(p))
        base = os.path.dirname(p)
        c = t["config"]
        fp = t["capture"]["first_packet"]
        dur = t["capture"]["last_packet"] - fp
        files = [t["files"]["pcap"], os.path.basename(p)]
        vps = t["files"].get("vantage_pcaps") or {}
        if vps:
            files += [vps[k] for k in sorted(vps, key=int)]
        elif t["files"]["vantage_pcap"]:
            files.append(t["files"]["vantage_pcap"])
        if t["files"]["authkey"]:
            files.append(t["files"]["authkey"])
        files.append("logs/%s/" % t["scenario"])
        size = sum(os.path.getsize(os.path.join(base, f)) for f in files[:-1])
        size += sum(os.path.getsize(os.path.join(base, "logs", t["scenario"], f))
                    for f in os.listdir(os.path.join(base, "logs", t["scenario"])))
        cr = c["crypto"]
        crypto = "clear" if not cr["enabled"] else "%s/%s %s" % (
            cr["cipher"], cr["hash"], "+".join(sorted(set(cr["models"].values()))))
        what = []
        for f in t["faults"]:
            loc = "node%s" % f["node"] + ("" if f.get("link") is None else " link%s" % f["link"])
            extra = {"loss": lambda: " %s%% %s" % (f["percent"], f["direction"]),
                     "path_loss": lambda: " to node%s %s%% on the bridge (realised %s%%)" % (
                         f["dst_node"], f["percent"], f.get("realized_pct")),
                     "delay": lambda: " %s±%s ms %s%s" % (f["delay_ms"], f["jitter_ms"], f["direction"],
                                                          " (in the hub)" if f.get("where") == "hub" else ""),
                     "mtu": lambda: " %s" % f["mtu"]}.get(f["kind"], lambda: "")()
            what.append("%s %s%s %.1f–%.1f" % (f["kind"], loc, extra,
                                               f["effective_start"] - fp, f["effective_end"] - fp))
        ring = {}
        for e in t["log_events"]:
            if e["kind"] == "membership" and e["in_capture"] and e["node"] == 1:
                ring.setdefault(e["ring_id"], (e["t"] - fp, e["members"]))
        mem = ["ring %s %s @%.1f" % (r, "+".join(str(m) for m in (v[1] or [])), v[0]) for r, v in ring.items()]
        ld = sorted({(round(e["t"] - fp, 1), e["node"], e["host"], e["link"]) for e in t["log_events"]
                     if e["kind"] == "link_down" and e["in_capture"]})
        lds = ["%d→%d L%d @%.1f" % (n, h, l, tt) for tt, n, h, l in ld][:8]
        if len(ld) > 8:
            lds.append("… (%d link-down events)" % len(ld))
        cpg = ["cpg %dx%dB @%.0f" % (r["count"], r["size"], r["start"] - fp) for r in t["traffic"]
               if r["count"] < 100 or r["interval_ms"] == 0]
        text = "%.0f s, %d frames. %s. Faults: %s. Node1 rings: %s. Link down (node→peer): %s. Traffic: %s" % (
            dur, t["capture"]["packets"], t["description"], "; ".join(what) or "none",
            ", ".join(mem) or "-", ", ".join(lds) or "none", ", ".join(cpg) or "background only")
        print("| %s | %.0f KB | %d / %d / %s / %s | %s |" % (
            "<br>".join("`%s`" % f for f in files), size / 1024, len(c["nodes"]), len(c["links"]),
            c["transport"], crypto, text))


if __name__ == "__main__":
    main(sys.argv[1:])
