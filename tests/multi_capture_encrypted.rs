//! Several captures of an encrypted two-node cluster, one inside each node
//! (`tcpdump -i any`, SLL2), judged against the truth of
//! `pernode-2n-aes256-node2-oneway-delay`: knet aes256/sha256, node 2's
//! packets held 20 ms in the hub for 20 s (after node 2's capture point,
//! before node 1's). The lab's namespaces share one clock: every true
//! offset is 0.
//!
//! With the key, pings and pongs give the offset (as in `multi_capture`),
//! and each capture knows its node from the link layer although the
//! topology of two nodes cannot tell. Without the key nothing inside the
//! packets can be read, and the same encrypted packets seen in both
//! captures, both ways, give the offset instead.

mod common;

use std::path::PathBuf;

use common::{Truth, link};
use serde_json::Value;

const SCENARIO: &str = "pernode-2n-aes256-node2-oneway-delay";

fn truth() -> Option<Truth> {
    let p = common::crate_dir()
        .join("captures")
        .join(format!("{SCENARIO}.truth.json"));
    p.exists().then(|| Truth::load(&p))
}

fn report_json(args: &[String], files: &[PathBuf]) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    common::report_json(&args, files).1
}

/// `--FLAG=PATH` for a file the truth lists under `files` (`keys` into it).
fn file_arg(t: &Truth, flag: &str, keys: &[&str]) -> String {
    let rel = keys
        .iter()
        .fold(&t.json["files"], |v, k| &v[*k])
        .as_str()
        .unwrap_or_else(|| panic!("files.{} in the truth", keys.join(".")));
    format!("--{flag}={}", t.dir().join(rel).display())
}

/// (offset µs, bound µs, exchanges kind) of capture 2 against capture 1.
fn offset(v: &Value) -> (f64, f64, String) {
    let c = &v["captures"][1];
    let p = &v["clock_pairs"][0];
    (
        c["offset_us"].as_f64().expect("an offset"),
        c["uncertainty_us"].as_f64().unwrap(),
        p["exchanges"].as_str().unwrap().to_string(),
    )
}

#[test]
fn with_the_key_two_node_captures_know_their_node_and_the_delay_is_one_way() {
    let Some(t) = truth() else { return };
    let files = t.vantage_pcaps(2);
    let key = file_arg(&t, "authkey", &["authkey"]);
    let v = report_json(&[key], &files);
    assert_eq!(v["captures"][0]["vantage_node"], 1);
    assert_eq!(v["captures"][1]["vantage_node"], 2);
    let (off, bound, how) = offset(&v);
    assert_eq!(how, "ping_pong");
    assert!(off.abs() <= bound && bound < 100.0, "{off} ± {bound} µs");
    // The hub held node 2's packets for 20 s of the 46: more than 1 % of
    // them took 20 ms on the way to node 1, none the other way.
    let one_way = |a: u64, b: u64| {
        link(&v, a, b)["one_way"]["delay_us"]["p99"]
            .as_u64()
            .unwrap()
    };
    let (to1, to2) = (one_way(2, 1), one_way(1, 2));
    assert!((19_000..23_000).contains(&to1), "2->1 p99 {to1} µs");
    assert!(to2 < 1_000, "1->2 p99 {to2} µs");
}

#[test]
fn without_the_key_the_same_packets_give_the_offset() {
    let Some(t) = truth() else { return };
    let files = t.vantage_pcaps(2);
    let v = report_json(&[], &files);
    let (off, bound, how) = offset(&v);
    assert_eq!(how, "same_packets");
    assert!(off.abs() <= bound && bound < 100.0, "{off} ± {bound} µs");
    assert!(v["captures"][1]["samples"].as_u64().unwrap() >= 500);
    // A known shift of node 2's clock is recovered within the bound.
    let shift = format!("--time-shift={}=-1.234567", files[1].display());
    let v = report_json(&[shift], &files);
    let (off, bound, _) = offset(&v);
    assert!(
        (off + 1_234_567.0).abs() <= bound,
        "{off} ± {bound} µs, want -1234567"
    );
    // With and without the key the offsets agree within both bounds.
    let key = file_arg(&t, "authkey", &["authkey"]);
    let (keyed, keyed_bound, _) = offset(&report_json(&[key], &files));
    let (keyless, keyless_bound, _) = offset(&report_json(&[], &files));
    assert!(
        (keyed - keyless).abs() <= keyed_bound + keyless_bound,
        "keyed {keyed} ± {keyed_bound}, keyless {keyless} ± {keyless_bound}"
    );
}

/// Each capture alone, without the key: the one delay is one `latency`
/// episode as long as the delay, and nothing else is judged. When the
/// delay ended, the keyless pairing used to swap crossing-looking pings
/// and pongs, which left a spurious `asymmetry` warning and a second
/// latency episode after the delay.
#[test]
fn without_the_key_each_capture_sees_one_delay_episode_and_no_asymmetry() {
    let Some(t) = truth() else { return };
    let delay = t
        .faults()
        .into_iter()
        .find(|f| f["kind"] == "delay")
        .expect("a delay");
    let length = delay["rel_end"].as_f64().unwrap() - delay["rel_start"].as_f64().unwrap();
    let mut files = t.vantage_pcaps(2);
    files.push(t.pcap());
    for f in files {
        let (_, v) = common::report_json(&[], std::slice::from_ref(&f));
        let findings: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["kind"] != "membership_change")
            .collect();
        assert_eq!(findings.len(), 1, "{}: {findings:#?}", f.display());
        let x = findings[0];
        assert_eq!(x["kind"], "latency", "{}", f.display());
        let secs = x["end"].as_f64().unwrap() - x["start"].as_f64().unwrap();
        assert!(
            (secs - length).abs() <= 2.0,
            "{}: episode {secs} s, delay {length} s",
            f.display()
        );
    }
}

/// Without the key but with corosync.conf, each capture's vantage comes
/// from the link layer's marks and the nodelist's addresses, and the
/// one-way delays are those measured with the key.
#[test]
fn without_the_key_the_config_names_the_vantages_and_the_delay_is_one_way() {
    let Some(t) = truth() else { return };
    let files = t.vantage_pcaps(2);
    let conf = file_arg(&t, "corosync-conf", &["corosync_conf", "1"]);
    let v = report_json(&[conf], &files);
    assert_eq!(v["captures"][0]["vantage_node"], 1);
    assert_eq!(v["captures"][1]["vantage_node"], 2);
    let one_way = |a: u64, b: u64| {
        let w = &link(&v, a, b)["one_way"];
        (
            w["delay_us"]["p99"].as_u64().unwrap(),
            w["loss_pct"].as_f64().unwrap(),
        )
    };
    let ((to1, loss1), (to2, loss2)) = (one_way(2, 1), one_way(1, 2));
    assert!((19_000..23_000).contains(&to1), "2->1 p99 {to1} µs");
    assert!(to2 < 1_000, "1->2 p99 {to2} µs");
    // Nothing was dropped between the nodes.
    assert_eq!((loss1, loss2), (0.0, 0.0));
}
