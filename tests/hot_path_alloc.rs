//! No heap allocation per packet on the hot path, counted with a global
//! allocator wrapper in this test binary.
//!
//! Real captures are read into memory once; a first pass warms the reused
//! buffers (decoder scratch, defragmentation tables, decryption buffers,
//! the engine's per-link state), then further passes over the same frames
//! with timestamps moved forward are counted. Decoding and decryption must
//! not allocate at all. The engine may allocate only when it learns
//! something new (a finding, a ring, a series growing geometrically): over
//! the second half of a real capture, after the first half warmed it up,
//! measured 1 allocation for 4620 packets and no event.

use std::path::Path;
use std::sync::atomic::Ordering;

use corowire::analysis::multi::packet_key_of;
use corowire::analysis::{Engine, Thresholds};
use corowire::batch::{Batch, Item};
use corowire::capture::file::FileSource;
use corowire::capture::{PacketSource, RawFrame};
use corowire::compact::Seen;
use corowire::decode::{DecodeOptions, Decoder, Outcome};
use corowire::predecrypt::{RawBatch, RawItem, Worker};
use corowire::wire::crypto::AuthKey;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Frames {
    frames: Vec<(i64, u32, u32, Vec<u8>)>,
    span: i64,
}

fn load(rel: &str) -> Frames {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut src = FileSource::open(&path).expect("committed capture");
    let mut frames = Vec::new();
    while let Ok(true) = src.advance() {
        let f = src.frame();
        frames.push((f.ts, f.linktype, f.orig_len, f.data.to_vec()));
    }
    let first = frames.first().map_or(0, |f| f.0);
    let last = frames.last().map_or(0, |l| l.0);
    Frames {
        frames,
        span: last - first + 1_000_000_000,
    }
}

/// Runs pass `r` (timestamps moved by `r` spans); returns corosync packets.
fn pass(fr: &Frames, r: i64, dec: &mut Decoder, mut engine: Option<&mut Engine>) -> u64 {
    let mut n = 0;
    for (i, (ts, lt, orig, data)) in fr.frames.iter().enumerate() {
        let frame = RawFrame {
            ts: ts + r * fr.span,
            linktype: *lt,
            orig_len: *orig,
            data,
            packet_no: i as u64 + 1,
            offset: 0,
            source: 0,
        };
        match dec.decode(&frame) {
            Outcome::Corosync(p) => {
                n += 1;
                if let Some(e) = engine.as_deref_mut() {
                    e.ingest(&p);
                }
            }
            Outcome::TooBig { ts, notice } => {
                if let Some(e) = engine.as_deref_mut() {
                    e.ingest_too_big(ts, &notice);
                }
            }
            _ => {}
        }
    }
    n
}

/// The threaded pipeline's per-frame work on one thread, pass `r`: frames
/// copied into raw batches, decrypted ahead by a worker when one is given,
/// decoded into event batches of compact records, and every event taken
/// back out as the analysis thread does. Returns corosync packets.
fn batch_pass(
    fr: &Frames,
    r: i64,
    dec: &mut Decoder,
    worker: Option<&mut Worker>,
    raw: &mut RawBatch,
    batch: &mut Batch,
) -> u64 {
    let mut n = 0;
    let mut worker = worker;
    let drain = |b: &mut Batch, n: &mut u64| {
        for e in b.events() {
            if let Item::Frame(Seen::Packet { rec, .. }) = b.item(e) {
                *n += u64::from(rec.sport > 0);
            }
        }
        b.clear();
    };
    let mut frames = fr.frames.iter().enumerate().peekable();
    while frames.peek().is_some() {
        raw.set_pairs(dec.decryptor());
        while !raw.is_full() {
            let Some((i, (ts, lt, orig, data))) = frames.next() else {
                break;
            };
            raw.push(&RawFrame {
                ts: ts + r * fr.span,
                linktype: *lt,
                orig_len: *orig,
                data,
                packet_no: i as u64 + 1,
                offset: 0,
                source: 0,
            });
        }
        if let Some(w) = worker.as_deref_mut() {
            w.run(raw);
        }
        let mut hint = 0;
        for i in 0..raw.len() {
            if let Some(RawItem::Frame(f, opened)) = raw.item(i, &mut hint) {
                let o = dec.decode_opened(&f, opened);
                // The several-captures key too (computed when a run has
                // several captures).
                batch.push(&f, &o, Some(packet_key_of));
            }
            if batch.is_full() {
                drain(batch, &mut n);
            }
        }
        raw.clear();
    }
    drain(batch, &mut n);
    n
}

