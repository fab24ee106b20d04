//! The report writers over engine snapshots of constructed packets (see
//! `analysis::testkit`): every snapshot renders as text and JSON. Tests of
//! one engine concern live beside its code.

use crate::analysis::testkit::*;
use crate::analysis::*;

#[test]
fn garbage_order_and_empty_do_not_panic() {
    let mut e = Engine::new(two_nodes());
    let s = e.snapshot();
    assert_eq!(s.packets, 0);
    // timestamps going backwards, pongs without pings, huge gaps
    feed(
        &mut e,
        T0 + 100 * S,
        ip(2),
        ip(1),
        0,
        &ping_bytes(true, 2, 0, 1, 5),
    );
    ping_pair(&mut e, T0, 1, 2, 0, Some(300), 5);
    ping_pair(&mut e, T0 + 100_000 * S, 1, 2, 0, Some(300), 5);
    ping_pair(&mut e, i64::MIN / 4, 1, 2, 0, Some(300), 5);
    e.finish(0);
    let s = e.snapshot();
    let mut out = Vec::new();
    crate::report::write_text(&s, &mut out).expect("text");
    crate::report::write_json(&s, &mut out).expect("json");
}

#[test]
fn reports_fit_100_columns_and_json_has_the_schema() {
    let mut e = Engine::new(two_nodes());
    for i in 0..5 {
        ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(500), 5);
    }
    for i in 5..9 {
        ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, None, 5);
    }
    feed(&mut e, T0, ip(1), ip(2), 0, &commit_bytes(1, 2, 8, &[1, 2]));
    feed(
        &mut e,
        T0 + MS,
        ip(1),
        ip(2),
        0,
        &token_bytes(1, 2, 1, 8, 0),
    );
    e.finish(T0 + 9 * 800 * MS);
    let s = e.snapshot();
    let mut text = Vec::new();
    crate::report::write_text(&s, &mut text).expect("text");
    let text = String::from_utf8(text).expect("utf-8");
    assert!(text.starts_with("VERDICT: CRITICAL"), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= 100, "too wide: {l}");
    }
    let mut js = Vec::new();
    crate::report::write_json(&s, &mut js).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&js).expect("valid JSON");
    assert_eq!(v["format"], "corowire-report/1");
    let l = &v["links"][0];
    for k in [
        "src_node",
        "dst_node",
        "link",
        "rtt_us",
        "loss_pct",
        "pings_sent",
        "pongs_received",
        "max_silence_ms",
        "pmtu",
    ] {
        assert!(l.get(k).is_some(), "links[].{k}");
    }
    for k in ["p50", "p90", "p99", "max"] {
        assert!(l["rtt_us"][k].is_u64(), "rtt_us.{k}");
    }
    assert_eq!(l["pings_sent"], 9);
    assert_eq!(l["pongs_received"], 5);
    let fs = v["findings"].as_array().expect("findings");
    let f = fs
        .iter()
        .find(|f| f["kind"] == "link_down")
        .expect("a link_down finding");
    for k in [
        "kind", "severity", "start", "end", "src_node", "dst_node", "link", "evidence",
    ] {
        assert!(f.get(k).is_some(), "findings[].{k}");
    }
    assert_eq!(
        (&f["severity"], &f["src_node"], &f["dst_node"]),
        (
            &serde_json::json!("critical"),
            &serde_json::json!(1),
            &serde_json::json!(2)
        )
    );
    // 1.4 shows only as the ring both came from (1.8's commit token).
    assert_eq!(v["membership"][0]["ring_id"], "1.4");
    assert_eq!(v["membership"][0]["named_by"], "1.8");
    assert_eq!(v["membership"][1]["ring_id"], "1.8");
    assert_eq!(v["membership"][1]["members"], serde_json::json!([1, 2]));
    for k in ["token_rotation_ms", "token_retransmits", "rtr_max"] {
        assert!(v["totem"].get(k).is_some(), "totem.{k}");
    }
    assert_eq!(v["budgets"]["ping_timeout_ms"], 1500);
    assert_eq!(v["verdict"]["exit_code"], 4);
}

#[test]
fn node_names_replace_ids_in_reports() {
    let mut e = Engine::new(two_nodes());
    e.set_node_names(vec![(1, "alpha".into()), (2, "bravo".into())]);
    for i in 0..3 {
        ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(500), 5);
    }
    e.finish(T0 + 3 * 800 * MS);
    let s = e.snapshot();
    assert_eq!(s.node_name(2), Some("bravo"));
    let mut text = Vec::new();
    crate::report::write_text(&s, &mut text).expect("text");
    let text = String::from_utf8(text).expect("utf-8");
    // Names in the NODES legend and in findings; ids in the tables.
    assert!(text.contains("      1  alpha "), "{text}");
    assert!(text.contains("      2  bravo "), "{text}");
    assert!(text.contains("\n  1->2 "), "{text}");
    let mut js = Vec::new();
    crate::report::write_json(&s, &mut js).expect("json");
    let v: serde_json::Value = serde_json::from_slice(&js).expect("json");
    assert_eq!(v["nodes"][0]["name"], "alpha");
}
