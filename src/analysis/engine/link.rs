//! knet's link state machine, as the pinger sees it.
//!
//! knet's rules (libknet `_handle_check_each` / `process_pong`):
//!
//! * **Up**: a link that is down goes up on the (`pong_count` + 1)-th pong
//!   received while down.
//! * **Down**: a link that is up goes down when no pong came for
//!   `ping_timeout` × backoff + 2 × the average latency. The heartbeat
//!   thread checks on the same 200 ms grid it sends pings on (counted from
//!   the ping whose pong came last), so the link goes down at the first tick
//!   where the time since the last pong reaches the timeout in force then.
//! * **Count restarts**: while down, a pong gap that reaches the timeout
//!   (same tick rule) makes the heartbeat run knet's down routine again:
//!   the pongs counted towards the up start over and the backoff is 10
//!   again. The backoff's step phase is unknown; a down takes it rounded,
//!   a restart at its latest (the larger backoff, the later restart).
//! * **Backoff**: 10 right after the link is (re)configured or goes down,
//!   one less on each run of knet's once-a-second adjustment (phase
//!   unknown: rounded), down to 1.
//! * A link first seen answering a ping with DATA seq ≠ 0 belongs to a node
//!   already running: assumed up (capture started mid-run, backoff 1). With
//!   seq 0 it is a fresh start: down, its backoff running from its start.
//!
//! A pinger that sends nothing judges nothing: when it was silent past a
//! deadline and sends again, the link went down at the deadline if the
//! capture only lost sight of it, or at its resumption if it was stalled
//! (it answers old pings late right after resuming).
//!
//! A down is critical unless another link from the same pinger to the same
//! peer is still up; `flap_downs` downs within `flap_window_s` are a flap.

use crate::analysis::budget::Thresholds;
use crate::analysis::findings::{Direction, FindingKind, Severity};
use crate::analysis::snapshot::{LinkState, Transition};

use super::{Dir, Engine, MS, NS, ms};

/// knet's link model at the pinger.
#[derive(Debug)]
pub(super) struct KnetLink {
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
    /// The latest pongs in time, the last to arrive first: (arrival, its
    /// ping).
    pub(super) recent_pongs: [(i64, i64); super::ownview::PONGS_KEPT],
}

impl KnetLink {
    pub(super) fn new() -> Self {
        KnetLink {
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
            recent_pongs: [(i64::MIN, i64::MIN); super::ownview::PONGS_KEPT],
        }
    }
}

impl KnetLink {
    /// A pong in time at `ts` to a ping carrying DATA seq `data_seq`, on a
    /// path first seen at `first_ts`: knet's up rule. Returns the open down
    /// finding the link coming up ends.
    pub(super) fn pong(
        &mut self,
        data_seq: u16,
        ts: i64,
        first_ts: i64,
        pong_count: u32,
        max_tr: usize,
    ) -> Option<usize> {
        self.first_pong = self.first_pong.min(ts);
        match self.state {
            LinkState::Unknown => {
                if data_seq == 0 {
                    // A fresh node: knet starts the link down, counts pongs,
                    // and the backoff runs from the link's start.
                    self.state = LinkState::Down;
                    self.pongs_while_down = 1;
                    self.backoff_from = first_ts;
                } else {
                    self.state = LinkState::Up;
                    self.ever_up = true;
                }
                None
            }
            LinkState::Down => {
                self.pongs_while_down += 1;
                if self.pongs_while_down <= pong_count {
                    return None;
                }
                self.state = LinkState::Up;
                self.ever_up = true;
                if self.transitions.len() < max_tr {
                    self.transitions.push(Transition {
                        ts,
                        up: true,
                        rule_value: u64::from(self.pongs_while_down),
                    });
                }
                self.open_down.take()
            }
            LinkState::Up => None,
        }
    }
}

impl Dir {
    /// knet's pong timeout at time `t`: timeout × backoff(t) + 2 × average latency.
    pub(super) fn timeout_adj(&self, th: &Thresholds, t: i64) -> i64 {
        self.timeout_adj_at(th, t, NS / 2)
    }

