//! A direct-mapped cache from a UDP flow (addresses and ports) to its knet
//! link and the engine's directed path: nearly every packet belongs to one
//! of a handful of flows, and the cache spares it the two hash lookups
//! (learned port → link, then path key → path) that otherwise dominate the
//! engine's per-packet cost.
//!
//! An entry holds what the slow path computed, so a hit gives the same
//! answer: the link a packet without a link field would get
//! ([`super::Engine`]'s `link_of`), whether that link was learned from the
//! port (a link-carrying packet with that link then has nothing to teach),
//! and the path. Learning a port clears the cache; paths are never removed,
//! so a cached path stays valid.

use std::net::IpAddr;

/// Entries; a power of two. A cluster has a few flows per node pair and
/// link, so collisions are rare and only cost a slow lookup.
const SLOTS: usize = 64;

/// A flow folded to two words: IPv4 flows (nearly all clusters) are
/// stored whole in them and compared as two integers; for IPv6 the words
/// are a digest and the entry keeps the addresses to confirm a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    addrs: u64,
    /// Ports, and in bit 32 whether the flow is IPv6.
    rest: u64,
}

/// Takes the addresses by reference: read in place from the packet's
/// record, not copied through the stack (where reading an address back
/// stalled on its copy's stores: 12 % of `ingest_rec`, issue 20).
#[inline]
fn key(src: &IpAddr, dst: &IpAddr, sport: u16, dport: u16) -> Key {
    let ports = u64::from(sport) << 16 | u64::from(dport);
    match (src, dst) {
        // Memory order (no byte swap): only equality and spread matter.
        (IpAddr::V4(s), IpAddr::V4(d)) => Key {
            addrs: u64::from(u32::from_ne_bytes(s.octets())) << 32
                | u64::from(u32::from_ne_bytes(d.octets())),
            rest: ports,
        },
        _ => Key {
            addrs: fold(src).rotate_left(17) ^ fold(dst),
            rest: ports | 1 << 32,
        },
    }
}

fn fold(a: &IpAddr) -> u64 {
    match a {
        IpAddr::V4(v) => u64::from(u32::from(*v)),
        IpAddr::V6(v) => {
            let x = u128::from(*v);
            (x as u64) ^ ((x >> 64) as u64)
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Key,
    /// Path index; `u32::MAX`: empty slot.
    dir: u32,
    link: u8,
    /// `link` came from a learned port (not from the port-number rule).
    learned: bool,
    /// The addresses, checked on IPv6 hits only.
    src: IpAddr,
    dst: IpAddr,
}

const EMPTY: Entry = Entry {
    key: Key { addrs: 0, rest: 0 },
    dir: u32::MAX,
    link: 0,
    learned: false,
    src: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
    dst: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
};

#[derive(Debug, Clone)]
pub(super) struct FlowCache {
    slots: Box<[Entry; SLOTS]>,
}

impl Default for FlowCache {
    fn default() -> Self {
        FlowCache {
            slots: Box::new([EMPTY; SLOTS]),
        }
    }
}

#[inline]
fn slot(k: Key) -> usize {
    let h = (k.addrs ^ k.rest.rotate_left(40)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 58) as usize & (SLOTS - 1)
}

impl FlowCache {
    /// The cached (link, path) of a flow. `pkt_link` is the link the packet
    /// names itself (service packets), which must agree with the cached
    /// one and must have been learned already.
    #[inline]
    pub(super) fn get(
        &self,
        src: &IpAddr,
        dst: &IpAddr,
        sport: u16,
        dport: u16,
        pkt_link: Option<u8>,
    ) -> Option<(u8, u32)> {
        let k = key(src, dst, sport, dport);
        let e = &self.slots[slot(k)];
        if e.key != k
            || e.dir == u32::MAX
            || (k.rest >> 32 != 0 && (e.src != *src || e.dst != *dst))
        {
            return None;
        }
        match pkt_link {
            None => Some((e.link, e.dir)),
            Some(l) if l == e.link && e.learned => Some((l, e.dir)),
            Some(_) => None,
        }
    }

    /// Remembers a flow's link (as `link_of` gives it) and path.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn put(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        sport: u16,
        dport: u16,
        link: u8,
        learned: bool,
        dir: u32,
    ) {
        let key = key(&src, &dst, sport, dport);
        self.slots[slot(key)] = Entry {
            key,
            dir,
            link,
            learned,
            src,
            dst,
        };
    }

    /// Forgets everything (a port was learned: links may have changed).
    pub(super) fn clear(&mut self) {
        self.slots.fill(EMPTY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }

    #[test]
    fn hit_needs_the_whole_flow_and_a_learned_link() {
        let mut c = FlowCache::default();
        assert_eq!(c.get(&v4(1), &v4(2), 5405, 5405, None), None);
        c.put(v4(1), v4(2), 5405, 5405, 0, true, 7);
        assert_eq!(c.get(&v4(1), &v4(2), 5405, 5405, None), Some((0, 7)));
        assert_eq!(c.get(&v4(1), &v4(2), 5405, 5405, Some(0)), Some((0, 7)));
        // Another link named by the packet, another port, the reverse flow.
        assert_eq!(c.get(&v4(1), &v4(2), 5405, 5405, Some(1)), None);
        assert_eq!(c.get(&v4(1), &v4(2), 5406, 5405, None), None);
        assert_eq!(c.get(&v4(2), &v4(1), 5405, 5405, None), None);
        // A link from the port rule only: a service packet must still teach it.
        c.put(v4(1), v4(3), 5405, 5406, 1, false, 8);
        assert_eq!(c.get(&v4(1), &v4(3), 5405, 5406, None), Some((1, 8)));
        assert_eq!(c.get(&v4(1), &v4(3), 5405, 5406, Some(1)), None);
        c.clear();
        assert_eq!(c.get(&v4(1), &v4(2), 5405, 5405, None), None);
    }

    #[test]
    fn ipv6_flows_spread_over_slots() {
        let mut seen = std::collections::HashSet::new();
        for n in 1..=16u16 {
            let a = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, n));
            let b = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 100));
            seen.insert(slot(key(&a, &b, 5405, 5405)));
        }
        assert!(seen.len() >= 10, "{}", seen.len());
    }
}
