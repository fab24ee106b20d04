//! The engine's output: a plain-data copy of everything the TUI and the
//! report writers show. No I/O, no formatting.

use std::net::IpAddr;

use hdrhistogram::Histogram;

use super::budget::Thresholds;
use super::findings::{Finding, Severity};

/// Quantiles of a histogram, microseconds (or ms where the field says so).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Quantiles {
    pub count: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

/// knet's view of a link, as judged from the pinger's pongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No pong seen yet.
    Unknown,
    Down,
    Up,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Unknown => "unknown",
            LinkState::Down => "down",
            LinkState::Up => "up",
        }
    }
}

/// One up/down transition of a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub ts: i64,
    pub up: bool,
    /// Down: the ms without a pong that knet tolerated (timeout × backoff +
    /// 2 × average latency). Up: the pong count reached.
    pub rule_value: u64,
}

/// One second of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesPoint {
    /// Start of the second, ns since the epoch.
    pub ts: i64,
    pub pings: u32,
    pub pongs: u32,
    /// Pings missing against the cadence plus pings unanswered.
    pub lost: u32,
    pub rtt_avg_us: u32,
    pub rtt_max_us: u32,
    /// Median RTT of the second's pongs, µs (0 without any): exact up to
    /// 8 pongs a second, past that the median of the last 8.
    pub rtt_p50_us: u32,
    pub packets: u32,
    pub bytes: u64,
}

/// Upper bounds (µs) of the RTT histogram buckets in [`LinkView::rtt_hist`]:
/// log-spaced 1-2-5 steps from 50 µs to 2 s. Bucket `i` counts RTTs above
/// bound `i - 1` and at most bound `i`; the last bucket (index
/// `RTT_BUCKETS_US.len()`) is open and counts everything above 2 s.
pub const RTT_BUCKETS_US: [u64; 15] = [
    50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000,
];

/// Buckets of [`LinkView::rtt_hist`]: the bounded ones and the open one.
pub const RTT_HIST_LEN: usize = RTT_BUCKETS_US.len() + 1;

/// Upper bounds (µs) of the token rotation and hold histogram buckets in
/// [`TotemView::rotation_hist`] and [`TotemView::hold_hist`]: 1-2-5 steps
/// from 100 µs to 10 s, so rotations past a token timeout of several
/// seconds still land in a bounded bucket. The last bucket (index
/// `TOKEN_BUCKETS_US.len()`) is open.
pub const TOKEN_BUCKETS_US: [u64; 16] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 5_000_000, 10_000_000,
];

/// Buckets of the token histograms: the bounded ones and the open one.
pub const TOKEN_HIST_LEN: usize = TOKEN_BUCKETS_US.len() + 1;

/// Token rotations kept in [`TotemView::rotations`] (the most recent).
pub const TOKEN_ROTATIONS_KEPT: usize = 600;

/// Counts of an HDR histogram (values in µs) in the [`RTT_BUCKETS_US`]
/// buckets. Each recorded value is bucketed by the lowest value it stands
/// for, so a bucket holds what the histogram's resolution allows (1 %).
pub(crate) fn rtt_buckets<T: hdrhistogram::Counter>(h: &Histogram<T>) -> [u64; RTT_HIST_LEN] {
    let mut out = [0u64; RTT_HIST_LEN];
    count_into(h, &RTT_BUCKETS_US, &mut out);
    out
}

/// Counts of an HDR histogram (values in µs) in the [`TOKEN_BUCKETS_US`]
/// buckets, as [`rtt_buckets`] does.
pub(crate) fn token_buckets<T: hdrhistogram::Counter>(h: &Histogram<T>) -> [u64; TOKEN_HIST_LEN] {
    let mut out = [0u64; TOKEN_HIST_LEN];
    count_into(h, &TOKEN_BUCKETS_US, &mut out);
    out
}

/// Adds each recorded value's count to the bucket of `bounds` (upper
/// bounds, ascending) that holds its lowest equivalent value; `out` has one
/// slot more than `bounds`, the open bucket.
fn count_into<T: hdrhistogram::Counter>(h: &Histogram<T>, bounds: &[u64], out: &mut [u64]) {
    for v in h.iter_recorded() {
        let us = h.lowest_equivalent(v.value_iterated_to());
        let i = bounds.partition_point(|&upper| upper < us);
        if let Some(slot) = out.get_mut(i) {
            *slot = slot.saturating_add(v.count_since_last_iteration());
        }
    }
}

