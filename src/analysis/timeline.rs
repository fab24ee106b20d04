//! The run second by second: a [`Sample`] is the part of a [`Snapshot`]
//! that is a number at one moment (cumulative counters, histograms as
//! bucket counts, gauges), a [`Timeline`] the samples taken once a second
//! of capture time. The metrics (the live endpoint's exposition, the
//! OpenMetrics backfill of `report --format openmetrics`) are written from
//! samples; anything that plots the run over time (a report with graphs)
//! reads the same timeline.
//!
//! A sample is taken from a snapshot only, so what it says is what every
//! other output says at that moment. Directions are keyed by their node
//! ids when known, else by their addresses (encrypted traffic without the
//! key); two tracked paths with the same key (a node that changed address)
//! are added together, so a key is never repeated.

use std::net::IpAddr;

use super::findings::{FindingKind, Severity};
use super::snapshot::{LinkState, RTT_HIST_LEN, Snapshot, TOKEN_HIST_LEN};

/// One end of a direction: its node id, or its address when the node is
/// not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum End {
    Node(u16),
    Addr(IpAddr),
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Node(n) => write!(f, "{n}"),
            End::Addr(a) => write!(f, "{a}"),
        }
    }
}

/// One direction (src pings dst on `link`) at one moment. Counters are
/// cumulative since the start of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSample {
    pub src: End,
    pub dst: End,
    pub link: u8,
    pub pings_sent: u64,
    pub pongs_received: u64,
    /// Pings missing from src's cadence plus pings unanswered.
    pub pings_lost: u64,
    /// Pongs after the ping timeout.
    pub pongs_late: u64,
    /// RTT samples in the `RTT_BUCKETS_US` buckets, their count and sum (µs).
    pub rtt_hist: [u64; RTT_HIST_LEN],
    pub rtt_count: u64,
    pub rtt_sum_us: f64,
    /// None while no pong was seen.
    pub up: Option<bool>,
    pub downs: u64,
    /// Latest acknowledged PMTUD size (IP length, bytes).
    pub pmtu: Option<u16>,
    /// Longest time without a pong so far, ms.
    pub max_silence_ms: f64,
    /// Time since the last pong, ms.
    pub pong_age_ms: f64,
    /// Estimated loss src→dst, percent.
    pub loss_pct: f64,
    /// Packets and bytes src sent to dst.
    pub packets: u64,
    pub bytes: u64,
    /// PMTUD probes src sent to dst, and the replies dst sent back.
    pub pmtud_probes: u64,
    pub pmtud_replies: u64,
    /// Largest RTT of the sample's step (the seconds since the previous
    /// sample), µs; None when no pong came in it.
    pub rtt_max_step_us: Option<u32>,
    /// Median RTT of the sample's step, µs: the second's median (of its
    /// pongs), or over a step of several seconds the median of their
    /// medians; None when no pong came in it.
    pub rtt_p50_step_us: Option<u32>,
}

/// A token histogram of one node (hold) or of the ring (rotation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenHist {
    /// In the `TOKEN_BUCKETS_US` buckets.
    pub buckets: [u64; TOKEN_HIST_LEN],
    pub count: u64,
    pub sum_us: f64,
}

/// The latest ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingSample {
    pub rep: u32,
    pub seq: u64,
    pub members: usize,
}

/// Findings of one kind and severity so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingCount {
    pub kind: FindingKind,
    pub severity: Severity,
    pub count: u64,
}

/// The figures of a run at one moment of capture time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Capture time of the sample, ns since the epoch.
    pub ts: i64,
    /// The input ended.
    pub finished: bool,
    pub packets: u64,
    pub bytes: u64,
    pub opaque_packets: u64,
    /// Directions, by (src, dst, link).
    pub links: Vec<LinkSample>,
    pub tokens: u64,
    pub token_retransmits: u64,
    pub mcast_retransmits: u64,
    pub rotation: Option<TokenHist>,
    pub rotation_max_us: Option<u64>,
    /// Longest rotation that ended in the sample's step, µs.
    pub rotation_max_step_us: Option<u64>,
    /// Per node, by node id.
    pub hold: Vec<(u32, TokenHist)>,
    /// Per node: ms since a new token was last seen on its way to it.
    pub token_age_ms: Vec<(u32, f64)>,
    pub ring: Option<RingSample>,
    /// Rings seen (including those past the timeline's cap).
    pub rings: u64,
    /// By kind, then severity; only pairs seen.
    pub findings: Vec<FindingCount>,
    /// Budgets, ms.
    pub token_ms: u32,
    pub token_warning_ms: u32,
    pub consensus_ms: u32,
    pub ping_timeout_ms: u32,
    /// What a cap kept out of the engine's tables: paths, nodes, addrs,
    /// pending pings, findings, memberships.
    pub untracked: [(&'static str, u64); 6],
}

fn end(node: Option<u16>, addr: IpAddr) -> End {
    node.map_or(End::Addr(addr), End::Node)
}

fn add_hist<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.saturating_add(*y);
    }
}

