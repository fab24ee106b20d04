//! Several captures of one cluster, taken on different hosts: their clock
//! offsets, one-way delays and loss between the capture points.
//!
//! Pure: decoded packets in (each tagged with the index of its capture),
//! numbers out. No I/O, no wall clock.
//!
//! **Clock offsets.** A knet PING seen in two captures, and its PONG seen in
//! the same two, give the four timestamps of an NTP exchange. With capture i
//! seeing the ping at `a_i` and the pong at `b_i`, and capture j at `a_j`,
//! `b_j`:
//!
//! * θ = ((a_j − a_i) + (b_j − b_i)) / 2 estimates clock(j) − clock(i);
//! * δ = |(b_i − a_i) − (b_j − a_j)| is the time the exchange spent between
//!   the two capture points (both ways), and the true offset lies in
//!   θ ± δ/2 whenever a packet cannot arrive before it left.
//!
//! The formula is the same whichever capture is nearer the pinger, so it
//! needs no knowledge of where a capture was taken (a bridge capture pairs
//! with a host capture as well as two host captures do). Per pair of
//! captures, the samples with the smallest δ (the lowest decile, at least
//! [`MIN_SELECTED`]) are the least disturbed by queueing: θ̂ is their median
//! and the stated bound is min over them of (|θ̂ − θ_k| + δ_k/2), which holds
//! as long as causality holds and the offset is constant. It does **not**
//! cover path asymmetry: when one direction is slower by Δ, every sample's
//! θ is off by Δ/2 and δ grows by Δ, so the bound still contains the truth,
//! but no method can tell that half-asymmetry from an offset. Per-pair
//! figures (median θ of all samples next to the min-δ one) show the bias
//! when the asymmetry comes and goes.
//!
//! Every capture's offset relative to the reference (the first capture) is
//! the weighted least-squares fit over all pairs (weight 1/bound²); its
//! bound is that of the best-bounded chain of pairs from the reference, plus
//! how far the fit lies from that chain's sum. Clock drift is not modelled.
//!
//! **Vantage.** A Linux cooked capture (`-i any`) marks the frames its host
//! sent: the node that sent at least 99 % of them is the capture's vantage.
//! Otherwise a capture taken on a host sees only packets from or to that
//! host: the node that takes part in at least 99 % of a capture's packets,
//! when exactly one does, is its vantage. A bridge or SPAN capture, and an
//! Ethernet capture of either node of a two-node cluster, have none.
//!
//! **One way.** After the offsets are applied, a packet seen leaving A in A's
//! capture and arriving in B's (same addresses, ports, length and leading
//! payload bytes) gives a one-way delay. A departure with no arrival within
//! [`ONE_WAY_WINDOW_NS`] left A and never reached B (while B's capture was
//! running); an arrival with no departure reached B but was not seen leaving
//! A (a drop at A's capture point). Matching is windowed and the table
//! capped; what does not fit is counted.

use std::collections::VecDeque;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::net::IpAddr;

use hdrhistogram::Histogram;

use super::findings::{Direction, Finding, FindingKind, Severity};
use super::hash::{FastHasher, FastMap, insert_capped};
use super::snapshot::Snapshot;
use super::vantage::addrs_of;
use crate::decode::Packet;
use crate::wire::knet::Knet;
use crate::wire::net::Datagram;

/// At most this many captures take part (more are an error for the caller).
pub const MAX_CAPTURES: usize = 32;
/// Ping/pong sightings kept for the offset estimate; more are counted.
pub const MAX_SIGHTINGS: usize = 1 << 20;
/// The min-δ selection keeps at least this many samples per pair.
pub const MIN_SELECTED: usize = 5;
/// A departure not seen arriving within this time was lost on the way.
pub const ONE_WAY_WINDOW_NS: i64 = 3_000_000_000;
/// Packets waiting for their other sighting, at most.
pub const MAX_PENDING: usize = 1 << 18;
/// Directed address pairs tracked one way, at most.
pub const MAX_PATHS: usize = 1024;
/// Bytes of payload hashed to recognise the same packet in two captures.
const HASHED_PAYLOAD: usize = 256;
const MAX_ADDRS: usize = 256;
/// Highest one-way delay the histograms hold, µs.
const HIST_MAX_US: u64 = 120_000_000;

/// How the offsets were estimated (shown in the reports).
pub const METHOD: &str = "ntp-4ts-min-delay";

