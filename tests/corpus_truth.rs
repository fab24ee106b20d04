//! Checks that every committed `captures/*.truth.json` is consistent with its
//! capture: the files it names exist, the packet count and first/last packet
//! times it states are those of the pcap, and every fault window, every log
//! event marked `in_capture`, every corosync sample and every counter window
//! lies inside the capture's first..last packet time.
//!
//! The truth format is described in `captures/README.md`.

use std::path::{Path, PathBuf};

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use serde_json::Value;

/// Log timestamps have millisecond resolution (truncated); float epoch
/// seconds lose well under a microsecond at this magnitude.
const LOG_SLACK_NS: i64 = 1_000_000;
const FLOAT_SLACK_NS: i64 = 2_000;

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn truth_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("captures/ exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".truth.json")))
        .collect();
    v.sort();
    v
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Epoch seconds (float) to nanoseconds.
fn ns(v: &Value, what: &str) -> i64 {
    let s = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"));
    (s * 1e9).round() as i64
}

struct PcapSpan {
    packets: u64,
    first: i64,
    last: i64,
}

fn scan(path: &Path) -> PcapSpan {
    let mut src = FileSource::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut packets, mut first, mut last) = (0u64, i64::MAX, i64::MIN);
    loop {
        match src.advance() {
            Ok(true) => {
                let ts = src.frame().ts;
                packets += 1;
                first = first.min(ts);
                last = last.max(ts);
            }
            Ok(false) => break,
            Err(e) => panic!("{}: unexpected bad record: {e}", path.display()),
        }
    }
    assert!(packets > 0, "{}: empty capture", path.display());
    PcapSpan {
        packets,
        first,
        last,
    }
}

fn check_file(base: &Path, rel: &Value, what: &str, errors: &mut Vec<String>) {
    if rel.is_null() {
        return;
    }
    let rel = rel
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string"));
    let p = base.join(rel);
    match std::fs::metadata(&p) {
        Ok(m) if m.len() > 0 => {}
        _ => errors.push(format!("{what}: {} missing or empty", p.display())),
    }
}

fn inside(t: i64, span: &PcapSpan, slack: i64) -> bool {
    t >= span.first - slack && t <= span.last + slack
}

