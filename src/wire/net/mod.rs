//! Link, IP and UDP layers: from a captured frame to a UDP datagram (or an
//! ICMP notice that matters for path MTU), with IP fragments reassembled in
//! bounded memory.
//!
//! OWNER: capture/net helper. The types below are the contract the rest of
//! corowire codes against; keep their names and fields.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Layer, WireError};

pub mod defrag;
pub mod icmp;
pub mod ip;
pub mod link;
pub mod udp;

use defrag::{Defrag, FirstInfo, Fragment, Key, Outcome};
use ip::{Ipv4, Ipv6, PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP};
use link::NetProto;
use udp::{UDP_HDR, Udp};

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
    src: IpAddr,
    dst: IpAddr,
    ip_len: u32,
    tos: u8,
    df: bool,
    ttl: u8,
    vlan: Option<u16>,
}

/// Builds a datagram from the UDP header at `l4` (offset `l4_off` in the
/// frame); `ip_payload` is the length IP declares for it.
#[inline]
fn datagram<'a>(
    facts: IpFacts,
    l4: &'a [u8],
    l4_off: usize,
    ip_payload: usize,
    reassembled: bool,
) -> Result<NetPacket<'a>, WireError> {
    let u = Udp::parse(l4, ip_payload).map_err(|e| e.at(l4_off))?;
    let payload_len = u.len - UDP_HDR;
    let end = u.len.min(l4.len());
    let payload = l4.get(UDP_HDR..end).unwrap_or(&[]);
    Ok(NetPacket::Udp(Datagram {
        src: facts.src,
        dst: facts.dst,
        sport: u.sport,
        dport: u.dport,
        payload,
        payload_len,
        ip_len: facts.ip_len,
        tos: facts.tos,
        dont_fragment: facts.df,
        ttl: facts.ttl,
        vlan: facts.vlan,
        payload_offset: if reassembled { 0 } else { l4_off + UDP_HDR },
        reassembled,
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
        match l.proto {
            NetProto::Ipv4 => self.ipv4(ts, net, l.offset, l.vlan),
            NetProto::Ipv6 => self.ipv6(ts, net, l.offset, l.vlan),
            NetProto::Other(_) => Ok(NetPacket::NotUdp),
        }
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
        let facts = IpFacts {
            src: IpAddr::V4(Ipv4Addr::from(ip.src)),
            dst: IpAddr::V4(Ipv4Addr::from(ip.dst)),
            ip_len: ip.total_len as u32,
            tos: ip.tos,
            df: ip.df,
            ttl: ip.ttl,
            vlan,
        };
        let end = ip.total_len.min(b.len());
        let l4 = b.get(ip.hdr_len..end).unwrap_or(&[]);
        let l4_off = base + ip.hdr_len;
        let ip_payload = ip.total_len - ip.hdr_len;
        if ip.is_fragment() {
            if ip.proto != PROTO_UDP {
                self.stats.ip_fragments += 1;
                return Ok(NetPacket::NotUdp);
            }
            let key = Key {
                src: facts.src,
                dst: facts.dst,
                id: u32::from(ip.id),
                proto: ip.proto,
            };
            let info = FirstInfo {
                tos: ip.tos,
                ttl: ip.ttl,
                df: ip.df,
                hdr_len: ip.hdr_len,
                vlan,
                next: PROTO_UDP,
            };
            return self.fragment(
                ts,
                key,
                ip.frag_off,
                ip.mf,
                l4,
                l4_off,
                ip_payload,
                info,
                facts,
            );
        }
        match ip.proto {
            PROTO_UDP => datagram(facts, l4, l4_off, ip_payload, false),
            PROTO_ICMP => {
                let q = icmp::parse_v4(l4).map_err(|e| e.at(l4_off))?;
                Ok(too_big(facts.src, q))
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
        let ip_len = 40 + ip.payload_len;
        let facts = IpFacts {
            src: IpAddr::V6(Ipv6Addr::from(ip.src)),
            dst: IpAddr::V6(Ipv6Addr::from(ip.dst)),
            ip_len: ip_len as u32,
            tos: ip.traffic_class,
            df: true,
            ttl: ip.hop_limit,
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
                    src: facts.src,
                    dst: facts.dst,
                    id: f.id,
                    proto: 0,
                };
                let info = FirstInfo {
                    tos: ip.traffic_class,
                    ttl: ip.hop_limit,
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
                Ok(too_big(facts.src, q))
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
            self.defrag.forget(&key, &mut self.stats);
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
