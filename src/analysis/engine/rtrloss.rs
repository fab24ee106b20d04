//! Loss after the capture point from totem's retransmit requests.
//!
//! Totem numbers every message of a ring (the mcast `seq`); a node that
//! misses one asks for it in the retransmit list (`rtr`) of the token it
//! passes on. A seq that node N adds to the list (absent from the token it
//! received) is a message N did not get. When a copy of that message
//! towards N was seen at the capture point, it was lost after it, on the
//! path from its sender to N. Pings give little of this (one a second, and
//! a missing pong mixes in the reverse path's loss); every message a node
//! asks for again is one packet lost on one known path.
//!
//! Samples: every copy of an original message (its sender's own, not a
//! retransmission) seen on a path; lost: those the receiver then asked
//! for. A copy not seen here and asked for was lost before the capture
//! point, which the DATA seq rules (`seqloss`) count already.
//!
//! Totem numbers the messages of each ring from 1 again (a new ring starts
//! its `seq` over), and a token's retransmit list names messages of the
//! token's ring: a message and a request match only within one ring (a
//! seq asked for in a new ring is not the message of that seq of the ring
//! before, lost or not).
//!
//! Memory is fixed: the latest [`ORIGINS`] messages (by seq) with the paths
//! their copies were seen on, and per node the retransmit list of the last
//! token it received (up to [`RTR_KEPT`] entries; a longer list is a storm
//! and not compared).

use crate::compact::Rtr;

use super::{Dir, NS};

/// Messages remembered, by seq modulo this.
const ORIGINS: usize = 1024;
/// Copies remembered per message (one per destination path).
const COPIES: usize = 8;
/// Retransmit entries compared per token.
const RTR_KEPT: usize = 64;
/// A request later than this after the message is not about this copy.
const REQUEST_WINDOW: i64 = 10 * NS;

/// A ring's id: representative and ring seq.
pub(super) type RingKey = (u32, u64);

#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    ring: RingKey,
    seq: u32,
    ts: i64,
    /// Destination node and path index of each copy seen.
    copies: [(u32, u32); COPIES],
    n: u8,
}

#[derive(Debug, Clone, Copy)]
struct RtrSet {
    node: u32,
    /// The ring of the token the list came with.
    ring: RingKey,
    seqs: [u32; RTR_KEPT],
    n: u8,
    /// More entries than kept: not compared.
    full: bool,
}

/// Messages, their copies, and the last retransmit list each node got.
#[derive(Debug)]
pub(super) struct RtrLoss {
    origins: Vec<Origin>,
    rx: Vec<RtrSet>,
}

impl RtrLoss {
    pub(super) fn new() -> Self {
        RtrLoss {
            origins: vec![Origin::default(); ORIGINS],
            rx: Vec::new(),
        }
    }

    /// A copy of original message `seq` of ring `ring` towards node `to`
    /// on path `dir`, seen at `ts`.
    #[inline]
    pub(super) fn copy_seen(&mut self, ring: RingKey, seq: u32, to: u32, dir: u32, ts: i64) {
        let o = &mut self.origins[seq as usize % ORIGINS];
        if o.seq != seq || o.ring != ring || ts - o.ts > REQUEST_WINDOW || o.n == 0 {
            *o = Origin {
                ring,
                seq,
                ts,
                ..Origin::default()
            };
        }
        if (o.n as usize) < COPIES && !o.copies[..o.n as usize].iter().any(|c| c.0 == to) {
            o.copies[o.n as usize] = (to, dir);
            o.n += 1;
        }
    }

    /// The token of ring `ring` towards `node` carried `rtr`: what it asked
    /// for is known.
    pub(super) fn token_to(&mut self, node: u32, ring: RingKey, rtr: &Rtr<'_>, max_nodes: usize) {
        let k = match self.rx.iter().position(|s| s.node == node) {
            Some(k) => k,
            None if self.rx.len() < max_nodes => {
                self.rx.push(RtrSet {
                    node,
                    ring,
                    seqs: [0; RTR_KEPT],
                    n: 0,
                    full: false,
                });
                self.rx.len() - 1
            }
            None => return,
        };
        let set = &mut self.rx[k];
        set.ring = ring;
        set.n = 0;
        set.full = rtr.len > RTR_KEPT;
        for (k, seq) in rtr.seqs.iter().take(RTR_KEPT).enumerate() {
            set.seqs[k] = *seq;
            set.n = (k + 1) as u8;
        }
    }

