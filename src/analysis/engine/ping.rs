//! knet pings and pongs: counts, cadence and round-trip time.
//!
//! knet pings each peer on each link every `ping_interval` (the heartbeat
//! thread runs on a 200 ms grid, so the spacing on the wire is the interval
//! rounded up to 200 ms); the peer answers with a PONG echoing the ping's 16
//! time bytes. A PONG is matched to its PING by (pinger address, responder
//! address, link, time bytes); RTT = t(pong) − t(ping) at the capture point.
//!
//! * Missing pings: a gap of n spacings between two timed pings of a pinger
//!   (once its link was up) means n − 1 pings lost before the capture point,
//!   counted in the seconds they were due.
//! * Unanswered pings: no pong within `ping_timeout`; counted only after the
//!   link's first pong (before, the peer may not run yet). A pong after the
//!   timeout is *late*, not lost: knet discards it (its link view and mean
//!   latency never see it), but the packets arrived, so it is taken back
//!   from the unanswered count and its round trip enters the RTT
//!   distribution (max, p99).
//! * knet keeps a running mean of the latency over up to 2048 samples; it
//!   enters the link's down deadline (`link`).
//!
//! Pending pings are bounded (`max_pending_pings`) and dropped ten timeouts
//! after they were sent.

use std::net::IpAddr;

use hdrhistogram::Histogram;

use crate::wire::knet::Ping;

use super::{Dir, Engine, HIST_MAX_US, NS, new_hist};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct PingKey {
    pub(super) pinger: IpAddr,
    pub(super) responder: IpAddr,
    pub(super) link: u8,
    pub(super) time: [u8; 16],
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub(super) ts: i64,
    pub(super) dir: u32,
    pub(super) data_seq: u16,
    pub(super) expired: bool,
}

/// src's ping session to dst: counts, cadence and RTT.
#[derive(Debug)]
pub(super) struct PingStats {
    /// The first and the last ping whose RTT reached the latency warning
    /// (a share of the ping timeout): the window of a latency finding.
    pub(super) high_rtt: Option<(i64, i64)>,
    /// The first and the last ping whose RTT stood out from the path's
    /// fastest by the asymmetry margin (1 ms, or half again): the window of
    /// an RTT asymmetry.
    pub(super) raised_rtt: Option<(i64, i64)>,
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
    /// knet's running mean latency, over the latest `lat_n` samples.
    pub(super) avg_lat_us: f64,
    pub(super) lat_n: u32,
}

impl PingStats {
    pub(super) fn new() -> Self {
        PingStats {
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
            high_rtt: None,
            raised_rtt: None,
            jitter_sum: 0.0,
            jitter_n: 0,
            avg_lat_us: 0.0,
            lat_n: 0,
        }
    }
}

impl Dir {
    /// A pong to the ping sent at `ping_ts` came at `ts`, within the timeout:
    /// RTT, jitter, knet's mean latency and the pong cadence.
    fn pong_in_time(&mut self, ping_ts: i64, ts: i64, warn_us: u64) {
        let rtt = ts - ping_ts;
        self.ping.pongs += 1;
        let us = (rtt / 1000).max(1) as u64;
        if us >= warn_us {
            let w = self.ping.high_rtt.get_or_insert((ping_ts, ping_ts));
            w.1 = ping_ts;
        }
        let min = self.ping.min_rtt_us;
        if min != u64::MAX && us > min + super::asym::RTT_DIFF_MIN_US.max(min / 2) {
            let w = self.ping.raised_rtt.get_or_insert((ping_ts, ping_ts));
            w.1 = ping_ts;
        }
        self.ping.rtt.saturating_record(us.min(HIST_MAX_US));
        self.ping.min_rtt_us = self.ping.min_rtt_us.min(us);
        if let Some(last) = self.ping.last_rtt_us {
            self.ping.jitter_sum += (us as f64 - last as f64).abs();
            self.ping.jitter_n += 1;
        }
        self.ping.last_rtt_us = Some(us);
        // knet's running mean over up to `precision` (2048) samples.
        self.ping.lat_n = (self.ping.lat_n + 1).min(2048);
        self.ping.avg_lat_us += (us as f64 - self.ping.avg_lat_us) / f64::from(self.ping.lat_n);
        if let Some(b) = self.bucket(ping_ts.div_euclid(NS)) {
            b.pongs += 1;
            b.rtt(us);
        }
        if let Some(lp) = self.ping.last_pong {
            let gap = ts - lp;
            if gap > self.ping.max_pong_gap {
                self.ping.max_pong_gap = gap;
                self.ping.max_pong_gap_at = lp;
            }
        }
        if self.ping.last_pong.is_none_or(|l| ts >= l) {
            self.ping.last_pong = Some(ts);
            self.ping.last_pong_ping = ping_ts;
        }
    }

