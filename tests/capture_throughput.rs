//! Throughput of the reader and the network layer (ignored by default).
//!
//! CAPTURE=/path/big.pcap [EXPECT=frames] \
//!   cargo test --release --test capture_throughput -- --ignored --nocapture

use std::path::PathBuf;
use std::time::Instant;

use corowire::capture::PacketSource;
use corowire::capture::file::FileSource;
use corowire::wire::net::{NetDecoder, NetPacket};

#[test]
#[ignore]
fn reader_and_net_layer_throughput() {
    let Ok(path) = std::env::var("CAPTURE") else {
        eprintln!("set CAPTURE=file");
        return;
    };
    let path = PathBuf::from(path);
    let expect: Option<u64> = std::env::var("EXPECT").ok().and_then(|v| v.parse().ok());

    // Pass 1: read only.
    let t = Instant::now();
    let mut s = FileSource::open(&path).unwrap();
    let (mut n, mut bytes) = (0u64, 0u64);
    while s.advance().unwrap() {
        n += 1;
        bytes += s.frame().data.len() as u64;
    }
    let dt = t.elapsed().as_secs_f64();
    eprintln!(
        "read:   {n} frames, {bytes} bytes in {dt:.3} s = {:.2} M frames/s",
        n as f64 / dt / 1e6
    );
    if let Some(e) = expect {
        assert_eq!(n, e);
    }

    // Pass 2: read and decode link/IP/UDP.
    let t = Instant::now();
    let mut s = FileSource::open(&path).unwrap();
    let mut d = NetDecoder::default();
    let (mut udp, mut payload) = (0u64, 0u64);
    while s.advance().unwrap() {
        let f = s.frame();
        if let Ok(NetPacket::Udp(g)) = d.decode(f.ts, f.linktype, f.data) {
            udp += 1;
            payload += g.payload.len() as u64 + u64::from(g.sport);
        }
    }
    let dt = t.elapsed().as_secs_f64();
    eprintln!(
        "decode: {udp} datagrams ({payload}) in {dt:.3} s = {:.2} M frames/s",
        n as f64 / dt / 1e6
    );
    assert_eq!(udp, n);

    // Pass 3: the network layer alone, over the first 4096 frames held in
    // memory and decoded 500 times.
    let mut s = FileSource::open(&path).unwrap();
    let mut frames = Vec::new();
    while frames.len() < 4096 && s.advance().unwrap() {
        let f = s.frame();
        frames.push((f.ts, f.linktype, f.data.to_vec()));
    }
    let mut d = NetDecoder::default();
    let t = Instant::now();
    let mut udp = 0u64;
    for _ in 0..500 {
        for (ts, lt, data) in &frames {
            if let Ok(NetPacket::Udp(g)) = d.decode(*ts, *lt, std::hint::black_box(data)) {
                udp += u64::from(g.dport != 0);
            }
        }
    }
    let dt = t.elapsed().as_secs_f64();
    let m = (frames.len() * 500) as f64;
    eprintln!(
        "net layer only: {:.1} ns/frame = {:.1} M frames/s",
        dt / m * 1e9,
        m / dt / 1e6
    );
    assert_eq!(udp as f64, m);
}
