//! What reading a capture costs: corowire's own pcap/pcapng reader
//! (`capture::FileSource`) against pcap-parser's streaming readers
//! (`LegacyPcapReader` / `PcapNGReader`, one reused buffer, the loop its
//! documentation gives), over the same file, alternating.
//!
//! `cargo bench --bench reader_cost -- FILE [ROUNDS]`
//!
//! Each pass visits every frame's bytes the same cheap way (length and
//! first byte summed), so neither reader's work can be optimised away; the
//! two passes must agree on frames and checksum. Results in
//! `benches/README.md`.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use corowire::capture::{FileSource, PacketSource};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

const BUF: usize = 1 << 20;

fn own(path: &Path) -> (u64, u64) {
    let mut src = FileSource::open(path).expect("open");
    let (mut n, mut sum) = (0u64, 0u64);
    while src.advance_past_errors().unwrap_or_else(|e| panic!("{e}")) {
        let f = src.frame();
        n += 1;
        sum = sum.wrapping_add(f.data.len() as u64 + u64::from(f.data[0]));
    }
    (n, sum)
}

fn visit(b: &PcapBlockOwned<'_>, n: &mut u64, sum: &mut u64) {
    let data: &[u8] = match b {
        PcapBlockOwned::Legacy(p) => p.data,
        PcapBlockOwned::NG(Block::EnhancedPacket(p)) => p.packet_data(),
        PcapBlockOwned::NG(Block::SimplePacket(p)) => p.packet_data(),
        _ => return,
    };
    *n += 1;
    *sum = sum.wrapping_add(data.len() as u64 + u64::from(data[0]));
}

fn crate_reader<R: PcapReaderIterator>(mut r: R) -> (u64, u64) {
    let (mut n, mut sum) = (0u64, 0u64);
    loop {
        match r.next() {
            Ok((off, b)) => {
                visit(&b, &mut n, &mut sum);
                r.consume(off);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => r.refill().expect("refill"),
            Err(e) => panic!("{e:?}"),
        }
    }
    (n, sum)
}

fn pcap_parser(path: &Path) -> (u64, u64) {
    let mut magic = [0u8; 4];
    std::io::Read::read_exact(&mut File::open(path).expect("open"), &mut magic).expect("magic");
    let f = File::open(path).expect("open");
    if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        crate_reader(PcapNGReader::new(BUF, f).expect("pcapng"))
    } else {
        crate_reader(LegacyPcapReader::new(BUF, f).expect("pcap"))
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(file) = args.first() else {
        eprintln!("usage: cargo bench --bench reader_cost -- FILE [ROUNDS]");
        return;
    };
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(7);
    let path = Path::new(file);
    let (mut t_own, mut t_pp, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = None;
    for round in 0..rounds {
        let mut pass = |which: bool| {
            let t = Instant::now();
            let r = if which { pcap_parser(path) } else { own(path) };
            let s = t.elapsed().as_secs_f64();
            if let Some(prev) = seen {
                assert_eq!(prev, r, "the readers disagree");
            }
            seen = Some(r);
            s
        };
        // Which reader goes first alternates.
        let (a, b) = if round % 2 == 0 {
            let a = pass(false);
            (a, pass(true))
        } else {
            let b = pass(true);
            (pass(false), b)
        };
        t_own.push(a);
        t_pp.push(b);
        ratios.push(b / a);
    }
    let (n, _) = seen.unwrap_or_default();
    let (mo, mp) = (median(&mut t_own), median(&mut t_pp));
    println!(
        "{file}: {n} frames, {rounds} rounds\n  own reader    median {:.3} s ({:.1} M frames/s)\n  pcap-parser   median {:.3} s ({:.1} M frames/s)\n  pcap-parser / own, median paired ratio {:.3} (range {:.3}..{:.3})",
        mo,
        n as f64 / mo / 1e6,
        mp,
        n as f64 / mp / 1e6,
        median(&mut ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
}