fn hash_of(f: impl FnOnce(&mut FastHasher)) -> u64 {
    let mut h = BuildHasherDefault::<FastHasher>::default().build_hasher();
    f(&mut h);
    h.finish()
}

/// What recognises one packet in two captures: addresses, ports, length
/// and the leading payload bytes (ciphertext included).
fn packet_key(d: &Datagram<'_>) -> u64 {
    hash_of(|h| {
        hash_addr(h, d.src);
        hash_addr(h, d.dst);
        h.write_u16(d.sport);
        h.write_u16(d.dport);
        h.write_usize(d.payload_len);
        h.write(&d.payload[..d.payload.len().min(HASHED_PAYLOAD)]);
    })
}

fn hash_addr(h: &mut FastHasher, a: IpAddr) {
    match a {
        IpAddr::V4(v) => h.write(&v.octets()),
        IpAddr::V6(v) => h.write(&v.octets()),
    }
}

// ------------------------------------------------------------------ pass 1

#[derive(Debug, Clone, Copy)]
struct Sighting {
    key: u64,
    ts: i64,
    cap: u16,
    pong: bool,
}

/// An encrypted packet nothing can be read from (no key), seen in a
/// capture: the same bytes in two captures are the same packet.
#[derive(Debug, Clone, Copy)]
struct Opaque {
    key: u64,
    ts: i64,
    cap: u16,
    /// Address pair (order-free) and whether it went from the lower address.
    pair: u64,
    up: bool,
}

#[derive(Debug, Clone, Default)]
struct CapFacts {
    packets: u64,
    first_ts: Option<i64>,
    last_ts: i64,
    /// Packets each address took part in (bounded).
    addrs: Vec<(IpAddr, u64)>,
    /// Senders of the frames the link layer marks as sent by the host.
    outgoing: super::vantage::OutgoingTally,
}

/// First pass over every capture: what each one saw of the pings and pongs,
/// and who took part in its packets.
#[derive(Debug)]
pub struct ClockSurvey {
    caps: Vec<CapFacts>,
    addr_node: FastMap<IpAddr, u16>,
    sightings: Vec<Sighting>,
    opaque: Vec<Opaque>,
    overflow: u64,
}

impl ClockSurvey {
    /// A survey of `captures` captures (indices 0..captures, at most [`MAX_CAPTURES`]).
    pub fn new(captures: usize) -> ClockSurvey {
        ClockSurvey {
            caps: vec![CapFacts::default(); captures.min(MAX_CAPTURES)],
            addr_node: FastMap::default(),
            sightings: Vec::new(),
            opaque: Vec::new(),
            overflow: 0,
        }
    }

    /// Maps addresses to node ids (corosync.conf's nodelist): without the
    /// key nothing in the packets names a node, and this is how a capture's
    /// vantage is still found. What knet headers say comes second.
    pub fn set_addresses(&mut self, map: &[(IpAddr, u16)]) {
        insert_capped(&mut self.addr_node, map, MAX_ADDRS);
    }

    /// One decoded corosync packet of capture `p.source`.
    pub fn observe(&mut self, p: &Packet<'_>) {
        let Some(c) = self.caps.get_mut(p.source) else {
            return;
        };
        c.packets += 1;
        c.first_ts.get_or_insert(p.ts);
        c.last_ts = c.last_ts.max(p.ts);
        if p.dgram.outgoing == Some(true) {
            c.outgoing.note(p.dgram.src);
        }
        for a in [p.dgram.src, p.dgram.dst] {
            match c.addrs.iter().position(|(x, _)| *x == a) {
                Some(i) => c.addrs[i].1 += 1,
                None if c.addrs.len() < 64 => c.addrs.push((a, 1)),
                None => {}
            }
        }
        let Some(k) = &p.knet else {
            if p.totem.is_none() {
                self.observe_opaque(p);
            }
            return;
        };
        if !self.addr_node.contains_key(&p.dgram.src) && self.addr_node.len() < MAX_ADDRS {
            self.addr_node.insert(p.dgram.src, k.node());
        }
        let (ping, pong) = match k {
            Knet::Ping(x) => (x, false),
            Knet::Pong(x) => (x, true),
            _ => return,
        };
        // Keyed by pinger, responder, link and the echoed time bytes.
        let (pinger, responder) = if pong {
            (p.dgram.dst, p.dgram.src)
        } else {
            (p.dgram.src, p.dgram.dst)
        };
        let key = hash_of(|h| {
            hash_addr(h, pinger);
            hash_addr(h, responder);
            h.write_u8(ping.link);
            h.write(&ping.time);
        });
        if self.sightings.len() >= MAX_SIGHTINGS {
            self.overflow += 1;
            return;
        }
        self.sightings.push(Sighting {
            key,
            ts: p.ts,
            cap: p.source as u16,
            pong,
        });
    }

