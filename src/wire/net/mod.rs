//! Link, IP and UDP layers: from a captured frame to a UDP datagram (or an
//! ICMP notice that matters for path MTU), with IP fragments reassembled in
//! bounded memory.
//!
//! The headers are read with etherparse's zero-copy header slices, composed
//! by hand layer by layer (cheaper than its `SlicedPacket`, and every error
//! keeps the byte offset where the failing header starts: benches/README.md).
//! What stays own code is named, with its reason, in each module: the Linux
//! cooked and BSD loopback link headers (`link`), the IP length rules and
//! the IPv6 extension header walk (`ip`), the quoted ports of ICMP
//! (`icmp`), the UDP length check below and IP defragmentation (`defrag`).
//!
//! OWNER: capture/net helper. The types below are the contract the rest of
//! corowire codes against; keep their names and fields.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Layer, WireError};

pub mod defrag;
pub mod icmp;
pub mod ip;
pub mod link;

use etherparse::UdpHeaderSlice;
use etherparse::err::LenError;

use defrag::{Defrag, FirstInfo, Fragment, Key, Outcome};
use ip::{Ipv4, Ipv6, PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP};
use link::NetProto;

/// An etherparse length error as corowire's: `layer` starts at `offset`
/// in the frame (etherparse counts from the slice it was given).
#[cold]
pub(crate) fn len_error(layer: Layer, offset: usize, e: LenError) -> WireError {
    WireError::short(layer, offset, e.required_len, e.len)
}

/// A UDP datagram found in a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// The UDP payload bytes present (shorter than `payload_len` when the
    /// capture cut the frame).
    pub payload: &'a [u8],
    /// The payload length the UDP header declares.
    pub payload_len: usize,
    /// IP total length (IPv6: 40 + payload length, extension headers included).
    pub ip_len: u32,
    /// IPv4 TOS / IPv6 traffic class.
    pub tos: u8,
    /// IPv4 DF bit (always true for IPv6, which never fragments in flight).
    pub dont_fragment: bool,
    pub ttl: u8,
    /// Outermost 802.1Q VLAN id, if any.
    pub vlan: Option<u16>,
    /// Byte offset of the UDP payload within the frame (0 for a datagram
    /// rebuilt from IP fragments).
    pub payload_offset: usize,
    /// True when this datagram was rebuilt from IP fragments.
    pub reassembled: bool,
    /// Sent by the capturing host (Linux cooked captures only; None when
    /// the link type does not say).
    pub outgoing: Option<bool>,
}

impl Datagram<'_> {
    /// True when the capture holds fewer payload bytes than UDP declares.
    pub fn is_cut(&self) -> bool {
        self.payload.len() < self.payload_len
    }
}

/// An ICMP / ICMPv6 error that says a packet was too big for a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooBig {
    /// The router or host that sent the ICMP error.
    pub reporter: IpAddr,
    /// The MTU it reports (0 when the sender did not say).
    pub mtu: u32,
    /// Addresses and ports of the datagram that did not fit (from the quoted header).
    pub orig_src: IpAddr,
    pub orig_dst: IpAddr,
    pub orig_sport: u16,
    pub orig_dport: u16,
}

/// What a frame carries, as far as corowire is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetPacket<'a> {
    Udp(Datagram<'a>),
    /// ICMPv4 "fragmentation needed" or ICMPv6 "packet too big".
    TooBig(TooBig),
    /// An IP fragment was stored; the datagram is not complete yet.
    FragmentHeld,
    /// Not UDP (other IP protocols, ARP, ...): skipped.
    NotUdp,
}

/// Limits for the IP fragment reassembly table.
#[derive(Debug, Clone, Copy)]
pub struct DefragLimits {
    /// Datagrams being reassembled at once; beyond this the oldest is dropped.
    pub max_datagrams: usize,
    /// Largest datagram rebuilt (bytes).
    pub max_datagram_len: usize,
    /// A partial datagram older than this (capture time, ns) is dropped.
    pub timeout_ns: i64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagrams: 256,
            max_datagram_len: 65_535,
            timeout_ns: 30_000_000_000,
        }
    }
}

