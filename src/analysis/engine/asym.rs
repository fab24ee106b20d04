//! The two directions of each node pair side by side: loss, RTT, PMTU.
//!
//! Judged once, at the end, over the whole capture; each finding spans the
//! time its difference held (the seconds with loss, the pings whose RTT
//! stood out, the PMTUD runs that found the smaller MTU). Thresholds:
//!
//! * loss: the directions differ by more than [`LOSS_DIFF_PCT`] points, the
//!   worse one is at least the loss warning threshold, and each direction
//!   rests on at least [`MIN_SAMPLES`] samples (pings and DATA copies) —
//!   counted only in the seconds when both directions carried packets:
//!   while a node's link is cut the capture point sees it send nothing and
//!   cannot tell whether it received, so a cut both ways would read as
//!   one-way loss (the cut itself is the `link_down` finding);
//! * RTT: the p50 of each pinger's ping→pong time differs by more than
//!   max([`RTT_DIFF_MIN_US`], 50 %) with at least [`MIN_RTT`] pongs each way.
//!   On a bridge capture each is the time from the bridge to the peer and
//!   back, so a difference is one host's delay (the slower peer is reported
//!   as the sender of the worse direction); on healthy captures the p50s
//!   are ~0.1 ms apart at most;
//! * PMTU: the smallest path MTU PMTUD acknowledged differs.

use super::{Dir, Direction, Engine, Finding, FindingKind, NS, Severity, loss_estimate};

const LOSS_DIFF_PCT: f64 = 5.0;
const MIN_SAMPLES: u64 = 30;
pub(super) const RTT_DIFF_MIN_US: u64 = 1000;
const MIN_RTT: u64 = 10;

/// One node pair found asymmetric: the worse direction `w` (src → dst) and
/// the better `b`, their loss estimates and ping RTT p50s (µs), and which
/// of loss, RTT and PMTU differ.
struct Asym<'a> {
    w: &'a Dir,
    b: &'a Dir,
    lw: f64,
    lb: f64,
    rw: Option<u64>,
    rb: Option<u64>,
    loss: bool,
    rtt: bool,
    pmtu: bool,
}

impl Engine {
    pub(super) fn asymmetry(&mut self) {
        let mut out = Vec::new();
        for i in 0..self.dirs.len() {
            let d = &self.dirs[i];
            let Some(r) = d.rev.and_then(|r| self.dirs.get(r as usize)) else {
                continue;
            };
            // Each pair once: from the lower node id (then address) side.
            if (d.src_node, d.key.src) > (r.src_node, r.key.src) {
                continue;
            }
            if let Some(a) = self.judge_pair(d, r) {
                out.push(a.finding());
            }
        }
        for f in out {
            self.push_finding(f);
        }
    }

    /// Whether path `d` and its reverse `r` differ materially, oriented
    /// worse direction first.
    fn judge_pair<'a>(&self, d: &'a Dir, r: &'a Dir) -> Option<Asym<'a>> {
        let (sd, sr) = (d.loss.up_side, r.loss.up_side);
        let (ld, lr) = (loss_estimate(&sd, &sr), loss_estimate(&sr, &sd));
        let loss = (ld - lr).abs() > LOSS_DIFF_PCT
            && ld.max(lr) >= self.th.loss_warning_pct
            && sd.samples() >= MIN_SAMPLES
            && sr.samples() >= MIN_SAMPLES;
        let p50 = |h: &hdrhistogram::Histogram<u32>| {
            (h.len() >= MIN_RTT).then(|| h.value_at_quantile(0.5))
        };
        let (rd, rr) = (p50(&d.ping.rtt), p50(&r.ping.rtt));
        let rtt = match (rd, rr) {
            (Some(a), Some(b)) => {
                let (lo, hi) = (a.min(b), a.max(b));
                hi - lo > RTT_DIFF_MIN_US.max(lo / 2)
            }
            _ => false,
        };
        let pmtu = matches!((d.pmtud.pmtu_min, r.pmtud.pmtu_min), (Some(a), Some(b)) if a != b);
        if !(loss || rtt || pmtu) {
            return None;
        }
        // The worse direction is src → dst: more loss, else slower, else
        // smaller MTU. A pinger's RTT at a bridge is the time from the
        // bridge to its peer and back: a higher one says the delay sits on
        // the peer's side, i.e. in the reverse direction's sender.
        let d_worse = if loss {
            ld > lr
        } else if rtt {
            rd < rr
        } else {
            d.pmtud.pmtu_min < r.pmtud.pmtu_min
        };
        let (w, b, lw, lb, rw, rb) = if d_worse {
            (d, r, ld, lr, rd, rr)
        } else {
            (r, d, lr, ld, rr, rd)
        };
        Some(Asym {
            w,
            b,
            lw,
            lb,
            rw,
            rb,
            loss,
            rtt,
            pmtu,
        })
    }
}

impl Asym<'_> {
    fn finding(&self) -> Finding {
        let Asym {
            w,
            b,
            lw,
            lb,
            rw,
            rb,
            ..
        } = *self;
        let name = |n: Option<u16>| n.map_or("?".to_string(), |n| n.to_string());
        let mut what = Vec::new();
        if self.loss {
            what.push(format!(
                "loss {lw:.1} % vs {lb:.1} % (seconds with traffic both ways)"
            ));
        }
        if self.rtt {
            what.push(format!(
                "node {} answers pings in {:.2} ms (p50), node {} in {:.2} ms",
                name(w.src_node),
                rb.unwrap_or(0) as f64 / 1000.0,
                name(b.src_node),
                rw.unwrap_or(0) as f64 / 1000.0
            ));
        }
        if self.pmtu {
            what.push(format!(
                "path MTU {} vs {} bytes",
                w.pmtud.pmtu_min.unwrap_or(0),
                b.pmtud.pmtu_min.unwrap_or(0)
            ));
        }
        // A loss asymmetry spans the seconds the worse direction lost
        // packets in; an RTT one the pings of the slower pinger (the delay
        // sits on its peer's side, the worse direction's sender) whose RTT
        // stood out; an MTU difference the time PMTUD found the smaller
        // MTU until it found more again.
        let span = if self.loss {
            w.loss.up_loss_secs.map(|(a, z)| (a * NS, (z + 1) * NS))
        } else if self.rtt {
            b.ping.raised_rtt
        } else {
            let p = &w.pmtud;
            (p.min_since > 0).then(|| (p.min_since, p.min_until.unwrap_or(w.last_ts)))
        };
        let (start, end) = span.unwrap_or((w.first_ts.max(b.first_ts), w.last_ts.max(b.last_ts)));
        let mut f = w
            .finding(
                FindingKind::Asymmetry,
                Severity::Warning,
                start,
                Direction::SrcToDst,
                format!(
                    "node {} -> node {} differs from the reverse on link {}: {}",
                    name(w.src_node),
                    name(w.dst_node),
                    w.key.link,
                    what.join("; ")
                ),
            )
            .ended(end)
            .ev("loss_pct", lw)
            .ev("reverse_loss_pct", lb);
        if let (Some(a), Some(b)) = (rw, rb) {
            // Of src's pings and of dst's pings.
            f = f
                .ev("rtt_p50_ms", a as f64 / 1000.0)
                .ev("reverse_rtt_p50_ms", b as f64 / 1000.0);
        }
        if let (Some(a), Some(b)) = (w.pmtud.pmtu_min, b.pmtud.pmtu_min) {
            f = f.ev("pmtu", f64::from(a)).ev("reverse_pmtu", f64::from(b));
        }
        f
    }
}
