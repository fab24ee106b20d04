//! `live --metrics-listen` at the edges (no Prometheus needed): the
//! snapshot observer the endpoint uses beside the TUI sees the replay's
//! final snapshot, whose sample and exposition agree with the JSON report;
//! and the command line refuses what cannot work.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use corowire::analysis::timeline::Sample;
use corowire::metrics::http::Published;
use corowire::metrics::{Exposition, SourceCounters};

mod common;

fn capture(name: &str) -> PathBuf {
    common::crate_dir().join("captures").join(name)
}

#[test]
fn the_tui_observer_publishes_the_final_snapshot() {
    let pcap = capture("membership-3n-node3-cut-rejoin.pcap");
    let (_, report) = common::report_json(&[], std::slice::from_ref(&pcap));
    let (p, _) = common::tui_pipeline(std::slice::from_ref(&pcap));
    let published = Arc::new(Published::new(Some("lab".into())));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (pub2, seen2) = (published.clone(), seen.clone());
    let mut p = p.observe(Box::new(move |s, snap| {
        seen2.lock().unwrap().push(snap.finished);
        pub2.publish(Exposition {
            sample: Sample::of(snap),
            source: Some(SourceCounters {
                frames: s.counters().frames,
                kernel: None,
            }),
        });
    }));
    p.run_to_end();
    assert_eq!(seen.lock().unwrap().last(), Some(&true));
    let e = published.latest().expect("published");
    assert_eq!(
        e.sample.packets,
        report["capture"]["packets"].as_u64().unwrap()
    );
    let ring = report["membership"].as_array().unwrap().last().unwrap();
    let seq = u64::from_str_radix(
        ring["ring_id"].as_str().unwrap().split('.').nth(1).unwrap(),
        16,
    )
    .unwrap();
    assert_eq!(e.sample.ring.map(|r| r.seq), Some(seq));
    let (text, ty) = published.render(None).expect("text");
    assert!(ty.starts_with("text/plain; version=0.0.4"));
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("corowire_ring_seq{cluster=\"lab\"} "))
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(value, Some(seq as f64), "{text}");
    let (om, ty) = published
        .render(Some("application/openmetrics-text"))
        .expect("openmetrics");
    assert!(ty.starts_with("application/openmetrics-text"));
    assert!(om.ends_with("# EOF\n"));
}

#[test]
fn the_command_line_refuses_what_cannot_work() {
    // A port already taken is an error before the capture starts.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for (args, says) in [
        (
            vec![
                "live",
                "-r",
                "-",
                "--report-every",
                "1h",
                "--metrics-listen",
                addr.as_str(),
            ],
            "--metrics-listen",
        ),
        (
            vec![
                "live",
                "-r",
                "-",
                "--report-every",
                "1h",
                "--metrics-listen",
                "nowhere",
            ],
            "--metrics-listen nowhere",
        ),
        (
            vec![
                "live",
                "-r",
                "-",
                "--report-every",
                "1h",
                "--format",
                "openmetrics",
            ],
            // The backfill is report's; live's reports are text or JSON.
            "invalid value 'openmetrics'",
        ),
        (
            vec![
                "live",
                "-r",
                "-",
                "--report-every",
                "1h",
                "--metrics-linger",
                "1m",
            ],
            "--metrics-listen",
        ),
    ] {
        // stdin a file: refused before or after reading, never a broken pipe.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_corowire"))
            .args(&args)
            .stdin(std::fs::File::open(capture("healthy-3n-clear.pcap")).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
