//! The lab's recorded corosync.conf files parse, and the budgets derived
//! from them equal what the lab's truth files say corosync used.
//!
//! Looks for `*.truth.json` in `$COROWIRE_LAB_CAPTURES`, `captures/` of
//! this crate, or `/work/main/captures`; with none found it says so and
//! passes (the lab corpus is recorded separately).

use std::path::{Path, PathBuf};

use corowire::config::{Budgets, CorosyncVersion, NodeAddr, TransportKind, load_corosync_conf};
use serde_json::Value;

fn lab_dir() -> Option<PathBuf> {
    let mut c = Vec::new();
    if let Some(d) = std::env::var_os("COROWIRE_LAB_CAPTURES") {
        c.push(PathBuf::from(d));
    }
    c.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures"));
    c.push(PathBuf::from("/work/main/captures"));
    c.into_iter().find(|d| truth_files(d).next().is_some())
}

fn truth_files(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
}

#[test]
fn lab_configs_parse_and_budgets_match_truth() {
    let Some(dir) = lab_dir() else {
        eprintln!("no lab truth files found; skipped");
        return;
    };
    let mut checked = 0;
    for truth_path in truth_files(&dir) {
        let truth: Value =
            serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
        let cfg_truth = &truth["config"];
        let Some(confs) = truth["files"]["corosync_conf"].as_object() else {
            continue;
        };
        for (node, rel) in confs {
            let path = dir.join(rel.as_str().unwrap());
            if !path.is_file() {
                continue;
            }
            let c = load_corosync_conf(&path).unwrap_or_else(|e| panic!("{e}"));
            let what = format!("{} node {node}", truth_path.display());
            assert_eq!(
                c.cluster_name.as_deref(),
                cfg_truth["cluster_name"].as_str(),
                "{what}"
            );
            let nodes = cfg_truth["nodes"].as_array().unwrap();
            assert_eq!(c.nodelist.len(), nodes.len(), "{what}");
            for n in nodes {
                let id = n["nodeid"].as_u64().unwrap() as u32;
                let cn = c
                    .node_by_id(id)
                    .unwrap_or_else(|| panic!("{what}: node {id}"));
                assert_eq!(cn.name.as_deref(), n["name"].as_str(), "{what}");
                for (link, l) in n["links"].as_object().unwrap() {
                    let link: u8 = link.parse().unwrap();
                    let addr: std::net::IpAddr = l["address"].as_str().unwrap().parse().unwrap();
                    assert_eq!(cn.addr(link), Some(&NodeAddr::Ip(addr)), "{what}");
                    assert_eq!(
                        u64::from(c.link_port(link)),
                        l["port"].as_u64().unwrap(),
                        "{what}"
                    );
                }
            }
            let suite = c.crypto_suite().unwrap();
            let crypto = &cfg_truth["crypto"];
            assert_eq!(
                suite.cipher.name(),
                crypto["cipher"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                suite.hash.name(),
                crypto["hash"].as_str().unwrap(),
                "{what}"
            );

            let eff = &cfg_truth["effective"];
            let b = Budgets::from_config(CorosyncVersion::V3_1, &c, 0);
            let get = |key: &str| eff[key].as_u64().map(|v| v as u32);
            let mut pairs = vec![
                ("token_ms", b.token_ms.value),
                ("token_retransmit_ms", b.token_retransmit_ms.value),
                ("hold_ms", b.hold_ms.value),
                ("consensus_ms", b.consensus_ms.value),
                ("join_ms", b.join_ms.value),
                ("token_warning_ms", b.token_warning_ms.unwrap().value),
            ];
            match b.knet {
                Some(k) => pairs.extend([
                    ("knet_ping_interval_ms", k.ping_interval_ms.value),
                    ("knet_ping_timeout_ms", k.ping_timeout_ms.value),
                    ("knet_pong_count", k.pong_count.value),
                    (
                        "knet_ping_interval_on_wire_expected_ms",
                        k.ping_spacing_ms.value,
                    ),
                    ("knet_pmtud_interval_s", k.pmtud_interval_s.value),
                ]),
                None => {
                    assert_ne!(c.transport_or_default(), TransportKind::Knet, "{what}");
                    assert_ne!(cfg_truth["transport"].as_str(), Some("knet"), "{what}");
                }
            }
            for (key, ours) in pairs {
                if let Some(want) = get(key) {
                    assert_eq!(ours, want, "{what}: {key}");
                }
            }
            checked += 1;
        }
    }
    eprintln!(
        "checked {checked} lab corosync.conf files in {}",
        dir.display()
    );
    assert!(checked > 0);
}
