//! ICMPv4 "fragmentation needed" and ICMPv6 "packet too big": the reported
//! MTU and the addresses and UDP ports of the quoted datagram, read with
//! etherparse's `Icmpv4Slice` / `Icmpv6Slice` and the IP header slices of
//! [`super::ip`].
//!
//! Own code, each for a reason: the quoted ports are read from the first
//! four bytes after the quoted IP header (a quote cut inside the UDP
//! length or checksum still names the datagram; etherparse's
//! `UdpHeaderSlice` needs all eight), and an ICMPv6 type 2 with a code
//! other than 0 is still "packet too big" (RFC 4443: the receiver ignores
//! the code; etherparse decodes it as an unknown type).

use std::net::IpAddr;

use etherparse::{Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type, Ipv6HeaderSlice, err, icmpv4};

use super::ip::{self, Ipv4, PROTO_UDP};
use super::len_error;
use crate::wire::{Layer, WireError};

/// What a too-big message quotes. `None` from the parsers means "not a
/// too-big message, or not about a UDP datagram".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    pub mtu: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
}

/// ICMP header length (both versions).
const ICMP_HDR: usize = 8;

/// An error inside the quoted datagram, at `off` in the ICMP message.
#[cold]
fn quoted(e: WireError, off: usize) -> WireError {
    WireError {
        layer: Layer::Icmp,
        ..e.at(off)
    }
}

/// The quoted UDP ports at `off` in the ICMP message `b`.
#[inline]
fn ports(b: &[u8], off: usize) -> Result<(u16, u16), WireError> {
    match b.get(off..off + 4) {
        Some(p) => Ok((
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        )),
        None => Err(WireError::short(
            Layer::Icmp,
            off,
            4,
            b.len().saturating_sub(off),
        )),
    }
}

/// Parses an ICMPv4 message (`b` starts at the ICMP header).
pub fn parse_v4(b: &[u8]) -> Result<Option<Quoted>, WireError> {
    let icmp = match Icmpv4Slice::from_slice(b) {
        Ok(s) => s,
        // A timestamp (reply) of another length than 20: not ours either.
        Err(e) if e.layer != err::Layer::Icmpv4 => return Ok(None),
        Err(e) => return Err(len_error(Layer::Icmp, 0, e)),
    };
    let Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::FragmentationNeeded {
        next_hop_mtu,
    }) = icmp.icmp_type()
    else {
        return Ok(None);
    };
    let inner = Ipv4::parse(icmp.payload()).map_err(|e| quoted(e, ICMP_HDR))?;
    if inner.h.protocol().0 != PROTO_UDP || inner.frag_off() != 0 {
        return Ok(None);
    }
    let (sport, dport) = ports(b, ICMP_HDR + inner.hdr_len())?;
    Ok(Some(Quoted {
        mtu: u32::from(next_hop_mtu),
        src: IpAddr::V4(inner.h.source_addr()),
        dst: IpAddr::V4(inner.h.destination_addr()),
        sport,
        dport,
    }))
}

/// Parses an ICMPv6 message (`b` starts at the ICMPv6 header).
pub fn parse_v6(b: &[u8]) -> Result<Option<Quoted>, WireError> {
    let icmp = Icmpv6Slice::from_slice(b).map_err(|e| len_error(Layer::Icmp, 0, e))?;
    let mtu = match icmp.icmp_type() {
        Icmpv6Type::PacketTooBig { mtu } => mtu,
        Icmpv6Type::Unknown {
            type_u8: 2,
            bytes5to8,
            ..
        } => u32::from_be_bytes(bytes5to8),
        _ => return Ok(None),
    };
    let q = icmp.payload();
    let h = Ipv6HeaderSlice::from_slice(q)
        .map_err(|e| ip::v6_error(Layer::Icmp, "quoted ip version", e).at(ICMP_HDR))?;
    let (proto, l4, frag) = ip::walk_ext(q, h.next_header().0, h.slice().len(), true)
        .map_err(|e| quoted(e, ICMP_HDR))?;
    if proto != PROTO_UDP || frag.is_some_and(|f| f.offset != 0) {
        return Ok(None);
    }
    let (sport, dport) = ports(b, ICMP_HDR + l4)?;
    Ok(Some(Quoted {
        mtu,
        src: IpAddr::V6(h.source_addr()),
        dst: IpAddr::V6(h.destination_addr()),
        sport,
        dport,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    // type 3 code 4, checksum, unused, next-hop MTU 1400, quoted IPv4+UDP.
    const V4: [u8; 36] = [
        3, 4, 0, 0, 0, 0, 0x05, 0x78, // ICMP
        0x45, 0, 0x05, 0xdc, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, // IPv4
        0x15, 0x1d, 0x15, 0x1e, 0x05, 0xc8, 0, 0, // UDP 5405 -> 5406
    ];

    #[test]
    fn v4_frag_needed() {
        let q = parse_v4(&V4).unwrap().unwrap();
        assert_eq!(q.mtu, 1400);
        assert_eq!(q.src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(q.dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!((q.sport, q.dport), (5405, 5406));
    }

    #[test]
    fn v4_truncated_every_length() {
        for n in 0..32 {
            let e = parse_v4(&V4[..n]).unwrap_err();
            assert_eq!(e.layer, Layer::Icmp, "len {n}");
            let at = if n < 8 {
                0
            } else if n < 28 {
                8
            } else {
                28
            };
            assert_eq!(e.offset, at, "len {n}");
        }
        // ports present, rest of UDP header missing: fine
        assert!(parse_v4(&V4[..32]).unwrap().is_some());
    }

    #[test]
    fn v4_other_types_are_none() {
        let mut b = V4;
        b[1] = 3; // port unreachable
        assert_eq!(parse_v4(&b).unwrap(), None);
        let mut b = V4;
        b[17] = 6; // quoted TCP
        assert_eq!(parse_v4(&b).unwrap(), None);
        // A timestamp request of another length than 20 (etherparse refuses
        // it): not a too-big notice either, not an error.
        let ts = [13, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        assert_eq!(parse_v4(&ts).unwrap(), None);
    }

    fn v6_msg() -> Vec<u8> {
        let mut b = vec![2, 0, 0, 0, 0, 0, 0x05, 0x00]; // too big, MTU 1280
        b.extend_from_slice(&[0x60, 0, 0, 0, 0x05, 0xb4, 17, 64]);
        b.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(&[0x15, 0x1d, 0x15, 0x1d, 0x05, 0xb4, 0, 0]);
        b
    }

    #[test]
    fn v6_too_big() {
        let b = v6_msg();
        let q = parse_v6(&b).unwrap().unwrap();
        assert_eq!(q.mtu, 1280);
        assert_eq!(q.src, "fd00::1".parse::<IpAddr>().unwrap());
        assert_eq!((q.sport, q.dport), (5405, 5405));
        for n in 0..52 {
            let e = parse_v6(&b[..n]).unwrap_err();
            assert_eq!(e.layer, Layer::Icmp, "len {n}");
        }
        let mut b2 = b.clone();
        b2[0] = 1; // destination unreachable: not ours
        assert_eq!(parse_v6(&b2).unwrap(), None);
        // A code other than 0 is still "packet too big" (RFC 4443 3.2: the
        // receiver ignores it).
        let mut b3 = b.clone();
        b3[1] = 9;
        assert_eq!(parse_v6(&b3).unwrap(), Some(q));
    }
}
