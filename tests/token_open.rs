//! A token loss shows while it is happening (issue 14, item 7): a replay
//! stopped inside the token gap of a real stall (corosync of node 2
//! SIGSTOPped 8 s) has an open token finding for the nodes waiting, dated
//! from their last token and growing, before the token returns.

mod common;

use corowire::analysis::{Engine, FindingKind, Severity, Snapshot, Thresholds};
use corowire::decode::{DecodeOptions, Outcome};
use corowire::feed::Feed;

const NAME: &str = "pause-3n-node2-sigstop8s";

/// The capture fed up to `until` (ns), not finished: as the TUI or `live`
/// sees it at that moment.
fn snapshot_at(until: i64) -> Snapshot {
    let path = common::crate_dir().join(format!("captures/{NAME}.pcap"));
    let mut feed = Feed::new(Engine::new(Thresholds::default()), false, 5405);
    common::decode_file_with(&path, DecodeOptions::default(), |o| {
        if let Outcome::Corosync(p) = o
            && p.ts > until
        {
            return;
        }
        feed.outcome(o);
    });
    feed.engine.snapshot()
}

#[test]
fn a_token_gap_still_open_shows_and_grows() {
    let t = common::Truth::load(&common::crate_dir().join(format!("captures/{NAME}.truth.json")));
    // Corosync of nodes 1 and 3 logged "A processor failed" (token lost).
    let failed = t.log_events("processor_failed");
    assert!(!failed.is_empty());
    let at = common::ns(failed[0]["t"].as_f64().unwrap());
    let stall = common::ns(t.faults()[0]["effective_start"].as_f64().unwrap());

    let open = |s: &Snapshot| {
        s.findings
            .iter()
            .filter(|f| f.end.is_none() && f.kind == FindingKind::TokenLost)
            .map(|f| (f.dst_node, f.start, f.evidence("gap_ms").unwrap()))
            .collect::<Vec<_>>()
    };
    let s1 = snapshot_at(at + 500_000_000);
    assert!(!s1.finished);
    let o1 = open(&s1);
    // The nodes corosync says failed to get the token are waiting for it.
    for e in &failed {
        let node = e["node"].as_u64().unwrap() as u16;
        let (_, start, gap) = o1
            .iter()
            .find(|(n, _, _)| *n == Some(node))
            .unwrap_or_else(|| panic!("node {node}: no open token finding in {o1:?}"));
        // Its last token came shortly before the stall, the gap is past
        // the token timeout already.
        assert!(
            *start <= stall && stall - start < 1_000_000_000,
            "{start} vs {stall}"
        );
        assert!(*gap > f64::from(s1.thresholds.token_ms), "{gap}");
    }
    assert!(s1.worst() == Some(Severity::Critical));
    // Two seconds later the same gaps are longer.
    let s2 = snapshot_at(at + 2_500_000_000);
    let o2 = open(&s2);
    for (n, start, gap) in &o1 {
        let (_, start2, gap2) = o2.iter().find(|(m, _, _)| m == n).expect("still open");
        assert_eq!(start, start2);
        assert!((gap2 - gap - 2000.0).abs() < 50.0, "{gap} -> {gap2}");
    }
}