impl Sample {
    /// The sample of a snapshot, stamped with the snapshot's time.
    pub fn of(s: &Snapshot) -> Sample {
        Sample::at(s, s.now)
    }

    /// The sample of a snapshot, stamped `ts`, its step the second before.
    pub fn at(s: &Snapshot, ts: i64) -> Sample {
        Sample::over(s, ts.saturating_sub(NS), ts)
    }

    /// The sample of a snapshot, stamped `ts`, its step from `since`
    /// (the per-step figures: the largest RTT and rotation in it).
    pub fn over(s: &Snapshot, since: i64, ts: i64) -> Sample {
        let in_step = |t: i64| t >= since && t < ts;
        let mut links: Vec<LinkSample> = Vec::with_capacity(s.links.len());
        for l in &s.links {
            let rtt = l.rtt_us.unwrap_or_default();
            let one = LinkSample {
                src: end(l.src_node, l.src_addr),
                dst: end(l.dst_node, l.dst_addr),
                link: l.link,
                pings_sent: l.pings_sent,
                pongs_received: l.pongs_received,
                pings_lost: l.pings_missing.saturating_add(l.pings_unanswered),
                pongs_late: l.late_pongs,
                rtt_hist: l.rtt_hist,
                rtt_count: rtt.count,
                rtt_sum_us: rtt.mean * rtt.count as f64,
                up: match l.state {
                    LinkState::Unknown => None,
                    LinkState::Up => Some(true),
                    LinkState::Down => Some(false),
                },
                downs: l.downs,
                pmtu: l.pmtu,
                max_silence_ms: l.max_silence_ms,
                pong_age_ms: l.pong_age_ms,
                loss_pct: l.loss_pct,
                packets: l.traffic.iter().map(|t| t.packets).sum(),
                bytes: l.traffic.iter().map(|t| t.bytes).sum(),
                pmtud_probes: l.pmtud_probes,
                pmtud_replies: l.pmtud_replies,
                rtt_max_step_us: l
                    .series
                    .iter()
                    .filter(|p| in_step(p.ts) && p.pongs > 0)
                    .map(|p| p.rtt_max_us)
                    .max(),
                rtt_p50_step_us: median_u32(
                    l.series
                        .iter()
                        .filter(|p| in_step(p.ts) && p.pongs > 0)
                        .map(|p| p.rtt_p50_us),
                ),
            };
            match links
                .iter_mut()
                .find(|x| (x.src, x.dst, x.link) == (one.src, one.dst, one.link))
            {
                Some(x) => x.merge(&one),
                None => links.push(one),
            }
        }
        links.sort_by_key(|l| (l.src, l.dst, l.link));
        let t = &s.totem;
        let rotation = t.token_rotation_us.map(|q| TokenHist {
            buckets: t.rotation_hist,
            count: q.count,
            sum_us: q.mean * q.count as f64,
        });
        let hold = t
            .hold_us
            .iter()
            .filter_map(|(n, q)| {
                let b = t.hold_hist.iter().find(|(m, _)| m == n)?.1;
                Some((
                    *n,
                    TokenHist {
                        buckets: b,
                        count: q.count,
                        sum_us: q.mean * q.count as f64,
                    },
                ))
            })
            .collect();
        let token_age_ms = t
            .last_token
            .iter()
            .map(|(n, at)| (*n, (s.now.saturating_sub(*at)).max(0) as f64 / 1e6))
            .collect();
        let mut findings: Vec<FindingCount> = Vec::new();
        for f in &s.findings {
            match findings
                .iter_mut()
                .find(|c| c.kind == f.kind && c.severity == f.severity)
            {
                Some(c) => c.count += 1,
                None => findings.push(FindingCount {
                    kind: f.kind,
                    severity: f.severity,
                    count: 1,
                }),
            }
        }
        findings.sort_by_key(|c| (c.kind.name(), c.severity));
        let o = &s.overflow;
        Sample {
            ts,
            finished: s.finished,
            packets: s.packets,
            bytes: s.bytes,
            opaque_packets: s.opaque_packets,
            links,
            tokens: t.tokens,
            token_retransmits: t.token_retransmits,
            mcast_retransmits: t.mcast_retransmits,
            rotation,
            rotation_max_us: t.token_rotation_us.map(|q| q.max),
            rotation_max_step_us: t
                .rotations
                .iter()
                .filter(|r| in_step(r.ts))
                .map(|r| (r.ms * 1000.0) as u64)
                .max(),
            hold,
            token_age_ms,
            ring: s.membership.last().map(|m| RingSample {
                rep: m.rep,
                seq: m.seq,
                members: m.members.len(),
            }),
            rings: (s.membership.len() as u64).saturating_add(o.memberships),
            findings,
            token_ms: s.thresholds.token_ms,
            token_warning_ms: s.thresholds.token_warning_ms,
            consensus_ms: s.thresholds.consensus_ms,
            ping_timeout_ms: s.thresholds.ping_timeout_ms,
            untracked: [
                ("paths", o.paths),
                ("nodes", o.nodes),
                ("addrs", o.addrs),
                ("pending_pings", o.pending_pings),
                ("findings", o.findings),
                ("memberships", o.memberships),
            ],
        }
    }
}