    /// Node `from` passed on a token of ring `ring` with `rtr`: each entry
    /// it added (not in the token of that ring it received) is a message
    /// of that ring it missed. Those whose copy towards it was seen here
    /// were lost after the capture point: counted on that copy's path.
    pub(super) fn token_from(
        &mut self,
        from: u32,
        ring: RingKey,
        rtr: &Rtr<'_>,
        ts: i64,
        dirs: &mut [Dir],
    ) {
        if rtr.len == 0 || rtr.len > RTR_KEPT {
            return;
        }
        let Some(got) = self.rx.iter().find(|s| s.node == from) else {
            return;
        };
        if got.full {
            return;
        }
        // A list received with another ring's token asked for that ring's
        // messages.
        let had = if got.ring == ring {
            &got.seqs[..got.n as usize]
        } else {
            &[][..]
        };
        for &seq in rtr.seqs {
            if had.contains(&seq) {
                continue;
            }
            let o = &self.origins[seq as usize % ORIGINS];
            if o.seq != seq || o.ring != ring || o.n == 0 || ts - o.ts > REQUEST_WINDOW {
                continue;
            }
            let Some(&(_, dir)) = o.copies[..o.n as usize].iter().find(|c| c.0 == from) else {
                continue;
            };
            if let Some(d) = dirs.get_mut(dir as usize) {
                d.copy_lost_after(o.ts);
            }
        }
    }
}

/// A path's messages seen and asked for again.
#[derive(Debug, Default)]
pub(super) struct McastEvidence {
    pub(super) seen: u64,
    pub(super) lost: u64,
}

impl Dir {
    /// An original message's copy on this path was seen in second `sec`.
    #[inline]
    pub(super) fn mcast_copy_seen(&mut self, sec: i64) {
        self.mcast.seen += 1;
        if let Some(b) = self.bucket(sec) {
            b.mcast_seen = b.mcast_seen.saturating_add(1);
        }
    }

