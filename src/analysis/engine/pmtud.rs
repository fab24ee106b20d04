//! knet's path MTU discovery, per directed path.
//!
//! knet probes one size at a time (a PMTUD packet padded to the size) and
//! waits for the peer's reply; the largest size answered is the path MTU.
//! Probes come in runs (every `pmtud_interval`, 30 s by default); a run
//! ends when no probe came for [`PMTUD_RUN_GAP`]. At its end:
//!
//! * probes larger than the largest acknowledged one that got no reply are
//!   an MTU black hole (silently dropped, a warning);
//! * an acknowledged size different from the last run's is an MTU change
//!   (a warning when it shrank);
//!
//! An ICMP fragmentation-needed / packet-too-big for a path is an MTU
//! change at once. The probe→reply time is the latency of a packet of the
//! probe's size (`sizes`).

use std::net::IpAddr;

use crate::analysis::findings::{Direction, FindingKind, Severity};
use crate::wire::knet::Pmtud;
use crate::wire::net::TooBig;

use super::{Dir, Engine, NS, PathKey, clamp_ts};

/// A PMTUD run ends when no probe came for this long.
pub(super) const PMTUD_RUN_GAP: i64 = 5 * NS;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Probe {
    pub(super) size: u16,
    pub(super) acked: bool,
    /// When the latest probe of this size left.
    pub(super) ts: i64,
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
        }
    }
}

impl Engine {
    /// Closes the PMTUD runs with no probe for [`PMTUD_RUN_GAP`] at `t`.
    pub(super) fn close_quiet_pmtud_runs(&mut self, t: i64) {
        for i in 0..self.dirs.len() {
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
        let d = &mut self.dirs[i as usize];
        if d.pmtud.run_last.is_some_and(|l| ts - l > PMTUD_RUN_GAP) {
            self.close_pmtud_run(i as usize);
        }
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
            });
        }
        if let Some(pr) = d.pmtud.probes.iter_mut().find(|p| p.size == size) {
            pr.ts = ts;
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
        d.pmtud.unanswered.clear();
        for p in d
            .pmtud
            .probes
            .iter()
            .filter(|p| !p.acked && acked.is_none_or(|a| p.size > a))
        {
            d.pmtud.unanswered.push(p.size);
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
        let unanswered = d.pmtud.unanswered.clone();
        let icmp = d.pmtud.icmp_too_big;
        // A probe lost on a path that loses packets at random is that loss,
        // not a size limit: a black hole is a size that goes unanswered
        // while the path's smaller packets get through.
        let lossy = {
            // The seconds around the run: loss then, not minutes before.
            let (from, to) = (
                (start - PROBE_LOSS_SPAN).div_euclid(NS),
                last.div_euclid(NS),
            );
            let side = self.loss_sums(i, from, to);
            let (l, _) = side.estimates();
            l >= self.th.loss_warning_pct && side.lost_fwd() >= 2
        };
        if let Some(&smallest) = unanswered.first().filter(|_| !lossy) {
            let f = self.dirs[i]
                .finding(
                    FindingKind::MtuBlackHole,
                    Severity::Warning,
                    start,
                    Direction::SrcToDst,
                    format!(
                        "PMTUD probes of {} bytes got no reply{} (silently dropped)",
                        unanswered
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        acked.map(|a| format!(" while {a} did")).unwrap_or_default()
                    ),
                )
                .ended(last)
                .ev("smallest_unanswered", f64::from(smallest))
                .ev("largest_acked", acked.map_or(0.0, f64::from))
                .ev("icmp_too_big", icmp as f64);
            self.push_finding(f);
        }
        if let (Some(p), Some(a)) = (prev, acked)
            && p != a
        {
            let sev = if a < p {
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
        // next run 30 s later: 1500 lost, 1200 answered
        let t = T0 + 30 * S;
        feed(&mut e, t, a, b, 0, &pmtud_bytes(false, 1, 0, 1500));
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
            (3, 2, 1, Some(1280))
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
}
