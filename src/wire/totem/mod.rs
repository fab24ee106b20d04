//! Totem (totemsrp) messages: corosync 3 (13-byte header, magic 0xC070) and
//! corosync 2 (8-byte header, endian detector 0xFF22), docs/wire-format.md §6.
//!
//! Integers are in the sender's byte order; the magic (or the detector)
//! decides it once for the whole message. Both generations share one
//! decoder: only the header size and the sizes of `ring_id`, `srp_addr`,
//! `rtr_item` and the commit entry differ, so the field offsets follow from
//! a [`Layout`]. Lists (retransmit list, join lists, commit members) are
//! lazy views: nothing is allocated.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::knet::ByteOrder;
use super::{Layer, WireError};

/// Corosync 3 header length.
pub const V3_HEADER_LEN: usize = 13;
/// Corosync 2 header length.
pub const V2_HEADER_LEN: usize = 8;
/// The corosync 3 magic, in the sender's byte order.
pub const MAGIC: u16 = 0xC070;
/// The corosync 2 endian detector, in the sender's byte order.
pub const ENDIAN_DETECTOR: u16 = 0xFF22;

/// Which header generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// Corosync 2.x (and the 1.x-style 8-byte header).
    V2,
    /// Corosync 3.x.
    V3,
}

/// totemsrp message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageType {
    OrfToken,
    Mcast,
    MembMergeDetect,
    MembJoin,
    MembCommitToken,
    TokenHoldCancel,
    /// Corosync 2 RRP ring test (6).
    RingTestActive,
    /// Corosync 2 RRP ring test (7).
    RingTestActivate,
    Unknown(u8),
}

impl MessageType {
    pub fn from_u8(v: u8) -> Self {
        match v {
            0 => MessageType::OrfToken,
            1 => MessageType::Mcast,
            2 => MessageType::MembMergeDetect,
            3 => MessageType::MembJoin,
            4 => MessageType::MembCommitToken,
            5 => MessageType::TokenHoldCancel,
            6 => MessageType::RingTestActive,
            7 => MessageType::RingTestActivate,
            v => MessageType::Unknown(v),
        }
    }
    pub fn code(self) -> u8 {
        match self {
            MessageType::OrfToken => 0,
            MessageType::Mcast => 1,
            MessageType::MembMergeDetect => 2,
            MessageType::MembJoin => 3,
            MessageType::MembCommitToken => 4,
            MessageType::TokenHoldCancel => 5,
            MessageType::RingTestActive => 6,
            MessageType::RingTestActivate => 7,
            MessageType::Unknown(v) => v,
        }
    }
    /// The name used in text and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::OrfToken => "orf_token",
            MessageType::Mcast => "mcast",
            MessageType::MembMergeDetect => "memb_merge_detect",
            MessageType::MembJoin => "memb_join",
            MessageType::MembCommitToken => "memb_commit_token",
            MessageType::TokenHoldCancel => "token_hold_cancel",
            MessageType::RingTestActive => "ring_test_active",
            MessageType::RingTestActivate => "ring_test_activate",
            MessageType::Unknown(_) => "unknown",
        }
    }
}

/// Sizes that differ between the generations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub header: usize,
    pub ring_id: usize,
    pub srp_addr: usize,
    /// Offset of the nodeid inside an srp_addr.
    pub srp_nodeid: usize,
}

impl Layout {
    pub const V3: Layout = Layout {
        header: V3_HEADER_LEN,
        ring_id: 12,
        srp_addr: 4,
        srp_nodeid: 0,
    };
    /// srp_addr = no_addrs u8 + 2 totem_ip_address (22 bytes each).
    pub const V2: Layout = Layout {
        header: V2_HEADER_LEN,
        ring_id: 30,
        srp_addr: 45,
        srp_nodeid: 1,
    };

    pub fn of(v: Version) -> Layout {
        match v {
            Version::V2 => Layout::V2,
            Version::V3 => Layout::V3,
        }
    }
    fn rtr_item(&self) -> usize {
        self.ring_id + 4
    }
    fn memb_entry(&self) -> usize {
        self.ring_id + 12
    }
}

