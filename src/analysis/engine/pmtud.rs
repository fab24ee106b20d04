//! knet's path MTU discovery, per directed path.
//!
//! knet probes one size at a time (a PMTUD packet padded to the size) and
//! waits for the peer's reply, at least the link's pong timeout (with
//! crypto twice that, doubled on every timeout up to 128 times, and the
//! same size is sent again after each timeout); it starts at the
//! interface's MTU and halves the interval between the largest size
//! answered and the smallest that was not (threads_pmtud.c). The largest
//! size answered is the path MTU. Probes come in runs (every
//! `pmtud_interval`, 30 s by default); a run ends when no probe came for
//! [`PMTUD_RUN_GAP`]. At its end:
//!
//! * a run that starts below an earlier run's first size and gets no
//!   reply is not knet's (without the key, large messages taken for
//!   probes): knet starts every run at the interface's MTU;
//! * sizes larger than the largest acknowledged one that got no reply are
//!   an MTU black hole (silently dropped, a warning) when they *keep*
//!   going unanswered: at least two probes above the largest answered
//!   size were lost since a probe of that size last got through — in one
//!   run (knet sent the size again, or bisected down to another size that
//!   was lost too) or in two runs in a row — on a path that does not lose
//!   packets at random. A probe lost once and answered in knet's next
//!   attempt was lost, not too big; a single loss above every answered
//!   size is a suspect that the next run confirms or clears;
//! * an acknowledged size different from the last run's is an MTU change
//!   (a warning when it shrank);
//!
//! A probe sent again sooner than any reply wait ([`RETRY_GAP`]) was
//! refused by the kernel: knet retries a send that failed with ENOBUFS or
//! EAGAIN every 12.5 ms (its timer resolution / 16) while it holds its
//! send lock, so the node sends nothing else until the probe goes out.
//! A device on the way that drops the probe for its size (a bridge port
//! or veth with a smaller MTU) does that: such a loop lasting
//! [`STALL_MIN_NS`] or more is an MTU black hole at the sender, and the
//! node's silence meanwhile is its doing. Seen from elsewhere, the node
//! goes silent on every path and, when the size passes again, resumes
//! with that probe (then its queued packets): a silence that a PMTUD
//! probe ends is the same black hole (`nodes`), not a stopped process.
//!
//! An ICMP fragmentation-needed / packet-too-big for a path is an MTU
//! change at once. The probe→reply time is the latency of a packet of the
//! probe's size (`sizes`).

use std::net::IpAddr;

use crate::analysis::findings::{Direction, FindingKind, Severity};
use crate::wire::knet::Pmtud;
use crate::wire::net::TooBig;

use super::nodes::STALL_MIN_NS;
use super::{Dir, Engine, MS, NS, PathKey, clamp_ts, ms};

/// A PMTUD run ends when no probe came for this long.
pub(super) const PMTUD_RUN_GAP: i64 = 5 * NS;

/// A probe of the same size sent again this soon (and sooner than half the
/// ping timeout) was not waiting for a reply: the kernel refused it and
/// knet retried (every 12.5 ms).
pub(super) const RETRY_GAP: i64 = 50 * MS;

/// A retry loop of at least this many sends (and [`STALL_MIN_NS`] long)
/// is a probe the kernel kept refusing.
const RETRY_MIN_SENDS: u32 = 8;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Probe {
    pub(super) size: u16,
    pub(super) acked: bool,
    /// When the latest probe of this size left.
    pub(super) ts: i64,
    /// Probes of this size sent in the run.
    pub(super) sent: u16,
}

/// Sizes lost above every size answered since: the smallest, when the
/// first loss was (its run's start), the probes lost, and whether a
/// finding told of it already.
#[derive(Debug, Clone, Copy)]
pub(super) struct Suspect {
    pub(super) size: u16,
    pub(super) since: i64,
    pub(super) lost: u32,
    pub(super) reported: bool,
}

/// One probe sent again and again within [`RETRY_GAP`].
#[derive(Debug, Clone, Copy)]
pub(super) struct RetryLoop {
    pub(super) size: u16,
    pub(super) first: i64,
    pub(super) last: i64,
    pub(super) sends: u32,
}