/// One full token rotation as seen at one node: the time between two
/// successive new tokens arriving there.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TokenRotation {
    /// Arrival of the token that closed the rotation, ns since the epoch.
    pub ts: i64,
    /// The receiving node.
    pub node: u32,
    pub ms: f64,
}

/// Packets and bytes of one type on one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeCount {
    pub packets: u64,
    pub bytes: u64,
}

/// Names of `LinkView::traffic` rows.
pub const TRAFFIC_TYPES: [&str; 7] = [
    "data",
    "ping",
    "pong",
    "pmtud",
    "pmtud_reply",
    "totem_udp",
    "other",
];

/// What the ping→pong time measures on this direction at this capture point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measures {
    /// Capture between the hosts or on the pinger: the round trip.
    RoundTrip,
    /// Capture on the responder: ping arrival to pong departure (host delay).
    ResponderDelay,
}

/// One directed link: `src` pings `dst` on `link`; traffic counters are for
/// packets sent from src to dst.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub src_node: Option<u16>,
    pub dst_node: Option<u16>,
    pub src_addr: IpAddr,
    pub dst_addr: IpAddr,
    pub link: u8,
    pub first_ts: i64,
    pub last_ts: i64,
    pub pings_sent: u64,
    pub pongs_received: u64,
    /// Pings seen whose pong never came within the ping timeout.
    pub pings_unanswered: u64,
    /// Pings absent from the pinger's cadence (gaps of several spacings).
    pub pings_missing: u64,
    /// Pongs that came after the ping timeout (knet discards them).
    pub late_pongs: u64,
    pub rtt_us: Option<Quantiles>,
    /// Every RTT sample counted in the [`RTT_BUCKETS_US`] buckets.
    pub rtt_hist: [u64; RTT_HIST_LEN],
    /// Mean absolute difference of consecutive RTTs, µs.
    pub jitter_us: f64,
    pub measures: Measures,
    /// Percent of src's pings lost (missing + unanswered) of those expected.
    pub ping_loss_pct: f64,
    /// Estimated percent of packets from src that did not reach dst: lost
    /// before the capture point (pings missing from src's cadence, DATA
    /// copies missing, src's pongs missing) combined with lost after it
    /// (src's pings unanswered, unless dst's pongs were the ones lost).
    pub loss_pct: f64,
    /// DATA copies src sent that could have been missed (another copy of
    /// the broadcast, or the next seq of a single-destination stream, was
    /// seen) and were seen / were lost before the capture point.
    pub data_copies_seen: u64,
    pub data_copies_lost: u64,
    /// Packets src sent to dst by IP size class (`SIZE_BOUNDS`), with the
    /// latency of that size where measurable.
    pub size_buckets: Vec<SizeBucket>,
    pub max_ping_gap_ms: f64,
    pub max_ping_gap_at: i64,
    /// Longest time without a pong for src's pings (knet's down criterion).
    pub max_silence_ms: f64,
    pub max_silence_at: i64,
    /// Time since the last pong at snapshot time.
    pub pong_age_ms: f64,
    pub state: LinkState,
    pub transitions: Vec<Transition>,
    pub downs: u64,
    /// Largest PMTUD size (IP length) dst acknowledged in the latest run.
    pub pmtu: Option<u16>,
    /// Smallest PMTU any completed run acknowledged (the worst the path got).
    pub pmtu_min: Option<u16>,
    /// Probe sizes of the latest run that got no reply.
    pub pmtud_unanswered: Vec<u16>,
    pub pmtud_probes: u64,
    pub pmtud_replies: u64,
    pub icmp_too_big: u64,
    pub icmp_mtu: Option<u32>,
    pub ip_fragments: u64,
    /// Indexed like [`TRAFFIC_TYPES`].
    pub traffic: [TypeCount; 7],
    /// Up to `Limits::series_len` last seconds, oldest first.
    pub series: Vec<SeriesPoint>,
}

