//! What the analysis engine costs on top of decoding, read from a file the
//! way `corowire decode -s` and `corowire report` read it, in one process.
//!
//! On a shared or virtual machine two separate timings drift apart by more
//! than the effect measured, so the two passes alternate round by round and
//! each round gives one paired ratio (engine pass / decode pass, taken
//! seconds apart); the median of those ratios is the figure.
//!
//! Usage: `cargo bench --bench engine_cost [-- FILE] [ROUNDS]`. Without a
//! file, the committed healthy capture is repeated 40 times (273,600
//! corosync packets, every one reaching the engine: the worst case) into a
//! temporary pcap, removed afterwards.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use corowire::analysis::{Engine, Thresholds};
use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::decode::{Decoder, Outcome};
use corowire::feed::Feed;

const REPEAT: i64 = 40;

/// Writes the healthy capture `REPEAT` times, time-shifted, as one pcap.
fn corosync_only(out: &Path) -> std::io::Result<()> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures/healthy-3n-clear.pcap");
    let mut src = FileSource::open(&path).map_err(std::io::Error::other)?;
    let mut frames = Vec::new();
    while let Ok(true) = src.advance() {
        let f = src.frame();
        frames.push((f.ts, f.linktype, f.orig_len, f.data.to_vec()));
    }
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        return Err(std::io::Error::other("empty capture"));
    };
    let span = last.0 - first.0 + 1_000_000_000;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    // pcap, microseconds, Ethernet.
    w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?;
    w.write_all(&4u16.to_le_bytes())?;
    w.write_all(&[0u8; 8])?;
    w.write_all(&262_144u32.to_le_bytes())?;
    w.write_all(&frames[0].1.to_le_bytes())?;
    for r in 0..REPEAT {
        for (ts, _, orig, data) in &frames {
            let t = ts + r * span;
            w.write_all(&((t / 1_000_000_000) as u32).to_le_bytes())?;
            w.write_all(&((t % 1_000_000_000 / 1000) as u32).to_le_bytes())?;
            w.write_all(&(data.len() as u32).to_le_bytes())?;
            w.write_all(&orig.to_le_bytes())?;
            w.write_all(data)?;
        }
    }
    w.flush()
}

/// One pass over the file: decode only, or decode and analyse. Returns the
/// frames read, the corosync packets among them and the seconds taken.
fn pass(path: &Path, analyse: bool) -> (u64, u64, f64) {
    let t0 = Instant::now();
    let mut src = FileSource::open(path).expect("bench file");
    let mut dec = Decoder::default();
    let mut feed = analyse.then(|| Feed::new(Engine::new(Thresholds::default()), false, 5405));
    let (mut frames, mut n) = (0u64, 0u64);
    let mut last = None;
    loop {
        match src.advance() {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => continue,
        }
        let f = src.frame();
        frames += 1;
        last = Some(f.ts);
        let o = dec.decode(&f);
        if matches!(o, Outcome::Corosync(_)) {
            n += 1;
        }
        if let Some(feed) = feed.as_mut() {
            feed.outcome(&o);
        }
    }
    if let Some(mut feed) = feed {
        feed.finish(last);
        std::hint::black_box(feed.engine.snapshot().links.len());
    }
    (frames, n, t0.elapsed().as_secs_f64())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let tmp =
        std::env::temp_dir().join(format!("corowire-engine-cost-{}.pcap", std::process::id()));
    let (path, generated) = match args.first() {
        Some(f) if !f.chars().all(|c| c.is_ascii_digit()) => (PathBuf::from(f), false),
        _ => {
            corosync_only(&tmp).expect("write the bench file");
            (tmp.clone(), true)
        }
    };
    let rounds: usize = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(15)
        .max(3);
    // Warm the page cache and the code.
    let (frames, n, _) = pass(&path, false);
    let (_, n2, _) = pass(&path, true);
    assert_eq!(n, n2);
    let (mut d, mut r, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        // Alternate which pass goes first, so neither always follows the other.
        let (a, b) = if i % 2 == 0 {
            (pass(&path, false).2, pass(&path, true).2)
        } else {
            let b = pass(&path, true).2;
            (pass(&path, false).2, b)
        };
        d.push(a);
        r.push(b);
        ratio.push(b / a);
    }
    let (dm, rm) = (median(&mut d), median(&mut r));
    let (dmin, rmin) = (d[0], r[0]);
    println!(
        "engine_cost: {} ({frames} frames, {n} corosync packets), {rounds} rounds",
        path.display()
    );
    println!(
        "  decode only        median {:7.1} ms  min {:7.1} ms  {:5.2} M frames/s",
        dm * 1e3,
        dmin * 1e3,
        frames as f64 / dm / 1e6
    );
    println!(
        "  decode + analysis  median {:7.1} ms  min {:7.1} ms  {:5.2} M frames/s",
        rm * 1e3,
        rmin * 1e3,
        frames as f64 / rm / 1e6
    );
    let q = median(&mut ratio);
    println!(
        "  engine cost: median of paired ratios +{:.1} %, ratios {:.1}..{:.1} %",
        (q - 1.0) * 100.0,
        (ratio[0] - 1.0) * 100.0,
        (ratio[ratio.len() - 1] - 1.0) * 100.0
    );
    if generated {
        let _ = std::fs::remove_file(&tmp);
    }
}
