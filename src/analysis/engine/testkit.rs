//! Test support for the engine's unit tests: real knet and totem bytes,
//! decoded by the wire decoders as the pipeline decodes them, fed with exact
//! timestamps.

use std::net::{IpAddr, Ipv4Addr};

pub(crate) use crate::analysis::{Engine, FindingKind, LinkState, Severity, Thresholds};
use crate::decode::{FragState, Packet};
use crate::wire::classify::{Class, Framing};
use crate::wire::knet;
use crate::wire::net::Datagram;
use crate::wire::totem;

pub(crate) const MS: i64 = 1_000_000;
pub(crate) const S: i64 = 1_000_000_000;
/// An arbitrary epoch second (2026-11-22).
pub(crate) const T0: i64 = 1_795_318_789 * S;

pub(crate) fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

/// knet PING (0x81) or PONG (0x82) bytes.
pub(crate) fn ping_bytes(pong: bool, node: u16, link: u8, time: u64, seq: u16) -> Vec<u8> {
    let mut b = vec![1, if pong { 0x82 } else { 0x81 }];
    b.extend_from_slice(&node.to_be_bytes());
    b.extend_from_slice(&[0, 0, link]);
    b.extend_from_slice(&(time / 1_000_000_000).to_le_bytes());
    b.extend_from_slice(&(time % 1_000_000_000).to_le_bytes());
    b.extend_from_slice(&seq.to_be_bytes());
    b.push(1);
    b
}

/// knet PMTUD probe (filler up to `size` − 28 bytes of UDP payload) or reply.
pub(crate) fn pmtud_bytes(reply: bool, node: u16, link: u8, size: u16) -> Vec<u8> {
    let mut b = vec![1, if reply { 0x84 } else { 0x83 }];
    b.extend_from_slice(&node.to_be_bytes());
    b.extend_from_slice(&[0, 0, link]);
    b.extend_from_slice(&size.to_le_bytes());
    if !reply {
        b.resize(usize::from(size) - 28, 0);
    }
    b
}

pub(crate) fn totem_header(mtype: u8, nodeid: u32, target: u32) -> Vec<u8> {
    let mut b = vec![0x70, 0xC0, 3, mtype, 0];
    b.extend_from_slice(&nodeid.to_le_bytes());
    b.extend_from_slice(&target.to_le_bytes());
    b
}

pub(crate) fn ring(b: &mut Vec<u8>, rep: u32, seq: u64) {
    b.extend_from_slice(&rep.to_le_bytes());
    b.extend_from_slice(&seq.to_le_bytes());
}

/// A knet DATA packet carrying a corosync 3 orf token.
pub(crate) fn token_bytes(from: u32, to: u32, token_seq: u32, ring_seq: u64, rtr: u32) -> Vec<u8> {
    let mut t = totem_header(0, from, to);
    for v in [10u32, token_seq, 10, 0] {
        t.extend_from_slice(&v.to_le_bytes());
    }
    ring(&mut t, 1, ring_seq);
    for v in [0u32, 0, 0, rtr] {
        t.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..rtr {
        ring(&mut t, 1, ring_seq);
        t.extend_from_slice(&(5 + i).to_le_bytes());
    }
    knet_data(from as u16, &t)
}

/// A knet DATA packet carrying a commit token for ring (1, ring_seq).
pub(crate) fn commit_bytes(from: u32, to: u32, ring_seq: u64, members: &[u32]) -> Vec<u8> {
    let mut t = totem_header(4, from, to);
    t.extend_from_slice(&0u32.to_le_bytes());
    ring(&mut t, 1, ring_seq);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&(members.len() as u32).to_le_bytes());
    for m in members {
        t.extend_from_slice(&m.to_le_bytes());
    }
    for _ in members {
        ring(&mut t, 1, ring_seq - 4);
        t.extend_from_slice(&[0u8; 12]);
    }
    knet_data(from as u16, &t)
}

/// A knet DATA packet from `from` carrying a new (not encapsulated)
/// totem mcast `seq` of ring (1, `ring_seq`).
pub(crate) fn mcast_in(ring_seq: u64, from: u32, seq: u32) -> Vec<u8> {
    let mut t = totem_header(1, from, 0);
    t.extend_from_slice(&from.to_le_bytes());
    t.extend_from_slice(&seq.to_le_bytes());
    t.extend_from_slice(&0i32.to_le_bytes());
    ring(&mut t, 1, ring_seq);
    t.extend_from_slice(&from.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(b"payload");
    knet_data(from as u16, &t)
}

pub(crate) fn knet_data(node: u16, totem: &[u8]) -> Vec<u8> {
    let mut b = vec![1, 0];
    b.extend_from_slice(&node.to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&7u16.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 1, 0, 0]);
    b.extend_from_slice(totem);
    b
}

/// Decodes `bytes` as the real pipeline would and feeds the engine.
pub(crate) fn feed(e: &mut Engine, ts: i64, src: IpAddr, dst: IpAddr, link: u8, bytes: &[u8]) {
    let port = 5405 + u16::from(link);
    let k = knet::parse(bytes).expect("valid knet bytes");
    let totem = match k {
        knet::Knet::Data(d) => Some(totem::parse_v3(d.payload).expect("valid totem bytes")),
        _ => None,
    };
    let p = Packet {
        ts,
        source: 0,
        packet_no: 0,
        dgram: Datagram {
            src,
            dst,
            sport: port,
            dport: port,
            payload: bytes,
            payload_len: bytes.len(),
            ip_len: bytes.len() as u32 + 28,
            tos: 0x10,
            dont_fragment: true,
            ttl: 64,
            vlan: None,
            payload_offset: 42,
            reassembled: false,
            outgoing: None,
        },
        class: Class::Knet,
        framing: Framing::Knet,
        decrypted: false,
        knet: Some(k),
        frag: FragState::Whole,
        totem,
        error: None,
    };
    e.ingest(&p);
}

/// One ping from `a` to `b` at `t` (ns) with data seq `seq`, answered after
/// `rtt_us` unless `None`.
pub(crate) fn ping_pair(
    e: &mut Engine,
    t: i64,
    a: u8,
    b: u8,
    link: u8,
    rtt_us: Option<i64>,
    seq: u16,
) {
    let mono = (t - T0 + 1000 * S) as u64 + u64::from(a) * 7;
    feed(
        e,
        t,
        ip(a),
        ip(b),
        link,
        &ping_bytes(false, u16::from(a), link, mono, seq),
    );
    if let Some(r) = rtt_us {
        feed(
            e,
            t + r * 1000,
            ip(b),
            ip(a),
            link,
            &ping_bytes(true, u16::from(b), link, mono, seq),
        );
    }
}

pub(crate) fn two_nodes() -> Thresholds {
    // token 3000 → ping interval 750 (every 800 ms on the grid), timeout 1500.
    Thresholds::corosync31_defaults(2)
}