    fn timeout_adj_at(&self, th: &Thresholds, t: i64, phase: i64) -> i64 {
        let backoff = if self.link.backoff_from == i64::MIN {
            1
        } else {
            (10 - (t - self.link.backoff_from + phase).div_euclid(NS)).clamp(1, 10)
        };
        th.ping_timeout_ns() * backoff + (2.0 * self.ping.avg_lat_us * 1000.0) as i64
    }

    /// When knet declares the link down: its heartbeat thread checks on the
    /// same 200 ms ticks it sends pings on (counted from the ping whose pong
    /// came last), at the first tick where the time since the last pong
    /// reaches the timeout in force then.
    pub(super) fn down_deadline(&self, th: &Thresholds, heard: i64) -> Option<i64> {
        match self.link.state {
            LinkState::Up => self.pong_deadline(th, heard, NS / 2),
            _ => None,
        }
    }

    /// While the link is down with pongs counted towards its coming up:
    /// knet's heartbeat runs its down routine again when the next pong is
    /// as late as a down's (the same tick rule as [`Self::down_deadline`]),
    /// which zeroes the count and sets the backoff to 10 again.
    pub(super) fn recount_deadline(&self, th: &Thresholds, heard: i64) -> Option<i64> {
        match self.link.state {
            LinkState::Down if self.link.pongs_while_down > 0 => self.pong_deadline(th, heard, 0),
            _ => None,
        }
    }

    /// The heartbeat tick at which no pong since the last one is knet's
    /// timeout (see [`Self::down_deadline`]).
    fn pong_deadline(&self, th: &Thresholds, heard: i64, phase: i64) -> Option<i64> {
        match self.ping.last_pong {
            Some(pong) => {
                let lp = pong.max(heard);
                // The grid runs from the answered ping; a later sign of life
                // (inferred paths) starts its own count.
                let ping = if lp > pong {
                    lp
                } else {
                    self.ping.last_pong_ping.min(lp)
                };
                let grid = 200 * MS;
                let mut t = ping + grid;
                // Once the backoff is 1 for good (from 9 s less the step's
                // phase after its reset, see `timeout_adj_at`), the timeout
                // is constant: the tick is the first grid point at least
                // that long after the pong.
                if self.link.backoff_from == i64::MIN
                    || t >= self.link.backoff_from + 9 * NS - phase
                {
                    let need = lp + self.timeout_adj_at(th, t, phase) - ping;
                    let k = if need <= grid {
                        1
                    } else {
                        ((need + grid - 1) / grid).min(2001)
                    };
                    return Some(ping + k * grid);
                }
                // At most 10 × timeout + latency: bounded loop.
                for _ in 0..2000 {
                    if t - lp >= self.timeout_adj_at(th, t, phase) {
                        return Some(t);
                    }
                    t += grid;
                }
                Some(t)
            }
            _ => None,
        }
    }
}

impl Engine {
    pub(super) fn check_downs(&mut self, t: i64) {
        let quiet = self.th.ping_spacing_ns() * 3 / 2;
        // A pinger that itself sends nothing (stopped, stalled) judges
        // nothing: knet declares the link down when its heartbeat runs
        // again (see `pinger_resumed`).
        let stalled = |e: &Engine, i: usize, at: i64| {
            e.dirs[i]
                .src_node
                .and_then(|n| e.nodes.get(&n))
                .is_some_and(|n| n.last_ts + quiet < at)
        };
        for i in 0..self.dirs.len() {
            self.resolve_resume(i, t, false);
            if self.dirs[i].link.resume_check.is_some() {
                continue;
            }
            if let Some(dl) = self.deadline(i)
                && t > dl
            {
                if !stalled(self, i, dl) {
                    self.link_down(i, dl);
                }
            } else if let Some(rd) = self.recount_deadline(i)
                && t > rd
                && !stalled(self, i, rd)
            {
                self.recount(i, rd);
            }
        }
    }

    /// knet's down time of path `i`. For a path known only through the
    /// keyless inference, any packet from the peer on that link counts as a
    /// sign of life (an unpaired ping is not proof of a missing pong).
    pub(super) fn deadline(&self, i: usize) -> Option<i64> {
        self.dirs[i].down_deadline(&self.th, self.heard(i))
    }

