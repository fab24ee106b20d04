//! What the token path keeps per node, in one table so that a token costs
//! one lookup for its sender and one for its receiver:
//!
//! * the last token the node sent (a token sent again is a retransmission);
//! * the last new token seen on its way to the node (rotation);
//! * its token hold time: from the token arriving at the capture point on
//!   its way to the node to that node sending the next token on. On a
//!   bridge capture this is the node's own time with the token (plus its two
//!   wire legs, µs on a LAN): corosync's processing, its token hold when the
//!   ring is idle, and any scheduling delay. It counts from the latest
//!   copy of that token (its sender re-sends it when it does not come
//!   back; an earlier copy may have been lost after the capture point);
//!   the first copy is kept too, for a node found stopped (`nodes`).

use hdrhistogram::Histogram;

use super::NS;
use super::SmallMap;
use super::fasthist::FastHist;

/// A token seen at `ts`: its ring (rep, seq) and token_seq.
#[derive(Debug, Clone, Copy)]
pub(super) struct TokRx {
    pub(super) ts: i64,
    pub(super) ring: (u32, u64),
    pub(super) token_seq: u32,
}

#[derive(Debug, Default)]
pub(super) struct TokNode {
    /// The latest token this node sent.
    pub tx: Option<TokRx>,
    /// The latest new token towards this node.
    pub rx: Option<TokRx>,
    /// Latest token arrival not yet followed by the node's send.
    arrived: Option<i64>,
    /// The first copy of that token seen on its way to the node.
    first_arrived: Option<i64>,
    hold: Option<FastHist>,
    /// The first join message from another node towards this node since
    /// its latest token: it left the operational state then.
    pub join_rx: Option<i64>,
    /// Time between the latest two new tokens towards this node.
    pub rx_gap: Option<i64>,
    /// Keyless: when a token resent to this node was last seen (the node
    /// may not have had the first copy: what it sends next may be new).
    pub resend_rx: Option<i64>,
}

impl TokNode {
    /// A new token towards this node was seen at `ts`; `copy` when it is
    /// a copy of the one the node has not passed on yet (its sender sent
    /// it again). The hold is counted from the latest copy (an earlier one
    /// may have been lost after the capture point); the first is kept.
    #[inline]
    pub fn arrival(&mut self, ts: i64, copy: bool) {
        if !(copy && self.arrived.is_some()) {
            self.first_arrived = Some(ts);
        }
        self.arrived = Some(ts);
    }

    /// This node sent a new token at `ts`; holds longer than `limit` ns (the
    /// token was lost, the ring re-formed) are not holds. The token's
    /// arrival (its latest copy, and its first) when this send ended a
    /// hold.
    #[inline]
    pub fn sent(&mut self, ts: i64, limit: i64) -> Option<(i64, i64)> {
        let (first, at) = self.pending()?;
        self.arrived = None;
        self.first_arrived = None;
        let hold = ts - at;
        if hold < 0 || (hold > NS && hold > limit) {
            return None;
        }
        self.hold.get_or_insert_with(FastHist::new).record_ns(hold);
        Some((at, first))
    }

    /// The token not passed on yet: its first copy's arrival and its
    /// latest copy's.
    fn pending(&self) -> Option<(i64, i64)> {
        let at = self.arrived?;
        Some((self.first_arrived.unwrap_or(at).min(at), at))
    }
}

/// The token path's nodes, capped like every per-node table.
#[derive(Debug, Default)]
pub(super) struct TokNodes {
    nodes: SmallMap<u32, TokNode>,
}

impl TokNodes {
    /// `node`'s entry (tried at `hint` first), added when there is room.
    #[inline]
    pub fn entry(&mut self, node: u32, max_nodes: usize, hint: &mut u16) -> Option<&mut TokNode> {
        let i = match self.nodes.index_hinted(&node, hint) {
            Some(i) => i,
            None if self.nodes.len() < max_nodes => self.nodes.push(node, TokNode::default()),
            None => return None,
        };
        self.nodes.at_mut(i)
    }

    /// Whether `node` passed on a new token of `ring` at or after `since`:
    /// it is in that ring and operational, so it asks for what it misses.
    #[inline]
    pub fn passed_token_in(&self, node: u32, ring: (u32, u64), since: i64) -> bool {
        self.nodes
            .get(&node)
            .and_then(|t| t.tx)
            .is_some_and(|tx| tx.ring == ring && tx.ts >= since)
    }

    /// The token `node` has not passed on yet: when its first copy and its
    /// latest copy were seen on their way to it, and its ring's
    /// representative.
    pub fn held(&self, node: u32) -> Option<(i64, i64, u32)> {
        let t = self.nodes.get(&node)?;
        let (first, at) = t.pending()?;
        Some((first, at, t.rx?.ring.0))
    }

    /// The latest new token `node` sent (its first copy).
    pub fn last_sent(&self, node: u32) -> Option<TokRx> {
        self.nodes.get(&node).and_then(|t| t.tx)
    }

    /// When a new token was last seen on its way to each node.
    pub fn last_arrivals(&self) -> impl Iterator<Item = (u32, i64)> + '_ {
        self.nodes
            .iter()
            .filter_map(|(n, t)| t.rx.map(|rx| (*n, rx.ts)))
    }

    /// Each node's hold time histogram (µs), for the nodes that have one.
    pub fn hists(&self) -> impl Iterator<Item = (u32, Histogram<u32>)> + '_ {
        self.nodes
            .iter()
            .filter_map(|(n, h)| h.hold.as_ref().map(|x| (*n, x.to_hdr())))
    }
}
