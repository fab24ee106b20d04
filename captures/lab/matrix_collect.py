#!/usr/bin/env python3
"""Copy recorded matrix scenarios into captures/matrix/ (stdlib only).

    matrix_collect.py --src /work/lab-out --dst captures/matrix \
        [--bridge NAME ...] [--vantages NAME ...] NAME...

Every NAME is a scenario recorded with `record.sh --out SRC/NAME NAME`.
For each: the truth file, the logs and corosync.conf files and the authkey
are always copied; the bridge pcap only for the names given with --bridge,
the per-node pcaps only for the names given with --vantages. The truth
file gets a `files.committed` block saying which of the files it names are
in the repository (the others stay in SRC/NAME and can be recorded again
with the same scenario script). Truth files are written compact (no
indentation), and the periodic knet stats samples (every ~5 s, labels
periodic-K) are stored whole in logs/NAME/stats_periodic.json.gz
(`files.stats_periodic`; same records) and kept in `stats_samples` with
knet's latency_ave / latency_samples keys only (`reduced: true`), which
halves the truth file; begin, end and config samples stay whole.
"""
import argparse
import gzip
import json
import os
import shutil


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--bridge", nargs="*", default=[])
    ap.add_argument("--vantages", nargs="*", default=[])
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.dst, exist_ok=True)
    for name in a.names:
        src = os.path.join(a.src, name)
        t = json.load(open(os.path.join(src, name + ".truth.json")))
        f = t["files"]
        logdst = os.path.join(a.dst, "logs", name)
        os.makedirs(logdst, exist_ok=True)
        for fn in os.listdir(os.path.join(src, "logs", name)):
            shutil.copy(os.path.join(src, "logs", name, fn), os.path.join(logdst, fn))
        if f.get("authkey"):
            shutil.copy(os.path.join(src, f["authkey"]), os.path.join(a.dst, f["authkey"]))
        bridge = name in a.bridge
        vant = name in a.vantages
        for p in [f["pcap"]] + list((f.get("vantage_pcaps") or {}).values()):
            dst = os.path.join(a.dst, p)
            if os.path.exists(dst):
                os.remove(dst)
        if bridge:
            shutil.copy(os.path.join(src, f["pcap"]), os.path.join(a.dst, f["pcap"]))
        if vant:
            for p in (f.get("vantage_pcaps") or {}).values():
                shutil.copy(os.path.join(src, p), os.path.join(a.dst, p))
        per = [x for x in t["stats_samples"] if x["label"].startswith("periodic")]
        if per:
            # in the truth file the periodic samples keep knet's latency
            # figures only (latency_ave, latency_samples per peer and link);
            # every key is in the gzipped file
            t["stats_samples"] = [
                x if not x["label"].startswith("periodic") else
                dict(x, stats={k: v for k, v in x["stats"].items()
                               if k.endswith((".latency_ave", ".latency_samples"))}, reduced=True)
                for x in t["stats_samples"]]
            rel = "logs/%s/stats_periodic.json.gz" % name
            with gzip.GzipFile(os.path.join(a.dst, rel), "wb", compresslevel=9, mtime=0) as g:
                g.write(json.dumps(per, separators=(",", ":")).encode())
            f["stats_periodic"] = rel
        f["committed"] = {
            "pcap": bridge,
            "vantage_pcaps": {k: vant for k in (f.get("vantage_pcaps") or {})},
            "truth": True, "logs": True, "authkey": bool(f.get("authkey")),
            "recorded_in": os.path.join(os.path.abspath(a.src), name),
            "note": "files marked false are not in the repository; re-record with "
                    "captures/lab/record.sh --out DIR %s (a new run, not the same bytes)" % name,
        }
        with open(os.path.join(a.dst, name + ".truth.json"), "w") as out:
            json.dump(t, out, separators=(",", ":"))
            out.write("\n")
        print("%-55s bridge=%s vantages=%s" % (name, bridge, vant))


if __name__ == "__main__":
    main()