/// PMTUD from src towards dst.
#[derive(Debug)]
pub(super) struct PmtudState {
    /// The sizes probed in the current run.
    pub(super) probes: Vec<Probe>,
    pub(super) run_last: Option<i64>,
    /// Size of the latest probe (a reply answers the probe just sent).
    pub(super) last_probe: Option<u16>,
    pub(super) run_start: i64,
    pub(super) pmtu: Option<u16>,
    pub(super) pmtu_min: Option<u16>,
    /// When PMTUD first settled on `pmtu_min`, and when a later run first
    /// found more (the MTU back up): the span the smallest MTU held.
    pub(super) min_since: i64,
    pub(super) min_until: Option<i64>,
    pub(super) unanswered: Vec<u16>,
    pub(super) probes_sent: u64,
    pub(super) replies: u64,
    pub(super) icmp_too_big: u64,
    pub(super) icmp_mtu: Option<u32>,
    /// Losses above the answered sizes not yet cleared by an answer.
    pub(super) suspect: Option<Suspect>,
    /// The probe being re-sent in a tight loop, if any.
    pub(super) retry: Option<RetryLoop>,
    /// The first probe of the last closed run that got no reply, (when,
    /// size), until a late reply answers it.
    pub(super) lost_probe: Option<(i64, u16)>,
    /// The largest first size of the runs closed so far: where knet
    /// starts a run on this path (the interface's MTU).
    pub(super) run_first_max: Option<u16>,
}

/// How far before a PMTUD run the path's loss is weighed.
const PROBE_LOSS_SPAN: i64 = 5 * NS;

impl PmtudState {
    pub(super) fn new() -> Self {
        PmtudState {
            probes: Vec::with_capacity(8),
            run_last: None,
            last_probe: None,
            run_start: 0,
            pmtu: None,
            pmtu_min: None,
            min_since: 0,
            min_until: None,
            unanswered: Vec::new(),
            probes_sent: 0,
            replies: 0,
            icmp_too_big: 0,
            icmp_mtu: None,
            suspect: None,
            retry: None,
            lost_probe: None,
            run_first_max: None,
        }
    }
}

impl Dir {
    /// A reply to the probe of `size` bytes came back at `ts`: the probe is
    /// acknowledged, and its first reply times the probe's size class.
    pub(super) fn pmtud_reply(&mut self, size: Option<u16>, ts: i64) {
        self.pmtud.replies += 1;
        let Some(size) = size else { return };
        if let Some(pr) = self.pmtud.probes.iter_mut().find(|pr| pr.size == size) {
            if !pr.acked {
                self.sizes.probe_rtt(size, ts - pr.ts);
            }
            pr.acked = true;
        } else if self.pmtud.lost_probe.is_some_and(|(_, s)| s == size) {
            // A late answer to a probe of a closed run: it arrived.
            self.pmtud.lost_probe = None;
        }
    }
}

impl Engine {
    /// Closes the PMTUD runs with no probe for [`PMTUD_RUN_GAP`] at `t`,
    /// and the retry loops that stopped.
    pub(super) fn close_quiet_pmtud_runs(&mut self, t: i64) {
        self.check_probes_into_silences(t, false);
        for i in 0..self.dirs.len() {
            let p = &self.dirs[i].pmtud;
            if p.retry.is_some_and(|r| t - r.last > NS) {
                self.end_retry_loop(i);
            }
            if self.dirs[i]
                .pmtud
                .run_last
                .is_some_and(|l| t - l > PMTUD_RUN_GAP)
            {
                self.close_pmtud_run(i);
            }
        }
    }

