//! Loss per direction, judged per pair of paths over windows of one-second
//! buckets.
//!
//! Evidence (see [`loss_estimate`]): pings missing from the pinger's
//! cadence and DATA copies missing (`seqloss`) were lost before the capture
//! point; pings seen but unanswered were lost after it — or their pong was
//! lost before it on the reverse path, at the reverse's own rate — and so
//! were messages the receiver asked for again (`rtrloss`) and tokens it
//! did not pass on before their resend (`tokloss`). The two stages
//! combine as independent: 1 − (1 − before)(1 − after).
//!
//! Episodes, one per pair (X → Y with Y → X on one link, owned by the path
//! with the lower index): each second, once its pings are resolved, the
//! window of `loss_window_s` seconds ending there is summed (and, on a pair
//! too sparse for two losses to reach the threshold there, a longer window
//! holding enough samples, see `Engine::loss_window`); at least two
//! packets lost and an estimate at `loss_warning_pct` in either direction
//! (at or above it, or within the 95 % interval of a rate of at least half
//! of it that its samples measure to better than the threshold:
//! [`at_threshold`]) opens an episode at the earliest loss of the latest
//! cluster (losses separated by half a window of clean seconds belong to
//! something older). It stays open down to half the threshold and closes
//! when the window falls below that or a whole window passed without loss.
//! It is recounted from its first loss to the end a two-rate binomial fit
//! of the lossier direction picks (`fit_episode`): a finding when a
//! direction is still at the threshold there, or over the whole episode.
//! Its rate is counted over those seconds widened by one mean gap between
//! losses at each end (the first and last losses found the episode;
//! between them alone the rate reads high), and over at least one loss
//! window (`loss_window_s`: the window at the threshold found it; a few
//! losses close together counted over their own seconds read as a high
//! rate the window never had). It is told from the lossier direction,
//! one-way when the other is under half of it, and not judged in reverse
//! when the sender itself was nearly silent (≥ 90 % of its packets lost
//! before the capture point). The finding carries its samples and a 95 %
//! Wilson interval: the samples as the binomial count with the estimate's
//! spread (`effective_samples`), since its two stages rest on different
//! packets.

use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};

use super::{Bucket, Dir, Engine, NS};

/// Loss samples of one direction (src → dst) at one capture point.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Side {
    pub(super) pings: u64,
    pub(super) missing: u64,
    pub(super) unanswered: u64,
    pub(super) data_seen: u64,
    pub(super) data_lost: u64,
    pub(super) mcast_seen: u64,
    pub(super) mcast_lost: u64,
    pub(super) tok_seen: u64,
    pub(super) tok_lost: u64,
}

impl Side {
    pub(super) fn of(d: &Dir) -> Side {
        Side {
            pings: d.ping.pings,
            missing: d.ping.missing,
            unanswered: d.ping.unanswered,
            data_seen: d.seq.data_seen,
            data_lost: d.seq.data_lost,
            mcast_seen: d.mcast.seen,
            mcast_lost: d.mcast.lost,
            tok_seen: d.tok.seen,
            tok_lost: d.tok.lost,
        }
    }
    /// Samples the loss estimate rests on.
    pub(super) fn samples(&self) -> u64 {
        self.pings + self.missing + self.data_seen + self.data_lost
    }
    pub(super) fn add_side(&mut self, o: &Side) {
        self.pings += o.pings;
        self.missing += o.missing;
        self.unanswered += o.unanswered;
        self.data_seen += o.data_seen;
        self.data_lost += o.data_lost;
        self.mcast_seen += o.mcast_seen;
        self.mcast_lost += o.mcast_lost;
        self.tok_seen += o.tok_seen;
        self.tok_lost += o.tok_lost;
    }
    pub(super) fn add(&mut self, b: &Bucket) {
        self.pings += u64::from(b.pings);
        self.missing += u64::from(b.missing);
        self.unanswered += u64::from(b.unanswered);
        self.data_seen += u64::from(b.data_seen);
        self.data_lost += u64::from(b.data_lost);
        self.mcast_seen += u64::from(b.mcast_seen);
        self.mcast_lost += u64::from(b.mcast_lost);
        self.tok_seen += u64::from(b.tok_seen);
        self.tok_lost += u64::from(b.tok_lost);
    }
    /// Every loss counted, both stages (token copies as given: see
    /// [`counted`]).
    pub(super) fn lost_all(&self) -> u64 {
        self.missing + self.unanswered + self.data_lost + self.mcast_lost + self.tok_lost
    }
    /// Totem's own evidence after the capture point: messages and token
    /// copies seen, and those lost (`rtrloss`, `tokloss`; the tokens as
    /// given: see [`counted`]).
    pub(super) fn totem_after(&self) -> (u64, u64) {
        (
            self.mcast_seen + self.tok_seen,
            self.mcast_lost.min(self.mcast_seen) + self.tok_lost.min(self.tok_seen),
        )
    }
    fn without_tokens(&self) -> Side {
        Side {
            tok_seen: 0,
            tok_lost: 0,
            ..*self
        }
    }
    /// Packets lost before the capture point and all samples: pings missing
    /// from the cadence, DATA copies missing (`seqloss`).
    pub(super) fn before(&self) -> (u64, u64) {
        let lost = self.missing + self.data_lost;
        (lost, lost + self.pings + self.data_seen)
    }
}

/// Sums over a loss episode for both directions of the pair.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LossSums {
    pub(super) fwd: Side,
    pub(super) rev: Side,
}

impl LossSums {
    pub(super) fn add(&mut self, b: &Bucket, r: Option<&Bucket>) {
        self.fwd.add(b);
        if let Some(r) = r {
            self.rev.add(r);
        }
    }
    /// Estimated loss % from src to dst, and from dst to src (see
    /// `loss_estimate`).
    pub(super) fn estimates(&self) -> (f64, f64) {
        (
            loss_estimate(&self.fwd, &self.rev),
            loss_estimate(&self.rev, &self.fwd),
        )
    }
    /// Whether each direction's token copies count (see [`counted`]).
    pub(super) fn gate(&self) -> (bool, bool) {
        (
            tokens_count(&self.fwd, &self.rev),
            tokens_count(&self.rev, &self.fwd),
        )
    }
    /// These sums with the token copies of a direction where they do not
    /// count left out: what every rule of an episode weighs.
    pub(super) fn gated(&self) -> LossSums {
        LossSums {
            fwd: counted(&self.fwd, &self.rev),
            rev: counted(&self.rev, &self.fwd),
        }
    }
    pub(super) fn lost_fwd(&self) -> u64 {
        self.gated().fwd.lost_all()
    }
    pub(super) fn lost_rev(&self) -> u64 {
        self.gated().rev.lost_all()
    }
}

