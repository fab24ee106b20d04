//! A display filter evaluated on every packet allocates nothing (counted
//! with a global allocator wrapper in this test binary, as
//! tests/hot_path_alloc.rs does for decoding, which it proves allocation-free
//! on its own): parsing builds the tree and its sets once; evaluation
//! reads the decoded fields in place, lists (commit token members,
//! retransmit lists) through their lazy views. Only the evaluations are
//! counted.

use std::path::Path;
use std::sync::atomic::Ordering;

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::decode::{Decoder, Outcome};
use corowire::filter::Filter;
use corowire::infer::{Inference, Kind, Record};
use corowire::wire::classify::Class;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Decodes a capture and evaluates every filter on every corosync packet
/// (an encrypted one as inferred), counting the allocations made during
/// the evaluations only. Returns (evaluations, matches, allocations).
fn evaluate(rel: &str, filters: &[Filter]) -> (u64, u64, u64) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut src = FileSource::open(&path).expect("committed capture");
    let mut dec = Decoder::default();
    let guess = Inference {
        kind: Kind::Ping,
        confidence: 0.9,
        partner: None,
        delay_ns: None,
    };
    let (mut n, mut hits, mut allocs) = (0, 0, 0);
    while let Ok(true) = src.advance() {
        let Outcome::Corosync(p) = dec.decode(&src.frame()) else {
            continue;
        };
        let record = Record::of(&p);
        let before = ALLOCS.load(Ordering::Relaxed);
        for f in filters {
            n += 1;
            hits += u64::from(if p.class == Class::Encrypted {
                f.matches_inferred(&record, &guess)
            } else {
                f.matches(&p)
            });
        }
        allocs += ALLOCS.load(Ordering::Relaxed) - before;
    }
    (n, hits, allocs)
}

// One test function: the counter is global, and tests run in parallel threads.
#[test]
fn filters_do_not_allocate_per_packet() {
    let filters: Vec<Filter> = [
        "knet.type == ping && knet.node == 3",
        "totem.type in {orf_token mcast memb_commit_token} || !(knet.type == data)",
        "ring == \"1.d\" && totem.seq > 10 && totem.members == 3",
        "ip.addr == 10.77.0.0/24 && udp.dstport in {5405 5406..5410}",
        "link == 1 && knet.seq >= 5 || totem.rtr == 7 || totem.failed != 2",
        "encrypted || decrypted || class == malformed || error || inferred",
        "knet.reassembled && knet.bcast && totem.len > 100 && node == 2",
        "ts >= 1795318679.5 && inferred.type == ping && n > 10",
    ]
    .iter()
    .map(|e| Filter::parse(e).unwrap())
    .collect();

    for (file, min) in [
        // Cleartext knet with fragments and every totem message type.
        ("captures/healthy-5n-2l.pcap", 50_000),
        // Encrypted, no key: evaluated as inferred.
        ("captures/healthy-3n-aes256-sha256-nss.pcap", 30_000),
    ] {
        let (n, hits, allocs) = evaluate(file, &filters);
        assert!(n > min, "{file}: {n}");
        assert!(hits > 0 && hits < n, "{file}: {hits} of {n}");
        assert_eq!(
            allocs, 0,
            "{file}: {allocs} allocations for {n} evaluations"
        );
    }
}
