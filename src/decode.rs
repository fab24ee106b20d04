//! The per-packet decode pipeline: frame → network layer → corosync port
//! filter → classification → (decryption) → knet → knet reassembly →
//! totem. One [`Decoder`] per run holds the bounded reassembly state and the
//! reusable buffers; [`Decoder::decode`] allocates nothing per packet.

use std::collections::BTreeMap;

use crate::capture::RawFrame;
use crate::wire::classify::{self, Class, FlowHistory, Framing};
use crate::wire::crypto::{AuthKey, Cleartext, CryptoSuite, DecryptError, Decryptor, Transport};
use crate::wire::knet::{self, Knet, PacketType, defrag};
use crate::wire::net::{
    Datagram, DefragLimits, DropReason as NetDropReason, NetDecoder, NetPacket, NetStats, TooBig,
};
use crate::wire::totem::{self, MessageType, Totem};
use crate::wire::{Layer, WireError};

/// A set of UDP ports (a 65,536-bit map: one lookup per packet).
#[derive(Clone)]
pub struct Ports {
    bits: Box<[u64; 1024]>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: u32 = self.bits.iter().map(|w| w.count_ones()).sum();
        write!(f, "Ports({n} ports)")
    }
}

impl Default for Ports {
    fn default() -> Self {
        Ports::from_ranges(&[crate::wire::DEFAULT_PORTS])
    }
}

impl Ports {
    pub fn from_ranges(ranges: &[std::ops::RangeInclusive<u16>]) -> Self {
        let mut bits = Box::new([0u64; 1024]);
        for r in ranges {
            for p in r.clone() {
                bits[usize::from(p) / 64] |= 1 << (p % 64);
            }
        }
        Ports { bits }
    }
    #[inline]
    pub fn contains(&self, p: u16) -> bool {
        self.bits[usize::from(p) / 64] & (1 << (p % 64)) != 0
    }
    /// Parses "5404-5412,5420".
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let a: u16 = a
                .trim()
                .parse()
                .map_err(|_| format!("bad port '{a}' in '{s}'"))?;
            let b: u16 = b
                .trim()
                .parse()
                .map_err(|_| format!("bad port '{b}' in '{s}'"))?;
            if a > b {
                return Err(format!("empty port range '{part}'"));
            }
            ranges.push(a..=b);
        }
        if ranges.is_empty() {
            return Err("no ports given".into());
        }
        Ok(Ports::from_ranges(&ranges))
    }
}

/// State of knet DATA fragment reassembly for one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragState {
    /// Not a fragment.
    Whole,
    /// A fragment; the message is not complete yet.
    Pending { have: u8, need: u8 },
    /// This fragment completed the message (its totem is decoded here).
    Completed,
    /// A fragment seen before.
    Duplicate,
    /// Reassembly failed (reason in `Packet::error`).
    Failed,
}

/// A decoded packet on a corosync port.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub ts: i64,
    pub source: usize,
    pub packet_no: u64,
    pub dgram: Datagram<'a>,
    pub class: Class,
    pub framing: Framing,
    /// True when the payload was decrypted with a configured key.
    pub decrypted: bool,
    pub knet: Option<Knet<'a>>,
    pub frag: FragState,
    pub totem: Option<Totem<'a>>,
    /// Why the packet is malformed, or what failed inside a valid outer layer.
    pub error: Option<WireError>,
}

impl Packet<'_> {
    /// The PMTUD size field, read in the byte order that matches the probe's IP length.
    pub fn pmtud_size(&self) -> Option<u16> {
        match self.knet {
            Some(Knet::Pmtud(p)) => Some(p.size(Some(self.dgram.ip_len))),
            Some(Knet::PmtudReply(p)) => Some(p.size(None)),
            _ => None,
        }
    }
}

/// What one frame turned out to be.
// Returned by value once per frame; boxing the big variant would allocate.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome<'a> {
    Corosync(Packet<'a>),
    /// ICMP fragmentation-needed / packet-too-big.
    TooBig {
        ts: i64,
        notice: TooBig,
    },
    /// An IP fragment was stored for reassembly.
    Held,
    /// Not UDP, or UDP on other ports.
    NotCorosync,
    /// The link / IP / UDP layers could not be decoded.
    Undecodable(WireError),
}

