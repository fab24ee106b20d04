//! IPv4 and IPv6 headers as checked views. Offsets in errors are relative to
//! the start of the IP header; the caller moves them with `WireError::at`.

use super::link::{be16, be32};
use crate::wire::{Layer, WireError};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;

const EXT_HOP_BY_HOP: u8 = 0;
const EXT_ROUTING: u8 = 43;
const EXT_FRAGMENT: u8 = 44;
const EXT_AH: u8 = 51;
const EXT_DEST_OPTS: u8 = 60;
const EXT_MOBILITY: u8 = 135;
const EXT_HIP: u8 = 139;
const EXT_SHIM6: u8 = 140;

/// Extension headers followed at most.
pub const MAX_EXT_HEADERS: usize = 16;

/// The fields of an IPv4 header corowire uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4 {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    /// Header length in bytes (IHL * 4).
    pub hdr_len: usize,
    /// Total length: the header's value, or the bytes present when it is 0
    /// (segmentation offload on the capturing host).
    pub total_len: usize,
    pub tos: u8,
    pub ttl: u8,
    pub proto: u8,
    pub id: u16,
    pub df: bool,
    pub mf: bool,
    /// Fragment offset in bytes.
    pub frag_off: u32,
}

impl Ipv4 {
    pub fn is_fragment(&self) -> bool {
        self.mf || self.frag_off != 0
    }

    /// Parses the header at the start of `b` (which may be cut by snaplen
    /// after the header).
    #[inline]
    pub fn parse(b: &[u8]) -> Result<Ipv4, WireError> {
        let Some(h) = b.get(..20) else {
            return Err(WireError::short(Layer::Ipv4, 0, 20, b.len()));
        };
        let version = h[0] >> 4;
        if version != 4 {
            return Err(WireError::bad_value(
                Layer::Ipv4,
                0,
                "version",
                u64::from(version),
            ));
        }
        let hdr_len = usize::from(h[0] & 0x0f) * 4;
        if hdr_len < 20 {
            return Err(WireError::bad_value(
                Layer::Ipv4,
                0,
                "ihl",
                (hdr_len / 4) as u64,
            ));
        }
        if b.len() < hdr_len {
            return Err(WireError::short(Layer::Ipv4, 0, hdr_len, b.len()));
        }
        let declared = usize::from(be16(h, 2));
        let total_len = if declared == 0 { b.len() } else { declared };
        if total_len < hdr_len {
            return Err(WireError::bad_length(
                Layer::Ipv4,
                2,
                "total length",
                declared as u64,
                b.len(),
            ));
        }
        let flags = be16(h, 6);
        Ok(Ipv4 {
            src: [h[12], h[13], h[14], h[15]],
            dst: [h[16], h[17], h[18], h[19]],
            hdr_len,
            total_len,
            tos: h[1],
            ttl: h[8],
            proto: h[9],
            id: be16(h, 4),
            df: flags & 0x4000 != 0,
            mf: flags & 0x2000 != 0,
            frag_off: u32::from(flags & 0x1fff) * 8,
        })
    }
}

/// An IPv6 fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Frag {
    /// Offset in bytes.
    pub offset: u32,
    pub more: bool,
    pub id: u32,
}

/// The fields of an IPv6 header (and its extension headers) corowire uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6 {
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub traffic_class: u8,
    pub hop_limit: u8,
    /// Payload length: the header's value, or the bytes present when it is 0
    /// (jumbogram or offload).
    pub payload_len: usize,
    /// The upper-layer protocol (after a fragment header: its next header).
    pub proto: u8,
    /// Offset of the upper-layer header (after a fragment header: of the
    /// fragmentable part).
    pub l4_off: usize,
    pub frag: Option<Ipv6Frag>,
}

