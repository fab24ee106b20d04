//! The verdict tells the story: on every capture of the corpus the worst
//! incident's cause is the fault the lab injected (the truth file's fault
//! kinds), and healthy captures have no incident.

use serde_json::Value;

mod common;

/// The causes that tell a truth file's fault kind.
fn causes_for(kind: &str) -> &'static [&'static str] {
    match kind {
        "loss" | "path_loss" => &["loss"],
        "delay" => &["latency"],
        "mtu" => &["mtu"],
        "pause" => &["host_stall"],
        "cut" => &["link_cut"],
        "link_down" => &["link_cut", "link_flaps", "loss"],
        _ => &[],
    }
}

#[test]
fn the_worst_incident_names_the_injected_fault() {
    let mut checked = 0;
    for tp in common::truth_files() {
        let t = common::Truth::load(&tp);
        let name = t.name();
        let key: Vec<String> = t.json["files"]["authkey"]
            .as_str()
            .map(|k| {
                vec![
                    "--authkey".to_string(),
                    t.dir().join(k).display().to_string(),
                ]
            })
            .unwrap_or_default();
        let args: Vec<&str> = key.iter().map(String::as_str).collect();
        let (_, v) = common::report_json(&args, &[t.pcap()]);
        let incidents = v["incidents"].as_array().unwrap();
        let kinds: Vec<String> = t
            .faults()
            .iter()
            .filter_map(|f| f["kind"].as_str().map(str::to_string))
            .collect();
        if kinds.is_empty() {
            assert!(incidents.is_empty(), "{name}: healthy, yet {incidents:?}");
            continue;
        }
        // The worst incident: highest severity, earliest of those.
        let rank = |s: &Value| match s.as_str() {
            Some("critical") => 2,
            Some("warning") => 1,
            _ => 0,
        };
        let worst = incidents
            .iter()
            .max_by(|a, b| {
                rank(&a["severity"]).cmp(&rank(&b["severity"])).then(
                    b["start"]
                        .as_f64()
                        .partial_cmp(&a["start"].as_f64())
                        .unwrap(),
                )
            })
            .unwrap_or_else(|| panic!("{name}: faults {kinds:?} and no incident"));
        let cause = worst["cause"].as_str().unwrap();
        assert!(
            kinds.iter().any(|k| causes_for(k).contains(&cause)),
            "{name}: faults {kinds:?}, worst incident {worst}"
        );
        // The verdict names it.
        let summary = worst["summary"].as_str().unwrap();
        assert!(
            v["verdict"]["summary"].as_str().unwrap().contains(summary),
            "{name}: {}",
            v["verdict"]
        );
        checked += 1;
    }
    assert!(checked >= 12, "{checked}");
}
