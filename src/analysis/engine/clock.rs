//! Capture time: the engine's clock runs on packet timestamps only.
//!
//! Time never goes back (an older packet is used but does not move it).
//! Each second of capture time that passes runs [`Engine::tick`] once, in
//! order, at most `series_len` of them after a jump: pings older than the
//! ping timeout expire (`ping`), DATA copies settle (`seqloss`), links past
//! their knet deadline go down (`link`), PMTUD runs and retransmit episodes
//! with no news close, and the second that is ping timeout + 2 s old is
//! judged for loss and latency (its pings are resolved by then).

use super::{Engine, NS};

impl Engine {
    /// The second `ts` falls in; the last answer is kept, since nearly every
    /// packet falls in the same second as the one before it.
    #[inline]
    pub(super) fn sec_of(&mut self, ts: i64) -> i64 {
        let (base, sec) = self.sec_cache;
        if ts >= base && ts - base < NS {
            return sec;
        }
        let sec = ts.div_euclid(NS);
        self.sec_cache = (sec * NS, sec);
        sec
    }

    #[inline]
    pub(super) fn advance_time(&mut self, ts: i64) {
        // Within the second already ticked: nothing else to do.
        let now = self.now.max(ts);
        if now < self.tick_end {
            self.now = now;
            return;
        }
        self.advance_slow(ts);
    }

    pub(super) fn advance_slow(&mut self, ts: i64) {
        if self.first_ts.is_none() {
            self.first_ts = Some(ts);
        }
        if ts > self.now {
            self.now = ts;
        }
        let sec = self.sec_of(self.now);
        let Some(last) = self.tick_sec else {
            self.tick_sec = Some(sec);
            self.tick_end = (sec + 1) * NS;
            return;
        };
        if sec <= last {
            return;
        }
        let len = self.th.limits.series_len.max(64) as i64;
        let from = (last + 1).max(sec - len);
        for s in from..=sec {
            self.tick(s);
        }
        self.tick_sec = Some(sec);
        self.tick_end = (sec + 1) * NS;
    }

    /// Once per second of capture time.
    pub(super) fn tick(&mut self, sec: i64) {
        let t = sec * NS;
        self.expire_pending(t);
        for tr in self.seqs.values_mut() {
            tr.settle(&mut self.dirs, t);
        }
        self.check_downs(t);
        self.settle_token_copies(t);
        let lag = i64::from(self.th.ping_timeout_ms.div_ceil(1000)) + 2;
        let k = sec - lag;
        if self.eval_sec.is_none_or(|e| k > e) {
            self.evaluate(k);
            self.eval_sec = Some(k);
        }
        self.close_quiet_pmtud_runs(t);
        self.close_quiet_rtr(t);
        self.close_quiet_resends(t);
        self.check_wire(sec, false);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    #[test]
    fn seconds_are_cached_and_time_never_goes_back() {
        let mut e = Engine::new(two_nodes());
        assert_eq!(e.sec_of(T0 + 5 * MS), T0 / S);
        assert_eq!(e.sec_of(T0 + 999 * MS), T0 / S);
        assert_eq!(e.sec_of(T0 + S), T0 / S + 1);
        assert_eq!(e.sec_of(T0 - 1), T0 / S - 1);
        e.advance_time(T0 + 2 * S);
        e.advance_time(T0);
        assert_eq!(e.now, T0 + 2 * S);
        assert_eq!(e.tick_sec, Some(T0 / S + 2));
    }
}