/// Whether the token copies of `f` (with `r` its reverse) count as
/// evidence: once two of them were lost (as the pings count only once they
/// show loss: a token's first copy passes the capture point on nearly every
/// path, and alone its deliveries would only narrow the interval of a loss
/// that happened before it), and not where they read low against the
/// pings: the tokens read low when the receiver's knet link back went down
/// (it withholds every copy then, and the groups after a loss go
/// unjudged), so where the pings' rate after the capture point lies above
/// the tokens' beyond both 95 % intervals, they are left out. One rule for
/// the estimate, the loss times, the counts an episode is fitted to and
/// the losses that open it.
pub(super) fn tokens_count(f: &Side, r: &Side) -> bool {
    if f.tok_lost < 2 {
        return false;
    }
    let (ts, tl) = (f.tok_seen, f.tok_lost.min(f.tok_seen));
    let tokens_low = pings_after(f, r).is_some_and(|a| {
        let tok_pct = if ts == 0 {
            0.0
        } else {
            100.0 * tl as f64 / ts as f64
        };
        wilson95(100.0 * a, f.pings).0 > wilson95(tok_pct, ts).1
    });
    !tokens_low
}

/// `f` with its token copies left out unless they count
/// ([`tokens_count`]).
pub(super) fn counted(f: &Side, r: &Side) -> Side {
    if tokens_count(f, r) {
        *f
    } else {
        f.without_tokens()
    }
}

/// Loss from X to Y in percent, at one capture point. Every packet on the
/// path X → Y is lost either before the capture point or after it, and the
/// two stages combine as independent: L = 1 − (1 − b)(1 − a).
///
/// * `b`, before the capture point: X's pings missing from its cadence and
///   X's DATA copies missing (`seqloss`), out of all such samples. These
///   streams carry their own sequence, so a packet lost before the capture
///   point is known missing.
/// * `a`, after it: a ping of X's seen here goes unanswered when the ping is
///   lost after the capture point (X → Y, rate `a`) or its pong is lost
///   before the capture point on the way back (Y → X, the reverse's `b`,
///   measured the same way from Y's own pings and DATA). So the unanswered
///   share `u` satisfies 1 − u = (1 − a)(1 − b_rev), and
///   a = 1 − (1 − u) / (1 − b_rev), clamped to [0, 1]. Each missing pong is
///   charged to the path it travelled, not to the ping's. `a` is counted
///   only when the unanswered pings exceed what the pongs' loss explains by
///   more than three binomial standard deviations: over a few seconds the
///   two counts differ by chance (a pong lost in one second, the reverse's
///   missing ping counted in the next).
/// * When Y is nearly silent here (b_rev ≥ 90 %), almost none of its pongs
///   could show, and what happened after the capture point cannot be told
///   apart: `a` is taken as 0 (the finding says the reverse was not judged).
pub(super) fn loss_estimate(f: &Side, r: &Side) -> f64 {
    let st = stages(f, r);
    100.0 * (1.0 - (1.0 - st.before) * (1.0 - st.after))
}

/// The two stages of `loss_estimate`: each rate and the samples it rests
/// on.
#[derive(Debug, Clone, Copy)]
struct Stages {
    before: f64,
    before_n: f64,
    after: f64,
    after_n: f64,
}

/// The after stage from the pings alone: X's pings seen here but
/// unanswered beyond what the pongs' loss on the reverse path explains
/// (None when they are within it).
fn pings_after(f: &Side, r: &Side) -> Option<f64> {
    let ratio = |(n, d): (u64, u64)| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    // The pongs' loss on the reverse path: pongs are pings' twins (same
    // size, same path), so the reverse's missing pings say it best; the
    // DATA seq rules miss some losses (they count only what they can
    // prove), so the larger of the two is taken.
    let before_rev = ratio(r.before()).max(ratio((r.missing, r.missing + r.pings)));
    let (pings, unanswered) = (f.pings as f64, f.unanswered.min(f.pings) as f64);
    // Pongs lost at the reverse's rate explain pings·b_rev unanswered pings,
    // give or take the binomial spread; only an excess beyond three standard
    // deviations is loss after the capture point (episodes are tested every
    // second on every path: two would flag chance runs).
    let explained = pings * before_rev + 3.0 * (pings * before_rev * (1.0 - before_rev)).sqrt();
    if f.pings == 0 || before_rev >= 0.9 || unanswered <= explained {
        None
    } else {
        Some((1.0 - (1.0 - unanswered / pings) / (1.0 - before_rev)).clamp(0.0, 1.0))
    }
}

fn stages(f: &Side, r: &Side) -> Stages {
    let f = &counted(f, r);
    let ratio = |(n, d): (u64, u64)| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    let before = ratio(f.before());
    let pings = f.pings as f64;
    let from_pings = pings_after(f, r);
    // Messages the receiver asked for again (`rtrloss`) and tokens whose
    // first copy it did not pass on before the resend (`tokloss`), where
    // they count, are direct evidence of the after stage, pooled with the
    // pings' estimate by samples.
    let (ms, ml) = f.totem_after();
    let (ms, ml) = (ms as f64, ml as f64);
    let after = match from_pings {
        Some(a) if ms > 0.0 => (a * pings + ml) / (pings + ms),
        Some(a) => a,
        None if ms >= MCAST_MIN => ml / ms,
        None => 0.0,
    };
    Stages {
        before,
        before_n: f.before().1 as f64,
        after,
        after_n: pings + ms,
    }
}

/// The samples behind `loss_estimate(f, r)` as a binomial count: the count
/// whose binomial spread equals the estimate's. The two stages are
/// measured on different samples (DATA copies and pings' cadence before
/// the capture point, pings' answers and retransmit requests after it), so
/// a rate found after it rests on those few samples however many passed
/// before it. By the delta method Var(L) = (1 − a)²·Var(b) + (1 − b)²·Var(a),
/// each stage's variance from its Agresti–Coull rate (two losses and two
/// arrivals added: a stage that lost nothing is still uncertain; a stage
/// with no samples is not estimated and adds nothing); never more than
/// `loss_samples(f)`. The episode rules (`at_threshold`) keep the raw
/// count: with the after stage's spread they lose real 5 % egress losses
/// that the before stage alone measures well.
pub(super) fn effective_samples(f: &Side, r: &Side) -> u64 {
    let raw = loss_samples(&counted(f, r));
    let st = stages(f, r);
    // A stage with no samples is not estimated (taken as no loss): it adds
    // no spread.
    let ac = |p: f64, n: f64| {
        if n <= 0.0 {
            return (p, 0.0);
        }
        let n4 = n + 4.0;
        let q = (p * n + 2.0) / n4;
        (q, q * (1.0 - q) / n4)
    };
    let (b, vb) = ac(st.before, st.before_n);
    let (a, va) = ac(st.after, st.after_n);
    let var = (1.0 - a).powi(2) * vb + (1.0 - b).powi(2) * va;
    let l = 1.0 - (1.0 - b) * (1.0 - a);
    if var <= 0.0 {
        return raw;
    }
    let n = (l * (1.0 - l) / var - 4.0).round();
    if n.is_finite() {
        (n.max(1.0) as u64).min(raw)
    } else {
        raw
    }
}