/// Counters kept by the network layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    pub ip_fragments: u64,
    pub datagrams_reassembled: u64,
    pub reassembly_dropped: u64,
    /// What became of the fragments (frames) that were held for reassembly
    /// (`NetPacket::FragmentHeld`); every held frame is in exactly one.
    pub held: HeldFragments,
}

/// The fate of held IP fragments, counted in frames: the fragment that
/// completes a datagram is the datagram's frame, the others are `merged`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldFragments {
    /// Went into a datagram that completed.
    pub merged: u64,
    /// An exact copy of a fragment already held (ignored).
    pub duplicates: u64,
    /// Dropped with their partial datagram, by [`DropReason`] (`as usize`).
    pub dropped: [u64; DropReason::ALL.len()],
    /// Still waiting for the rest of their datagram.
    pub pending: u64,
}

impl HeldFragments {
    /// Held fragments dropped, all reasons.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
    /// Every held fragment: merged, duplicate, dropped or pending.
    pub fn total(&self) -> u64 {
        self.merged + self.duplicates + self.dropped_total() + self.pending
    }
}

/// Why a partial IP datagram (and the fragments held for it) was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Its first fragment is older than the reassembly timeout.
    TimedOut,
    /// The table was full and it was the oldest.
    Evicted,
    /// A fragment overlapped another one with different bytes.
    Overlap,
    /// A fragment lies beyond the datagram's end or the largest datagram.
    BeyondEnd,
    /// A non-final fragment whose length is not a multiple of 8.
    BadLength,
    /// More fragments than one datagram may have.
    TooManyFragments,
    /// A fragment of it was cut by snaplen, so it can never be rebuilt.
    CutBySnaplen,
}

impl DropReason {
    pub const ALL: [DropReason; 7] = [
        DropReason::TimedOut,
        DropReason::Evicted,
        DropReason::Overlap,
        DropReason::BeyondEnd,
        DropReason::BadLength,
        DropReason::TooManyFragments,
        DropReason::CutBySnaplen,
    ];
    pub fn name(self) -> &'static str {
        match self {
            DropReason::TimedOut => "timed out",
            DropReason::Evicted => "evicted (table full)",
            DropReason::Overlap => "overlap",
            DropReason::BeyondEnd => "beyond the datagram end",
            DropReason::BadLength => "length not a multiple of 8",
            DropReason::TooManyFragments => "too many fragments",
            DropReason::CutBySnaplen => "cut by snaplen",
        }
    }
}

/// Stateful network-layer decoder (state = the IP fragment table).
#[derive(Debug, Default)]
pub struct NetDecoder {
    pub limits: DefragLimits,
    pub stats: NetStats,
    defrag: Defrag,
}

/// Facts of the IP layer a datagram inherits.
#[derive(Clone, Copy)]
struct IpFacts {
    /// The addresses as integers (IPv4 in the low 32 bits), made into
    /// `IpAddr`s where they are stored: an `IpAddr` built here and copied
    /// into the datagram was read back from its piecewise stores (a
    /// store-forwarding stall, a third of this layer's time, issue 20).
    src: u128,
    dst: u128,
    v6: bool,
    ip_len: u32,
    tos: u8,
    df: bool,
    ttl: u8,
    vlan: Option<u16>,
}

impl IpFacts {
    #[inline]
    fn addr(&self, bits: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(bits))
        } else {
            IpAddr::V4(Ipv4Addr::from(bits as u32))
        }
    }

    #[inline]
    fn src(&self) -> IpAddr {
        self.addr(self.src)
    }

    #[inline]
    fn dst(&self) -> IpAddr {
        self.addr(self.dst)
    }
}

