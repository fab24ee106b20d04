//! "Could not see" is its own result: `VERDICT: INCONCLUSIVE`, exit 2,
//! with the reason, when corowire could not judge all of the input; a
//! critical finding still wins, and says what was not read.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

mod common;

fn report(args: &[&str], file: &PathBuf) -> (Option<i32>, Value, String) {
    let json = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .args(["report", "--format", "json"])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let text = Command::new(env!("CARGO_BIN_EXE_corowire"))
        .arg("report")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), text.status.code());
    (
        json.status.code(),
        serde_json::from_slice(&json.stdout).unwrap(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
    )
}

fn capture(name: &str) -> PathBuf {
    common::crate_dir().join("captures").join(name)
}

/// A copy of a capture whose record `n` (0-based) claims 0xFFFFFFFF bytes.
fn corrupt_record(name: &str, n: usize) -> PathBuf {
    let mut b = std::fs::read(capture(name)).unwrap();
    let mut at = 24;
    for _ in 0..n {
        at += 16 + u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
    }
    b[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let p = std::env::temp_dir().join(format!("corowire-inc-{}-{n}-{name}", std::process::id()));
    std::fs::write(&p, b).unwrap();
    p
}

fn records(name: &str) -> usize {
    let b = std::fs::read(capture(name)).unwrap();
    let (mut at, mut n) = (24, 0);
    while at + 16 <= b.len() {
        at += 16 + u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        n += 1;
    }
    n
}

#[test]
fn wrong_ports_are_inconclusive_and_name_the_busy_port() {
    let (code, v, text) = report(&["--ports", "6000"], &capture("healthy-3n-clear.pcap"));
    assert_eq!(code, Some(2));
    assert_eq!(v["verdict"]["severity"], "inconclusive");
    assert!(
        text.starts_with("VERDICT: INCONCLUSIVE: no corosync packets on UDP ports 6000"),
        "{text}"
    );
    // Every knet packet of the capture went to 5405.
    assert!(
        v["verdict"]["not_seen"][0]
            .as_str()
            .unwrap()
            .contains("5405 (6840)"),
        "{v}"
    );
}

#[test]
fn a_corrupt_record_is_not_ok() {
    let p = corrupt_record("healthy-3n-clear.pcap", 2);
    let (code, v, _) = report(&[], &p);
    std::fs::remove_file(&p).unwrap();
    assert_eq!(code, Some(2), "{}", v["verdict"]);
    let why = v["verdict"]["not_seen"].to_string();
    assert!(
        why.contains("could not be read") && why.contains("packet 3"),
        "{why}"
    );
}

#[test]
fn a_capture_cut_by_its_snaplen_is_inconclusive() {
    let p = common::crate_dir().join("tests/data/cleartext-20-snap60.pcap");
    let (code, v, _) = report(&[], &p);
    assert_eq!(code, Some(2));
    assert!(
        v["verdict"]["summary"]
            .as_str()
            .unwrap()
            .contains("snaplen"),
        "{v}"
    );
}

#[test]
fn a_critical_finding_still_wins_and_says_what_was_not_read() {
    // The cut node's ring change is in the first half; the damage near the end.
    let name = "membership-3n-node3-cut-rejoin.pcap";
    let p = corrupt_record(name, records(name) * 9 / 10);
    let (code, v, _) = report(&[], &p);
    std::fs::remove_file(&p).unwrap();
    assert_eq!(code, Some(4), "{}", v["verdict"]);
    assert_eq!(v["verdict"]["severity"], "critical");
    assert!(
        v["verdict"]["not_seen"]
            .to_string()
            .contains("could not be read"),
        "{}",
        v["verdict"]
    );
}

#[test]
fn encrypted_without_the_key_says_what_it_cannot_judge() {
    let (code, v, text) = report(&[], &capture("healthy-3n-aes256-sha256-nss.pcap"));
    assert_eq!(code, Some(0), "keyless inference judges links and tokens");
    let spots = v["verdict"]["blind_spots"].to_string();
    assert!(spots.contains("need --authkey"), "{spots}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("not judged: "),
        "{text}"
    );
}

#[test]
fn a_whole_capture_is_conclusive() {
    let (code, v, _) = report(&[], &capture("healthy-3n-clear.pcap"));
    assert_eq!(code, Some(0));
    assert_eq!(v["verdict"]["severity"], "ok");
    assert_eq!(v["verdict"]["not_seen"], serde_json::json!([]));
}