fn counted(f: impl FnOnce() -> u64) -> (u64, u64) {
    let before = ALLOCS.load(Ordering::Relaxed);
    let n = f();
    (n, ALLOCS.load(Ordering::Relaxed) - before)
}

// One test function: the counter is global, and tests run in parallel threads.
#[test]
fn hot_paths_do_not_allocate_per_packet() {
    // Cleartext knet with fragments and every totem message type.
    let fr = load("captures/healthy-5n-2l.pcap");
    let mut dec = Decoder::default();
    pass(&fr, 0, &mut dec, None);
    let (n, allocs) = counted(|| pass(&fr, 1, &mut dec, None) + pass(&fr, 2, &mut dec, None));
    assert!(n > 10_000, "{n}");
    assert_eq!(allocs, 0, "decode: {allocs} allocations for {n} packets");

    // Decryption with the key (aes256/sha256, found by trying).
    let enc = load("captures/healthy-3n-aes256-sha256-nss.pcap");
    let key = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-3n-aes256-sha256-nss.authkey"),
    )
    .expect("key");
    let mut dec = Decoder::new(DecodeOptions {
        keys: vec![AuthKey::from_vec(key.clone()).expect("key")],
        ..DecodeOptions::default()
    });
    pass(&enc, 0, &mut dec, None);
    let (n, allocs) = counted(|| pass(&enc, 1, &mut dec, None));
    assert!(n > 5_000, "{n}");
    assert_eq!(allocs, 0, "decrypt: {allocs} allocations for {n} packets");

    // The threaded pipeline: raw batches, a decryption worker ahead of the
    // decoder, event batches and the outcomes taken back out of them reuse
    // their buffers.
    let mut raw = RawBatch::with_capacity();
    let mut batch = Batch::with_capacity();
    let mut dec = Decoder::default();
    batch_pass(&fr, 0, &mut dec, None, &mut raw, &mut batch);
    let (n, allocs) = counted(|| {
        batch_pass(&fr, 1, &mut dec, None, &mut raw, &mut batch)
            + batch_pass(&fr, 2, &mut dec, None, &mut raw, &mut batch)
    });
    assert!(n > 10_000, "{n}");
    assert_eq!(allocs, 0, "batches: {allocs} allocations for {n} packets");
    let mut dec = Decoder::new(DecodeOptions {
        keys: vec![AuthKey::from_vec(key.clone()).expect("key")],
        ..DecodeOptions::default()
    });
    let mut worker = Worker::new(dec.ports().clone(), dec.decryptor().expect("a key").clone());
    batch_pass(&enc, 0, &mut dec, Some(&mut worker), &mut raw, &mut batch);
    let opened_before = dec.decryptor().expect("a key").stats().decrypted;
    let (n, allocs) =
        counted(|| batch_pass(&enc, 1, &mut dec, Some(&mut worker), &mut raw, &mut batch));
    assert!(n > 5_000, "{n}");
    assert_eq!(
        dec.decryptor().expect("a key").stats().decrypted - opened_before,
        n,
        "every packet opened"
    );
    assert_eq!(
        allocs, 0,
        "decrypt workers: {allocs} allocations for {n} packets"
    );
    // The worker opened all but the first raw batch of the first pass
    // (the decoder had not found the suite yet).
    assert!(
        worker.opened + 512 >= 2 * n,
        "{} of {}",
        worker.opened,
        2 * n
    );

    // The engine: allowed to allocate for what is new (a finding, a ring, a
    // series growing geometrically), never per packet. One pass over a real
    // capture: the first half warms the state up, the second half is
    // counted, and its allocations must be accounted for by its events.
    let mut dec = Decoder::default();
    let mut engine = Engine::new(Thresholds::default());
    let half = Frames {
        frames: fr.frames[..fr.frames.len() / 2].to_vec(),
        span: 0,
    };
    let rest = Frames {
        frames: fr.frames[fr.frames.len() / 2..].to_vec(),
        span: 0,
    };
    pass(&half, 0, &mut dec, Some(&mut engine));
    let before = engine.snapshot();
    let (n, allocs) = counted(|| pass(&rest, 0, &mut dec, Some(&mut engine)));
    let after = engine.snapshot();
    let events = (after.findings.len() - before.findings.len())
        + (after.membership.len() - before.membership.len());
    eprintln!("engine: {allocs} allocations for {n} packets and {events} events");
    assert!(n > 4_000, "{n}");
    assert!(
        allocs <= 8 * events as u64 + 4,
        "engine: {allocs} allocations for {n} packets and {events} events"
    );
}