    /// Loss is counted only once the link was up and from its first pong on
    /// (before, the peer may simply not run yet).
    pub(super) fn counts_loss(&self, ping_ts: i64) -> bool {
        self.link.ever_up && ping_ts >= self.link.first_pong
    }

    /// The ping sent at `ping_ts`, counted unanswered at its timeout, was
    /// answered late after all.
    fn ping_late_not_lost(&mut self, ping_ts: i64) {
        self.ping.unanswered = self.ping.unanswered.saturating_sub(1);
        if let Some(b) = self.bucket(ping_ts.div_euclid(NS)) {
            b.unanswered = b.unanswered.saturating_sub(1);
        }
    }

    /// The ping sent at `ping_ts` got no pong in time.
    pub(super) fn ping_unanswered(&mut self, ping_ts: i64) {
        self.ping.unanswered += 1;
        if let Some(b) = self.loss_bucket(ping_ts.div_euclid(NS)) {
            b.unanswered += 1;
            b.loss_at(ping_ts);
        }
    }
}

impl Engine {
    pub(super) fn on_ping(&mut self, i: u32, ping: &Ping, src: IpAddr, dst: IpAddr, ts: i64) {
        self.ping_sent(i, Some(ping.node), ping.timed, ts);
        let key = PingKey {
            pinger: src,
            responder: dst,
            link: ping.link,
            time: ping.time,
        };
        self.await_pong(
            key,
            Pending {
                ts,
                dir: i,
                data_seq: ping.seq,
                expired: false,
            },
        );
    }

    pub(super) fn await_pong(&mut self, key: PingKey, p: Pending) {
        if self.pending.len() >= self.th.limits.max_pending_pings {
            self.overflow.pending_pings += 1;
            return;
        }
        self.pending.insert(key, p);
    }

    /// A ping left `src` on path `i`: counts and cadence.
    pub(super) fn ping_sent(&mut self, i: u32, node: Option<u16>, timed: bool, ts: i64) {
        let spacing = self.th.ping_spacing_ns();
        let d = &mut self.dirs[i as usize];
        if node.is_some() {
            d.src_node = node;
        }
        d.ping.pings += 1;
        let sec = ts.div_euclid(NS);
        if let Some(b) = d.bucket(sec) {
            b.pings += 1;
        }
        if timed {
            if let Some(last) = d.ping.last_ping.filter(|_| d.link.ever_up) {
                let gap = ts - last;
                if gap > d.ping.max_ping_gap {
                    d.ping.max_ping_gap = gap;
                    d.ping.max_ping_gap_at = last;
                }
                let periods = (gap + spacing / 2) / spacing;
                if periods >= 2 {
                    let m = (periods - 1).min(100_000) as u32;
                    d.ping.missing += u64::from(m);
                    let lost_at = last + spacing;
                    // Attribute the missing pings to the seconds they were due.
                    for j in 0..m.min(600) {
                        let due = last + spacing * i64::from(j + 1);
                        if let Some(b) = d.loss_bucket(due.div_euclid(NS)) {
                            b.missing += 1;
                            b.loss_at(lost_at.max(due));
                        }
                    }
                }
            }
            d.ping.last_ping = Some(d.ping.last_ping.map_or(ts, |l| l.max(ts)));
            if let Some(n) = node.and_then(|n| self.nodes.get_mut(&n)) {
                n.last_ping = n.last_ping.max(ts);
            }
        }
    }

    pub(super) fn on_pong(&mut self, pong: &Ping, src: IpAddr, dst: IpAddr, ts: i64) {
        let key = PingKey {
            pinger: dst,
            responder: src,
            link: pong.link,
            time: pong.time,
        };
        let Some(p) = self.pending.remove(&key) else {
            return;
        };
        self.answered(p, Some(pong.node), ts);
    }