/// Packets of one size class on one directed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeBucket {
    /// Largest IP length in the class; None for the last (larger than all bounds).
    pub max_bytes: Option<u32>,
    pub packets: u64,
    /// Median latency of packets of this size, µs: ping RTT for the smallest
    /// class, PMTUD probe→reply time for the others (None: not measured).
    pub rtt_us_p50: Option<u64>,
}

/// A node as seen in the traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    pub id: u16,
    pub addrs: Vec<IpAddr>,
    pub first_ts: i64,
    pub last_ts: i64,
    pub packets: u64,
    /// Longest pause in everything the node sent, ms, and when it began.
    pub max_gap_ms: f64,
    pub max_gap_at: i64,
}

/// One ring in the membership timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipView {
    /// First orf token of the ring (or its commit token), ns.
    pub ts: i64,
    /// As corosync logs it: "1.d".
    pub ring_id: String,
    pub rep: u32,
    pub seq: u64,
    pub members: Vec<u32>,
    /// True when no commit token was seen: members are the token forwarders seen.
    pub members_inferred: bool,
    pub left: Vec<u32>,
    pub joined: Vec<u32>,
    /// Known only as the ring some members of this later ring came from
    /// (its commit token's entries): it formed before `ts`, unseen.
    pub named_by: Option<String>,
    /// Formed during the capture: its commit token was seen, so whether it
    /// became operational is known from the wire.
    pub formed_in_capture: bool,
    /// When it showed it was working (totem's OPERATIONAL state: a message
    /// not encapsulated, or its representative's merge-detect), ns; a ring
    /// formed before the capture, from when it was first seen.
    pub operational_at: Option<i64>,
    /// The last token or message of the ring seen, ns.
    pub last_ts: i64,
    /// Operational, an attempt that never was, or still forming.
    pub state: RingState,
    /// For a ring formed in the capture that became operational: when the
    /// ring its representative came from was last seen working. Between
    /// then and `operational_at` that side of the cluster had no working
    /// ring.
    pub down_since: Option<i64>,
    /// Attempts (rings that never became operational) between `down_since`
    /// and this ring.
    pub attempts: u32,
}

impl MembershipView {
    /// For a ring formed in the capture that became operational, how long
    /// its side had no working ring before it, ns.
    pub fn no_ring_ns(&self) -> Option<i64> {
        self.down_since
            .zip(self.operational_at)
            .map(|(d, at)| at - d)
    }

    /// That time, when worth telling: after failed attempts, or a second
    /// or more.
    pub fn notable_no_ring_ns(&self) -> Option<i64> {
        self.no_ring_ns()
            .filter(|&ns| self.attempts > 0 || ns >= 1_000_000_000)
    }
}

/// Whether a ring became operational.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingState {
    /// It worked: operational in the capture, or formed before it.
    Operational,
    /// Its commit token went round but it never became operational: a
    /// later ring of its members replaced it (recovery failed, or the
    /// commit token did not come back).
    Attempt,
    /// Not operational yet (the capture ended, or has not shown it).
    Forming,
}

impl RingState {
    /// As the JSON and text reports name it.
    pub fn name(self) -> &'static str {
        match self {
            RingState::Operational => "operational",
            RingState::Attempt => "attempt",
            RingState::Forming => "forming",
        }
    }
}

/// Totem summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TotemView {
    pub tokens: u64,
    /// Time between successive new tokens arriving at the same node, µs.
    pub token_rotation_us: Option<Quantiles>,
    /// Token hold time per node, µs: from a new token seen on its way to the
    /// node to the node's next token (node id, quantiles), by node id.
    pub hold_us: Vec<(u32, Quantiles)>,
    /// Every rotation counted in the [`TOKEN_BUCKETS_US`] buckets.
    pub rotation_hist: [u64; TOKEN_HIST_LEN],
    /// Per node (as `hold_us`): every hold counted in the
    /// [`TOKEN_BUCKETS_US`] buckets.
    pub hold_hist: Vec<(u32, [u64; TOKEN_HIST_LEN])>,
    pub max_rotation_node: Option<u32>,
    pub max_rotation_at: i64,
    /// Same token_seq sent again by the same node ≥ 10 ms later.
    pub token_retransmits: u64,
    /// Same token_seq again within 10 ms (a copy on another link, active mode).
    pub token_copies: u64,
    pub rtr_max: u32,
    pub tokens_with_rtr: u64,
    pub rtr_entries: u64,
    pub mcasts: u64,
    /// mcasts sent by a node other than their originator (re-multicast).
    pub mcast_retransmits: u64,
    pub encapsulated: u64,
    pub joins: u64,
    pub commit_tokens: u64,
    pub merge_detects: u64,
    pub hold_cancels: u64,
    pub max_backlog: u32,
    /// (link, data packets) carrying totem.
    pub data_by_link: Vec<(u8, u64)>,
    /// Per second: (ts, tokens, max rtr entries).
    pub series: Vec<(i64, u32, u32)>,
    /// The last [`TOKEN_ROTATIONS_KEPT`] rotations, oldest first, measured
    /// at one node: the first node whose rotation was measured, replaced by
    /// another once no token reached it for a token timeout.
    pub rotations: Vec<TokenRotation>,
    /// Per node, when a new token was last seen on its way to it (ns),
    /// ascending by node: how long each node has been without the token.
    pub last_token: Vec<(u32, i64)>,
}