    pub(super) fn on_probe(&mut self, i: u32, size: u16, ts: i64) {
        if let Some(n) = self.dirs[i as usize].src_node
            && let Some(node) = self.nodes.get_mut(&n)
        {
            let prev = std::mem::replace(&mut node.pmtud_last, ts);
            if prev != i64::MIN && ts - prev > super::ownview::NODE_RUN_GAP {
                // A new run of the node's: forced when it came sooner
                // than its periodic runs do.
                let since = ts - prev;
                let every = if node.pmtud_every > 0 {
                    node.pmtud_every
                } else {
                    super::ownview::DEFAULT_INTERVAL
                };
                // Learnt from the longest pause, up to knet's default: a
                // stall or a capture gap makes a pause longer than any
                // interval, never shorter.
                node.pmtud_every = node
                    .pmtud_every
                    .max(since)
                    .min(super::ownview::DEFAULT_INTERVAL);
                if since < every - NS {
                    self.pmtud_run_started(n, ts);
                }
            }
        }
        let d = &mut self.dirs[i as usize];
        if d.pmtud.run_last.is_some_and(|l| ts - l > PMTUD_RUN_GAP) {
            self.close_pmtud_run(i as usize);
        }
        // The same size again sooner than any reply wait: a retry.
        let gap = RETRY_GAP.min(i64::from(self.th.ping_timeout_ms) * MS / 2);
        let d = &mut self.dirs[i as usize];
        match &mut d.pmtud.retry {
            Some(r) if r.size == size && ts - r.last <= gap => {
                r.last = ts;
                r.sends += 1;
            }
            _ => {
                self.end_retry_loop(i as usize);
                self.dirs[i as usize].pmtud.retry = Some(RetryLoop {
                    size,
                    first: ts,
                    last: ts,
                    sends: 1,
                });
            }
        }
        self.probe_ended_silence(i, size, ts);
        let d = &mut self.dirs[i as usize];
        d.pmtud.probes_sent += 1;
        if d.pmtud.run_last.is_none() {
            d.pmtud.run_start = ts;
        }
        d.pmtud.run_last = Some(ts);
        d.pmtud.last_probe = Some(size);
        if !d.pmtud.probes.iter().any(|p| p.size == size) && d.pmtud.probes.len() < 32 {
            d.pmtud.probes.push(Probe {
                size,
                acked: false,
                ts,
                sent: 0,
            });
        }
        if let Some(pr) = d.pmtud.probes.iter_mut().find(|p| p.size == size) {
            pr.ts = ts;
            pr.sent = pr.sent.saturating_add(1);
        }
    }

    /// The probe loop of path `i` ended: when the kernel kept refusing the
    /// probe for [`STALL_MIN_NS`] or more, a black hole at the sender.
    fn end_retry_loop(&mut self, i: usize) {
        let Some(r) = self.dirs[i].pmtud.retry.take() else {
            return;
        };
        let span = r.last - r.first;
        if r.sends < RETRY_MIN_SENDS || span < STALL_MIN_NS {
            return;
        }
        let d = &self.dirs[i];
        let node = d.src_node.map_or("?".to_string(), |n| n.to_string());
        let f = d
            .finding(
                FindingKind::MtuBlackHole,
                self.blocked_severity(span),
                r.first,
                Direction::SrcToDst,
                format!(
                    "node {node} sent its PMTUD probe of {} bytes {} times in {:.0} ms: the \
                     kernel refused it (a device on the way drops that size) and knet retried, \
                     holding its sending meanwhile",
                    r.size,
                    r.sends,
                    ms(span)
                ),
            )
            .ended(r.last)
            .ev("smallest_unanswered", f64::from(r.size))
            .ev("probe_resends", f64::from(r.sends))
            .ev("blocked_ms", ms(span));
        self.push_finding(f);
    }

    /// A probe of path `i` that is the first packet its sender sent after
    /// a silence: noted, for when the silence proves a stall (`nodes`).
    fn probe_ended_silence(&mut self, i: u32, size: u16, ts: i64) {
        let Some(node) = self.dirs[i as usize].src_node else {
            return;
        };
        if let Some(n) = self.nodes.get_mut(&node)
            && n.silence.is_some_and(|(_, e)| e == ts)
        {
            n.resumed_probe = Some((ts, i, size));
        }
    }