impl Ipv6 {
    /// Parses the fixed header and walks the extension headers of `b`.
    #[inline]
    pub fn parse(b: &[u8]) -> Result<Ipv6, WireError> {
        let Some(h) = b.get(..40) else {
            return Err(WireError::short(Layer::Ipv6, 0, 40, b.len()));
        };
        let version = h[0] >> 4;
        if version != 6 {
            return Err(WireError::bad_value(
                Layer::Ipv6,
                0,
                "version",
                u64::from(version),
            ));
        }
        let mut src = [0u8; 16];
        src.copy_from_slice(&h[8..24]);
        let mut dst = [0u8; 16];
        dst.copy_from_slice(&h[24..40]);
        let declared = usize::from(be16(h, 4));
        let payload_len = if declared == 0 {
            b.len() - 40
        } else {
            declared
        };
        let (proto, l4_off, frag) = if h[6] == PROTO_UDP {
            (PROTO_UDP, 40, None)
        } else {
            walk_ext(b, h[6], 40, true)?
        };
        Ok(Ipv6 {
            src,
            dst,
            traffic_class: ((be16(h, 0) >> 4) & 0xff) as u8,
            hop_limit: h[7],
            payload_len,
            proto,
            l4_off,
            frag,
        })
    }
}

fn is_ext(nh: u8) -> bool {
    matches!(
        nh,
        EXT_HOP_BY_HOP
            | EXT_ROUTING
            | EXT_FRAGMENT
            | EXT_AH
            | EXT_DEST_OPTS
            | EXT_MOBILITY
            | EXT_HIP
            | EXT_SHIM6
    )
}

