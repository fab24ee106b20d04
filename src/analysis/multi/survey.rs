//! The clock survey: every capture's ping/pong sightings (or, without the
//! key, its encrypted packets seen in two captures), the facts that name
//! its vantage, and the offsets estimated from them at the end.

use std::hash::Hasher;
use std::net::IpAddr;

use crate::analysis::hash::{FastMap, insert_capped};
use crate::analysis::vantage::addrs_of;
use crate::decode::Packet;
use crate::wire::knet::Knet;

use super::{
    CaptureClock, ClockEstimate, MAX_ADDRS, MAX_CAPTURES, MAX_SIGHTINGS, hash_addr, hash_of,
    packet_key, pair_estimate, solve,
};

// ------------------------------------------------------------------ pass 1

#[derive(Debug, Clone, Copy)]
pub(super) struct Sighting {
    pub(super) key: u64,
    pub(super) ts: i64,
    pub(super) cap: u16,
    pub(super) pong: bool,
}

/// An encrypted packet nothing can be read from (no key), seen in a
/// capture: the same bytes in two captures are the same packet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Opaque {
    pub(super) key: u64,
    pub(super) ts: i64,
    pub(super) cap: u16,
    /// Address pair (order-free) and whether it went from the lower address.
    pub(super) pair: u64,
    pub(super) up: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct CapFacts {
    pub(super) packets: u64,
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: i64,
    /// Packets each address took part in (bounded).
    pub(super) addrs: Vec<(IpAddr, u64)>,
    /// Senders of the frames the link layer marks as sent by the host.
    pub(super) outgoing: crate::analysis::vantage::OutgoingTally,
}

/// First pass over every capture: what each one saw of the pings and pongs,
/// and who took part in its packets.
#[derive(Debug)]
pub struct ClockSurvey {
    pub(super) caps: Vec<CapFacts>,
    pub(super) addr_node: FastMap<IpAddr, u16>,
    pub(super) sightings: Vec<Sighting>,
    pub(super) opaque: Vec<Opaque>,
    pub(super) overflow: u64,
}

impl ClockSurvey {
    /// A survey of `captures` captures (indices 0..captures, at most [`MAX_CAPTURES`]).
    pub fn new(captures: usize) -> ClockSurvey {
        ClockSurvey {
            caps: vec![CapFacts::default(); captures.min(MAX_CAPTURES)],
            addr_node: FastMap::default(),
            sightings: Vec::new(),
            opaque: Vec::new(),
            overflow: 0,
        }
    }

    /// Maps addresses to node ids (corosync.conf's nodelist): without the
    /// key nothing in the packets names a node, and this is how a capture's
    /// vantage is still found. What knet headers say comes second.
    pub fn set_addresses(&mut self, map: &[(IpAddr, u16)]) {
        insert_capped(&mut self.addr_node, map, MAX_ADDRS);
    }

    /// One decoded corosync packet of capture `p.source`.
    pub fn observe(&mut self, p: &Packet<'_>) {
        let Some(c) = self.caps.get_mut(p.source) else {
            return;
        };
        c.packets += 1;
        c.first_ts.get_or_insert(p.ts);
        c.last_ts = c.last_ts.max(p.ts);
        if p.dgram.outgoing == Some(true) {
            c.outgoing.note(p.dgram.src);
        }
        for a in [p.dgram.src, p.dgram.dst] {
            match c.addrs.iter().position(|(x, _)| *x == a) {
                Some(i) => c.addrs[i].1 += 1,
                None if c.addrs.len() < 64 => c.addrs.push((a, 1)),
                None => {}
            }
        }
        let Some(k) = &p.knet else {
            if p.totem.is_none() {
                self.observe_opaque(p);
            }
            return;
        };
        if !self.addr_node.contains_key(&p.dgram.src) && self.addr_node.len() < MAX_ADDRS {
            self.addr_node.insert(p.dgram.src, k.node());
        }
        let (ping, pong) = match k {
            Knet::Ping(x) => (x, false),
            Knet::Pong(x) => (x, true),
            _ => return,
        };
        // Keyed by pinger, responder, link and the echoed time bytes.
        let (pinger, responder) = if pong {
            (p.dgram.dst, p.dgram.src)
        } else {
            (p.dgram.src, p.dgram.dst)
        };
        let key = hash_of(|h| {
            hash_addr(h, pinger);
            hash_addr(h, responder);
            h.write_u8(ping.link);
            h.write(&ping.time);
        });
        if self.sightings.len() >= MAX_SIGHTINGS {
            self.overflow += 1;
            return;
        }
        self.sightings.push(Sighting {
            key,
            ts: p.ts,
            cap: p.source as u16,
            pong,
        });
    }

