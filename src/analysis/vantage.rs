//! Which node a capture was taken on, from what the link layer says: a
//! Linux cooked capture (`tcpdump -i any`, SLL / SLL2) marks the frames the
//! capturing host sent (packet type PACKET_OUTGOING). Their senders are the
//! host's own addresses, so the node behind nearly all of them is the
//! vantage. This holds where the topology cannot tell (a two-node cluster,
//! where both nodes take part in every packet).
//!
//! A host that forwards or bridges cluster traffic (a hypervisor capturing
//! its guests' taps) marks other nodes' packets outgoing too: then no node
//! has the required share and the caller falls back to the topology.

use std::net::IpAddr;

use super::hash::FastMap;

/// The addresses the address → node map gives `node` (none for `None`),
/// in the map's order.
pub(crate) fn addrs_of(addr_node: &FastMap<IpAddr, u16>, node: Option<u16>) -> Vec<IpAddr> {
    match node {
        Some(v) => addr_node
            .iter()
            .filter(|(_, n)| **n == v)
            .map(|(a, _)| *a)
            .collect(),
        None => Vec::new(),
    }
}

/// Share of the outgoing frames one node must have sent, in percent.
const SHARE_PCT: u64 = 99;
/// Distinct sender addresses remembered (a node has one per knet link).
const MAX_ADDRS: usize = 16;

/// Senders of the frames marked outgoing.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutgoingTally {
    addrs: Vec<(IpAddr, u64)>,
    total: u64,
}

impl OutgoingTally {
    /// A frame marked outgoing, sent from `src`.
    #[inline]
    pub(crate) fn note(&mut self, src: IpAddr) {
        self.total += 1;
        let room = self.addrs.len() < MAX_ADDRS;
        match self.addrs.iter_mut().find(|(a, _)| *a == src) {
            Some((_, n)) => *n += 1,
            None if room => self.addrs.push((src, 1)),
            None => {}
        }
    }

    /// The node that sent at least 99 % of the outgoing frames, its
    /// addresses resolved by `node_of`.
    pub(crate) fn node(&self, node_of: impl Fn(&IpAddr) -> Option<u16>) -> Option<u16> {
        let mut per_node: Vec<(u16, u64)> = Vec::new();
        for (a, n) in &self.addrs {
            let Some(node) = node_of(a) else { continue };
            match per_node.iter_mut().find(|(x, _)| *x == node) {
                Some((_, t)) => *t += n,
                None => per_node.push((node, *n)),
            }
        }
        per_node
            .into_iter()
            .find(|(_, t)| self.total > 0 && t * 100 >= self.total * SHARE_PCT)
            .map(|(node, _)| node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn a(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, n % 10, n / 10))
    }

    #[test]
    fn one_node_on_two_links_is_the_vantage() {
        // node 1 is 10.0.0.0 (link 0) and 10.0.1.0 (link 1)
        let node_of = |x: &IpAddr| match x {
            IpAddr::V4(v) => Some(u16::from(v.octets()[3]) + 1),
            _ => None,
        };
        let mut t = OutgoingTally::default();
        assert_eq!(t.node(node_of), None);
        for _ in 0..500 {
            t.note(a(0));
            t.note(a(1));
        }
        assert_eq!(t.node(node_of), Some(1));
        // 2 % from another node (a forwarding host): no verdict.
        for _ in 0..20 {
            t.note(a(10));
        }
        assert_eq!(t.node(node_of), None);
        // Unknown addresses count against the share too.
        let mut u = OutgoingTally::default();
        u.note(a(0));
        u.note(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(u.node(|x| (*x == a(0)).then_some(1)), None);
    }
}
