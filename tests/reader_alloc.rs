//! The capture reader allocates nothing per frame: pcap records and pcapng
//! blocks are parsed (by pcap-parser) in place in the reader's one reused
//! buffer. The buffer itself grows a few times at the start of a file
//! (64 KiB doubling to 1 MiB); nothing else may be counted.
//!
//! pcapng Enhanced Packet Blocks that carry options (flags, comments) are
//! the exception, measured here so it stays known: pcap-parser 0.17 parses
//! an EPB's options into a `Vec` (nom's `many0`, which reserves room up
//! front), one allocation per such block. Capture tools (tcpdump, dumpcap
//! on Linux) write EPBs without options.

use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::Ordering;

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Reads every frame; returns (frames, allocations while reading).
fn read_all(name: &str, bytes: Vec<u8>) -> (u64, u64) {
    let mut src = FileSource::from_reader(name.into(), Box::new(Cursor::new(bytes))).expect("open");
    let before = ALLOCS.load(Ordering::Relaxed);
    let mut n = 0u64;
    let mut sum = 0u64;
    while let Ok(true) = src.advance() {
        let f = src.frame();
        sum = sum.wrapping_add(f.data.len() as u64 + f.ts as u64);
        n += 1;
    }
    assert!(sum > 0);
    (n, ALLOCS.load(Ordering::Relaxed) - before)
}

/// The frames of a little-endian µs pcap: (ts_sec, ts_usec, orig_len, data).
fn pcap_frames(pcap: &[u8]) -> Vec<(u32, u32, u32, Vec<u8>)> {
    let u32_at = |p: usize| u32::from_le_bytes(pcap[p..p + 4].try_into().expect("4 bytes"));
    let mut out = Vec::new();
    let mut p = 24;
    while p + 16 <= pcap.len() {
        let cap = u32_at(p + 8) as usize;
        out.push((
            u32_at(p),
            u32_at(p + 4),
            u32_at(p + 12),
            pcap[p + 16..p + 16 + cap].to_vec(),
        ));
        p += 16 + cap;
    }
    out
}

/// The same frames as a pcapng (one interface, µs); each EPB carries an
/// epb_flags option when `with_options`.
fn to_pcapng(frames: &[(u32, u32, u32, Vec<u8>)], linktype: u16, with_options: bool) -> Vec<u8> {
    let mut b = Vec::new();
    // SHB: no options.
    for v in [0x0a0d_0d0au32, 28, 0x1a2b_3c4d] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&(-1i64).to_le_bytes());
    b.extend_from_slice(&28u32.to_le_bytes());
    // IDB: no options (µs).
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    b.extend_from_slice(&linktype.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&20u32.to_le_bytes());
    for (sec, usec, orig, data) in frames {
        let ts = u64::from(*sec) * 1_000_000 + u64::from(*usec);
        let padded = data.len().div_ceil(4) * 4;
        let opts = if with_options { 12 } else { 0 };
        let blen = (32 + padded + opts) as u32;
        for v in [
            6u32,
            blen,
            0,
            (ts >> 32) as u32,
            ts as u32,
            data.len() as u32,
            *orig,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(data);
        b.resize(b.len() + padded - data.len(), 0);
        if with_options {
            // epb_flags (2), 4 bytes: inbound; then opt_endofopt.
            b.extend_from_slice(&2u16.to_le_bytes());
            b.extend_from_slice(&4u16.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
        }
        b.extend_from_slice(&blen.to_le_bytes());
    }
    b
}

// One test function: the counter is global, and tests run in parallel threads.
#[test]
fn reading_a_capture_does_not_allocate_per_frame() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-5n-2l.pcap");
    let pcap = std::fs::read(path).expect("committed capture");
    let linktype = u16::from_le_bytes([pcap[20], pcap[21]]);
    let frames = pcap_frames(&pcap);

    let (n, allocs) = read_all("pcap", pcap.clone());
    assert_eq!(n, frames.len() as u64);
    assert!(n > 9_000, "{n}");
    // The buffer's growth only (64 KiB to 1 MiB: at most 5 doublings).
    assert!(allocs <= 6, "pcap: {allocs} allocations for {n} frames");

    let (n, allocs) = read_all("pcapng", to_pcapng(&frames, linktype, false));
    assert_eq!(n, frames.len() as u64);
    assert!(allocs <= 6, "pcapng: {allocs} allocations for {n} frames");

    // EPBs with options: pcap-parser's option Vec, one per block (see the
    // module comment). Counted, so a pcap-parser that stops allocating
    // shows up here and this exception can go.
    let (n, allocs) = read_all("pcapng+options", to_pcapng(&frames, linktype, true));
    assert_eq!(n, frames.len() as u64);
    eprintln!("pcapng, EPBs with options: {allocs} allocations for {n} frames");
    assert!(
        allocs >= n,
        "pcapng+options: {allocs} allocations for {n} frames"
    );
}
