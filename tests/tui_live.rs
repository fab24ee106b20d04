//! Live capture end to end (feature `live`): a real 3-node, 2-link corosync
//! cluster in network namespaces (the capture lab's functions, under a
//! prefix of its own so a running lab is never touched), `corowire live -i`
//! on each link's bridge for a bounded time with `--report-every`, and every
//! directed link of the cluster must appear, up, with a plausible RTT.
//!
//! Needs root (or CAP_NET_ADMIN + CAP_NET_RAW), corosync and iproute2;
//! skips with the reason otherwise.
#![cfg(feature = "live")]

mod common;

use common::{have, is_root};

use std::path::PathBuf;
use std::process::Command;

#[test]
fn live_capture_on_a_real_cluster_reports_every_link() {
    for c in ["corosync", "corosync-quorumtool", "ip", "timeout"] {
        if !have(c) {
            eprintln!("SKIPPED: {c} is not installed");
            return;
        }
    }
    if !is_root() {
        eprintln!("SKIPPED: needs root to create network namespaces");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out_dir = std::env::temp_dir().join(format!("corowire-live-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).expect("temp dir");
    let script = format!(
        r#"
set -u
source '{lab}'
NS_PREFIX=cwtui{pid}; HUB=$NS_PREFIX-hub; NET_PREFIX=10.79
NODES=3; LINKS=2; TRANSPORT=knet; TOKEN=3000; LINK_MODE=passive; PMTUD_INTERVAL=30
CRYPTO_CIPHER=none; CRYPTO_HASH=none
WORK=$(mktemp -d)
trap cleanup EXIT INT TERM
netns_up
start_cluster
wait_formed 60
watchers=""
for l in 0 1; do
    ip netns exec "$HUB" timeout -s TERM 14 '{bin}' live -i "$NS_PREFIX-br$l" --promisc --report-every 4s \
        >'{out}'/link$l.jsonl 2>'{out}'/link$l.err &
    watchers="$watchers $!"
done
# A capture filter narrowing corowire's own, -w, and --duration ending the run.
( ip netns exec "$HUB" timeout -s TERM 14 '{bin}' live -i "$NS_PREFIX-br0" --report-every 60s \
    --duration 5s -w '{out}'/kept.pcap src host "$(addr 1 0)" \
    >'{out}'/filtered.jsonl 2>'{out}'/filtered.err; echo $? >'{out}'/filtered.rc ) &
watchers="$watchers $!"
# Only the watchers: corosync runs in the background too.
wait $watchers || true  # timeout ends them with 124
"#,
        lab = root.join("captures/lab/lab.sh").display(),
        pid = std::process::id() % 10000,
        bin = env!("CARGO_BIN_EXE_corowire"),
        out = out_dir.display(),
    );
    let st = Command::new("bash")
        .args(["-c", &script])
        .status()
        .expect("bash");
    assert!(st.success(), "lab script failed: {st}");
    for l in 0..2u8 {
        let text = std::fs::read_to_string(out_dir.join(format!("link{l}.jsonl"))).unwrap();
        let err = std::fs::read_to_string(out_dir.join(format!("link{l}.err"))).unwrap();
        let reports: Vec<serde_json::Value> = text
            .lines()
            .map(|x| serde_json::from_str(x).expect("JSON line"))
            .collect();
        assert!(
            reports.len() >= 2,
            "link {l}: {} reports; stderr: {err}",
            reports.len()
        );
        let last = reports.last().unwrap();
        assert_eq!(last["format"], corowire::report::JSON_FORMAT);
        // libpcap's counters: everything the filter passed, nothing dropped
        // on an idle bridge.
        let ps = &last["source"]["pcap_stats"];
        assert_eq!(last["source"]["kind"], "live");
        assert!(ps["received"].as_u64().unwrap_or(0) > 0, "{ps}");
        assert_eq!(ps["dropped"], 0, "{ps}");
        let links = last["links"].as_array().expect("links");
        for s in 1..=3u64 {
            for d in 1..=3u64 {
                if s == d {
                    continue;
                }
                let row = links
                    .iter()
                    .find(|r| r["src_node"] == s && r["dst_node"] == d && r["link"] == l)
                    .unwrap_or_else(|| panic!("link {l}: no row n{s}>n{d}: {links:?}"));
                let p50 = row["rtt_us"]["p50"].as_u64().unwrap_or(0);
                assert!((1..20_000).contains(&p50), "implausible RTT: {row}");
                assert_eq!(row["state"], "up", "{row}");
            }
        }
    }
    // The filtered run ended by itself after 5 s of capture (not by
    // timeout's 124), and kept only node 1's link-0 packets.
    let rc = std::fs::read_to_string(out_dir.join("filtered.rc")).unwrap();
    let err = std::fs::read_to_string(out_dir.join("filtered.err")).unwrap();
    assert_eq!(rc.trim(), "0", "{err}");
    let text = std::fs::read_to_string(out_dir.join("filtered.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let d = last["capture"]["duration_s"].as_f64().unwrap();
    assert!((3.0..=5.5).contains(&d), "{d}");
    let kept = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["decode", "--json"])
        .arg(out_dir.join("kept.pcap"))
        .output()
        .unwrap();
    let kept = String::from_utf8_lossy(&kept.stdout);
    assert!(kept.lines().count() > 5, "{kept}");
    for l in kept.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["src"], "10.79.0.1", "{l}");
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}
