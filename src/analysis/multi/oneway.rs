//! One-way delay and loss between capture points: after the offsets, a
//! packet seen leaving in one capture and arriving in another gives a delay;
//! a departure not seen arriving within [`super::ONE_WAY_WINDOW_NS`] was lost
//! on the way.
//!
//! Loss of the large packets only: when every packet that vanished was at
//! least some size while the path's smaller packets all arrived — so many
//! of them that loss at random, at the rate the larger ones were lost,
//! would have taken at least [`SIZE_LOSS_MIN_EXPECTED`] — the packets were
//! dropped for their size (a path-MTU black hole), not lost at random
//! ([`OneWayView::too_big_from`]).

use std::collections::VecDeque;
use std::net::IpAddr;

use hdrhistogram::Histogram;

use crate::analysis::hash::FastMap;
use crate::analysis::pct;
use crate::decode::Packet;

use super::{
    ClockEstimate, HIST_MAX_US, MAX_PATHS, MAX_PENDING, ONE_WAY_WINDOW_NS, SERIES_POINTS,
    packet_key, series_step_ns,
};

// ------------------------------------------------------------------ pass 2

#[derive(Debug, Clone, Copy)]
pub(super) struct Pend {
    pub(super) ts: i64,
    pub(super) path: u32,
    pub(super) arrival: bool,
    /// IP length.
    pub(super) len: u32,
}

/// Packets are counted by IP length in classes of this many bytes.
const SIZE_CLASS: u32 = 64;
/// Size classes (the last one holds everything larger).
const SIZE_CLASSES: usize = 32;

fn size_class(len: u32) -> usize {
    ((len / SIZE_CLASS) as usize).min(SIZE_CLASSES - 1)
}

/// Loss confined to the large packets: the smaller packets that arrived
/// would have lost at least this many at the larger ones' rate.
pub const SIZE_LOSS_MIN_EXPECTED: f64 = 5.0;

#[derive(Debug)]
pub(super) struct PathAcc {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) src_cap: usize,
    pub(super) dst_cap: usize,
    pub(super) hist: Histogram<u32>,
    pub(super) min_ns: i64,
    pub(super) negative: u64,
    pub(super) departures: u64,
    pub(super) arrivals: u64,
    pub(super) left_not_arrived: u64,
    pub(super) arrived_not_seen_leaving: u64,
    /// Departure times of the first and last packet that never arrived.
    pub(super) first_lost: Option<i64>,
    pub(super) last_lost: i64,
    /// The delays of the bin being filled, and its start (ns).
    pub(super) bin: Histogram<u32>,
    pub(super) bin_start: i64,
    /// Closed bins, oldest first.
    pub(super) series: Vec<OneWayPoint>,
    /// Per bin of departure: packets that left and never arrived.
    pub(super) lost_series: Vec<(i64, u64)>,
    /// Packets matched and lost, by size class.
    pub(super) matched_by_size: [u32; SIZE_CLASSES],
    pub(super) lost_by_size: [u32; SIZE_CLASSES],
    /// Smallest IP length of a packet that never arrived.
    pub(super) lost_min_len: u32,
}

impl PathAcc {
    /// The smallest IP length lost when every packet lost was at least that
    /// large and the smaller ones all arrived, in numbers that loss at the
    /// larger ones' rate would have hit (see the module docs).
    fn too_big_from(&self) -> Option<u32> {
        let first = self.lost_by_size.iter().position(|&n| n > 0)?;
        let sum = |v: &[u32]| v.iter().map(|&n| f64::from(n)).sum::<f64>();
        let smaller = sum(&self.matched_by_size[..first]);
        let lost = sum(&self.lost_by_size[first..]);
        let rate = lost / (lost + sum(&self.matched_by_size[first..]));
        (smaller * rate >= SIZE_LOSS_MIN_EXPECTED).then_some(self.lost_min_len)
    }

    /// The bin being filled as a point (None when empty).
    fn open_point(&self) -> Option<OneWayPoint> {
        (!self.bin.is_empty()).then(|| OneWayPoint {
            ts: self.bin_start,
            matched: self.bin.len(),
            p50_us: self.bin.value_at_quantile(0.5),
            max_us: self.bin.max(),
        })
    }

    /// Closes the bin being filled when `bin` is a later one.
    fn roll(&mut self, bin: i64) {
        if bin == self.bin_start {
            return;
        }
        if let Some(p) = self.open_point() {
            self.series.push(p);
        }
        self.bin.reset();
        self.bin_start = bin;
    }
}

