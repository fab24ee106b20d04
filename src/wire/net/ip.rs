//! IPv4 and IPv6 headers, read with etherparse's header slices:
//! `Ipv4HeaderSlice`, `Ipv6HeaderSlice` and, one extension header at a
//! time, `Ipv6RawExtHeaderSlice`, `Ipv6FragmentHeaderSlice` and
//! `IpAuthHeaderSlice`. Offsets in errors are relative to the start of the
//! IP header; the caller moves them with `WireError::at`.
//!
//! Own code, each for a reason:
//! - The length rules. A frame cut by snaplen still yields its headers
//!   (etherparse's `Ipv4Slice` / `Ipv6Slice` refuse a payload shorter than
//!   the header declares), and a length of 0 means "the bytes present"
//!   (segmentation offload on the capturing host, IPv6 jumbograms).
//! - The extension header walk ([`walk_ext`]). etherparse's
//!   `Ipv6ExtensionsSlice` reads on past a fragment header (in a later
//!   fragment those bytes are data, not headers), stops at Mobility, HIP
//!   and Shim6 headers, refuses a hop-by-hop header that is not first, and
//!   has no bound on the number of headers; ours is bounded at
//!   [`MAX_EXT_HEADERS`].

use etherparse::err::{ip_auth, ipv4, ipv6};
use etherparse::{
    IpAuthHeaderSlice, IpNumber, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice,
    Ipv6RawExtHeaderSlice,
};

use super::len_error;
use crate::wire::{Layer, WireError};

pub const PROTO_ICMP: u8 = IpNumber::ICMP.0;
pub const PROTO_UDP: u8 = IpNumber::UDP.0;
pub const PROTO_ICMPV6: u8 = IpNumber::IPV6_ICMP.0;

/// Extension headers followed at most.
pub const MAX_EXT_HEADERS: usize = 16;

/// An IPv4 header (etherparse's slice) and the total length corowire uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4<'a> {
    pub h: Ipv4HeaderSlice<'a>,
    /// Total length: the header's value, or the bytes present when it is 0
    /// (segmentation offload on the capturing host).
    pub total_len: usize,
}

