//! `corowire report` as a script runs it: JSON schema, verdict and exit
//! status on real captures, with and without the key, with a config.

mod common;

use std::process::Command;

use serde_json::Value;

fn report(args: &[&str], capture: &str) -> (Option<i32>, Value) {
    common::report_json(args, &[common::crate_dir().join("captures").join(capture)])
}

#[test]
fn healthy_cluster_exits_zero_with_every_link_measured() {
    let (code, v) = report(&[], "healthy-3n-clear.pcap");
    assert_eq!(code, Some(0));
    assert_eq!(v["verdict"]["severity"], "ok");
    let links = v["links"].as_array().unwrap();
    // 3 nodes, one link: every ordered pair is a directed link.
    assert_eq!(links.len(), 6);
    for l in links {
        let p50 = l["rtt_us"]["p50"].as_u64().unwrap();
        assert!(p50 > 0 && p50 < 1000, "LAN RTT {p50} µs");
        assert!(l["pings_sent"].as_u64().unwrap() >= 40);
        assert_eq!(l["pmtu"], 1500);
        // The RTT histogram holds every pong, all of them under a LAN's 1 ms.
        let hist = l["rtt_hist"].as_array().unwrap();
        assert_eq!(hist.len(), 16);
        assert_eq!(hist[0]["max_us"], 50);
        assert!(hist[15]["max_us"].is_null());
        let pongs = |f: &dyn Fn(u64) -> bool| -> u64 {
            hist.iter()
                .filter(|b| f(b["max_us"].as_u64().unwrap_or(u64::MAX)))
                .map(|b| b["pongs"].as_u64().unwrap())
                .sum()
        };
        assert_eq!(pongs(&|_| true), l["pongs_received"].as_u64().unwrap());
        assert_eq!(pongs(&|max| max > 1000), 0, "{hist:?}");
    }
    // Budgets for 3 nodes (docs/wire-format.md §7.2), derived from the node count seen.
    assert_eq!(v["budgets"]["token_ms"], 3650);
    assert_eq!(v["budgets"]["ping_timeout_ms"], 1825);
    for key in ["links", "findings", "membership", "totem", "budgets"] {
        assert!(!v[key].is_null(), "{key}");
    }
    assert!(v["totem"]["token_rotation_ms"]["p50"].as_f64().is_some());
}

#[test]
fn a_node_cut_off_is_critical_and_its_ring_change_is_reported() {
    let (code, v) = report(&[], "membership-3n-node3-cut-rejoin.pcap");
    assert_eq!(code, Some(4));
    assert_eq!(v["verdict"]["severity"], "critical");
    let rings: Vec<(String, Value)> = v["membership"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["ring_id"].as_str().unwrap().to_string(),
                m["members"].clone(),
            )
        })
        .collect();
    // corosync logged "A new membership (1.11) ... left: 3" then 1.15 with all three.
    assert!(
        rings.contains(&("1.11".into(), serde_json::json!([1, 2]))),
        "{rings:?}"
    );
    assert!(
        rings.contains(&("1.15".into(), serde_json::json!([1, 2, 3]))),
        "{rings:?}"
    );
    let downs: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "link_down")
        .collect();
    assert!(!downs.is_empty());
    assert!(
        downs
            .iter()
            .all(|f| f["src_node"] == 3 || f["dst_node"] == 3),
        "only node 3's links went down"
    );
}

#[test]
fn encrypted_capture_without_the_key_is_measured_by_inference() {
    let (code, v) = report(&[], "healthy-3n-aes256-sha256-nss.pcap");
    assert_eq!(code, Some(0));
    // Nodes are numbered by address; three of them give the 3-node budgets.
    assert_eq!(v["budgets"]["token_ms"], 3650);
    let links = v["links"].as_array().unwrap();
    assert_eq!(links.len(), 6);
    // ~51 s at one ping per second on every directed link (52 with the key).
    for l in links {
        let pings = l["pings_sent"].as_u64().unwrap();
        assert!(
            (50..=53).contains(&pings),
            "{pings} pings on {}->{}",
            l["src_node"],
            l["dst_node"]
        );
        assert!(l["rtt_us"]["p50"].as_u64().unwrap() < 1000);
        // Every ping was answered (crossing pings included) and PMTUD seen.
        assert_eq!(
            l["pongs_received"], l["pings_sent"],
            "{}->{}",
            l["src_node"], l["dst_node"]
        );
        assert_eq!(l["pmtu"], 1500);
    }
}