/// Reads integers in the sender's byte order. Callers check lengths first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rd<'a> {
    b: &'a [u8],
    order: ByteOrder,
}

impl<'a> Rd<'a> {
    #[inline(always)]
    fn arr<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.b[off..off + N]);
        a
    }
    #[inline(always)]
    fn u16(&self, off: usize) -> u16 {
        match self.order {
            ByteOrder::Little => u16::from_le_bytes(self.arr(off)),
            ByteOrder::Big => u16::from_be_bytes(self.arr(off)),
        }
    }
    #[inline(always)]
    fn u32(&self, off: usize) -> u32 {
        match self.order {
            ByteOrder::Little => u32::from_le_bytes(self.arr(off)),
            ByteOrder::Big => u32::from_be_bytes(self.arr(off)),
        }
    }
    #[inline(always)]
    fn i32(&self, off: usize) -> i32 {
        self.u32(off) as i32
    }
    #[inline(always)]
    fn u64(&self, off: usize) -> u64 {
        match self.order {
            ByteOrder::Little => u64::from_le_bytes(self.arr(off)),
            ByteOrder::Big => u64::from_be_bytes(self.arr(off)),
        }
    }
    fn need(&self, layer_off: usize, n: usize) -> Result<(), WireError> {
        if self.b.len() < layer_off + n {
            Err(WireError::short(
                Layer::Totem,
                0,
                layer_off + n,
                self.b.len(),
            ))
        } else {
            Ok(())
        }
    }
    #[inline(always)]
    fn ring_id(&self, off: usize, v: Version) -> RingId {
        match v {
            Version::V3 => RingId {
                rep: self.u32(off),
                seq: self.u64(off + 4),
                rep_addr: None,
            },
            Version::V2 => RingId {
                rep: self.u32(off),
                seq: self.u64(off + 22),
                rep_addr: ip_addr(*self, off),
            },
        }
    }
}

/// A corosync 2 totem_ip_address at `off` (nodeid @0, family @4, addr @6).
fn ip_addr(r: Rd<'_>, off: usize) -> Option<IpAddr> {
    let a: [u8; 16] = r.arr(off + 6);
    match r.u16(off + 4) {
        2 => Some(IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))),
        10 => Some(IpAddr::V6(Ipv6Addr::from(a))),
        _ => None,
    }
}

/// A ring id: representative and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RingId {
    /// Nodeid of the ring's representative.
    pub rep: u32,
    pub seq: u64,
    /// Corosync 2 only: the representative's address.
    pub rep_addr: Option<IpAddr>,
}

impl fmt::Display for RingId {
    /// As corosync logs it: `1.d` (corosync 3, hex) or `10.0.0.1:12` (corosync 2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rep_addr {
            Some(a) => write!(f, "{a}:{}", self.seq),
            None => write!(f, "{:x}.{:x}", self.rep, self.seq),
        }
    }
}

/// The common header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: Version,
    pub order: ByteOrder,
    pub mtype: MessageType,
    pub encapsulated: u8,
    /// The node that originated the message.
    pub nodeid: u32,
    /// Corosync 3: destination of a unicast (0 for multicasts).
    pub target_nodeid: Option<u32>,
}

/// A list of nodeids (srp_addr elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeList<'a> {
    rd: Rd<'a>,
    start: usize,
    count: usize,
    layout: Layout,
}

impl<'a> NodeList<'a> {
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        let (rd, start, l) = (self.rd, self.start, self.layout);
        (0..self.count).map(move |i| rd.u32(start + i * l.srp_addr + l.srp_nodeid))
    }
}

/// One retransmit request: a message of `ring_id` numbered `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtrItem {
    pub ring_id: RingId,
    pub seq: u32,
}

/// The token's retransmit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtrList<'a> {
    rd: Rd<'a>,
    start: usize,
    count: usize,
    version: Version,
}

