//! The snapshot's per-link RTT histogram and per-rotation token series,
//! over real captures.

mod common;

use std::path::{Path, PathBuf};

use common::decode_file_with;
use corowire::analysis::{Engine, RTT_BUCKETS_US, Snapshot, TOKEN_ROTATIONS_KEPT, Thresholds};
use corowire::decode::{DecodeOptions, Outcome};

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn analyze(name: &str) -> Snapshot {
    let mut eng = Engine::new(Thresholds::default());
    let mut last = 0;
    decode_file_with(&capture(name), DecodeOptions::default(), |o| {
        if let Outcome::Corosync(p) = o {
            last = last.max(p.ts);
            eng.ingest(p);
        }
    });
    eng.finish(last);
    eng.snapshot()
}

#[test]
fn the_rtt_histogram_counts_every_sample_once() {
    let s = analyze("membership-3n-node3-cut-rejoin.pcap");
    assert!(!s.links.is_empty());
    for l in &s.links {
        let total: u64 = l.rtt_hist.iter().sum();
        assert_eq!(total, l.rtt_us.map_or(0, |q| q.count), "{:?}", l.rtt_hist);
        if let Some(q) = l.rtt_us {
            // The largest sample lies in the last non-empty bucket.
            let last = l.rtt_hist.iter().rposition(|&c| c > 0).expect("a sample");
            let upper = RTT_BUCKETS_US.get(last).copied().unwrap_or(u64::MAX);
            let lower = last.checked_sub(1).map_or(0, |i| RTT_BUCKETS_US[i]);
            assert!(q.max <= upper && q.max * 101 / 100 >= lower, "{q:?} {last}");
        }
    }
}

#[test]
fn a_delayed_node_shows_in_the_slow_buckets() {
    // Everything node 2 sends is delayed 40 ms (± 5) from 10 s to 50 s: the
    // pongs it returns for ~40 of the 69 pings of node 1 and node 3 land
    // above 20 ms; every other direction stays below.
    let s = analyze("delay-3n-node2-40ms-jitter5.pcap");
    let slow = |h: &[u64]| -> u64 {
        RTT_BUCKETS_US
            .iter()
            .zip(h)
            .filter(|(u, _)| **u > 20_000)
            .map(|(_, c)| *c)
            .sum::<u64>()
            + h.last().copied().unwrap_or(0)
    };
    let mut towards_2 = 0;
    for l in &s.links {
        if l.rtt_us.is_none() {
            continue;
        }
        if l.dst_node == Some(2) {
            let n = slow(&l.rtt_hist);
            assert!((35..=45).contains(&n), "{n}: {:?}", l.rtt_hist);
            towards_2 += 1;
        } else {
            assert_eq!(slow(&l.rtt_hist), 0, "{:?}", l.rtt_hist);
        }
    }
    assert_eq!(towards_2, 2);
}

#[test]
fn token_rotations_are_a_bounded_series_at_one_node() {
    for name in [
        "healthy-3n-clear.pcap",
        "membership-3n-node3-cut-rejoin.pcap",
    ] {
        let s = analyze(name);
        let r = &s.totem.rotations;
        let q = s.totem.token_rotation_us.expect("rotations measured");
        assert!(!r.is_empty() && r.len() <= TOKEN_ROTATIONS_KEPT, "{name}");
        assert!(
            r.windows(2).all(|w| w[0].ts <= w[1].ts),
            "{name}: time order"
        );
        for x in r {
            assert!(
                x.ms >= 0.0 && x.ms * 1000.0 <= q.max as f64 * 1.01 + 1.0,
                "{x:?}"
            );
        }
        // Within the histogram's range: the series is the same measurement.
        let n = r.len() as u64;
        assert!(n <= q.count, "{name}: {n} > {}", q.count);
    }
    // The healthy capture has more rotations than are kept.
    let s = analyze("healthy-3n-clear.pcap");
    assert_eq!(s.totem.rotations.len(), TOKEN_ROTATIONS_KEPT);
    let node = s.totem.rotations[0].node;
    assert!(s.totem.rotations.iter().all(|r| r.node == node));
}
