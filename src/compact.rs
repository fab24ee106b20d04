//! The compact per-packet record: what the analysis engine reads of a
//! decoded packet, owned and `Copy`, in [`PacketRec::SIZE`] bytes instead of
//! a [`Packet`]'s views over borrowed bytes.
//!
//! The engine ([`crate::analysis::Engine::ingest_rec`]) and the keyless feed
//! take every packet this way, on one thread or several: the threaded
//! pipeline (`session::threaded`) ships records in batches (`batch`), the
//! one-thread loop converts each packet as it is decoded. The few
//! variable-length totem lists the engine reads (a token's retransmit
//! list, a commit token's members and their previous rings, a corosync 2
//! ring id's representative address) go to a side buffer, [`Lists`],
//! that the record points into; most packets put nothing there.
//!
//! Outputs that need more than the engine (decode's lines, `-w`, the
//! several-captures survey) keep reading the decoded [`Packet`].

use std::net::IpAddr;

use crate::decode::{Outcome, Packet};
use crate::wire::WireError;
use crate::wire::classify::Class;
use crate::wire::knet::{Knet, Ping};
use crate::wire::net::TooBig;
use crate::wire::totem::{Body, RingId, Totem};

/// No entry in [`Lists`].
const NONE: u32 = u32::MAX;

/// A token's seq and aru are carried in the [`Lists`] while its token_seq
/// is below this: a new ring's tokens start at 0, and totem's RECOVERY,
/// which reads them, takes a few rotations. Later tokens carry them only
/// with a retransmit list, so the record stays small.
pub const RECOVERY_TOKENS: u32 = 512;

// The record is what crosses between threads: it stays compact.
const _: () = assert!(PacketRec::SIZE <= 96);

/// A frame's decode outcome as the analysis side takes it, on one thread
/// or several: a corosync packet as its record.
#[derive(Debug, Clone, Copy)]
pub enum Seen<'a> {
    Packet {
        rec: &'a PacketRec,
        lists: &'a Lists,
        /// The several-captures packet key (0 when the run has one capture).
        key: u64,
    },
    /// An ICMP too-big notice at `ts`.
    TooBig {
        ts: i64,
        notice: &'a TooBig,
    },
    Undecodable(&'a WireError),
    /// Held for IP reassembly, or not corosync.
    Other,
}

impl Seen<'_> {
    /// Anything but a corosync packet, as the analysis takes it.
    pub fn of_other<'o>(o: &'o Outcome<'_>) -> Seen<'o> {
        match o {
            Outcome::TooBig { ts, notice } => Seen::TooBig { ts: *ts, notice },
            Outcome::Undecodable(e) => Seen::Undecodable(e),
            _ => Seen::Other,
        }
    }
}

/// What the engine reads of one decoded corosync packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketRec {
    pub ts: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// IP total length.
    pub ip_len: u32,
    /// Sent by the capturing host (Linux cooked captures only).
    pub outgoing: Option<bool>,
    /// Rebuilt from IP fragments.
    pub reassembled: bool,
    pub kind: Kind,
}

/// The knet layer, and the totem message inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// knet DATA, and its totem message when one was decoded.
    Data {
        node: u16,
        seq: u16,
        frag_seq: u8,
        bcast: bool,
        totem: Msg,
    },
    Ping(Ping),
    Pong(Ping),
    /// A PMTUD probe or reply: its sender, link and size.
    Pmtud(Pmtud),
    PmtudReply(Pmtud),
    /// HOST_INFO or an unknown knet type.
    OtherKnet {
        node: u16,
    },
    /// A totem message without knet (udp/udpu, corosync 2).
    Totem(Msg),
    /// Neither knet nor totem decoded: `encrypted` when the payload is
    /// ciphertext the run has no key for (the keyless inference's).
    Opaque {
        encrypted: bool,
        payload_len: u32,
    },
}

/// A PMTUD probe or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pmtud {
    pub node: u16,
    pub link: u8,
    /// [`Packet::pmtud_size`].
    pub size: u16,
}

/// A totem message: the header's node ids and what the body says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    /// The node that originated the message.
    pub nodeid: u32,
    /// Corosync 3's target node id (0: none, or a multicast).
    pub target: u32,
    pub body: MsgBody,
}

