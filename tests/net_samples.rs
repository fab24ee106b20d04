//! The network decoder over every frame of the sample captures, checked
//! against etherparse's `SlicedPacket` as an oracle (the decoder composes
//! etherparse's header slices itself, with its own length rules; the
//! oracle is the crate's whole-packet path), plus IP fragmentation and
//! cutting applied to real corosync frames.

use std::net::IpAddr;
use std::path::PathBuf;

use corowire::capture::file::FileSource;
use corowire::capture::{PacketSource, linktype};
use corowire::wire::net::{NetDecoder, NetPacket};
use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};

fn spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/spec")
        .join(name)
}

const SAMPLES: [&str; 5] = [
    "lab-c3.1.7-knet1.25-cleartext.pcap",
    "lab-c3.1.7-knet1.25-aes256-sha256-nss.pcap",
    "lab-c3.1.7-knet1.25-aes256-sha256-nss-vs-openssl.pcap",
    "synthetic-knet-types.pcap",
    "synthetic-totem-variants.pcap",
];

fn frames(name: &str) -> Vec<(i64, u32, Vec<u8>)> {
    let mut s = FileSource::open(&spec(name)).unwrap();
    let mut v = Vec::new();
    while s.advance().unwrap() {
        let f = s.frame();
        v.push((f.ts, f.linktype, f.data.to_vec()));
    }
    v
}

fn oracle(lt: u32, data: &[u8]) -> SlicedPacket<'_> {
    match lt {
        linktype::ETHERNET => SlicedPacket::from_ethernet(data).unwrap(),
        // etherparse has no SLL2: start from its protocol field.
        linktype::LINUX_SLL2 => SlicedPacket::from_ether_type(
            EtherType(u16::from_be_bytes([data[0], data[1]])),
            &data[20..],
        )
        .unwrap(),
        lt => panic!("link type {lt}"),
    }
}

#[test]
fn every_sample_frame_matches_etherparse() {
    let mut total = 0;
    for name in SAMPLES {
        let mut d = NetDecoder::default();
        for (ts, lt, data) in frames(name) {
            let NetPacket::Udp(g) = d.decode(ts, lt, &data).unwrap() else {
                panic!("{name}: not UDP")
            };
            let o = oracle(lt, &data);
            let Some(NetSlice::Ipv4(ip)) = &o.net else {
                panic!("{name}: oracle not IPv4")
            };
            let h = ip.header();
            assert_eq!(g.src, IpAddr::V4(h.source_addr()));
            assert_eq!(g.dst, IpAddr::V4(h.destination_addr()));
            assert_eq!(
                (g.ttl, g.tos, g.dont_fragment),
                (
                    h.ttl(),
                    (h.dcp().value() << 2) | h.ecn().value(),
                    h.dont_fragment()
                )
            );
            assert_eq!(g.ip_len, u32::from(h.total_len()));
            let Some(TransportSlice::Udp(u)) = &o.transport else {
                panic!("{name}: oracle not UDP")
            };
            assert_eq!((g.sport, g.dport), (u.source_port(), u.destination_port()));
            assert_eq!(g.payload, u.payload());
            assert_eq!(g.payload_len, usize::from(u.length()) - 8);
            assert!(!g.is_cut() && !g.reassembled);
            assert!(corowire::wire::DEFAULT_PORTS.contains(&g.dport));
            total += 1;
        }
    }
    assert_eq!(total, 956 + 773 + 321 + 5 + 5);
}

#[test]
fn first_cleartext_frame_fields() {
    let f = frames(SAMPLES[0]);
    let (ts, lt, data) = &f[0];
    let mut d = NetDecoder::default();
    let NetPacket::Udp(g) = d.decode(*ts, *lt, data).unwrap() else {
        panic!()
    };
    // tshark: 10.99.0.1 -> 10.99.0.2, udp length 34, ttl 64, dsfield 0x10, DF, ip len 54
    assert_eq!(g.src, "10.99.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(g.dst, "10.99.0.2".parse::<IpAddr>().unwrap());
    assert_eq!(
        (g.sport, g.dport, g.payload_len, g.ttl, g.tos, g.ip_len),
        (5405, 5405, 26, 64, 0x10, 54)
    );
    assert!(g.dont_fragment);
    assert_eq!(g.payload_offset, 20 + 20 + 8);
}

#[test]
fn every_sample_frame_cut_at_every_length_never_panics() {
    for name in SAMPLES {
        let mut d = NetDecoder::default();
        for (ts, lt, data) in frames(name) {
            for n in 0..data.len() {
                match d.decode(ts, lt, &data[..n]) {
                    // SLL2 20 + IPv4 20 + UDP 8: from 48 bytes on, a cut datagram.
                    Ok(NetPacket::Udp(_)) => {
                        assert!(n >= 48 || (lt == linktype::ETHERNET && n >= 42), "{n}")
                    }
                    Ok(other) => panic!("{name} cut at {n}: {other:?}"),
                    Err(e) => assert!(e.offset <= n, "{name} cut at {n}: {e}"),
                }
            }
        }
    }
}

/// Splits the IPv4 datagram of an SLL2 frame into fragments of `chunk`
/// payload bytes (a multiple of 8), each a complete SLL2 frame.
fn fragment(frame: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let (link, ip) = frame.split_at(20);
    let ihl = usize::from(ip[0] & 0xf) * 4;
    let (hdr, payload) = ip.split_at(ihl);
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let more = end < payload.len();
        let mut f = link.to_vec();
        let mut h = hdr.to_vec();
        h[2..4].copy_from_slice(&((ihl + end - off) as u16).to_be_bytes());
        let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        f.extend(h);
        f.extend_from_slice(&payload[off..end]);
        out.push(f);
        off = end;
    }
    out
}

#[test]
fn real_frames_fragmented_and_reassembled() {
    let f = frames(SAMPLES[0]);
    let mut d = NetDecoder::default();
    let mut rebuilt = 0;
    for (ts, lt, data) in f.iter().filter(|(_, _, d)| d.len() > 100) {
        let want = {
            let mut d = NetDecoder::default();
            let NetPacket::Udp(g) = d.decode(*ts, *lt, data).unwrap() else {
                panic!()
            };
            (g.src, g.dst, g.sport, g.dport, g.payload.to_vec())
        };
        let mut pieces = fragment(data, 24);
        assert!(pieces.len() >= 2);
        pieces.reverse(); // last fragment first
        let n = pieces.len();
        for (i, p) in pieces.iter().enumerate() {
            match d.decode(*ts, *lt, p).unwrap() {
                NetPacket::FragmentHeld => assert!(i + 1 < n),
                NetPacket::Udp(g) => {
                    assert_eq!(i + 1, n);
                    assert!(g.reassembled);
                    assert_eq!((g.src, g.dst, g.sport, g.dport, g.payload.to_vec()), want);
                    rebuilt += 1;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert!(rebuilt > 100, "{rebuilt}");
    assert_eq!(d.stats.datagrams_reassembled, rebuilt);
    assert_eq!(d.stats.reassembly_dropped, 0);
    assert_eq!(d.fragments_pending(), 0);
}
