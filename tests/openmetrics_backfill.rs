//! `corowire report --format openmetrics` over the corpus, without a
//! Prometheus (tests/prometheus.rs has the real one): the text is what
//! `promtool tsdb create-blocks-from openmetrics` needs — every family
//! declared once, every sample timestamped, a series' points in time
//! order, `# EOF` last — counters never go down, and the last point of
//! each direction is the same capture's `report --format json`.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Command;

mod common;

fn openmetrics(pcap: &PathBuf) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--format", "openmetrics"])
        .arg(pcap)
        .output()
        .expect("corowire report");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// One sample line: (metric name with labels, value, timestamp s).
fn sample(line: &str) -> (&str, f64, f64) {
    let mut it = line.rsplitn(3, ' ');
    let ts = it.next().and_then(|t| t.parse().ok());
    let v = it.next().and_then(|v| v.parse().ok());
    let series = it.next();
    match (series, v, ts) {
        (Some(s), Some(v), Some(t)) => (s, v, t),
        _ => panic!("not `series value timestamp`: {line}"),
    }
}

/// The family and the labels but `le` of a sample: the series a point of
/// a histogram belongs to.
fn metric_point(family: &str, series: &str) -> String {
    let labels = series
        .split_once('{')
        .map_or("", |(_, l)| l.trim_end_matches('}'));
    let kept: Vec<&str> = labels
        .split(',')
        .filter(|l| !l.is_empty() && !l.starts_with("le="))
        .collect();
    format!("{family}{{{}}}", kept.join(","))
}

fn check(pcap: PathBuf) {
    let text = openmetrics(&pcap);
    let name = pcap.file_name().unwrap().to_string_lossy().to_string();
    assert!(text.ends_with("\n# EOF\n"), "{name}: no # EOF at the end");
    let (_, report) = common::report_json(&[], std::slice::from_ref(&pcap));
    let mut declared = BTreeSet::new();
    let mut types: HashMap<String, String> = HashMap::new();
    let mut family = String::new();
    let mut last: HashMap<String, (f64, f64)> = HashMap::new();
    let mut done_series: BTreeSet<String> = BTreeSet::new();
    let mut current = String::new();
    let mut stamps = BTreeSet::new();
    for line in text.lines().filter(|l| *l != "# EOF") {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (f, ty) = rest.split_once(' ').expect("# TYPE name type");
            assert!(declared.insert(f.to_string()), "{name}: {f} declared twice");
            types.insert(f.to_string(), ty.to_string());
            family = f.to_string();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, v, t) = sample(line);
        assert!(
            series.starts_with(&family),
            "{name}: {series} outside {family}"
        );
        stamps.insert((t * 1e3).round() as i64);
        // A series (a histogram's buckets, sum and count together) is
        // contiguous: once left, never seen again.
        let point = metric_point(&family, series);
        if point != current {
            assert!(!done_series.contains(&point), "{name}: {point} interleaved");
            if !current.is_empty() {
                done_series.insert(current.clone());
            }
            current = point;
        }
        if let Some((pv, pt)) = last.get(series) {
            assert!(t > *pt, "{name}: {series} at {t} after {pt}");
            let counter = types[&family] == "counter" || types[&family] == "histogram";
            if counter && !series.contains("_sum") {
                assert!(
                    v >= *pv,
                    "{name}: counter {series} went from {pv} to {v} at {t}"
                );
            }
        }
        last.insert(series.to_string(), (v, t));
    }
    // One point per second of capture, and the closing one.
    let first = report["capture"]["first_ts"].as_f64().expect("first_ts");
    let end = report["capture"]["last_ts"].as_f64().expect("last_ts");
    let seconds = (end.floor() - first.ceil() + 1.0) as usize;
    assert!(
        stamps.len().abs_diff(seconds + 1) <= 2,
        "{name}: {} timestamps for {seconds} s",
        stamps.len()
    );
    // The last point of each direction is the JSON report's figure.
    for l in report["links"].as_array().expect("links") {
        let sel = format!(
            "{{src_node=\"{}\",dst_node=\"{}\",link=\"{}\"}}",
            l["src_node"], l["dst_node"], l["link"]
        );
        let at_end = |metric: &str| {
            last.get(&format!("{metric}{sel}"))
                .unwrap_or_else(|| panic!("{name}: no {metric}{sel}"))
                .0
        };
        let u = |k: &str| l[k].as_u64().expect(k) as f64;
        assert_eq!(
            at_end("corowire_link_pings_sent_total"),
            u("pings_sent"),
            "{name} {sel}"
        );
        assert_eq!(
            at_end("corowire_link_pongs_received_total"),
            u("pongs_received"),
            "{name} {sel}"
        );
        assert_eq!(
            at_end("corowire_link_pings_lost"),
            u("pings_missing") + u("pings_unanswered"),
            "{name} {sel}"
        );
        assert_eq!(
            at_end("corowire_link_rtt_seconds_count"),
            l["rtt_us"]["samples"].as_u64().unwrap_or(0) as f64,
            "{name} {sel}"
        );
    }
}

#[test]
fn every_corpus_capture_backfills() {
    let mut n = 0;
    for truth in common::truth_files() {
        let t = common::Truth::load(&truth);
        // Node ids label the series: encrypted captures need their key,
        // which the JSON report and this test would both have to be given.
        if t.encrypted() {
            continue;
        }
        check(t.pcap());
        n += 1;
    }
    assert!(n >= 10, "{n} captures");
}
