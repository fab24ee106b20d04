//! The survey's result: per capture its offset and bound, per pair the
//! estimate and its drift, and which packets each capture contributes
//! (packet admission: each packet once, from the capture nearest its
//! sender).

use std::net::IpAddr;

use crate::compact::{Kind, PacketRec};

/// One capture's clock, relative to the reference capture.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureClock {
    /// The node the capture was taken on (None: bridge/SPAN, or cannot tell).
    pub vantage: Option<u16>,
    /// That node's addresses.
    pub vantage_addrs: Vec<IpAddr>,
    /// Every address in the capture (the first 64).
    pub addrs: Vec<IpAddr>,
    pub packets: u64,
    pub first_ts: Option<i64>,
    pub last_ts: i64,
    /// clock(this capture) − clock(reference), ns; None: no exchange links it.
    pub offset_ns: Option<i64>,
    /// The true offset lies within offset ± this (see the module docs).
    pub uncertainty_ns: Option<i64>,
    /// Ping/pong exchanges seen in this capture and another.
    pub samples: u64,
}

/// The estimate of one pair of captures.
#[derive(Debug, Clone, PartialEq)]
pub struct PairClock {
    pub a: usize,
    pub b: usize,
    pub samples: u64,
    /// Samples in the min-δ selection.
    pub selected: u64,
    /// clock(b) − clock(a), min-δ estimate, ns.
    pub theta_ns: i64,
    pub uncertainty_ns: i64,
    /// Median θ of every sample: differs from `theta_ns` by the half
    /// asymmetry of the exchanges that queued or were delayed one way.
    pub theta_all_median_ns: i64,
    /// Smallest and median time between the capture points, both ways.
    pub delay_min_ns: i64,
    pub delay_p50_ns: i64,
    /// The offset of the later half of the exchanges minus the earlier
    /// half's (None: fewer than 2 × [`MIN_SELECTED`](super::MIN_SELECTED) exchanges).
    pub drift: Option<Drift>,
    /// The exchanges are encrypted packets matched by their bytes (no
    /// key), not knet pings and pongs.
    pub from_packets: bool,
    /// The pair's offset over time: per bin of
    /// [`series_step_ns`](super::series_step_ns) over the exchanges' span,
    /// the exchange with the smallest δ, oldest first.
    pub series: Vec<ClockPoint>,
}

/// One bin of a pair's offset over time: its least disturbed exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockPoint {
    /// Start of the bin, ns, on capture `a`'s clock (the time the ping
    /// was seen there).
    pub ts: i64,
    /// clock(b) − clock(a) from that exchange, and its δ (the true offset
    /// lies within θ ± δ/2 when the paths are symmetric), ns.
    pub theta_ns: i64,
    pub delta_ns: i64,
    /// Exchanges in the bin.
    pub samples: u32,
}

/// How far a pair's offset moved during the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drift {
    /// θ(later half) − θ(earlier half), ns.
    pub change_ns: i64,
    /// The sum of both halves' bounds: a change beyond it is real (clock
    /// drift or a path whose asymmetry changed), within it is not shown.
    pub bound_ns: i64,
    /// Time between the middles of the halves, ns (change / span = rate).
    pub span_ns: i64,
}

impl Drift {
    /// True when the change exceeds what the bounds allow.
    pub fn significant(&self) -> bool {
        self.change_ns.unsigned_abs() > self.bound_ns.unsigned_abs()
    }
    /// The rate in parts per million (0 for a zero span).
    pub fn ppm(&self) -> f64 {
        if self.span_ns == 0 {
            0.0
        } else {
            self.change_ns as f64 / self.span_ns as f64 * 1e6
        }
    }
}

/// Offsets of every capture.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockEstimate {
    pub captures: Vec<CaptureClock>,
    pub pairs: Vec<PairClock>,
    pub reference: usize,
    /// Ping/pong sightings not kept (over [`MAX_SIGHTINGS`](super::MAX_SIGHTINGS)).
    pub sightings_overflow: u64,
}

impl ClockEstimate {
    /// What to subtract from capture `i`'s timestamps (0 when unknown).
    pub fn correction_ns(&self, i: usize) -> i64 {
        self.captures.get(i).and_then(|c| c.offset_ns).unwrap_or(0)
    }

