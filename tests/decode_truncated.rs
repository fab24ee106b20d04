//! Every committed capture (and the samples of tests/data/spec/), cut at 100 random
//! offsets, decodes without a panic: what is readable is decoded, and the
//! cut is reported with the file, packet number and byte offset.

mod common;

use std::io::Cursor;

use corowire::capture::file::FileSource;
use corowire::capture::{CaptureErrorKind, PacketSource};
use corowire::decode::{Decoder, Outcome};

/// xorshift64*: deterministic offsets without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn captures() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(common::crate_dir().join("captures"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    for s in [
        "lab-c3.1.7-knet1.25-cleartext.pcap",
        "synthetic-totem-variants.pcap",
    ] {
        v.push(common::spec_capture(s));
    }
    v.sort();
    v
}

#[test]
fn cut_captures_decode_without_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut cuts, mut reported) = (0, 0);
    for path in captures() {
        let bytes = std::fs::read(&path).unwrap();
        let full = decoded_packets(&bytes, "full").0;
        for _ in 0..100 {
            let at = (rng.next() % bytes.len() as u64) as usize;
            let (n, err) = decoded_packets(&bytes[..at], "cut");
            cuts += 1;
            assert!(
                n <= full,
                "{}: cut at {at} decoded more than the whole file",
                path.display()
            );
            if at >= 24 {
                // The header was whole; a cut inside a record must be named.
                if let Some((kind, offset)) = err {
                    reported += 1;
                    assert!(
                        offset <= at as u64,
                        "{}: offset {offset} beyond cut {at}",
                        path.display()
                    );
                    assert!(matches!(
                        kind,
                        CaptureErrorKind::TruncatedRecord { .. }
                            | CaptureErrorKind::CorruptRecord(_)
                    ));
                }
            }
        }
    }
    assert!(cuts >= 300);
    // A random cut almost never falls exactly on a record boundary.
    assert!(
        reported * 100 >= cuts * 95,
        "only {reported} of {cuts} cuts were reported"
    );
}

/// Corosync packets decoded from `bytes`, and the last capture error.
fn decoded_packets(bytes: &[u8], name: &str) -> (u64, Option<(CaptureErrorKind, u64)>) {
    let mut src = match FileSource::from_reader(name.into(), Box::new(Cursor::new(bytes.to_vec())))
    {
        Ok(s) => s,
        Err(e) => return (0, Some((e.kind, e.offset))),
    };
    let mut dec = Decoder::default();
    let (mut n, mut err) = (0, None);
    loop {
        match src.advance() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let stop = !e.recoverable;
                err = Some((e.kind, e.offset));
                if stop {
                    break;
                }
                continue;
            }
        }
        if let Outcome::Corosync(_) = dec.decode(&src.frame()) {
            n += 1;
        }
    }
    (n, err)
}