/// Builds a datagram from the UDP header at `l4` (offset `l4_off` in the
/// frame, read with etherparse's `UdpHeaderSlice`); `ip_payload` is the
/// length IP declares for it. Own code: the UDP length must fit what IP
/// declares, not the bytes present (etherparse's `UdpSlice` refuses a
/// datagram cut by snaplen).
#[inline]
fn datagram<'a>(
    facts: IpFacts,
    l4: &'a [u8],
    l4_off: usize,
    ip_payload: usize,
    reassembled: bool,
) -> Result<NetPacket<'a>, WireError> {
    let u = UdpHeaderSlice::from_slice(l4).map_err(|e| len_error(Layer::Udp, l4_off, e))?;
    let hdr = u.slice().len();
    let len = usize::from(u.length());
    if len < hdr || len > ip_payload {
        return Err(WireError::bad_length(
            Layer::Udp,
            l4_off + 4,
            "length",
            len as u64,
            ip_payload,
        ));
    }
    let payload_len = len - hdr;
    let end = len.min(l4.len());
    let payload = l4.get(hdr..end).unwrap_or(&[]);
    Ok(NetPacket::Udp(Datagram {
        src: facts.src(),
        dst: facts.dst(),
        sport: u.source_port(),
        dport: u.destination_port(),
        payload,
        payload_len,
        ip_len: facts.ip_len,
        tos: facts.tos,
        dont_fragment: facts.df,
        ttl: facts.ttl,
        vlan: facts.vlan,
        payload_offset: if reassembled { 0 } else { l4_off + hdr },
        reassembled,
        outgoing: None,
    }))
}

fn too_big(reporter: IpAddr, q: Option<icmp::Quoted>) -> NetPacket<'static> {
    match q {
        Some(q) => NetPacket::TooBig(TooBig {
            reporter,
            mtu: q.mtu,
            orig_src: q.src,
            orig_dst: q.dst,
            orig_sport: q.sport,
            orig_dport: q.dport,
        }),
        None => NetPacket::NotUdp,
    }
}

impl NetDecoder {
    pub fn new(limits: DefragLimits) -> Self {
        NetDecoder {
            limits,
            stats: NetStats::default(),
            defrag: Defrag::default(),
        }
    }

    /// Partial datagrams in the fragment table.
    pub fn fragments_pending(&self) -> usize {
        self.defrag.pending()
    }

    /// Drops partial datagrams older than the timeout at capture time `ts`
    /// (call at the end of a capture, or periodically, to settle counters).
    pub fn expire(&mut self, ts: i64) {
        self.defrag.expire(ts, &self.limits, &mut self.stats);
    }