/// A ring id's representative and sequence (a corosync 2 representative
/// address, rare, is in the [`Lists`] entry of the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ring {
    pub rep: u32,
    /// The sequence, split so the record packs on 4 bytes.
    seq: [u32; 2],
}

impl Ring {
    fn of(r: RingId) -> Ring {
        Ring {
            rep: r.rep,
            seq: [r.seq as u32, (r.seq >> 32) as u32],
        }
    }
    pub fn seq(&self) -> u64 {
        u64::from(self.seq[0]) | (u64::from(self.seq[1]) << 32)
    }
}

/// The body of a totem message, as far as the engine reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgBody {
    /// No totem message (knet DATA whose message was not decoded).
    None,
    OrfToken {
        ring: Ring,
        token_seq: u32,
        backlog: u32,
        /// Its retransmit flag: set while a node still has old-ring
        /// messages to re-send in RECOVERY (fits the record's padding).
        retrans: bool,
        /// Retransmit list, ring address, seq and aru ([`Lists::token`],
        /// [`Lists::token_progress`]), or none.
        at: u32,
    },
    Mcast {
        ring: Ring,
        seq: u32,
        encapsulated: bool,
        /// A corosync 2 ring id's entry in the lists ([`Lists::mcast_ring`]),
        /// or none.
        at: u32,
    },
    /// Members and previous rings in [`Lists::commit`].
    CommitToken {
        at: u32,
    },
    MergeDetect {
        system_from: u32,
        at: u32,
    },
    Join,
    HoldCancel,
    /// Another type (ring test, unknown).
    Other,
}

/// The side buffer of variable-length lists records point into; cleared
/// with the records it serves, so its vectors are reused.
#[derive(Debug, Default, Clone)]
pub struct Lists {
    words: Vec<u32>,
    rings: Vec<RingId>,
}

/// A token's retransmit list: its length on the wire and the seqs it asks for.
#[derive(Debug, Clone, Copy)]
pub struct Rtr<'l> {
    pub len: usize,
    pub seqs: &'l [u32],
}

/// A commit token's ring, members and each member's previous ring.
#[derive(Debug, Clone, Copy)]
pub struct Commit<'l> {
    pub ring: RingId,
    pub members: &'l [u32],
    pub prev_rings: &'l [RingId],
}

impl Lists {
    pub fn with_capacity(words: usize) -> Lists {
        Lists {
            words: Vec::with_capacity(words),
            rings: Vec::with_capacity(64),
        }
    }

    pub fn clear(&mut self) {
        self.words.clear();
        self.rings.clear();
    }

    /// Words held (a batch is sent when they are many).
    pub fn len(&self) -> usize {
        self.words.len() + self.rings.len() * 8
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.rings.is_empty()
    }

    fn word(&self, i: usize) -> u32 {
        self.words.get(i).copied().unwrap_or(0)
    }

    fn slice(&self, from: usize, n: usize) -> &[u32] {
        self.words.get(from..from.saturating_add(n)).unwrap_or(&[])
    }

    fn ring_at(&self, i: u32) -> Option<RingId> {
        self.rings.get(i as usize).copied()
    }

    fn push_ring(&mut self, r: RingId) -> u32 {
        self.rings.push(r);
        (self.rings.len() - 1) as u32
    }

    /// The retransmit list and ring id of an ORF token (`at`, `ring` from
    /// its [`MsgBody::OrfToken`]).
    pub fn token(&self, at: u32, ring: Ring) -> (Rtr<'_>, RingId) {
        let plain = RingId {
            rep: ring.rep,
            seq: ring.seq(),
            rep_addr: None,
        };
        if at == NONE {
            return (Rtr { len: 0, seqs: &[] }, plain);
        }
        let at = at as usize;
        let len = self.word(at) as usize;
        let ring = self.ring_at(self.word(at + 1)).unwrap_or(plain);
        let seqs = self.slice(at + 4, len);
        (Rtr { len, seqs }, ring)
    }

    /// An ORF token's seq (the highest message seq) and aru, when carried
    /// (`at` from its [`MsgBody::OrfToken`]; see [`RECOVERY_TOKENS`]).
    pub fn token_progress(&self, at: u32) -> Option<(u32, u32)> {
        if at == NONE {
            return None;
        }
        let at = at as usize;
        Some((self.word(at + 2), self.word(at + 3)))
    }

