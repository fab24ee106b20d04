//! RTT episodes against the path's baseline, and the RTT budget.
//!
//! * Episode: a second whose mean RTT exceeds the path's minimum by more
//!   than max(3 × minimum, 1 ms) is elevated; three elevated seconds in a
//!   row open an episode (counted from the first), three calm seconds close
//!   it. Its severity comes from its p99 against the ping timeout: critical
//!   from 75 %, warning from `latency_warning_pct`; a step of at least
//!   max(5 ms, 10 x the baseline) held 5 s is a warning too (a 0.03 ms
//!   link at 30 ms for 20 s is a network fault even with budget left);
//!   else info.
//! * Budget: a path whose RTT was high all along never rises above its own
//!   baseline, so at the end its whole-capture p99 is judged against the
//!   ping timeout the same way (unless an episode already warned).

use hdrhistogram::Histogram;

use crate::analysis::findings::{Direction, FindingKind, Severity};

use super::{Engine, HIST_MAX_US, NS, new_hist};

/// A latency step this large (µs, or 10 x the baseline when larger) ...
const STEP_MIN_US: u64 = 5_000;
/// ... held this long is a warning whatever the budget.
const STEP_HELD_NS: i64 = 5 * NS;

#[derive(Debug)]
pub(super) struct LatEpisode {
    pub(super) start: i64,
    pub(super) last: i64,
    pub(super) hist: Histogram<u32>,
    pub(super) calm: u32,
}

/// A path's RTT episode and the run of elevated seconds that may open one.
#[derive(Debug, Default)]
pub(super) struct LatState {
    pub(super) ep: Option<LatEpisode>,
    pub(super) run: u32,
    pub(super) run_start: i64,
}

impl Engine {
    pub(super) fn eval_latency(&mut self, i: usize, k: i64) {
        let d = &mut self.dirs[i];
        let Some(b) = d.bucket_ref(k).copied() else {
            return;
        };
        if b.rtt_n == 0 || d.ping.min_rtt_us == u64::MAX {
            return;
        }
        let base = d.ping.min_rtt_us;
        let avg = b.rtt_sum_us / u64::from(b.rtt_n);
        let elevated = avg > base + (3 * base).max(1000);
        match (&mut d.lat.ep, elevated) {
            (Some(ep), true) => {
                ep.hist.saturating_record(avg.min(HIST_MAX_US));
                ep.last = k * NS + NS;
                ep.calm = 0;
            }
            (Some(ep), false) => {
                ep.calm += 1;
                if ep.calm >= 3 {
                    self.close_latency(i);
                }
            }
            (None, true) => {
                if d.lat.run == 0 {
                    d.lat.run_start = k * NS;
                }
                d.lat.run += 1;
                if d.lat.run >= 3 {
                    let mut hist = new_hist();
                    // The run's earlier seconds.
                    for s in (d.lat.run_start / NS)..=k {
                        if let Some(bb) = d.bucket_ref(s)
                            && bb.rtt_n > 0
                        {
                            hist.saturating_record(
                                (bb.rtt_sum_us / u64::from(bb.rtt_n)).min(HIST_MAX_US),
                            );
                        }
                    }
                    d.lat.ep = Some(LatEpisode {
                        start: d.lat.run_start,
                        last: k * NS + NS,
                        hist,
                        calm: 0,
                    });
                    d.lat.run = 0;
                }
            }
            (None, false) => d.lat.run = 0,
        }
    }