    /// True when every capture was taken on a known node.
    pub fn all_vantages_known(&self) -> bool {
        self.captures.iter().all(|c| c.vantage.is_some())
    }

    /// Which packets the link analysis should see, so that a packet seen in
    /// two captures is counted once (see [`Admit`]).
    pub fn admit(&self) -> Admit {
        let bridge_only = !self.all_vantages_known();
        // Captures on no known node, in input order, each unless it shares
        // an address with one already taken (bridges of different links
        // are all read; two views of the same hosts, e.g. both captures of
        // a two-node cluster or keyless encrypted host captures, only once).
        let mut taken: Vec<IpAddr> = Vec::new();
        let engine_caps = self
            .captures
            .iter()
            .map(|c| {
                if !bridge_only {
                    return true;
                }
                if c.vantage.is_some() || c.addrs.iter().any(|a| taken.contains(a)) {
                    return false;
                }
                taken.extend(c.addrs.iter().copied());
                true
            })
            .collect();
        Admit {
            vantage: self
                .captures
                .iter()
                .map(|c| {
                    if bridge_only {
                        Vec::new()
                    } else {
                        c.vantage_addrs.clone()
                    }
                })
                .collect(),
            engine_caps,
            all: self
                .captures
                .iter()
                .flat_map(|c| c.vantage_addrs.iter().copied())
                .collect(),
            bridge_only,
        }
    }
}

/// Which capture's copy of a packet feeds the link analysis.
///
/// All captures on known nodes: a ping and its pong are taken from the
/// pinger's capture (so RTT is the pinger's round trip, as knet measures
/// it), any other packet from its sender's; when that node has no capture,
/// from the other end's. Some capture on no known node (a bridge or SPAN
/// port): the link analysis reads only such captures (those sharing no
/// address with an earlier one), and the host captures add their clocks and
/// the one-way figures.
#[derive(Debug, Clone)]
pub struct Admit {
    pub(super) vantage: Vec<Vec<IpAddr>>,
    pub(super) engine_caps: Vec<bool>,
    pub(super) all: Vec<IpAddr>,
    pub bridge_only: bool,
}

impl Admit {
    /// Whether the engine takes packet `p` of capture `source`.
    pub fn packet(&self, source: usize, p: &PacketRec) -> bool {
        if !self.engine_caps.get(source).copied().unwrap_or(false) {
            return false;
        }
        if self.bridge_only {
            return true;
        }
        let Some(v) = self.vantage.get(source) else {
            return false;
        };
        let (pref, other) = match p.kind {
            Kind::Pong(_) => (p.dst, p.src),
            _ => (p.src, p.dst),
        };
        v.contains(&pref) || (!self.all.contains(&pref) && v.contains(&other))
    }

    /// ICMP notices and the like, from capture `source`.
    pub fn other(&self, source: usize) -> bool {
        self.engine_caps.get(source).copied().unwrap_or(false)
    }
}

/// `n` captures with nothing known yet (for tests).
#[cfg(test)]
pub(super) fn caps(n: usize) -> Vec<CaptureClock> {
    (0..n)
        .map(|_| CaptureClock {
            vantage: None,
            vantage_addrs: Vec::new(),
            addrs: Vec::new(),
            packets: 0,
            first_ts: None,
            last_ts: 0,
            offset_ns: None,
            uncertainty_ns: None,
            samples: 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn overlapping_captures_on_no_known_node_feed_once() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut c = caps(4);
        // two bridges of different links, then a second view of link 0,
        // then a host capture
        c[0].addrs = vec![a("10.0.0.1"), a("10.0.0.2")];
        c[1].addrs = vec![a("10.0.1.1"), a("10.0.1.2")];
        c[2].addrs = vec![a("10.0.0.1"), a("10.0.0.2")];
        c[3].addrs = vec![a("10.0.0.1"), a("10.0.0.2")];
        c[3].vantage = Some(1);
        c[3].vantage_addrs = vec![a("10.0.0.1")];
        let e = ClockEstimate {
            captures: c,
            pairs: Vec::new(),
            reference: 0,
            sightings_overflow: 0,
        };
        let ad = e.admit();
        assert!(ad.bridge_only);
        assert_eq!(
            (0..4).map(|i| ad.other(i)).collect::<Vec<_>>(),
            [true, true, false, false]
        );
    }
}