    /// An encrypted packet read without the key: kept by its bytes, so that
    /// its sightings in two captures can stand in for ping/pong exchanges.
    pub(super) fn observe_opaque(&mut self, p: &Packet<'_>) {
        if self.opaque.len() >= MAX_SIGHTINGS {
            self.overflow += 1;
            return;
        }
        let d = &p.dgram;
        let (lo, hi) = if d.src <= d.dst {
            (d.src, d.dst)
        } else {
            (d.dst, d.src)
        };
        self.opaque.push(Opaque {
            key: packet_key(d),
            ts: p.ts,
            cap: p.source as u16,
            pair: hash_of(|h| {
                hash_addr(h, lo);
                hash_addr(h, hi);
            }),
            up: d.src == lo,
        });
    }

    /// Exchanges made of opaque packets, for the capture pairs that have no
    /// ping/pong exchange: a packet seen in captures a and b gives
    /// d = t_b − t_a = θ ± its time between the capture points, the sign
    /// set by its direction; paired with the nearest packet of the same
    /// two hosts going the other way (d' = θ ∓ …), (d + d′)/2 is off θ by
    /// at most |d − d′|/2 — the same sample as a ping and its pong.
    pub(super) fn opaque_samples(&mut self, n: usize, samples: &mut [Vec<(i64, i64, i64)>]) {
        if self.opaque.is_empty() {
            return;
        }
        self.opaque.sort_unstable_by_key(|o| (o.key, o.cap, o.ts));
        // (a, b, address pair, direction) → (t_a, t_b − t_a)
        let mut seen: Vec<(usize, usize, u64, bool, i64, i64)> = Vec::new();
        let mut at = vec![None::<i64>; n];
        let mut i = 0;
        while i < self.opaque.len() {
            let o = self.opaque[i];
            let mut j = i;
            at.iter_mut().for_each(|x| *x = None);
            while j < self.opaque.len() && self.opaque[j].key == o.key {
                if let Some(x) = at.get_mut(usize::from(self.opaque[j].cap)) {
                    x.get_or_insert(self.opaque[j].ts);
                }
                j += 1;
            }
            i = j;
            for a in 0..n {
                let Some(ta) = at[a] else { continue };
                for b in (a + 1)..n {
                    if !samples[a * n + b].is_empty() {
                        continue; // ping/pong exchanges are better evidence
                    }
                    if let Some(tb) = at[b] {
                        seen.push((a, b, o.pair, o.up, ta, tb.saturating_sub(ta)));
                    }
                }
            }
        }
        seen.sort_unstable_by_key(|x| (x.0, x.1, x.2, x.3, x.4));
        let mut k = 0;
        while k < seen.len() {
            let (a, b, pair) = (seen[k].0, seen[k].1, seen[k].2);
            let mut m = k;
            while m < seen.len() && (seen[m].0, seen[m].1, seen[m].2) == (a, b, pair) {
                m += 1;
            }
            let group = &seen[k..m];
            let split = group.partition_point(|x| !x.3);
            let (down, up) = group.split_at(split);
            for (mine, other) in [(up, down), (down, up)] {
                if other.is_empty() {
                    continue;
                }
                for x in mine {
                    // The other direction's packet nearest in time.
                    let p = other.partition_point(|y| y.4 < x.4);
                    let near = [p.checked_sub(1), Some(p)]
                        .into_iter()
                        .flatten()
                        .filter_map(|q| other.get(q))
                        .min_by_key(|y| (y.4 - x.4).unsigned_abs());
                    let Some(y) = near else { continue };
                    let theta = (i128::from(x.5) + i128::from(y.5)) / 2;
                    let delta = (i128::from(x.5) - i128::from(y.5)).abs();
                    if let (Ok(theta), Ok(delta)) = (i64::try_from(theta), i64::try_from(delta)) {
                        samples[a * n + b].push((theta, delta, x.4));
                    }
                }
            }
            k = m;
        }
    }

    /// The offsets, with capture 0 as the reference.
    pub fn finish(mut self) -> ClockEstimate {
        let n = self.caps.len();
        let mut captures: Vec<CaptureClock> =
            self.caps.iter().map(|c| self.capture_clock(c)).collect();
        let mut samples = self.exchange_samples(n);
        // Without the key: the same encrypted packets, both ways.
        let keyed: Vec<bool> = samples.iter().map(|s| !s.is_empty()).collect();
        self.opaque_samples(n, &mut samples);
        let mut pairs = Vec::new();
        for a in 0..n {
            for b in (a + 1)..n {
                if let Some(mut p) = pair_estimate(a, b, &mut samples[a * n + b]) {
                    p.from_packets = !keyed[a * n + b];
                    pairs.push(p);
                }
            }
        }
        solve(&mut captures, &pairs);
        ClockEstimate {
            captures,
            pairs,
            reference: 0,
            sightings_overflow: self.overflow,
        }
    }