    /// An mcast's ring id (`at`, `ring` from its [`MsgBody::Mcast`]).
    pub fn mcast_ring(&self, at: u32, ring: Ring) -> RingId {
        self.ring_at(at).unwrap_or(RingId {
            rep: ring.rep,
            seq: ring.seq(),
            rep_addr: None,
        })
    }

    /// A commit token's lists (`at` from its [`MsgBody::CommitToken`]).
    pub fn commit(&self, at: u32) -> Commit<'_> {
        let at = at as usize;
        let ring = self.ring_at(self.word(at)).unwrap_or(RingId {
            rep: 0,
            seq: 0,
            rep_addr: None,
        });
        let n = self.word(at + 1) as usize;
        let members = self.slice(at + 3, n);
        let (from, m) = (self.word(at + 2) as usize, self.word(at + 3 + n) as usize);
        let prev_rings = self.rings.get(from..from.saturating_add(m)).unwrap_or(&[]);
        Commit {
            ring,
            members,
            prev_rings,
        }
    }

    /// A merge-detect message's ring id (`at` from its [`MsgBody::MergeDetect`]).
    pub fn ring(&self, at: u32) -> RingId {
        self.ring_at(at).unwrap_or(RingId {
            rep: 0,
            seq: 0,
            rep_addr: None,
        })
    }
}

impl PacketRec {
    /// The record's size in bytes.
    pub const SIZE: usize = std::mem::size_of::<PacketRec>();

    /// The record of a decoded packet; its lists go to `lists`.
    #[inline(always)]
    pub fn of(p: &Packet<'_>, lists: &mut Lists) -> PacketRec {
        let d = &p.dgram;
        let totem = |l: &mut Lists| match &p.totem {
            Some(t) => msg(t, l),
            None => Msg {
                nodeid: 0,
                target: 0,
                body: MsgBody::None,
            },
        };
        let kind = match &p.knet {
            Some(Knet::Data(x)) => Kind::Data {
                node: x.node,
                seq: x.seq,
                frag_seq: x.frag_seq,
                bcast: x.bcast,
                totem: totem(lists),
            },
            Some(Knet::Ping(x)) => Kind::Ping(*x),
            Some(Knet::Pong(x)) => Kind::Pong(*x),
            Some(Knet::Pmtud(x)) => Kind::Pmtud(Pmtud {
                node: x.node,
                link: x.link,
                size: x.size(Some(d.ip_len)),
            }),
            Some(Knet::PmtudReply(x)) => Kind::PmtudReply(Pmtud {
                node: x.node,
                link: x.link,
                size: x.size(None),
            }),
            Some(Knet::Other { node, .. }) => Kind::OtherKnet { node: *node },
            None if p.totem.is_some() => Kind::Totem(totem(lists)),
            None => Kind::Opaque {
                encrypted: p.class == Class::Encrypted,
                payload_len: u32::try_from(d.payload_len).unwrap_or(u32::MAX),
            },
        };
        PacketRec {
            ts: p.ts,
            src: d.src,
            dst: d.dst,
            sport: d.sport,
            dport: d.dport,
            ip_len: d.ip_len,
            outgoing: d.outgoing,
            reassembled: d.reassembled,
            kind,
        }
    }

    /// The totem message, if one was decoded.
    #[inline]
    pub fn totem(&self) -> Option<&Msg> {
        match &self.kind {
            Kind::Data { totem, .. } if totem.body != MsgBody::None => Some(totem),
            Kind::Totem(m) => Some(m),
            _ => None,
        }
    }

    /// True when the knet layer was decoded.
    pub fn has_knet(&self) -> bool {
        !matches!(self.kind, Kind::Totem(_) | Kind::Opaque { .. })
    }
}

