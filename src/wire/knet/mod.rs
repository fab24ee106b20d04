//! kronosnet onwire version 1 (docs/wire-format.md §4): the 6-byte common
//! header, DATA, PING, PONG, PMTUD and PMTUD_REPLY.
//!
//! [`Packet::new_checked`] checks every length once; the accessors of the
//! returned views then cannot fail. Unknown type codes are kept.

pub mod defrag;

use super::{Layer, WireError};

/// The only onwire version libknet 1.x (and main) sends.
pub const VERSION: u8 = 1;
/// Common header length.
pub const HEADER_LEN: usize = 6;
/// DATA header length (common header + data sub-header).
pub const DATA_HEADER_LEN: usize = 14;
/// PING / PONG total length.
pub const PING_LEN: usize = 26;
/// PMTUD header length; a PMTUD_REPLY is exactly this long.
pub const PMTUD_HEADER_LEN: usize = 9;
/// The "all headers" size knet subtracts in its MTU maths.
pub const ALL_HEADERS_LEN: usize = 26;

mod field {
    pub const VERSION: usize = 0;
    pub const TYPE: usize = 1;
    pub const NODE: std::ops::Range<usize> = 2..4;
    pub const PAD1: usize = 4;
    pub const PAD2: usize = 5;
    // DATA
    pub const SEQ: std::ops::Range<usize> = 6..8;
    pub const COMPRESS: usize = 8;
    pub const BCAST: usize = 10;
    pub const FRAG_NUM: usize = 11;
    pub const FRAG_SEQ: usize = 12;
    pub const CHANNEL: usize = 13;
    // PING / PONG / PMTUD
    pub const LINK: usize = 6;
    pub const TIME: std::ops::Range<usize> = 7..23;
    pub const PING_SEQ: std::ops::Range<usize> = 23..25;
    pub const TIMED: usize = 25;
    pub const PMTUD_SIZE: std::ops::Range<usize> = 7..9;
}

/// knet packet type (byte 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PacketType {
    Data,
    /// Defined by libknet <= 1.19, never sent.
    HostInfo,
    Ping,
    Pong,
    Pmtud,
    PmtudReply,
    Unknown(u8),
}

impl PacketType {
    pub fn from_u8(v: u8) -> Self {
        match v {
            0x00 => PacketType::Data,
            0x01 => PacketType::HostInfo,
            0x81 => PacketType::Ping,
            0x82 => PacketType::Pong,
            0x83 => PacketType::Pmtud,
            0x84 => PacketType::PmtudReply,
            other => PacketType::Unknown(other),
        }
    }
    pub fn code(self) -> u8 {
        match self {
            PacketType::Data => 0x00,
            PacketType::HostInfo => 0x01,
            PacketType::Ping => 0x81,
            PacketType::Pong => 0x82,
            PacketType::Pmtud => 0x83,
            PacketType::PmtudReply => 0x84,
            PacketType::Unknown(v) => v,
        }
    }
    /// The name used in text and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Data => "data",
            PacketType::HostInfo => "host_info",
            PacketType::Ping => "ping",
            PacketType::Pong => "pong",
            PacketType::Pmtud => "pmtud",
            PacketType::PmtudReply => "pmtud_reply",
            PacketType::Unknown(_) => "unknown",
        }
    }
    /// Service packets (bit 0x80) carry a link id at offset 6.
    pub fn is_service(self) -> bool {
        self.code() & 0x80 != 0
    }
}

fn be16(b: &[u8], r: std::ops::Range<usize>) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[r]);
    u16::from_be_bytes(a)
}

