//! Evaluation against one packet: reads the decoded fields in place (lists
//! through their lazy views), allocates nothing.

use std::net::IpAddr;

use super::fields::Id;
use super::lex::Op;
use super::parse::{Check, Node, RingPat, Test, Value};
use crate::decode::{FragState, Packet};
use crate::infer::{Inference, Kind as Inferred, Record};
use crate::wire::classify::Class;
use crate::wire::knet::Knet;
use crate::wire::totem::{Body, RingId};

/// What a filter is evaluated against.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a, 'p> {
    /// A decoded packet.
    Packet(&'a Packet<'p>),
    /// An encrypted packet without a key, and what it was inferred to be.
    Inferred(&'a Record, &'a Inference),
}

/// One value of a field in a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Int(u64),
    Time(i64),
    Bool(bool),
    Addr(IpAddr),
    Ring(RingId),
    Name(&'static str),
}

pub fn eval(n: &Node, s: Subject<'_, '_>) -> bool {
    match n {
        Node::Or(a, b) => eval(a, s) || eval(b, s),
        Node::And(a, b) => eval(a, s) && eval(b, s),
        Node::Not(a) => !eval(a, s),
        Node::Test(t) => test(t, s),
    }
}

fn test(t: &Test, s: Subject<'_, '_>) -> bool {
    let id = t.field.id;
    match &t.check {
        Check::Bare => match t.field.kind {
            super::fields::Kind::Bool => visit(s, id, &mut |v| v == Val::Bool(true)) == Some(true),
            _ => visit(s, id, &mut |_| true).is_some(),
        },
        // Present, and no value equal (for a list: none of them).
        Check::Cmp(Op::Ne, x) => visit(s, id, &mut |v| rel(Op::Eq, v, x)) == Some(false),
        Check::Cmp(op, x) => visit(s, id, &mut |v| rel(*op, v, x)) == Some(true),
        Check::In(set) => {
            visit(s, id, &mut |v| set.iter().any(|x| rel(Op::Eq, v, x))) == Some(true)
        }
    }
}

/// `v op x`; `Ne` is never asked (it is "no value equal").
fn rel(op: Op, v: Val, x: &Value) -> bool {
    match (v, x) {
        (Val::Int(a), Value::Int(b)) => ord(op, a.cmp(b)),
        (Val::Int(a), Value::Range(lo, hi)) => (*lo..=*hi).contains(&a),
        (Val::Time(a), Value::Time(b)) => ord(op, a.cmp(b)),
        (Val::Bool(a), Value::Bool(b)) => a == *b,
        (Val::Name(a), Value::Name(b)) => a == *b,
        (Val::Addr(a), Value::Net(n, len)) => in_net(a, *n, *len),
        (Val::Ring(r), Value::Ring(p)) => match op {
            Op::Eq | Op::Ne => ring_eq(r, p),
            _ => ord(op, r.seq.cmp(&p.seq)),
        },
        _ => false,
    }
}

fn ord(op: Op, c: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => c == Equal,
        Op::Ne => c != Equal,
        Op::Lt => c == Less,
        Op::Le => c != Greater,
        Op::Gt => c == Greater,
        Op::Ge => c != Less,
    }
}

fn ring_eq(r: RingId, p: &RingPat) -> bool {
    r.seq == p.seq
        && p.rep.is_none_or(|rep| r.rep == rep && r.rep_addr.is_none())
        && p.addr.is_none_or(|a| r.rep_addr == Some(a))
}