/// The busiest destination ports of UDP datagrams outside the corosync
/// ports, kept in a fixed table (space-saving: a new port takes the least
/// counted slot when the table is full), so any traffic mix costs the same.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortTally {
    slots: [(u16, u64); 8],
}

impl PortTally {
    pub fn count(&mut self, port: u16) {
        let mut min = 0;
        for i in 0..self.slots.len() {
            let (p, n) = self.slots[i];
            if n > 0 && p == port {
                self.slots[i].1 += 1;
                return;
            }
            if n < self.slots[min].1 {
                min = i;
            }
        }
        let n = self.slots[min].1;
        self.slots[min] = (port, n + 1);
    }

    /// (port, datagrams), most first.
    pub fn top(&self) -> Vec<(u16, u64)> {
        let mut v: Vec<(u16, u64)> = self.slots.iter().copied().filter(|s| s.1 > 0).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

/// Counters of a decode run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    pub frames: u64,
    pub not_corosync: u64,
    pub undecodable: u64,
    pub too_big: u64,
    pub snaplen_cut: u64,
    /// Per class, indexed as `Class::ALL`.
    pub class: [u64; 5],
    /// knet packets by type: data, ping, pong, pmtud, pmtud_reply, other.
    pub knet: [u64; 6],
    /// totem messages by type code 0..=5, then "other".
    pub totem: [u64; 7],
    pub decrypted: u64,
    /// Encrypted packets by inferred type, indexed as `infer::Kind::ALL`
    /// (filled by the caller that runs an `infer::Inferrer`).
    pub inferred: [u64; 8],
    /// Malformed / undecodable reasons and their counts.
    pub reasons: BTreeMap<String, u64>,
    /// The busiest destination ports of UDP outside the corosync ports.
    pub other_udp_ports: PortTally,
    /// IP fragments held for reassembly (`Outcome::Held`); their fates are
    /// in `ip.held` once [`Decoder::finish`] ran.
    pub held: u64,
    /// IP layer counters (copied by [`Decoder::finish`]).
    pub ip: NetStats,
    /// knet reassembly counters (copied by [`Decoder::finish`]).
    pub knet_defrag: defrag::Stats,
}

impl DecodeStats {
    pub const KNET_NAMES: [&'static str; 6] =
        ["data", "ping", "pong", "pmtud", "pmtud_reply", "other"];

    pub fn class_count(&self, c: Class) -> u64 {
        self.class[Class::ALL.iter().position(|x| *x == c).unwrap_or(0)]
    }
    pub fn corosync_packets(&self) -> u64 {
        self.class.iter().sum()
    }
    fn knet_index(t: PacketType) -> usize {
        match t {
            PacketType::Data => 0,
            PacketType::Ping => 1,
            PacketType::Pong => 2,
            PacketType::Pmtud => 3,
            PacketType::PmtudReply => 4,
            _ => 5,
        }
    }
    fn reason(&mut self, e: &WireError) {
        *self.reasons.entry(e.reason()).or_insert(0) += 1;
    }

    /// Frames with an outcome: each frame in is exactly one of corosync
    /// packet, ICMP too-big, not corosync, undecodable, or held IP fragment
    /// (and each held fragment is merged, a duplicate, dropped with a
    /// reason or still pending: [`DecodeStats::held_accounted`]).
    pub fn frames_accounted(&self) -> u64 {
        self.corosync_packets() + self.too_big + self.not_corosync + self.undecodable + self.held
    }

    /// Held IP fragments whose fate is known (equals `held` after
    /// [`Decoder::finish`]).
    pub fn held_accounted(&self) -> u64 {
        self.ip.held.total()
    }

    /// Frame accounting for the JSON summary: frames in, frames with an
    /// outcome, and the fates of held IP fragments and knet fragments.
    pub fn accounting_json(&self) -> serde_json::Value {
        let h = &self.ip.held;
        let dropped: serde_json::Map<String, serde_json::Value> = NetDropReason::ALL
            .iter()
            .zip(h.dropped)
            .map(|(r, n)| (r.name().to_string(), n.into()))
            .collect();
        let k = &self.knet_defrag;
        serde_json::json!({
            "frames": self.frames,
            "accounted": self.frames_accounted(),
            "ip_fragments_held": {
                "frames": self.held,
                "merged": h.merged,
                "duplicates": h.duplicates,
                "pending": h.pending,
                "dropped": dropped,
            },
            "knet_fragments": {
                "fragments": k.fragments + k.bad_frag_seq,
                "messages": k.messages,
                "duplicates": k.duplicates,
                "bad_frag_seq": k.bad_frag_seq,
                "pending": k.pending,
                "dropped": {
                    "timed_out": k.timed_out,
                    "evicted": k.evicted,
                    "too_large": k.too_large,
                },
            },
        })
    }

    /// The lines of the closing summary that account for fragments and
    /// frame accounting: IP fragments held and what became of them, knet
    /// reassembly failures and drops. Empty when nothing was fragmented.
    pub fn accounting_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let h = &self.ip.held;
        if self.held > 0 {
            let mut l = format!(
                "IP fragments held: {} (merged into datagrams {}, duplicates {}, pending at end {}, dropped {}",
                self.held,
                h.merged,
                h.duplicates,
                h.pending,
                h.dropped_total()
            );
            let why = NetDropReason::ALL
                .iter()
                .zip(h.dropped)
                .filter(|(_, n)| *n > 0)
                .map(|(r, n)| format!("{} {n}", r.name()))
                .collect::<Vec<_>>();
            if !why.is_empty() {
                l.push_str(&format!(": {}", why.join(", ")));
            }
            l.push(')');
            lines.push(l);
        }
        let k = &self.knet_defrag;
        if k.fragments + k.bad_frag_seq > 0 {
            lines.push(format!(
                "knet fragments: {} (messages reassembled {}, duplicates {}, bad frag_seq {}; partial messages pending at end {}, dropped {}: timed out {}, evicted {}, over the size limit {})",
                k.fragments + k.bad_frag_seq,
                k.messages,
                k.duplicates,
                k.bad_frag_seq,
                k.pending,
                k.dropped,
                k.timed_out,
                k.evicted,
                k.too_large
            ));
        }
        let missing = self.frames.saturating_sub(self.frames_accounted());
        if missing > 0 {
            lines.push(format!("frames without an outcome: {missing}"));
        }
        lines
    }
}

/// Options of the pipeline.
#[derive(Debug, Default)]
pub struct DecodeOptions {
    pub ports: Ports,
    pub ip_defrag: DefragLimits,
    pub knet_defrag: defrag::Limits,
    /// Candidate authkeys (two are live during a key change). Empty: no
    /// decryption; encrypted packets stay `Class::Encrypted`.
    pub keys: Vec<AuthKey>,
    /// Candidate suites; empty = try every combination corosync accepts.
    pub suites: Vec<CryptoSuite>,
}

/// The pipeline. One per run (or per source when sources are independent).
#[derive(Debug)]
pub struct Decoder {
    ports: Ports,
    net: NetDecoder,
    defrag: defrag::Defrag,
    crypto: Option<Decryptor>,
    /// Cleartext of the packet being decoded (reused).
    clear: Vec<u8>,
    /// Flows that carried corosync 2 (the tiebreak for the one header
    /// knet and corosync 2 share).
    v2_flows: classify::FlowHistory,
    pub stats: DecodeStats,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DecodeOptions::default())
    }
}

