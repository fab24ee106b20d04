//! Link, IP and UDP layers: from a captured frame to a UDP datagram (or an
//! ICMP notice that matters for path MTU), with IP fragments reassembled in
//! bounded memory.
//!
//! OWNER: capture/net helper. The types below are the contract the rest of
//! corowire codes against; keep their names and fields.

use std::net::IpAddr;

use super::WireError;

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
        DefragLimits { max_datagrams: 256, max_datagram_len: 65_535, timeout_ns: 30_000_000_000 }
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
}

impl NetDecoder {
    pub fn new(limits: DefragLimits) -> Self {
        NetDecoder { limits, stats: NetStats::default() }
    }

    /// Decodes one frame of link type `linktype` captured at `ts` (ns).
    pub fn decode<'a>(&'a mut self, ts: i64, linktype: u32, frame: &'a [u8]) -> Result<NetPacket<'a>, WireError> {
        let _ = (ts, linktype, frame);
        Err(WireError { layer: super::Layer::Link, offset: 0, kind: super::WireErrorKind::Unsupported("network decoding (not yet built)") })
    }
}