    /// Decodes one frame of link type `linktype` captured at `ts` (ns).
    ///
    /// A frame cut by snaplen still yields its datagram when the UDP header
    /// is present (`Datagram::is_cut`). Frames that are not IP, IP that is
    /// not UDP, and ICMP other than "too big" give `NotUdp`. A fragment cut
    /// by snaplen cannot be reassembled: the first one yields its (cut)
    /// datagram, later ones give `NotUdp`, and either way any partial
    /// datagram with that key is dropped and counted.
    #[inline]
    pub fn decode<'a>(
        &'a mut self,
        ts: i64,
        linktype: u32,
        frame: &'a [u8],
    ) -> Result<NetPacket<'a>, WireError> {
        let l = link::parse(linktype, frame)?;
        let Some(net) = frame.get(l.offset..) else {
            return Err(WireError::short(Layer::Link, 0, l.offset, frame.len()));
        };
        let mut r = match l.proto {
            NetProto::Ipv4 => self.ipv4(ts, net, l.offset, l.vlan),
            NetProto::Ipv6 => self.ipv6(ts, net, l.offset, l.vlan),
            NetProto::Other(_) => Ok(NetPacket::NotUdp),
        };
        // Set in place: rebuilding the result copied it whole.
        if let Ok(NetPacket::Udp(d)) = &mut r {
            d.outgoing = l.outgoing;
        }
        r
    }

    #[inline]
    fn ipv4<'a>(
        &'a mut self,
        ts: i64,
        b: &'a [u8],
        base: usize,
        vlan: Option<u16>,
    ) -> Result<NetPacket<'a>, WireError> {
        let ip = Ipv4::parse(b).map_err(|e| e.at(base))?;
        let h = &ip.h;
        let proto = h.protocol().0;
        let fragment = h.is_fragmenting_payload();
        if !fragment && proto != PROTO_UDP && proto != PROTO_ICMP {
            // Most frames of a mixed capture (TCP) end here, before any
            // address is taken.
            return Ok(NetPacket::NotUdp);
        }
        let hdr_len = ip.hdr_len();
        let facts = IpFacts {
            src: u128::from(u32::from(h.source_addr())),
            dst: u128::from(u32::from(h.destination_addr())),
            v6: false,
            ip_len: ip.total_len as u32,
            tos: ip.tos(),
            df: h.dont_fragment(),
            ttl: h.ttl(),
            vlan,
        };
        let end = ip.total_len.min(b.len());
        let l4 = b.get(hdr_len..end).unwrap_or(&[]);
        let l4_off = base + hdr_len;
        let ip_payload = ip.total_len - hdr_len;
        if fragment {
            if proto != PROTO_UDP {
                self.stats.ip_fragments += 1;
                return Ok(NetPacket::NotUdp);
            }
            let key = Key {
                src: facts.src(),
                dst: facts.dst(),
                id: u32::from(h.identification()),
                proto,
            };
            let info = FirstInfo {
                tos: facts.tos,
                ttl: facts.ttl,
                df: facts.df,
                hdr_len,
                vlan,
                next: PROTO_UDP,
            };
            return self.fragment(
                ts,
                key,
                ip.frag_off(),
                h.more_fragments(),
                l4,
                l4_off,
                ip_payload,
                info,
                facts,
            );
        }
        match proto {
            PROTO_UDP => datagram(facts, l4, l4_off, ip_payload, false),
            PROTO_ICMP => {
                let q = icmp::parse_v4(l4).map_err(|e| e.at(l4_off))?;
                Ok(too_big(facts.src(), q))
            }
            _ => Ok(NetPacket::NotUdp),
        }
    }

    #[inline]
    fn ipv6<'a>(
        &'a mut self,
        ts: i64,
        b: &'a [u8],
        base: usize,
        vlan: Option<u16>,
    ) -> Result<NetPacket<'a>, WireError> {
        let ip = Ipv6::parse(b).map_err(|e| e.at(base))?;
        let ip_len = ip.h.slice().len() + ip.payload_len;
        let facts = IpFacts {
            src: u128::from(ip.h.source_addr()),
            dst: u128::from(ip.h.destination_addr()),
            v6: true,
            ip_len: ip_len as u32,
            tos: ip.h.traffic_class(),
            df: true,
            ttl: ip.h.hop_limit(),
            vlan,
        };
        if ip.l4_off > ip_len {
            return Err(WireError::bad_length(
                Layer::Ipv6,
                base + 4,
                "payload length",
                ip.payload_len as u64,
                b.len(),
            ));
        }
        let end = ip_len.min(b.len());
        let l4 = b.get(ip.l4_off..end).unwrap_or(&[]);
        let l4_off = base + ip.l4_off;
        let ip_payload = ip_len - ip.l4_off;
        if let Some(f) = ip.frag {
            // RFC 8200: an atomic fragment (offset 0, no more) is a whole datagram.
            if f.offset != 0 || f.more {
                if !matches!(ip.proto, PROTO_UDP | 0 | 43 | 60) {
                    self.stats.ip_fragments += 1;
                    return Ok(NetPacket::NotUdp);
                }
                let key = Key {
                    src: facts.src(),
                    dst: facts.dst(),
                    id: f.id,
                    proto: 0,
                };
                let info = FirstInfo {
                    tos: facts.tos,
                    ttl: facts.ttl,
                    df: true,
                    hdr_len: ip.l4_off,
                    vlan,
                    next: ip.proto,
                };
                return self.fragment(
                    ts, key, f.offset, f.more, l4, l4_off, ip_payload, info, facts,
                );
            }
            // Extension headers may follow the fragment header.
            let (proto, off, _) =
                ip::walk_ext(b, ip.proto, ip.l4_off, false).map_err(|e| e.at(base))?;
            let l4 = b.get(off..end).unwrap_or(&[]);
            return self.ipv6_upper(proto, facts, l4, base + off, ip_len.saturating_sub(off));
        }
        self.ipv6_upper(ip.proto, facts, l4, l4_off, ip_payload)
    }

    #[inline]
    fn ipv6_upper<'a>(
        &self,
        proto: u8,
        facts: IpFacts,
        l4: &'a [u8],
        l4_off: usize,
        ip_payload: usize,
    ) -> Result<NetPacket<'a>, WireError> {
        match proto {
            PROTO_UDP => datagram(facts, l4, l4_off, ip_payload, false),
            PROTO_ICMPV6 => {
                let q = icmp::parse_v6(l4).map_err(|e| e.at(l4_off))?;
                Ok(too_big(facts.src(), q))
            }
            _ => Ok(NetPacket::NotUdp),
        }
    }

    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn fragment<'a>(
        &'a mut self,
        ts: i64,
        key: Key,
        offset: u32,
        more: bool,
        l4: &'a [u8],
        l4_off: usize,
        ip_payload: usize,
        info: FirstInfo,
        facts: IpFacts,
    ) -> Result<NetPacket<'a>, WireError> {
        if l4.len() < ip_payload {
            // Cut by snaplen: this datagram cannot be rebuilt.
            self.stats.ip_fragments += 1;
            self.defrag
                .forget(&key, &mut self.stats, DropReason::CutBySnaplen);
            self.stats.reassembly_dropped += 1;
            if offset == 0 && info.next == PROTO_UDP {
                return datagram(facts, l4, l4_off, usize::MAX, false);
            }
            return Ok(NetPacket::NotUdp);
        }
        let frag = Fragment {
            key,
            offset,
            more,
            data: l4,
            info,
        };
        match self.defrag.insert(ts, &self.limits, &mut self.stats, frag) {
            Outcome::Held => Ok(NetPacket::FragmentHeld),
            Outcome::Dropped("table full") => Err(WireError {
                layer: Layer::IpFragment,
                offset: l4_off,
                kind: super::WireErrorKind::Overflow("fragment table"),
                cleartext: false,
            }),
            Outcome::Dropped(why) => Err(WireError::bad_value(
                Layer::IpFragment,
                l4_off,
                why,
                u64::from(offset),
            )),
            Outcome::Complete => {
                let info = self.defrag.out_info;
                let out = &self.defrag.out[..];
                let (proto, off) = if key.proto == 0 {
                    // IPv6: the fragmentable part may start with more extension headers.
                    match ip::walk_ext(out, info.next, 0, false) {
                        Ok((p, o, _)) => (p, o),
                        Err(e) => {
                            return Err(WireError {
                                layer: Layer::IpFragment,
                                ..e
                            });
                        }
                    }
                } else {
                    (info.next, 0)
                };
                let facts = IpFacts {
                    ip_len: (info.hdr_len + out.len()) as u32,
                    tos: info.tos,
                    df: info.df,
                    ttl: info.ttl,
                    vlan: info.vlan,
                    ..facts
                };
                let rest = out.get(off..).unwrap_or(&[]);
                match proto {
                    PROTO_UDP => datagram(facts, rest, 0, rest.len(), true),
                    _ => Ok(NetPacket::NotUdp),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireErrorKind;
    use crate::wire::linktype;

    const ETH_V4: [u8; 14] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    const ETH_V6: [u8; 14] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];

    /// IPv4 header (no options) with the given fragment fields.
    fn ipv4(total: u16, id: u16, flags_off: u16, proto: u8) -> Vec<u8> {
        let mut h = vec![0x45, 0x00];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&id.to_be_bytes());
        h.extend_from_slice(&flags_off.to_be_bytes());
        h.extend_from_slice(&[64, proto, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2]);
        h
    }

    fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    }

    fn eth_v4_udp(payload: &[u8]) -> Vec<u8> {
        let mut f = ETH_V4.to_vec();
        f.extend(ipv4((28 + payload.len()) as u16, 7, 0x4000, 17));
        f.extend(udp(5405, 5406, payload));
        f
    }

    fn v6_hdr(payload_len: u16, nh: u8) -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&payload_len.to_be_bytes());
        h.extend_from_slice(&[nh, 32]);
        h.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        h.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        h
    }

    #[test]
    fn ethernet_ipv4_udp() {
        let f = eth_v4_udp(b"hello knet");
        let mut d = NetDecoder::default();
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!(g.src, "10.99.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(g.dst, "10.99.0.2".parse::<IpAddr>().unwrap());
        assert_eq!((g.sport, g.dport), (5405, 5406));
        assert_eq!(g.payload, b"hello knet");
        assert_eq!((g.payload_len, g.ip_len, g.payload_offset), (10, 38, 42));
        assert!(g.dont_fragment && !g.reassembled && !g.is_cut());
        assert_eq!((g.ttl, g.tos, g.vlan), (64, 0, None));
    }

    #[test]
    fn ethernet_padding_is_not_payload() {
        let mut f = eth_v4_udp(b"ab");
        f.resize(60, 0);
        let mut d = NetDecoder::default();
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!(g.payload, b"ab");
    }

    #[test]
    fn truncation_at_every_length() {
        let f = eth_v4_udp(b"0123456789");
        let mut d = NetDecoder::default();
        for n in 0..f.len() {
            match d.decode(0, linktype::ETHERNET, &f[..n]) {
                Err(e) if n < 14 => assert_eq!(e, WireError::short(Layer::Link, 0, 14, n)),
                Err(e) if n < 34 => assert_eq!(e, WireError::short(Layer::Ipv4, 14, 20, n - 14)),
                Err(e) if n < 42 => assert_eq!(e, WireError::short(Layer::Udp, 34, 8, n - 34)),
                Ok(NetPacket::Udp(g)) if n >= 42 => {
                    assert_eq!(g.payload, &f[42..n]);
                    assert_eq!(g.payload_len, 10);
                    assert!(g.is_cut());
                }
                other => panic!("len {n}: {other:?}"),
            }
        }
    }

    #[test]
    fn ipv6_truncation_at_every_length() {
        let mut f = ETH_V6.to_vec();
        f.extend(v6_hdr(12, 17));
        f.extend(udp(5405, 5405, b"abcd"));
        let mut d = NetDecoder::default();
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!(
            (g.payload, g.ip_len, g.ttl, g.payload_offset),
            (&b"abcd"[..], 52, 32, 62)
        );
        for n in 0..f.len() {
            let r = d.decode(0, linktype::ETHERNET, &f[..n]);
            match r {
                Err(e) if n < 14 => assert_eq!(e.layer, Layer::Link),
                Err(e) if n < 54 => assert_eq!(e, WireError::short(Layer::Ipv6, 14, 40, n - 14)),
                Err(e) if n < 62 => assert_eq!(e, WireError::short(Layer::Udp, 54, 8, n - 54)),
                Ok(NetPacket::Udp(g)) => assert!(g.is_cut() && n >= 62),
                other => panic!("len {n}: {other:?}"),
            }
        }
    }

    #[test]
    fn qinq_vlan_reaches_the_datagram() {
        let mut f = vec![
            2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14,
            0x08, 0x00,
        ];
        f.extend(ipv4(30, 1, 0, 17));
        f.extend(udp(5404, 5405, b"xy"));
        let mut d = NetDecoder::default();
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!(
            (g.vlan, g.payload, g.payload_offset),
            (Some(10), &b"xy"[..], 50)
        );
        assert!(!g.dont_fragment);
    }

    #[test]
    fn non_udp_is_skipped() {
        let mut d = NetDecoder::default();
        let mut f = ETH_V4.to_vec();
        f.extend(ipv4(40, 1, 0, 6));
        f.extend([0u8; 20]);
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &f).unwrap(),
            NetPacket::NotUdp
        );
        let arp = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1,
        ];
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &arp).unwrap(),
            NetPacket::NotUdp
        );
        // ICMP echo request: not a too-big notice
        let mut f = ETH_V4.to_vec();
        f.extend(ipv4(28, 1, 0, 1));
        f.extend([8, 0, 0, 0, 0, 1, 0, 1]);
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &f).unwrap(),
            NetPacket::NotUdp
        );
    }

    #[test]
    fn ipv4_fragments_reassembled_out_of_order() {
        let payload: Vec<u8> = (0..100u8).collect();
        let dgram = udp(5405, 5405, &payload); // 108 bytes
        let pieces = [(0usize, 48usize, true), (48, 96, true), (96, 108, false)];
        let frame = |i: usize| {
            let (a, b, more) = pieces[i];
            let mut f = ETH_V4.to_vec();
            let fo = (a / 8) as u16 | if more { 0x2000 } else { 0 };
            f.extend(ipv4((20 + b - a) as u16, 0x4242, fo, 17));
            f.extend_from_slice(&dgram[a..b]);
            f
        };
        let mut d = NetDecoder::default();
        let (f2, f0, f1) = (frame(2), frame(0), frame(1));
        assert_eq!(
            d.decode(1, linktype::ETHERNET, &f2).unwrap(),
            NetPacket::FragmentHeld
        );
        assert_eq!(
            d.decode(2, linktype::ETHERNET, &f0).unwrap(),
            NetPacket::FragmentHeld
        );
        let NetPacket::Udp(g) = d.decode(3, linktype::ETHERNET, &f1).unwrap() else {
            panic!()
        };
        assert_eq!(g.payload, &payload[..]);
        assert_eq!(
            (g.payload_len, g.ip_len, g.payload_offset, g.sport),
            (100, 128, 0, 5405)
        );
        assert!(g.reassembled && !g.dont_fragment);
        assert_eq!(
            d.stats,
            NetStats {
                ip_fragments: 3,
                datagrams_reassembled: 1,
                reassembly_dropped: 0,
                held: HeldFragments {
                    merged: 2,
                    ..HeldFragments::default()
                },
            }
        );
        assert_eq!(d.fragments_pending(), 0);
    }

    #[test]
    fn ipv4_fragment_timeout_and_cut_first_fragment() {
        let dgram = udp(5405, 5405, &[7u8; 100]);
        let mut d = NetDecoder::new(DefragLimits {
            timeout_ns: 1_000,
            ..DefragLimits::default()
        });
        let mut f0 = ETH_V4.to_vec();
        f0.extend(ipv4(68, 9, 0x2000, 17));
        f0.extend_from_slice(&dgram[..48]);
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &f0).unwrap(),
            NetPacket::FragmentHeld
        );
        d.expire(5_000);
        assert_eq!((d.fragments_pending(), d.stats.reassembly_dropped), (0, 1));
        // The same first fragment cut by snaplen: a cut datagram comes out.
        let NetPacket::Udp(g) = d.decode(6_000, linktype::ETHERNET, &f0[..50]).unwrap() else {
            panic!()
        };
        assert_eq!((g.payload.len(), g.payload_len), (8, 100));
        assert!(g.is_cut() && !g.reassembled);
    }

    #[test]
    fn ipv4_overlap_is_an_error_and_counted() {
        let mut d = NetDecoder::default();
        let mut a = ETH_V4.to_vec();
        a.extend(ipv4(36, 5, 0x2000, 17));
        a.extend([1u8; 16]);
        let mut b = ETH_V4.to_vec();
        b.extend(ipv4(36, 5, 0x2001, 17)); // offset 8 overlaps 8..16
        b.extend([2u8; 16]);
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &a).unwrap(),
            NetPacket::FragmentHeld
        );
        let e = d.decode(0, linktype::ETHERNET, &b).unwrap_err();
        assert_eq!((e.layer, e.offset), (Layer::IpFragment, 34));
        assert_eq!(d.stats.reassembly_dropped, 1);
    }

    #[test]
    fn ipv6_fragments_reassembled() {
        let payload: Vec<u8> = (0..60u8).collect();
        let dgram = udp(5405, 5406, &payload); // 68 bytes
        let frag = |a: usize, b: usize, more: bool| {
            let mut f = ETH_V6.to_vec();
            f.extend(v6_hdr((8 + b - a) as u16, 44));
            let fo = (a as u16) | u16::from(more);
            f.extend([17, 0]);
            f.extend(fo.to_be_bytes());
            f.extend(0xcafe_f00du32.to_be_bytes());
            f.extend_from_slice(&dgram[a..b]);
            f
        };
        let mut d = NetDecoder::default();
        let (f0, f1) = (frag(0, 32, true), frag(32, 68, false));
        assert_eq!(
            d.decode(0, linktype::ETHERNET, &f0).unwrap(),
            NetPacket::FragmentHeld
        );
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &f1).unwrap() else {
            panic!()
        };
        assert_eq!(g.payload, &payload[..]);
        assert_eq!(
            (g.sport, g.dport, g.ip_len, g.ttl),
            (5405, 5406, 48 + 68, 32)
        );
        assert_eq!(g.src, "fd00::1".parse::<IpAddr>().unwrap());
        assert!(g.reassembled && g.dont_fragment);
        // An atomic fragment (offset 0, no more fragments) is a whole datagram.
        let whole = frag(0, 68, false);
        let NetPacket::Udp(g) = d.decode(0, linktype::ETHERNET, &whole).unwrap() else {
            panic!()
        };
        assert!(!g.reassembled);
        assert_eq!(g.payload_offset, 14 + 48 + 8);
    }

    #[test]
    fn icmp_too_big_v4_and_v6() {
        let mut f = ETH_V4.to_vec();
        f.extend(ipv4(56, 1, 0, 1));
        f.extend([3, 4, 0, 0, 0, 0, 0x05, 0x78]);
        f.extend(ipv4(1500, 3, 0x4000, 17));
        f.extend(udp(5405, 5406, &[])[..8].to_vec());
        let mut d = NetDecoder::default();
        let NetPacket::TooBig(t) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!(t.mtu, 1400);
        assert_eq!(t.reporter, "10.99.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((t.orig_sport, t.orig_dport), (5405, 5406));
        // cut inside the quoted header: an ICMP error at the quoted header
        let e = d.decode(0, linktype::ETHERNET, &f[..50]).unwrap_err();
        assert_eq!((e.layer, e.offset), (Layer::Icmp, 42));

        let mut f = ETH_V6.to_vec();
        f.extend(v6_hdr(56, 58));
        f.extend([2, 0, 0, 0, 0, 0, 0x05, 0x00]);
        f.extend(v6_hdr(1400, 17));
        f.extend(udp(5406, 5405, &[]));
        let NetPacket::TooBig(t) = d.decode(0, linktype::ETHERNET, &f).unwrap() else {
            panic!()
        };
        assert_eq!((t.mtu, t.orig_sport, t.orig_dport), (1280, 5406, 5405));
        assert_eq!(t.orig_dst, "fd00::2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn raw_and_cooked_link_types() {
        let mut ip = ipv4(30, 1, 0, 17);
        ip.extend(udp(5405, 5405, b"zz"));
        let mut d = NetDecoder::default();
        for lt in [
            linktype::RAW,
            linktype::RAW_ALT12,
            linktype::RAW_ALT14,
            linktype::IPV4,
        ] {
            let NetPacket::Udp(g) = d.decode(0, lt, &ip).unwrap() else {
                panic!()
            };
            assert_eq!((g.payload, g.payload_offset), (&b"zz"[..], 28));
        }
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend(&ip);
        let NetPacket::Udp(g) = d.decode(0, linktype::LINUX_SLL, &sll).unwrap() else {
            panic!()
        };
        assert_eq!(g.payload_offset, 44);
        let e = d.decode(0, 9999, &ip).unwrap_err();
        assert_eq!(e.kind, WireErrorKind::Unsupported("link type"));
    }

    #[test]
    fn udp_length_beyond_ip_is_an_error() {
        let mut f = ETH_V4.to_vec();
        f.extend(ipv4(30, 1, 0, 17));
        let mut u = udp(5405, 5405, b"zz");
        u[5] = 40;
        f.extend(u);
        let e = NetDecoder::default()
            .decode(0, linktype::ETHERNET, &f)
            .unwrap_err();
        assert_eq!(e, WireError::bad_length(Layer::Udp, 38, "length", 40, 10));
    }
}