/// Second pass: one-way delay and loss between the capture points, over the
/// merged stream with offsets applied (timestamps must already be corrected).
#[derive(Debug)]
pub struct OneWay {
    pub(super) vantage: Vec<Vec<IpAddr>>,
    /// Corrected time each capture covers.
    pub(super) cover: Vec<(i64, i64)>,
    /// The capture taken on the node of an address.
    pub(super) cap_of: Vec<(IpAddr, usize)>,
    pub(super) paths: Vec<PathAcc>,
    pub(super) path_idx: FastMap<(IpAddr, IpAddr), u32>,
    pub(super) pending: FastMap<u64, Pend>,
    pub(super) fifo: VecDeque<(i64, u64)>,
    pub(super) now: i64,
    pub(super) window: i64,
    /// Width of the series' bins, ns.
    pub(super) step: i64,
    pub overflow_pending: u64,
    pub overflow_paths: u64,
    pub duplicates: u64,
}

impl OneWay {
    pub fn new(est: &ClockEstimate) -> OneWay {
        let mut cap_of = Vec::new();
        for (i, c) in est.captures.iter().enumerate() {
            for a in &c.vantage_addrs {
                if !cap_of.iter().any(|(x, _)| x == a) {
                    cap_of.push((*a, i));
                }
            }
        }
        OneWay {
            vantage: est
                .captures
                .iter()
                .map(|c| c.vantage_addrs.clone())
                .collect(),
            cover: est
                .captures
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let off = est.correction_ns(i);
                    let first = c.first_ts.unwrap_or(0);
                    (first.saturating_sub(off), c.last_ts.saturating_sub(off))
                })
                .collect(),
            step: {
                let first = est.captures.iter().filter_map(|c| c.first_ts).min();
                let last = est.captures.iter().map(|c| c.last_ts).max();
                series_step_ns(match (first, last) {
                    (Some(a), Some(b)) => b.saturating_sub(a),
                    _ => 0,
                })
            },
            cap_of,
            paths: Vec::new(),
            path_idx: FastMap::default(),
            pending: FastMap::with_capacity_and_hasher(1 << 12, Default::default()),
            fifo: VecDeque::with_capacity(1 << 12),
            now: i64::MIN,
            window: ONE_WAY_WINDOW_NS,
            overflow_pending: 0,
            overflow_paths: 0,
            duplicates: 0,
        }
    }

    pub(super) fn cap_of(&self, a: IpAddr) -> Option<usize> {
        self.cap_of.iter().find(|(x, _)| *x == a).map(|(_, c)| *c)
    }

    /// One decoded packet of capture `p.source`, timestamp corrected.
    pub fn observe(&mut self, p: &Packet<'_>) {
        let d = &p.dgram;
        let ends = Ends {
            src: d.src,
            dst: d.dst,
            ip_len: d.ip_len,
        };
        self.observe_rec(p.source, p.ts, ends, packet_key(d));
    }

    /// One packet of capture `source` at `ts` (timestamp corrected), with
    /// its addresses and IP length `d`, whose
    /// [`packet_key`](super::packet_key) is `key`.
    pub fn observe_rec(&mut self, source: usize, ts: i64, d: Ends, key: u64) {
        if ts > self.now {
            self.now = ts;
            self.expire(ts.saturating_sub(self.window));
        }
        let Some(v) = self.vantage.get(source) else {
            return;
        };
        let arrival = if v.contains(&d.src) {
            false
        } else if v.contains(&d.dst) {
            true
        } else {
            return;
        };
        let path = match self.path_idx.get(&(d.src, d.dst)) {
            Some(i) => *i,
            None => {
                let (Some(sc), Some(dc)) = (self.cap_of(d.src), self.cap_of(d.dst)) else {
                    return;
                };
                if self.paths.len() >= MAX_PATHS {
                    self.overflow_paths += 1;
                    return;
                }
                let Ok(hist) = Histogram::new_with_bounds(1, HIST_MAX_US, 2) else {
                    return;
                };
                let bin = hist.clone();
                self.paths.push(PathAcc {
                    src: d.src,
                    dst: d.dst,
                    src_cap: sc,
                    dst_cap: dc,
                    hist,
                    min_ns: i64::MAX,
                    negative: 0,
                    departures: 0,
                    arrivals: 0,
                    left_not_arrived: 0,
                    first_lost: None,
                    last_lost: i64::MIN,
                    arrived_not_seen_leaving: 0,
                    bin,
                    bin_start: i64::MIN,
                    // Room for the whole span: no growth per packet.
                    series: Vec::with_capacity(SERIES_POINTS as usize + 2),
                    lost_series: Vec::new(),
                    matched_by_size: [0; SIZE_CLASSES],
                    lost_by_size: [0; SIZE_CLASSES],
                    lost_min_len: u32::MAX,
                });
                let i = (self.paths.len() - 1) as u32;
                self.path_idx.insert((d.src, d.dst), i);
                i
            }
        };
        let Some(pa) = self.paths.get_mut(path as usize) else {
            return;
        };
        if arrival {
            pa.arrivals += 1;
        } else {
            pa.departures += 1;
        }
        match self.pending.get(&key).copied() {
            Some(e) if e.arrival != arrival && e.path == path => {
                self.pending.remove(&key);
                let (dep, arr) = if arrival { (e.ts, ts) } else { (ts, e.ts) };
                let delay = arr.saturating_sub(dep);
                pa.min_ns = pa.min_ns.min(delay);
                if delay < 0 {
                    pa.negative += 1;
                }
                let us = (delay.max(0) / 1000).max(1) as u64;
                pa.hist.saturating_record(us.min(HIST_MAX_US));
                let c = &mut pa.matched_by_size[size_class(d.ip_len)];
                *c = c.saturating_add(1);
                // Binned by the time of the match: the later sighting.
                pa.roll(ts.div_euclid(self.step).saturating_mul(self.step));
                pa.bin.saturating_record(us.min(HIST_MAX_US));
            }
            Some(_) => self.duplicates += 1,
            None => {
                if self.pending.len() >= MAX_PENDING {
                    self.overflow_pending += 1;
                    return;
                }
                self.pending.insert(
                    key,
                    Pend {
                        ts,
                        path,
                        arrival,
                        len: d.ip_len,
                    },
                );
                self.fifo.push_back((ts, key));
            }
        }
    }

    /// Resolves every sighting older than `before` that found no partner.
    pub(super) fn expire(&mut self, before: i64) {
        while let Some(&(ts, key)) = self.fifo.front() {
            if ts >= before {
                break;
            }
            self.fifo.pop_front();
            let Some(e) = self.pending.get(&key).copied() else {
                continue;
            };
            if e.ts != ts {
                continue;
            }
            self.pending.remove(&key);
            let Some(pa) = self.paths.get_mut(e.path as usize) else {
                continue;
            };
            if e.arrival {
                // Counted only while the sender's capture was running.
                let c = self.cover.get(pa.src_cap).copied().unwrap_or((0, 0));
                if ts.saturating_sub(self.window) >= c.0 && ts <= c.1 {
                    pa.arrived_not_seen_leaving += 1;
                }
            } else {
                let c = self.cover.get(pa.dst_cap).copied().unwrap_or((0, 0));
                if ts >= c.0 && ts.saturating_add(self.window) <= c.1 {
                    pa.left_not_arrived += 1;
                    let c = &mut pa.lost_by_size[size_class(e.len)];
                    *c = c.saturating_add(1);
                    pa.lost_min_len = pa.lost_min_len.min(e.len);
                    pa.first_lost = Some(pa.first_lost.map_or(ts, |f| f.min(ts)));
                    pa.last_lost = pa.last_lost.max(ts);
                    let bin = ts.div_euclid(self.step).saturating_mul(self.step);
                    match pa.lost_series.last_mut() {
                        Some((b, n)) if *b == bin => *n += 1,
                        _ => pa.lost_series.push((bin, 1)),
                    }
                }
            }
        }
    }

    /// The input ended.
    pub fn finish(&mut self) {
        self.expire(i64::MAX);
        self.pending.clear();
    }

    /// Per directed address pair.
    pub fn view(&self) -> Vec<OneWayView> {
        let mut v: Vec<OneWayView> = self
            .paths
            .iter()
            .map(|p| {
                let matched = p.hist.len();
                let sent = matched + p.left_not_arrived;
                OneWayView {
                    src_addr: p.src,
                    dst_addr: p.dst,
                    matched,
                    departures: p.departures,
                    arrivals: p.arrivals,
                    delay_p50_us: (matched > 0).then(|| p.hist.value_at_quantile(0.5)),
                    delay_p99_us: (matched > 0).then(|| p.hist.value_at_quantile(0.99)),
                    delay_max_us: (matched > 0).then(|| p.hist.max()),
                    delay_min_ns: (matched > 0).then_some(p.min_ns),
                    negative: p.negative,
                    left_not_arrived: p.left_not_arrived,
                    arrived_not_seen_leaving: p.arrived_not_seen_leaving,
                    first_lost_ns: p.first_lost,
                    last_lost_ns: p.first_lost.map(|_| p.last_lost),
                    loss_pct: pct(p.left_not_arrived, sent),
                    series: p.series.iter().copied().chain(p.open_point()).collect(),
                    step_ns: self.step,
                    lost_series: p.lost_series.clone(),
                    too_big_from: p.too_big_from(),
                }
            })
            .collect();
        v.sort_by_key(|x| (x.src_addr, x.dst_addr));
        v
    }
}