    /// The pong to pending ping `p` came at `ts` from `responder`.
    pub(super) fn answered(&mut self, p: Pending, responder: Option<u16>, ts: i64) {
        let i = p.dir as usize;
        let timeout = self.th.ping_timeout_ns();
        let rtt = ts - p.ts;
        if self.dirs[i].dst_node.is_none() {
            self.dirs[i].dst_node = responder;
        }
        let responder_node = responder.or(self.dirs[i].dst_node);
        if p.expired || rtt > timeout {
            // knet discards a pong older than its timeout.
            // It is late, not lost: the ping and its pong both arrived. A
            // ping already counted unanswered at its timeout is taken back,
            // and the round trip enters the RTT distribution (knet's own
            // running mean never sees it).
            let d = &mut self.dirs[i];
            d.ping.late_pongs += 1;
            if p.expired && d.counts_loss(p.ts) {
                d.ping_late_not_lost(p.ts);
            }
            let us = (rtt / 1000).max(1) as u64;
            d.ping.rtt.saturating_record(us.min(HIST_MAX_US));
            let (src_node, link) = (d.src_node, d.key.link);
            if let Some(r) = responder_node {
                self.late_pong(r, src_node, Some(r), link, rtt, ts);
            }
            return;
        }
        // A pong after the deadline: knet declared the link down first.
        self.resolve_resume(i, ts, true);
        if let Some(dl) = self.deadline(i)
            && ts > dl
        {
            self.link_down(i, dl);
        }
        // A pong long after its ping, in time or not: a stalled responder
        // answering the pings it got while it was not running?
        if rtt >= super::nodes::STALL_MIN_NS
            && let Some(r) = responder_node
        {
            let (src_node, link) = (self.dirs[i].src_node, self.dirs[i].key.link);
            self.late_pong(r, src_node, Some(r), link, rtt, ts);
        }
        if !self.dirs[i].confirmed {
            self.dirs[i].confirmed = true;
            let src = self.dirs[i].src_node;
            self.confirm(src, responder_node);
        }
        // A down link whose pongs stopped for a timeout restarted its count.
        if let Some(rd) = self.recount_deadline(i)
            && ts > rd
        {
            self.recount(i, rd);
        }
        let (pong_count, max_tr) = (self.th.pong_count, self.th.limits.max_transitions);
        let warn_us = self.th.latency_warning_us();
        let d = &mut self.dirs[i];
        d.pong_in_time(p.ts, ts, warn_us);
        d.link.recent_pongs.rotate_right(1);
        d.link.recent_pongs[0] = (ts, p.ts);
        let first_ts = d.first_ts;
        if let Some(fi) = d.link.pong(p.data_seq, ts, first_ts, pong_count, max_tr) {
            // The link is up again: its down finding ends here.
            if let Some(f) = self.findings.get_mut(fi) {
                f.end = Some(ts);
            }
        }
    }

    pub(super) fn expire_pending(&mut self, t: i64) {
        let timeout = self.th.ping_timeout_ns();
        let keep = timeout * 10;
        let dirs = &mut self.dirs;
        self.pending.retain(|_, p| {
            if !p.expired && t - p.ts > timeout {
                p.expired = true;
                if let Some(d) = dirs.get_mut(p.dir as usize).filter(|d| d.counts_loss(p.ts)) {
                    d.ping_unanswered(p.ts);
                }
            }
            t - p.ts <= keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    #[test]
    fn rtt_and_counts() {
        let mut e = Engine::new(two_nodes());
        for i in 0..10 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(500), 5);
            ping_pair(&mut e, T0 + i * 800 * MS + 300 * MS, 2, 1, 0, Some(300), 5);
        }
        e.finish(T0 + 9 * 800 * MS + 301 * MS);
        let s = e.snapshot();
        let l = s.link(1, 2, 0).expect("1->2 link 0");
        assert_eq!(
            (
                l.pings_sent,
                l.pongs_received,
                l.pings_unanswered,
                l.pings_missing
            ),
            (10, 10, 0, 0)
        );
        let q = l.rtt_us.expect("rtt");
        // two significant digits: 500 µs is stored in a 2 µs-wide bucket
        assert!((500..=501).contains(&q.p50), "{q:?}");
        assert_eq!(q.count, 10);
        assert_eq!(l.jitter_us, 0.0);
        assert_eq!(l.max_ping_gap_ms, 800.0);
        assert_eq!(l.max_silence_ms, 800.0);
        assert_eq!(l.state, LinkState::Up);
        assert_eq!(l.traffic[1].packets, 10); // pings 1 -> 2
        assert_eq!(l.traffic[2].packets, 10); // pongs 1 -> 2 (answers to 2's pings)
        let r = s.link(2, 1, 0).expect("2->1");
        assert!((300..=301).contains(&r.rtt_us.expect("rtt").p50));
        assert!(s.findings.is_empty(), "{:?}", s.findings);
        assert!(s.worst() < Some(Severity::Warning));
        assert_eq!(s.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![1, 2]);
    }
}