    /// An encrypted packet read without the key: kept by its bytes, so that
    /// its sightings in two captures can stand in for ping/pong exchanges.
    fn observe_opaque(&mut self, p: &Packet<'_>) {
        if self.opaque.len() >= MAX_SIGHTINGS {
            self.overflow += 1;
            return;
        }
        let d = &p.dgram;
        let (lo, hi) = if d.src <= d.dst {
            (d.src, d.dst)
        } else {
            (d.dst, d.src)
        };
        self.opaque.push(Opaque {
            key: packet_key(d),
            ts: p.ts,
            cap: p.source as u16,
            pair: hash_of(|h| {
                hash_addr(h, lo);
                hash_addr(h, hi);
            }),
            up: d.src == lo,
        });
    }

    /// Exchanges made of opaque packets, for the capture pairs that have no
    /// ping/pong exchange: a packet seen in captures a and b gives
    /// d = t_b − t_a = θ ± its time between the capture points, the sign
    /// set by its direction; paired with the nearest packet of the same
    /// two hosts going the other way (d' = θ ∓ …), (d + d′)/2 is off θ by
    /// at most |d − d′|/2 — the same sample as a ping and its pong.
    fn opaque_samples(&mut self, n: usize, samples: &mut [Vec<(i64, i64, i64)>]) {
        if self.opaque.is_empty() {
            return;
        }
        self.opaque.sort_unstable_by_key(|o| (o.key, o.cap, o.ts));
        // (a, b, address pair, direction) → (t_a, t_b − t_a)
        let mut seen: Vec<(usize, usize, u64, bool, i64, i64)> = Vec::new();
        let mut at = vec![None::<i64>; n];
        let mut i = 0;
        while i < self.opaque.len() {
            let o = self.opaque[i];
            let mut j = i;
            at.iter_mut().for_each(|x| *x = None);
            while j < self.opaque.len() && self.opaque[j].key == o.key {
                if let Some(x) = at.get_mut(usize::from(self.opaque[j].cap)) {
                    x.get_or_insert(self.opaque[j].ts);
                }
                j += 1;
            }
            i = j;
            for a in 0..n {
                let Some(ta) = at[a] else { continue };
                for b in (a + 1)..n {
                    if !samples[a * n + b].is_empty() {
                        continue; // ping/pong exchanges are better evidence
                    }
                    if let Some(tb) = at[b] {
                        seen.push((a, b, o.pair, o.up, ta, tb.saturating_sub(ta)));
                    }
                }
            }
        }
        seen.sort_unstable_by_key(|x| (x.0, x.1, x.2, x.3, x.4));
        let mut k = 0;
        while k < seen.len() {
            let (a, b, pair) = (seen[k].0, seen[k].1, seen[k].2);
            let mut m = k;
            while m < seen.len() && (seen[m].0, seen[m].1, seen[m].2) == (a, b, pair) {
                m += 1;
            }
            let group = &seen[k..m];
            let split = group.partition_point(|x| !x.3);
            let (down, up) = group.split_at(split);
            for (mine, other) in [(up, down), (down, up)] {
                if other.is_empty() {
                    continue;
                }
                for x in mine {
                    // The other direction's packet nearest in time.
                    let p = other.partition_point(|y| y.4 < x.4);
                    let near = [p.checked_sub(1), Some(p)]
                        .into_iter()
                        .flatten()
                        .filter_map(|q| other.get(q))
                        .min_by_key(|y| (y.4 - x.4).unsigned_abs());
                    let Some(y) = near else { continue };
                    let theta = (i128::from(x.5) + i128::from(y.5)) / 2;
                    let delta = (i128::from(x.5) - i128::from(y.5)).abs();
                    if let (Ok(theta), Ok(delta)) = (i64::try_from(theta), i64::try_from(delta)) {
                        samples[a * n + b].push((theta, delta, x.4));
                    }
                }
            }
            k = m;
        }
    }