/// Whether loss `l` % over `side`'s samples is at the threshold `thr`: at
/// or above it, or at least half of it (the level an episode stays open
/// at) with the threshold inside its 95 % interval, that interval
/// narrower than the threshold itself: a rate its samples measure that
/// well and cannot tell from the threshold is not under it (a few losses
/// in few samples give an interval that holds any threshold, and say
/// nothing).
pub(super) fn at_threshold(l: f64, side: &Side, thr: f64) -> bool {
    if l >= thr {
        return true;
    }
    let (lo, hi) = wilson95(l, loss_samples(side));
    l >= thr / 2.0 && hi >= thr && hi - lo <= thr
}

/// Longest loss window, in seconds (see `Engine::loss_window`).
const MAX_LOSS_WINDOW_S: i64 = 60;

/// Messages seen on a path before their retransmit requests alone give its
/// loss after the capture point.
const MCAST_MIN: f64 = 20.0;

/// Samples behind `loss_estimate(f, r)`: X's sequenced samples and X's pings
/// seen (each asks for a pong).
pub(super) fn loss_samples(f: &Side) -> u64 {
    f.before().1 + f.pings + f.totem_after().0
}

/// The 95 % Wilson score interval of `pct` percent over `n` samples, in
/// percent.
pub(super) fn wilson95(pct: f64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 100.0);
    }
    let (p, n, z) = ((pct / 100.0).clamp(0.0, 1.0), n as f64, 1.96f64);
    let den = 1.0 + z * z / n;
    let mid = (p + z * z / (2.0 * n)) / den;
    let half = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt() / den;
    (100.0 * (mid - half).max(0.0), 100.0 * (mid + half).min(1.0))
}

#[derive(Debug, Clone, Copy)]
pub(super) struct LossEpisode {
    pub(super) start: i64,
    pub(super) last_loss: i64,
    pub(super) sums: LossSums,
}

/// A path's loss windows and episodes.
#[derive(Debug)]
pub(super) struct LossState {
    pub(super) ep: Option<LossEpisode>,
    /// Loss windows start after this second (the end of the last episode).
    pub(super) floor: i64,
    /// Latest second any loss was counted in.
    pub(super) last_sec: i64,
    /// Loss samples of the seconds in which both this path and its reverse
    /// carried packets: what `asymmetry` compares. While one direction is
    /// silent (a cut, a stopped node) the capture point cannot tell whether
    /// the other direction's packets arrived: a node that sends nothing
    /// does not show what it received.
    pub(super) up_side: Side,
    /// The first and last second (of those with traffic both ways) in
    /// which this path lost packets: the window of a loss asymmetry.
    pub(super) up_loss_secs: Option<(i64, i64)>,
}

impl LossState {
    pub(super) fn new() -> Self {
        LossState {
            ep: None,
            floor: i64::MIN,
            last_sec: i64::MIN,
            up_side: Side::default(),
            up_loss_secs: None,
        }
    }
}

impl Dir {
    /// Lost and sampled packets of this path in second `sec` (both stages:
    /// missing, DATA lost, unanswered).
    /// With `tokens`, its token copies too (lost ones, and delivered ones
    /// as samples: `Side::totem_after`), where they count.
    fn second_counts(&self, sec: i64, tokens: bool) -> (u64, u64) {
        self.bucket_ref(sec).map_or((0, 0), |b| {
            let (tl, ts) = if tokens {
                (u64::from(b.tok_lost), u64::from(b.tok_seen))
            } else {
                (0, 0)
            };
            let lost = u64::from(b.missing)
                + u64::from(b.unanswered)
                + u64::from(b.data_lost)
                + u64::from(b.mcast_lost)
                + tl;
            let n = u64::from(b.pings)
                + u64::from(b.missing)
                + u64::from(b.data_seen)
                + u64::from(b.data_lost)
                + u64::from(b.mcast_seen)
                + ts;
            (lost.min(n), n)
        })
    }

    /// The first and last loss of this path in second `sec`; its token
    /// copies lost among them when `tokens` (they count in the window
    /// asked about: `Side::tokens_count`).
    fn loss_times(&self, sec: i64, tokens: bool) -> Option<(i64, i64)> {
        let b = self.bucket_ref(sec)?;
        let own = (b.lost_any() && b.first_loss != 0).then_some((b.first_loss, b.last_loss));
        let tok = (tokens && b.tok_lost > 0 && b.tok_first_loss != 0)
            .then_some((b.tok_first_loss, b.tok_last_loss));
        span(own, tok)
    }
}

/// The time `need` samples before `t` (`samples` per second, spread
/// evenly over it), not before `lo`.
fn walk_back_samples(t: i64, mut need: f64, lo: i64, samples: impl Fn(i64) -> u64) -> i64 {
    let mut sec = t.div_euclid(NS);
    let mut at = t;
    while at > lo {
        let n = samples(sec) as f64;
        let from = (sec * NS).max(lo);
        let avail = n * (at - from) as f64 / NS as f64;
        if avail >= need && n > 0.0 {
            return at - (need / n * NS as f64) as i64;
        }
        need -= avail;
        at = from;
        sec -= 1;
    }
    lo.min(t)
}