impl LinkSample {
    /// Adds another tracked path with the same key: counters and histograms
    /// add up, the worst of the gauges is kept.
    fn merge(&mut self, o: &LinkSample) {
        self.pings_sent = self.pings_sent.saturating_add(o.pings_sent);
        self.pongs_received = self.pongs_received.saturating_add(o.pongs_received);
        self.pings_lost = self.pings_lost.saturating_add(o.pings_lost);
        self.pongs_late = self.pongs_late.saturating_add(o.pongs_late);
        add_hist(&mut self.rtt_hist, &o.rtt_hist);
        self.rtt_count = self.rtt_count.saturating_add(o.rtt_count);
        self.rtt_sum_us += o.rtt_sum_us;
        self.up = match (self.up, o.up) {
            (Some(a), Some(b)) => Some(a || b),
            (a, b) => a.or(b),
        };
        self.downs = self.downs.saturating_add(o.downs);
        self.pmtu = match (self.pmtu, o.pmtu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_silence_ms = self.max_silence_ms.max(o.max_silence_ms);
        self.pong_age_ms = self.pong_age_ms.min(o.pong_age_ms);
        self.loss_pct = self.loss_pct.max(o.loss_pct);
        self.packets = self.packets.saturating_add(o.packets);
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.pmtud_probes = self.pmtud_probes.saturating_add(o.pmtud_probes);
        self.pmtud_replies = self.pmtud_replies.saturating_add(o.pmtud_replies);
        self.rtt_max_step_us = self.rtt_max_step_us.max(o.rtt_max_step_us);
        // Two paths' medians do not make one: the worse is kept.
        self.rtt_p50_step_us = self.rtt_p50_step_us.max(o.rtt_p50_step_us);
    }
}

/// The median of `v` (the mean of the middle two of an even count); None
/// when empty.
pub fn median_u32(v: impl Iterator<Item = u32>) -> Option<u32> {
    let mut v: Vec<u32> = v.collect();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some(((u64::from(v[n / 2 - 1]) + u64::from(v[n / 2])) / 2) as u32),
    }
}

/// Samples kept at one per second before the timeline thins out: six hours.
pub const TIMELINE_KEPT: usize = 6 * 3600;

/// Samples of a run, one per `step_s` seconds of capture time, oldest
/// first. Past [`TIMELINE_KEPT`] samples every other one is dropped and the
/// step doubles, so a long capture keeps its whole span at a coarser step
/// and memory stays bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub samples: Vec<Sample>,
    /// Seconds between samples.
    pub step_s: u32,
    kept: usize,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::with_cap(TIMELINE_KEPT)
    }
}

const NS: i64 = 1_000_000_000;

impl Timeline {
    /// A timeline that thins out past `kept` samples (at least 2).
    pub fn with_cap(kept: usize) -> Timeline {
        Timeline {
            samples: Vec::new(),
            step_s: 1,
            kept: kept.max(2),
        }
    }

    /// The step between samples, ns.
    pub fn step_ns(&self) -> i64 {
        i64::from(self.step_s).saturating_mul(NS)
    }

    /// The next second boundary (ns) a sample is due at, after capture time
    /// `now`: the next multiple of the step.
    pub fn next_due(&self, now: i64) -> i64 {
        let step = self.step_ns();
        now.div_euclid(step).saturating_add(1).saturating_mul(step)
    }

    /// Takes the sample of `s` stamped `ts` (a step boundary the capture
    /// has passed). Stamps that do not move forward, or are off the step
    /// (after thinning), are ignored.
    pub fn record(&mut self, s: &Snapshot, ts: i64) {
        if self.samples.last().is_some_and(|l| l.ts >= ts) || ts.rem_euclid(self.step_ns()) != 0 {
            return;
        }
        let since = self
            .samples
            .last()
            .map_or(ts.saturating_sub(self.step_ns()), |l| l.ts);
        self.samples.push(Sample::over(s, since, ts));
        if self.samples.len() >= self.kept {
            let step = i64::from(self.step_s.saturating_mul(2)).saturating_mul(NS);
            self.samples.retain(|x| x.ts.rem_euclid(step) == 0);
            self.step_s = self.step_s.saturating_mul(2);
        }
    }

