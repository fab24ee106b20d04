//! Directed paths: the key of a [`Dir`] (sender address, receiver address,
//! knet link), finding a packet's path, and the one-second [`Bucket`]s of
//! each path's ring that the windows and the series read.
//!
//! Which link a packet belongs to: knet's service packets (ping, pong,
//! PMTUD) name their link, and the (address, source port) they came from is
//! learned as that link's; any other packet from a learned port is on its
//! link, else knet's default port rule (link N on port 5405 + N). The path
//! and its reverse are linked (`rev`) so that each direction's judgement can
//! read the other's evidence.

use std::net::IpAddr;

use super::{Dir, Engine};

/// The link of a packet nothing else tells: knet's default ports 5405+N.
pub(super) fn port_rule(dport: u16) -> u8 {
    match dport.checked_sub(5405) {
        Some(n) if n < 8 => n as u8,
        _ => 0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct PathKey {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) link: u8,
}

/// Where a path's sender and receiver sit in the engine's small per-node
/// tables, found last time (each checked before use): spares the per-packet
/// scans.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Hints {
    pub(super) nodes: u16,
    pub(super) seqs: u16,
    pub(super) tx: u16,
    pub(super) rx: u16,
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Bucket {
    pub(super) sec: i64,
    pub(super) pings: u32,
    pub(super) pongs: u32,
    pub(super) missing: u32,
    pub(super) unanswered: u32,
    /// Earliest loss event in this second (0 = none).
    pub(super) first_loss: i64,
    pub(super) last_loss: i64,
    pub(super) rtt_sum_us: u64,
    pub(super) rtt_n: u32,
    pub(super) rtt_max_us: u32,
    /// The second's RTTs, µs: the first [`RTT_KEPT`] in order, then each
    /// further one over the slot `rtt_n % RTT_KEPT` (the last ones kept).
    pub(super) rtt_us: [u32; RTT_KEPT],
    pub(super) packets: u32,
    pub(super) bytes: u64,
    /// DATA copies that could have been missed and were seen / were lost
    /// before the capture point (see `seqloss`).
    pub(super) data_seen: u32,
    pub(super) data_lost: u32,
    /// Totem messages whose copy was seen here, and those the receiver
    /// then asked for again (lost after the capture point, `rtrloss`).
    pub(super) mcast_seen: u16,
    pub(super) mcast_lost: u16,
    /// Token copies seen here whose fate the receiver's next token told,
    /// and those of them lost after the capture point (`tokloss`).
    pub(super) tok_seen: u16,
    pub(super) tok_lost: u16,
    /// Earliest and latest token copy lost in this second (0 = none): kept
    /// apart, as the tokens count only in windows where two were lost.
    pub(super) tok_first_loss: i64,
    pub(super) tok_last_loss: i64,
}

/// RTTs kept per second and direction for its median: knet pings a few
/// times a second at most (corosync's default interval is near a second).
pub(super) const RTT_KEPT: usize = 8;

impl Bucket {
    /// Counts one RTT of this second (µs): sum, count, max and the kept
    /// values for the median.
    pub(super) fn rtt(&mut self, us: u64) {
        let us32 = us.min(u64::from(u32::MAX)) as u32;
        if let Some(slot) = self.rtt_us.get_mut(self.rtt_n as usize % RTT_KEPT) {
            *slot = us32;
        }
        self.rtt_sum_us += us;
        self.rtt_n += 1;
        self.rtt_max_us = self.rtt_max_us.max(us32);
    }

    /// Median of the second's kept RTTs, µs (the mean of the middle two
    /// of an even count); 0 without any.
    pub(super) fn rtt_p50_us(&self) -> u32 {
        let n = (self.rtt_n as usize).min(RTT_KEPT);
        let mut v = self.rtt_us;
        let v = &mut v[..n];
        v.sort_unstable();
        match n {
            0 => 0,
            n if n % 2 == 1 => v[n / 2],
            n => ((u64::from(v[n / 2 - 1]) + u64::from(v[n / 2])) / 2) as u32,
        }
    }

    /// Any loss counted in this second: pings, pongs, DATA copies or
    /// messages asked for again (token copies are apart: `tok_loss_at`).
    pub(super) fn lost_any(&self) -> bool {
        self.missing + self.unanswered + self.data_lost + u32::from(self.mcast_lost) > 0
    }

    pub(super) fn loss_at(&mut self, ts: i64) {
        widen(&mut self.first_loss, &mut self.last_loss, ts);
    }

    pub(super) fn tok_loss_at(&mut self, ts: i64) {
        widen(&mut self.tok_first_loss, &mut self.tok_last_loss, ts);
    }
}

/// Widens a second's (first, last) loss times (first 0 = none) to `ts`.
fn widen(first: &mut i64, last: &mut i64, ts: i64) {
    if *first == 0 || ts < *first {
        *first = ts;
    }
    *last = (*last).max(ts);
}

impl Engine {
    pub(super) fn learn_port(&mut self, addr: IpAddr, port: u16, link: u8) {
        if self.port_link.get(&(addr, port)) == Some(&link) {
            return;
        }
        if self.port_link.len() >= self.th.limits.max_addrs * 2
            && !self.port_link.contains_key(&(addr, port))
        {
            return;
        }
        self.port_link.insert((addr, port), link);
        self.flows.clear();
    }

    pub(super) fn link_of(&self, addr: IpAddr, sport: u16, dport: u16) -> u8 {
        match self.port_link.get(&(addr, sport)) {
            Some(l) => *l,
            None => port_rule(dport),
        }
    }

    /// The link and path of a flow the cache does not hold; remembers them.
    pub(super) fn flow_slow(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        sport: u16,
        dport: u16,
        pkt_link: Option<u8>,
        ts: i64,
    ) -> (u8, Option<u32>) {
        let link = match pkt_link {
            Some(l) => {
                self.learn_port(src, sport, l);
                l
            }
            None => self.link_of(src, sport, dport),
        };
        let dir = self.path(src, dst, link, ts);
        if let Some(i) = dir {
            // Cached only when a packet without a link field would get the
            // same link (else the cache would answer it wrongly).
            let learned = self.port_link.get(&(src, sport)).copied();
            if learned.unwrap_or_else(|| port_rule(dport)) == link {
                self.flows
                    .put(src, dst, sport, dport, link, learned == Some(link), i);
            }
        }
        (link, dir)
    }

    pub(super) fn path(&mut self, src: IpAddr, dst: IpAddr, link: u8, ts: i64) -> Option<u32> {
        let key = PathKey { src, dst, link };
        if let Some(&i) = self.paths.get(&key) {
            return Some(i);
        }
        if self.dirs.len() >= self.th.limits.max_paths {
            self.overflow.paths += 1;
            return None;
        }
        let i = self.dirs.len() as u32;
        let mut d = Dir::new(key, ts, self.th.limits.series_len);
        d.src_node = self.addr_node.get(&src).copied();
        d.dst_node = self.addr_node.get(&dst).copied();
        let rkey = PathKey {
            src: dst,
            dst: src,
            link,
        };
        if let Some(&r) = self.paths.get(&rkey) {
            d.rev = Some(r);
            self.dirs[r as usize].rev = Some(i);
        }
        self.dirs.push(d);
        self.paths.insert(key, i);
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use std::net::{IpAddr, Ipv4Addr};

    use crate::analysis::Limits;

    #[test]
    fn spoofed_flood_is_capped_and_counted() {
        let mut th = two_nodes();
        th.limits.max_paths = 64;
        th.limits.max_pending_pings = 10;
        let mut e = Engine::new(th);
        for i in 0..20_000u32 {
            let src = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            let mono = u64::from(i) * 1000;
            feed(
                &mut e,
                T0 + i64::from(i) * 1000,
                src,
                ip(1),
                0,
                &ping_bytes(false, (i % 60000) as u16 + 3, 0, mono, 5),
            );
        }
        let s = e.snapshot();
        assert_eq!(s.links.len(), 64);
        assert_eq!(s.overflow.paths, 20_000 - 64);
        assert!(s.overflow.addrs > 0 && s.overflow.nodes > 0);
        assert!(s.nodes.len() <= Limits::default().max_nodes);
        // only tracked paths keep pending pings; beyond the cap of 10 they are counted
        assert_eq!(s.overflow.pending_pings, 64 - 10);
    }
}
