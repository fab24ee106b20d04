//! Every committed capture through the terminal UI's session and view: no
//! panic; and the view's judgements against the truth files.

use std::path::PathBuf;

use corowire::tui::model::{Severity, View};

mod common;

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn view(name: &str) -> View {
    common::tui_view(&[captures().join(name)], Default::default()).expect("replay")
}

fn truth(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(captures().join(name)).unwrap()).unwrap()
}

#[test]
fn every_committed_capture_replays() {
    for e in std::fs::read_dir(captures()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            let v = common::tui_view(std::slice::from_ref(&p), Default::default()).expect("replay");
            assert!(v.header.frames > 0, "{}", p.display());
            assert!(v.header.finished);
        }
    }
}

#[test]
fn healthy_captures_raise_no_warning() {
    for name in ["healthy-3n-clear.pcap", "healthy-5n-2l.pcap"] {
        if !captures().join(name).exists() {
            continue;
        }
        let v = view(name);
        let bad: Vec<_> = v
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        assert!(bad.is_empty(), "{name}: {bad:?}");
        assert!(!v.links.is_empty());
    }
}

#[test]
fn lowered_mtu_is_a_finding_on_the_nodes_links() {
    let name = "mtu-3n-node3-1200";
    if !captures().join(format!("{name}.pcap")).exists() {
        eprintln!("SKIPPED: {name}.pcap not in this checkout");
        return;
    }
    let t = truth(&format!("{name}.truth.json"));
    let node = t["faults"][0]["node"].as_u64().unwrap() as u32;
    let mtu = t["faults"][0]["mtu"].as_u64().unwrap() as u32;
    let v = view(&format!("{name}.pcap"));
    let drops: Vec<_> = v
        .findings
        .iter()
        .filter(|f| f.kind == "mtu_change" && f.severity == Severity::Warning)
        .collect();
    assert!(!drops.is_empty(), "{:?}", v.findings);
    for f in &drops {
        assert!(f.src == Some(node) || f.dst == Some(node), "{f:?}");
        // Reported as the IP size answered: the lowered MTU, give or take
        // knet's 4-byte rounding of its probe sizes.
        let to: u32 = f
            .evidence
            .iter()
            .find_map(|e| e.strip_prefix("to = "))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{f:?}"));
        assert!(to.abs_diff(mtu) <= 4, "{f:?}");
        assert!(f.text.contains(&format!("to {to} bytes")), "{f:?}");
    }
}

#[test]
fn cut_node_shows_links_down_and_membership_loss() {
    let name = "membership-3n-node3-cut-rejoin";
    let t = truth(&format!("{name}.truth.json"));
    let node = t["faults"][0]["node"].as_u64().unwrap() as u32;
    let v = view(&format!("{name}.pcap"));
    let start = (t["faults"][0]["effective_start"].as_f64().unwrap() * 1e9) as i64;
    for f in v.findings.iter().filter(|f| f.kind.ends_with("_down")) {
        assert!(f.src == Some(node) || f.dst == Some(node), "{f:?}");
        // Down from the last pong before the cut, judged within the ping timeout.
        assert!((f.start - start).abs() < 3_000_000_000, "{f:?}");
    }
    assert!(
        v.findings
            .iter()
            .any(|f| f.kind == "membership_change" && f.severity == Severity::Critical)
    );
    assert!(v.findings.iter().any(|f| f.kind == "token_lost"));
}