fn in_net(a: IpAddr, net: IpAddr, len: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Calls `f` on each value of field `id` until it returns true. None when
/// the packet does not have the field; Some(whether `f` returned true).
fn visit(s: Subject<'_, '_>, id: Id, f: &mut dyn FnMut(Val) -> bool) -> Option<bool> {
    let r = match s {
        Subject::Packet(p) => Record::of(p),
        Subject::Inferred(r, _) => *r,
    };
    let v = match id {
        Id::Ts => Val::Time(r.ts),
        Id::File => int(r.source as u64),
        Id::N => int(r.packet_no),
        Id::Len => int(r.len),
        Id::IpSrc => Val::Addr(r.src),
        Id::IpDst => Val::Addr(r.dst),
        Id::IpAddr => return Some(f(Val::Addr(r.src)) || f(Val::Addr(r.dst))),
        Id::IpLen => int(r.ip_len),
        Id::IpVersion => int(if r.src.is_ipv4() { 4u8 } else { 6 }),
        Id::UdpSrcport => int(r.sport),
        Id::UdpDstport => int(r.dport),
        Id::UdpPort => return Some(f(int(r.sport)) || f(int(r.dport))),
        _ => {
            return match s {
                Subject::Packet(p) => packet(p, id, f),
                Subject::Inferred(_, i) => inferred(i, id, f),
            };
        }
    };
    Some(f(v))
}

fn int(v: impl Into<u64>) -> Val {
    Val::Int(v.into())
}

fn one(v: Option<Val>, f: &mut dyn FnMut(Val) -> bool) -> Option<bool> {
    v.map(f)
}

/// A decoded packet's own fields (the addressing ones are [`visit`]'s).
fn packet(p: &Packet<'_>, id: Id, f: &mut dyn FnMut(Val) -> bool) -> Option<bool> {
    let k = p.knet.as_ref();
    let t = p.totem.as_ref();
    let body = t.map(|t| &t.body);
    let v = match id {
        // The addressing fields are read by `visit`.
        Id::Ts
        | Id::File
        | Id::N
        | Id::Len
        | Id::IpSrc
        | Id::IpDst
        | Id::IpAddr
        | Id::IpLen
        | Id::IpVersion
        | Id::UdpSrcport
        | Id::UdpDstport
        | Id::UdpPort => None,
        Id::Class => Some(Val::Name(p.class.name())),
        Id::Decrypted => Some(Val::Bool(p.decrypted)),
        Id::Encrypted => Some(Val::Bool(p.decrypted || p.class == Class::Encrypted)),
        Id::Error => p.error.map(|_| Val::Bool(true)),
        Id::Inferred => Some(Val::Bool(false)),
        Id::InferredType => None,
        Id::Node => match (k, t) {
            (Some(k), _) => Some(int(k.node())),
            (None, Some(t)) => Some(int(t.header.nodeid)),
            _ => None,
        },
        Id::Knet => k.map(|_| Val::Bool(true)),
        Id::KnetType => k.map(|k| Val::Name(k.packet_type().name())),
        Id::KnetCode => k.map(|k| int(k.packet_type().code())),
        Id::KnetNode => k.map(|k| int(k.node())),
        Id::KnetLink => k.and_then(Knet::link).map(int),
        Id::KnetSeq => match k {
            Some(Knet::Data(d)) => Some(int(d.seq)),
            Some(Knet::Ping(g) | Knet::Pong(g)) => Some(int(g.seq)),
            _ => None,
        },
        Id::KnetBcast => match k {
            Some(Knet::Data(d)) => Some(Val::Bool(d.bcast)),
            _ => None,
        },
        Id::KnetFragNum => match k {
            Some(Knet::Data(d)) => Some(int(d.frag_num)),
            _ => None,
        },
        Id::KnetFragSeq => match k {
            Some(Knet::Data(d)) => Some(int(d.frag_seq)),
            _ => None,
        },
        Id::KnetReassembled => match k {
            Some(Knet::Data(d)) if d.is_fragment() => {
                Some(Val::Bool(p.frag == FragState::Completed))
            }
            _ => None,
        },
        Id::KnetTimed => match k {
            Some(Knet::Ping(g) | Knet::Pong(g)) => Some(Val::Bool(g.timed)),
            _ => None,
        },
        Id::KnetPmtudSize => p.pmtud_size().map(int),
        Id::Totem => t.map(|_| Val::Bool(true)),
        Id::TotemType => t.map(|t| Val::Name(t.header.mtype.name())),
        Id::TotemVersion => t.map(|t| {
            int(if t.header.version == crate::wire::totem::Version::V3 {
                3u8
            } else {
                2
            })
        }),
        Id::TotemNodeid => t.map(|t| int(t.header.nodeid)),
        Id::TotemTargetNodeid => t.and_then(|t| t.header.target_nodeid).map(int),
        Id::TotemRingId => t.and_then(|t| t.ring_id()).map(Val::Ring),
        Id::TotemTokenSeq => match body {
            Some(Body::OrfToken(o)) => Some(int(o.token_seq)),
            Some(Body::CommitToken(c)) => Some(int(c.token_seq)),
            _ => None,
        },
        Id::TotemSeq => match body {
            Some(Body::OrfToken(o)) => Some(int(o.seq)),
            Some(Body::Mcast(m)) => Some(int(m.seq)),
            _ => None,
        },
        Id::TotemAru => match body {
            Some(Body::OrfToken(o)) => Some(int(o.aru)),
            _ => None,
        },
        Id::TotemRtrListEntries => match body {
            Some(Body::OrfToken(o)) => Some(int(o.rtr.len() as u64)),
            _ => None,
        },
        Id::TotemRtr => {
            return match body {
                Some(Body::OrfToken(o)) => Some(o.rtr.iter().any(|r| f(int(r.seq)))),
                _ => None,
            };
        }
        Id::TotemMembers => {
            return match body {
                Some(Body::CommitToken(c)) => Some(c.members.iter().any(|m| f(int(m)))),
                Some(Body::Join(j)) => Some(j.proc_list.iter().any(|m| f(int(m)))),
                _ => None,
            };
        }
        Id::TotemFailed => {
            return match body {
                Some(Body::Join(j)) => Some(j.failed_list.iter().any(|m| f(int(m)))),
                _ => None,
            };
        }
        Id::TotemEncapsulated => match body {
            Some(Body::Mcast(_)) => t.map(|t| Val::Bool(t.header.encapsulated == 1)),
            _ => None,
        },
        Id::TotemLen => match body {
            Some(Body::Mcast(m)) => Some(int(m.payload.len() as u64)),
            _ => None,
        },
    };
    one(v, f)
}

/// What an inferred kind stands for: its knet type and its totem type.
fn inferred_types(k: Inferred) -> (Option<&'static str>, Option<&'static str>) {
    match k {
        Inferred::Ping => (Some("ping"), None),
        Inferred::Pong => (Some("pong"), None),
        Inferred::Pmtud => (Some("pmtud"), None),
        Inferred::PmtudReply => (Some("pmtud_reply"), None),
        Inferred::Token => (Some("data"), Some("orf_token")),
        Inferred::Mcast => (Some("data"), Some("mcast")),
        Inferred::Fragment => (Some("data"), None),
        Inferred::Unknown => (None, None),
    }
}

/// An encrypted packet without a key: the addresses, ports and lengths are
/// known ([`visit`]); `knet.type` and `totem.type` are the inferred ones;
/// the fields inside the ciphertext (nodes, links, seqs) are absent.
fn inferred(i: &Inference, id: Id, f: &mut dyn FnMut(Val) -> bool) -> Option<bool> {
    let (knet, totem) = inferred_types(i.kind);
    let v = match id {
        Id::Class => Some(Val::Name(Class::Encrypted.name())),
        Id::Decrypted => Some(Val::Bool(false)),
        Id::Encrypted | Id::Inferred => Some(Val::Bool(true)),
        Id::InferredType => Some(Val::Name(i.kind.name())),
        Id::Knet => knet.map(|_| Val::Bool(true)),
        Id::KnetType => knet.map(Val::Name),
        Id::Totem => totem.map(|_| Val::Bool(true)),
        Id::TotemType => totem.map(Val::Name),
        _ => None,
    };
    one(v, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_by_prefix() {
        let a: IpAddr = "10.77.0.3".parse().unwrap();
        assert!(in_net(a, "10.77.0.0".parse().unwrap(), 16));
        assert!(in_net(a, "10.77.0.3".parse().unwrap(), 32));
        assert!(!in_net(a, "10.77.0.4".parse().unwrap(), 32));
        assert!(in_net(a, "0.0.0.0".parse().unwrap(), 0));
        assert!(!in_net(a, "::".parse().unwrap(), 0));
        let b: IpAddr = "fd00::3".parse().unwrap();
        assert!(in_net(b, "fd00::".parse().unwrap(), 64));
        assert!(!in_net(b, "fd01::".parse().unwrap(), 64));
    }

    #[test]
    fn rings_match_by_rep_and_seq_or_address_and_seq() {
        let v3 = RingId {
            rep: 1,
            seq: 0x15,
            rep_addr: None,
        };
        let pat = |rep, addr: Option<&str>, seq| RingPat {
            rep,
            addr: addr.map(|a| a.parse().unwrap()),
            seq,
        };
        assert!(ring_eq(v3, &pat(Some(1), None, 0x15)));
        assert!(!ring_eq(v3, &pat(Some(2), None, 0x15)));
        assert!(!ring_eq(v3, &pat(Some(1), None, 0x16)));
        let v2 = RingId {
            rep: 1,
            seq: 12,
            rep_addr: Some("10.0.0.1".parse().unwrap()),
        };
        assert!(ring_eq(v2, &pat(None, Some("10.0.0.1"), 12)));
        assert!(!ring_eq(v2, &pat(None, Some("10.0.0.2"), 12)));
        assert!(!ring_eq(v2, &pat(Some(1), None, 12)));
        // Order is the ring seq's.
        assert!(rel(
            Op::Gt,
            Val::Ring(v3),
            &Value::Ring(pat(Some(9), None, 0x10))
        ));
        assert!(!rel(
            Op::Lt,
            Val::Ring(v3),
            &Value::Ring(pat(Some(1), None, 0x15))
        ));
        assert!(rel(
            Op::Le,
            Val::Ring(v3),
            &Value::Ring(pat(Some(1), None, 0x15))
        ));
    }

    #[test]
    fn each_operator_on_integers() {
        let x = Value::Int(5);
        let r = |op, v| rel(op, Val::Int(v), &x);
        assert!(r(Op::Eq, 5) && !r(Op::Eq, 4));
        assert!(r(Op::Lt, 4) && !r(Op::Lt, 5));
        assert!(r(Op::Le, 5) && !r(Op::Le, 6));
        assert!(r(Op::Gt, 6) && !r(Op::Gt, 5));
        assert!(r(Op::Ge, 5) && !r(Op::Ge, 4));
        assert!(rel(Op::Eq, Val::Int(4), &Value::Range(3, 5)));
        assert!(!rel(Op::Eq, Val::Int(6), &Value::Range(3, 5)));
    }

    #[test]
    fn inferred_kinds_stand_for_knet_and_totem_types() {
        assert_eq!(
            inferred_types(Inferred::Token),
            (Some("data"), Some("orf_token"))
        );
        assert_eq!(inferred_types(Inferred::Pong), (Some("pong"), None));
        assert_eq!(inferred_types(Inferred::Unknown), (None, None));
    }
}
