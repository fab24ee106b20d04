//! Token hold time per node: from the token arriving at the capture point
//! on its way to a node to that node sending the next token on. On a bridge
//! capture this is the node's own time with the token (plus its two wire
//! legs, µs on a LAN): corosync's processing, its token hold when the ring
//! is idle, and any scheduling delay.

use hdrhistogram::Histogram;

use super::SmallMap;
use super::fasthist::FastHist;
use super::{HIST_MAX_US, NS};

#[derive(Debug)]
struct Hold {
    /// Latest token arrival not yet followed by the node's send.
    arrived: Option<i64>,
    hist: Option<FastHist>,
}

#[derive(Debug, Default)]
pub(super) struct HoldTimes {
    nodes: SmallMap<u32, Hold>,
}

impl HoldTimes {
    /// A new token towards `node` was seen at `ts`.
    pub fn arrival(&mut self, node: u32, ts: i64, max_nodes: usize, hint: &mut u16) {
        let room = self.nodes.len() < max_nodes;
        let i = self.nodes.index_hinted(&node, hint);
        match i.and_then(|i| self.nodes.at_mut(i)) {
            Some(h) => h.arrived = Some(ts),
            None if room => {
                self.nodes.push(
                    node,
                    Hold {
                        arrived: Some(ts),
                        hist: None,
                    },
                );
            }
            None => {}
        }
    }

    /// `node` sent a new token at `ts`; holds longer than `limit` ns (the
    /// token was lost, the ring re-formed) are not holds.
    pub fn sent(&mut self, node: u32, ts: i64, limit: i64, hint: &mut u16) {
        let i = self.nodes.index_hinted(&node, hint);
        let Some(h) = i.and_then(|i| self.nodes.at_mut(i)) else {
            return;
        };
        let Some(at) = h.arrived.take() else {
            return;
        };
        let hold = ts - at;
        if hold < 0 || hold > limit.max(NS) {
            return;
        }
        h.hist
            .get_or_insert_with(FastHist::new)
            .record(((hold / 1000).max(1) as u64).min(HIST_MAX_US));
    }

    /// Each node's hold time histogram (µs), for the nodes that have one.
    pub fn hists(&self) -> impl Iterator<Item = (u32, Histogram<u32>)> + '_ {
        self.nodes
            .iter()
            .filter_map(|(n, h)| h.hist.as_ref().map(|x| (*n, x.to_hdr())))
    }
}
