//! What the link/IP/UDP layers cost per frame, over the Ethernet frames of
//! one file: corowire's decoder (`wire::net::NetDecoder`: etherparse's
//! header slices composed layer by layer, with the datagram's facts, Linux
//! cooked headers, ICMP too-big, fragments and error offsets) against two
//! references, etherparse's whole-packet slicing (`SlicedPacket::
//! from_ethernet`, then the UDP slice) and the least composition of its
//! header slices that finds the UDP payload (`headers`).
//!
//! `cargo bench --bench net_cost -- FILE [MODE] [ROUNDS]`
//!
//! MODE `read` only reads the file, `decoder`, `etherparse` and `headers`
//! read it and slice every frame (one pass each: run under callgrind to
//! count instructions), `all` (default) times the four alternating and
//! prints the slicing's cost over the read alone. All three must find the
//! same UDP datagrams (count and payload bytes) on files without IP
//! fragments, VLAN stacks deeper than three tags or link types other than
//! Ethernet.

use std::path::Path;
use std::time::Instant;

use corowire::capture::{FileSource, PacketSource};
use corowire::wire::net::{NetDecoder, NetPacket};
use etherparse::{
    EtherType, Ethernet2Slice, IpNumber, Ipv4Slice, Ipv6Slice, SingleVlanSlice, SlicedPacket,
    TransportSlice, UdpSlice,
};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Read,
    Decoder,
    Ether,
    Headers,
}

/// etherparse's header slices composed by hand, only as far as UDP:
/// Ethernet, up to three VLAN tags, IPv4 or IPv6 (extension headers
/// included), UDP; no datagram facts, no error offsets.
#[inline]
fn headers(frame: &[u8]) -> Option<UdpSlice<'_>> {
    let eth = Ethernet2Slice::from_slice_without_fcs(frame).ok()?;
    let (mut t, mut rest) = (eth.ether_type(), eth.payload_slice());
    for _ in 0..3 {
        if !matches!(
            t,
            EtherType::VLAN_TAGGED_FRAME
                | EtherType::PROVIDER_BRIDGING
                | EtherType::VLAN_DOUBLE_TAGGED_FRAME
        ) {
            break;
        }
        let v = SingleVlanSlice::from_slice(rest).ok()?;
        (t, rest) = (v.ether_type(), v.payload_slice());
    }
    let ip = match t {
        EtherType::IPV4 => Ipv4Slice::from_slice(rest).ok()?.payload().clone(),
        EtherType::IPV6 => Ipv6Slice::from_slice(rest).ok()?.payload().clone(),
        _ => return None,
    };
    if ip.ip_number != IpNumber::UDP || ip.fragmented {
        return None;
    }
    UdpSlice::from_slice(ip.payload).ok()
}

/// One pass: (frames, UDP datagrams, payload bytes).
fn pass(path: &Path, mode: Mode) -> (u64, u64, u64) {
    let mut src = FileSource::open(path).expect("open");
    let mut net = NetDecoder::default();
    let (mut n, mut udp, mut bytes) = (0u64, 0u64, 0u64);
    while src.advance_past_errors().unwrap_or_else(|e| panic!("{e}")) {
        let f = src.frame();
        n += 1;
        match mode {
            Mode::Read => bytes += u64::from(f.data[0]),
            Mode::Decoder => {
                if let Ok(NetPacket::Udp(d)) = net.decode(f.ts, f.linktype, f.data) {
                    udp += 1;
                    bytes += d.payload.len() as u64 + u64::from(d.sport);
                }
            }
            Mode::Headers => {
                if let Some(u) = headers(f.data) {
                    udp += 1;
                    bytes += u.payload().len() as u64 + u64::from(u.source_port());
                }
            }
            Mode::Ether => {
                if let Ok(p) = SlicedPacket::from_ethernet(f.data)
                    && let Some(TransportSlice::Udp(u)) = p.transport
                {
                    udp += 1;
                    bytes += u.payload().len() as u64 + u64::from(u.source_port());
                }
            }
        }
    }
    (n, udp, bytes)
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
        eprintln!(
            "usage: cargo bench --bench net_cost -- FILE [read|decoder|etherparse|headers|all] [ROUNDS]"
        );
        return;
    };
    let path = Path::new(file);
    let one = |m| {
        let (n, udp, bytes) = pass(path, m);
        println!("{n} frames, {udp} UDP datagrams, checksum {bytes}");
    };
    match args.get(1).map(String::as_str) {
        Some("read") => return one(Mode::Read),
        Some("decoder") => return one(Mode::Decoder),
        Some("etherparse") => return one(Mode::Ether),
        Some("headers") => return one(Mode::Headers),
        _ => {}
    }
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(7);
    let modes = [Mode::Read, Mode::Decoder, Mode::Ether, Mode::Headers];
    let mut t = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut found = [(0, 0, 0); 4];
    for round in 0..rounds {
        for k in 0..4 {
            // The order rotates from round to round.
            let i = (k + round) % 4;
            let s = Instant::now();
            found[i] = pass(path, modes[i]);
            t[i].push(s.elapsed().as_secs_f64());
        }
    }
    let frames = found[0].0;
    let m: Vec<f64> = t.iter_mut().map(|v| median(v)).collect();
    println!("{file}: {frames} frames, {rounds} rounds (medians)");
    println!("  read only       {:.3} s", m[0]);
    for (i, name) in [(1, "decoder"), (2, "etherparse"), (3, "headers")] {
        println!(
            "  read + {name:<10} {:.3} s: slicing {:.1} ns/frame; {} UDP datagrams",
            m[i],
            (m[i] - m[0]) / frames as f64 * 1e9,
            found[i].1
        );
    }
}
