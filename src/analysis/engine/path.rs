//! Directed paths: one [`Dir`] per (sender address, receiver address, knet
//! link), the per-path state every concern keeps in its own part of it, and
//! a ring of one-second [`Bucket`]s the windows and the series read.
//!
//! Which link a packet belongs to: knet's service packets (ping, pong,
//! PMTUD) name their link, and the (address, source port) they came from is
//! learned as that link's; any other packet from a learned port is on its
//! link, else knet's default port rule (link N on port 5405 + N). The path
//! and its reverse are linked (`rev`) so that each direction's judgement can
//! read the other's evidence.

use std::net::IpAddr;

use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};
use crate::analysis::snapshot::TypeCount;

use super::{Engine, KnetLink, LatState, LossState, PingStats, PmtudState, SeqEvidence, SizeStats};

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
    pub(super) packets: u32,
    pub(super) bytes: u64,
    /// DATA copies that could have been missed and were seen / were lost
    /// before the capture point (see `seqloss`).
    pub(super) data_seen: u32,
    pub(super) data_lost: u32,
}

impl Bucket {
    /// Any loss counted in this second: pings, pongs or DATA copies.
    pub(super) fn lost_any(&self) -> bool {
        self.missing + self.unanswered + self.data_lost > 0
    }

    pub(super) fn loss_at(&mut self, ts: i64) {
        if self.first_loss == 0 || ts < self.first_loss {
            self.first_loss = ts;
        }
        self.last_loss = self.last_loss.max(ts);
    }
}

/// One directed path: src's packets to dst on one knet link. Each concern
/// keeps its part of the state in its own field, defined in its module.
#[derive(Debug)]
pub(super) struct Dir {
    pub(super) key: PathKey,
    pub(super) rev: Option<u32>,
    pub(super) hints: Hints,
    pub(super) src_node: Option<u16>,
    pub(super) dst_node: Option<u16>,
    pub(super) first_ts: i64,
    pub(super) last_ts: i64,
    pub(super) traffic: [TypeCount; 7],
    pub(super) ip_fragments: u64,
    /// knet DATA packets carrying a totem message.
    pub(super) totem_data: u64,
    /// A ring of one-second buckets; its length is a power of two (the slot
    /// is a mask, not a division), at least `series_len`.
    pub(super) buckets: Vec<Bucket>,
    /// Seconds the snapshot's series shows.
    pub(super) series_len: usize,
    /// Packets and PMTUD latency by size class.
    pub(super) sizes: SizeStats,
    /// src's ping session to dst (`ping`).
    pub(super) ping: PingStats,
    /// knet's view of the link at src (`link`).
    pub(super) link: KnetLink,
    /// PMTUD from src towards dst (`pmtud`).
    pub(super) pmtud: PmtudState,
    /// Loss windows and episodes (`loss`).
    pub(super) loss: LossState,
    /// DATA seq evidence (`seqloss`).
    pub(super) seq: SeqEvidence,
    /// RTT episodes (`latency`).
    pub(super) lat: LatState,
}

impl Dir {
    pub(super) fn new(key: PathKey, ts: i64, series_len: usize) -> Self {
        Dir {
            key,
            rev: None,
            hints: Hints::default(),
            src_node: None,
            dst_node: None,
            first_ts: ts,
            last_ts: ts,
            traffic: [TypeCount::default(); 7],
            ip_fragments: 0,
            totem_data: 0,
            buckets: vec![
                Bucket {
                    sec: i64::MIN,
                    ..Bucket::default()
                };
                series_len.max(64).next_power_of_two()
            ],
            series_len: series_len.max(64),
            sizes: SizeStats::default(),
            ping: PingStats::new(),
            link: KnetLink::new(),
            pmtud: PmtudState::new(),
            loss: LossState::new(),
            seq: SeqEvidence::new(),
            lat: LatState::default(),
        }
    }

    /// A finding about this path: its nodes and link, flowing `dir`.
    pub(super) fn finding(
        &self,
        kind: FindingKind,
        severity: Severity,
        start: i64,
        dir: Direction,
        message: String,
    ) -> Finding {
        Finding::new(kind, severity, start, message).nodes(
            self.src_node,
            self.dst_node,
            Some(self.key.link),
            Some(dir),
        )
    }

    /// The bucket of second `sec` to count a loss in.
    pub(super) fn loss_bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        self.loss.last_sec = self.loss.last_sec.max(sec);
        self.bucket(sec)
    }

    pub(super) fn bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        let mask = self.buckets.len().wrapping_sub(1);
        let b = self.buckets.get_mut(sec as usize & mask)?;
        if b.sec == sec {
            Some(b)
        } else if b.sec < sec {
            *b = Bucket {
                sec,
                ..Bucket::default()
            };
            Some(b)
        } else {
            None
        }
    }

    pub(super) fn bucket_ref(&self, sec: i64) -> Option<&Bucket> {
        let mask = self.buckets.len().wrapping_sub(1);
        let b = self.buckets.get(sec as usize & mask)?;
        (b.sec == sec).then_some(b)
    }
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