/// The budgets checked against the wire (`src/analysis/mod.rs`, "Budgets
/// checked against the wire"): what the traffic shows of knet's ping
/// cadence and of totem's token hold, and where it contradicts the
/// budgets. Decided once, when the pings of a path gave their cadence (or
/// at the end of a capture without knet pings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireView {
    /// The spacing of timed pings most paths show (ms, on knet's 200 ms
    /// grid), how many paths show it, and how many were measured.
    pub ping_spacing_ms: Option<u32>,
    pub spacing_paths: u32,
    pub paths_measured: u32,
    /// The node holding an idle token longest (the ring's representative),
    /// its hold (ms, 99th percentile) and how many holds fell within 10 %
    /// of it.
    pub hold_node: Option<u32>,
    pub hold_ms: Option<f64>,
    pub holds: u64,
    /// The effective token that hold implies (corosync's hold formula read
    /// backwards).
    pub token_from_hold_ms: Option<u32>,
    /// The budgets checked (token, ping spacing, ms) and where they came
    /// from, as they were before the wire was read.
    pub checked_token_ms: u32,
    pub checked_spacing_ms: u32,
    /// What the wire contradicts, one sentence each (empty: consistent).
    pub contradictions: Vec<String>,
    /// Budgets taken from the wire and judged with (empty: none).
    pub used: Vec<String>,
}

/// State that was not tracked because a cap was reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overflow {
    pub paths: u64,
    pub nodes: u64,
    pub addrs: u64,
    pub pending_pings: u64,
    pub findings: u64,
    pub memberships: u64,
}

/// Everything the engine knows at one moment of capture time.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub first_ts: Option<i64>,
    /// Latest capture time seen (or `finish`'s end).
    pub now: i64,
    pub finished: bool,
    pub thresholds: Thresholds,
    pub packets: u64,
    pub bytes: u64,
    /// Packets that could not be decoded (encrypted without key, malformed).
    pub opaque_packets: u64,
    /// The node the capture was taken on, when it can be told.
    pub vantage: Option<u16>,
    pub nodes: Vec<NodeView>,
    pub links: Vec<LinkView>,
    pub totem: TotemView,
    pub membership: Vec<MembershipView>,
    /// In start-time order.
    pub findings: Vec<Finding>,
    /// Node names from the configuration (`Engine::set_node_names`).
    pub node_names: Vec<(u16, String)>,
    /// The budgets checked against the wire.
    pub wire: WireView,
    pub overflow: Overflow,
}

impl Snapshot {
    /// The node id a link names for address `a` (as sender or receiver).
    pub fn node_of_addr(&self, a: IpAddr) -> Option<u16> {
        self.links.iter().find_map(|l| {
            if l.src_addr == a {
                l.src_node
            } else if l.dst_addr == a {
                l.dst_node
            } else {
                None
            }
        })
    }
    /// The worst severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
    /// The configured name of a node, if any.
    pub fn node_name(&self, id: u16) -> Option<&str> {
        self.node_names
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, s)| s.as_str())
    }
    /// Links of one direction.
    pub fn link(&self, src: u16, dst: u16, link: u8) -> Option<&LinkView> {
        self.links
            .iter()
            .find(|l| l.src_node == Some(src) && l.dst_node == Some(dst) && l.link == link)
    }
}
