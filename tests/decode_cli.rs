//! The `corowire decode` command as a user runs it: real captures, JSON
//! Lines keys, stdin, exit statuses.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

fn corowire() -> Command {
    Command::new(env!("CARGO_BIN_EXE_corowire"))
}

#[test]
fn summary_of_the_spec_cleartext_capture() {
    let out = corowire()
        .args(["decode", "--summary-only", "--json"])
        .arg(common::spec_capture("lab-c3.1.7-knet1.25-cleartext.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    // 956 frames, all knet (docs/wire-format.md §8), none malformed.
    assert_eq!(s["input"]["frames"], 956);
    assert_eq!(s["classes"]["knet"], 956);
    assert_eq!(s["classes"]["malformed"], 0);
    let k = &s["knet"];
    let total: u64 = ["data", "ping", "pong", "pmtud", "pmtud_reply"]
        .iter()
        .map(|t| k[*t].as_u64().unwrap())
        .sum();
    assert_eq!(total, 956);
    // PMTUD ran on both links in both directions: every probe was answered.
    assert_eq!(k["pmtud"], k["pmtud_reply"]);
}

#[test]
fn json_lines_carry_the_documented_keys() {
    let out = corowire()
        .args(["decode", "--json"])
        .arg(common::spec_capture("lab-c3.1.7-knet1.25-cleartext.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 956);
    for l in &lines {
        for key in ["ts", "src", "dst", "sport", "dport", "class"] {
            assert!(!l[key].is_null(), "{key} missing in {l}");
        }
    }
    // The PING of docs/wire-format.md §4.6 is the first packet.
    let first = &lines[0];
    assert_eq!(first["src"], "10.99.0.1");
    assert_eq!(first["knet"]["type"], "ping");
    assert_eq!(first["knet"]["node"], 1);
    assert_eq!(first["knet"]["link"], 0);
    assert_eq!(first["knet"]["timed"], true);
    // The first orf token of the new ring 1.9 (docs/wire-format.md §6.13): seq 0,
    // aru ffffffff.
    let tok = lines
        .iter()
        .find(|l| l["totem"]["type"] == "orf_token")
        .unwrap();
    assert_eq!(tok["totem"]["ring_id"], "1.9");
    assert_eq!(tok["totem"]["aru"], 0xffff_ffffu32);
    assert_eq!(tok["totem"]["target_nodeid"], 2);
    let commit = lines
        .iter()
        .find(|l| l["totem"]["type"] == "memb_commit_token")
        .unwrap();
    assert_eq!(commit["totem"]["members"], serde_json::json!([1, 2]));
    // Fragments: every reassembled message is an mcast with its length.
    let reassembled: Vec<_> = lines
        .iter()
        .filter(|l| l["knet"]["reassembled"] == true)
        .collect();
    assert!(!reassembled.is_empty());
    assert!(reassembled.iter().all(|l| l["totem"]["type"] == "mcast"));
}

#[test]
fn stdin_stream_gives_the_same_count() {
    let bytes = std::fs::read(common::spec_capture("lab-c3.1.7-knet1.25-cleartext.pcap")).unwrap();
    let mut child = corowire()
        .args(["decode", "-s", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written in small pieces, as a pipe from tcpdump -U delivers it.
    let writer = std::thread::spawn(move || {
        for chunk in bytes.chunks(777) {
            stdin.write_all(chunk).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["classes"]["knet"], 956);
}

#[test]
fn two_files_are_merged_on_time() {
    let a = common::spec_capture("synthetic-knet-types.pcap");
    let b = common::spec_capture("synthetic-totem-variants.pcap");
    let out = corowire()
        .args(["decode", "--json"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert!(out.status.success());
    let ts: Vec<f64> = out
        .stdout
        .split(|c| *c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l).unwrap()["ts"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(ts.len(), 10);
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "not in time order: {ts:?}"
    );
}

#[test]
fn exit_statuses() {
    let missing = corowire()
        .args(["decode", "/nonexistent.pcap"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.pcap"));
    let not_pcap = corowire().args(["decode", "Cargo.toml"]).output().unwrap();
    assert_eq!(not_pcap.status.code(), Some(1));
    let bad_flag = corowire()
        .args(["decode", "--no-such-flag", "x"])
        .output()
        .unwrap();
    assert_eq!(bad_flag.status.code(), Some(1));
    let bad_ports = corowire()
        .args(["decode", "--ports", "9-1", "x"])
        .output()
        .unwrap();
    assert_eq!(bad_ports.status.code(), Some(1));
    // A reader that goes away early is not an error.
    let mut child = corowire()
        .args(["decode"])
        .arg(common::spec_capture("lab-c3.1.7-knet1.25-cleartext.pcap"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn authkey_and_config_decrypt_a_lab_capture() {
    let dir = common::crate_dir().join("captures");
    let out = corowire()
        .args(["decode", "-s", "--json", "--corosync-conf"])
        .arg(dir.join("logs/healthy-3n-aes256-sha256-nss/node1.corosync.conf"))
        .arg("--authkey")
        .arg(dir.join("healthy-3n-aes256-sha256-nss.authkey"))
        .arg(dir.join("healthy-3n-aes256-sha256-nss.pcap"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    assert_eq!(s["classes"]["encrypted"], 0);
    assert_eq!(s["decrypted"], s["corosync_packets"]);
    assert!(s["knet"]["ping"].as_u64().unwrap() > 100);
    // The suite came from the config: no "found by trying" message.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("by trying"));
}

#[test]
fn a_wrong_key_gets_one_clear_message() {
    let dir = common::crate_dir().join("captures");
    let out = corowire()
        .args(["decode", "-s", "--authkey"])
        .arg(dir.join("crypto-3n-aes128-sha1-openssl.authkey"))
        .arg(dir.join("healthy-3n-aes256-sha256-nss.pcap"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("authenticates 0 of").count(), 1, "{err}");
    assert!(err.contains("wrong key or crypto_hash?"));
    // The key's bytes are never echoed.
    let key = std::fs::read(dir.join("crypto-3n-aes128-sha1-openssl.authkey")).unwrap();
    let hex: String = key[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!err.contains(&hex) && !String::from_utf8_lossy(&out.stdout).contains(&hex));
}
