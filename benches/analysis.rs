//! What the analysis engine costs on top of decoding, over real corosync
//! traffic only (the worst case for the engine: every frame reaches it).
//!
//! The lab capture `captures/healthy-3n-clear.pcap` is read once into
//! memory and replayed 20 times with shifted timestamps, so time keeps
//! moving forward. Both benchmarks check the packet count they processed.
//! A third benchmark feeds pings from 50,000 spoofed addresses: state stays
//! capped (checked) and the overflow is counted.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use corowire::analysis::{Engine, Thresholds};
use corowire::capture::file::FileSource;
use corowire::capture::{PacketSource, RawFrame};
use corowire::decode::{Decoder, Outcome};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

struct Frames {
    frames: Vec<(i64, u32, u32, Vec<u8>)>,
    span: i64,
}

fn load() -> Frames {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-3n-clear.pcap");
    let mut src = FileSource::open(&path).expect("committed capture");
    let mut frames = Vec::new();
    while let Ok(true) = src.advance() {
        let f = src.frame();
        frames.push((f.ts, f.linktype, f.orig_len, f.data.to_vec()));
    }
    let span = frames.last().map_or(0, |l| l.0) - frames.first().map_or(0, |f| f.0) + 1_000_000_000;
    Frames { frames, span }
}

const REPEAT: i64 = 20;

fn run(fr: &Frames, engine: Option<&mut Engine>) -> u64 {
    let mut dec = Decoder::default();
    let mut n = 0;
    let mut engine = engine;
    for r in 0..REPEAT {
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
    }
    n
}

fn bench(c: &mut Criterion) {
    let fr = load();
    let expect = run(&fr, None);
    assert!(expect > 0);
    let mut g = c.benchmark_group("analysis");
    g.throughput(Throughput::Elements(fr.frames.len() as u64 * REPEAT as u64));
    g.sample_size(20);
    g.bench_function("decode_only", |b| {
        b.iter(|| assert_eq!(run(&fr, None), expect))
    });
    g.bench_function("decode_and_engine", |b| {
        b.iter(|| {
            let mut e = Engine::new(Thresholds::default());
            assert_eq!(run(&fr, Some(&mut e)), expect);
            e.snapshot().links.len()
        })
    });
    g.finish();

    // Spoofed flood: knet pings from 50,000 addresses.
    let mut ping = vec![1u8, 0x81, 0, 9, 0, 0, 0];
    ping.extend_from_slice(&[0u8; 16]);
    ping.extend_from_slice(&[0, 5, 1]);
    let mut g = c.benchmark_group("analysis_flood");
    g.throughput(Throughput::Elements(50_000));
    g.sample_size(10);
    g.bench_function("spoofed_pings", |b| {
        b.iter(|| {
            let mut e = Engine::new(Thresholds::default());
            let mut dec = Decoder::default();
            let mut frame = vec![0u8; 14 + 20 + 8];
            frame[12] = 0x08;
            frame[14] = 0x45;
            frame[14 + 9] = 17;
            frame[14 + 16..14 + 20].copy_from_slice(&[10, 0, 0, 1]);
            frame[14 + 20..14 + 22].copy_from_slice(&5405u16.to_be_bytes());
            frame[14 + 22..14 + 24].copy_from_slice(&5405u16.to_be_bytes());
            frame.extend_from_slice(&ping);
            let total = frame.len() as u16;
            frame[14 + 2..14 + 4].copy_from_slice(&(total - 14).to_be_bytes());
            frame[14 + 24..14 + 26].copy_from_slice(&(total - 34).to_be_bytes());
            for i in 0..50_000u32 {
                let a = IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i));
                if let IpAddr::V4(v4) = a {
                    frame[14 + 12..14 + 16].copy_from_slice(&v4.octets());
                }
                frame[14 + 23 + 8..14 + 23 + 12].copy_from_slice(&i.to_le_bytes());
                let f = RawFrame {
                    ts: 1_795_318_789_000_000_000 + i64::from(i) * 10_000,
                    linktype: 1,
                    orig_len: u32::from(total),
                    data: &frame,
                    packet_no: 0,
                    offset: 0,
                    source: 0,
                };
                if let Outcome::Corosync(p) = dec.decode(&f) {
                    e.ingest(&p);
                }
            }
            let s = e.snapshot();
            assert!(s.links.len() <= Thresholds::default().limits.max_paths);
            assert!(s.overflow.paths > 0);
            s.overflow.paths
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