    /// The offsets, with capture 0 as the reference.
    pub fn finish(mut self) -> ClockEstimate {
        let n = self.caps.len();
        // Vantage of each capture.
        let mut captures: Vec<CaptureClock> = self
            .caps
            .iter()
            .map(|c| {
                let mut per_node: Vec<(u16, u64)> = Vec::new();
                for (a, cnt) in &c.addrs {
                    if let Some(node) = self.addr_node.get(a) {
                        match per_node.iter_mut().find(|(x, _)| x == node) {
                            Some((_, t)) => *t += cnt,
                            None => per_node.push((*node, *cnt)),
                        }
                    }
                }
                // ≥ 99 % of the packets, and only one node does.
                let all: Vec<u16> = per_node
                    .iter()
                    .filter(|(_, t)| c.packets > 0 && *t * 100 >= c.packets * 99)
                    .map(|(n, _)| *n)
                    .collect();
                // The link layer's word first (it also tells the two
                // captures of a two-node cluster apart).
                let marked = c.outgoing.node(|a| self.addr_node.get(a).copied());
                let vantage = marked.or(if all.len() == 1 {
                    all.first().copied()
                } else {
                    None
                });
                let mut vantage_addrs = addrs_of(&self.addr_node, vantage);
                vantage_addrs.sort();
                let mut addrs: Vec<IpAddr> = c.addrs.iter().map(|(a, _)| *a).collect();
                addrs.sort();
                CaptureClock {
                    vantage,
                    vantage_addrs,
                    addrs,
                    packets: c.packets,
                    first_ts: c.first_ts,
                    last_ts: c.last_ts,
                    offset_ns: None,
                    uncertainty_ns: None,
                    samples: 0,
                }
            })
            .collect();

        // Pairwise samples: group the sightings of one exchange.
        self.sightings
            .sort_unstable_by_key(|s| (s.key, s.pong, s.cap, s.ts));
        let mut samples: Vec<Vec<(i64, i64, i64)>> = vec![Vec::new(); n * n];
        let mut ping_at = vec![None::<i64>; n];
        let mut pong_at = vec![None::<i64>; n];
        let mut i = 0;
        while i < self.sightings.len() {
            let key = self.sightings[i].key;
            let mut j = i;
            ping_at.iter_mut().for_each(|x| *x = None);
            pong_at.iter_mut().for_each(|x| *x = None);
            while j < self.sightings.len() && self.sightings[j].key == key {
                let s = self.sightings[j];
                let slot = if s.pong { &mut pong_at } else { &mut ping_at };
                if let Some(x) = slot.get_mut(usize::from(s.cap)) {
                    // The first sighting in a capture counts.
                    x.get_or_insert(s.ts);
                }
                j += 1;
            }
            i = j;
            for a in 0..n {
                let (Some(ai), Some(bi)) = (ping_at[a], pong_at[a]) else {
                    continue;
                };
                for b in (a + 1)..n {
                    let (Some(aj), Some(bj)) = (ping_at[b], pong_at[b]) else {
                        continue;
                    };
                    if bi < ai || bj < aj {
                        continue;
                    }
                    let theta =
                        (i128::from(aj) - i128::from(ai) + i128::from(bj) - i128::from(bi)) / 2;
                    let delta = ((i128::from(bi) - i128::from(ai))
                        - (i128::from(bj) - i128::from(aj)))
                    .abs();
                    let (Ok(theta), Ok(delta)) = (i64::try_from(theta), i64::try_from(delta))
                    else {
                        continue;
                    };
                    samples[a * n + b].push((theta, delta, ai));
                }
            }
        }
        // Without the key: the same encrypted packets, both ways.
        let keyed: Vec<bool> = samples.iter().map(|s| !s.is_empty()).collect();
        self.opaque_samples(n, &mut samples);
        let mut pairs = Vec::new();
        for a in 0..n {
            for b in (a + 1)..n {
                if let Some(mut p) = pair_estimate(a, b, &mut samples[a * n + b]) {
                    p.from_packets = !keyed[a * n + b];
                    pairs.push(p);
                }
            }
        }
        solve(&mut captures, &pairs);
        ClockEstimate {
            captures,
            pairs,
            reference: 0,
            sightings_overflow: self.overflow,
        }
    }
}

fn median(v: &[i64]) -> i64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    match s.len() {
        0 => 0,
        l if l % 2 == 1 => s[l / 2],
        l => ((i128::from(s[l / 2 - 1]) + i128::from(s[l / 2])) / 2) as i64,
    }
}