impl Decoder {
    pub fn new(opts: DecodeOptions) -> Self {
        let crypto = (!opts.keys.is_empty()).then(|| Decryptor::new(&opts.keys, &opts.suites));
        Decoder {
            ports: opts.ports,
            net: NetDecoder::new(opts.ip_defrag),
            defrag: defrag::Defrag::new(opts.knet_defrag),
            clear: if crypto.is_some() {
                vec![0; 1 << 16]
            } else {
                Vec::new()
            },
            crypto,
            v2_flows: classify::FlowHistory::default(),
            stats: DecodeStats::default(),
        }
    }

    /// The corosync ports.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// The decryptor (with its counters and the suite it found), when keys were given.
    pub fn decryptor(&self) -> Option<&Decryptor> {
        self.crypto.as_ref()
    }

    /// knet fragment reassembly counters.
    pub fn knet_defrag_stats(&self) -> defrag::Stats {
        self.defrag.stats
    }
    /// IP layer counters.
    pub fn net_stats(&self) -> crate::wire::net::NetStats {
        self.net.stats
    }

    /// Copies the IP and knet reassembly counters into `stats`, for the
    /// closing summary (they live in the layers during the run).
    pub fn finish(&mut self) {
        self.stats.ip = self.net.stats;
        self.stats.knet_defrag = defrag::Stats {
            pending: self.defrag.pending() as u64,
            ..self.defrag.stats
        };
    }