/// The record of a totem message; its lists go to `l`.
#[inline(always)]
fn msg(t: &Totem<'_>, l: &mut Lists) -> Msg {
    let body = match &t.body {
        Body::OrfToken(tok) => {
            let addr = tok.ring_id.rep_addr.is_some();
            let at = if tok.rtr.is_empty() && !addr && tok.token_seq >= RECOVERY_TOKENS {
                NONE
            } else {
                let at = l.words.len() as u32;
                let ring = if addr { l.push_ring(tok.ring_id) } else { NONE };
                l.words.push(tok.rtr.len().min(u32::MAX as usize) as u32);
                l.words.push(ring);
                l.words.push(tok.seq);
                l.words.push(tok.aru);
                l.words.extend(tok.rtr.iter().map(|i| i.seq));
                at
            };
            MsgBody::OrfToken {
                ring: Ring::of(tok.ring_id),
                token_seq: tok.token_seq,
                backlog: tok.backlog,
                retrans: tok.retrans_flg != 0,
                at,
            }
        }
        Body::Mcast(m) => MsgBody::Mcast {
            ring: Ring::of(m.ring_id),
            seq: m.seq,
            encapsulated: t.header.encapsulated == 1,
            at: if m.ring_id.rep_addr.is_some() {
                l.push_ring(m.ring_id)
            } else {
                NONE
            },
        },
        Body::CommitToken(c) => {
            let at = l.words.len() as u32;
            let ring = l.push_ring(c.ring_id);
            let from = l.rings.len() as u32;
            l.rings.extend(c.entries.iter().map(|e| e.ring_id));
            let prev = l.rings.len() as u32 - from;
            l.words.push(ring);
            l.words.push(c.members.len().min(u32::MAX as usize) as u32);
            l.words.push(from);
            l.words.extend(c.members.iter());
            l.words.push(prev);
            MsgBody::CommitToken { at }
        }
        Body::MergeDetect {
            system_from,
            ring_id,
        } => MsgBody::MergeDetect {
            system_from: *system_from,
            at: l.push_ring(*ring_id),
        },
        Body::Join(_) => MsgBody::Join,
        Body::HoldCancel { .. } => MsgBody::HoldCancel,
        Body::RingTest { .. } | Body::Unknown(_) => MsgBody::Other,
    };
    Msg {
        nodeid: t.header.nodeid,
        target: t.header.target_nodeid.unwrap_or(0),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::totem::parse;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    /// A token's list and ring come back from the lists as the wire
    /// view gives them: corosync 3 with two retransmit requests, and
    /// corosync 2, whose ring id names its representative's address.
    #[test]
    fn token_lists_round_trip() {
        // docs/wire-format.md §6.13's token, with two rtr entries.
        let mut v3 = hex("70c0 03 00 00 01000000 02000000
             00000000 00000000 ffffffff 01000000
             01000000 0900000000000000
             00000000 00000000 00000000 02000000");
        for s in [7u32, 8] {
            v3.extend(1u32.to_le_bytes());
            v3.extend(9u64.to_le_bytes());
            v3.extend(s.to_le_bytes());
        }
        // A corosync 2 token (ring 10.0.0.1:12), no rtr.
        let mut v2 = vec![0, 0, 0x22, 0xff];
        v2.extend(1u32.to_le_bytes());
        for v in [5u32, 100, 5, 0] {
            v2.extend(v.to_le_bytes());
        }
        v2.extend(1u32.to_le_bytes());
        v2.extend(2u16.to_le_bytes());
        v2.extend([10, 0, 0, 1]);
        v2.extend([0u8; 12]);
        v2.extend(12u64.to_le_bytes());
        v2.extend([0u8; 16]);
        let mut lists = Lists::default();
        // Something before, so positions are not all zero.
        lists.words.extend([1, 2, 3]);
        for (b, seqs, ring) in [(&v3, vec![7, 8], "1.9"), (&v2, vec![], "10.0.0.1:12")] {
            let t = parse(b).expect("token");
            let Body::OrfToken(o) = t.body else {
                panic!("not a token")
            };
            let m = msg(&t, &mut lists);
            assert_eq!(
                (m.nodeid, m.target),
                (1, t.header.target_nodeid.unwrap_or(0))
            );
            let MsgBody::OrfToken {
                ring: r,
                token_seq,
                backlog,
                retrans,
                at,
            } = m.body
            else {
                panic!("{m:?}")
            };
            assert_eq!(
                (token_seq, backlog, retrans),
                (o.token_seq, o.backlog, o.retrans_flg != 0)
            );
            // A new ring's early token carries its seq and aru.
            let progress = (o.token_seq < RECOVERY_TOKENS).then_some((o.seq, o.aru));
            assert_eq!(lists.token_progress(at), progress);
            let (rtr, id) = lists.token(at, r);
            assert_eq!((rtr.len, rtr.seqs), (o.rtr.len(), &seqs[..]));
            assert_eq!(id, o.ring_id);
            assert_eq!(id.to_string(), ring);
        }
    }
}
