//! Token hold time per node: from the token arriving at the capture point
//! on its way to a node to that node sending the next token on. On a bridge
//! capture this is the node's own time with the token (plus its two wire
//! legs, µs on a LAN): corosync's processing, its token hold when the ring
//! is idle, and any scheduling delay.

use hdrhistogram::Histogram;

use super::SmallMap;
use super::{HIST_MAX_US, NS, new_hist};

#[derive(Debug, Default)]
pub(super) struct HoldTimes {
    /// Latest token arrival towards each node not yet followed by its send.
    arrived: SmallMap<u32, i64>,
    pub hist: SmallMap<u32, Histogram<u32>>,
}

impl HoldTimes {
    /// A new token towards `node` was seen at `ts`.
    pub fn arrival(&mut self, node: u32, ts: i64, max_nodes: usize) {
        if self.arrived.contains_key(&node) || self.arrived.len() < max_nodes {
            self.arrived.insert(node, ts);
        }
    }

    /// `node` sent a new token at `ts`; holds longer than `limit` ns (the
    /// token was lost, the ring re-formed) are not holds.
    pub fn sent(&mut self, node: u32, ts: i64, limit: i64, max_nodes: usize) {
        let Some(at) = self.arrived.get(&node).copied() else {
            return;
        };
        if at == i64::MIN {
            return;
        }
        self.arrived.insert(node, i64::MIN);
        let hold = ts - at;
        if hold < 0 || hold > limit.max(NS) {
            return;
        }
        if !self.hist.contains_key(&node) {
            if self.hist.len() >= max_nodes {
                return;
            }
            self.hist.insert(node, new_hist());
        }
        if let Some(h) = self.hist.get_mut(&node) {
            h.saturating_record(((hold / 1000).max(1) as u64).min(HIST_MAX_US));
        }
    }
}
