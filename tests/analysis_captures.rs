//! The analysis engine over real captures, checked against what the lab
//! recorded (truth files) and what the packets themselves say.

mod common;

use std::path::Path;

use common::{Truth, decode_file_with};
use corowire::analysis::{Engine, Snapshot, Thresholds};
use corowire::decode::{DecodeOptions, Outcome};

fn analyze(path: &Path, opts: DecodeOptions, th: Thresholds) -> Snapshot {
    let mut eng = Engine::new(th);
    let mut last = 0;
    decode_file_with(path, opts, |o| match o {
        Outcome::Corosync(p) => {
            last = last.max(p.ts);
            eng.ingest(p);
        }
        Outcome::TooBig { ts, notice } => eng.ingest_too_big(*ts, notice),
        _ => {}
    });
    eng.finish(last);
    eng.snapshot()
}

/// `COROWIRE_DUMP=file.pcap cargo test --test analysis_captures dump -- --ignored --nocapture`
#[test]
#[ignore]
fn dump() {
    let Ok(p) = std::env::var("COROWIRE_DUMP") else {
        return;
    };
    let path = Path::new(&p);
    let truth = path.to_string_lossy().replace(".pcap", ".truth.json");
    let opts = if Path::new(&truth).exists() {
        Truth::load(Path::new(&truth)).options()
    } else {
        DecodeOptions::default()
    };
    let s = analyze(path, opts, Thresholds::default());
    let mut out = Vec::new();
    corowire::report::write_text(&s, &mut out).unwrap();
    println!("{}", String::from_utf8_lossy(&out));
}

/// Truth files: the crate's committed corpus, plus (for development) a
/// directory named by `COROWIRE_CORPUS`.
fn corpus() -> Vec<std::path::PathBuf> {
    let mut v = common::truth_files();
    if let Ok(dir) = std::env::var("COROWIRE_CORPUS") {
        if let Ok(rd) = std::fs::read_dir(dir) {
            let mut extra: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".truth.json"))
                .collect();
            extra.sort();
            v.extend(extra);
        }
    }
    v
}

fn truth_snapshot(t: &Truth) -> Snapshot {
    analyze(&t.pcap(), t.options(), Thresholds::default())
}

fn log_events<'a>(t: &'a Truth, kind: &'a str) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
    t.json["log_events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |e| e["kind"] == kind && e["in_capture"].as_bool().unwrap_or(true))
}

/// `COROWIRE_CORPUS=/work/main/captures cargo test --test analysis_captures compare -- --ignored --nocapture`
#[test]
#[ignore]
fn compare() {
    for tp in corpus() {
        let t = Truth::load(&tp);
        if t.json["capture"]["vantage"].is_string() {
            continue;
        }
        let s = truth_snapshot(&t);
        println!("== {} ({} findings)", t.name(), s.findings.len());
        for (kind, up) in [("link_down", false), ("link_up", true)] {
            for e in log_events(&t, kind) {
                let (n, h, l) = (
                    e["node"].as_u64().unwrap() as u16,
                    e["host"].as_u64().unwrap() as u16,
                    e["link"].as_u64().unwrap() as u8,
                );
                let at = common::ns(e["t"].as_f64().unwrap());
                let best = s.link(n, h, l).and_then(|lv| {
                    lv.transitions
                        .iter()
                        .filter(|tr| tr.up == up)
                        .map(|tr| (tr.ts - at) as f64 / 1e6)
                        .min_by(|a, b| a.abs().total_cmp(&b.abs()))
                });
                println!(
                    "  {kind:9} {n}->{h} link {l} at {:.3}: nearest {:?} ms",
                    e["rel"].as_f64().unwrap_or(0.0),
                    best.map(|b| b.round())
                );
            }
        }
        for e in log_events(&t, "membership") {
            let r = e["ring_id"].as_str().unwrap();
            let m = s.membership.iter().find(|m| m.ring_id == r);
            println!(
                "  membership {r} node {} members {:?}: engine {:?}",
                e["node"],
                e["members"],
                m.map(|m| (&m.members, m.members_inferred))
            );
        }
        for f in &s.findings {
            if f.severity != corowire::analysis::Severity::Info {
                println!(
                    "  finding {:.2} {} {} {:?}->{:?} l{:?}",
                    (f.start as f64 / 1e9) - t.json["clock"]["t0"].as_f64().unwrap(),
                    f.severity,
                    f.kind,
                    f.src_node,
                    f.dst_node,
                    f.link
                );
            }
        }
        for fl in t.faults() {
            println!(
                "  fault {} node {} link {} rel {}..{}",
                fl["kind"], fl["node"], fl["link"], fl["rel_start"], fl["rel_end"]
            );
        }
    }
}
