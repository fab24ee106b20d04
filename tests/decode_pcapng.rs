//! A real capture rewritten as pcapng (blocks straddling the reader's buffer
//! boundaries, as in any file over 64 KiB) decodes exactly like the pcap.
//! Regression: the block trailer was read at a stale buffer position after
//! a refill, reporting good blocks as corrupt.

mod common;

use std::io::Cursor;

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::decode::{Decoder, Outcome};

/// pcap (LE, µs) → pcapng with one interface; EPB timestamps in µs.
fn to_pcapng(pcap: &[u8]) -> Vec<u8> {
    let u32le = |b: &[u8], o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(
        u32le(pcap, 0),
        0xa1b2_c3d4,
        "test input must be a LE µs pcap"
    );
    let linktype = u32le(pcap, 20) as u16;
    let mut out = Vec::new();
    // SHB (28 bytes): type, length, BOM, version 1.0, section length -1, length.
    out.extend(0x0A0D_0D0Au32.to_le_bytes());
    out.extend(28u32.to_le_bytes());
    out.extend(0x1A2B_3C4Du32.to_le_bytes());
    out.extend(1u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((-1i64).to_le_bytes());
    out.extend(28u32.to_le_bytes());
    // IDB (20 bytes): linktype, reserved, snaplen.
    out.extend(1u32.to_le_bytes());
    out.extend(20u32.to_le_bytes());
    out.extend(linktype.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(262_144u32.to_le_bytes());
    out.extend(20u32.to_le_bytes());
    let mut off = 24;
    while off + 16 <= pcap.len() {
        let (sec, usec, incl, orig) = (
            u32le(pcap, off),
            u32le(pcap, off + 4),
            u32le(pcap, off + 8),
            u32le(pcap, off + 12),
        );
        let data = &pcap[off + 16..off + 16 + incl as usize];
        let pad = (4 - incl as usize % 4) % 4;
        let blen = 32 + incl as usize + pad;
        let ts = u64::from(sec) * 1_000_000 + u64::from(usec);
        out.extend(6u32.to_le_bytes());
        out.extend((blen as u32).to_le_bytes());
        out.extend(0u32.to_le_bytes());
        out.extend(((ts >> 32) as u32).to_le_bytes());
        out.extend((ts as u32).to_le_bytes());
        out.extend(incl.to_le_bytes());
        out.extend(orig.to_le_bytes());
        out.extend_from_slice(data);
        out.extend(std::iter::repeat_n(0u8, pad));
        out.extend((blen as u32).to_le_bytes());
        off += 16 + incl as usize;
    }
    out
}

fn run(bytes: Vec<u8>) -> (u64, u64, Vec<i64>, u64) {
    let mut src = FileSource::from_reader("mem".into(), Box::new(Cursor::new(bytes))).unwrap();
    let mut dec = Decoder::default();
    let (mut frames, mut errors, mut ts) = (0, 0, Vec::new());
    loop {
        match src.advance() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                errors += 1;
                assert!(e.recoverable, "{e}");
                continue;
            }
        }
        frames += 1;
        let f = src.frame();
        ts.push(f.ts);
        let _ = matches!(dec.decode(&f), Outcome::Corosync(_));
    }
    (frames, errors, ts, dec.stats.corosync_packets())
}

#[test]
fn pcapng_decodes_like_pcap() {
    let pcap = std::fs::read(common::crate_dir().join("captures/healthy-3n-clear.pcap")).unwrap();
    assert!(
        pcap.len() > 1 << 20,
        "needs a file larger than the reader's buffer"
    );
    let a = run(pcap.clone());
    let b = run(to_pcapng(&pcap));
    assert_eq!(a.1, 0);
    assert_eq!(b.1, 0, "pcapng reported errors");
    assert_eq!((a.0, a.3), (b.0, b.3));
    assert_eq!(a.2, b.2, "timestamps differ");
}