    /// When path `i`, down, restarts its pong count (see
    /// [`Dir::recount_deadline`]).
    pub(super) fn recount_deadline(&self, i: usize) -> Option<i64> {
        self.dirs[i].recount_deadline(&self.th, self.heard(i))
    }

    fn heard(&self, i: usize) -> i64 {
        let d = &self.dirs[i];
        match (d.link.inferred, d.rev) {
            (true, Some(r)) => self.dirs.get(r as usize).map_or(i64::MIN, |r| r.last_ts),
            _ => i64::MIN,
        }
    }

    /// knet ran its down routine again on a down link at `at`: the pongs
    /// counted towards its coming up start over, the backoff is 10 again.
    pub(super) fn recount(&mut self, i: usize, at: i64) {
        let l = &mut self.dirs[i].link;
        l.pongs_while_down = 0;
        l.backoff_from = at;
    }

    /// A node sent again after a silence: its overdue links go down now.
    pub(super) fn pinger_resumed(&mut self, node: u16, ts: i64) {
        for i in 0..self.dirs.len() {
            if self.dirs[i].src_node == Some(node)
                && self.dirs[i].link.resume_check.is_none()
                && let Some(dl) = self.deadline(i).filter(|dl| ts > *dl)
            {
                self.dirs[i].link.resume_check = Some((ts, dl));
            }
        }
    }

    /// A silent pinger is back. If it was stalled (it answers old pings late
    /// right after resuming), knet ran no heartbeat meanwhile and declares the
    /// link down only now; if the capture merely lost sight of it (its packets
    /// were dropped before the capture point), knet declared it at the deadline.
    pub(super) fn resolve_resume(&mut self, i: usize, now: i64, force: bool) {
        let Some((resumed, dl)) = self.dirs[i].link.resume_check else {
            return;
        };
        let late = self.dirs[i]
            .src_node
            .and_then(|n| self.nodes.get(&n))
            .map_or(i64::MIN, |n| n.late_pong_at);
        let stalled = late >= resumed - 200 * MS;
        if !stalled && !force && now < resumed + NS {
            return;
        }
        self.dirs[i].link.resume_check = None;
        if self.dirs[i].link.state == LinkState::Up {
            self.link_down(i, if stalled { resumed } else { dl });
        }
    }

    /// How bad a down of path `i` is, and the finding's words for it: a
    /// warning while another link from its pinger to the same peer is up,
    /// else critical (the peer unreachable).
    pub(super) fn down_severity(&self, i: usize) -> (Severity, &'static str) {
        let d = &self.dirs[i];
        let (src, dst, link) = (d.src_node, d.dst_node, d.key.link);
        let other_up = self.dirs.iter().enumerate().any(|(j, o)| {
            j != i
                && o.src_node.is_some()
                && o.src_node == src
                && o.dst_node == dst
                && o.key.link != link
                && o.link.state == LinkState::Up
        });
        if other_up {
            (Severity::Warning, "; another link is still up")
        } else {
            (Severity::Critical, "; no other link up: node unreachable")
        }
    }