    /// The copy sent at `ts` was asked for again by its receiver.
    fn copy_lost_after(&mut self, ts: i64) {
        self.mcast.lost += 1;
        if let Some(b) = self.loss_bucket(ts.div_euclid(NS)) {
            b.mcast_lost = b.mcast_lost.saturating_add(1);
            b.loss_at(ts);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    /// A knet DATA packet from `from` carrying totem mcast `seq` of ring
    /// (1, 8).
    fn mcast_bytes(from: u32, seq: u32) -> Vec<u8> {
        mcast_in(8, from, seq)
    }

    /// An orf token of ring (1, 8) from `from` to `to` asking for `rtr`.
    fn token_asking(from: u32, to: u32, token_seq: u32, rtr: &[u32]) -> Vec<u8> {
        token_in(8, from, to, token_seq, rtr)
    }

    /// The same, of ring (1, `ring_seq`).
    fn token_in(ring_seq: u64, from: u32, to: u32, token_seq: u32, rtr: &[u32]) -> Vec<u8> {
        let mut t = totem_header(0, from, to);
        for v in [30u32, token_seq, 10, 0] {
            t.extend_from_slice(&v.to_le_bytes());
        }
        ring(&mut t, 1, ring_seq);
        for v in [0u32, 0, 0, rtr.len() as u32] {
            t.extend_from_slice(&v.to_le_bytes());
        }
        for s in rtr {
            ring(&mut t, 1, ring_seq);
            t.extend_from_slice(&s.to_le_bytes());
        }
        knet_data(from as u16, &t)
    }

    fn mcast_counts(e: &Engine, src: u8, dst: u8) -> (u64, u64) {
        e.dirs
            .iter()
            .find(|d| d.key.src == ip(src) && d.key.dst == ip(dst))
            .map_or((0, 0), |d| (d.mcast.seen, d.mcast.lost))
    }

    #[test]
    fn a_seq_asked_for_in_a_new_ring_is_not_the_old_rings_message() {
        let mut e = Engine::new(two_nodes());
        ping_pair(&mut e, T0, 1, 2, 0, Some(300), 5);
        feed(&mut e, T0, ip(2), ip(1), 0, &token_in(8, 2, 1, 3, &[]));
        // Message 14 of ring (1, 8) reaches node 2 (nobody asks for it).
        feed(&mut e, T0 + MS, ip(1), ip(2), 0, &mcast_in(8, 1, 14));
        feed(
            &mut e,
            T0 + 2 * MS,
            ip(1),
            ip(2),
            0,
            &token_in(8, 1, 2, 4, &[]),
        );
        feed(
            &mut e,
            T0 + 3 * MS,
            ip(2),
            ip(1),
            0,
            &token_in(8, 2, 1, 5, &[]),
        );
        // A new ring (1, 12) numbers its messages from 1 again: node 2
        // asking for 14 of it is not about the copy of ring (1, 8).
        feed(
            &mut e,
            T0 + 5 * MS,
            ip(1),
            ip(2),
            0,
            &token_in(12, 1, 2, 1, &[]),
        );
        feed(
            &mut e,
            T0 + 6 * MS,
            ip(2),
            ip(1),
            0,
            &token_in(12, 2, 1, 2, &[14]),
        );
        assert_eq!(mcast_counts(&e, 1, 2), (1, 0));
    }

    #[test]
    fn copies_towards_a_node_outside_the_ring_are_no_samples() {
        // Node 2 passed no token of ring (1, 8): it is not in the ring and
        // asks for nothing, so what it misses cannot show.
        let mut e = Engine::new(two_nodes());
        ping_pair(&mut e, T0, 1, 2, 0, Some(300), 5);
        feed(&mut e, T0 + MS, ip(1), ip(2), 0, &mcast_bytes(1, 20));
        assert_eq!(mcast_counts(&e, 1, 2), (0, 0));
        // Once it passes one on, the next copy is a sample.
        feed(
            &mut e,
            T0 + 2 * MS,
            ip(2),
            ip(1),
            0,
            &token_asking(2, 1, 3, &[]),
        );
        feed(&mut e, T0 + 3 * MS, ip(1), ip(2), 0, &mcast_bytes(1, 21));
        assert_eq!(mcast_counts(&e, 1, 2), (1, 0));
    }

    #[test]
    fn a_message_asked_for_again_was_lost_after_the_capture_point() {
        let mut e = Engine::new(two_nodes());
        ping_pair(&mut e, T0, 1, 2, 0, Some(300), 5);
        // Node 2 passes a token of ring (1, 8): it is in the ring.
        feed(&mut e, T0, ip(2), ip(1), 0, &token_asking(2, 1, 3, &[]));
        // Node 1 sends messages 20 and 21 to node 2; both copies are seen.
        feed(&mut e, T0 + MS, ip(1), ip(2), 0, &mcast_bytes(1, 20));
        feed(&mut e, T0 + 2 * MS, ip(1), ip(2), 0, &mcast_bytes(1, 21));
        // The token reaches node 2 asking for nothing; node 2 passes it on
        // asking for 21: node 2 never got it.
        feed(
            &mut e,
            T0 + 3 * MS,
            ip(1),
            ip(2),
            0,
            &token_asking(1, 2, 4, &[]),
        );
        feed(
            &mut e,
            T0 + 4 * MS,
            ip(2),
            ip(1),
            0,
            &token_asking(2, 1, 5, &[21]),
        );
        assert_eq!(mcast_counts(&e, 1, 2), (2, 1));
        // Still asked for on the next rotation: not counted twice.
        feed(
            &mut e,
            T0 + 5 * MS,
            ip(1),
            ip(2),
            0,
            &token_asking(1, 2, 6, &[21]),
        );
        feed(
            &mut e,
            T0 + 6 * MS,
            ip(2),
            ip(1),
            0,
            &token_asking(2, 1, 7, &[21]),
        );
        assert_eq!(mcast_counts(&e, 1, 2), (2, 1));
        // A seq whose copy towards node 2 was never seen here was lost
        // before the capture point (seqloss counts it): not counted here.
        feed(
            &mut e,
            T0 + 7 * MS,
            ip(1),
            ip(2),
            0,
            &token_asking(1, 2, 8, &[]),
        );
        feed(
            &mut e,
            T0 + 8 * MS,
            ip(2),
            ip(1),
            0,
            &token_asking(2, 1, 9, &[22]),
        );
        assert_eq!(mcast_counts(&e, 1, 2), (2, 1));
    }
}
