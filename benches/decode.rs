//! Decode throughput over a large mixed capture: real corosync frames among
//! bulk non-corosync traffic, as from a SPAN port.
//!
//! The capture comes from `benches/gen-mixed.py` (not committed):
//!   python3 benches/gen-mixed.py bench-data/mixed-1g.pcap 1024
//! and is found through `COROWIRE_BENCH_PCAP` or at `bench-data/mixed-1g.pcap`.
//! Without it the bench runs over the committed corpus, repeated in memory.
//! Each benchmark checks the number of corosync packets it decoded, so a
//! broken decoder cannot look fast.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::Arc;

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::decode::{Decoder, Outcome};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_file() -> Option<PathBuf> {
    let p = std::env::var_os("COROWIRE_BENCH_PCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench-data/mixed-1g.pcap")
        });
    p.exists().then_some(p)
}

/// Frames and corosync packets in a source, decoded through the whole pipeline.
fn run(mut src: impl PacketSource) -> (u64, u64) {
    let mut dec = Decoder::default();
    let (mut frames, mut corosync) = (0u64, 0u64);
    while let Ok(true) = src.advance_past_errors() {
        frames += 1;
        if let Outcome::Corosync(_) = dec.decode(&src.frame()) {
            corosync += 1;
        }
    }
    (frames, corosync)
}

/// A pcap image in memory: the committed Ethernet captures' records repeated.
fn in_memory_mixed(target: usize) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut records = Vec::new();
    let mut header = None;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let b = std::fs::read(e.path()).unwrap_or_default();
        // Little-endian microsecond pcap of Ethernet frames only.
        if b.len() > 24 && b[0..4] == [0xd4, 0xc3, 0xb2, 0xa1] && b[20..24] == [1, 0, 0, 0] {
            header.get_or_insert_with(|| b[..24].to_vec());
            records.extend_from_slice(&b[24..]);
        }
    }
    let mut out = header.unwrap_or_default();
    while !records.is_empty() && out.len() < target {
        out.extend_from_slice(&records);
    }
    out
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10);
    if let Some(path) = bench_file() {
        let (frames, corosync) = run(FileSource::open(&path).expect("bench capture"));
        eprintln!(
            "{}: {frames} frames, {corosync} corosync packets",
            path.display()
        );
        g.throughput(Throughput::Elements(frames));
        g.bench_function("mixed_file_summary", |b| {
            b.iter(|| assert_eq!(run(FileSource::open(&path).unwrap()), (frames, corosync)))
        });
    } else {
        eprintln!("no bench capture (see benches/decode.rs); using the committed corpus in memory");
    }
    let image: Arc<[u8]> = in_memory_mixed(256 << 20).into();
    let open = || {
        FileSource::from_reader("mem".into(), Box::new(Cursor::new(Arc::clone(&image)))).unwrap()
    };
    let (frames, corosync) = run(open());
    if frames > 0 {
        g.throughput(Throughput::Elements(frames));
        g.bench_function("corosync_corpus_in_memory", |b| {
            b.iter(|| assert_eq!(run(open()), (frames, corosync)))
        });
    }
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