    /// Node `node`, silent from `start` to `end` while others went on, was
    /// found stopped (`nodes`). When the packet that ended its silence was
    /// a PMTUD probe, knet's sending was blocked on that probe (the kernel
    /// refused it until the size passed again): an MTU black hole at the
    /// node, which the silence, the stall and what followed are the doing
    /// of.
    pub(super) fn silence_ended_by_probe(&mut self, node: u16, start: i64, end: i64) {
        let resumed = self
            .nodes
            .get(&node)
            .and_then(|n| n.resumed_probe)
            .filter(|&(e, ..)| e == end);
        let (Some((_, _, size)), Some(d)) = (
            resumed,
            resumed.and_then(|(_, i, _)| self.dirs.get(i as usize)),
        ) else {
            // Else judged once what it answered late is known.
            if let Some(n) = self.nodes.get_mut(&node) {
                n.probe_check = Some((start, end));
            }
            return;
        };
        let span = end - start;
        let f = d
            .finding(
                FindingKind::MtuBlackHole,
                self.blocked_severity(span),
                start,
                Direction::SrcToDst,
                format!(
                    "node {node} sent nothing for about {:.0} ms and resumed with its PMTUD \
                     probe of {size} bytes: knet's sending waited on that probe, which the \
                     kernel refused while the size did not pass",
                    ms(span)
                ),
            )
            .ended(end)
            .ev("smallest_unanswered", f64::from(size))
            .ev("blocked_ms", ms(span));
        self.push_finding(f);
    }

    /// Node `node`, silent from `start` to `end`, was found stopped and
    /// resumed with no probe: judged a second after it resumed, when what
    /// it answered late is known. A probe sent to it within the silence,
    /// or in the [`PMTUD_RUN_GAP`] before it while it still sent, that it
    /// never answered, while it answered the pings sent to it meanwhile
    /// (knet answers every probe it receives, as it answers every ping, so
    /// a stopped node answers both when it runs again), did not reach it:
    /// too big for the path. The node's silence comes with a black hole
    /// towards it: knet's sending was blocked on a probe that could not
    /// pass.
    pub(super) fn probe_into_silence(&mut self, node: u16, start: i64, end: i64) {
        let from = start - PMTUD_RUN_GAP;
        let lost = self.dirs.iter().enumerate().find_map(|(i, d)| {
            if d.dst_node != Some(node) {
                return None;
            }
            let open = d
                .pmtud
                .probes
                .iter()
                .filter(|p| !p.acked && p.ts > from && p.ts < end)
                .map(|p| (p.ts, p.size))
                .min();
            let closed = d.pmtud.lost_probe.filter(|&(t, _)| t > from && t < end);
            open.or(closed).map(|(t, size)| (i, t, size))
        });
        let Some((i, at, size)) = lost else {
            return;
        };
        let span = end - start;
        let d = &self.dirs[i];
        let prober = d.src_node.map_or("?".to_string(), |n| n.to_string());
        let f = d
            .finding(
                FindingKind::MtuBlackHole,
                self.blocked_severity(span),
                start.min(at),
                Direction::SrcToDst,
                format!(
                    "node {node} sent nothing for about {:.0} ms and then answered the pings \
                     sent to it meanwhile, but never the PMTUD probe of {size} bytes node \
                     {prober} sent it {:.0} ms {}: the probe did not pass (too big), and \
                     knet's sending waits on a probe that cannot pass",
                    ms(span),
                    ms((at - start).abs()),
                    if at >= start {
                        "into the silence"
                    } else {
                        "before it"
                    }
                ),
            )
            .ended(end)
            .ev("smallest_unanswered", f64::from(size))
            .ev("blocked_ms", ms(span));
        self.push_finding(f);
    }

    /// The stalls found a second ago or more, checked for a probe they
    /// never answered (`probe_into_silence`); all of them at the end.
    pub(super) fn check_probes_into_silences(&mut self, t: i64, all: bool) {
        let due: Vec<(u16, i64, i64)> = self
            .nodes
            .values()
            .filter_map(|n| n.probe_check.map(|(s, e)| (n.id, s, e)))
            .filter(|&(_, _, e)| all || t - e >= NS)
            .collect();
        for (node, s, e) in due {
            if let Some(n) = self.nodes.get_mut(&node) {
                n.probe_check = None;
            }
            self.probe_into_silence(node, s, e);
        }
    }