/// A checked view of a cleartext knet packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Checks version, padding and the per-type length rules.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, WireError> {
        if buf.len() < HEADER_LEN {
            return Err(WireError::short(Layer::Knet, 0, HEADER_LEN, buf.len()));
        }
        if buf[field::VERSION] != VERSION {
            return Err(WireError::bad_value(
                Layer::Knet,
                field::VERSION,
                "version",
                buf[field::VERSION].into(),
            ));
        }
        // stable1 sends 0; knet main puts its highest onwire version (1) here.
        if buf[field::PAD1] > 1 {
            return Err(WireError::bad_value(
                Layer::Knet,
                field::PAD1,
                "pad1/max_ver",
                buf[field::PAD1].into(),
            ));
        }
        if buf[field::PAD2] != 0 {
            return Err(WireError::bad_value(
                Layer::Knet,
                field::PAD2,
                "pad2",
                buf[field::PAD2].into(),
            ));
        }
        let len = buf.len();
        match PacketType::from_u8(buf[field::TYPE]) {
            PacketType::Data if len < DATA_HEADER_LEN => {
                return Err(WireError::short(Layer::KnetData, 0, DATA_HEADER_LEN, len));
            }
            PacketType::Ping | PacketType::Pong if len != PING_LEN => {
                return Err(WireError::bad_length(
                    Layer::KnetPing,
                    0,
                    "ping length",
                    PING_LEN as u64,
                    len,
                ));
            }
            PacketType::Pmtud if len < PMTUD_HEADER_LEN => {
                return Err(WireError::short(Layer::KnetPmtud, 0, PMTUD_HEADER_LEN, len));
            }
            PacketType::PmtudReply if len != PMTUD_HEADER_LEN => {
                return Err(WireError::bad_length(
                    Layer::KnetPmtud,
                    0,
                    "pmtud reply length",
                    PMTUD_HEADER_LEN as u64,
                    len,
                ));
            }
            _ => {}
        }
        Ok(Packet { buf })
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
    pub fn packet_type(&self) -> PacketType {
        PacketType::from_u8(self.buf[field::TYPE])
    }
    /// knet host id of the sender of this datagram (responder for pong / reply).
    pub fn node(&self) -> u16 {
        be16(self.buf, field::NODE)
    }
    /// Byte 4: 0 on libknet 1.x, the highest supported onwire version on knet main.
    pub fn max_ver(&self) -> u8 {
        self.buf[field::PAD1]
    }

    /// The type-specific view. Inlined: returned from a call, the view
    /// was read back from memory right after its piecewise stores (a
    /// store-forwarding stall, a third of `decode_knet`'s time, issue 20).
    #[inline(always)]
    pub fn body(&self) -> Knet<'a> {
        let b = self.buf;
        let node = self.node();
        match self.packet_type() {
            PacketType::Data => Knet::Data(Data {
                node,
                seq: be16(b, field::SEQ),
                compress: b[field::COMPRESS],
                bcast: b[field::BCAST] != 0,
                frag_num: b[field::FRAG_NUM],
                frag_seq: b[field::FRAG_SEQ],
                channel: b[field::CHANNEL] as i8,
                payload: &b[DATA_HEADER_LEN..],
            }),
            t @ (PacketType::Ping | PacketType::Pong) => {
                let mut time = [0u8; 16];
                time.copy_from_slice(&b[field::TIME]);
                let p = Ping {
                    node,
                    link: b[field::LINK],
                    time,
                    seq: be16(b, field::PING_SEQ),
                    timed: b[field::TIMED] != 0,
                };
                if t == PacketType::Ping {
                    Knet::Ping(p)
                } else {
                    Knet::Pong(p)
                }
            }
            t @ (PacketType::Pmtud | PacketType::PmtudReply) => {
                let mut size = [0u8; 2];
                size.copy_from_slice(&b[field::PMTUD_SIZE]);
                let p = Pmtud {
                    node,
                    link: b[field::LINK],
                    size_bytes: size,
                    filler_len: b.len() - PMTUD_HEADER_LEN,
                };
                if t == PacketType::Pmtud {
                    Knet::Pmtud(p)
                } else {
                    Knet::PmtudReply(p)
                }
            }
            t => Knet::Other {
                ptype: t,
                node,
                body: &b[HEADER_LEN..],
            },
        }
    }
}

/// A decoded knet packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knet<'a> {
    Data(Data<'a>),
    Ping(Ping),
    Pong(Ping),
    Pmtud(Pmtud),
    PmtudReply(Pmtud),
    /// HOST_INFO or an unknown type code: kept, not decoded further.
    Other {
        ptype: PacketType,
        node: u16,
        body: &'a [u8],
    },
}

impl<'a> Knet<'a> {
    pub fn packet_type(&self) -> PacketType {
        match self {
            Knet::Data(_) => PacketType::Data,
            Knet::Ping(_) => PacketType::Ping,
            Knet::Pong(_) => PacketType::Pong,
            Knet::Pmtud(_) => PacketType::Pmtud,
            Knet::PmtudReply(_) => PacketType::PmtudReply,
            Knet::Other { ptype, .. } => *ptype,
        }
    }
    /// Sender of the datagram.
    pub fn node(&self) -> u16 {
        match self {
            Knet::Data(d) => d.node,
            Knet::Ping(p) | Knet::Pong(p) => p.node,
            Knet::Pmtud(p) | Knet::PmtudReply(p) => p.node,
            Knet::Other { node, .. } => *node,
        }
    }
    /// The link id service packets carry (None for DATA).
    pub fn link(&self) -> Option<u8> {
        match self {
            Knet::Ping(p) | Knet::Pong(p) => Some(p.link),
            Knet::Pmtud(p) | Knet::PmtudReply(p) => Some(p.link),
            _ => None,
        }
    }
}

