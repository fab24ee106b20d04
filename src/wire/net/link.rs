//! Link layer: where the IP header starts in a frame of a given link type.
//!
//! Ethernet II and its stack of 802.1Q / 802.1ad / old QinQ (0x9100) tags
//! are read with etherparse's header slices (`Ethernet2HeaderSlice`,
//! `SingleVlanHeaderSlice`). Own code, each for a reason:
//! - Linux cooked capture v2 (SLL2, 20 bytes): etherparse 0.21 has no SLL2.
//! - Linux cooked capture v1 (SLL, 16 bytes): etherparse's
//!   `LinuxSllHeaderSlice` rejects every ARPHRD type but five (Ethernet,
//!   netlink, IP-GRE, radiotap, FRAD) and packet types above 7, so the
//!   frames `tcpdump -i any` records on `lo` (ARPHRD_LOOPBACK), on
//!   WireGuard or tun links (ARPHRD_NONE) and on IPoIB (ARPHRD_INFINIBAND)
//!   would become undecodable; we read its protocol field as the EtherType
//!   whatever the hardware type, as libpcap does.
//! - BSD loopback (NULL, LOOP) and the raw IP link types: etherparse has no
//!   header for the first and the second is one version nibble.
//! - The VLAN tag limit ([`MAX_VLAN_TAGS`]) and the 802.3 length rule.

use etherparse::{EtherType, Ethernet2HeaderSlice, SingleVlanHeaderSlice};

use super::len_error;
use crate::wire::linktype;
use crate::wire::{Layer, WireError, WireErrorKind};

/// BSD loopback with the family in network byte order (OpenBSD).
pub const LINKTYPE_LOOP: u32 = 108;

/// VLAN tags followed at most (more is treated as malformed).
pub const MAX_VLAN_TAGS: usize = 8;

const SLL_HDR: usize = 16;
const SLL2_HDR: usize = 20;
const NULL_HDR: usize = 4;

/// The network protocol a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetProto {
    Ipv4,
    Ipv6,
    /// Another EtherType (ARP, LLDP, ...) or an 802.3 length field.
    Other(u16),
}

/// What the link layer says about a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    pub proto: NetProto,
    /// Offset of the network header in the frame.
    pub offset: usize,
    /// Outermost VLAN id, if tagged.
    pub vlan: Option<u16>,
    /// Linux cooked captures (`tcpdump -i any`) say whether the host sent
    /// the frame (packet type 4, PACKET_OUTGOING) or received it; other
    /// link types do not.
    pub outgoing: Option<bool>,
}

/// Linux's PACKET_OUTGOING: the capturing host sent the frame.
const PACKET_OUTGOING: u16 = 4;