/// The min-δ estimate of samples `(θ, δ, t)`: the median θ of the lowest-δ
/// decile (at least [`MIN_SELECTED`]) and its causality bound. Sorts `s` by δ.
fn min_delay(s: &mut [(i64, i64, i64)]) -> (i64, u64, usize) {
    // ties by time, so the selection does not depend on the input order
    s.sort_unstable_by_key(|x| (x.1, x.2));
    let k = (s.len() / 10).max(MIN_SELECTED).min(s.len());
    let sel = &s[..k];
    let thetas: Vec<i64> = sel.iter().map(|x| x.0).collect();
    let theta = median(&thetas);
    let bound = sel
        .iter()
        .map(|(t, d, _)| {
            theta
                .abs_diff(*t)
                .saturating_add(d.unsigned_abs().div_ceil(2))
        })
        .min()
        .unwrap_or(0);
    (theta, bound, k)
}

fn pair_estimate(a: usize, b: usize, s: &mut [(i64, i64, i64)]) -> Option<PairClock> {
    if s.is_empty() {
        return None;
    }
    let all_theta: Vec<i64> = s.iter().map(|x| x.0).collect();
    let theta_all = median(&all_theta);
    // Drift check: the first and the second half of the exchanges in time,
    // each estimated on its own.
    s.sort_unstable_by_key(|x| x.2);
    let half = s.len() / 2;
    let drift = if half >= MIN_SELECTED {
        let (early, late) = s.split_at_mut(half);
        let t_early = early.get(early.len() / 2).map_or(0, |x| x.2);
        let t_late = late.get(late.len() / 2).map_or(0, |x| x.2);
        let (te, ue, _) = min_delay(early);
        let (tl, ul, _) = min_delay(late);
        Some(Drift {
            change_ns: tl.saturating_sub(te),
            bound_ns: i64::try_from(ue.saturating_add(ul)).unwrap_or(i64::MAX),
            span_ns: t_late.saturating_sub(t_early),
        })
    } else {
        None
    };
    let (theta, bound, k) = min_delay(s);
    let deltas: Vec<i64> = s.iter().map(|x| x.1).collect();
    Some(PairClock {
        a,
        b,
        samples: s.len() as u64,
        selected: k as u64,
        theta_ns: theta,
        uncertainty_ns: i64::try_from(bound).unwrap_or(i64::MAX),
        theta_all_median_ns: theta_all,
        delay_min_ns: s.first().map_or(0, |x| x.1),
        delay_p50_ns: median(&deltas),
        drift,
        from_packets: false,
    })
}

/// Weighted least squares over the pairs (capture 0 fixed at 0), and the
/// bound of each capture from its best-bounded chain of pairs.
fn solve(caps: &mut [CaptureClock], pairs: &[PairClock]) {
    let n = caps.len();
    if n == 0 {
        return;
    }
    // Best chains from the reference (Dijkstra on bounds; n is small).
    let mut best: Vec<Option<(i128, i128)>> = vec![None; n]; // (sum θ, sum bound)
    let mut done = vec![false; n];
    best[0] = Some((0, 0));
    loop {
        let mut pick: Option<usize> = None;
        for i in 0..n {
            if !done[i]
                && best[i].is_some()
                && pick.is_none_or(|p| best[i].map(|x| x.1) < best[p].map(|x| x.1))
            {
                pick = Some(i);
            }
        }
        let Some(u) = pick else { break };
        done[u] = true;
        let Some((tu, bu)) = best[u] else { break };
        for p in pairs {
            // θ of the pair is clock(b) − clock(a).
            let (v, t) = if p.a == u {
                (p.b, i128::from(p.theta_ns))
            } else if p.b == u {
                (p.a, -i128::from(p.theta_ns))
            } else {
                continue;
            };
            let nb = bu + i128::from(p.uncertainty_ns);
            if !done[v] && best[v].is_none_or(|x| nb < x.1) {
                best[v] = Some((tu + t, nb));
            }
        }
    }
    // Least squares on the captures reachable from the reference.
    let idx: Vec<usize> = (1..n).filter(|i| best[*i].is_some()).collect();
    let m = idx.len();
    let pos = |c: usize| idx.iter().position(|x| *x == c);
    let mut mat = vec![vec![0f64; m + 1]; m];
    for p in pairs {
        let w = 1.0 / (p.uncertainty_ns.max(1000) as f64).powi(2);
        let t = p.theta_ns as f64;
        let (pa, pb) = (pos(p.a), pos(p.b));
        if (p.a != 0 && pa.is_none()) || (p.b != 0 && pb.is_none()) {
            continue;
        }
        // residual x_b − x_a − θ
        if let Some(ib) = pb {
            mat[ib][ib] += w;
            mat[ib][m] += w * t;
            if let Some(ia) = pa {
                mat[ib][ia] -= w;
            }
        }
        if let Some(ia) = pa {
            mat[ia][ia] += w;
            mat[ia][m] -= w * t;
            if let Some(ib) = pb {
                mat[ia][ib] -= w;
            }
        }
    }
    let x = gauss(mat);
    caps[0].offset_ns = Some(0);
    caps[0].uncertainty_ns = Some(0);
    for (k, c) in idx.iter().enumerate() {
        let Some((chain, bound)) = best[*c] else {
            continue;
        };
        let fit = x
            .as_ref()
            .and_then(|x| x.get(k))
            .copied()
            .filter(|v| v.is_finite());
        let off = fit.map_or(chain, |f| f.round() as i128);
        let u = (off - chain).abs() + bound;
        caps[*c].offset_ns = i64::try_from(off).ok();
        caps[*c].uncertainty_ns = i64::try_from(u).ok();
    }
    for (i, c) in caps.iter_mut().enumerate() {
        c.samples = pairs
            .iter()
            .filter(|p| p.a == i || p.b == i)
            .map(|p| p.samples)
            .sum();
    }
}

