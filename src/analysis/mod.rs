//! The analysis engine: decoded packets in, a [`Snapshot`] out.
//!
//! The engine runs on capture timestamps only (never the wall clock), keeps
//! bounded state per directed link (pinger/sender address, receiver
//! address, knet link), and derives typed [`Finding`]s against the cluster's
//! budgets ([`Thresholds`]).
//!
//! How the measurements are defined (also in the README's metric section):
//! - RTT: a PONG is matched to its PING by (pinger address, responder
//!   address, link, the 16 echoed time bytes); RTT = t(pong) − t(ping) at the
//!   capture point. On a capture taken on the responder this is the
//!   responder's delay, not the round trip (see [`Measures`]).
//! - Vantage: a Linux cooked capture (`-i any`) marks the frames the host
//!   sent; the node that sent at least 99 % of them is the vantage. Else,
//!   when one address takes part in every directed path and at least two
//!   peers are seen, the capture was taken on that node; otherwise (bridge,
//!   or a two-node cluster captured on Ethernet) the vantage is unknown and
//!   ping→pong times are treated as round trips.
//! - Loss of a pinger's pings: pings absent from its cadence (a gap of n
//!   spacings = n − 1 missing; spacing = interval rounded up to 200 ms) plus
//!   pings seen whose pong did not come within the ping timeout.
//! - Loss in direction A→B: A's pings missing from A's cadence were lost
//!   before the capture point; A's pings seen but unanswered were lost after
//!   it on the way to B, or their pong was lost at B's egress — which then
//!   also shows as B's own pings missing. Rule: when B's pings are missing
//!   at least half as often as A's go unanswered, A's unanswered pings are
//!   B's egress loss; otherwise loss(A→B) = max(missing_A, unanswered_A).
//!   At a bridge this separates egress from ingress loss; a cut both ways is
//!   seen as loss towards the silent node until its pings resume.
//! - Link state: knet's rule at the pinger: up on the (pong_count+1)-th pong
//!   while down; down when no pong for ping_timeout × backoff + 2 × average
//!   latency, backoff 10 right after a fresh start/up, minus one per second,
//!   down to 1. A link first seen answering a ping with data seq ≠ 0 is
//!   assumed already up (capture started mid-run, backoff 1).
//!
//! Modules (each engine module's doc states the knet or totem rule it
//! models):
//! - `engine` — [`Engine`]: per-packet work and per-second judgement,
//!   split by concern, each owning its part of the per-path state:
//!   `path` (directed paths, their buckets, flow lookup via `flow`),
//!   `clock` (capture time, the once-a-second tick), `nodes` (senders,
//!   addresses, silences and stalls), `ping` (pings, pongs, RTT), `link`
//!   (knet's link state: pong_count, ping timeout × backoff), `pmtud`
//!   (probes, replies, ICMP too-big), `loss` and `seqloss` (loss windows
//!   and episodes from pings and DATA seq), `latency`, `asym` and `sizes`
//!   (RTT episodes and budget, the two directions of a pair, latency by
//!   size), `totem`, `hold` and `fasthist` (tokens, retransmits, rotation,
//!   hold), `membership` (rings), `inferred` (the keyless inference's
//!   decisions) and `views` (building the [`Snapshot`]).
//! - `findings` — [`Finding`]: every finding is made by `Finding::new`
//!   (about a path: `Dir::finding`).
//! - `snapshot` — the [`Snapshot`] and its views, what every output reads.
//! - `budget` — [`Thresholds`]: the cluster's budgets the findings use.
//! - `multi` — several captures of one cluster: `survey` (sightings and
//!   vantages), `solve` (min-δ pair estimates, least-squares offsets),
//!   `clock` (the estimate and packet admission), `oneway` (one-way delay
//!   and loss between capture points), `view` (what they add to a report).
//! - `timeline` — [`timeline::Sample`]: a snapshot's numbers at one moment
//!   (what the metrics are written from), and the per-second
//!   [`timeline::Timeline`] of a run.
//! - `vantage` — which node a capture was taken on; `hash` — the engine's
//!   small maps.
//!
//! The analysis reads decoded packets (`decode`, `wire`, `infer`) and the
//! budgets' sources (`config`); nothing here imports the commands, the
//! report writers or the TUI.

mod budget;
pub mod coverage;
mod engine;
pub mod incidents;
/// Constructed packets for tests elsewhere in the crate (the report
/// writers' tests feed the engine with them).
#[cfg(test)]
pub(crate) use engine::testkit;
mod findings;
mod hash;
pub mod multi;
mod snapshot;
pub mod timeline;
mod vantage;

pub use budget::{BudgetSources, Limits, Thresholds, round_up_to_grid};
pub use coverage::Coverage;
pub use engine::{Engine, SIZE_BOUNDS};
pub use findings::{Direction, Finding, FindingKind, Severity};
pub use incidents::{Cause, Incident, incidents};
pub use snapshot::{
    LinkState, LinkView, Measures, MembershipView, NodeView, Overflow, Quantiles, RTT_BUCKETS_US,
    RTT_HIST_LEN, SeriesPoint, SizeBucket, Snapshot, TOKEN_BUCKETS_US, TOKEN_HIST_LEN,
    TOKEN_ROTATIONS_KEPT, TRAFFIC_TYPES, TokenRotation, TotemView, Transition, TypeCount,
};
