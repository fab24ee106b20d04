//! ICMPv4 "fragmentation needed" and ICMPv6 "packet too big": the reported
//! MTU and the addresses and UDP ports of the quoted datagram.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ip::{self, Ipv4, PROTO_UDP};
use super::link::{be16, be32};
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

const ICMP_HDR: usize = 8;

/// Parses an ICMPv4 message (`b` starts at the ICMP header).
pub fn parse_v4(b: &[u8]) -> Result<Option<Quoted>, WireError> {
    if b.len() < ICMP_HDR {
        return Err(WireError::short(Layer::Icmp, 0, ICMP_HDR, b.len()));
    }
    if b[0] != 3 || b[1] != 4 {
        return Ok(None);
    }
    let mtu = u32::from(be16(b, 6));
    let q = &b[ICMP_HDR..];
    let inner = Ipv4::parse(q).map_err(|e| WireError {
        layer: Layer::Icmp,
        ..e.at(ICMP_HDR)
    })?;
    if inner.proto != PROTO_UDP || inner.frag_off != 0 {
        return Ok(None);
    }
    let off = ICMP_HDR + inner.hdr_len;
    let Some(ports) = b.get(off..off + 4) else {
        return Err(WireError::short(Layer::Icmp, off, 4, b.len() - off));
    };
    Ok(Some(Quoted {
        mtu,
        src: IpAddr::V4(Ipv4Addr::from(inner.src)),
        dst: IpAddr::V4(Ipv4Addr::from(inner.dst)),
        sport: be16(ports, 0),
        dport: be16(ports, 2),
    }))
}

/// Parses an ICMPv6 message (`b` starts at the ICMPv6 header).
pub fn parse_v6(b: &[u8]) -> Result<Option<Quoted>, WireError> {
    if b.len() < ICMP_HDR {
        return Err(WireError::short(Layer::Icmp, 0, ICMP_HDR, b.len()));
    }
    if b[0] != 2 {
        return Ok(None);
    }
    let mtu = be32(b, 4);
    let q = &b[ICMP_HDR..];
    let Some(h) = q.get(..40) else {
        return Err(WireError::short(Layer::Icmp, ICMP_HDR, 40, q.len()));
    };
    if h[0] >> 4 != 6 {
        return Err(WireError::bad_value(
            Layer::Icmp,
            ICMP_HDR,
            "quoted ip version",
            u64::from(h[0] >> 4),
        ));
    }
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[24..40]);
    let (proto, l4, frag) = ip::walk_ext(q, h[6], 40, true).map_err(|e| WireError {
        layer: Layer::Icmp,
        ..e.at(ICMP_HDR)
    })?;
    if proto != PROTO_UDP || frag.is_some_and(|f| f.offset != 0) {
        return Ok(None);
    }
    let off = ICMP_HDR + l4;
    let Some(ports) = b.get(off..off + 4) else {
        return Err(WireError::short(
            Layer::Icmp,
            off,
            4,
            b.len().saturating_sub(off),
        ));
    };
    Ok(Some(Quoted {
        mtu,
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        sport: be16(ports, 0),
        dport: be16(ports, 2),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