impl<'a> Ipv4<'a> {
    /// Parses the header at the start of `b` (which may be cut by snaplen
    /// after the header).
    #[inline]
    pub fn parse(b: &'a [u8]) -> Result<Ipv4<'a>, WireError> {
        let h = Ipv4HeaderSlice::from_slice(b).map_err(v4_error)?;
        let declared = usize::from(h.total_len());
        let total_len = if declared == 0 { b.len() } else { declared };
        if total_len < h.slice().len() {
            return Err(WireError::bad_length(
                Layer::Ipv4,
                2,
                "total length",
                declared as u64,
                b.len(),
            ));
        }
        Ok(Ipv4 { h, total_len })
    }

    /// Header length in bytes (IHL * 4).
    #[inline]
    pub fn hdr_len(&self) -> usize {
        self.h.slice().len()
    }

    /// The TOS byte (etherparse gives it as DSCP and ECN).
    #[inline]
    pub fn tos(&self) -> u8 {
        (self.h.dcp().value() << 2) | self.h.ecn().value()
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_off(&self) -> u32 {
        u32::from(self.h.fragments_offset().value()) * 8
    }
}

#[cold]
fn v4_error(e: ipv4::HeaderSliceError) -> WireError {
    match e {
        ipv4::HeaderSliceError::Len(e) => len_error(Layer::Ipv4, 0, e),
        ipv4::HeaderSliceError::Content(ipv4::HeaderError::UnexpectedVersion {
            version_number,
        }) => WireError::bad_value(Layer::Ipv4, 0, "version", u64::from(version_number)),
        ipv4::HeaderSliceError::Content(ipv4::HeaderError::HeaderLengthSmallerThanHeader {
            ihl,
        }) => WireError::bad_value(Layer::Ipv4, 0, "ihl", u64::from(ihl)),
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

/// An IPv6 header (etherparse's slice) and what its extension headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6<'a> {
    pub h: Ipv6HeaderSlice<'a>,
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

impl<'a> Ipv6<'a> {
    /// Parses the fixed header and walks the extension headers of `b`.
    #[inline]
    pub fn parse(b: &'a [u8]) -> Result<Ipv6<'a>, WireError> {
        let h = Ipv6HeaderSlice::from_slice(b).map_err(|e| v6_error(Layer::Ipv6, "version", e))?;
        let declared = usize::from(h.payload_length());
        let hdr = h.slice().len();
        let payload_len = if declared == 0 {
            b.len() - hdr
        } else {
            declared
        };
        let nh = h.next_header().0;
        let (proto, l4_off, frag) = if nh == PROTO_UDP {
            (PROTO_UDP, hdr, None)
        } else {
            walk_ext(b, nh, hdr, true)?
        };
        Ok(Ipv6 {
            h,
            payload_len,
            proto,
            l4_off,
            frag,
        })
    }
}

/// An `Ipv6HeaderSlice` error as `layer`'s, the version named `field`.
#[cold]
pub(crate) fn v6_error(layer: Layer, field: &'static str, e: ipv6::HeaderSliceError) -> WireError {
    match e {
        ipv6::HeaderSliceError::Len(e) => len_error(layer, 0, e),
        ipv6::HeaderSliceError::Content(ipv6::HeaderError::UnexpectedVersion {
            version_number,
        }) => WireError::bad_value(layer, 0, field, u64::from(version_number)),
    }
}

#[cold]
fn ah_error(off: usize, e: ip_auth::HeaderSliceError) -> WireError {
    match e {
        ip_auth::HeaderSliceError::Len(e) => len_error(Layer::Ipv6, off, e),
        ip_auth::HeaderSliceError::Content(ip_auth::HeaderError::ZeroPayloadLen) => {
            WireError::bad_value(Layer::Ipv6, off + 1, "ah payload length", 0)
        }
    }
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
    loop {
        let t = IpNumber(nh);
        if !matches!(
            t,
            IpNumber::IPV6_FRAGMENTATION_HEADER | IpNumber::AUTHENTICATION_HEADER
        ) && !Ipv6RawExtHeaderSlice::header_type_supported(t)
        {
            return Ok((nh, off, None));
        }
        n += 1;
        if n > MAX_EXT_HEADERS {
            return Err(WireError::bad_value(
                Layer::Ipv6,
                off,
                "extension header count",
                n as u64,
            ));
        }
        let rest = b.get(off..).unwrap_or(&[]);
        let (next, len) = match t {
            IpNumber::IPV6_FRAGMENTATION_HEADER => {
                let f = Ipv6FragmentHeaderSlice::from_slice(rest)
                    .map_err(|e| len_error(Layer::Ipv6, off, e))?;
                if stop_at_frag {
                    let frag = Ipv6Frag {
                        offset: u32::from(f.fragment_offset().value()) * 8,
                        more: f.more_fragments(),
                        id: f.identification(),
                    };
                    return Ok((f.next_header().0, off + f.slice().len(), Some(frag)));
                }
                (f.next_header(), f.slice().len())
            }
            IpNumber::AUTHENTICATION_HEADER => {
                let a = IpAuthHeaderSlice::from_slice(rest).map_err(|e| ah_error(off, e))?;
                (a.next_header(), a.slice().len())
            }
            _ => {
                let e = Ipv6RawExtHeaderSlice::from_slice(rest)
                    .map_err(|e| len_error(Layer::Ipv6, off, e))?;
                (e.next_header(), e.slice().len())
            }
        };
        off += len;
        nh = next.0;
    }
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
        assert_eq!(ip.hdr_len(), 24);
        assert_eq!(ip.total_len, 32);
        let h = &ip.h;
        assert_eq!(
            (ip.tos(), h.ttl(), h.protocol().0, h.identification()),
            (0x10, 64, 17, 0x1234)
        );
        assert!(h.dont_fragment() && !h.more_fragments() && !h.is_fragmenting_payload());
        assert_eq!(h.source(), [10, 99, 0, 1]);
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
        assert!(ip.h.more_fragments() && ip.h.is_fragmenting_payload());
        assert_eq!(ip.frag_off(), 24);
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
                ip.h.hop_limit(),
                ip.h.traffic_class()
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
    fn ipv6_headers_etherparse_walk_would_refuse() {
        // Destination options, then hop-by-hop (not first), then Mobility
        // (135), then UDP: etherparse's `Ipv6ExtensionsSlice` errs on the
        // second and stops at the third; all three are skipped here.
        let mut ext = vec![0, 0, 1, 4, 0, 0, 0, 0];
        ext.extend_from_slice(&[135, 0, 1, 4, 0, 0, 0, 0]);
        ext.extend_from_slice(&[17, 0, 0, 0, 0, 0, 0, 0]);
        let b = v6(60, &ext);
        let ip = Ipv6::parse(&b).unwrap();
        assert_eq!((ip.proto, ip.l4_off, ip.frag), (17, 64, None));
        assert!(etherparse::Ipv6ExtensionsSlice::from_slice(IpNumber(60), &b[40..]).is_err());
    }

    #[test]
    fn ipv6_authentication_header() {
        // AH: payload length 2 (16 bytes: next, length, reserved, SPI,
        // sequence number, 4 bytes of ICV), then UDP.
        let mut ext = vec![17, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9];
        ext.extend_from_slice(&[0xaa; 4]);
        let b = v6(51, &ext);
        let ip = Ipv6::parse(&b).unwrap();
        assert_eq!((ip.proto, ip.l4_off), (17, 56));
        // Cut inside it: short at the AH, which needs at least 12 bytes
        // (RFC 4302), then the 16 its length says.
        for n in 40..56 {
            let need = if n < 52 { 12 } else { 16 };
            assert_eq!(
                Ipv6::parse(&b[..n]).unwrap_err(),
                WireError::short(Layer::Ipv6, 40, need, n - 40),
                "len {n}"
            );
        }
        // A payload length of 0 (an 8-byte AH) is not an AH.
        let mut zero = b.clone();
        zero[41] = 0;
        assert_eq!(
            Ipv6::parse(&zero).unwrap_err(),
            WireError::bad_value(Layer::Ipv6, 41, "ah payload length", 0)
        );
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
