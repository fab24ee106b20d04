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

use hdrhistogram::Histogram;

use crate::analysis::snapshot::{LinkState, Transition, TypeCount};

use super::{Engine, LatEpisode, LossEpisode, Probe, Side, SizeStats, new_hist};

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
    // src's ping session to dst
    pub(super) pings: u64,
    pub(super) pongs: u64,
    pub(super) unanswered: u64,
    pub(super) missing: u64,
    pub(super) late_pongs: u64,
    pub(super) last_ping: Option<i64>,
    pub(super) max_ping_gap: i64,
    pub(super) max_ping_gap_at: i64,
    pub(super) last_pong: Option<i64>,
    /// Capture time of the ping answered by `last_pong`.
    pub(super) last_pong_ping: i64,
    pub(super) max_pong_gap: i64,
    pub(super) max_pong_gap_at: i64,
    pub(super) rtt: Histogram<u32>,
    pub(super) min_rtt_us: u64,
    pub(super) last_rtt_us: Option<u64>,
    pub(super) jitter_sum: f64,
    pub(super) jitter_n: u64,
    pub(super) avg_lat_us: f64,
    pub(super) lat_n: u32,
    // knet link model
    pub(super) state: LinkState,
    /// The link was up at least once: loss is only counted from then on
    /// (before, the peer may simply not run yet).
    pub(super) ever_up: bool,
    /// Capture time of the first pong: earlier pings never count as lost.
    pub(super) first_pong: i64,
    pub(super) pongs_while_down: u32,
    /// knet multiplies the ping timeout by a backoff that is 10 when the link
    /// is (re)configured or goes down and drops by one on each run of its
    /// once-a-second adjustment (phase unknown: rounded) down to 1: the time
    /// it was last reset (i64::MIN: long ago, backoff 1).
    pub(super) backoff_from: i64,
    /// Fed by the keyless inference.
    pub(super) inferred: bool,
    /// The pinger fell silent past a down deadline and sent again: (resume
    /// time, deadline). Decided once it is clear whether it was stalled.
    pub(super) resume_check: Option<(i64, i64)>,
    pub(super) transitions: Vec<Transition>,
    pub(super) downs: u64,
    pub(super) open_down: Option<usize>,
    pub(super) down_times: [i64; 8],
    // PMTUD
    pub(super) probes: Vec<Probe>,
    pub(super) run_last: Option<i64>,
    /// Size of the latest probe (a reply answers the probe just sent).
    pub(super) last_probe: Option<u16>,
    pub(super) run_start: i64,
    pub(super) pmtu: Option<u16>,
    pub(super) pmtu_min: Option<u16>,
    pub(super) pmtud_unanswered: Vec<u16>,
    pub(super) pmtud_probes: u64,
    pub(super) pmtud_replies: u64,
    pub(super) icmp_too_big: u64,
    pub(super) icmp_mtu: Option<u32>,
    // time series and episodes
    /// A ring of one-second buckets; its length is a power of two (the slot
    /// is a mask, not a division), at least `series_len`.
    pub(super) buckets: Vec<Bucket>,
    /// Seconds the snapshot's series shows.
    pub(super) series_len: usize,
    pub(super) loss_ep: Option<LossEpisode>,
    /// Loss windows start after this second (the end of the last episode).
    pub(super) loss_floor: i64,
    /// Latest second any loss was counted in.
    pub(super) loss_sec: i64,
    /// Loss samples of the seconds in which both this path and its reverse
    /// carried packets: what `asymmetry` compares. While one direction is
    /// silent (a cut, a stopped node) the capture point cannot tell whether
    /// the other direction's packets arrived: a node that sends nothing
    /// does not show what it received.
    pub(super) up_side: Side,
    pub(super) lat_ep: Option<LatEpisode>,
    pub(super) lat_run: u32,
    pub(super) lat_run_start: i64,
    // DATA seq evidence (`seqloss`)
    pub(super) data_seen: u64,
    pub(super) data_lost: u64,
    /// Copies missing in a row, not yet known to be loss, and when the run began.
    pub(super) miss_run: u8,
    pub(super) miss_run_ts: i64,
    /// Copies of one seq were seen on two links to this host (active mode).
    pub(super) active_copies: bool,
    pub(super) last_data_ts: i64,
    /// Packets and PMTUD latency by size class.
    pub(super) sizes: SizeStats,
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
            pings: 0,
            pongs: 0,
            unanswered: 0,
            missing: 0,
            late_pongs: 0,
            last_ping: None,
            max_ping_gap: 0,
            max_ping_gap_at: 0,
            last_pong: None,
            last_pong_ping: 0,
            max_pong_gap: 0,
            max_pong_gap_at: 0,
            rtt: new_hist(),
            min_rtt_us: u64::MAX,
            last_rtt_us: None,
            jitter_sum: 0.0,
            jitter_n: 0,
            avg_lat_us: 0.0,
            lat_n: 0,
            state: LinkState::Unknown,
            ever_up: false,
            first_pong: i64::MAX,
            pongs_while_down: 0,
            backoff_from: i64::MIN,
            inferred: false,
            resume_check: None,
            transitions: Vec::new(),
            downs: 0,
            open_down: None,
            down_times: [i64::MIN; 8],
            probes: Vec::with_capacity(8),
            run_last: None,
            last_probe: None,
            run_start: 0,
            pmtu: None,
            pmtu_min: None,
            pmtud_unanswered: Vec::new(),
            pmtud_probes: 0,
            pmtud_replies: 0,
            icmp_too_big: 0,
            icmp_mtu: None,
            buckets: vec![
                Bucket {
                    sec: i64::MIN,
                    ..Bucket::default()
                };
                series_len.max(64).next_power_of_two()
            ],
            series_len: series_len.max(64),
            loss_ep: None,
            loss_floor: i64::MIN,
            loss_sec: i64::MIN,
            up_side: Side::default(),
            lat_ep: None,
            lat_run: 0,
            lat_run_start: 0,
            data_seen: 0,
            data_lost: 0,
            miss_run: 0,
            miss_run_ts: 0,
            active_copies: false,
            last_data_ts: i64::MIN,
            sizes: SizeStats::default(),
        }
    }

    /// The bucket of second `sec` to count a loss in.
    pub(super) fn loss_bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        self.loss_sec = self.loss_sec.max(sec);
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
