//! Budgets checked against the wire.
//!
//! Two things in the traffic follow from the budgets a cluster runs with:
//!
//! * knet's timed pings leave every `ping_interval` rounded up to the
//!   200 ms heartbeat grid (`cadence`), and corosync sets
//!   `knet_ping_interval = token_eff / (2·pong_count)` and
//!   `knet_ping_timeout = token_eff / pong_count` unless configured
//!   (totemconfig.c), so the timeout is twice the interval whatever the
//!   pong count;
//! * the ring's representative holds an idle token for `hold` ms
//!   (totemsrp.c: with the ring's seq unchanged for more than
//!   `seqno_unchanged_const` rotations the representative does not
//!   forward the token, its token-hold timer of `hold` ms sends it), and
//!   `hold` follows from the token ([`token_from_hold`]).
//!
//! Once a path's pings gave their cadence (at least [`MIN_SPACINGS`]
//! spacings), the engine compares both with the budgets in force. Without
//! a configuration, where they contradict corosync's defaults, it judges
//! with the wire's values from then on: the token read from the hold when
//! its ping interval lands on the spacing seen, else knet's ping interval
//! as the middle of the spacing's 200 ms step and the timeout twice that.
//! A flag still wins. With a configuration the contradiction is reported
//! and nothing changes.

use crate::analysis::budget::WireBudget;
use crate::analysis::snapshot::WireView;
use crate::config::budgets::{KNET_HEARTBEAT_GRID_MS, ping_spacing, token_from_hold};

use super::Engine;

/// Spacings a path needs before its cadence counts.
const MIN_SPACINGS: u32 = 8;
/// Holds of the representative within 10 % of its 99th percentile needed.
const MIN_HOLDS: u64 = 5;
/// Shorter holds are processing, not corosync's hold timer.
const MIN_HOLD_MS: f64 = 20.0;
/// A token read from the hold this far (percent) from the budget's is a
/// contradiction.
const TOKEN_TOLERANCE_PCT: u32 = 15;
/// Seconds between looks at the token hold while it is not known.
const HOLD_EVERY_S: i64 = 4;

impl Engine {
    /// Once a second (`sec`) until decided; `at_end` decides with what
    /// there is. The ping cadence is judged once a path has given it; the
    /// token hold with it when the representative has held the idle token
    /// often enough by then, else every few seconds until it has.
    pub(super) fn check_wire(&mut self, sec: i64, at_end: bool) {
        if !self.wire_decided {
            let mut spacings: Vec<u32> = Vec::new();
            for d in &self.dirs {
                if let Some((s, _)) = d.cadence.spacing(MIN_SPACINGS) {
                    spacings.push(s);
                }
            }
            if spacings.is_empty() && !at_end {
                return;
            }
            self.wire_decided = true;
            let mut v = WireView {
                paths_measured: spacings.len() as u32,
                checked_token_ms: self.th.token_ms,
                checked_spacing_ms: self.th.ping_spacing_ms,
                ..WireView::default()
            };
            spacings.sort_unstable();
            // The spacing most paths show (the shorter on a tie).
            let mut best: Option<(u32, u32)> = None;
            for s in spacings.chunk_by(|a, b| a == b) {
                let n = s.len() as u32;
                if best.is_none_or(|(_, bn)| n > bn) {
                    best = Some((s[0], n));
                }
            }
            if let Some((s, n)) = best {
                v.ping_spacing_ms = Some(s);
                v.spacing_paths = n;
            }
            self.wire = v;
            self.judge_spacing();
        }
        if self.hold_decided || !(at_end || sec.rem_euclid(HOLD_EVERY_S) == 0) {
            return;
        }
        if self.read_hold() || at_end {
            self.hold_decided = true;
            self.judge_token();
        }
    }

    /// The longest idle token hold that recurs (the representative's),
    /// kept in the wire view when there is one.
    fn read_hold(&mut self) -> bool {
        let mut best: Option<(u32, f64, u64)> = None;
        for (node, h) in self.totem.tok.hists() {
            let p99 = h.value_at_quantile(0.99);
            let ms = p99 as f64 / 1000.0;
            let holds = h.count_between(p99 * 9 / 10, p99 * 11 / 10);
            if ms < MIN_HOLD_MS || holds < MIN_HOLDS || holds * 50 < h.len() {
                continue;
            }
            if best.is_none_or(|(_, b, _)| ms > b) {
                best = Some((node, ms, holds));
            }
        }
        let Some((node, ms, holds)) = best else {
            return false;
        };
        let v = &mut self.wire;
        v.hold_node = Some(node);
        v.hold_ms = Some(ms);
        v.holds = holds;
        v.token_from_hold_ms = Some(token_from_hold(ms));
        true
    }

    /// The ping spacing against the budgets; without a configuration a
    /// contradicting spacing gives knet's ping interval and timeout.
    fn judge_spacing(&mut self) {
        let th = &self.th;
        let v = &mut self.wire;
        let Some(s) = v.ping_spacing_ms.filter(|&s| s != th.ping_spacing_ms) else {
            return;
        };
        v.contradictions.push(format!(
            "timed pings every {s} ms on {} of {} paths, where a ping interval of {} ms sends \
             one every {} ms",
            v.spacing_paths, v.paths_measured, th.ping_interval_ms, th.ping_spacing_ms
        ));
        if th.config_file.is_some() {
            return;
        }
        let interval = s.saturating_sub(KNET_HEARTBEAT_GRID_MS / 2).max(1);
        let new = th.with_wire(WireBudget {
            ping_interval_ms: Some(interval),
            ping_timeout_ms: Some(interval.saturating_mul(2)),
            ..WireBudget::default()
        });
        if new.ping_timeout_ms != th.ping_timeout_ms || new.ping_interval_ms != th.ping_interval_ms
        {
            v.used.push(format!(
                "knet ping interval {} ms and ping timeout {} ms from the ping spacing",
                new.ping_interval_ms, new.ping_timeout_ms
            ));
            self.th = new;
        }
    }

    /// The token the hold implies against the budget's; without a
    /// configuration and with no token flag, a contradicting token whose
    /// ping interval lands on the spacing seen is judged with.
    fn judge_token(&mut self) {
        let th = &self.th;
        let v = &mut self.wire;
        let (Some(t), Some(h), Some(n)) = (v.token_from_hold_ms, v.hold_ms, v.hold_node) else {
            return;
        };
        let budget = v.checked_token_ms;
        if t.abs_diff(budget) * 100 <= budget * TOKEN_TOLERANCE_PCT {
            return;
        }
        v.contradictions.push(format!(
            "node {n} holds the idle token {h:.0} ms, the hold of a token of about {t} ms, where \
             a token of {budget} ms holds it {} ms",
            th.hold_ms
        ));
        let pc = th.pong_count.max(1);
        let lands = v
            .ping_spacing_ms
            .is_none_or(|s| ping_spacing(t / pc.saturating_mul(2)) == s);
        if th.config_file.is_some() || th.overrides.token.is_some() || !lands {
            return;
        }
        let new = th.with_wire(WireBudget {
            token_ms: Some(t),
            ..WireBudget::default()
        });
        v.used.clear();
        v.used.push(format!(
            "token {} ms (consensus {} ms) from the token hold, and from it knet ping interval \
             {} ms and ping timeout {} ms",
            new.token_ms, new.consensus_ms, new.ping_interval_ms, new.ping_timeout_ms
        ));
        self.th = new;
    }
}