    /// A capture's vantage and addresses.
    fn capture_clock(&self, c: &CapFacts) -> CaptureClock {
        let mut per_node: Vec<(u16, u64)> = Vec::new();
        for (a, cnt) in &c.addrs {
            if let Some(node) = self.addr_node.get(a) {
                match per_node.iter_mut().find(|(x, _)| x == node) {
                    Some((_, t)) => *t += cnt,
                    None => per_node.push((*node, *cnt)),
                }
            }
        }
        // ≥ 99 % of the packets, and only one node does.
        let all: Vec<u16> = per_node
            .iter()
            .filter(|(_, t)| c.packets > 0 && *t * 100 >= c.packets * 99)
            .map(|(n, _)| *n)
            .collect();
        // The link layer's word first (it also tells the two
        // captures of a two-node cluster apart).
        let marked = c.outgoing.node(|a| self.addr_node.get(a).copied());
        let vantage = marked.or(if all.len() == 1 {
            all.first().copied()
        } else {
            None
        });
        let mut vantage_addrs = addrs_of(&self.addr_node, vantage);
        vantage_addrs.sort();
        let mut addrs: Vec<IpAddr> = c.addrs.iter().map(|(a, _)| *a).collect();
        addrs.sort();
        CaptureClock {
            vantage,
            vantage_addrs,
            addrs,
            packets: c.packets,
            first_ts: c.first_ts,
            last_ts: c.last_ts,
            offset_ns: None,
            uncertainty_ns: None,
            samples: 0,
        }
    }

    /// NTP samples (θ, δ, t) per pair of captures (`a * n + b`, a < b) from
    /// the sightings of each ping/pong exchange.
    fn exchange_samples(&mut self, n: usize) -> Vec<Vec<(i64, i64, i64)>> {
        // Pairwise samples: group the sightings of one exchange.
        self.sightings
            .sort_unstable_by_key(|s| (s.key, s.pong, s.cap, s.ts));
        let mut samples: Vec<Vec<(i64, i64, i64)>> = vec![Vec::new(); n * n];
        let mut ping_at = vec![None::<i64>; n];
        let mut pong_at = vec![None::<i64>; n];
        let mut i = 0;
        while i < self.sightings.len() {
            let key = self.sightings[i].key;
            let mut j = i;
            ping_at.iter_mut().for_each(|x| *x = None);
            pong_at.iter_mut().for_each(|x| *x = None);
            while j < self.sightings.len() && self.sightings[j].key == key {
                let s = self.sightings[j];
                let slot = if s.pong { &mut pong_at } else { &mut ping_at };
                if let Some(x) = slot.get_mut(usize::from(s.cap)) {
                    // The first sighting in a capture counts.
                    x.get_or_insert(s.ts);
                }
                j += 1;
            }
            i = j;
            for a in 0..n {
                let (Some(ai), Some(bi)) = (ping_at[a], pong_at[a]) else {
                    continue;
                };
                for b in (a + 1)..n {
                    let (Some(aj), Some(bj)) = (ping_at[b], pong_at[b]) else {
                        continue;
                    };
                    if bi < ai || bj < aj {
                        continue;
                    }
                    let theta =
                        (i128::from(aj) - i128::from(ai) + i128::from(bj) - i128::from(bi)) / 2;
                    let delta = ((i128::from(bi) - i128::from(ai))
                        - (i128::from(bj) - i128::from(aj)))
                    .abs();
                    let (Ok(theta), Ok(delta)) = (i64::try_from(theta), i64::try_from(delta))
                    else {
                        continue;
                    };
                    samples[a * n + b].push((theta, delta, ai));
                }
            }
        }
        samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::multi::*;

    #[test]
    fn empty_inputs() {
        let e = ClockSurvey::new(0).finish();
        assert!(e.captures.is_empty());
        let e = ClockSurvey::new(2).finish();
        assert_eq!(e.captures[0].offset_ns, Some(0));
        assert_eq!(e.captures[1].offset_ns, None);
        let mut ow = OneWay::new(&e);
        ow.finish();
        assert!(ow.view().is_empty());
    }
}