/// Skips IPv6 extension headers in `b` starting with next header `nh` at
/// `off`. Stops at the first non-extension header, or (when `stop_at_frag`)
/// right after a fragment header, returning (protocol, offset, fragment).
pub fn walk_ext(
    b: &[u8],
    mut nh: u8,
    mut off: usize,
    stop_at_frag: bool,
) -> Result<(u8, usize, Option<Ipv6Frag>), WireError> {
    let mut n = 0;
    while is_ext(nh) {
        n += 1;
        if n > MAX_EXT_HEADERS {
            return Err(WireError::bad_value(
                Layer::Ipv6,
                off,
                "extension header count",
                n as u64,
            ));
        }
        let Some(e) = b.get(off..off + 8) else {
            return Err(WireError::short(
                Layer::Ipv6,
                off,
                8,
                b.len().saturating_sub(off),
            ));
        };
        let next = e[0];
        if nh == EXT_FRAGMENT {
            let fo = be16(e, 2);
            let frag = Ipv6Frag {
                offset: u32::from(fo & 0xfff8),
                more: fo & 1 != 0,
                id: be32(e, 4),
            };
            off += 8;
            if stop_at_frag {
                return Ok((next, off, Some(frag)));
            }
            nh = next;
            continue;
        }
        let len = if nh == EXT_AH {
            (usize::from(e[1]) + 2) * 4
        } else {
            (usize::from(e[1]) + 1) * 8
        };
        if b.len() < off + len {
            return Err(WireError::short(Layer::Ipv6, off, len, b.len() - off));
        }
        off += len;
        nh = next;
    }
    Ok((nh, off, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireErrorKind;

    // IPv4, IHL 6 (one NOP option word), total 32, id 0x1234, DF, ttl 64, UDP.
    const V4_OPTS: [u8; 24] = [
        0x46, 0x10, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, // ...
        10, 99, 0, 1, 10, 99, 0, 2, // addresses
        0x01, 0x01, 0x01, 0x00, // options: NOP NOP NOP EOL
    ];

    #[test]
    fn ipv4_with_options() {
        let ip = Ipv4::parse(&V4_OPTS).unwrap();
        assert_eq!(ip.hdr_len, 24);
        assert_eq!(ip.total_len, 32);
        assert_eq!((ip.tos, ip.ttl, ip.proto, ip.id), (0x10, 64, 17, 0x1234));
        assert!(ip.df && !ip.mf && !ip.is_fragment());
        assert_eq!(ip.src, [10, 99, 0, 1]);
    }

    #[test]
    fn ipv4_truncated_every_length() {
        for n in 0..24 {
            let e = Ipv4::parse(&V4_OPTS[..n]).unwrap_err();
            let need = if n < 20 { 20 } else { 24 };
            assert_eq!(e, WireError::short(Layer::Ipv4, 0, need, n), "len {n}");
        }
    }

    #[test]
    fn ipv4_bad_fields() {
        let mut b = V4_OPTS;
        b[0] = 0x44;
        assert_eq!(
            Ipv4::parse(&b).unwrap_err(),
            WireError::bad_value(Layer::Ipv4, 0, "ihl", 4)
        );
        b[0] = 0x56;
        assert_eq!(
            Ipv4::parse(&b).unwrap_err(),
            WireError::bad_value(Layer::Ipv4, 0, "version", 5)
        );
        let mut b = V4_OPTS;
        b[3] = 22; // total length below the header length
        assert_eq!(
            Ipv4::parse(&b).unwrap_err().kind,
            WireErrorKind::BadLength {
                field: "total length",
                value: 22,
                have: 24
            }
        );
        let mut b = V4_OPTS;
        b[6] = 0x20; // MF
        b[7] = 0x03; // offset 3 * 8
        let ip = Ipv4::parse(&b).unwrap();
        assert!(ip.mf && ip.is_fragment());
        assert_eq!(ip.frag_off, 24);
        let mut b = V4_OPTS;
        b[2] = 0;
        b[3] = 0; // TSO: total length 0 means "as present"
        assert_eq!(Ipv4::parse(&b).unwrap().total_len, 24);
    }

    fn v6(nh: u8, ext: &[u8]) -> Vec<u8> {
        let mut b = vec![0x6a, 0xb0, 0x00, 0x00];
        b.extend_from_slice(&((ext.len() + 8) as u16).to_be_bytes());
        b.push(nh);
        b.push(64);
        b.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        b.extend_from_slice(ext);
        b.extend_from_slice(&[0x15, 0x1d, 0x15, 0x1d, 0, 8, 0, 0]); // UDP 5405 -> 5405
        b
    }

    #[test]
    fn ipv6_plain_udp() {
        let b = v6(17, &[]);
        let ip = Ipv6::parse(&b).unwrap();
        assert_eq!(
            (
                ip.proto,
                ip.l4_off,
                ip.payload_len,
                ip.hop_limit,
                ip.traffic_class
            ),
            (17, 40, 8, 64, 0xab)
        );
        assert_eq!(ip.frag, None);
        for n in 0..40 {
            assert_eq!(
                Ipv6::parse(&b[..n]).unwrap_err(),
                WireError::short(Layer::Ipv6, 0, 40, n)
            );
        }
    }

    #[test]
    fn ipv6_hop_by_hop_routing_destopts() {
        // HBH (8, next routing), routing (16, next destopts), destopts (8, next UDP)
        let mut ext = vec![43, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        ext.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        let b = v6(0, &ext);
        let ip = Ipv6::parse(&b).unwrap();
        assert_eq!((ip.proto, ip.l4_off), (17, 72));
        // Cut inside each extension header: a short error at that header.
        for n in 40..72 {
            let e = Ipv6::parse(&b[..n]).unwrap_err();
            assert_eq!(e.layer, Layer::Ipv6);
            let at = if n < 48 {
                40
            } else if n < 64 {
                48
            } else {
                64
            };
            assert_eq!(e.offset, at, "len {n}");
            assert!(matches!(e.kind, WireErrorKind::Short { .. }));
        }
    }

    #[test]
    fn ipv6_fragment_header() {
        // fragment header: next UDP, offset 185 * 8, M, id 0xdeadbeef
        let ext = [17, 0, 0x05, 0xc9, 0xde, 0xad, 0xbe, 0xef];
        let b = v6(44, &ext);
        let ip = Ipv6::parse(&b).unwrap();
        assert_eq!(
            ip.frag,
            Some(Ipv6Frag {
                offset: 1480,
                more: true,
                id: 0xdead_beef
            })
        );
        assert_eq!((ip.proto, ip.l4_off), (17, 48));
    }

    #[test]
    fn ipv6_ext_loop_is_bounded() {
        let mut ext = Vec::new();
        for _ in 0..20 {
            ext.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]);
        }
        let b = v6(60, &ext);
        let e = Ipv6::parse(&b).unwrap_err();
        assert!(matches!(
            e.kind,
            WireErrorKind::BadValue {
                field: "extension header count",
                ..
            }
        ));
    }
}