    /// A path whose RTT was high all along never rises above its own
    /// baseline: judge its whole-capture p99 against the ping timeout.
    pub(super) fn budget_latency(&mut self) {
        let timeout_us = u64::from(self.th.ping_timeout_ms) * 1000;
        let warn_us = self.th.latency_warning_us();
        for i in 0..self.dirs.len() {
            let d = &self.dirs[i];
            if d.ping.rtt.is_empty() || warn_us == 0 {
                continue;
            }
            let p99 = d.ping.rtt.value_at_quantile(0.99);
            if p99 < warn_us {
                continue;
            }
            let (src, dst, link) = (d.src_node, d.dst_node, d.key.link);
            let covered = self.findings.iter().any(|f| {
                f.kind == FindingKind::Latency
                    && f.severity >= Severity::Warning
                    && f.src_node == src
                    && f.dst_node == dst
                    && f.link == Some(link)
            });
            if covered {
                continue;
            }
            let sev = if p99 >= timeout_us * 3 / 4 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let p50 = d.ping.rtt.value_at_quantile(0.5);
            // From the first to the last ping whose RTT reached the warning:
            // when the condition held, not the whole capture.
            let (start, end) = d.ping.high_rtt.unwrap_or((d.first_ts, d.last_ts));
            let f = d
                .finding(
                    FindingKind::Latency,
                    sev,
                    start,
                    Direction::Both,
                    format!(
                        "RTT p99 {:.1} ms on link {link} is {:.0} % of the {} ms ping timeout",
                        p99 as f64 / 1000.0,
                        100.0 * p99 as f64 / timeout_us as f64,
                        self.th.ping_timeout_ms
                    ),
                )
                .ended(end)
                .ev("rtt_p50_ms", p50 as f64 / 1000.0)
                .ev("rtt_p99_ms", p99 as f64 / 1000.0)
                .ev("ping_timeout_ms", f64::from(self.th.ping_timeout_ms));
            self.push_finding(f);
        }
    }

    pub(super) fn close_latency(&mut self, i: usize) {
        let Some(ep) = self.dirs[i].lat.ep.take() else {
            return;
        };
        let d = &self.dirs[i];
        let base = if d.ping.min_rtt_us == u64::MAX {
            0
        } else {
            d.ping.min_rtt_us
        };
        let p50 = ep.hist.value_at_quantile(0.5);
        let p99 = ep.hist.value_at_quantile(0.99);
        let timeout_us = u64::from(self.th.ping_timeout_ms) * 1000;
        let warn_us = self.th.latency_warning_us();
        // A step that matters to people before it eats the budget: at least
        // max(5 ms, 10 x the baseline) above the baseline, held 5 s or more.
        let step = p50.saturating_sub(base) >= STEP_MIN_US.max(10 * base)
            && ep.last - ep.start >= STEP_HELD_NS;
        let sev = if p99 >= timeout_us * 3 / 4 {
            Severity::Critical
        } else if p99 >= warn_us || step {
            Severity::Warning
        } else {
            Severity::Info
        };
        let f = d.finding(FindingKind::Latency, sev, ep.start, Direction::Both, format!(
                "RTT on link {} rose to {:.1} ms (p50) from a {:.2} ms baseline; p99 {:.1} ms = {:.0} % of the {} ms ping timeout",
                d.key.link,
                p50 as f64 / 1000.0,
                base as f64 / 1000.0,
                p99 as f64 / 1000.0,
                100.0 * p99 as f64 / timeout_us.max(1) as f64,
                self.th.ping_timeout_ms
            ))
        .ended(ep.last)
        .ev("rtt_p50_ms", p50 as f64 / 1000.0)
        .ev("rtt_p99_ms", p99 as f64 / 1000.0)
        .ev("baseline_ms", base as f64 / 1000.0)
        .ev("ping_timeout_ms", f64::from(self.th.ping_timeout_ms));
        self.push_finding(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    #[test]
    fn constant_high_rtt_is_judged_against_the_ping_timeout() {
        let mut e = Engine::new(two_nodes());
        // 600 ms RTT from the first ping: 40 % of the 1500 ms timeout
        for i in 0..10 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(600_000), 5);
        }
        e.finish(T0 + 10 * 800 * MS);
        let s = e.snapshot();
        let f: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Latency)
            .collect();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        let p99 = f[0].evidence("rtt_p99_ms").expect("p99");
        assert!((600.0..=606.0).contains(&p99), "{p99}");
    }
}