/// Gaussian elimination with partial pivoting; None when singular.
fn gauss(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    for col in 0..m {
        let piv = (col..m).max_by(|x, y| a[*x][col].abs().total_cmp(&a[*y][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        let pivot = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r == col {
                continue;
            }
            let f = row[col] / pivot[col];
            if f != 0.0 {
                for (x, p) in row.iter_mut().zip(&pivot).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..m).map(|r| a[r][m] / a[r][r]).collect())
}

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
    /// half's (None: fewer than 2 × [`MIN_SELECTED`] exchanges).
    pub drift: Option<Drift>,
    /// The exchanges are encrypted packets matched by their bytes (no
    /// key), not knet pings and pongs.
    pub from_packets: bool,
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
    /// Ping/pong sightings not kept (over [`MAX_SIGHTINGS`]).
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
    vantage: Vec<Vec<IpAddr>>,
    engine_caps: Vec<bool>,
    all: Vec<IpAddr>,
    pub bridge_only: bool,
}

impl Admit {
    pub fn packet(&self, p: &Packet<'_>) -> bool {
        if !self.engine_caps.get(p.source).copied().unwrap_or(false) {
            return false;
        }
        if self.bridge_only {
            return true;
        }
        let Some(v) = self.vantage.get(p.source) else {
            return false;
        };
        let (pref, other) = match p.knet {
            Some(Knet::Pong(_)) => (p.dgram.dst, p.dgram.src),
            _ => (p.dgram.src, p.dgram.dst),
        };
        v.contains(&pref) || (!self.all.contains(&pref) && v.contains(&other))
    }

    /// ICMP notices and the like, from capture `source`.
    pub fn other(&self, source: usize) -> bool {
        self.engine_caps.get(source).copied().unwrap_or(false)
    }
}

// ------------------------------------------------------------------ pass 2

#[derive(Debug, Clone, Copy)]
struct Pend {
    ts: i64,
    path: u32,
    arrival: bool,
}

#[derive(Debug)]
struct PathAcc {
    src: IpAddr,
    dst: IpAddr,
    src_cap: usize,
    dst_cap: usize,
    hist: Histogram<u32>,
    min_ns: i64,
    negative: u64,
    departures: u64,
    arrivals: u64,
    left_not_arrived: u64,
    arrived_not_seen_leaving: u64,
    /// Departure times of the first and last packet that never arrived.
    first_lost: Option<i64>,
    last_lost: i64,
}

/// Second pass: one-way delay and loss between the capture points, over the
/// merged stream with offsets applied (timestamps must already be corrected).
#[derive(Debug)]
pub struct OneWay {
    vantage: Vec<Vec<IpAddr>>,
    /// Corrected time each capture covers.
    cover: Vec<(i64, i64)>,
    /// The capture taken on the node of an address.
    cap_of: Vec<(IpAddr, usize)>,
    paths: Vec<PathAcc>,
    path_idx: FastMap<(IpAddr, IpAddr), u32>,
    pending: FastMap<u64, Pend>,
    fifo: VecDeque<(i64, u64)>,
    now: i64,
    window: i64,
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

    fn cap_of(&self, a: IpAddr) -> Option<usize> {
        self.cap_of.iter().find(|(x, _)| *x == a).map(|(_, c)| *c)
    }

    /// One decoded packet of capture `p.source`, timestamp corrected.
    pub fn observe(&mut self, p: &Packet<'_>) {
        let ts = p.ts;
        if ts > self.now {
            self.now = ts;
            self.expire(ts.saturating_sub(self.window));
        }
        let Some(v) = self.vantage.get(p.source) else {
            return;
        };
        let d = &p.dgram;
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
        let key = packet_key(d);
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
            }
            Some(_) => self.duplicates += 1,
            None => {
                if self.pending.len() >= MAX_PENDING {
                    self.overflow_pending += 1;
                    return;
                }
                self.pending.insert(key, Pend { ts, path, arrival });
                self.fifo.push_back((ts, key));
            }
        }
    }

    /// Resolves every sighting older than `before` that found no partner.
    fn expire(&mut self, before: i64) {
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
                    pa.first_lost = Some(pa.first_lost.map_or(ts, |f| f.min(ts)));
                    pa.last_lost = pa.last_lost.max(ts);
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
                    loss_pct: if sent == 0 {
                        0.0
                    } else {
                        100.0 * p.left_not_arrived as f64 / sent as f64
                    },
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
}

/// Everything the several-captures analysis adds to a report.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiView {
    /// File names, in input order.
    pub files: Vec<String>,
    pub clocks: ClockEstimate,
    /// Time shifts the user applied before the estimate, ns per capture.
    pub shifts_ns: Vec<i64>,
    pub one_way: Vec<OneWayView>,
    /// The link analysis read only the captures with no known vantage.
    pub bridge_only: bool,
    pub overflow_pending: u64,
    pub overflow_paths: u64,
}