/// Merges two optional (first, last) spans.
fn span(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some(x), Some(y)) => Some((x.0.min(y.0), x.1.max(y.1))),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Engine {
    /// Judges second `k` (old enough that its pings are resolved).
    pub(super) fn evaluate(&mut self, k: i64) {
        for i in 0..self.dirs.len() {
            self.note_up_side(i, k);
            if self.owns_pair_loss(i) {
                self.eval_loss(i, k);
            }
            self.eval_latency(i, k);
        }
        self.eval_short_cuts(k);
    }

    /// Loss is judged per pair of paths (X → Y and Y → X on one link), on
    /// the one with the lower index: a missing pong is evidence about both
    /// directions at once, so one episode weighs both and says which way
    /// the packets went missing.
    fn owns_pair_loss(&self, i: usize) -> bool {
        self.dirs[i].rev.is_none_or(|r| r as usize > i)
    }

    fn rev_of(&self, i: usize) -> Option<usize> {
        self.dirs[i].rev.map(|r| r as usize)
    }

    /// Whether token copies count as loss on pair `i` (forward, reverse)
    /// over seconds `from..=to`: the same rule as its estimate's.
    fn token_gate(&self, i: usize, from: i64, to: i64) -> (bool, bool) {
        self.loss_sums(i, from, to).gate()
    }

    /// The first and last loss of pair `i` in seconds `from..=to`, token
    /// copies included in each direction as `gate` says.
    fn pair_losses(&self, i: usize, from: i64, to: i64, gate: (bool, bool)) -> Option<(i64, i64)> {
        let r = self.rev_of(i);
        let mut out = None;
        for sec in from..=to {
            out = span(out, self.dirs[i].loss_times(sec, gate.0));
            if let Some(r) = r {
                out = span(out, self.dirs[r].loss_times(sec, gate.1));
            }
        }
        out
    }

    /// Where a loss episode found at second `k` starts: at the earliest loss
    /// of the latest cluster in the window `from..=k` (losses separated by
    /// half a window `w` or more of clean seconds belong to something
    /// older). `first_loss` is the window's earliest loss.
    fn loss_start(
        &self,
        i: usize,
        (from, k, w): (i64, i64, i64),
        first_loss: i64,
        gate: (bool, bool),
    ) -> i64 {
        let mut start = first_loss;
        let mut clean = 0;
        for s in (from..=k).rev() {
            match self.pair_losses(i, s, s, gate) {
                Some((t, _)) => {
                    start = t;
                    clean = 0;
                }
                None => {
                    clean += 1;
                    if clean >= w / 2 && start != first_loss {
                        break;
                    }
                }
            }
        }
        start
    }

    /// The seconds `s..=e` within `from..=to` that hold the episode of path
    /// `d` (the lossier direction of the pair: the two directions carry
    /// different streams at different rates, so they are not fitted
    /// together): the split into inside and outside whose two binomial loss
    /// rates fit the per-second counts best (maximum likelihood, one change
    /// point at each end), taken only when the gain pays for its three extra
    /// parameters by the Bayesian information criterion. A burst of clean
    /// traffic after a fault is left outside instead of diluting the rate;
    /// a few losses clustered by chance in an even low rate keep the whole.
    fn fit_episode(&self, d: usize, from: i64, to: i64, tokens: bool) -> (i64, i64) {
        let len = (to - from + 1) as usize;
        let mut pre = Vec::with_capacity(len + 1);
        pre.push((0u64, 0u64));
        for sec in from..=to {
            let (l, n) = self.dirs[d].second_counts(sec, tokens);
            let (pl, pn) = pre[pre.len() - 1];
            pre.push((pl + l, pn + n));
        }
        let (tl, tn) = pre[len];
        let ll = |l: u64, n: u64| -> f64 {
            if n == 0 || l == 0 || l == n {
                return 0.0;
            }
            let (l, n) = (l as f64, n as f64);
            let p = l / n;
            l * p.ln() + (n - l) * (1.0 - p).ln()
        };
        let whole = ll(tl, tn);
        let mut best = (f64::NEG_INFINITY, 0usize, len - 1);
        for a in 0..len {
            for b in a..len {
                let (il, inn) = (pre[b + 1].0 - pre[a].0, pre[b + 1].1 - pre[a].1);
                if il < 2 {
                    continue;
                }
                let v = ll(il, inn) + ll(tl - il, tn - inn);
                if v > best.0 {
                    best = (v, a, b);
                }
            }
        }
        let penalty = 1.5 * (tn.max(2) as f64).ln();
        if best.0 > whole + penalty {
            (from + best.1 as i64, from + best.2 as i64)
        } else {
            (from, to)
        }
    }

    /// Both directions carried packets in second `k`: its samples count
    /// towards `asymmetry`.
    fn note_up_side(&mut self, i: usize, k: i64) {
        let heard = |j: usize| {
            self.dirs[j]
                .bucket_ref(k)
                .filter(|b| b.packets > 0)
                .copied()
        };
        let rev_heard = self.dirs[i].rev.and_then(|r| heard(r as usize)).is_some();
        if let Some(b) = heard(i).filter(|_| rev_heard) {
            let l = &mut self.dirs[i].loss;
            l.up_side.add(&b);
            if b.missing + b.unanswered + b.data_lost > 0 {
                let w = l.up_loss_secs.get_or_insert((k, k));
                w.1 = k;
            }
        }
    }

    /// The loss window of pair `i` ending at second `k`: opens, extends or
    /// closes its episode.
    fn eval_loss(&mut self, i: usize, k: i64) {
        let thr = self.th.loss_warning_pct;
        let base = i64::from(self.th.loss_window_s.clamp(1, 120));
        let rev = self.rev_of(i);
        let floor = self.dirs[i].loss.floor;
        let last_sec = rev.map_or(self.dirs[i].loss.last_sec, |r| {
            self.dirs[i].loss.last_sec.max(self.dirs[r].loss.last_sec)
        });
        // No episode open and no loss in any second of the longest window.
        let open = self.dirs[i].loss.ep.is_some();
        if !open && last_sec < (k - base.max(MAX_LOSS_WINDOW_S) + 1).max(floor) {
            return;
        }
        let w = self.loss_window(i, k, thr);
        let opens = |win: &LossSums| {
            let g = win.gated();
            let (fwd, rev_pct) = g.estimates();
            (at_threshold(fwd, &g.fwd, thr) && g.fwd.lost_all() >= 2)
                || (at_threshold(rev_pct, &g.rev, thr) && g.rev.lost_all() >= 2)
        };
        // Opens at the threshold in either direction, over `loss_window_s`
        // or, on a sparse pair, over the longer window; once open, stays
        // open down to half of it (a rate near the threshold is one
        // episode).
        let (bad, from) = if open {
            let from = (k - w + 1).max(floor);
            let win = self.loss_sums(i, from, k);
            let (fwd, rev_pct) = win.estimates();
            (
                fwd.max(rev_pct) >= thr / 2.0 && win.lost_fwd() + win.lost_rev() >= 1,
                from,
            )
        } else {
            let from_base = (k - base + 1).max(floor);
            if last_sec >= from_base && opens(&self.loss_sums(i, from_base, k)) {
                (true, from_base)
            } else {
                let from = (k - w + 1).max(floor);
                (
                    w > base && last_sec >= from && opens(&self.loss_sums(i, from, k)),
                    from,
                )
            }
        };
        let gate = self.token_gate(i, from, k);
        let win_losses = self.pair_losses(i, from, k, gate);
        let cur_last = self.pair_losses(i, k, k, gate).map_or(0, |x| x.1);
        let cur = self.loss_sums(i, k, k);
        match (&mut self.dirs[i].loss.ep, bad) {
            (None, true) => {
                let first_loss = win_losses.map_or(k * NS, |x| x.0);
                let start = self.loss_start(i, (from, k, w), first_loss, gate);
                let sums = self.loss_sums(i, start.div_euclid(NS), k);
                self.dirs[i].loss.ep = Some(LossEpisode {
                    start,
                    last_loss: win_losses.map_or(start, |x| x.1.max(start)),
                    sums,
                });
            }
            (Some(ep), true) if ep.last_loss.max(cur_last) + w * NS < k * NS => {
                // No loss for a whole window: this episode is over.
                self.close_loss(i, Some(k));
            }
            (Some(ep), true) => {
                ep.sums.fwd.add_side(&cur.fwd);
                ep.sums.rev.add_side(&cur.rev);
                ep.last_loss = ep.last_loss.max(cur_last);
            }
            (Some(_), false) => self.close_loss(i, Some(k)),
            (None, false) => {}
        }
    }

    /// The loss window of pair `i` ending at second `k`, in seconds:
    /// `loss_window_s`, or longer where the pair carries so few packets
    /// that two losses in it could not reach the threshold `thr` (a link
    /// carrying only pings: one every 1.4 s is 14 in 20 s, so a 10 % loss
    /// shows one loss per window and never opens an episode). It then
    /// reaches back until each direction that carried packets holds the
    /// 200 / `thr` samples at which two losses make the threshold, up to
    /// [`MAX_LOSS_WINDOW_S`] (and half the seconds held).
    fn loss_window(&self, i: usize, k: i64, thr: f64) -> i64 {
        let base = i64::from(self.th.loss_window_s.clamp(1, 120));
        if thr <= 0.0 {
            return base;
        }
        let need = (200.0 / thr).ceil() as u64;
        let cap = MAX_LOSS_WINDOW_S.min(self.dirs[i].buckets.len() as i64 / 2);
        let rev = self.rev_of(i);
        let samples = |d: usize, sec: i64| self.dirs[d].second_counts(sec, false).1;
        let (mut nf, mut nr) = (0u64, 0u64);
        let mut w = 0;
        while w < cap {
            let sec = k - w;
            nf += samples(i, sec);
            nr += rev.map_or(0, |r| samples(r, sec));
            w += 1;
            if w >= base && (nf == 0 || nf >= need) && (nr == 0 || nr >= need) {
                break;
            }
        }
        w.max(base)
    }

    /// Loss sums of path `i` and its reverse over seconds `from..=to`.
    pub(super) fn loss_sums(&self, i: usize, from: i64, to: i64) -> LossSums {
        let rev = self.rev_of(i);
        let mut sums = LossSums::default();
        for s in from..=to {
            let b = self.dirs[i].bucket_ref(s).copied().unwrap_or_default();
            let r = rev.and_then(|r| self.dirs[r].bucket_ref(s).copied());
            sums.add(&b, r.as_ref());
        }
        sums
    }

    /// The loss episode of pair `i` still open, shown with no end, on the
    /// lossier direction.
    pub(super) fn open_loss_finding(&self, i: usize) -> Option<Finding> {
        let ep = self.dirs[i].loss.ep.as_ref()?;
        let (fwd, rev) = ep.sums.estimates();
        let (d, l, lr) = match self.rev_of(i) {
            Some(r) if rev > fwd => (&self.dirs[r], rev, fwd),
            _ => (&self.dirs[i], fwd, rev),
        };
        let f = d
            .finding(
                FindingKind::Loss,
                Severity::Warning,
                ep.start,
                Direction::SrcToDst,
                format!(
                    "{l:.1} % loss on link {} so far (reverse {lr:.1} %)",
                    d.key.link
                ),
            )
            .ev("loss_pct", l)
            .ev("reverse_loss_pct", lr);
        Some(f)
    }

    pub(super) fn close_loss(&mut self, i: usize, k: Option<i64>) {
        let Some(mut ep) = self.dirs[i].loss.ep.take() else {
            return;
        };
        let floor = self.dirs[i].loss.floor;
        if let Some(k) = k {
            self.dirs[i].loss.floor = k + 1;
        }
        // Recounted from the seconds still held (DATA losses are known only
        // once a later copy is seen, possibly after their second was
        // judged), over the bounds that fit the episode best.
        let (from, to) = (ep.start.div_euclid(NS), ep.last_loss.div_euclid(NS));
        // The rates over the losses that found the episode: whether it is a
        // finding.
        // One mean gap between the losses that found the episode (0 when
        // it is not known).
        let mut onset_gap = 0;
        let found = if to >= from && to - from < self.dirs[i].buckets.len() as i64 {
            let sums = self.loss_sums(i, from, to);
            let (f, r) = sums.estimates();
            // One token rule over the seconds fitted: for the fit and for
            // the last loss it leaves.
            let gate = sums.gate();
            let (lossier, tokens) = match self.rev_of(i) {
                Some(rv) if r > f => (rv, gate.1),
                _ => (i, gate.0),
            };
            // The start stays at the first loss (where the episode was
            // found); the fit moves the end.
            let (_, e) = self.fit_episode(lossier, from, to, tokens);
            if let Some((_, last)) = self.pair_losses(i, from, e, gate) {
                ep.last_loss = last;
            }
            ep.sums = self.loss_sums(i, from, e);
            // Counted from the first loss to the last, the rate would count
            // both: the episode was found by them. Under a steady rate the
            // loss began, on average, one mean gap between losses before the
            // first seen, and went on one gap after the last. Whole seconds
            // are counted, which already reach half a second past each end
            // on average; a gap longer than that widens the count by the
            // rest, in whole seconds (never into the previous episode, nor
            // past the second that closed this one).
            let losses = ep.sums.lost_fwd() + ep.sums.lost_rev();
            let found = ep.sums.estimates();
            if losses >= 2 {
                let gap = (ep.last_loss - ep.start) / (losses as i64 - 1);
                onset_gap = gap;
                let widen = ((gap - NS / 2).max(0) + NS / 2) / NS;
                let last = ep.last_loss.div_euclid(NS);
                let mut lo = (from - widen).max(floor).min(from);
                let mut hi = (last + widen).min(k.unwrap_or(i64::MAX)).max(e);
                // At least one loss window: the episode was found by a
                // window at the threshold, and fewer seconds count the
                // losses that found it and little else (two losses a
                // second apart in a window of a few percent read 50 %).
                let base = i64::from(self.th.loss_window_s.clamp(1, 120));
                let short = base - (hi - lo + 1);
                if short > 0 {
                    let end = k.unwrap_or(i64::MAX).max(hi);
                    let lo2 = (lo - short / 2).max(floor).min(lo);
                    hi = (hi + (short - (lo - lo2))).min(end);
                    lo = (hi - base + 1).max(floor).min(lo2);
                }
                if hi - lo < self.dirs[i].buckets.len() as i64 {
                    ep.sums = self.loss_sums(i, lo, hi);
                }
            }
            found
        } else {
            ep.sums.estimates()
        };
        let (fwd, rev) = ep.sums.estimates();
        let thr = self.th.loss_warning_pct;
        // A finding when a direction's loss reached the threshold over the
        // losses that found the episode, or when the threshold lies within
        // the 95 % interval of its rate over the whole episode (at least
        // half the threshold: the level an episode stays open at): a rate
        // that many samples cannot tell from the threshold is not under it.
        let g = ep.sums.gated();
        if found.0 < thr
            && found.1 < thr
            && !at_threshold(fwd, &g.fwd, thr)
            && !at_threshold(rev, &g.rev, thr)
        {
            return;
        }
        // Token copies count as loss where they count in the estimate.
        let gate = ep.sums.gate();
        // Told from the lossier direction.
        let (d, side, other, l, lr) = match self.rev_of(i) {
            Some(r) if rev > fwd => (r, ep.sums.rev, ep.sums.fwd, rev, fwd),
            _ => (i, ep.sums.fwd, ep.sums.rev, fwd, rev),
        };
        // Loss one way starts at that direction's first evidence: its own
        // losses, or its pongs missing (the other path's unanswered pings);
        // the other path's own losses are not its start.
        if lr < thr / 2.0 {
            let (from, to) = (ep.start.div_euclid(NS), ep.last_loss.div_euclid(NS));
            let o = if d == i { self.rev_of(i) } else { Some(i) };
            let first = (from..=to).find_map(|s| {
                let tokens = if d == i { gate.0 } else { gate.1 };
                let own = self.dirs[d].loss_times(s, tokens).map(|x| x.0);
                let pongs = o
                    .and_then(|o| self.dirs[o].bucket_ref(s))
                    .filter(|b| b.unanswered > 0 && b.first_loss != 0)
                    .map(|b| b.first_loss);
                match (own, pongs) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            });
            if let Some(first) = first {
                ep.start = ep.start.max(first);
            }
        }
        // The first loss seen is not where the loss began: at rate p the
        // samples delivered before the first loss are even odds to number
        // ln 2 / −ln(1 − p) or fewer. p is the rate where the loss began
        // (over the samples up to its third loss: a cut loses every sample
        // from its first, and begins there), counted on the lossy
        // direction (both, pooled, when both lose). The finding starts
        // that many samples before the first loss (at most one mean gap
        // between losses), never before the previous episode's end nor an
        // earlier loss of the pair; `first_loss_s` says how long after its
        // start the first loss was seen.
        let first_loss = ep.start;
        if onset_gap > 0 {
            // Never before the pair was first seen: nothing before it was
            // on the capture.
            let seen = match self.rev_of(i) {
                Some(r) => self.dirs[i].first_ts.min(self.dirs[r].first_ts),
                None => self.dirs[i].first_ts,
            };
            let mut lo = (ep.start - onset_gap).max(seen);
            if floor != i64::MIN {
                lo = lo.max(floor * NS);
            }
            let start_sec = ep.start.div_euclid(NS);
            let back = onset_gap.div_euclid(NS) + 1;
            if let Some((_, prev)) = self.pair_losses(i, start_sec - back, start_sec - 1, gate) {
                lo = lo.max(prev + 1);
            }
            let paths = match self.rev_of(i) {
                Some(r) if lr >= thr / 2.0 => [Some(i), Some(r)],
                _ => [Some(d), None],
            };
            let counts = |sec: i64| {
                paths.iter().flatten().fold((0u64, 0u64), |acc, &p| {
                    let tokens = if p == i { gate.0 } else { gate.1 };
                    let (l, n) = self.dirs[p].second_counts(sec, tokens);
                    (acc.0 + l, acc.1 + n)
                })
            };
            let (mut lost, mut n) = (0u64, 0u64);
            let end = ep.last_loss.div_euclid(NS);
            for sec in start_sec..=end {
                let (l, m) = counts(sec);
                lost += l;
                n += m;
                if lost >= 3 {
                    break;
                }
            }
            if n > 0 && lost > 0 {
                let p = (lost as f64 / n as f64).min(1.0);
                let need = if p >= 1.0 {
                    0.0
                } else {
                    (4.0f64 / 3.0).ln() / -(1.0 - p).ln()
                };
                ep.start = walk_back_samples(ep.start, need, lo, |sec| counts(sec).1);
            }
        }
        let f = self
            .loss_finding(d, &ep, &side, &other, l, lr)
            .ev("first_loss_s", (first_loss - ep.start) as f64 / NS as f64);
        self.push_finding(f);
    }

    /// The finding of a closed episode on path `d`: `side` its samples and
    /// `l` its loss, `other` and `lr` the reverse's.
    fn loss_finding(
        &self,
        d: usize,
        ep: &LossEpisode,
        side: &Side,
        other: &Side,
        l: f64,
        lr: f64,
    ) -> Finding {
        let thr = self.th.loss_warning_pct;
        let samples = effective_samples(side, other);
        let (ci_lo, ci_hi) = wilson95(l, samples);
        // Nearly nothing of the sender reached the capture point: whether
        // its peer's packets reached it cannot be seen (a node that sends
        // nothing shows nothing of what it received), so the reverse
        // direction is not judged and the loss is not called one-way.
        let (lost, sent) = side.before();
        let silent = sent >= 5 && lost * 10 >= sent * 9;
        let one_way = !silent && lr < thr / 2.0;
        let d = &self.dirs[d];
        let kind = if one_way {
            FindingKind::OneWayLoss
        } else {
            FindingKind::Loss
        };
        let (src, dst, link) = (d.src_node, d.dst_node, d.key.link);
        let name = |n: Option<u16>| n.map_or("?".to_string(), |n| n.to_string());
        let reverse = if silent {
            format!(
                "; node {0} sent almost nothing, so whether node {1}'s packets reached it \
                 cannot be seen here ({2} of node {1}'s {3} pings unanswered)",
                name(src),
                name(dst),
                other.unanswered,
                other.pings
            )
        } else {
            format!(" (reverse {lr:.1} %)")
        };
        let mut f = d
            .finding(
                kind,
                Severity::Warning,
                ep.start,
                if one_way || silent {
                    Direction::SrcToDst
                } else {
                    Direction::Both
                },
                format!(
                    "{l:.1} % of packets from node {} to node {} lost on link {link} \
                     (95 % interval {ci_lo:.1}-{ci_hi:.1} %, {samples} samples){reverse}",
                    name(src),
                    name(dst),
                ),
            )
            .ended(ep.last_loss.max(ep.start))
            .ev("loss_pct", l)
            .ev("samples", samples as f64)
            .ev("loss_ci95_low", ci_lo)
            .ev("loss_ci95_high", ci_hi);
        if !silent {
            let rs = effective_samples(other, side);
            let (rlo, rhi) = wilson95(lr, rs);
            f = f
                .ev("reverse_loss_pct", lr)
                .ev("reverse_samples", rs as f64)
                .ev("reverse_loss_ci95_low", rlo)
                .ev("reverse_loss_ci95_high", rhi);
        }
        f.ev("pings", side.pings as f64)
            .ev("pings_missing", side.missing as f64)
            .ev("pings_unanswered", side.unanswered as f64)
            .ev("data_copies_seen", side.data_seen as f64)
            .ev("data_copies_lost", side.data_lost as f64)
            .ev("messages_seen", side.mcast_seen as f64)
            .ev("messages_asked_again", side.mcast_lost as f64)
            .ev("token_first_copies_delivered", side.tok_seen as f64)
            .ev("token_first_copies_lost", side.tok_lost as f64)
            .ev(
                "tokens_counted",
                f64::from(u8::from(tokens_count(side, other))),
            )
            .ev("reverse_pings", other.pings as f64)
            .ev("reverse_pings_missing", other.missing as f64)
            .ev("reverse_pings_unanswered", other.unanswered as f64)
            .ev("reverse_data_copies_seen", other.data_seen as f64)
            .ev("reverse_data_copies_lost", other.data_lost as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::{Side, loss_estimate};

    /// The snapshot's loss findings, one way or both.
    fn loss_findings(s: &crate::analysis::Snapshot) -> Vec<&crate::analysis::Finding> {
        s.findings
            .iter()
            .filter(|f| matches!(f.kind, FindingKind::OneWayLoss | FindingKind::Loss))
            .collect()
    }

    #[test]
    fn missing_pings_make_one_way_loss() {
        let mut e = Engine::new(two_nodes());
        // Node 2 loses every 4th ping at its egress: its pings and its pongs.
        for i in 0..60i64 {
            let t = T0 + i * 800 * MS;
            let lost = i % 4 == 3 && i > 5;
            if !lost {
                ping_pair(&mut e, t + 300 * MS, 2, 1, 0, Some(300), 5);
            }
            let mono = (t - T0 + 1000 * S) as u64;
            feed(
                &mut e,
                t,
                ip(1),
                ip(2),
                0,
                &ping_bytes(false, 1, 0, mono, 5),
            );
            if !lost {
                feed(
                    &mut e,
                    t + 400_000,
                    ip(2),
                    ip(1),
                    0,
                    &ping_bytes(true, 2, 0, mono, 5),
                );
            }
        }
        e.finish(T0 + 60 * 800 * MS);
        let s = e.snapshot();
        let l21 = s.link(2, 1, 0).expect("2->1");
        let l12 = s.link(1, 2, 0).expect("1->2");
        // i = 7, 11, ..., 59: 14 pings lost each way at node 2's egress; the
        // last one is only known when a later ping (or the timeout) says so,
        // and the capture ends first: 13 counted.
        assert_eq!(l21.pings_missing, 13);
        assert_eq!(l12.pings_unanswered, 13);
        assert_eq!(l12.pings_missing, 0);
        // 2 -> 1: 13 pings missing of 46 + 13 expected; 1 -> 2 clean (its
        // unanswered pings are explained by node 2's missing ones at the
        // same rate: they are node 2's pongs, lost on 2 -> 1).
        assert!(
            (l21.loss_pct - 100.0 * 13.0 / 59.0).abs() < 1e-9,
            "{}",
            l21.loss_pct
        );
        assert_eq!(l12.loss_pct, 0.0);
        let f = loss_findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].kind, f[0].src_node, f[0].dst_node),
            (FindingKind::OneWayLoss, Some(2), Some(1))
        );
        // The first packet lost is node 2's pong to node 1's ping at
        // 7 × 800 ms (node 2's own ping was due 300 ms later): the episode
        // of the pair is found by the earliest evidence on either path. At
        // the rate where it began, the loss had begun, with odds 3:1, a
        // fraction of a sample earlier: after the ping at 6 × 800 ms (the
        // first of the pattern), before the first loss.
        let first = T0 + 7 * 800 * MS;
        let ahead = f[0].evidence("first_loss_s").expect("first_loss_s");
        assert_eq!(f[0].start + (ahead * 1e9).round() as i64, first);
        assert!(
            f[0].start > T0 + 6 * 800 * MS && f[0].start < first,
            "{}",
            f[0].start - T0
        );
        assert_eq!(f[0].evidence("reverse_loss_pct"), Some(0.0));
    }

    #[test]
    fn a_rate_is_counted_over_at_least_one_loss_window() {
        // Pings every 800 ms each way for 60 s; node 2 loses two packets
        // it sends 800 ms apart (its ping and its pong each time). Counted
        // over the seconds of those losses alone the rate would read
        // about half; over the loss window that found them, a few percent.
        let mut e = Engine::new(two_nodes());
        for i in 0..75i64 {
            let t = T0 + i * 800 * MS;
            let lost = i == 40 || i == 41;
            ping_pair(&mut e, t, 1, 2, 0, (!lost).then_some(300), 5);
            if !lost {
                ping_pair(&mut e, t + 300 * MS, 2, 1, 0, Some(300), 5);
            }
        }
        e.finish(T0 + 75 * 800 * MS);
        let s = e.snapshot();
        let f = loss_findings(&s);
        assert_eq!(f.len(), 1, "{:?}", s.findings);
        assert_eq!((f[0].src_node, f[0].dst_node), (Some(2), Some(1)));
        let pct = f[0].evidence("loss_pct").expect("loss_pct");
        // Counted over the window's pings (the samples of the rate's
        // interval are fewer: its two stages rest on different ones).
        let ev = |k: &str| f[0].evidence(k).expect(k);
        let n = ev("pings") + ev("pings_missing");
        assert!(pct < 10.0, "{pct} % of {n}");
        // A 20 s window of pings every 800 ms.
        assert!(n >= 24.0, "{pct} % of {n}");
    }

    #[test]
    fn a_loss_found_at_the_captures_start_does_not_start_before_it() {
        // Node 2 loses one packet in five it sends from its first ping:
        // walked back from the first loss, the start would leave the
        // capture; it stays at the pair's first packet.
        let mut e = Engine::new(two_nodes());
        for i in 0..60i64 {
            let t = T0 + i * 800 * MS;
            let pong = (i % 5 != 1).then_some(300);
            ping_pair(&mut e, t, 1, 2, 0, pong, 5);
            if i % 5 != 1 {
                ping_pair(&mut e, t + 300 * MS, 2, 1, 0, Some(300), 5);
            }
        }
        e.finish(T0 + 60 * 800 * MS);
        let s = e.snapshot();
        let f = loss_findings(&s);
        assert!(!f.is_empty(), "{:?}", s.findings);
        assert!(f.iter().all(|f| f.start >= T0), "{f:?}");
        assert!(
            f.iter().any(|f| f.start == T0),
            "walked back to the first packet: {f:?}"
        );
    }

    #[test]
    fn a_link_carrying_only_pings_is_judged_over_a_longer_window() {
        // Pings every 1.4 s each way and nothing else; node 2 loses every
        // 15th packet it sends (6.7 %): its pings and its pongs. A 20 s
        // window holds 14 pings, so one loss per window, never two: only
        // the longer window of a sparse pair finds it.
        let mut th = two_nodes();
        th.loss_window_s = 20;
        let mut e = Engine::new(th);
        for i in 0..100i64 {
            let t = T0 + i * 1400 * MS;
            let lost = i > 10 && i % 15 == 0;
            let seq = i as u16;
            ping_pair(&mut e, t, 1, 2, 0, (!lost).then_some(300), seq);
            if !lost {
                ping_pair(&mut e, t + 500 * MS, 2, 1, 0, Some(300), seq);
            }
        }
        e.finish(T0 + 100 * 1400 * MS);
        let s = e.snapshot();
        let f = loss_findings(&s);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].src_node, f[0].dst_node), (Some(2), Some(1)));
        let pct = f[0].evidence("loss_pct").unwrap();
        assert!((5.0..=20.0).contains(&pct), "{pct}");
    }

    /// Node 1 sends node 2 a unicast DATA every 20 ms for 60 s (pings
    /// both ways every 800 ms), one seq in `every` lost before the capture
    /// point.
    fn steady_seq_loss(every: u16) -> crate::analysis::Snapshot {
        let mut e = Engine::new(two_nodes());
        for i in 0..75i64 {
            let t = T0 + i * 800 * MS;
            ping_pair(&mut e, t, 1, 2, 0, Some(300), 5);
            ping_pair(&mut e, t + 300 * MS, 2, 1, 0, Some(300), 5);
        }
        for k in 0..3000u16 {
            let seq = 100 + k;
            if k > 0 && k % every == 0 {
                continue;
            }
            let mut b = token_bytes(1, 2, u32::from(k), 8, 0);
            b[6..8].copy_from_slice(&seq.to_be_bytes());
            feed(
                &mut e,
                T0 + 5 * MS + i64::from(k) * 20 * MS,
                ip(1),
                ip(2),
                0,
                &b,
            );
        }
        e.finish(T0 + 61 * S);
        e.snapshot()
    }

    #[test]
    fn a_steady_loss_its_samples_cannot_tell_from_the_threshold_is_flagged() {
        // 4 % of thousands of samples: its 95 % interval holds the 5 %
        // threshold and is narrower than it.
        let s = steady_seq_loss(25);
        let f = loss_findings(&s);
        assert_eq!(f.len(), 1, "{:?}", s.findings);
        assert_eq!((f[0].src_node, f[0].dst_node), (Some(1), Some(2)));
        let pct = f[0].evidence("loss_pct").expect("loss_pct");
        assert!((3.0..5.0).contains(&pct), "{pct}");
        // 1 %: under half the threshold, not a finding.
        let s = steady_seq_loss(100);
        assert!(loss_findings(&s).is_empty(), "{:?}", s.findings);
    }

    #[test]
    fn at_threshold_needs_an_interval_that_says_something() {
        let data = |lost: u64, seen: u64| Side {
            data_lost: lost,
            data_seen: seen,
            ..Side::default()
        };
        // 40 of 1000 (4 %): interval 2.9-5.4 %, narrower than 5: at it.
        assert!(super::at_threshold(4.0, &data(40, 960), 5.0));
        // 2 of 60 (3.3 %): interval 0.9-11.4 %, holds any threshold.
        assert!(!super::at_threshold(3.3, &data(2, 58), 5.0));
        // Under half the threshold, or at or above it.
        assert!(!super::at_threshold(2.0, &data(200, 9800), 5.0));
        assert!(super::at_threshold(5.0, &data(2, 38), 5.0));
    }

    fn side(pings: u64, missing: u64, unanswered: u64) -> Side {
        Side {
            pings,
            missing,
            unanswered,
            ..Side::default()
        }
    }

    #[test]
    fn unanswered_pings_are_loss_after_the_capture_point() {
        // A's pings unanswered, B clean: A→B loses them after the capture.
        let (a, b) = (side(100, 0, 20), side(100, 0, 0));
        assert!((loss_estimate(&a, &b) - 20.0).abs() < 1e-9);
        assert_eq!(loss_estimate(&b, &a), 0.0);
    }

    #[test]
    fn unanswered_pings_with_the_peer_losing_are_its_pongs() {
        // B's own pings go missing as often as A's go unanswered: A's
        // unanswered pings are B's pongs, lost on B→A.
        let (a, b) = (side(100, 0, 20), side(80, 20, 0));
        assert_eq!(loss_estimate(&a, &b), 0.0);
        // B→A: 20 of its 100 sequenced samples missing.
        assert!((loss_estimate(&b, &a) - 20.0).abs() < 1e-9);
    }

    #[test]
    fn unanswered_pings_split_between_the_two_paths() {
        // A's egress and ingress both drop half: B's pings are seen (A's
        // ingress is after the capture point) but 75 % go unanswered, half
        // of it their pong lost at A's egress (A's own pings: 50 % missing).
        let (a, b) = (side(50, 50, 0), side(100, 0, 75));
        assert!((loss_estimate(&a, &b) - 50.0).abs() < 1e-9);
        // B→A after the capture point: 1 − 0.25 / 0.5 = 50 %.
        assert!((loss_estimate(&b, &a) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn a_rate_found_after_the_capture_point_rests_on_its_own_samples() {
        // Node 1 -> node 2 under 25 % ingress loss at node 2 (bridge
        // capture): 190 DATA copies all seen (before the capture point:
        // nothing lost), 43 pings of which 10 unanswered, 19 messages of
        // which node 2 asked for 3 again. The 21 % lies after the capture
        // point and rests on the 62 pings and messages, not on 295.
        let f = Side {
            pings: 43,
            unanswered: 10,
            data_seen: 190,
            mcast_seen: 19,
            mcast_lost: 3,
            ..Side::default()
        };
        let r = Side {
            pings: 43,
            data_seen: 82,
            ..Side::default()
        };
        assert_eq!(super::loss_samples(&f), 295);
        let l = loss_estimate(&f, &r);
        assert!((l - 21.0).abs() < 0.1, "{l}");
        let n = super::effective_samples(&f, &r);
        assert!((55..=70).contains(&n), "{n}");
        // The same rate measured before the capture point, on DATA copies
        // alone, rests on all of them.
        let g = Side {
            data_seen: 158,
            data_lost: 42,
            ..Side::default()
        };
        let n = super::effective_samples(&g, &Side::default());
        assert!((190..=200).contains(&n), "{n}");
    }

    #[test]
    fn wilson_interval_brackets_the_rate() {
        let (lo, hi) = super::wilson95(10.0, 200);
        assert!(
            (lo - 6.6).abs() < 0.1 && (hi - 14.9).abs() < 0.1,
            "{lo} {hi}"
        );
        assert_eq!(super::wilson95(0.0, 0), (0.0, 100.0));
    }

    #[test]
    fn stages_combine_as_independent() {
        // 10 % before (missing) and 10 % after (unanswered): 19 %.
        let (a, b) = (side(90, 10, 9), side(100, 0, 0));
        assert!((loss_estimate(&a, &b) - 19.0).abs() < 1e-9);
    }
}