    /// A node whose sending was blocked this long: critical when it
    /// reached the token timeout (corosync then loses the token).
    pub(super) fn blocked_severity(&self, span: i64) -> Severity {
        if span >= i64::from(self.th.token_ms) * MS {
            Severity::Critical
        } else {
            Severity::Warning
        }
    }

    /// A PMTUD reply: it flows back to the prober, so the probe's direction
    /// is the reverse of the reply's.
    pub(super) fn on_pmtud_reply(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        r: &Pmtud,
        size: u16,
        ts: i64,
    ) {
        let key = PathKey {
            src: dst,
            dst: src,
            link: r.link,
        };
        if let Some(&i) = self.paths.get(&key) {
            let dd = &mut self.dirs[i as usize];
            if dd.dst_node.is_none() {
                dd.dst_node = Some(r.node);
            }
            dd.pmtud_reply(Some(size), ts);
        }
    }

    pub(super) fn close_pmtud_run(&mut self, i: usize) {
        self.end_retry_loop(i);
        let d = &mut self.dirs[i];
        let Some(last) = d.pmtud.run_last.take() else {
            return;
        };
        let acked = d
            .pmtud
            .probes
            .iter()
            .filter(|p| p.acked)
            .map(|p| p.size)
            .max();
        // knet starts a run at the interface's MTU and goes down from there
        // (or sends a size again): a run whose first probe is not its
        // largest is not knet's, and its unanswered sizes say nothing
        // (without the key, large messages taken for probes).
        let first = d.pmtud.probes.first().map(|p| p.size);
        // Every run starts at the same size (the interface's MTU), so a
        // run that starts below an earlier run's first size and gets no
        // answer is not knet's either (an interface MTU lowered on the
        // node itself makes knet start lower, and that first probe is
        // answered: the interface is the limit).
        let below_start =
            acked.is_none() && first.is_some_and(|f| d.pmtud.run_first_max.is_some_and(|m| f < m));
        let knet_order = first == d.pmtud.probes.iter().map(|p| p.size).max() && !below_start;
        if !below_start && let Some(f) = first {
            d.pmtud.run_first_max = Some(d.pmtud.run_first_max.map_or(f, |m| m.max(f)));
        }
        d.pmtud.unanswered.clear();
        let mut lost = 0u32;
        d.pmtud.lost_probe = None;
        for p in d
            .pmtud
            .probes
            .iter()
            .filter(|p| !p.acked && acked.is_none_or(|a| p.size > a))
        {
            d.pmtud.unanswered.push(p.size);
            if knet_order {
                lost += u32::from(p.sent.max(1));
            }
            if d.pmtud.lost_probe.is_none_or(|(t, _)| p.ts < t) {
                d.pmtud.lost_probe = Some((p.ts, p.size));
            }
        }
        d.pmtud.unanswered.sort_unstable();
        d.pmtud.probes.clear();
        let prev = d.pmtud.pmtu;
        let start = d.pmtud.run_start;
        if let Some(a) = acked {
            d.pmtud.pmtu = Some(a);
            match d.pmtud.pmtu_min {
                Some(m) if a > m => {
                    d.pmtud.min_until.get_or_insert(start);
                }
                Some(m) if a == m => d.pmtud.min_until = None,
                _ => {
                    d.pmtud.pmtu_min = Some(a);
                    d.pmtud.min_since = start;
                    d.pmtud.min_until = None;
                }
            }
        }
        // A size answered now clears an earlier loss at or below it: that
        // probe was lost, not too big.
        if d.pmtud
            .suspect
            .is_some_and(|s| acked.is_some_and(|a| a >= s.size))
        {
            d.pmtud.suspect = None;
        }
        let smallest_lost = d.pmtud.unanswered.first().filter(|_| lost > 0);
        let suspect = match (smallest_lost, d.pmtud.suspect) {
            (None, s) => s,
            (Some(&smallest), None) => Some(Suspect {
                size: smallest,
                since: start,
                lost,
                reported: false,
            }),
            (Some(&smallest), Some(s)) => Some(Suspect {
                size: s.size.min(smallest),
                lost: s.lost.saturating_add(lost),
                ..s
            }),
        };
        d.pmtud.suspect = suspect;
        let unanswered = d.pmtud.unanswered.clone();
        let icmp = d.pmtud.icmp_too_big;
        // A size keeps going unanswered: two probes lost above every size
        // answered since (this run's, or this and the runs before it).
        let repeated = suspect.filter(|s| s.lost >= 2 && !unanswered.is_empty());
        // The first finding of a black hole starts where its losses began.
        let from = repeated.map_or(start, |s| if s.reported { start } else { s.since });
        // A probe lost on a path that loses packets at random is that loss,
        // not a size limit: a black hole is a size that goes unanswered
        // while the path's smaller packets get through.
        let lossy = repeated.is_some() && {
            // The seconds around the run: loss then, not minutes before.
            let (from, to) = ((from - PROBE_LOSS_SPAN).div_euclid(NS), last.div_euclid(NS));
            let side = self.loss_sums(i, from, to);
            let (l, _) = side.estimates();
            l >= self.th.loss_warning_pct && side.lost_fwd() >= 2
        };
        if let (Some(s), Some(&smallest)) = (repeated.filter(|_| !lossy), unanswered.first()) {
            if let Some(sp) = self.dirs[i].pmtud.suspect.as_mut() {
                sp.reported = true;
            }
            let f = self.dirs[i]
                .finding(
                    FindingKind::MtuBlackHole,
                    Severity::Warning,
                    from,
                    Direction::SrcToDst,
                    format!(
                        "PMTUD probes of {} bytes got no reply{} (silently dropped; {} probes \
                         lost above the sizes answered)",
                        unanswered
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        acked.map(|a| format!(" while {a} did")).unwrap_or_default(),
                        s.lost
                    ),
                )
                .ended(last)
                .ev("smallest_unanswered", f64::from(smallest))
                .ev("largest_acked", acked.map_or(0.0, f64::from))
                .ev("probes_lost", f64::from(s.lost))
                .ev("icmp_too_big", icmp as f64);
            self.push_finding(f);
        }
        if let (Some(p), Some(a)) = (prev, acked)
            && p != a
        {
            // A shrink is a warning unless one lost probe is all that made
            // it (knet took the largest size answered after the larger one
            // was lost once): that is loss until the size keeps going
            // unanswered.
            let one_loss = suspect.is_some_and(|s| s.lost == 1);
            let sev = if a < p && !one_loss {
                Severity::Warning
            } else {
                Severity::Info
            };
            let f = self.dirs[i]
                .finding(
                    FindingKind::MtuChange,
                    sev,
                    start,
                    Direction::SrcToDst,
                    format!("path MTU changed from {p} to {a} bytes"),
                )
                .ended(last)
                .ev("from", f64::from(p))
                .ev("to", f64::from(a));
            self.push_finding(f);
        }
    }