/// DATA sub-header and user payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    pub node: u16,
    pub seq: u16,
    pub compress: u8,
    pub bcast: bool,
    pub frag_num: u8,
    pub frag_seq: u8,
    pub channel: i8,
    /// The user data: a whole totem message, or one fragment of it.
    pub payload: &'a [u8],
}

impl Data<'_> {
    /// True when this packet is one piece of a fragmented message.
    pub fn is_fragment(&self) -> bool {
        self.frag_num > 1
    }
}

/// PING or PONG body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ping {
    /// PING: the pinger; PONG: the responder.
    pub node: u16,
    /// Link id as the pinger numbers it.
    pub link: u8,
    /// The pinger's monotonic `struct timespec`, in the pinger's byte order.
    pub time: [u8; 16],
    /// The pinger's current DATA tx sequence number.
    pub seq: u16,
    /// True for the periodic ping, false for a forced resync ping.
    pub timed: bool,
}

/// Byte order of a host-order field, found by plausibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    Little,
    Big,
}

impl Ping {
    /// The pinger's monotonic time in ns, reading the 64-bit timespec in
    /// whichever byte order gives a valid tv_nsec (LE tried first).
    pub fn monotonic_ns(&self) -> Option<(i128, ByteOrder)> {
        let t = &self.time;
        let mut s = [0u8; 8];
        let mut n = [0u8; 8];
        s.copy_from_slice(&t[0..8]);
        n.copy_from_slice(&t[8..16]);
        for order in [ByteOrder::Little, ByteOrder::Big] {
            let (sec, nsec) = match order {
                ByteOrder::Little => (i64::from_le_bytes(s), i64::from_le_bytes(n)),
                ByteOrder::Big => (i64::from_be_bytes(s), i64::from_be_bytes(n)),
            };
            if (0..1_000_000_000).contains(&nsec) && sec >= 0 {
                return Some((i128::from(sec) * 1_000_000_000 + i128::from(nsec), order));
            }
        }
        None
    }
}

/// PMTUD probe or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pmtud {
    pub node: u16,
    pub link: u8,
    /// The size field exactly as sent (sender's byte order).
    pub size_bytes: [u8; 2],
    /// Filler bytes after the 9-byte header (0 for a reply).
    pub filler_len: usize,
}

impl Pmtud {
    pub fn size_le(&self) -> u16 {
        u16::from_le_bytes(self.size_bytes)
    }
    pub fn size_be(&self) -> u16 {
        u16::from_be_bytes(self.size_bytes)
    }
    /// The probe size: the byte order under which the field equals the IP
    /// total length of the probe when known, else the little-endian value
    /// when it is a plausible MTU (>= 68), else the big-endian one.
    pub fn size(&self, ip_len: Option<u32>) -> u16 {
        let (le, be) = (self.size_le(), self.size_be());
        if let Some(l) = ip_len {
            if u32::from(le) == l {
                return le;
            }
            if u32::from(be) == l {
                return be;
            }
        }
        if le >= 68 || be < 68 { le } else { be }
    }
}

/// Parses a cleartext knet packet.
#[inline]
pub fn parse(buf: &[u8]) -> Result<Knet<'_>, WireError> {
    Packet::new_checked(buf).map(|p| p.body())
}