    pub(super) fn link_down(&mut self, i: usize, at: i64) {
        let th = &self.th;
        let tolerated = self.dirs[i].timeout_adj(th, at);
        let (link, last_pong) = {
            let d = &self.dirs[i];
            (d.key.link, d.ping.last_pong.unwrap_or(at))
        };
        let (sev, other) = self.down_severity(i);
        let flap_window = i64::from(self.th.flap_window_s) * NS;
        let flap_downs = self.th.flap_downs.clamp(2, 8) as usize;
        let max_tr = self.th.limits.max_transitions;
        let d = &mut self.dirs[i];
        d.link.state = LinkState::Down;
        d.link.pongs_while_down = 0;
        // knet sends no DATA on a down link: missing copies were not lost.
        d.seq.miss_run = 0;
        d.link.backoff_from = at;
        d.link.downs += 1;
        d.link.down_times.rotate_right(1);
        d.link.down_times[0] = at;
        if d.link.transitions.len() < max_tr {
            d.link.transitions.push(Transition {
                ts: at,
                up: false,
                rule_value: (tolerated / MS) as u64,
            });
        }
        let recent = d
            .link
            .down_times
            .iter()
            .filter(|t| **t != i64::MIN && at - **t <= flap_window)
            .count();
        let f = self.dirs[i].finding(FindingKind::LinkDown, sev, at, Direction::SrcToDst, format!(
                "knet would declare link {link} down: no pong for {:.0} ms (ping timeout x backoff + 2 x avg latency){}",
                ms(at - last_pong),
                other
            ))
        .ev("last_pong_age_ms", ms(at - last_pong))
        .ev("tolerated_ms", ms(tolerated));
        let fi = self.push_finding(f);
        self.dirs[i].link.open_down = fi;
        if recent == flap_downs {
            let first = self.dirs[i].link.down_times[flap_downs - 1];
            let f = self.dirs[i]
                .finding(
                    FindingKind::LinkFlapping,
                    Severity::Warning,
                    first,
                    Direction::SrcToDst,
                    format!(
                        "link {link} went down {recent} times within {} s",
                        self.th.flap_window_s
                    ),
                )
                .ended(at)
                .ev("downs", recent as f64)
                .ev("window_s", f64::from(self.th.flap_window_s));
            self.push_finding(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::super::{Dir, PathKey};
    use super::KnetLink;

    #[test]
    fn link_down_on_knet_grid_then_up_on_third_pong() {
        let mut e = Engine::new(two_nodes());
        // 5 answered pings (data seq 5: the link is taken as already up).
        for i in 0..5 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(500), 5);
        }
        // 6 unanswered pings, then answered again.
        for i in 5..11 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, None, 5);
        }
        for i in 11..15 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(500), 5);
        }
        e.finish(T0 + 15 * 800 * MS);
        let s = e.snapshot();
        let l = s.link(1, 2, 0).expect("link");
        // Last pong answered the ping at 3200 ms; knet's heartbeat (200 ms grid
        // from that ping) first sees 0.5 + 1500 + 2 × 0.5 ms exceeded at +1600 ms.
        let down = T0 + 3200 * MS + 1600 * MS;
        let ups: Vec<_> = l.transitions.iter().map(|t| (t.ts, t.up)).collect();
        // Up on the third pong after the outage: pongs at 8800.5, 9600.5, 10400.5 ms.
        let up = T0 + 10_400 * MS + 500_000;
        assert_eq!(ups, vec![(down, false), (up, true)]);
        assert_eq!(l.downs, 1);
        assert_eq!(l.pings_unanswered, 6);
        let f = s
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LinkDown)
            .expect("link down finding");
        assert_eq!(
            (f.start, f.end, f.severity),
            (down, Some(up), Severity::Critical)
        );
        assert_eq!(
            (f.src_node, f.dst_node, f.link),
            (Some(1), Some(2), Some(0))
        );
        assert_eq!(f.evidence("tolerated_ms"), Some(1501.0));
        // 6 of 15 pings unanswered = 40 % towards node 2 (node 2's cadence is unknown).
        assert!((l.ping_loss_pct - 40.0).abs() < 1e-9);
        assert_eq!(s.worst(), Some(Severity::Critical));
    }

    #[test]
    fn a_down_link_counts_its_pongs_again_after_a_timeout_without_one() {
        let mut e = Engine::new(two_nodes());
        let answered = |i: i64| i < 5 || i == 11 || i >= 18;
        for i in 0..22 {
            let rtt = answered(i).then_some(500);
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, rtt, 5);
        }
        e.finish(T0 + 22 * 800 * MS);
        let s = e.snapshot();
        let l = s.link(1, 2, 0).expect("link");
        // Down at +4.8 s (as above), backoff 10. One pong at +8.8 s counts
        // one; then none while the backoff falls: at +12.8 s (eight whole
        // seconds after the down, backoff 2) 4 s without a pong reach
        // 2 × 1500 ms, and knet's down routine zeroes the count. The pongs
        // from +14.4 s bring the link up on the third: +16.0 s, not on
        // +15.2 s as the count kept across the gap would.
        let ups: Vec<_> = l.transitions.iter().map(|t| (t.ts, t.up)).collect();
        assert_eq!(
            ups,
            vec![(T0 + 4800 * MS, false), (T0 + 16_000 * MS + 500_000, true)]
        );
    }

    #[test]
    fn second_link_up_makes_a_down_a_warning_and_flaps_are_counted() {
        let mut e = Engine::new(two_nodes());
        let mut t = T0;
        for round in 0..2 {
            for _ in 0..5 {
                ping_pair(&mut e, t, 1, 2, 0, Some(400), 5);
                ping_pair(&mut e, t + MS, 1, 2, 1, Some(400), 5);
                t += 800 * MS;
            }
            for _ in 0..4 {
                ping_pair(&mut e, t, 1, 2, 0, None, 5);
                ping_pair(&mut e, t + MS, 1, 2, 1, Some(400), 5);
                t += 800 * MS;
            }
            let _ = round;
        }
        for _ in 0..4 {
            ping_pair(&mut e, t, 1, 2, 0, Some(400), 5);
            ping_pair(&mut e, t + MS, 1, 2, 1, Some(400), 5);
            t += 800 * MS;
        }
        e.finish(t);
        let s = e.snapshot();
        let downs: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::LinkDown)
            .collect();
        assert_eq!(downs.len(), 2);
        assert!(
            downs
                .iter()
                .all(|f| f.severity == Severity::Warning && f.link == Some(0))
        );
        let flap = s
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LinkFlapping)
            .expect("flapping");
        assert_eq!(flap.evidence("downs"), Some(2.0));
        assert_eq!(
            (flap.start, flap.end),
            (downs[0].start, Some(downs[1].start))
        );
        assert_eq!(s.link(1, 2, 1).expect("link 1").downs, 0);
    }

    fn dir() -> Dir {
        let key = PathKey {
            src: ip(1),
            dst: ip(2),
            link: 0,
        };
        Dir::new(key, T0, 64)
    }

    #[test]
    fn up_on_the_pong_after_pong_count() {
        // A fresh node (data seq 0): down, the first pong counted.
        let mut l = KnetLink::new();
        assert_eq!(l.pong(0, T0, T0 - S, 2, 8), None);
        assert_eq!((l.state, l.pongs_while_down), (LinkState::Down, 1));
        assert_eq!(l.backoff_from, T0 - S);
        l.open_down = Some(7);
        assert_eq!(l.pong(0, T0 + S, T0 - S, 2, 8), None);
        assert_eq!(l.state, LinkState::Down);
        // pong_count 2: up on the third, which ends the open down finding.
        assert_eq!(l.pong(0, T0 + 2 * S, T0 - S, 2, 8), Some(7));
        assert_eq!(l.state, LinkState::Up);
        assert!(l.ever_up);
        assert_eq!(l.transitions.len(), 1);
        assert_eq!(l.transitions[0].rule_value, 3);
        assert_eq!(l.first_pong, T0);
    }

    #[test]
    fn a_running_node_is_up_at_once() {
        let mut l = KnetLink::new();
        assert_eq!(l.pong(5, T0, T0, 2, 8), None);
        assert_eq!(l.state, LinkState::Up);
        assert!(l.ever_up && l.transitions.is_empty());
    }

    #[test]
    fn backoff_starts_at_ten_and_drops_once_a_second() {
        let th = two_nodes();
        let mut d = dir();
        let timeout = th.ping_timeout_ns();
        // Never reset: backoff 1.
        assert_eq!(d.timeout_adj(&th, T0), timeout);
        d.link.backoff_from = T0;
        assert_eq!(d.timeout_adj(&th, T0), 10 * timeout);
        assert_eq!(d.timeout_adj(&th, T0 + 2 * S), 8 * timeout);
        assert_eq!(d.timeout_adj(&th, T0 + 30 * S), timeout);
        // Plus twice knet's mean latency.
        d.ping.avg_lat_us = 500.0;
        assert_eq!(d.timeout_adj(&th, T0 + 30 * S), timeout + MS);
    }

    #[test]
    fn no_deadline_unless_up_with_a_pong() {
        let th = two_nodes();
        let mut d = dir();
        assert_eq!(d.down_deadline(&th, i64::MIN), None);
        d.link.state = LinkState::Up;
        d.ping.last_pong = Some(T0);
        d.ping.last_pong_ping = T0;
        // Timeout 1500 ms, backoff 1: the first 200 ms tick from the ping
        // at least that long after the pong.
        assert_eq!(d.down_deadline(&th, i64::MIN), Some(T0 + 1600 * MS));
    }
}
