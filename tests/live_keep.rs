//! `live` keeps what it read and stops when told, as tcpdump does: `-w FILE`
//! (with `-C`/`-W` rotation), `-c N`, `--duration`; and a capture filter is
//! for interfaces only.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

fn corowire(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(args)
        .output()
        .unwrap()
}

fn capture() -> String {
    common::crate_dir()
        .join("captures/healthy-3n-clear.pcap")
        .display()
        .to_string()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("corowire-keep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn final_report(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

/// Every corosync packet decoded from `files`, without the file index and
/// record number (which differ between one file and its parts).
fn decode_json(files: &[&Path]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["decode", "--json"])
        .args(files)
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            o.remove("file");
            o.remove("n");
            v
        })
        .collect()
}

fn same(a: &[Value], b: &[Value]) {
    assert_eq!(a.len(), b.len());
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("packet {i} differs: {} vs {}", a[i], b[i]);
    }
}

#[test]
fn dash_w_keeps_every_frame() {
    let d = tmp("w");
    let kept = d.join("kept.pcap");
    let out = corowire(&[
        "live",
        "-r",
        &capture(),
        "--report-every",
        "1h",
        "-w",
        kept.to_str().unwrap(),
    ]);
    let r = final_report(&out);
    assert_eq!(r["source"]["frames"], 6863, "every frame of the capture");
    // The kept file decodes packet for packet as the original.
    same(
        &decode_json(&[&kept]),
        &decode_json(&[Path::new(&capture())]),
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn dash_c_and_w_rotate_as_tcpdump() {
    let d = tmp("cw");
    let base = d.join("ring.pcap");
    // 1.35 MB of capture in files of 1 MB, at most 2 of them: ring.pcap0, ring.pcap1.
    let out = corowire(&[
        "live",
        "-r",
        &capture(),
        "--report-every",
        "1h",
        "-w",
        base.to_str().unwrap(),
        "-C",
        "1",
        "-W",
        "2",
    ]);
    final_report(&out);
    let mut names: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ring.pcap0", "ring.pcap1"]);
    let first = std::fs::metadata(d.join("ring.pcap0")).unwrap().len();
    assert!((1_000_000..1_002_000).contains(&first), "{first}");
    // Together they hold the whole capture, in order.
    let parts = decode_json(&[&d.join("ring.pcap0"), &d.join("ring.pcap1")]);
    same(&parts, &decode_json(&[Path::new(&capture())]));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn count_and_duration_end_the_run_with_its_final_report() {
    let r = final_report(&corowire(&[
        "live",
        "-r",
        &capture(),
        "--report-every",
        "1h",
        "-c",
        "100",
    ]));
    assert_eq!(r["source"]["frames"], 100);
    assert_eq!(r["interval"]["final"], true);
    let r = final_report(&corowire(&[
        "live",
        "-r",
        &capture(),
        "--report-every",
        "1h",
        "--duration",
        "10s",
    ]));
    let d = r["capture"]["duration_s"].as_f64().unwrap();
    assert!((9.0..=10.0).contains(&d), "{d}");
}

#[test]
fn a_capture_filter_needs_an_interface() {
    let out = corowire(&["live", "-r", &capture(), "udp", "port", "5405"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--interface"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