    /// Decodes one frame.
    pub fn decode<'a>(&'a mut self, frame: &RawFrame<'a>) -> Outcome<'a> {
        self.decode_opened(frame, None)
    }

    /// Decodes one frame whose payload a worker may have decrypted already
    /// (`opened`, see [`Opened`]); the outcome and every counter are those
    /// of [`Decoder::decode`].
    pub fn decode_opened<'a>(
        &'a mut self,
        frame: &RawFrame<'a>,
        opened: Option<Opened<'a>>,
    ) -> Outcome<'a> {
        let mut o = Outcome::NotCorosync;
        self.decode_to(frame, opened, &mut o);
        o
    }

    /// [`Decoder::decode_opened`], the outcome handed to `f` where it was
    /// built: a decoded packet is 432 bytes, and returning it by value
    /// cost a copy of them per frame (~75 instructions, 6 % of the
    /// decoding thread on corosync-only traffic, `benches/README.md`).
    #[inline]
    pub fn decode_with<'a, R>(
        &'a mut self,
        frame: &RawFrame<'a>,
        opened: Option<Opened<'a>>,
        f: impl FnOnce(&Outcome<'a>) -> R,
    ) -> R {
        let mut o = Outcome::NotCorosync;
        self.decode_to(frame, opened, &mut o);
        f(&o)
    }

    /// Decodes into `out` (which the caller set to `NotCorosync`); a
    /// corosync packet is filled in place.
    fn decode_to<'a>(
        &'a mut self,
        frame: &RawFrame<'a>,
        opened: Option<Opened<'a>>,
        out: &mut Outcome<'a>,
    ) {
        let Decoder {
            ports,
            net,
            defrag,
            crypto,
            clear,
            v2_flows,
            stats,
        } = self;
        stats.frames += 1;
        if frame.is_snaplen_cut() {
            stats.snaplen_cut += 1;
        }
        // Matched by reference: the datagram is copied once, from the
        // layer's result into the packet.
        let net_r = net.decode(frame.ts, frame.linktype, frame.data);
        let dgram = match &net_r {
            Ok(NetPacket::Udp(d)) => d,
            Ok(NetPacket::TooBig(notice)) => {
                stats.too_big += 1;
                *out = Outcome::TooBig {
                    ts: frame.ts,
                    notice: *notice,
                };
                return;
            }
            Ok(NetPacket::FragmentHeld) => {
                stats.held += 1;
                *out = Outcome::Held;
                return;
            }
            Ok(NetPacket::NotUdp) => {
                stats.not_corosync += 1;
                return;
            }
            Err(e) => {
                stats.undecodable += 1;
                stats.reason(e);
                *out = Outcome::Undecodable(*e);
                return;
            }
        };
        if !ports.contains(dgram.dport) && !ports.contains(dgram.sport) {
            stats.not_corosync += 1;
            stats.other_udp_ports.count(dgram.dport);
            return;
        }
        *out = Outcome::Corosync(Packet {
            ts: frame.ts,
            source: frame.source,
            packet_no: frame.packet_no,
            dgram: *dgram,
            class: Class::Encrypted,
            framing: Framing::Opaque,
            decrypted: false,
            knet: None,
            frag: FragState::Whole,
            totem: None,
            error: None,
        });
        let Outcome::Corosync(p) = out else {
            return;
        };
        let base = dgram.payload_offset;
        let payload = dgram.payload;
        if dgram.is_cut() {
            decode_cut(p, payload, base);
            if let Some(t) = &p.totem {
                count_totem(&mut stats.totem, t);
            }
        } else {
            p.framing = classify::framing(payload);
            let flow = || FlowHistory::key(dgram.src, dgram.dst, dgram.sport, dgram.dport);
            if p.framing == Framing::Knet
                && classify::knet_or_corosync2(payload)
                && v2_flows.carried_corosync2(flow())
            {
                p.framing = Framing::TotemV2;
            }
            match p.framing {
                Framing::Knet => decode_knet(p, payload, 0, defrag, &mut stats.totem),
                Framing::KnetHashOnly { hash_len } => match crypto.as_mut() {
                    // With a key the HMAC is checked like any other.
                    Some(c) => {
                        let r = open(c, Transport::Knet, payload, clear, frame.data, opened);
                        decrypted_knet(p, r, defrag, &mut stats.totem)
                    }
                    None => decode_knet(
                        p,
                        &payload[..payload.len() - hash_len],
                        0,
                        defrag,
                        &mut stats.totem,
                    ),
                },
                Framing::TotemV3 => {
                    p.class = Class::TotemUdp;
                    set_totem(p, totem::parse_v3(payload), 0, &mut stats.totem);
                }
                Framing::TotemV2 => {
                    p.class = Class::Corosync2;
                    set_totem(p, totem::parse_v2(payload), 0, &mut stats.totem);
                }
                Framing::Totemnet20 => {
                    p.class = Class::Corosync2;
                    set_totem(p, totem::parse_v2(&payload[4..]), 4, &mut stats.totem);
                }
                Framing::Totemnet => {
                    let inner = &payload[4..];
                    let r = crypto
                        .as_mut()
                        .map(|c| open(c, Transport::Totemnet2, payload, clear, frame.data, opened));
                    match r {
                        Some(Ok(c)) => {
                            p.class = Class::Corosync2;
                            p.decrypted = true;
                            set_totem(p, totem::parse_v2(c.bytes), 0, &mut stats.totem);
                            if let Some(e) = p.error.as_mut() {
                                // Offsets inside a cleartext are not frame offsets.
                                e.cleartext = true;
                            }
                        }
                        Some(Err(e)) if e.authenticated() => undecryptable(p, e),
                        _ if totem::looks_like_v2(inner) => {
                            p.class = Class::Corosync2;
                            set_totem(p, totem::parse_v2(inner), 4, &mut stats.totem);
                        }
                        _ => p.class = Class::Encrypted,
                    }
                }
                Framing::Opaque if payload.len() < classify::MIN_OPAQUE_LEN => {
                    p.class = Class::Malformed;
                    p.error = Some(WireError::short(
                        Layer::Knet,
                        0,
                        classify::MIN_OPAQUE_LEN,
                        payload.len(),
                    ));
                }
                Framing::Opaque => match crypto.as_mut() {
                    Some(c) => {
                        let r = open(c, Transport::Knet, payload, clear, frame.data, opened);
                        decrypted_knet(p, r, defrag, &mut stats.totem)
                    }
                    None => p.class = Class::Encrypted,
                },
            }
            if let Some(e) = p.error.as_mut().filter(|e| !e.cleartext) {
                e.offset += base;
            }
            if p.class == Class::Corosync2 {
                v2_flows.note_corosync2(flow());
            }
        }
        stats.class[Class::ALL.iter().position(|c| *c == p.class).unwrap_or(4)] += 1;
        if let Some(k) = &p.knet {
            stats.knet[DecodeStats::knet_index(k.packet_type())] += 1;
        }
        if p.decrypted {
            stats.decrypted += 1;
        }
        if p.class == Class::Malformed
            && let Some(e) = &p.error
        {
            stats.reason(e);
        }
    }
}

