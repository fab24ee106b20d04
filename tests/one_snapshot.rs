//! One session, one snapshot, every output: every capture set in
//! `captures/` (each capture alone, with its key when it has one, and the
//! per-node sets together) through `corowire report --format json`,
//! `corowire live -r - --report-every` (its final report) and the terminal
//! UI's view. Every link's numbers, every finding and every ring must agree
//! between them.

use std::path::PathBuf;

use corowire::cli::SourceArgs;
use corowire::tui::model::View;
use serde_json::Value;

mod common;

/// A link as every output shows it: (src, dst, link) → pings, pongs, RTT
/// samples / p50 / p99 / max µs, state.
fn report_links(r: &Value) -> Vec<String> {
    let mut v: Vec<String> = r["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            let q = &l["rtt_us"];
            format!(
                "{}>{} l{} pings {} pongs {} rtt {}/{}/{}/{} {}",
                l["src_node"].as_u64().unwrap_or(0),
                l["dst_node"].as_u64().unwrap_or(0),
                l["link"],
                l["pings_sent"],
                l["pongs_received"],
                q["samples"].as_u64().unwrap_or(0),
                q["p50"].as_u64().unwrap_or(0),
                q["p99"].as_u64().unwrap_or(0),
                q["max"].as_u64().unwrap_or(0),
                l["state"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    v.sort();
    v
}

fn view_links(v: &View) -> Vec<String> {
    let mut out: Vec<String> = v
        .links
        .iter()
        .map(|l| {
            format!(
                "{}>{} l{} pings {} pongs {} rtt {}/{}/{}/{} {}",
                l.src,
                l.dst,
                l.link,
                l.pings,
                l.pongs,
                l.rtt.samples,
                l.rtt.p50_us,
                l.rtt.p99_us,
                l.rtt.max_us,
                serde_json::to_value(l.state).unwrap().as_str().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A finding: kind, severity, window (ms), ends, message.
/// Sorted: the TUI lists open findings first, the report in engine order.
fn report_findings(r: &Value) -> Vec<String> {
    // JSON times are epoch seconds as floats: compared to the millisecond.
    let ms = |v: &Value| v.as_f64().map(|s| (s * 1e3).round() as i64);
    r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?}..{:?} {:?}>{:?} l{:?}: {}",
                f["kind"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                ms(&f["start"]),
                ms(&f["end"]),
                f["src_node"].as_u64(),
                f["dst_node"].as_u64(),
                f["link"].as_u64(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect::<Vec<_>>()
        .sorted()
}

trait Sorted {
    fn sorted(self) -> Self;
}

impl Sorted for Vec<String> {
    fn sorted(mut self) -> Self {
        self.sort();
        self
    }
}

/// Epoch ns to the nearest millisecond.
fn ms(ns: i64) -> i64 {
    (ns as f64 / 1e6).round() as i64
}

fn view_findings(v: &View) -> Vec<String> {
    v.findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?}..{:?} {:?}>{:?} l{:?}: {}",
                f.kind,
                serde_json::to_value(f.severity).unwrap().as_str().unwrap(),
                Some(ms(f.start)),
                f.end.map(ms),
                f.src.map(u64::from),
                f.dst.map(u64::from),
                f.link.map(u64::from),
                f.text,
            )
        })
        .collect::<Vec<_>>()
        .sorted()
}

/// A ring: id, members, joined, left.
fn report_rings(r: &Value) -> Vec<String> {
    r["membership"]
        .as_array()
        .expect("membership")
        .iter()
        .map(|m| {
            format!(
                "{} members {} joined {} left {}",
                m["ring_id"].as_str().unwrap(),
                m["members"],
                m["joined"],
                m["left"]
            )
        })
        .collect()
}

fn view_rings(v: &View) -> Vec<String> {
    v.totem
        .membership
        .iter()
        .map(|m| {
            format!(
                "{} members {} joined {} left {}",
                m.ring_id,
                serde_json::to_value(&m.members).unwrap(),
                serde_json::to_value(&m.joined).unwrap(),
                serde_json::to_value(&m.left).unwrap()
            )
        })
        .collect()
}

/// `live -r - --report-every 1h`, the pcap on stdin: the final report.
fn live_final(pcap: &PathBuf, args: &[String]) -> Value {
    let mut all = vec!["live", "-r", "-", "--report-every", "1h"];
    all.extend(args.iter().map(String::as_str));
    let out = common::run_with_stdin(&all, std::fs::read(pcap).unwrap());
    assert!(out.status.success(), "live -r - on {}", pcap.display());
    let text = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(text.lines().last().expect("a final report")).unwrap()
}

fn agree(what: &str, set: &str, a: &[String], b: &[String], names: (&str, &str)) {
    assert_eq!(
        a, b,
        "{set}: {what} differ between {} (left) and {} (right)",
        names.0, names.1
    );
}

#[test]
fn report_live_and_tui_agree_on_every_capture_set() {
    let mut sets = 0;
    for tp in common::truth_files() {
        let t = common::Truth::load(&tp);
        let key = t.json["files"]["authkey"].as_str().map(|k| t.dir().join(k));
        let args: Vec<String> = key
            .iter()
            .flat_map(|k| ["--authkey".to_string(), k.display().to_string()])
            .collect();
        let source = SourceArgs {
            authkeys: key.iter().cloned().collect(),
            ..SourceArgs::default()
        };
        let mut captures = vec![vec![t.pcap()]];
        if let Some(v) = t.json["files"]["vantage_pcaps"].as_object() {
            let mut per_node: Vec<PathBuf> = v
                .values()
                .filter_map(Value::as_str)
                .map(|p| t.dir().join(p))
                .filter(|p| p.exists())
                .collect();
            per_node.sort();
            if per_node.len() > 1 {
                captures.push(per_node);
            }
        }
        for files in captures {
            let set = format!(
                "{} {:?}",
                t.name(),
                files
                    .iter()
                    .map(|f| f.file_name().unwrap())
                    .collect::<Vec<_>>()
            );
            let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let (_, report) = common::report_json(&arg_refs, &files);
            let view = common::tui_view(&files, source.clone()).expect("tui view");
            let names = ("report", "tui");
            agree(
                "links",
                &set,
                &report_links(&report),
                &view_links(&view),
                names,
            );
            agree(
                "findings",
                &set,
                &report_findings(&report),
                &view_findings(&view),
                names,
            );
            agree(
                "rings",
                &set,
                &report_rings(&report),
                &view_rings(&view),
                names,
            );
            if files.len() == 1 {
                let live = live_final(&files[0], &args);
                let names = ("report", "live --report-every");
                agree(
                    "links",
                    &set,
                    &report_links(&report),
                    &report_links(&live),
                    names,
                );
                agree(
                    "findings",
                    &set,
                    &report_findings(&report),
                    &report_findings(&live),
                    names,
                );
                agree(
                    "rings",
                    &set,
                    &report_rings(&report),
                    &report_rings(&live),
                    names,
                );
            }
            sets += 1;
        }
    }
    assert!(sets >= 20, "only {sets} capture sets");
}