    /// Feeds an ICMP fragmentation-needed / packet-too-big notice.
    pub fn ingest_too_big(&mut self, ts: i64, tb: &TooBig) {
        let ts = clamp_ts(ts);
        self.advance_time(ts);
        let link = self.link_of(tb.orig_src, tb.orig_sport, tb.orig_dport);
        let Some(i) = self.path(tb.orig_src, tb.orig_dst, link, ts) else {
            return;
        };
        let d = &mut self.dirs[i as usize];
        d.pmtud.icmp_too_big += 1;
        let changed = d.pmtud.icmp_mtu != Some(tb.mtu);
        d.pmtud.icmp_mtu = Some(tb.mtu);
        if changed {
            let f = d
                .finding(
                    FindingKind::MtuChange,
                    Severity::Warning,
                    ts,
                    Direction::SrcToDst,
                    format!(
                        "ICMP too-big from {} for {} -> {}: path MTU {}",
                        tb.reporter, tb.orig_src, tb.orig_dst, tb.mtu
                    ),
                )
                .ended(ts)
                .ev("icmp_mtu", f64::from(tb.mtu));
            self.push_finding(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::wire::net::TooBig;

    #[test]
    fn pmtud_change_black_hole_and_icmp() {
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        ping_pair(&mut e, T0, 1, 2, 0, Some(300), 5);
        feed(
            &mut e,
            T0 + 10 * MS,
            a,
            b,
            0,
            &pmtud_bytes(false, 1, 0, 1500),
        );
        feed(
            &mut e,
            T0 + 11 * MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1500),
        );
        // next run 30 s later: 1500 lost, sent again and lost (knet with
        // crypto), 1200 answered
        let t = T0 + 30 * S;
        feed(&mut e, t, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(&mut e, t + S, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(&mut e, t + 2 * S, a, b, 0, &pmtud_bytes(false, 1, 0, 1200));
        feed(
            &mut e,
            t + 2 * S + MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1200),
        );
        let tb = TooBig {
            reporter: ip(9),
            mtu: 1280,
            orig_src: a,
            orig_dst: b,
            orig_sport: 5405,
            orig_dport: 5405,
        };
        e.ingest_too_big(t + 3 * S, &tb);
        e.finish(t + 3 * S);
        let s = e.snapshot();
        let l = s.link(1, 2, 0).expect("link");
        assert_eq!(l.pmtu, Some(1200));
        assert_eq!(l.pmtud_unanswered, vec![1500]);
        assert_eq!(
            (l.pmtud_probes, l.pmtud_replies, l.icmp_too_big, l.icmp_mtu),
            (4, 2, 1, Some(1280))
        );
        let kinds: Vec<_> = s.findings.iter().map(|f| (f.kind, f.severity)).collect();
        assert!(
            kinds.contains(&(FindingKind::MtuBlackHole, Severity::Warning)),
            "{kinds:?}"
        );
        let ch: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::MtuChange)
            .collect();
        assert_eq!(ch.len(), 2);
        assert_eq!(
            (ch[0].evidence("from"), ch[0].evidence("to")),
            (Some(1500.0), Some(1200.0))
        );
        assert_eq!(ch[1].evidence("icmp_mtu"), Some(1280.0));
    }

    /// Pings every 800 ms both ways, answered, from `from` for `n` rounds.
    fn pings(e: &mut Engine, from: i64, n: i64) {
        for k in 0..n {
            ping_pair(e, from + k * 800 * MS, 1, 2, 0, Some(300), k as u16);
            ping_pair(
                e,
                from + k * 800 * MS + 400 * MS,
                2,
                1,
                0,
                Some(300),
                k as u16,
            );
        }
    }

    fn black_holes(e: &Engine) -> Vec<crate::analysis::Finding> {
        e.snapshot()
            .findings
            .into_iter()
            .filter(|f| f.kind == FindingKind::MtuBlackHole)
            .collect()
    }

    #[test]
    fn a_probe_lost_once_and_answered_when_sent_again_is_loss() {
        // knet with crypto sends a size again after twice the pong timeout;
        // with token 10000 that is 10 s later, past the run gap: two runs.
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        pings(&mut e, T0, 40);
        feed(&mut e, T0 + S, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(
            &mut e,
            T0 + 11 * S,
            a,
            b,
            0,
            &pmtud_bytes(false, 1, 0, 1500),
        );
        feed(
            &mut e,
            T0 + 11 * S + MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1500),
        );
        e.finish(T0 + 32 * S);
        assert!(black_holes(&e).is_empty(), "{:?}", black_holes(&e));
        // A lost probe above the sizes answered, once, then bisection
        // (cleartext knet): the smaller MTU is told, as information only.
        let mut e = Engine::new(two_nodes());
        pings(&mut e, T0, 40);
        feed(&mut e, T0 + S, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(&mut e, T0 + S + MS, b, a, 0, &pmtud_bytes(true, 2, 0, 1500));
        let t = T0 + 10 * S;
        feed(&mut e, t, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(&mut e, t + 2 * S, a, b, 0, &pmtud_bytes(false, 1, 0, 1499));
        feed(
            &mut e,
            t + 2 * S + MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1499),
        );
        e.finish(T0 + 32 * S);
        assert!(black_holes(&e).is_empty());
        let s = e.snapshot();
        let ch: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::MtuChange)
            .map(|f| f.severity)
            .collect();
        assert_eq!(ch, vec![Severity::Info]);
    }

    #[test]
    fn an_unanswered_run_starting_below_knets_start_size_is_no_black_hole() {
        // A run of 1500 answered, then 912 bytes sent four times in a run
        // and never answered: knet starts every run at the interface's
        // MTU, so these are not its probes (without the key, a message of
        // that size taken for one).
        let (a, b) = (ip(1), ip(2));
        let run = |first: u16| {
            let mut e = Engine::new(two_nodes());
            pings(&mut e, T0, 40);
            feed(&mut e, T0 + S, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
            feed(&mut e, T0 + S + MS, b, a, 0, &pmtud_bytes(true, 2, 0, 1500));
            for k in 0..4 {
                let t = T0 + 10 * S + k * 900 * MS;
                feed(&mut e, t, a, b, 0, &pmtud_bytes(false, 1, 0, first));
            }
            e.finish(T0 + 32 * S);
            black_holes(&e)
        };
        assert!(run(912).is_empty(), "{:?}", run(912));
        // The same run at knet's start size is a black hole.
        assert_eq!(run(1500).len(), 1);
    }

    #[test]
    fn a_size_unanswered_in_two_runs_in_a_row_is_a_black_hole() {
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        pings(&mut e, T0, 40);
        feed(&mut e, T0 + S, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
        feed(
            &mut e,
            T0 + 11 * S,
            a,
            b,
            0,
            &pmtud_bytes(false, 1, 0, 1500),
        );
        e.finish(T0 + 32 * S);
        let bh = black_holes(&e);
        assert_eq!(bh.len(), 1, "{bh:?}");
        // Dated at the first loss, with both losses as evidence.
        assert_eq!(bh[0].start, T0 + S);
        assert_eq!(bh[0].evidence("probes_lost"), Some(2.0));
        assert_eq!(bh[0].evidence("smallest_unanswered"), Some(1500.0));
    }

    #[test]
    fn a_probe_the_kernel_keeps_refusing_is_a_black_hole_at_the_sender() {
        // knet retries a refused send every 12.5 ms, holding its sending.
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        pings(&mut e, T0, 10);
        let t = T0 + 10 * S;
        for k in 0..40 {
            feed(
                &mut e,
                t + k * 12_500_000,
                a,
                b,
                0,
                &pmtud_bytes(false, 1, 0, 1500),
            );
        }
        feed(
            &mut e,
            t + 500 * MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1500),
        );
        e.finish(t + 10 * S);
        let bh = black_holes(&e);
        assert_eq!(bh.len(), 1, "{bh:?}");
        assert_eq!((bh[0].src_node, bh[0].dst_node), (Some(1), Some(2)));
        assert_eq!(bh[0].evidence("probe_resends"), Some(40.0));
        assert_eq!(bh[0].evidence("blocked_ms"), Some(487.5));
        // A probe knet waited on (sent again a pong timeout later) is not
        // a refused one.
        let mut e = Engine::new(two_nodes());
        pings(&mut e, T0, 10);
        for k in 0..3 {
            feed(
                &mut e,
                t + k * 3 * S,
                a,
                b,
                0,
                &pmtud_bytes(false, 1, 0, 1500),
            );
        }
        feed(
            &mut e,
            t + 6 * S + MS,
            b,
            a,
            0,
            &pmtud_bytes(true, 2, 0, 1500),
        );
        e.finish(t + 20 * S);
        assert!(
            black_holes(&e)
                .iter()
                .all(|f| f.evidence("blocked_ms").is_none())
        );
    }
}