/// A payload a worker decrypted ahead of the decoder (the threaded
/// pipeline): where it lies in its frame, with which (key, suite) pair of
/// the decryptor, and the cleartext.
#[derive(Debug, Clone, Copy)]
pub struct Opened<'a> {
    pub transport: Transport,
    /// The UDP payload's offset in the frame and its length.
    pub payload_off: usize,
    pub payload_len: usize,
    pub pair: (usize, usize),
    pub clear: &'a [u8],
}

/// Decrypts `payload`, or takes the worker's cleartext when it is this
/// payload's and the pair it used is the one the decryptor tries first
/// (so the result is the same either way).
fn open<'a>(
    c: &mut Decryptor,
    t: Transport,
    payload: &'a [u8],
    clear: &'a mut [u8],
    frame: &'a [u8],
    opened: Option<Opened<'a>>,
) -> Result<Cleartext<'a>, DecryptError> {
    if let Some(o) = opened
        && o.transport == t
        && o.payload_len == payload.len()
        && (payload.as_ptr() as usize).checked_sub(frame.as_ptr() as usize) == Some(o.payload_off)
        && o.payload_off + o.payload_len <= frame.len()
        && let Some((key_index, suite)) = c.accept(t, o.pair)
    {
        return Ok(Cleartext {
            bytes: o.clear,
            key_index,
            suite,
        });
    }
    match t {
        Transport::Knet => c.decrypt_knet(payload, clear),
        Transport::Totemnet2 => c.decrypt_totemnet2(payload, clear),
    }
}