impl<'a> RtrList<'a> {
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = RtrItem> + 'a {
        let (rd, start, v) = (self.rd, self.start, self.version);
        let l = Layout::of(v);
        (0..self.count).map(move |i| {
            let o = start + i * l.rtr_item();
            RtrItem {
                ring_id: rd.ring_id(o, v),
                seq: rd.u32(o + l.ring_id),
            }
        })
    }
}

/// A member's entry in the commit token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembEntry {
    /// The member's previous ring.
    pub ring_id: RingId,
    pub aru: u32,
    pub high_delivered: u32,
    pub received_flg: u32,
}

/// The commit token's per-member entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembEntries<'a> {
    rd: Rd<'a>,
    start: usize,
    count: usize,
    version: Version,
}

impl<'a> MembEntries<'a> {
    pub fn len(&self) -> usize {
        self.count
    }
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = MembEntry> + 'a {
        let (rd, start, v) = (self.rd, self.start, self.version);
        let l = Layout::of(v);
        (0..self.count).map(move |i| {
            let o = start + i * l.memb_entry();
            let r = o + l.ring_id;
            MembEntry {
                ring_id: rd.ring_id(o, v),
                aru: rd.u32(r),
                high_delivered: rd.u32(r + 4),
                received_flg: rd.u32(r + 8),
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrfToken<'a> {
    /// Highest mcast seq issued on the ring.
    pub seq: u32,
    /// Hop counter; a retransmitted token repeats it.
    pub token_seq: u32,
    pub aru: u32,
    pub aru_addr: u32,
    pub ring_id: RingId,
    pub backlog: u32,
    pub fcc: u32,
    pub retrans_flg: i32,
    pub rtr: RtrList<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mcast<'a> {
    pub system_from: u32,
    pub seq: u32,
    pub this_seqno: i32,
    pub ring_id: RingId,
    pub node_id: u32,
    pub guarantee: u32,
    /// totempg payload, or a whole encapsulated mcast when `encapsulated == 1`.
    pub payload: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Join<'a> {
    pub system_from: u32,
    pub ring_seq: u64,
    pub proc_list: NodeList<'a>,
    pub failed_list: NodeList<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitToken<'a> {
    pub token_seq: u32,
    /// The new ring being installed.
    pub ring_id: RingId,
    pub retrans_flg: i32,
    pub memb_index: i32,
    pub members: NodeList<'a>,
    pub entries: MembEntries<'a>,
}

/// The message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    OrfToken(OrfToken<'a>),
    Mcast(Mcast<'a>),
    MergeDetect {
        system_from: u32,
        ring_id: RingId,
    },
    Join(Join<'a>),
    CommitToken(CommitToken<'a>),
    HoldCancel {
        ring_id: RingId,
    },
    /// Corosync 2 RRP ring test.
    RingTest {
        ring_number: i32,
        nodeid_activator: i32,
    },
    /// An unknown type: the bytes after the header, kept.
    Unknown(&'a [u8]),
}

/// A decoded totem message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totem<'a> {
    pub header: Header,
    pub body: Body<'a>,
    /// Bytes after the message's own structure (e.g. a corosync 2 HMAC).
    pub trailing: usize,
}

impl Totem<'_> {
    /// The ring id the message carries, if any.
    pub fn ring_id(&self) -> Option<RingId> {
        match &self.body {
            Body::OrfToken(t) => Some(t.ring_id),
            Body::Mcast(m) => Some(m.ring_id),
            Body::MergeDetect { ring_id, .. } | Body::HoldCancel { ring_id } => Some(*ring_id),
            Body::CommitToken(c) => Some(c.ring_id),
            _ => None,
        }
    }
}

/// The byte order a corosync 3 magic says, if the bytes are one.
pub fn v3_order(b: &[u8]) -> Option<ByteOrder> {
    match b.get(0..2) {
        Some([0x70, 0xC0]) => Some(ByteOrder::Little),
        Some([0xC0, 0x70]) => Some(ByteOrder::Big),
        _ => None,
    }
}

/// The byte order a corosync 2 endian detector says, if the bytes are one.
pub fn v2_order(b: &[u8]) -> Option<ByteOrder> {
    match b.get(2..4) {
        Some([0x22, 0xFF]) => Some(ByteOrder::Little),
        Some([0xFF, 0x22]) => Some(ByteOrder::Big),
        _ => None,
    }
}

/// True when `b` starts like a corosync 3 totem message (docs/wire-format.md §3).
pub fn looks_like_v3(b: &[u8]) -> bool {
    b.len() >= V3_HEADER_LEN && v3_order(b).is_some() && b[2] == 3 && b[3] <= 5
}

/// True when `b` starts like a corosync 2 (or 1.x-style) totem message.
pub fn looks_like_v2(b: &[u8]) -> bool {
    b.len() >= V2_HEADER_LEN && b[0] <= 7 && v2_order(b).is_some()
}

/// Decodes a corosync 3 totem message.
pub fn parse_v3(b: &[u8]) -> Result<Totem<'_>, WireError> {
    if b.len() < V3_HEADER_LEN {
        return Err(WireError::short(Layer::Totem, 0, V3_HEADER_LEN, b.len()));
    }
    let order = v3_order(b).ok_or_else(|| {
        WireError::bad_value(
            Layer::Totem,
            0,
            "magic",
            u16::from_be_bytes([b[0], b[1]]).into(),
        )
    })?;
    if b[2] != 3 {
        return Err(WireError::bad_value(
            Layer::Totem,
            2,
            "version",
            b[2].into(),
        ));
    }
    let rd = Rd { b, order };
    let header = Header {
        version: Version::V3,
        order,
        mtype: MessageType::from_u8(b[3]),
        encapsulated: b[4],
        nodeid: rd.u32(5),
        target_nodeid: Some(rd.u32(9)),
    };
    body(rd, header)
}

/// Decodes a corosync 2 totem message (8-byte header).
pub fn parse_v2(b: &[u8]) -> Result<Totem<'_>, WireError> {
    if b.len() < V2_HEADER_LEN {
        return Err(WireError::short(Layer::Totem, 0, V2_HEADER_LEN, b.len()));
    }
    let order = v2_order(b).ok_or_else(|| {
        WireError::bad_value(
            Layer::Totem,
            2,
            "endian_detector",
            u16::from_be_bytes([b[2], b[3]]).into(),
        )
    })?;
    let rd = Rd { b, order };
    let header = Header {
        version: Version::V2,
        order,
        mtype: MessageType::from_u8(b[0]),
        encapsulated: b[1],
        nodeid: rd.u32(4),
        target_nodeid: None,
    };
    body(rd, header)
}

/// Decodes either generation, chosen by the magic / detector.
pub fn parse(b: &[u8]) -> Result<Totem<'_>, WireError> {
    if v3_order(b).is_some() {
        parse_v3(b)
    } else {
        parse_v2(b)
    }
}

fn count(rd: Rd<'_>, off: usize, field: &'static str) -> Result<usize, WireError> {
    let n = rd.i32(off);
    // No list in totem is near this long; the bound keeps the maths small.
    if !(0..=65_535).contains(&n) {
        return Err(WireError::bad_value(
            Layer::Totem,
            off,
            field,
            u64::from(rd.u32(off)),
        ));
    }
    Ok(n as usize)
}

fn list_end(
    rd: Rd<'_>,
    start: usize,
    n: usize,
    stride: usize,
    field: &'static str,
) -> Result<usize, WireError> {
    let end = start + n * stride;
    if end > rd.b.len() {
        return Err(WireError::bad_length(
            Layer::Totem,
            start,
            field,
            n as u64,
            rd.b.len(),
        ));
    }
    Ok(end)
}

fn body(rd: Rd<'_>, header: Header) -> Result<Totem<'_>, WireError> {
    let v = header.version;
    let l = Layout::of(v);
    let h = l.header;
    let (body, end) = match header.mtype {
        MessageType::OrfToken => {
            let ring = h + 16;
            let after = ring + l.ring_id;
            rd.need(after, 16)?;
            let n = count(rd, after + 12, "rtr_list_entries")?;
            let end = list_end(rd, after + 16, n, l.rtr_item(), "rtr_list_entries")?;
            let t = OrfToken {
                seq: rd.u32(h),
                token_seq: rd.u32(h + 4),
                aru: rd.u32(h + 8),
                aru_addr: rd.u32(h + 12),
                ring_id: rd.ring_id(ring, v),
                backlog: rd.u32(after),
                fcc: rd.u32(after + 4),
                retrans_flg: rd.i32(after + 8),
                rtr: RtrList {
                    rd,
                    start: after + 16,
                    count: n,
                    version: v,
                },
            };
            (Body::OrfToken(t), end)
        }
        MessageType::Mcast => {
            let seq = h + l.srp_addr;
            let ring = seq + 8;
            let after = ring + l.ring_id;
            rd.need(after, 8)?;
            let m = Mcast {
                system_from: rd.u32(h + l.srp_nodeid),
                seq: rd.u32(seq),
                this_seqno: rd.i32(seq + 4),
                ring_id: rd.ring_id(ring, v),
                node_id: rd.u32(after),
                guarantee: rd.u32(after + 4),
                payload: &rd.b[after + 8..],
            };
            (Body::Mcast(m), rd.b.len())
        }
        MessageType::MembMergeDetect => {
            let ring = h + l.srp_addr;
            rd.need(ring, l.ring_id)?;
            (
                Body::MergeDetect {
                    system_from: rd.u32(h + l.srp_nodeid),
                    ring_id: rd.ring_id(ring, v),
                },
                ring + l.ring_id,
            )
        }
        MessageType::MembJoin => {
            let p = h + l.srp_addr;
            rd.need(p, 16)?;
            let np = count(rd, p, "proc_list_entries")?;
            let nf = count(rd, p + 4, "failed_list_entries")?;
            let lists = p + 16;
            let mid = list_end(rd, lists, np, l.srp_addr, "proc_list_entries")?;
            let end = list_end(rd, mid, nf, l.srp_addr, "failed_list_entries")?;
            let j = Join {
                system_from: rd.u32(h + l.srp_nodeid),
                ring_seq: rd.u64(p + 8),
                proc_list: NodeList {
                    rd,
                    start: lists,
                    count: np,
                    layout: l,
                },
                failed_list: NodeList {
                    rd,
                    start: mid,
                    count: nf,
                    layout: l,
                },
            };
            (Body::Join(j), end)
        }
        MessageType::MembCommitToken => {
            let ring = h + 4;
            let after = ring + l.ring_id;
            rd.need(after, 12)?;
            let n = count(rd, after + 8, "addr_entries")?;
            let addrs = after + 12;
            let mid = list_end(rd, addrs, n, l.srp_addr, "addr_entries")?;
            let end = list_end(rd, mid, n, l.memb_entry(), "addr_entries")?;
            let c = CommitToken {
                token_seq: rd.u32(h),
                ring_id: rd.ring_id(ring, v),
                retrans_flg: rd.i32(after),
                memb_index: rd.i32(after + 4),
                members: NodeList {
                    rd,
                    start: addrs,
                    count: n,
                    layout: l,
                },
                entries: MembEntries {
                    rd,
                    start: mid,
                    count: n,
                    version: v,
                },
            };
            (Body::CommitToken(c), end)
        }
        MessageType::TokenHoldCancel => {
            rd.need(h, l.ring_id)?;
            (
                Body::HoldCancel {
                    ring_id: rd.ring_id(h, v),
                },
                h + l.ring_id,
            )
        }
        MessageType::RingTestActive | MessageType::RingTestActivate if v == Version::V2 => {
            rd.need(4, 8)?;
            (
                Body::RingTest {
                    ring_number: rd.i32(4),
                    nodeid_activator: rd.i32(8),
                },
                12,
            )
        }
        _ => (Body::Unknown(&rd.b[h..]), rd.b.len()),
    };
    Ok(Totem {
        header,
        body,
        trailing: rd.b.len() - end,
    })
}

#[cfg(test)]
mod tests;