fn check_one(path: &Path) -> Vec<String> {
    let base = captures_dir();
    let t = load(path);
    let name = t["scenario"].as_str().expect("scenario name").to_string();
    let mut errors = Vec::new();

    assert_eq!(
        t["format"], "corowire-lab-truth/1",
        "{name}: unknown truth format"
    );

    // ---- files
    let files = &t["files"];
    check_file(&base, &files["pcap"], "files.pcap", &mut errors);
    check_file(
        &base,
        &files["vantage_pcap"],
        "files.vantage_pcap",
        &mut errors,
    );
    check_file(&base, &files["authkey"], "files.authkey", &mut errors);
    for key in ["logs", "corosync_conf"] {
        let map = files[key]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: files.{key} not an object"));
        assert_eq!(
            map.len(),
            t["config"]["nodes"].as_array().map_or(0, Vec::len),
            "{name}: files.{key} should name one file per node"
        );
        for (node, rel) in map {
            check_file(&base, rel, &format!("files.{key}.{node}"), &mut errors);
        }
    }
    if t["config"]["crypto"]["enabled"] == true {
        match std::fs::metadata(base.join(files["authkey"].as_str().unwrap_or(""))) {
            Ok(m) if (16..=4096).contains(&m.len()) => {}
            _ => errors.push(format!("{name}: crypto enabled but no usable authkey file")),
        }
    }
    if !errors.is_empty() {
        return errors;
    }

    // ---- the capture itself
    let pcap = base.join(files["pcap"].as_str().unwrap());
    let span = scan(&pcap);
    let cap = &t["capture"];
    if cap["packets"].as_u64() != Some(span.packets) {
        errors.push(format!(
            "{name}: capture.packets {} but the pcap holds {}",
            cap["packets"], span.packets
        ));
    }
    if cap["first_packet_ns"].as_i64() != Some(span.first) {
        errors.push(format!(
            "{name}: capture.first_packet_ns {} but pcap starts at {}",
            cap["first_packet_ns"], span.first
        ));
    }
    if cap["last_packet_ns"].as_i64() != Some(span.last) {
        errors.push(format!(
            "{name}: capture.last_packet_ns {} but pcap ends at {}",
            cap["last_packet_ns"], span.last
        ));
    }
    if !files["vantage_pcap"].is_null() {
        let v = scan(&base.join(files["vantage_pcap"].as_str().unwrap()));
        let vc = &cap["vantage"];
        if vc["packets"].as_u64() != Some(v.packets)
            || vc["first_packet_ns"].as_i64() != Some(v.first)
            || vc["last_packet_ns"].as_i64() != Some(v.last)
        {
            errors.push(format!(
                "{name}: capture.vantage does not describe the vantage pcap"
            ));
        }
    }

    // ---- faults: the whole window inside the capture
    let faults = t["faults"].as_array().expect("faults array");
    for f in faults {
        let id = f["id"].as_str().unwrap_or("?");
        for key in [
            "requested_start",
            "effective_start",
            "requested_end",
            "effective_end",
        ] {
            if f[key].is_null() {
                errors.push(format!(
                    "{name}: fault {id}: {key} missing (fault never ended?)"
                ));
                continue;
            }
            let v = ns(&f[key], key);
            if !inside(v, &span, 0) {
                errors.push(format!(
                    "{name}: fault {id}: {key} {v} outside the capture {}..{}",
                    span.first, span.last
                ));
            }
        }
        if !f["effective_start"].is_null()
            && !f["effective_end"].is_null()
            && ns(&f["effective_end"], "end") <= ns(&f["effective_start"], "start")
        {
            errors.push(format!("{name}: fault {id} ends before it starts"));
        }
        if f["kind"].as_str().is_none() {
            errors.push(format!("{name}: fault {id} has no kind"));
        }
    }

    // ---- log events: those marked in_capture lie inside it, the others outside
    let events = t["log_events"].as_array().expect("log_events array");
    let mut in_capture = 0;
    for ev in events {
        let tv = ns(&ev["t"], "log_events.t");
        let what = format!(
            "{name}: node {} line {} ({})",
            ev["node"], ev["line"], ev["kind"]
        );
        match ev["in_capture"].as_bool() {
            Some(true) => {
                in_capture += 1;
                if !inside(tv, &span, LOG_SLACK_NS) {
                    errors.push(format!(
                        "{what} marked in_capture but at {tv}, outside {}..{}",
                        span.first, span.last
                    ));
                }
            }
            Some(false) => {
                if inside(tv, &span, -LOG_SLACK_NS) {
                    errors.push(format!(
                        "{what} marked outside the capture but at {tv}, inside it"
                    ));
                }
            }
            None => errors.push(format!("{what} has no in_capture flag")),
        }
    }
    if in_capture == 0 {
        errors.push(format!("{name}: no log event inside the capture"));
    }
    // every fault that breaks a node's links or stalls it leaves traces in the logs
    let membership_in_capture = events
        .iter()
        .filter(|e| e["kind"] == "membership" && e["in_capture"] == true)
        .count();
    if membership_in_capture == 0 {
        errors.push(format!("{name}: no membership event inside the capture"));
    }

    // ---- samples of corosync's view
    for key in ["stats_samples", "cfgtool_samples", "quorum_samples"] {
        let arr = t[key]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {key} not an array"));
        if arr.is_empty() {
            errors.push(format!("{name}: {key} empty"));
        }
        for s in arr {
            for k in ["t_before", "t_after"] {
                let v = ns(&s[k], k);
                if !inside(v, &span, FLOAT_SLACK_NS) {
                    errors.push(format!(
                        "{name}: {key} {} node {} {k} {v} outside the capture",
                        s["label"], s["node"]
                    ));
                }
            }
        }
    }

    // ---- counter windows: one per node, begin before end, both inside
    let windows = t["counter_windows"]
        .as_array()
        .expect("counter_windows array");
    let nodes = t["config"]["nodes"].as_array().expect("config.nodes").len();
    if t["config"]["transport"] == "knet" && windows.len() != nodes {
        errors.push(format!(
            "{name}: {} counter windows for {nodes} nodes",
            windows.len()
        ));
    }
    for w in windows {
        let b = ns(&w["begin"]["t_after"], "begin");
        let e = ns(&w["end"]["t_before"], "end");
        if b >= e {
            errors.push(format!(
                "{name}: counter window of node {} ends before it begins",
                w["node"]
            ));
        }
        for v in [
            ns(&w["begin"]["t_before"], "begin"),
            ns(&w["end"]["t_after"], "end"),
        ] {
            if !inside(v, &span, FLOAT_SLACK_NS) {
                errors.push(format!(
                    "{name}: counter window of node {} not inside the capture",
                    w["node"]
                ));
            }
        }
        // udpu has no knet counters: its windows carry only the sample times
        if t["config"]["transport"] == "knet"
            && w["deltas"].as_object().is_none_or(|d| d.is_empty())
        {
            errors.push(format!(
                "{name}: counter window of node {} has no deltas",
                w["node"]
            ));
        }
    }
    errors
}

#[test]
fn every_truth_file_matches_its_capture() {
    let files = truth_files();
    assert!(!files.is_empty(), "no captures/*.truth.json committed");
    let mut errors = Vec::new();
    for f in &files {
        errors.extend(check_one(f));
    }
    assert!(
        errors.is_empty(),
        "{} problem(s):\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[test]
fn every_capture_has_a_truth_file() {
    let dir = captures_dir();
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&dir).expect("captures/ exists") {
        let p = e.expect("dir entry").path();
        let Some(fname) = p.file_name().and_then(|s| s.to_str()) else {
            continue;
        };
        if !fname.ends_with(".pcap") || fname.contains(".vantage-") {
            continue;
        }
        let stem = fname.trim_end_matches(".pcap");
        if !dir.join(format!("{stem}.truth.json")).exists() {
            missing.push(fname.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "captures without a truth file: {missing:?}"
    );
}