/// A payload cut by snaplen: the visible cleartext headers are decoded, a
/// cut ciphertext stays `Encrypted`, nothing is fed to reassembly, and the
/// cut is noted (not counted as malformed).
fn decode_cut<'a>(p: &mut Packet<'a>, payload: &'a [u8], base: usize) {
    p.framing = classify::framing(payload);
    match p.framing {
        Framing::Knet => {
            p.class = Class::Knet;
            if let Ok(k) = knet::parse(payload) {
                p.knet = Some(k);
                if let Knet::Data(d) = k
                    && d.frag_seq <= 1
                    && d.channel == 0
                    && d.compress == 0
                {
                    p.totem = totem::parse_v3(d.payload).ok();
                }
            }
        }
        Framing::TotemV3 => {
            p.class = Class::TotemUdp;
            p.totem = totem::parse_v3(payload).ok();
        }
        Framing::TotemV2 | Framing::Totemnet20 | Framing::Totemnet => {
            p.class = Class::Corosync2;
            let off = if p.framing == Framing::TotemV2 { 0 } else { 4 };
            p.totem = payload.get(off..).and_then(|b| totem::parse_v2(b).ok());
        }
        // A cut ping or pong still shows its knet header.
        _ if payload.len() >= knet::HEADER_LEN
            && payload[0] == knet::VERSION
            && matches!(payload[1], 0x81 | 0x82) =>
        {
            p.class = Class::Knet;
        }
        _ => p.class = Class::Encrypted,
    }
    p.error = Some(WireError::bad_length(
        Layer::Udp,
        base,
        "captured payload (cut by snaplen)",
        p.dgram.payload_len as u64,
        payload.len(),
    ));
}

/// A knet packet after decryption: decoded when the key opened it, else
/// left as `Encrypted` (a wrong key is counted by the decryptor, never guessed at).
fn decrypted_knet<'a>(
    p: &mut Packet<'a>,
    r: Result<crate::wire::crypto::Cleartext<'a>, DecryptError>,
    defrag: &'a mut defrag::Defrag,
    totems: &mut [u64; 7],
) {
    match r {
        Ok(c) => {
            decode_knet(p, c.bytes, 0, defrag, totems);
            p.decrypted = true;
            if let Some(e) = p.error.as_mut() {
                // The error keeps its layer (knet, totem); its offset is
                // one of the cleartext, which has no place in the frame.
                e.cleartext = true;
            }
        }
        Err(e) if e.authenticated() => undecryptable(p, e),
        Err(_) => p.class = Class::Encrypted,
    }
}