    /// The last sample: the end of the run, stamped with its capture time
    /// (replacing a sample at the same or a later stamp).
    pub fn finish(&mut self, s: &Snapshot) {
        while self.samples.last().is_some_and(|l| l.ts >= s.now) {
            self.samples.pop();
        }
        let since = self
            .samples
            .last()
            .map_or(s.now.saturating_sub(NS), |l| l.ts);
        self.samples.push(Sample::over(s, since, s.now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Engine;
    use crate::analysis::testkit::{feed, ip, ping_bytes, two_nodes};

    #[test]
    fn thins_out_past_its_cap_and_keeps_the_span() {
        let e = Engine::new(two_nodes());
        let snap = e.snapshot();
        let mut t = Timeline::with_cap(4);
        for s in 0..10 {
            t.record(&snap, s * NS);
        }
        // 0,1,2,3 → 0,2 (step 2); 4,6 → 0,2,4,6 → 0,4 (step 4); 8 → 0,4,8.
        let ts: Vec<i64> = t.samples.iter().map(|s| s.ts / NS).collect();
        assert_eq!(ts, vec![0, 4, 8]);
        assert_eq!(t.step_s, 4);
        assert_eq!(t.next_due(9 * NS), 12 * NS);
        // A stamp that does not move forward is ignored.
        t.record(&snap, 8 * NS);
        assert_eq!(t.samples.len(), 3);
    }

    #[test]
    fn a_ping_and_its_pong_are_counted_once_per_direction() {
        let mut e = Engine::new(two_nodes());
        let t0 = 1_700_000_000 * NS;
        feed(&mut e, t0, ip(1), ip(2), 0, &ping_bytes(false, 1, 0, 7, 0));
        feed(
            &mut e,
            t0 + 300_000,
            ip(2),
            ip(1),
            0,
            &ping_bytes(true, 2, 0, 7, 0),
        );
        let snap = e.snapshot();
        let s = Sample::of(&snap);
        let l = s
            .links
            .iter()
            .find(|l| (l.src, l.dst) == (End::Node(1), End::Node(2)))
            .expect("1→2");
        assert_eq!((l.pings_sent, l.pongs_received, l.rtt_count), (1, 1, 1));
        // 300 µs is in the (200, 500] µs bucket.
        assert_eq!(l.rtt_hist[3], 1);
        assert_eq!(l.rtt_hist.iter().sum::<u64>(), 1);
        assert!((l.rtt_sum_us - 300.0).abs() < 5.0, "{}", l.rtt_sum_us);
        // The step's largest RTT: the second the pong came in.
        assert!(
            l.rtt_max_step_us.is_some_and(|m| m.abs_diff(300) < 5),
            "{:?}",
            l.rtt_max_step_us
        );
        // One pong in its second: the median is that RTT.
        assert!(
            l.rtt_p50_step_us.is_some_and(|m| m.abs_diff(300) < 5),
            "{:?}",
            l.rtt_p50_step_us
        );
        // Nothing in a step that ended before it.
        let before = Sample::over(&snap, t0 - 2 * NS, t0 - NS);
        assert_eq!(before.links[0].rtt_max_step_us, None);
        let mut t = Timeline::default();
        t.finish(&snap);
        assert_eq!(t.samples.len(), 1);
        assert_eq!(t.samples[0].ts, snap.now);
    }

    #[test]
    fn the_step_median_is_the_middle_rtt_not_the_mean() {
        let mut e = Engine::new(two_nodes());
        let t0 = 1_700_000_000 * NS;
        // Three pongs in one second: 300, 9000 and 400 µs (mean 3233).
        for (k, rtt_us) in [300i64, 9000, 400].into_iter().enumerate() {
            let ts = t0 + k as i64 * 200_000_000;
            feed(
                &mut e,
                ts,
                ip(1),
                ip(2),
                0,
                &ping_bytes(false, 1, 0, 7, k as u16),
            );
            let back = ping_bytes(true, 2, 0, 7, k as u16);
            feed(&mut e, ts + rtt_us * 1000, ip(2), ip(1), 0, &back);
        }
        let s = Sample::over(&e.snapshot(), t0, t0 + NS);
        let l = s
            .links
            .iter()
            .find(|l| (l.src, l.dst) == (End::Node(1), End::Node(2)))
            .expect("1→2");
        assert_eq!(l.rtt_count, 3);
        let p50 = l.rtt_p50_step_us.expect("pongs in the step");
        assert!(p50.abs_diff(400) < 5, "{p50}");
        assert_eq!(median_u32([5, 1].into_iter()), Some(3));
        assert_eq!(median_u32(std::iter::empty()), None);
    }
}