/// A big-endian u16 of an own-parsed header (0 past the end).
#[inline]
fn be16(b: &[u8], i: usize) -> u16 {
    match b.get(i..i + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

#[inline]
fn from_ethertype(t: EtherType) -> NetProto {
    match t {
        EtherType::IPV4 => NetProto::Ipv4,
        EtherType::IPV6 => NetProto::Ipv6,
        t => NetProto::Other(t.0),
    }
}

/// Follows VLAN tags (etherparse's `SingleVlanHeaderSlice`, one at a time,
/// at most [`MAX_VLAN_TAGS`]) starting with EtherType `t` whose payload is
/// at `off`.
#[inline(always)]
fn ethertype_chain(frame: &[u8], mut t: EtherType, mut off: usize) -> Result<LinkInfo, WireError> {
    let mut vlan = None;
    let mut tags = 0;
    while matches!(
        t,
        EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME
    ) {
        let tag = SingleVlanHeaderSlice::from_slice(frame.get(off..).unwrap_or(&[]))
            .map_err(|e| len_error(Layer::Vlan, off, e))?;
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(WireError::bad_value(
                Layer::Vlan,
                off,
                "tag count",
                tags as u64,
            ));
        }
        if vlan.is_none() {
            vlan = Some(tag.vlan_identifier().value());
        }
        t = tag.ether_type();
        off += tag.slice().len();
    }
    Ok(LinkInfo {
        proto: from_ethertype(t),
        offset: off,
        vlan,
        outgoing: None,
    })
}

/// True for the link types [`parse`] understands (so a caller can warn once
/// per input instead of once per frame).
pub fn is_supported(lt: u32) -> bool {
    matches!(
        lt,
        linktype::ETHERNET
            | linktype::LINUX_SLL
            | linktype::LINUX_SLL2
            | linktype::RAW
            | linktype::RAW_ALT12
            | linktype::RAW_ALT14
            | linktype::IPV4
            | linktype::IPV6
            | linktype::NULL
            | LINKTYPE_LOOP
    )
}

/// Finds the network header of a frame of link type `lt`.
#[inline]
pub fn parse(lt: u32, frame: &[u8]) -> Result<LinkInfo, WireError> {
    match lt {
        linktype::ETHERNET => {
            let eth = Ethernet2HeaderSlice::from_slice(frame)
                .map_err(|e| len_error(Layer::Link, 0, e))?;
            let t = eth.ether_type();
            let off = eth.slice().len();
            if t.0 < 0x0600 {
                // 802.3 length: LLC/SNAP, not IP for our purposes.
                return Ok(LinkInfo {
                    proto: NetProto::Other(t.0),
                    offset: off,
                    vlan: None,
                    outgoing: None,
                });
            }
            ethertype_chain(frame, t, off)
        }
        linktype::LINUX_SLL2 => {
            if frame.len() < SLL2_HDR {
                return Err(WireError::short(Layer::Link, 0, SLL2_HDR, frame.len()));
            }
            // Packet type: one byte at offset 10.
            let out = frame.get(10).map(|t| u16::from(*t) == PACKET_OUTGOING);
            ethertype_chain(frame, EtherType(be16(frame, 0)), SLL2_HDR)
                .map(|l| LinkInfo { outgoing: out, ..l })
        }
        linktype::LINUX_SLL => {
            if frame.len() < SLL_HDR {
                return Err(WireError::short(Layer::Link, 0, SLL_HDR, frame.len()));
            }
            // Packet type: two bytes at offset 0.
            let out = be16(frame, 0) == PACKET_OUTGOING;
            ethertype_chain(frame, EtherType(be16(frame, 14)), SLL_HDR).map(|l| LinkInfo {
                outgoing: Some(out),
                ..l
            })
        }
        linktype::RAW | linktype::RAW_ALT12 | linktype::RAW_ALT14 => {
            match frame.first().map(|b| b >> 4) {
                Some(4) => Ok(LinkInfo {
                    proto: NetProto::Ipv4,
                    offset: 0,
                    vlan: None,
                    outgoing: None,
                }),
                Some(6) => Ok(LinkInfo {
                    proto: NetProto::Ipv6,
                    offset: 0,
                    vlan: None,
                    outgoing: None,
                }),
                Some(v) => Err(WireError::bad_value(
                    Layer::Link,
                    0,
                    "ip version",
                    u64::from(v),
                )),
                None => Err(WireError::short(Layer::Link, 0, 1, 0)),
            }
        }
        linktype::IPV4 => Ok(LinkInfo {
            proto: NetProto::Ipv4,
            offset: 0,
            vlan: None,
            outgoing: None,
        }),
        linktype::IPV6 => Ok(LinkInfo {
            proto: NetProto::Ipv6,
            offset: 0,
            vlan: None,
            outgoing: None,
        }),
        linktype::NULL | LINKTYPE_LOOP => {
            let Some(h) = frame.get(..NULL_HDR) else {
                return Err(WireError::short(Layer::Link, 0, NULL_HDR, frame.len()));
            };
            let h = [h[0], h[1], h[2], h[3]];
            // NULL stores the family in the capturing host's order, LOOP in
            // network order; families are small, so the order shows itself.
            let le = u32::from_le_bytes(h);
            let fam = if le < 0x100 {
                le
            } else {
                u32::from_be_bytes(h)
            };
            let proto = match fam {
                2 => NetProto::Ipv4,
                10 | 24 | 28 | 30 => NetProto::Ipv6,
                f => NetProto::Other(f as u16),
            };
            Ok(LinkInfo {
                proto,
                offset: NULL_HDR,
                vlan: None,
                outgoing: None,
            })
        }
        _ => Err(WireError {
            layer: Layer::Link,
            offset: 0,
            kind: WireErrorKind::Unsupported("link type"),
            cleartext: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // dst mac, src mac, 802.1ad tag (vid 100), 802.1Q tag (vid 200), IPv4.
    const QINQ: [u8; 23] = [
        0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, // macs
        0x88, 0xa8, 0x00, 0x64, // S-tag, vid 100
        0x81, 0x00, 0x20, 0xc8, // C-tag, pcp 1, vid 200
        0x08, 0x00, // IPv4
        0x45,
    ];

    #[test]
    fn ethernet_qinq() {
        let l = parse(linktype::ETHERNET, &QINQ).unwrap();
        assert_eq!(
            l,
            LinkInfo {
                proto: NetProto::Ipv4,
                offset: 22,
                vlan: Some(100),
                outgoing: None,
            }
        );
    }

    #[test]
    fn ethernet_qinq_truncated_every_length() {
        for n in 0..22 {
            let e = parse(linktype::ETHERNET, &QINQ[..n]).unwrap_err();
            if n < 14 {
                assert_eq!(e, WireError::short(Layer::Link, 0, 14, n));
            } else if n < 18 {
                assert_eq!(e, WireError::short(Layer::Vlan, 14, 4, n - 14));
            } else {
                assert_eq!(e, WireError::short(Layer::Vlan, 18, 4, n - 18));
            }
        }
    }

    #[test]
    fn too_many_tags() {
        let mut f = vec![0u8; 12];
        for _ in 0..10 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        f.extend_from_slice(&[0x08, 0x00]);
        let e = parse(linktype::ETHERNET, &f).unwrap_err();
        assert_eq!(e.layer, Layer::Vlan);
        assert!(matches!(
            e.kind,
            WireErrorKind::BadValue {
                field: "tag count",
                ..
            }
        ));
    }

    #[test]
    fn ethernet_8023_length_is_other() {
        let mut f = [0u8; 20];
        f[12] = 0x00;
        f[13] = 0x40;
        assert_eq!(
            parse(linktype::ETHERNET, &f).unwrap().proto,
            NetProto::Other(0x40)
        );
    }

    #[test]
    fn sll_v1_ipv6_with_vlan() {
        // packet type 0 (to us), ARPHRD_ETHER, addr len 6, addr, protocol 802.1Q
        let f = [
            0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x81, 0x00, // SLL
            0x00, 0x07, 0x86, 0xdd, // vid 7, IPv6
            0x60,
        ];
        assert_eq!(
            parse(linktype::LINUX_SLL, &f).unwrap(),
            LinkInfo {
                proto: NetProto::Ipv6,
                offset: 20,
                vlan: Some(7),
                outgoing: Some(false),
            }
        );
        for n in 0..16 {
            assert_eq!(
                parse(linktype::LINUX_SLL, &f[..n]).unwrap_err(),
                WireError::short(Layer::Link, 0, 16, n)
            );
        }
    }

    #[test]
    fn sll_loopback_and_tun_are_read() {
        // `tcpdump -i any` on lo: ARPHRD_LOOPBACK (772), sent by this host;
        // on a WireGuard or tun link: ARPHRD_NONE (0xfffe).
        for hw in [[0x03, 0x04], [0xff, 0xfe]] {
            let f = [
                0x00, 0x04, hw[0], hw[1], 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0x45,
            ];
            assert_eq!(
                parse(linktype::LINUX_SLL, &f).unwrap(),
                LinkInfo {
                    proto: NetProto::Ipv4,
                    offset: 16,
                    vlan: None,
                    outgoing: Some(true),
                }
            );
            // The reason SLL stays own code: etherparse 0.21 refuses both.
            assert!(etherparse::LinuxSllHeaderSlice::from_slice(&f).is_err());
        }
    }

    #[test]
    fn sll2_ipv4() {
        let f = [
            0x08, 0x00, 0, 0, 0, 0, 0, 6, 0x00, 0x01, 0x04, 0x06, 1, 2, 3, 4, 5, 6, 0,
            0, // SLL2
            0x45,
        ];
        assert_eq!(
            parse(linktype::LINUX_SLL2, &f).unwrap(),
            LinkInfo {
                proto: NetProto::Ipv4,
                offset: 20,
                vlan: None,
                // packet type 4 at offset 10: sent by this host
                outgoing: Some(true),
            }
        );
        for n in 0..20 {
            assert_eq!(
                parse(linktype::LINUX_SLL2, &f[..n]).unwrap_err(),
                WireError::short(Layer::Link, 0, 20, n)
            );
        }
    }

    #[test]
    fn raw_and_null() {
        assert_eq!(parse(linktype::RAW, &[0x45]).unwrap().proto, NetProto::Ipv4);
        assert_eq!(
            parse(linktype::RAW_ALT14, &[0x60]).unwrap().proto,
            NetProto::Ipv6
        );
        assert_eq!(
            parse(linktype::RAW, &[]).unwrap_err(),
            WireError::short(Layer::Link, 0, 1, 0)
        );
        assert_eq!(
            parse(linktype::RAW, &[0x10]).unwrap_err(),
            WireError::bad_value(Layer::Link, 0, "ip version", 1)
        );
        assert_eq!(parse(linktype::IPV6, &[]).unwrap().offset, 0);
        // NULL, little-endian host, AF_INET
        assert_eq!(
            parse(linktype::NULL, &[2, 0, 0, 0, 0x45]).unwrap(),
            LinkInfo {
                proto: NetProto::Ipv4,
                offset: 4,
                vlan: None,
                outgoing: None,
            }
        );
        // NULL, big-endian host, AF_INET6 (FreeBSD 28)
        assert_eq!(
            parse(linktype::NULL, &[0, 0, 0, 28]).unwrap().proto,
            NetProto::Ipv6
        );
        assert_eq!(
            parse(LINKTYPE_LOOP, &[0, 0, 0, 2]).unwrap().proto,
            NetProto::Ipv4
        );
        for n in 0..4 {
            assert_eq!(
                parse(linktype::NULL, &[2, 0, 0, 0][..n]).unwrap_err(),
                WireError::short(Layer::Link, 0, 4, n)
            );
        }
    }

    #[test]
    fn unknown_linktype() {
        assert!(!is_supported(147) && is_supported(276) && is_supported(12));
        let e = parse(147, &[0; 64]).unwrap_err();
        assert_eq!(e.kind, WireErrorKind::Unsupported("link type"));
    }
}