/// A payload a configured key authenticated but that does not decrypt
/// (bad padding, a cleartext that is no packet): malformed, with the
/// reason; not "encrypted, no key".
#[cold]
fn undecryptable(p: &mut Packet<'_>, e: DecryptError) {
    p.class = Class::Malformed;
    p.error = Some(e.to_wire_error(0));
}

/// Counts a totem message by type (`DecodeStats::totem`). Done where the
/// message is decoded, before it is stored in the packet: read back from
/// the packet right after that store (a 200-byte copy), the count stalled
/// (issue 20).
#[inline]
fn count_totem(totems: &mut [u64; 7], t: &Totem<'_>) {
    totems[usize::from(t.header.mtype.code()).min(6)] += 1;
}

fn set_totem<'a>(
    p: &mut Packet<'a>,
    r: Result<Totem<'a>, WireError>,
    off: usize,
    totems: &mut [u64; 7],
) {
    match r {
        Ok(t) => {
            count_totem(totems, &t);
            p.totem = Some(t);
        }
        Err(e) => {
            p.class = Class::Malformed;
            p.error = Some(e.at(off));
        }
    }
}

/// Decodes a cleartext knet packet `b` (at `off` within the UDP payload).
fn decode_knet<'a>(
    p: &mut Packet<'a>,
    b: &'a [u8],
    off: usize,
    defrag: &'a mut defrag::Defrag,
    totems: &mut [u64; 7],
) {
    let k = match knet::parse(b) {
        Ok(k) => k,
        Err(e) => {
            p.class = Class::Malformed;
            p.error = Some(e.at(off));
            return;
        }
    };
    p.class = Class::Knet;
    p.knet = Some(k);
    let Knet::Data(d) = k else { return };
    let totem_off = off + knet::DATA_HEADER_LEN;
    let message: &'a [u8] = if d.is_fragment() {
        let key = defrag::FragKey {
            src: p.dgram.src,
            dst: p.dgram.dst,
            sport: p.dgram.sport,
            dport: p.dgram.dport,
            node: d.node,
            seq: d.seq,
        };
        match defrag.push(p.ts, key, &d) {
            Ok(defrag::Push::Complete(m)) => {
                p.frag = FragState::Completed;
                m
            }
            Ok(defrag::Push::Pending { have, need }) => {
                p.frag = FragState::Pending { have, need };
                return;
            }
            Ok(defrag::Push::Duplicate) => {
                p.frag = FragState::Duplicate;
                return;
            }
            Err(e) => {
                p.frag = FragState::Failed;
                p.error = Some(e.at(off));
                return;
            }
        }
    } else {
        d.payload
    };
    // Corosync sends totem on channel 0, uncompressed unless configured.
    if d.channel != 0 || d.compress != 0 || !totem::looks_like_v3(message) {
        return;
    }
    match totem::parse_v3(message) {
        Ok(t) => {
            count_totem(totems, &t);
            p.totem = Some(t);
        }
        Err(e) => {
            p.class = Class::Malformed;
            // Offsets inside a reassembled message are relative to it.
            p.error = Some(if p.frag == FragState::Completed {
                e
            } else {
                e.at(totem_off)
            });
        }
    }
}

/// The name of a totem type for counters.
pub fn totem_counter_name(i: usize) -> &'static str {
    if i < 6 {
        MessageType::from_u8(i as u8).name()
    } else {
        "other"
    }
}

#[cfg(test)]
mod port_tally_tests {
    use super::*;

    #[test]
    fn tally_keeps_the_busiest_ports() {
        let mut t = PortTally::default();
        for _ in 0..100 {
            t.count(53);
        }
        for p in 1000..1020 {
            t.count(p);
        }
        for _ in 0..50 {
            t.count(5406);
        }
        let top = t.top();
        assert_eq!(top[0], (53, 100));
        assert_eq!(top[1].0, 5406);
        assert!(top[1].1 >= 50);
        assert!(top.len() <= 8);
    }
}
