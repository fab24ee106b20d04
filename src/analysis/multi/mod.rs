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

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::net::IpAddr;

use crate::analysis::hash::FastHasher;
use crate::wire::net::Datagram;

mod clock;
mod oneway;
mod solve;
mod survey;
mod view;

#[cfg(test)]
use clock::caps;
pub use clock::{Admit, CaptureClock, ClockEstimate, ClockPoint, Drift, PairClock};
pub use oneway::{Ends, OneWay, OneWayPoint, OneWayView};
use solve::{pair_estimate, solve};
pub use survey::ClockSurvey;
pub use view::{CONTRADICTION_MIN_MATCHED, MultiView, PATH_LOSS_MIN_PACKETS};

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

/// Points at most in a series over time (a pair's offset, a direction's
/// one-way delay): the span is cut into this many bins of whole seconds.
pub const SERIES_POINTS: i64 = 480;

/// The bin width (ns, whole seconds, at least one) that cuts `span_ns`
/// into at most [`SERIES_POINTS`] bins.
pub fn series_step_ns(span_ns: i64) -> i64 {
    const S: u64 = 1_000_000_000;
    let secs = (span_ns.max(0) as u64).div_ceil(S).max(1);
    let step = secs.div_ceil(SERIES_POINTS as u64).max(1) * S;
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// How the offsets were estimated (shown in the reports).
pub const METHOD: &str = "ntp-4ts-min-delay";

pub(super) fn hash_of(f: impl FnOnce(&mut FastHasher)) -> u64 {
    let mut h = BuildHasherDefault::<FastHasher>::default().build_hasher();
    f(&mut h);
    h.finish()
}

/// What recognises one packet in two captures: addresses, ports, length
/// and the leading payload bytes (ciphertext included).
pub(super) fn packet_key(d: &Datagram<'_>) -> u64 {
    hash_of(|h| {
        hash_addr(h, d.src);
        hash_addr(h, d.dst);
        h.write_u16(d.sport);
        h.write_u16(d.dport);
        h.write_usize(d.payload_len);
        h.write(&d.payload[..d.payload.len().min(HASHED_PAYLOAD)]);
    })
}

/// The key the one-way matcher knows a packet by in every capture that
/// saw it ([`OneWay::observe_rec`]).
pub fn packet_key_of(p: &crate::decode::Packet<'_>) -> u64 {
    packet_key(&p.dgram)
}

pub(super) fn hash_addr(h: &mut FastHasher, a: IpAddr) {
    match a {
        IpAddr::V4(v) => h.write(&v.octets()),
        IpAddr::V6(v) => h.write(&v.octets()),
    }
}