/// Packets seen leaving one node's capture and never arriving in the
/// other's: at least this many make a path-loss finding.
pub const PATH_LOSS_MIN_PACKETS: u64 = 3;

/// A one-capture loss finding is dropped when the two captures matched at
/// least this many packets of its direction and none went missing.
pub const CONTRADICTION_MIN_MATCHED: u64 = 30;

impl MultiView {
    /// Adds a `one_way_loss` finding for every direction between two
    /// per-node captures that lost packets on the way (left the sender's
    /// capture, never reached the receiver's) at or above the loss warning
    /// threshold. Unlike the loss findings from one capture point, these
    /// cannot mistake a lost pong for a lost ping: the packets are counted
    /// at both ends.
    pub fn add_path_loss_findings(&self, snap: &mut Snapshot) {
        let node_of = |a: IpAddr| {
            snap.links.iter().find_map(|l| {
                if l.src_addr == a {
                    l.src_node
                } else if l.dst_addr == a {
                    l.dst_node
                } else {
                    None
                }
            })
        };
        let link_of = |s: IpAddr, d: IpAddr| {
            snap.links
                .iter()
                .find(|l| l.src_addr == s && l.dst_addr == d)
                .map(|l| l.link)
        };
        let thr = snap.thresholds.loss_warning_pct;
        let mut added = Vec::new();
        for o in &self.one_way {
            let Some(start) = o.first_lost_ns else {
                continue;
            };
            if o.left_not_arrived < PATH_LOSS_MIN_PACKETS || o.loss_pct < thr {
                continue;
            }
            let (src, dst) = (node_of(o.src_addr), node_of(o.dst_addr));
            let name = |n: Option<u16>, a: IpAddr| n.map_or(a.to_string(), |n| format!("node {n}"));
            let f = Finding::new(
                FindingKind::OneWayLoss,
                Severity::Warning,
                start,
                format!(
                    "{} of {} packets from {} never reached {} ({:.1} %): seen leaving one capture, \
                     absent from the other",
                    o.left_not_arrived,
                    o.matched + o.left_not_arrived,
                    name(src, o.src_addr),
                    name(dst, o.dst_addr),
                    o.loss_pct
                ),
            )
            .nodes(src, dst, link_of(o.src_addr, o.dst_addr), Some(Direction::SrcToDst))
            .ended(o.last_lost_ns.unwrap_or(start))
            .ev("loss_pct", o.loss_pct)
            .ev("left_not_arrived", o.left_not_arrived as f64)
            .ev("matched", o.matched as f64)
            .ev("arrived_not_seen_leaving", o.arrived_not_seen_leaving as f64);
            added.push(f);
        }
        // A loss finding from one capture point cannot tell a lost ping
        // from a lost pong; where both ends were captured and nothing that
        // left the sender went missing, it named the wrong direction.
        let contradicted = |f: &Finding| {
            matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss)
                && f.evidence("left_not_arrived").is_none()
                && snap
                    .links
                    .iter()
                    .find(|l| {
                        l.src_node == f.src_node
                            && l.dst_node == f.dst_node
                            && Some(l.link) == f.link
                    })
                    .and_then(|l| self.one_way_for(l.src_addr, l.dst_addr))
                    .is_some_and(|o| {
                        o.left_not_arrived == 0 && o.matched >= CONTRADICTION_MIN_MATCHED
                    })
        };
        let before = snap.findings.len();
        let kept: Vec<Finding> = snap
            .findings
            .drain(..)
            .filter(|f| !contradicted(f))
            .collect();
        snap.findings = kept;
        let removed = before - snap.findings.len();
        if !added.is_empty() || removed > 0 {
            snap.findings.extend(added);
            snap.findings.sort_by_key(|f| (f.start, f.kind.name()));
        }
    }

    pub fn one_way_for(&self, src: IpAddr, dst: IpAddr) -> Option<&OneWayView> {
        self.one_way
            .iter()
            .find(|o| o.src_addr == src && o.dst_addr == dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(n: usize) -> Vec<CaptureClock> {
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

    #[test]
    fn pair_min_delay_and_bound() {
        // true offset 1 ms; symmetric 100 µs paths, some queued samples
        let mut s: Vec<(i64, i64, i64)> = (0..50)
            .map(|k| {
                let q = if k % 3 == 0 { 5_000_000 } else { 0 };
                // queueing one way biases θ by q/2 and grows δ by q
                (1_000_000 + q / 2, 200_000 + q, k * 1_000_000_000)
            })
            .collect();
        let p = pair_estimate(0, 1, &mut s).expect("samples");
        assert_eq!(p.theta_ns, 1_000_000);
        assert_eq!(p.uncertainty_ns, 100_000);
        assert_eq!(p.delay_min_ns, 200_000);
        let d = p.drift.expect("enough samples");
        assert_eq!(d.change_ns, 0);
        assert!(!d.significant());
        // a clock running 100 ppm fast: 5 ms over 50 s
        let mut s: Vec<(i64, i64, i64)> = (0..50)
            .map(|k| (k * 100_000, 200_000, k * 1_000_000_000))
            .collect();
        let d = pair_estimate(0, 1, &mut s)
            .and_then(|p| p.drift)
            .expect("drift");
        assert!(d.significant(), "{d:?}");
        assert!((d.ppm() - 100.0).abs() < 10.0, "{}", d.ppm());
    }

    #[test]
    fn chain_and_least_squares() {
        let mut c = caps(3);
        let pairs = vec![
            PairClock {
                a: 0,
                b: 1,
                samples: 10,
                selected: 5,
                theta_ns: 2_000_000,
                uncertainty_ns: 50_000,
                theta_all_median_ns: 0,
                delay_min_ns: 0,
                delay_p50_ns: 0,
                drift: None,
                from_packets: false,
            },
            PairClock {
                a: 1,
                b: 2,
                samples: 10,
                selected: 5,
                theta_ns: -500_000,
                uncertainty_ns: 50_000,
                theta_all_median_ns: 0,
                delay_min_ns: 0,
                delay_p50_ns: 0,
                drift: None,
                from_packets: false,
            },
        ];
        solve(&mut c, &pairs);
        assert_eq!(c[1].offset_ns, Some(2_000_000));
        assert_eq!(c[2].offset_ns, Some(1_500_000));
        assert_eq!(c[2].uncertainty_ns, Some(100_000));
        // disconnected capture: unknown
        let mut c = caps(3);
        solve(&mut c, &pairs[..1]);
        assert_eq!(c[2].offset_ns, None);
    }

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

    #[test]
    fn empty_inputs() {
        let e = ClockSurvey::new(0).finish();
        assert!(e.captures.is_empty());
        let e = ClockSurvey::new(2).finish();
        assert_eq!(e.captures[0].offset_ns, Some(0));
        assert_eq!(e.captures[1].offset_ns, None);
        let mut ow = OneWay::new(&e);
        ow.finish();
        assert!(ow.view().is_empty());
    }
}