#[test]
fn the_config_names_budgets_and_nodes() {
    let conf = common::crate_dir().join("captures/logs/healthy-5n-2l/node1.corosync.conf");
    let (code, v) = report(
        &["--corosync-conf", conf.to_str().unwrap()],
        "healthy-5n-2l.pcap",
    );
    assert_eq!(code, Some(0));
    // 5 nodes: token 3000 + 3 x 650 (docs/wire-format.md §7.2), pings every 1400 ms.
    assert_eq!(v["budgets"]["token_ms"], 4950);
    assert_eq!(v["budgets"]["ping_spacing_ms"], 1400);
    // Two links, 5 x 4 directed pairs each.
    assert_eq!(v["links"].as_array().unwrap().len(), 40);
    // Every value says where it came from: the config's name.
    assert_eq!(v["budgets"]["origin"], "node1.corosync.conf");
    // token: 3000 is written in the file; pong_count is not.
    assert_eq!(v["budgets"]["sources"]["token"], "node1.corosync.conf");
    assert_eq!(v["budgets"]["sources"]["pong_count"], "default");
}

/// Each budget flag overrides its own value only: the token still follows
/// the 3 nodes seen (3000 + 650 ms) when consensus or a knet value is set,
/// and the text report says which values the flags set.
#[test]
fn each_budget_flag_overrides_only_its_own_value() {
    for flag in [
        ["--consensus", "5000"],
        ["--knet-ping-interval", "500"],
        ["--knet-ping-timeout", "2000"],
        ["--knet-pong-count", "3"],
    ] {
        let (_, v) = report(&flag, "healthy-3n-clear.pcap");
        let b = &v["budgets"];
        assert_eq!(b["token_ms"], 3650, "{flag:?}: {b}");
        assert_eq!(b["sources"]["token"], "default", "{flag:?}: {b}");
        let (key, ms) = match flag[0] {
            "--consensus" => ("consensus", "consensus_ms"),
            "--knet-ping-interval" => ("ping_interval", "ping_interval_ms"),
            "--knet-ping-timeout" => ("ping_timeout", "ping_timeout_ms"),
            _ => ("pong_count", "pong_count"),
        };
        assert_eq!(b["sources"][key], "flag", "{flag:?}: {b}");
        assert_eq!(b[ms].to_string(), flag[1], "{flag:?}: {b}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--consensus", "5000"])
        .arg(common::crate_dir().join("captures/healthy-3n-clear.pcap"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("consensus 5000 ms (flag)"), "{text}");
    assert!(text.contains("token 3650 ms (default;"), "{text}");
}

#[test]
fn flags_beat_defaults_and_usage_errors_exit_one() {
    let (_, v) = report(&["--token", "1000"], "healthy-3n-clear.pcap");
    assert_eq!(v["budgets"]["token_ms"], 1650);
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--format", "yaml", "x.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// A NODES legend with every node's address; ids in the tables, so rows of
/// a 5-node cluster can be told apart; --brief and --min-severity.
#[test]
fn nodes_legend_brief_and_min_severity() {
    let conf = common::crate_dir().join("captures/logs/healthy-5n-2l/node1.corosync.conf");
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--corosync-conf"])
        .arg(&conf)
        .arg(common::crate_dir().join("captures/healthy-5n-2l.pcap"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for n in 1..=5 {
        let legend = format!("      {n}  node{n}                    10.77.0.{n} 10.77.1.{n}  (");
        assert!(text.contains(&legend), "{legend}\n{text}");
    }
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  1->")).collect();
    assert_eq!(rows.len(), 8, "1->2..5 on two links: {text}");

    let cut = common::crate_dir().join("captures/membership-3n-node3-cut-rejoin.pcap");
    let brief = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--brief"])
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(brief.status.code(), Some(4));
    let b = String::from_utf8_lossy(&brief.stdout);
    assert!(b.contains("FINDINGS (18 of 24, warning and above)"), "{b}");
    assert!(!b.contains("LINK 0") && !b.contains("TOTEM"), "{b}");
    let (code, v) = common::report_json(&["--min-severity", "critical"], &[cut]);
    assert_eq!(code, Some(4));
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 8);
    assert!(f.iter().all(|f| f["severity"] == "critical"));
}

/// The README's report heads (a cut, a stall, a one-way loss) are real
/// runs', kept so.
#[test]
fn the_readme_report_heads_are_real_runs() {
    let readme = std::fs::read_to_string(common::crate_dir().join("README.md")).unwrap();
    let mut checked = 0;
    for cap in [
        "membership-3n-node3-cut-rejoin",
        "pause-3n-node2-sigstop8s",
        "oneway-loss-3n-node2-egress25",
    ] {
        let cmd = format!("$ corowire report --brief captures/{cap}.pcap\n");
        let at = readme.find(&cmd).expect("the example is in the README") + cmd.len();
        let shown = &readme[at..at + readme[at..].find("\n…\n").expect("cut with …") + 1];
        let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
            .current_dir(common::crate_dir())
            .args(["report", "--brief", &format!("captures/{cap}.pcap")])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with(shown), "README:\n{shown}\nrun:\n{text}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// A finding's window (start, end) and the finding.
type Window = (f64, f64, Value);

/// A capture's first fault window (effective start, end) and the windows
/// of the report's findings of `kind`.
fn fault_and_windows(capture: &str, kind: &str) -> ((f64, f64), Vec<Window>) {
    let t =
        common::Truth::load(&common::crate_dir().join(format!("captures/{capture}.truth.json")));
    let f = &t.faults()[0];
    let fault = (
        f["effective_start"].as_f64().unwrap(),
        f["effective_end"].as_f64().unwrap(),
    );
    let (_, v) = common::report_json(&[], &[t.pcap()]);
    let found: Vec<Window> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| {
            (
                f["start"].as_f64().unwrap(),
                f["end"].as_f64().unwrap(),
                f.clone(),
            )
        })
        .collect();
    assert!(!found.is_empty(), "{capture}: no {kind}: {}", v["findings"]);
    (fault, found)
}

/// A latency finding spans the pings whose RTT reached the warning, not
/// the whole capture: on the SIGSTOP capture, the pongs node 2 queued while
/// stopped and answered on SIGCONT (they were dated +0.0 s to the end).
#[test]
fn latency_findings_span_when_the_rtt_was_high() {
    let ((stop, cont), found) = fault_and_windows("pause-3n-node2-sigstop8s", "latency");
    for (s, e, l) in found {
        assert!(
            s >= stop && e <= cont + 1.0 && s <= e,
            "{l} outside {stop}..{cont}"
        );
    }
}

/// An RTT asymmetry spans the pings whose RTT stood out: on the 40 ms
/// delay capture, the fault's window within 2 s (it was the whole capture).
#[test]
fn rtt_asymmetry_spans_the_delay() {
    let ((a, z), found) = fault_and_windows("delay-3n-node2-40ms-jitter5", "asymmetry");
    for (s, e, x) in found {
        assert!(
            (s - a).abs() <= 2.0 && (e - z).abs() <= 2.0,
            "{x} vs {a}..{z}"
        );
    }
}

/// A loss asymmetry spans the seconds its worse direction lost packets in
/// (it was dated from the capture's first packet to its last): on the
/// 25 % egress-loss capture, inside the fault's window (2 s slack) and
/// over most of it (random loss: the first lost packet comes when it
/// comes).
#[test]
fn loss_asymmetry_spans_the_fault() {
    let ((a, z), found) = fault_and_windows("oneway-loss-3n-node2-egress25", "asymmetry");
    for (s, e, x) in found {
        assert_eq!(x["src_node"], 2, "{x}");
        assert!(s >= a - 2.0 && e <= z + 2.0, "{x} vs {a}..{z}");
        assert!(e - s >= 0.8 * (z - a), "{x} vs {a}..{z}");
    }
}