/// True when the bytes look like cleartext knet (docs/wire-format.md §3): version 1,
/// a known type, zero padding and the type's length rule.
pub fn looks_like_knet(buf: &[u8]) -> bool {
    matches!(
        Packet::new_checked(buf).map(|p| p.packet_type()),
        Ok(PacketType::Data
            | PacketType::Ping
            | PacketType::Pong
            | PacketType::Pmtud
            | PacketType::PmtudReply)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireErrorKind;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // docs/wire-format.md §4.6: captured PING 1->2.
    const PING: &str = "01 81 0001 00 00 00 c301000000000000 c71ee21a00000000 0000 01";
    const PONG: &str = "01 82 0001 00 00 00 c301000000000000 232f8d3800000000 0000 01";
    const REPLY: &str = "01 84 0001 00 00 00 dc05";
    const DATA_FRAG: &str = "01 00 0002 00 00 000f 00 00 01 02 02 00";

    #[test]
    fn ping_vector() {
        let b = hex(PING);
        let Knet::Ping(p) = parse(&b).unwrap() else {
            panic!("not a ping")
        };
        assert_eq!(p.node, 1);
        assert_eq!(p.link, 0);
        assert_eq!(p.seq, 0);
        assert!(p.timed);
        assert_eq!(
            p.monotonic_ns(),
            Some((451 * 1_000_000_000 + 451_026_631, ByteOrder::Little))
        );
    }

    #[test]
    fn pong_vector() {
        let b = hex(PONG);
        let k = parse(&b).unwrap();
        assert_eq!(k.packet_type(), PacketType::Pong);
        assert_eq!(k.node(), 1);
        assert_eq!(k.link(), Some(0));
        let Knet::Pong(p) = k else { panic!() };
        assert_eq!(
            p.monotonic_ns().unwrap().0,
            451 * 1_000_000_000 + 0x388d2f23
        );
    }

    #[test]
    fn pmtud_vectors() {
        let mut probe = hex("01 83 0002 00 00 00 dc05");
        probe.resize(1472, 0);
        let Knet::Pmtud(p) = parse(&probe).unwrap() else {
            panic!()
        };
        assert_eq!((p.node, p.link, p.filler_len), (2, 0, 1463));
        assert_eq!(p.size(Some(1500)), 1500);
        assert_eq!(p.size(None), 1500);
        let r = hex(REPLY);
        let Knet::PmtudReply(p) = parse(&r).unwrap() else {
            panic!()
        };
        assert_eq!((p.node, p.size(None)), (1, 1500));
        // A big-endian sender's size is found through the IP length.
        let be = Pmtud {
            node: 1,
            link: 0,
            size_bytes: 1500u16.to_be_bytes(),
            filler_len: 0,
        };
        assert_eq!(be.size(Some(1500)), 1500);
    }

    #[test]
    fn data_fragment_vector() {
        let b = hex(DATA_FRAG);
        let Knet::Data(d) = parse(&b).unwrap() else {
            panic!()
        };
        assert_eq!(
            (d.node, d.seq, d.bcast, d.frag_num, d.frag_seq, d.channel),
            (2, 15, true, 2, 2, 0)
        );
        assert!(d.is_fragment());
        assert!(d.payload.is_empty());
    }

    #[test]
    fn data_with_token_vector() {
        let mut b = hex("01 00 0001 00 00 0004 00 00 00 01 00 00");
        b.extend_from_slice(&[0u8; 57]);
        let Knet::Data(d) = parse(&b).unwrap() else {
            panic!()
        };
        assert_eq!(
            (d.node, d.seq, d.bcast, d.frag_num, d.frag_seq),
            (1, 4, false, 1, 0)
        );
        assert_eq!(d.payload.len(), 57);
    }

    #[test]
    fn truncation_at_every_length() {
        for v in [PING, PONG, REPLY, DATA_FRAG] {
            let b = hex(v);
            for n in 0..b.len() {
                let e = parse(&b[..n]).unwrap_err();
                assert!(
                    matches!(
                        e.layer,
                        Layer::Knet | Layer::KnetData | Layer::KnetPing | Layer::KnetPmtud
                    ),
                    "{e}"
                );
            }
        }
    }

    #[test]
    fn wrong_lengths_and_values() {
        let mut b = hex(PING);
        b.push(0);
        assert_eq!(parse(&b).unwrap_err().layer, Layer::KnetPing);
        let mut b = hex(PING);
        b[0] = 2;
        assert_eq!(
            parse(&b).unwrap_err().kind,
            WireErrorKind::BadValue {
                field: "version",
                value: 2
            }
        );
        let mut b = hex(PING);
        b[5] = 1;
        assert!(parse(&b).is_err());
        let mut b = hex(REPLY);
        b.push(0);
        assert!(parse(&b).is_err());
    }

    #[test]
    fn unknown_types_are_kept() {
        let b = hex("01 42 0003 00 00 aa bb");
        let k = parse(&b).unwrap();
        assert_eq!(
            k,
            Knet::Other {
                ptype: PacketType::Unknown(0x42),
                node: 3,
                body: &[0xaa, 0xbb]
            }
        );
        assert!(!looks_like_knet(&b));
        assert!(looks_like_knet(&hex(PING)));
    }
}