/// One way, between the capture points of a directed address pair.
#[derive(Debug, Clone, PartialEq)]
pub struct OneWayView {
    pub src_addr: IpAddr,
    pub dst_addr: IpAddr,
    /// Packets seen leaving and arriving.
    pub matched: u64,
    pub departures: u64,
    pub arrivals: u64,
    pub delay_p50_us: Option<u64>,
    pub delay_p99_us: Option<u64>,
    pub delay_max_us: Option<u64>,
    /// Smallest one-way delay, signed: negative means the offset estimate
    /// is off by at least that much.
    pub delay_min_ns: Option<i64>,
    /// Matches with arrival before departure (counted as 0 in the quantiles).
    pub negative: u64,
    /// Seen leaving the sender, never seen arriving (while both captures ran).
    pub left_not_arrived: u64,
    /// Seen arriving, never seen leaving the sender: lost by the sender's capture.
    pub arrived_not_seen_leaving: u64,
    /// Departure times of the first and last packet that never arrived.
    pub first_lost_ns: Option<i64>,
    pub last_lost_ns: Option<i64>,
    /// left_not_arrived / (matched + left_not_arrived), percent.
    pub loss_pct: f64,
    /// The delays over time, per bin of
    /// [`series_step_ns`](super::series_step_ns) over the captures' span
    /// (corrected time), by when each packet was matched; oldest first.
    pub series: Vec<OneWayPoint>,
    /// The bins' width, ns.
    pub step_ns: i64,
    /// Per bin (its start, ns): packets that left in it and never arrived.
    pub lost_series: Vec<(i64, u64)>,
    /// Every packet lost was at least this large (IP length) and the
    /// smaller ones arrived (see the module docs): dropped for their size.
    pub too_big_from: Option<u32>,
}

impl OneWayView {
    /// The loss over the span the lost packets mark, as the engine counts a
    /// loss episode: from the first lost to the last, widened at each end
    /// by one mean gap between them (under a steady rate the loss began
    /// about that long before the first loss seen and went on that long
    /// after the last), in whole bins of the series: the packets matched
    /// then and the loss %. Over the whole capture a loss of part of it
    /// reads as a fraction of its rate. None without losses.
    pub fn episode_loss(&self) -> Option<(u64, f64)> {
        let (first, last) = (self.first_lost_ns?, self.last_lost_ns?);
        let lost = self.left_not_arrived;
        let gap = match i64::try_from(lost) {
            Ok(n) if n >= 2 => last.saturating_sub(first) / (n - 1),
            _ => 0,
        };
        let step = self.step_ns.max(1);
        let lo = first
            .saturating_sub(gap)
            .div_euclid(step)
            .saturating_mul(step);
        let hi = last.saturating_add(gap);
        let matched: u64 = self
            .series
            .iter()
            .filter(|p| p.ts >= lo && p.ts <= hi)
            .map(|p| p.matched)
            .sum();
        Some((matched, pct(lost, matched + lost)))
    }
}

/// One bin of a direction's one-way delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneWayPoint {
    /// Start of the bin, ns (corrected time).
    pub ts: i64,
    pub matched: u64,
    pub p50_us: u64,
    pub max_us: u64,
}
/// A packet's addresses and IP length: what one-way matching reads.
#[derive(Debug, Clone, Copy)]
pub struct Ends {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ip_len: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc() -> PathAcc {
        let hist = Histogram::new_with_bounds(1, HIST_MAX_US, 2).expect("bounds");
        PathAcc {
            src: "10.0.0.1".parse().expect("addr"),
            dst: "10.0.0.2".parse().expect("addr"),
            src_cap: 0,
            dst_cap: 1,
            bin: hist.clone(),
            hist,
            min_ns: 0,
            negative: 0,
            departures: 0,
            arrivals: 0,
            left_not_arrived: 0,
            arrived_not_seen_leaving: 0,
            first_lost: None,
            last_lost: 0,
            bin_start: 0,
            series: Vec::new(),
            lost_series: Vec::new(),
            matched_by_size: [0; SIZE_CLASSES],
            lost_by_size: [0; SIZE_CLASSES],
            lost_min_len: u32::MAX,
        }
    }

    #[test]
    fn only_the_large_packets_lost_is_a_size_limit() {
        // 400 small packets arrived; 20 of 40 of 1400 bytes and more lost.
        let mut p = acc();
        p.matched_by_size[size_class(120)] = 400;
        p.matched_by_size[size_class(1400)] = 20;
        p.lost_by_size[size_class(1472)] = 20;
        p.lost_min_len = 1400;
        assert_eq!(p.too_big_from(), Some(1400));
        // One small packet lost too: loss at random.
        p.lost_by_size[size_class(80)] = 1;
        p.lost_min_len = 80;
        assert_eq!(p.too_big_from(), None);
        // Too few small packets to tell: 10 at a 5 % rate would lose 0.5.
        let mut p = acc();
        p.matched_by_size[size_class(120)] = 10;
        p.matched_by_size[size_class(1400)] = 95;
        p.lost_by_size[size_class(1400)] = 5;
        p.lost_min_len = 1400;
        assert_eq!(p.too_big_from(), None);
    }
}
