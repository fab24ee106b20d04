//! The engine's state and the per-packet work.

use std::net::IpAddr;

use hdrhistogram::Histogram;

use super::budget::Thresholds;
use super::findings::{Direction, Finding, FindingKind, Severity};
use super::hash::{FastMap, SmallMap, insert_capped};
use super::snapshot::*;
use crate::decode::Packet;
use crate::infer::{Inference, Kind, Record};
use crate::wire::knet::{Knet, Ping, Pmtud};
use crate::wire::net::TooBig;
use crate::wire::totem::{Body, OrfToken, RingId, Totem};

mod asym;
mod fasthist;
mod flow;
mod hold;
mod seqloss;
mod sizes;
use seqloss::SeqTrack;
pub use sizes::SIZE_BOUNDS;
use sizes::SizeStats;

const NS: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// Highest RTT / rotation the histograms hold, µs (larger values saturate).
const HIST_MAX_US: u64 = 120_000_000;
/// A PMTUD run ends when no probe came for this long.
const PMTUD_RUN_GAP: i64 = 5 * NS;
/// A token with the same token_seq this soon after is a copy on another link.
const TOKEN_COPY_WINDOW: i64 = 10 * MS;
/// Retransmit lists on tokens closer than this belong to one episode.
const RTR_EPISODE_GAP: i64 = NS;
/// A retransmit episode at least this long is a storm.
const RTR_STORM_MIN: i64 = 2 * NS;

fn new_hist() -> Histogram<u32> {
    // Two significant digits (1 % resolution) keep a histogram near 15 KiB.
    Histogram::new_with_bounds(1, HIST_MAX_US, 2).expect("constant histogram bounds are valid")
}

fn quantiles<T: hdrhistogram::Counter>(h: &Histogram<T>, div: u64) -> Option<Quantiles> {
    if h.is_empty() {
        return None;
    }
    let d = div.max(1);
    Some(Quantiles {
        count: h.len(),
        min: h.min() / d,
        p50: h.value_at_quantile(0.5) / d,
        p90: h.value_at_quantile(0.9) / d,
        p99: h.value_at_quantile(0.99) / d,
        max: h.max() / d,
        mean: h.mean() / d as f64,
    })
}

/// The pending-ping key of an inferred ping: its place in the input, in
/// bytes no monotonic timespec has (tv_nsec would be negative).
fn inferred_key(source: usize, packet_no: u64) -> [u8; 16] {
    let mut time = [0xffu8; 16];
    time[..8].copy_from_slice(&packet_no.to_le_bytes());
    time[8..12].copy_from_slice(&(source as u32).to_le_bytes());
    time
}

/// Capture timestamps are kept within 1970..2200.
/// The link of a packet nothing else tells: knet's default ports 5405+N.
fn port_rule(dport: u16) -> u8 {
    match dport.checked_sub(5405) {
        Some(n) if n < 8 => n as u8,
        _ => 0,
    }
}

fn clamp_ts(ts: i64) -> i64 {
    ts.clamp(0, 7_258_118_400 * NS)
}

fn ms(ns: i64) -> f64 {
    ns as f64 / MS as f64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PathKey {
    src: IpAddr,
    dst: IpAddr,
    link: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct PingKey {
    pinger: IpAddr,
    responder: IpAddr,
    link: u8,
    time: [u8; 16],
}

/// Where a path's sender and receiver sit in the engine's small per-node
/// tables, found last time (each checked before use): spares the per-packet
/// scans.
#[derive(Debug, Clone, Copy, Default)]
struct Hints {
    nodes: u16,
    seqs: u16,
    tx: u16,
    rx: u16,
}

/// Adds `n` DATA packets on `link` to a per-link count (at most 8 links,
/// knet's maximum).
fn add_link_count(counts: &mut Vec<(u8, u64)>, link: u8, n: u64) {
    if let Some(e) = counts.iter_mut().find(|(l, _)| *l == link) {
        e.1 += n;
    } else if counts.len() < 8 {
        counts.push((link, n));
    }
}

/// A packet's place, found by [`Engine::begin`].
#[derive(Debug, Clone, Copy)]
struct Ctx {
    ts: i64,
    sec: i64,
    link: u8,
    dir: Option<u32>,
    knet_node: Option<u16>,
    hints: Hints,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    ts: i64,
    dir: u32,
    data_seq: u16,
    expired: bool,
    /// Never counted as unanswered (an inferred ping without its pair).
    no_loss: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    sec: i64,
    pings: u32,
    pongs: u32,
    missing: u32,
    unanswered: u32,
    /// Earliest loss event in this second (0 = none).
    first_loss: i64,
    last_loss: i64,
    rtt_sum_us: u64,
    rtt_n: u32,
    rtt_max_us: u32,
    packets: u32,
    bytes: u64,
    /// DATA copies that could have been missed and were seen / were lost
    /// before the capture point (see `seqloss`).
    data_seen: u32,
    data_lost: u32,
}

impl Bucket {
    /// Any loss counted in this second: pings, pongs or DATA copies.
    fn lost_any(&self) -> bool {
        self.missing + self.unanswered + self.data_lost > 0
    }

    fn loss_at(&mut self, ts: i64) {
        if self.first_loss == 0 || ts < self.first_loss {
            self.first_loss = ts;
        }
        self.last_loss = self.last_loss.max(ts);
    }
}

/// Loss samples of one direction (src → dst) at one capture point.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    pings: u64,
    missing: u64,
    unanswered: u64,
    data_seen: u64,
    data_lost: u64,
}

impl Side {
    fn of(d: &Dir) -> Side {
        Side {
            pings: d.pings,
            missing: d.missing,
            unanswered: d.unanswered,
            data_seen: d.data_seen,
            data_lost: d.data_lost,
        }
    }
    /// Samples the loss estimate rests on.
    fn samples(&self) -> u64 {
        self.pings + self.missing + self.data_seen + self.data_lost
    }
    fn add(&mut self, b: &Bucket) {
        self.pings += u64::from(b.pings);
        self.missing += u64::from(b.missing);
        self.unanswered += u64::from(b.unanswered);
        self.data_seen += u64::from(b.data_seen);
        self.data_lost += u64::from(b.data_lost);
    }
    /// Packets lost before the capture point and all samples: pings missing
    /// from the cadence, DATA copies missing (`seqloss`).
    fn before(&self) -> (u64, u64) {
        let lost = self.missing + self.data_lost;
        (lost, lost + self.pings + self.data_seen)
    }
}

/// Sums over a loss episode for both directions of the pair.
#[derive(Debug, Clone, Copy, Default)]
struct LossSums {
    fwd: Side,
    rev: Side,
}

impl LossSums {
    fn add(&mut self, b: &Bucket, r: Option<&Bucket>) {
        self.fwd.add(b);
        if let Some(r) = r {
            self.rev.add(r);
        }
    }
    /// Estimated loss % from src to dst, and from dst to src (see
    /// `loss_estimate`).
    fn estimates(&self) -> (f64, f64) {
        (
            loss_estimate(&self.fwd, &self.rev),
            loss_estimate(&self.rev, &self.fwd),
        )
    }
    fn lost_fwd(&self) -> u64 {
        self.fwd.missing + self.fwd.unanswered + self.fwd.data_lost
    }
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// Loss from X to Y in percent, at one capture point, from two kinds of
/// evidence:
///
/// * before the capture point: X's pings missing from its cadence and X's
///   DATA copies missing (`seqloss`), out of all such samples; plus X's
///   pongs lost, which show as Y's pings unanswered (see below);
/// * after it: X's pings seen but unanswered were lost on the way to Y —
///   or their pong was lost at Y's egress. So: when Y shows loss before the
///   capture point at least a quarter as often as X's pings go unanswered
///   (its DATA and pings are lost there, so its pongs are too), the
///   unanswered ones are Y's pongs lost (counted in Y→X); otherwise they
///   are the share of X's packets lost after the capture point (the only
///   evidence of loss behind a bridge capture: the packet is on the wire).
///
/// The two combine as independent stages: 1 − (1 − before)(1 − after).
fn loss_estimate(f: &Side, r: &Side) -> f64 {
    let (f_lost, f_n) = f.before();
    let (r_lost, r_n) = r.before();
    let u = pct(f.unanswered, f.pings);
    let ru = pct(r.unanswered, r.pings);
    let f_pongs_lost = u > 0.0 && pct(r_lost, r_n) >= u / 4.0;
    let r_pongs_lost = ru > 0.0 && pct(f_lost, f_n) >= ru / 4.0;
    let (mut lost, mut n) = (f_lost, f_n);
    if r_pongs_lost {
        // One pong per ping of Y's that X received.
        lost += r.unanswered;
        n += r.pings;
    }
    let before = pct(lost, n) / 100.0;
    let after = if f_pongs_lost { 0.0 } else { u / 100.0 };
    100.0 * (1.0 - (1.0 - before) * (1.0 - after))
}

#[derive(Debug, Clone, Copy)]
struct LossEpisode {
    start: i64,
    last_loss: i64,
    sums: LossSums,
}

#[derive(Debug)]
struct LatEpisode {
    start: i64,
    last: i64,
    hist: Histogram<u32>,
    calm: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Probe {
    size: u16,
    acked: bool,
    /// When the latest probe of this size left.
    ts: i64,
}

#[derive(Debug)]
struct Dir {
    key: PathKey,
    rev: Option<u32>,
    hints: Hints,
    src_node: Option<u16>,
    dst_node: Option<u16>,
    first_ts: i64,
    last_ts: i64,
    traffic: [TypeCount; 7],
    ip_fragments: u64,
    /// knet DATA packets carrying a totem message.
    totem_data: u64,
    // src's ping session to dst
    pings: u64,
    pongs: u64,
    unanswered: u64,
    missing: u64,
    late_pongs: u64,
    last_ping: Option<i64>,
    max_ping_gap: i64,
    max_ping_gap_at: i64,
    last_pong: Option<i64>,
    /// Capture time of the ping answered by `last_pong`.
    last_pong_ping: i64,
    max_pong_gap: i64,
    max_pong_gap_at: i64,
    rtt: Histogram<u32>,
    min_rtt_us: u64,
    last_rtt_us: Option<u64>,
    jitter_sum: f64,
    jitter_n: u64,
    avg_lat_us: f64,
    lat_n: u32,
    // knet link model
    state: LinkState,
    /// The link was up at least once: loss is only counted from then on
    /// (before, the peer may simply not run yet).
    ever_up: bool,
    /// Capture time of the first pong: earlier pings never count as lost.
    first_pong: i64,
    pongs_while_down: u32,
    /// knet multiplies the ping timeout by a backoff that is 10 when the link
    /// is (re)configured or goes down and drops by one on each run of its
    /// once-a-second adjustment (phase unknown: rounded) down to 1: the time
    /// it was last reset (i64::MIN: long ago, backoff 1).
    backoff_from: i64,
    /// Fed by the keyless inference.
    inferred: bool,
    /// The pinger fell silent past a down deadline and sent again: (resume
    /// time, deadline). Decided once it is clear whether it was stalled.
    resume_check: Option<(i64, i64)>,
    transitions: Vec<Transition>,
    downs: u64,
    open_down: Option<usize>,
    down_times: [i64; 8],
    // PMTUD
    probes: Vec<Probe>,
    run_last: Option<i64>,
    /// Size of the latest probe (a reply answers the probe just sent).
    last_probe: Option<u16>,
    run_start: i64,
    pmtu: Option<u16>,
    pmtu_min: Option<u16>,
    pmtud_unanswered: Vec<u16>,
    pmtud_probes: u64,
    pmtud_replies: u64,
    icmp_too_big: u64,
    icmp_mtu: Option<u32>,
    // time series and episodes
    /// A ring of one-second buckets; its length is a power of two (the slot
    /// is a mask, not a division), at least `series_len`.
    buckets: Vec<Bucket>,
    /// Seconds the snapshot's series shows.
    series_len: usize,
    loss_ep: Option<LossEpisode>,
    /// Loss windows start after this second (the end of the last episode).
    loss_floor: i64,
    /// Latest second any loss was counted in.
    loss_sec: i64,
    /// Loss samples of the seconds in which both this path and its reverse
    /// carried packets: what `asymmetry` compares. While one direction is
    /// silent (a cut, a stopped node) the capture point cannot tell whether
    /// the other direction's packets arrived: a node that sends nothing
    /// does not show what it received.
    up_side: Side,
    lat_ep: Option<LatEpisode>,
    lat_run: u32,
    lat_run_start: i64,
    // DATA seq evidence (`seqloss`)
    data_seen: u64,
    data_lost: u64,
    /// Copies missing in a row, not yet known to be loss, and when the run began.
    miss_run: u8,
    miss_run_ts: i64,
    /// Copies of one seq were seen on two links to this host (active mode).
    active_copies: bool,
    last_data_ts: i64,
    /// Packets and PMTUD latency by size class.
    sizes: SizeStats,
}

impl Dir {
    fn new(key: PathKey, ts: i64, series_len: usize) -> Self {
        Dir {
            key,
            rev: None,
            hints: Hints::default(),
            src_node: None,
            dst_node: None,
            first_ts: ts,
            last_ts: ts,
            traffic: [TypeCount::default(); 7],
            ip_fragments: 0,
            totem_data: 0,
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
            jitter_sum: 0.0,
            jitter_n: 0,
            avg_lat_us: 0.0,
            lat_n: 0,
            state: LinkState::Unknown,
            ever_up: false,
            first_pong: i64::MAX,
            pongs_while_down: 0,
            backoff_from: i64::MIN,
            inferred: false,
            resume_check: None,
            transitions: Vec::new(),
            downs: 0,
            open_down: None,
            down_times: [i64::MIN; 8],
            probes: Vec::with_capacity(8),
            run_last: None,
            last_probe: None,
            run_start: 0,
            pmtu: None,
            pmtu_min: None,
            pmtud_unanswered: Vec::new(),
            pmtud_probes: 0,
            pmtud_replies: 0,
            icmp_too_big: 0,
            icmp_mtu: None,
            buckets: vec![
                Bucket {
                    sec: i64::MIN,
                    ..Bucket::default()
                };
                series_len.max(64).next_power_of_two()
            ],
            series_len: series_len.max(64),
            loss_ep: None,
            loss_floor: i64::MIN,
            loss_sec: i64::MIN,
            up_side: Side::default(),
            lat_ep: None,
            lat_run: 0,
            lat_run_start: 0,
            data_seen: 0,
            data_lost: 0,
            miss_run: 0,
            miss_run_ts: 0,
            active_copies: false,
            last_data_ts: i64::MIN,
            sizes: SizeStats::default(),
        }
    }

    /// The bucket of second `sec` to count a loss in.
    fn loss_bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        self.loss_sec = self.loss_sec.max(sec);
        self.bucket(sec)
    }

    fn bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        let mask = self.buckets.len().wrapping_sub(1);
        let b = self.buckets.get_mut(sec as usize & mask)?;
        if b.sec == sec {
            Some(b)
        } else if b.sec < sec {
            *b = Bucket {
                sec,
                ..Bucket::default()
            };
            Some(b)
        } else {
            None
        }
    }

    fn bucket_ref(&self, sec: i64) -> Option<&Bucket> {
        let mask = self.buckets.len().wrapping_sub(1);
        let b = self.buckets.get(sec as usize & mask)?;
        (b.sec == sec).then_some(b)
    }

    /// knet's pong timeout at time `t`: timeout × backoff(t) + 2 × average latency.
    fn timeout_adj(&self, th: &Thresholds, t: i64) -> i64 {
        let backoff = if self.backoff_from == i64::MIN {
            1
        } else {
            (10 - (t - self.backoff_from + NS / 2).div_euclid(NS)).clamp(1, 10)
        };
        th.ping_timeout_ns() * backoff + (2.0 * self.avg_lat_us * 1000.0) as i64
    }

    /// When knet declares the link down: its heartbeat thread checks on the
    /// same 200 ms ticks it sends pings on (counted from the ping whose pong
    /// came last), at the first tick where the time since the last pong
    /// reaches the timeout in force then.
    fn down_deadline(&self, th: &Thresholds, heard: i64) -> Option<i64> {
        match (self.state, self.last_pong) {
            (LinkState::Up, Some(pong)) => {
                let lp = pong.max(heard);
                // The grid runs from the answered ping; a later sign of life
                // (inferred paths) starts its own count.
                let ping = if lp > pong {
                    lp
                } else {
                    self.last_pong_ping.min(lp)
                };
                let grid = 200 * MS;
                let mut t = ping + grid;
                // Once the backoff is 1 for good (from 8.5 s after its reset,
                // see `timeout_adj`), the timeout is constant: the tick is
                // the first grid point at least that long after the pong.
                if self.backoff_from == i64::MIN || t >= self.backoff_from + 17 * NS / 2 {
                    let need = lp + self.timeout_adj(th, t) - ping;
                    let k = if need <= grid {
                        1
                    } else {
                        ((need + grid - 1) / grid).min(2001)
                    };
                    return Some(ping + k * grid);
                }
                // At most 10 × timeout + latency: bounded loop.
                for _ in 0..2000 {
                    if t - lp >= self.timeout_adj(th, t) {
                        return Some(t);
                    }
                    t += grid;
                }
                Some(t)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct NodeState {
    id: u16,
    addrs: Vec<IpAddr>,
    first_ts: i64,
    last_ts: i64,
    packets: u64,
    /// Engine packet count when this node last sent.
    mark: u64,
    max_gap: i64,
    max_gap_at: i64,
    /// A recent silence while others went on: (start, end).
    silence: Option<(i64, i64)>,
    stall_reported: bool,
    /// Last time this node answered a ping after the timeout.
    late_pong_at: i64,
}

#[derive(Debug, Clone, Copy)]
struct TokRx {
    ts: i64,
    ring: (u32, u64),
    token_seq: u32,
}

#[derive(Debug, Clone, Copy)]
struct RtrEpisode {
    start: i64,
    last: i64,
    max: u32,
    tokens: u64,
    entries: u64,
}

#[derive(Debug, Default)]
struct TotemState {
    v: TotemView,
    rotation: Option<fasthist::FastHist>,
    max_rotation: i64,
    /// Per node: tokens sent and received, hold times.
    tok: hold::TokNodes,
    rtr_ep: Option<RtrEpisode>,
    commits: Vec<(RingId, i64, Vec<u32>)>,
    membership: Vec<MembershipView>,
    series: Vec<(i64, u32, u32)>,
    /// Per-rotation series (bounded) and the node it is measured at.
    rotations: std::collections::VecDeque<TokenRotation>,
    rotation_node: Option<u32>,
    /// When `rotation_node` last received a new token.
    rotation_rx_ts: i64,
}

impl TotemState {
    /// Adds a rotation measured at `node` to the series when `node` is the
    /// series' node, or takes `node` on when the series' node received no
    /// token for `timeout` (it left the ring or the capture lost sight of it).
    fn note_rotation(&mut self, node: u32, ts: i64, gap: i64, timeout: i64) {
        let take = match self.rotation_node {
            Some(n) if n == node => true,
            Some(_) => ts.saturating_sub(self.rotation_rx_ts) > timeout,
            None => true,
        };
        if !take {
            return;
        }
        self.rotation_node = Some(node);
        self.rotation_rx_ts = ts;
        if self.rotations.len() >= TOKEN_ROTATIONS_KEPT {
            self.rotations.pop_front();
        }
        self.rotations.push_back(TokenRotation {
            ts,
            node,
            ms: ms(gap),
        });
    }
}

/// The analysis engine. See the module documentation for the definitions.
#[derive(Debug)]
pub struct Engine {
    th: Thresholds,
    first_ts: Option<i64>,
    now: i64,
    finished: bool,
    packets: u64,
    bytes: u64,
    opaque: u64,
    paths: FastMap<PathKey, u32>,
    dirs: Vec<Dir>,
    addr_node: FastMap<IpAddr, u16>,
    port_link: FastMap<(IpAddr, u16), u8>,
    flows: flow::FlowCache,
    nodes: SmallMap<u16, NodeState>,
    pending: FastMap<PingKey, Pending>,
    /// DATA seq tracking per sender node.
    seqs: SmallMap<u16, SeqTrack>,
    totem: TotemState,
    findings: Vec<Finding>,
    unknown_reported: Vec<u16>,
    overflow: Overflow,
    tick_sec: Option<i64>,
    /// First instant after the second `tick_sec` (the clock's fast path).
    tick_end: i64,
    eval_sec: Option<i64>,
    vantage: Option<u16>,
    /// Senders of the frames a Linux cooked capture marks as sent by the host.
    outgoing: super::vantage::OutgoingTally,
    node_names: Vec<(u16, String)>,
    inferred_tokens: u64,
    /// Latest time of an opaque packet (the capture's end when all is encrypted).
    opaque_last: i64,
    /// (start ns, second) of the last second computed by `sec_of`.
    sec_cache: (i64, i64),
}

impl Engine {
    pub fn new(th: Thresholds) -> Self {
        // Grows up to its cap; kept small, since every second's expiry
        // walks the whole table.
        let pending_cap = th.limits.max_pending_pings.min(64);
        Engine {
            th,
            first_ts: None,
            now: 0,
            finished: false,
            packets: 0,
            bytes: 0,
            opaque: 0,
            paths: FastMap::default(),
            dirs: Vec::new(),
            addr_node: FastMap::default(),
            port_link: FastMap::default(),
            flows: flow::FlowCache::default(),
            nodes: SmallMap::default(),
            pending: FastMap::with_capacity_and_hasher(pending_cap, Default::default()),
            seqs: SmallMap::default(),
            totem: TotemState::default(),
            findings: Vec::new(),
            unknown_reported: Vec::new(),
            overflow: Overflow::default(),
            tick_sec: None,
            tick_end: i64::MIN,
            eval_sec: None,
            vantage: None,
            outgoing: Default::default(),
            node_names: Vec::new(),
            inferred_tokens: 0,
            opaque_last: 0,
            sec_cache: (i64::MAX, 0),
        }
    }

    /// Names of the nodes (from corosync.conf's nodelist), shown instead of
    /// bare ids by the writers.
    pub fn set_node_names(&mut self, names: Vec<(u16, String)>) {
        self.node_names = names;
    }

    /// The thresholds in force (they change when derived from the node count).
    pub fn thresholds(&self) -> &Thresholds {
        &self.th
    }

    /// Says which node the capture was taken on (overrides the inference).
    pub fn set_vantage(&mut self, node: Option<u16>) {
        self.vantage = node;
    }

    // ---------------------------------------------------------------- ingest

    /// Feeds one decoded packet. Timestamps should not go backwards; a packet
    /// older than the latest one is used but does not move time back.
    pub fn ingest(&mut self, p: &Packet<'_>) {
        // knet DATA (tokens, messages) is nearly all traffic: its own copy
        // of the path, with the type known.
        match &p.knet {
            Some(Knet::Data(data)) => self.ingest_data(p, data),
            _ => self.ingest_other(p),
        }
    }

    fn ingest_data(&mut self, p: &Packet<'_>, data: &crate::wire::knet::Data<'_>) {
        let mut c = self.begin(p, 0, Some(data.node), None);
        if let Some(i) = c.dir {
            self.on_data(i, data, c.ts, c.sec, &mut c.hints.seqs);
        }
        self.end(p, c);
    }

    fn ingest_other(&mut self, p: &Packet<'_>) {
        // The type's counter, the sender, and the link service packets name.
        let (ty, knet_node, pkt_link) = match &p.knet {
            Some(Knet::Data(data)) => return self.ingest_data(p, data),
            Some(Knet::Ping(x)) => (1, Some(x.node), Some(x.link)),
            Some(Knet::Pong(x)) => (2, Some(x.node), Some(x.link)),
            Some(Knet::Pmtud(x)) => (3, Some(x.node), Some(x.link)),
            Some(Knet::PmtudReply(x)) => (4, Some(x.node), Some(x.link)),
            Some(Knet::Other { node, .. }) => (6, Some(*node), None),
            None if p.totem.is_some() => (5, None, None),
            None => (6, None, None),
        };
        let c = self.begin(p, ty, knet_node, pkt_link);
        let (d, ts) = (&p.dgram, c.ts);
        match &p.knet {
            Some(Knet::Ping(ping)) => {
                if let Some(i) = c.dir {
                    self.on_ping(i, ping, d.src, d.dst, ts);
                }
            }
            Some(Knet::Pong(pong)) => self.on_pong(pong, d.src, d.dst, ts),
            Some(Knet::Pmtud(_)) => {
                if let (Some(i), Some(size)) = (c.dir, p.pmtud_size()) {
                    self.on_probe(i, size, ts);
                }
            }
            Some(Knet::PmtudReply(r)) => {
                if let Some(size) = p.pmtud_size() {
                    self.on_pmtud_reply(d.src, d.dst, r, size, ts);
                }
            }
            _ => {}
        }
        self.end(p, c);
    }

    /// What every packet goes through first: time, its path and sender,
    /// the path's counters. `ty` is its traffic type, `knet_node` the
    /// sender the knet header names, `pkt_link` the link it names.
    #[inline(always)]
    fn begin(
        &mut self,
        p: &Packet<'_>,
        ty: usize,
        knet_node: Option<u16>,
        pkt_link: Option<u8>,
    ) -> Ctx {
        // Keeps all time arithmetic far from overflow (a corrupt record may
        // carry any timestamp).
        let ts = clamp_ts(p.ts);
        let d = &p.dgram;
        let len = u64::from(d.ip_len);
        self.packets += 1;
        self.bytes += len;
        if p.knet.is_none() && p.totem.is_none() {
            // Counted here; judged only through `ingest_inferred`, which
            // comes later (the inference looks ahead): such packets must
            // not move the engine's clock past what was judged.
            self.opaque += 1;
            self.first_ts.get_or_insert(ts);
            self.opaque_last = self.opaque_last.max(ts);
        } else {
            self.advance_time(ts);
        }
        if d.outgoing == Some(true) {
            self.outgoing.note(d.src);
        }
        // Which link and path: service packets name their link; otherwise
        // the learned port, else 5405+N.
        let (link, dir) = match self.flows.get(d.src, d.dst, d.sport, d.dport, pkt_link) {
            Some((l, i)) => (l, Some(i)),
            None => self.flow_slow(d.src, d.dst, d.sport, d.dport, pkt_link, ts),
        };
        // Who sent it.
        let sender = match (knet_node, &p.totem) {
            (Some(n), _) => Some(n),
            (None, Some(t))
                if matches!(
                    t.body,
                    Body::OrfToken(_) | Body::CommitToken(_) | Body::Join(_)
                ) =>
            {
                u16::try_from(t.header.nodeid).ok()
            }
            _ => self.addr_node.get(&d.src).copied(),
        };
        let sec = self.sec_of(ts);
        let (mut hints, path_src) = match dir.and_then(|i| self.dirs.get(i as usize)) {
            Some(dd) => (dd.hints, dd.src_node),
            None => (Hints::default(), None),
        };
        if let Some(n) = sender {
            // The path remembers its sender: learn only what is new.
            if path_src != Some(n) {
                self.learn_addr(d.src, n, ts);
            }
            if self.node_activity(n, ts, &mut hints.nodes) {
                self.pinger_resumed(n, ts);
            }
        }
        if let Some(dd) = dir.and_then(|i| self.dirs.get_mut(i as usize)) {
            dd.last_ts = dd.last_ts.max(ts);
            if ty == 0 {
                dd.last_data_ts = dd.last_data_ts.max(ts);
            }
            dd.traffic[ty].packets += 1;
            dd.traffic[ty].bytes += len;
            dd.sizes.count(d.ip_len);
            if d.reassembled {
                dd.ip_fragments += 1;
            }
            if dd.src_node.is_none() {
                dd.src_node = sender;
            }
            if dd.dst_node.is_none() {
                dd.dst_node = self.addr_node.get(&d.dst).copied();
            }
            if let Some(b) = dd.bucket(sec) {
                b.packets += 1;
                b.bytes += len;
            }
        }
        Ctx {
            ts,
            sec,
            link,
            dir,
            knet_node,
            hints,
        }
    }

    /// What every packet goes through last: the totem message it carries,
    /// and the path's hints kept for the next packet.
    #[inline(always)]
    fn end(&mut self, p: &Packet<'_>, mut c: Ctx) {
        if let Some(t) = &p.totem {
            self.totem_of(p, t, &mut c);
        }
        if let Some(dd) = c.dir.and_then(|i| self.dirs.get_mut(i as usize)) {
            dd.hints = c.hints;
        }
    }

    #[inline]
    fn totem_of(&mut self, p: &Packet<'_>, t: &Totem<'_>, c: &mut Ctx) {
        let d = &p.dgram;
        let data = matches!(p.knet, Some(Knet::Data(_)));
        let retransmitter = match c.knet_node {
            Some(n) => Some(u32::from(n)),
            None => self.addr_node.get(&d.src).map(|n| u32::from(*n)),
        };
        // knet's glue writes target_nodeid; udp/udpu leave it stale, so
        // there the destination address (the path's receiver) says who.
        // knet hands DATA to corosync only while the receiver's link to
        // the sender is not down (its own pongs decide).
        let (by_addr, rev) = match c.dir.and_then(|i| self.dirs.get_mut(i as usize)) {
            Some(dd) => {
                // Which link carries the data: counted per path (summed by
                // link in the snapshot), below for packets without one.
                if data {
                    dd.totem_data += 1;
                }
                (dd.dst_node.map(u32::from), dd.rev)
            }
            None => {
                if data {
                    add_link_count(&mut self.totem.v.data_by_link, c.link, 1);
                }
                (self.addr_node.get(&d.dst).map(|n| u32::from(*n)), None)
            }
        };
        let rx_link_down = rev
            .and_then(|r| self.dirs.get(r as usize))
            .is_some_and(|r| r.state == LinkState::Down);
        let receiver = if p.knet.is_some() {
            t.header.target_nodeid.filter(|n| *n != 0).or(by_addr)
        } else {
            by_addr
        };
        self.on_totem(
            t,
            c.ts,
            c.sec,
            retransmitter,
            receiver,
            rx_link_down,
            &mut c.hints,
        );
    }

    /// A PMTUD reply: it flows back to the prober, so the probe's direction
    /// is the reverse of the reply's.
    fn on_pmtud_reply(&mut self, src: IpAddr, dst: IpAddr, r: &Pmtud, size: u16, ts: i64) {
        let key = PathKey {
            src: dst,
            dst: src,
            link: r.link,
        };
        if let Some(&i) = self.paths.get(&key) {
            let dd = &mut self.dirs[i as usize];
            dd.pmtud_replies += 1;
            if dd.dst_node.is_none() {
                dd.dst_node = Some(r.node);
            }
            if let Some(pr) = dd.probes.iter_mut().find(|pr| pr.size == size) {
                if !pr.acked {
                    dd.sizes.probe_rtt(size, ts - pr.ts);
                }
                pr.acked = true;
            }
        }
    }

    /// Maps addresses to node ids (corosync.conf's nodelist): needed to name
    /// the nodes of encrypted traffic analysed without the key.
    pub fn set_addresses(&mut self, map: &[(IpAddr, u16)]) {
        insert_capped(&mut self.addr_node, map, self.th.limits.max_addrs);
    }

    /// Feeds what the keyless inference decided about an encrypted packet
    /// (the packet itself went through [`Engine::ingest`] already, which
    /// counted it). Pings with their answer give RTT, cadence and link
    /// state; tokens give token gaps at their receiver (no token_seq: every
    /// token counts as new). Node ids come from [`Engine::set_addresses`].
    pub fn ingest_inferred(&mut self, rec: &Record, inf: &Inference) {
        let ts = clamp_ts(rec.ts);
        self.advance_time(ts);
        let link = self.link_of(rec.src, rec.sport, rec.dport);
        match inf.kind {
            Kind::Ping => {
                let Some(i) = self.path(rec.src, rec.dst, link, ts) else {
                    return;
                };
                let node = self.addr_node.get(&rec.src).copied();
                if let Some(n) = node {
                    if self.node_activity(n, ts, &mut 0) {
                        self.pinger_resumed(n, ts);
                    }
                }
                self.dirs[i as usize].inferred = true;
                self.ping_sent(i, node, true, ts);
                // Unknown data seq: taken as a node already running.
                let p = Pending {
                    ts,
                    dir: i,
                    data_seq: 1,
                    expired: false,
                    no_loss: false,
                };
                match inf.delay_ns {
                    Some(d) if d >= 0 => {
                        let responder = self.addr_node.get(&rec.dst).copied();
                        self.answered(p, responder, ts + d);
                    }
                    _ => {
                        // Its pong may be decided later: wait for it under
                        // the packet's place (no real ping time looks so).
                        // Never counted as lost: an unpaired ping may just be
                        // one the inference could not pair.
                        let time = inferred_key(rec.source, rec.packet_no);
                        let key = PingKey {
                            pinger: rec.src,
                            responder: rec.dst,
                            link,
                            time,
                        };
                        self.await_pong(key, Pending { no_loss: true, ..p });
                    }
                }
            }
            Kind::Pong => {
                let by_partner = inf.partner.map(|(source, packet_no)| PingKey {
                    pinger: rec.dst,
                    responder: rec.src,
                    link,
                    time: inferred_key(source, packet_no),
                });
                // A pong the inference could not pair (crossing pings) answers
                // the oldest ping still waiting on the reverse path, if it is
                // within the ping timeout. A pong it did pair answers that
                // ping or nothing: matching it again to another ping gave
                // ~1 s RTTs and link-ups one ping interval early.
                let key = match by_partner {
                    Some(k) => Some(k).filter(|k| self.pending.contains_key(k)),
                    None => {
                        let oldest = ts - self.th.ping_timeout_ns();
                        self.pending
                            .iter()
                            .filter(|(k, p)| {
                                k.pinger == rec.dst
                                    && k.responder == rec.src
                                    && k.link == link
                                    && p.ts <= ts
                                    && p.ts >= oldest
                            })
                            .min_by_key(|(_, p)| p.ts)
                            .map(|(k, _)| *k)
                    }
                };
                if let Some(p) = key.and_then(|k| self.pending.remove(&k)) {
                    let responder = self.addr_node.get(&rec.src).copied();
                    self.answered(p, responder, ts);
                }
            }
            // PMTUD without the key: the probe's IP length is its size; a
            // reply answers the probe its prober sent last (knet probes one
            // size at a time and waits for the answer).
            Kind::Pmtud => {
                if let (Some(i), Ok(size)) = (
                    self.path(rec.src, rec.dst, link, ts),
                    u16::try_from(rec.ip_len),
                ) {
                    self.on_probe(i, size, ts);
                }
            }
            Kind::PmtudReply => {
                let key = PathKey {
                    src: rec.dst,
                    dst: rec.src,
                    link,
                };
                if let Some(&i) = self.paths.get(&key) {
                    let d = &mut self.dirs[i as usize];
                    d.pmtud_replies += 1;
                    if let Some(size) = d.last_probe {
                        if let Some(pr) = d.probes.iter_mut().find(|pr| pr.size == size) {
                            if !pr.acked {
                                d.sizes.probe_rtt(size, ts - pr.ts);
                            }
                            pr.acked = true;
                        }
                    }
                }
            }
            Kind::Token => {
                self.totem.v.tokens += 1;
                if let Some(r) = self.addr_node.get(&rec.dst).copied() {
                    self.inferred_tokens += 1;
                    let this = TokRx {
                        ts,
                        ring: (u32::MAX, 0),
                        token_seq: (self.inferred_tokens & 0xffff_ffff) as u32,
                    };
                    self.token_arrival(u32::from(r), this, false, &mut 0);
                }
            }
            _ => {}
        }
    }

    /// Feeds an ICMP fragmentation-needed / packet-too-big notice.
    pub fn ingest_too_big(&mut self, ts: i64, tb: &TooBig) {
        let ts = clamp_ts(ts);
        self.advance_time(ts);
        let link = self.link_of(tb.orig_src, tb.orig_sport, tb.orig_dport);
        let Some(i) = self.path(tb.orig_src, tb.orig_dst, link, ts) else {
            return;
        };
        let d = &mut self.dirs[i as usize];
        d.icmp_too_big += 1;
        let changed = d.icmp_mtu != Some(tb.mtu);
        d.icmp_mtu = Some(tb.mtu);
        if changed {
            let f = Finding::new(
                FindingKind::MtuChange,
                Severity::Warning,
                ts,
                format!(
                    "ICMP too-big from {} for {} -> {}: path MTU {}",
                    tb.reporter, tb.orig_src, tb.orig_dst, tb.mtu
                ),
            )
            .nodes(
                d.src_node,
                d.dst_node,
                Some(link),
                Some(Direction::SrcToDst),
            )
            .ended(ts)
            .ev("icmp_mtu", f64::from(tb.mtu));
            self.push_finding(f);
        }
    }

    /// Ends the analysis at `end_ts` (the capture's end): resolves pending
    /// pings, evaluates the last windows and closes open episodes.
    pub fn finish(&mut self, end_ts: i64) {
        let end_ts = clamp_ts(end_ts);
        if self.finished {
            return;
        }
        let end = end_ts.max(self.now);
        // Time moves on only as far as the traffic went; a link is never
        // declared down for lack of pongs after the capture stopped.
        let now = self.now;
        self.expire_pending(now);
        for tr in self.seqs.values_mut() {
            tr.flush(&mut self.dirs);
        }
        for i in 0..self.dirs.len() {
            self.resolve_resume(i, now, true);
        }
        self.check_downs(now);
        let now_sec = now.div_euclid(NS);
        let from = self
            .eval_sec
            .map_or(now_sec - self.th.limits.series_len as i64 + 1, |s| s + 1);
        for k in from.max(now_sec - self.th.limits.series_len as i64 + 1)..=now_sec {
            self.evaluate(k);
        }
        self.eval_sec = Some(now_sec);
        for i in 0..self.dirs.len() {
            self.close_loss(i, None);
            self.close_latency(i);
            self.close_pmtud_run(i);
        }
        self.close_rtr();
        self.budget_latency();
        self.asymmetry();
        self.size_latency();
        // Pings still waiting at the end are neither answered nor lost.
        self.pending.clear();
        self.now = end.max(now);
        self.finished = true;
    }

    // ------------------------------------------------------------ time/ticks

    /// The second `ts` falls in; the last answer is kept, since nearly every
    /// packet falls in the same second as the one before it.
    #[inline]
    fn sec_of(&mut self, ts: i64) -> i64 {
        let (base, sec) = self.sec_cache;
        if ts >= base && ts - base < NS {
            return sec;
        }
        let sec = ts.div_euclid(NS);
        self.sec_cache = (sec * NS, sec);
        sec
    }

    #[inline]
    fn advance_time(&mut self, ts: i64) {
        // Within the second already ticked: nothing else to do.
        let now = self.now.max(ts);
        if now < self.tick_end {
            self.now = now;
            return;
        }
        self.advance_slow(ts);
    }

    fn advance_slow(&mut self, ts: i64) {
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
    fn tick(&mut self, sec: i64) {
        let t = sec * NS;
        self.expire_pending(t);
        for tr in self.seqs.values_mut() {
            tr.settle(&mut self.dirs, t);
        }
        self.check_downs(t);
        let lag = i64::from(self.th.ping_timeout_ms.div_ceil(1000)) + 2;
        let k = sec - lag;
        if self.eval_sec.is_none_or(|e| k > e) {
            self.evaluate(k);
            self.eval_sec = Some(k);
        }
        for i in 0..self.dirs.len() {
            if self.dirs[i].run_last.is_some_and(|l| t - l > PMTUD_RUN_GAP) {
                self.close_pmtud_run(i);
            }
        }
        if self
            .totem
            .rtr_ep
            .is_some_and(|e| t - e.last > RTR_EPISODE_GAP)
        {
            self.close_rtr();
        }
    }

    fn expire_pending(&mut self, t: i64) {
        let timeout = self.th.ping_timeout_ns();
        let keep = timeout * 10;
        let dirs = &mut self.dirs;
        self.pending.retain(|_, p| {
            if !p.expired && t - p.ts > timeout {
                p.expired = true;
                // Before the first pong the peer may simply not run yet.
                if let Some(d) = dirs
                    .get_mut(p.dir as usize)
                    .filter(|d| !p.no_loss && d.ever_up && p.ts >= d.first_pong)
                {
                    d.unanswered += 1;
                    if let Some(b) = d.loss_bucket(p.ts.div_euclid(NS)) {
                        b.unanswered += 1;
                        b.loss_at(p.ts);
                    }
                }
            }
            t - p.ts <= keep
        });
    }

    fn check_downs(&mut self, t: i64) {
        let quiet = self.th.ping_spacing_ns() * 3 / 2;
        for i in 0..self.dirs.len() {
            self.resolve_resume(i, t, false);
            if self.dirs[i].resume_check.is_some() {
                continue;
            }
            if let Some(dl) = self.deadline(i) {
                if t > dl {
                    // A pinger that itself sends nothing (stopped, stalled)
                    // judges nothing: knet declares the link down when its
                    // heartbeat runs again (see `pinger_resumed`).
                    let stalled = self.dirs[i]
                        .src_node
                        .and_then(|n| self.nodes.get(&n))
                        .is_some_and(|n| n.last_ts + quiet < dl);
                    if !stalled {
                        self.link_down(i, dl);
                    }
                }
            }
        }
    }

    /// knet's down time of path `i`. For a path known only through the
    /// keyless inference, any packet from the peer on that link counts as a
    /// sign of life (an unpaired ping is not proof of a missing pong).
    fn deadline(&self, i: usize) -> Option<i64> {
        let d = &self.dirs[i];
        let heard = match (d.inferred, d.rev) {
            (true, Some(r)) => self.dirs.get(r as usize).map_or(i64::MIN, |r| r.last_ts),
            _ => i64::MIN,
        };
        d.down_deadline(&self.th, heard)
    }

    /// A node sent again after a silence: its overdue links go down now.
    fn pinger_resumed(&mut self, node: u16, ts: i64) {
        for i in 0..self.dirs.len() {
            if self.dirs[i].src_node == Some(node) && self.dirs[i].resume_check.is_none() {
                if let Some(dl) = self.deadline(i).filter(|dl| ts > *dl) {
                    self.dirs[i].resume_check = Some((ts, dl));
                }
            }
        }
    }

    /// A silent pinger is back. If it was stalled (it answers old pings late
    /// right after resuming), knet ran no heartbeat meanwhile and declares the
    /// link down only now; if the capture merely lost sight of it (its packets
    /// were dropped before the capture point), knet declared it at the deadline.
    fn resolve_resume(&mut self, i: usize, now: i64, force: bool) {
        let Some((resumed, dl)) = self.dirs[i].resume_check else {
            return;
        };
        let late = self.dirs[i]
            .src_node
            .and_then(|n| self.nodes.get(&n))
            .map_or(i64::MIN, |n| n.late_pong_at);
        let stalled = late >= resumed - 200 * MS;
        if !stalled && !force && now < resumed + NS {
            return;
        }
        self.dirs[i].resume_check = None;
        if self.dirs[i].state == LinkState::Up {
            self.link_down(i, if stalled { resumed } else { dl });
        }
    }

    // ------------------------------------------------------------- identity

    fn learn_port(&mut self, addr: IpAddr, port: u16, link: u8) {
        if self.port_link.get(&(addr, port)) == Some(&link) {
            return;
        }
        if self.port_link.len() >= self.th.limits.max_addrs * 2
            && !self.port_link.contains_key(&(addr, port))
        {
            return;
        }
        self.port_link.insert((addr, port), link);
        self.flows.clear();
    }

    fn link_of(&self, addr: IpAddr, sport: u16, dport: u16) -> u8 {
        match self.port_link.get(&(addr, sport)) {
            Some(l) => *l,
            None => port_rule(dport),
        }
    }

    /// The link and path of a flow the cache does not hold; remembers them.
    fn flow_slow(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        sport: u16,
        dport: u16,
        pkt_link: Option<u8>,
        ts: i64,
    ) -> (u8, Option<u32>) {
        let link = match pkt_link {
            Some(l) => {
                self.learn_port(src, sport, l);
                l
            }
            None => self.link_of(src, sport, dport),
        };
        let dir = self.path(src, dst, link, ts);
        if let Some(i) = dir {
            // Cached only when a packet without a link field would get the
            // same link (else the cache would answer it wrongly).
            let learned = self.port_link.get(&(src, sport)).copied();
            if learned.unwrap_or_else(|| port_rule(dport)) == link {
                self.flows
                    .put(src, dst, sport, dport, link, learned == Some(link), i);
            }
        }
        (link, dir)
    }

    fn learn_addr(&mut self, addr: IpAddr, node: u16, ts: i64) {
        match self.addr_node.get(&addr) {
            Some(&n) if n == node => return,
            Some(&n) => {
                let f = Finding::new(
                    FindingKind::UnknownSender,
                    Severity::Warning,
                    ts,
                    format!("address {addr} sent as node {node} after sending as node {n}"),
                )
                .nodes(Some(node), None, None, None)
                .ended(ts)
                .ev("previous_node", f64::from(n))
                .ev("node", f64::from(node));
                self.push_finding(f);
                self.addr_node.insert(addr, node);
            }
            None => {
                if self.addr_node.len() >= self.th.limits.max_addrs {
                    self.overflow.addrs += 1;
                    return;
                }
                self.addr_node.insert(addr, node);
                // Directions that were created before the node was known.
                for d in self.dirs.iter_mut() {
                    if d.key.dst == addr && d.dst_node.is_none() {
                        d.dst_node = Some(node);
                    }
                    if d.key.src == addr && d.src_node.is_none() {
                        d.src_node = Some(node);
                    }
                }
            }
        }
        if !self.th.expected_nodes.is_empty()
            && !self.th.expected_nodes.contains(&node)
            && !self.unknown_reported.contains(&node)
        {
            if self.unknown_reported.len() < 64 {
                self.unknown_reported.push(node);
            }
            let f = Finding::new(
                FindingKind::UnknownSender,
                Severity::Warning,
                ts,
                format!("node {node} at {addr} is not in the configuration"),
            )
            .nodes(Some(node), None, None, None)
            .ended(ts)
            .ev("node", f64::from(node));
            self.push_finding(f);
        }
        if let Some(ns) = self.nodes.get_mut(&node) {
            if !ns.addrs.contains(&addr) && ns.addrs.len() < 8 {
                ns.addrs.push(addr);
            }
        }
    }

    /// Notes a packet sent by `node`; true when it ends a silence.
    #[inline(always)]
    fn node_activity(&mut self, node: u16, ts: i64, hint: &mut u16) -> bool {
        let packets = self.packets;
        let idx = match self.nodes.index_hinted(&node, hint) {
            Some(i) => i,
            None => match self.new_node(node, ts) {
                Some(i) => i,
                None => return false,
            },
        };
        let spacing = self.th.ping_spacing_ns();
        let Some(n) = self.nodes.at_mut(idx) else {
            return false;
        };
        let gap = ts - n.last_ts;
        if gap > n.max_gap {
            n.max_gap = gap;
            n.max_gap_at = n.last_ts;
        }
        let resumed = gap >= spacing * 3 / 2;
        // Others sent packets while this node was silent (the timeout is
        // read only then).
        if resumed
            && gap >= (2 * spacing).max(self.th.ping_timeout_ns())
            && packets.saturating_sub(n.mark) > 1
        {
            n.silence = Some((n.last_ts, ts));
            n.stall_reported = false;
        }
        n.last_ts = n.last_ts.max(ts);
        n.packets += 1;
        n.mark = packets;
        resumed
    }

    /// Starts tracking a node first seen at `ts`; its index, or None when
    /// the table is full.
    fn new_node(&mut self, node: u16, ts: i64) -> Option<usize> {
        let packets = self.packets;
        if self.nodes.len() >= self.th.limits.max_nodes {
            self.overflow.nodes += 1;
            return None;
        }
        let addrs = self
            .addr_node
            .iter()
            .filter(|(_, n)| **n == node)
            .map(|(a, _)| *a)
            .take(8)
            .collect();
        let i = self.nodes.push(
            node,
            NodeState {
                id: node,
                addrs,
                first_ts: ts,
                last_ts: ts,
                packets: 0,
                mark: packets,
                max_gap: 0,
                max_gap_at: ts,
                silence: None,
                stall_reported: false,
                late_pong_at: i64::MIN,
            },
        );
        if self.th.derive_from_node_count && self.nodes.len() as u32 > self.th.nodes {
            self.th = self.th.rederive(self.nodes.len() as u32);
        }
        Some(i)
    }

    fn path(&mut self, src: IpAddr, dst: IpAddr, link: u8, ts: i64) -> Option<u32> {
        let key = PathKey { src, dst, link };
        if let Some(&i) = self.paths.get(&key) {
            return Some(i);
        }
        if self.dirs.len() >= self.th.limits.max_paths {
            self.overflow.paths += 1;
            return None;
        }
        let i = self.dirs.len() as u32;
        let mut d = Dir::new(key, ts, self.th.limits.series_len);
        d.src_node = self.addr_node.get(&src).copied();
        d.dst_node = self.addr_node.get(&dst).copied();
        let rkey = PathKey {
            src: dst,
            dst: src,
            link,
        };
        if let Some(&r) = self.paths.get(&rkey) {
            d.rev = Some(r);
            self.dirs[r as usize].rev = Some(i);
        }
        self.dirs.push(d);
        self.paths.insert(key, i);
        Some(i)
    }

    fn push_finding(&mut self, f: Finding) -> Option<usize> {
        if self.findings.len() >= self.th.limits.max_findings {
            self.overflow.findings += 1;
            return None;
        }
        self.findings.push(f);
        Some(self.findings.len() - 1)
    }

    // ------------------------------------------------------------ DATA seq

    #[inline]
    fn on_data(
        &mut self,
        i: u32,
        data: &crate::wire::knet::Data<'_>,
        ts: i64,
        sec: i64,
        hint: &mut u16,
    ) {
        let node = data.node;
        let j = match self.seqs.index_hinted(&node, hint) {
            Some(j) => j,
            None if self.seqs.len() < self.th.limits.max_nodes => {
                self.seqs.push(node, SeqTrack::new())
            }
            None => return,
        };
        let dst = self.dirs.get(i as usize).and_then(|d| d.dst_node);
        if let Some(tr) = self.seqs.at_mut(j) {
            tr.on_data(
                &mut self.dirs,
                i,
                dst,
                data.seq,
                data.frag_seq,
                data.bcast,
                ts,
                sec,
            );
        }
    }

    // ------------------------------------------------------------ ping/pong

    fn on_ping(&mut self, i: u32, ping: &Ping, src: IpAddr, dst: IpAddr, ts: i64) {
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
                no_loss: false,
            },
        );
    }

    fn await_pong(&mut self, key: PingKey, p: Pending) {
        if self.pending.len() >= self.th.limits.max_pending_pings {
            self.overflow.pending_pings += 1;
            return;
        }
        self.pending.insert(key, p);
    }

    /// A ping left `src` on path `i`: counts and cadence.
    fn ping_sent(&mut self, i: u32, node: Option<u16>, timed: bool, ts: i64) {
        let spacing = self.th.ping_spacing_ns();
        let d = &mut self.dirs[i as usize];
        if node.is_some() {
            d.src_node = node;
        }
        d.pings += 1;
        let sec = ts.div_euclid(NS);
        if let Some(b) = d.bucket(sec) {
            b.pings += 1;
        }
        if timed {
            if let Some(last) = d.last_ping.filter(|_| d.ever_up) {
                let gap = ts - last;
                if gap > d.max_ping_gap {
                    d.max_ping_gap = gap;
                    d.max_ping_gap_at = last;
                }
                let periods = (gap + spacing / 2) / spacing;
                if periods >= 2 {
                    let m = (periods - 1).min(100_000) as u32;
                    d.missing += u64::from(m);
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
            d.last_ping = Some(d.last_ping.map_or(ts, |l| l.max(ts)));
        }
    }

    fn on_pong(&mut self, pong: &Ping, src: IpAddr, dst: IpAddr, ts: i64) {
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
    fn answered(&mut self, p: Pending, responder: Option<u16>, ts: i64) {
        let i = p.dir as usize;
        let timeout = self.th.ping_timeout_ns();
        let rtt = ts - p.ts;
        if self.dirs[i].dst_node.is_none() {
            self.dirs[i].dst_node = responder;
        }
        let responder_node = responder.or(self.dirs[i].dst_node);
        if p.expired || rtt > timeout {
            // knet discards a pong older than its timeout.
            let d = &mut self.dirs[i];
            d.late_pongs += 1;
            if !p.expired && d.ever_up && p.ts >= d.first_pong {
                d.unanswered += 1;
                if let Some(b) = d.loss_bucket(p.ts.div_euclid(NS)) {
                    b.unanswered += 1;
                    b.loss_at(p.ts);
                }
            }
            let (src_node, link) = (d.src_node, d.key.link);
            if let Some(r) = responder_node {
                self.late_pong(r, src_node, Some(r), link, rtt, ts);
            }
            return;
        }
        // A pong after the deadline: knet declared the link down first.
        self.resolve_resume(i, ts, true);
        if let Some(dl) = self.deadline(i) {
            if ts > dl {
                self.link_down(i, dl);
            }
        }
        let pong_count = self.th.pong_count;
        let d = &mut self.dirs[i];
        d.pongs += 1;
        d.first_pong = d.first_pong.min(ts);
        let us = (rtt / 1000).max(1) as u64;
        d.rtt.saturating_record(us.min(HIST_MAX_US));
        d.min_rtt_us = d.min_rtt_us.min(us);
        if let Some(last) = d.last_rtt_us {
            d.jitter_sum += (us as f64 - last as f64).abs();
            d.jitter_n += 1;
        }
        d.last_rtt_us = Some(us);
        // knet's running mean over up to `precision` (2048) samples.
        d.lat_n = (d.lat_n + 1).min(2048);
        d.avg_lat_us += (us as f64 - d.avg_lat_us) / f64::from(d.lat_n);
        if let Some(b) = d.bucket(p.ts.div_euclid(NS)) {
            b.pongs += 1;
            b.rtt_sum_us += us;
            b.rtt_n += 1;
            b.rtt_max_us = b.rtt_max_us.max(us.min(u64::from(u32::MAX)) as u32);
        }
        if let Some(lp) = d.last_pong {
            let gap = ts - lp;
            if gap > d.max_pong_gap {
                d.max_pong_gap = gap;
                d.max_pong_gap_at = lp;
            }
        }
        if d.last_pong.is_none_or(|l| ts >= l) {
            d.last_pong = Some(ts);
            d.last_pong_ping = p.ts;
        }
        match d.state {
            LinkState::Unknown => {
                if p.data_seq == 0 {
                    // A fresh node: knet starts the link down, counts pongs,
                    // and the backoff runs from the link's start.
                    d.state = LinkState::Down;
                    d.pongs_while_down = 1;
                    d.backoff_from = d.first_ts;
                } else {
                    d.state = LinkState::Up;
                    d.ever_up = true;
                }
            }
            LinkState::Down => {
                d.pongs_while_down += 1;
                if d.pongs_while_down > pong_count {
                    d.state = LinkState::Up;
                    d.ever_up = true;
                    if d.transitions.len() < self.th.limits.max_transitions {
                        d.transitions.push(Transition {
                            ts,
                            up: true,
                            rule_value: u64::from(d.pongs_while_down),
                        });
                    }
                    if let Some(fi) = d.open_down.take() {
                        if let Some(f) = self.findings.get_mut(fi) {
                            f.end = Some(ts);
                        }
                    }
                }
            }
            LinkState::Up => {}
        }
    }

    fn late_pong(
        &mut self,
        responder: u16,
        src_node: Option<u16>,
        dst_node: Option<u16>,
        link: u8,
        rtt: i64,
        ts: i64,
    ) {
        let token = i64::from(self.th.token_ms) * MS;
        let Some(n) = self.nodes.get_mut(&responder) else {
            return;
        };
        n.late_pong_at = n.late_pong_at.max(ts);
        let Some((s, e)) = n.silence else { return };
        if n.stall_reported || ts - e > 3 * NS {
            return;
        }
        n.stall_reported = true;
        let gap = e - s;
        let sev = if gap >= token {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let f = Finding::new(
            FindingKind::HostStall,
            sev,
            s,
            format!("node {responder} sent nothing for {:.0} ms while others went on, then answered old pings late ({:.0} ms)", ms(gap), ms(rtt)),
        )
        .nodes(src_node, dst_node, Some(link), Some(Direction::Both))
        .ended(e)
        .ev("silence_ms", ms(gap))
        .ev("late_pong_rtt_ms", ms(rtt));
        self.push_finding(f);
    }

    fn link_down(&mut self, i: usize, at: i64) {
        let th = &self.th;
        let tolerated = self.dirs[i].timeout_adj(th, at);
        let (src, dst, link, last_pong) = {
            let d = &self.dirs[i];
            (
                d.src_node,
                d.dst_node,
                d.key.link,
                d.last_pong.unwrap_or(at),
            )
        };
        // Another link from the same pinger to the same peer still up?
        let other_up = self.dirs.iter().enumerate().any(|(j, o)| {
            j != i
                && o.src_node.is_some()
                && o.src_node == src
                && o.dst_node == dst
                && o.key.link != link
                && o.state == LinkState::Up
        });
        let flap_window = i64::from(self.th.flap_window_s) * NS;
        let flap_downs = self.th.flap_downs.clamp(2, 8) as usize;
        let max_tr = self.th.limits.max_transitions;
        let d = &mut self.dirs[i];
        d.state = LinkState::Down;
        d.pongs_while_down = 0;
        // knet sends no DATA on a down link: missing copies were not lost.
        d.miss_run = 0;
        d.backoff_from = at;
        d.downs += 1;
        d.down_times.rotate_right(1);
        d.down_times[0] = at;
        if d.transitions.len() < max_tr {
            d.transitions.push(Transition {
                ts: at,
                up: false,
                rule_value: (tolerated / MS) as u64,
            });
        }
        let recent = d
            .down_times
            .iter()
            .filter(|t| **t != i64::MIN && at - **t <= flap_window)
            .count();
        let sev = if other_up {
            Severity::Warning
        } else {
            Severity::Critical
        };
        let f = Finding::new(
            FindingKind::LinkDown,
            sev,
            at,
            format!(
                "knet would declare link {link} down: no pong for {:.0} ms (ping timeout x backoff + 2 x avg latency){}",
                ms(at - last_pong),
                if other_up { "; another link is still up" } else { "; no other link up: node unreachable" }
            ),
        )
        .nodes(src, dst, Some(link), Some(Direction::SrcToDst))
        .ev("last_pong_age_ms", ms(at - last_pong))
        .ev("tolerated_ms", ms(tolerated));
        let fi = self.push_finding(f);
        self.dirs[i].open_down = fi;
        if recent == flap_downs {
            let first = self.dirs[i].down_times[flap_downs - 1];
            let f = Finding::new(
                FindingKind::LinkFlapping,
                Severity::Warning,
                first,
                format!(
                    "link {link} went down {recent} times within {} s",
                    self.th.flap_window_s
                ),
            )
            .nodes(src, dst, Some(link), Some(Direction::SrcToDst))
            .ended(at)
            .ev("downs", recent as f64)
            .ev("window_s", f64::from(self.th.flap_window_s));
            self.push_finding(f);
        }
    }

    // ---------------------------------------------------------------- PMTUD

    fn on_probe(&mut self, i: u32, size: u16, ts: i64) {
        let d = &mut self.dirs[i as usize];
        if d.run_last.is_some_and(|l| ts - l > PMTUD_RUN_GAP) {
            self.close_pmtud_run(i as usize);
        }
        let d = &mut self.dirs[i as usize];
        d.pmtud_probes += 1;
        if d.run_last.is_none() {
            d.run_start = ts;
        }
        d.run_last = Some(ts);
        d.last_probe = Some(size);
        if !d.probes.iter().any(|p| p.size == size) && d.probes.len() < 32 {
            d.probes.push(Probe {
                size,
                acked: false,
                ts,
            });
        }
        if let Some(pr) = d.probes.iter_mut().find(|p| p.size == size) {
            pr.ts = ts;
        }
    }

    fn close_pmtud_run(&mut self, i: usize) {
        let d = &mut self.dirs[i];
        let Some(last) = d.run_last.take() else {
            return;
        };
        let acked = d.probes.iter().filter(|p| p.acked).map(|p| p.size).max();
        d.pmtud_unanswered.clear();
        for p in d
            .probes
            .iter()
            .filter(|p| !p.acked && acked.is_none_or(|a| p.size > a))
        {
            d.pmtud_unanswered.push(p.size);
        }
        d.pmtud_unanswered.sort_unstable();
        d.probes.clear();
        let prev = d.pmtu;
        if let Some(a) = acked {
            d.pmtu = Some(a);
            d.pmtu_min = Some(d.pmtu_min.map_or(a, |m| m.min(a)));
        }
        let (src, dst, link, start) = (d.src_node, d.dst_node, d.key.link, d.run_start);
        let unanswered = d.pmtud_unanswered.clone();
        let icmp = d.icmp_too_big;
        if let Some(&smallest) = unanswered.first() {
            let f = Finding::new(
                FindingKind::MtuBlackHole,
                Severity::Warning,
                start,
                format!(
                    "PMTUD probes of {} bytes got no reply{} (silently dropped)",
                    unanswered
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    acked.map(|a| format!(" while {a} did")).unwrap_or_default()
                ),
            )
            .nodes(src, dst, Some(link), Some(Direction::SrcToDst))
            .ended(last)
            .ev("smallest_unanswered", f64::from(smallest))
            .ev("largest_acked", acked.map_or(0.0, f64::from))
            .ev("icmp_too_big", icmp as f64);
            self.push_finding(f);
        }
        if let (Some(p), Some(a)) = (prev, acked) {
            if p != a {
                let sev = if a < p {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                let f = Finding::new(
                    FindingKind::MtuChange,
                    sev,
                    start,
                    format!("path MTU changed from {p} to {a} bytes"),
                )
                .nodes(src, dst, Some(link), Some(Direction::SrcToDst))
                .ended(last)
                .ev("from", f64::from(p))
                .ev("to", f64::from(a));
                self.push_finding(f);
            }
        }
    }

    // ------------------------------------------------------ windows/episodes

    /// Judges second `k` (old enough that its pings are resolved).
    fn evaluate(&mut self, k: i64) {
        let w = i64::from(self.th.loss_window_s.clamp(1, 120));
        let thr = self.th.loss_warning_pct;
        for i in 0..self.dirs.len() {
            // Both directions carried packets in second `k`: its samples
            // count towards `asymmetry`.
            let heard = |j: usize| {
                self.dirs[j]
                    .bucket_ref(k)
                    .filter(|b| b.packets > 0)
                    .copied()
            };
            let rev_heard = self.dirs[i].rev.and_then(|r| heard(r as usize)).is_some();
            if let Some(b) = heard(i).filter(|_| rev_heard) {
                self.dirs[i].up_side.add(&b);
            }
            // No episode open and no loss in any second of the window: the
            // sums would find nothing (they are skipped).
            let from = (k - w + 1).max(self.dirs[i].loss_floor);
            if self.dirs[i].loss_ep.is_none() && self.dirs[i].loss_sec < from {
                self.eval_latency(i, k);
                continue;
            }
            let rev = self.dirs[i].rev.map(|r| r as usize);
            // Window sums.
            let mut win = LossSums::default();
            let mut first_loss = i64::MAX;
            let mut last_loss_win = 0;
            for s in (k - w + 1).max(self.dirs[i].loss_floor)..=k {
                let b = self.dirs[i].bucket_ref(s).copied();
                let r = rev.and_then(|r| self.dirs[r].bucket_ref(s).copied());
                if let Some(b) = b {
                    win.add(&b, r.as_ref());
                    if b.lost_any() && b.first_loss != 0 {
                        first_loss = first_loss.min(b.first_loss);
                        last_loss_win = last_loss_win.max(b.last_loss);
                    }
                } else if let Some(r) = r {
                    win.add(&Bucket::default(), Some(&r));
                }
            }
            let (fwd, _) = win.estimates();
            let bad = fwd >= thr && win.lost_fwd() >= 2;
            let cur_b = self.dirs[i].bucket_ref(k).copied();
            let cur_r = rev.and_then(|r| self.dirs[r].bucket_ref(k).copied());
            let cur_last_loss = cur_b.map_or(0, |b| if b.lost_any() { b.last_loss } else { 0 });
            match (&mut self.dirs[i].loss_ep, bad) {
                (None, true) => {
                    // The episode starts at the earliest loss of the latest
                    // cluster: losses separated by half a window or more of
                    // clean seconds belong to something older.
                    let mut start = if first_loss == i64::MAX {
                        k * NS
                    } else {
                        first_loss
                    };
                    let mut clean = 0;
                    for s in ((k - w + 1).max(self.dirs[i].loss_floor)..=k).rev() {
                        let own = self.dirs[i]
                            .bucket_ref(s)
                            .filter(|b| b.lost_any())
                            .map(|b| b.first_loss);
                        match own.filter(|t| *t != 0) {
                            Some(t) => {
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
                    // Count the episode from the second of its first loss.
                    let mut sums = LossSums::default();
                    for s in start.div_euclid(NS)..=k {
                        let b = self.dirs[i].bucket_ref(s).copied().unwrap_or_default();
                        let r = rev.and_then(|r| self.dirs[r].bucket_ref(s).copied());
                        sums.add(&b, r.as_ref());
                    }
                    self.dirs[i].loss_ep = Some(LossEpisode {
                        start,
                        last_loss: last_loss_win.max(start),
                        sums,
                    });
                }
                (Some(ep), true) if ep.last_loss.max(cur_last_loss) + w * NS / 2 < k * NS => {
                    // No loss for half a window: this episode is over.
                    self.close_loss(i, Some(k));
                }
                (Some(ep), true) => {
                    if let Some(b) = cur_b {
                        ep.sums.add(&b, cur_r.as_ref());
                    } else if let Some(r) = cur_r {
                        ep.sums.add(&Bucket::default(), Some(&r));
                    }
                    ep.last_loss = ep.last_loss.max(cur_last_loss);
                }
                (Some(_), false) => self.close_loss(i, Some(k)),
                (None, false) => {}
            }
            self.eval_latency(i, k);
        }
    }

    fn close_loss(&mut self, i: usize, k: Option<i64>) {
        let Some(ep) = self.dirs[i].loss_ep.take() else {
            return;
        };
        if let Some(k) = k {
            self.dirs[i].loss_floor = k + 1;
        }
        // Recounted from the seconds still held: DATA losses are known only
        // once a later copy is seen, possibly after their second was judged.
        let mut sums = ep.sums;
        // Counted from the first loss to the last: the clean seconds after
        // it only closed the episode.
        let (from, to) = (ep.start.div_euclid(NS), ep.last_loss.div_euclid(NS));
        if to >= from && to - from < self.dirs[i].buckets.len() as i64 {
            let rev = self.dirs[i].rev.map(|r| r as usize);
            sums = LossSums::default();
            for s in from..=to {
                let b = self.dirs[i].bucket_ref(s).copied().unwrap_or_default();
                let r = rev.and_then(|r| self.dirs[r].bucket_ref(s).copied());
                sums.add(&b, r.as_ref());
            }
        }
        let ep = LossEpisode { sums, ..ep };
        let (fwd, rev) = ep.sums.estimates();
        let thr = self.th.loss_warning_pct;
        if fwd < thr {
            // Counted over the whole episode the loss is the other
            // direction's (its pongs) or below the threshold.
            return;
        }
        // Nearly nothing of the sender reached the capture point: whether
        // its peer's packets reached it cannot be seen (a node that sends
        // nothing shows nothing of what it received), so the reverse
        // direction is not judged and the loss is not called one-way.
        let (lost, samples) = ep.sums.fwd.before();
        let silent = samples >= 5 && lost * 10 >= samples * 9;
        let one_way = !silent && rev < thr / 2.0;
        let d = &self.dirs[i];
        let kind = if one_way {
            FindingKind::OneWayLoss
        } else {
            FindingKind::Loss
        };
        let (src, dst, link) = (d.src_node, d.dst_node, d.key.link);
        let name = |n: Option<u16>| n.map_or("?".to_string(), |n| n.to_string());
        let reverse = if silent {
            let r = &ep.sums.rev;
            format!(
                "; node {0} sent almost nothing, so whether node {1}'s packets reached it \
                 cannot be seen here ({2} of node {1}'s {3} pings unanswered)",
                name(src),
                name(dst),
                r.unanswered,
                r.pings
            )
        } else {
            format!(" (reverse {rev:.1} %)")
        };
        let mut f = Finding::new(
            kind,
            Severity::Warning,
            ep.start,
            format!(
                "{fwd:.1} % of packets from node {} to node {} lost on link {link}{reverse}",
                name(src),
                name(dst),
            ),
        )
        .nodes(
            src,
            dst,
            Some(link),
            Some(if one_way || silent {
                Direction::SrcToDst
            } else {
                Direction::Both
            }),
        )
        .ended(ep.last_loss.max(ep.start))
        .ev("loss_pct", fwd);
        if !silent {
            f = f.ev("reverse_loss_pct", rev);
        }
        let f = f
            .ev("pings", ep.sums.fwd.pings as f64)
            .ev("pings_missing", ep.sums.fwd.missing as f64)
            .ev("pings_unanswered", ep.sums.fwd.unanswered as f64)
            .ev("data_copies_seen", ep.sums.fwd.data_seen as f64)
            .ev("data_copies_lost", ep.sums.fwd.data_lost as f64)
            .ev("reverse_pings", ep.sums.rev.pings as f64)
            .ev("reverse_pings_missing", ep.sums.rev.missing as f64)
            .ev("reverse_pings_unanswered", ep.sums.rev.unanswered as f64)
            .ev("reverse_data_copies_seen", ep.sums.rev.data_seen as f64)
            .ev("reverse_data_copies_lost", ep.sums.rev.data_lost as f64);
        self.push_finding(f);
    }

    fn eval_latency(&mut self, i: usize, k: i64) {
        let d = &mut self.dirs[i];
        let Some(b) = d.bucket_ref(k).copied() else {
            return;
        };
        if b.rtt_n == 0 || d.min_rtt_us == u64::MAX {
            return;
        }
        let base = d.min_rtt_us;
        let avg = b.rtt_sum_us / u64::from(b.rtt_n);
        let elevated = avg > base + (3 * base).max(1000);
        match (&mut d.lat_ep, elevated) {
            (Some(ep), true) => {
                ep.hist.saturating_record(avg.min(HIST_MAX_US));
                ep.last = k * NS + NS;
                ep.calm = 0;
            }
            (Some(ep), false) => {
                ep.calm += 1;
                if ep.calm >= 3 {
                    self.close_latency(i);
                }
            }
            (None, true) => {
                if d.lat_run == 0 {
                    d.lat_run_start = k * NS;
                }
                d.lat_run += 1;
                if d.lat_run >= 3 {
                    let mut hist = new_hist();
                    // The run's earlier seconds.
                    for s in (d.lat_run_start / NS)..=k {
                        if let Some(bb) = d.bucket_ref(s) {
                            if bb.rtt_n > 0 {
                                hist.saturating_record(
                                    (bb.rtt_sum_us / u64::from(bb.rtt_n)).min(HIST_MAX_US),
                                );
                            }
                        }
                    }
                    d.lat_ep = Some(LatEpisode {
                        start: d.lat_run_start,
                        last: k * NS + NS,
                        hist,
                        calm: 0,
                    });
                    d.lat_run = 0;
                }
            }
            (None, false) => d.lat_run = 0,
        }
    }

    /// A path whose RTT was high all along never rises above its own
    /// baseline: judge its whole-capture p99 against the ping timeout.
    fn budget_latency(&mut self) {
        let timeout_us = u64::from(self.th.ping_timeout_ms) * 1000;
        let warn_us = (timeout_us as f64 * self.th.latency_warning_pct / 100.0) as u64;
        for i in 0..self.dirs.len() {
            let d = &self.dirs[i];
            if d.rtt.is_empty() || warn_us == 0 {
                continue;
            }
            let p99 = d.rtt.value_at_quantile(0.99);
            if p99 < warn_us {
                continue;
            }
            let (src, dst, link) = (d.src_node, d.dst_node, d.key.link);
            let covered = self.findings.iter().any(|f| {
                f.kind == FindingKind::Latency
                    && f.severity >= Severity::Warning
                    && f.src_node == src
                    && f.dst_node == dst
                    && f.link == Some(link)
            });
            if covered {
                continue;
            }
            let sev = if p99 >= timeout_us * 3 / 4 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let p50 = d.rtt.value_at_quantile(0.5);
            let f = Finding::new(
                FindingKind::Latency,
                sev,
                d.first_ts,
                format!(
                    "RTT p99 {:.1} ms on link {link} is {:.0} % of the {} ms ping timeout",
                    p99 as f64 / 1000.0,
                    100.0 * p99 as f64 / timeout_us as f64,
                    self.th.ping_timeout_ms
                ),
            )
            .nodes(src, dst, Some(link), Some(Direction::Both))
            .ended(d.last_ts)
            .ev("rtt_p50_ms", p50 as f64 / 1000.0)
            .ev("rtt_p99_ms", p99 as f64 / 1000.0)
            .ev("ping_timeout_ms", f64::from(self.th.ping_timeout_ms));
            self.push_finding(f);
        }
    }

    fn close_latency(&mut self, i: usize) {
        let Some(ep) = self.dirs[i].lat_ep.take() else {
            return;
        };
        let d = &self.dirs[i];
        let base = if d.min_rtt_us == u64::MAX {
            0
        } else {
            d.min_rtt_us
        };
        let p50 = ep.hist.value_at_quantile(0.5);
        let p99 = ep.hist.value_at_quantile(0.99);
        let timeout_us = u64::from(self.th.ping_timeout_ms) * 1000;
        let warn_us = (timeout_us as f64 * self.th.latency_warning_pct / 100.0) as u64;
        let sev = if p99 >= timeout_us * 3 / 4 {
            Severity::Critical
        } else if p99 >= warn_us {
            Severity::Warning
        } else {
            Severity::Info
        };
        let f = Finding::new(
            FindingKind::Latency,
            sev,
            ep.start,
            format!(
                "RTT on link {} rose to {:.1} ms (p50) from a {:.2} ms baseline; p99 {:.1} ms = {:.0} % of the {} ms ping timeout",
                d.key.link,
                p50 as f64 / 1000.0,
                base as f64 / 1000.0,
                p99 as f64 / 1000.0,
                100.0 * p99 as f64 / timeout_us.max(1) as f64,
                self.th.ping_timeout_ms
            ),
        )
        .nodes(d.src_node, d.dst_node, Some(d.key.link), Some(Direction::Both))
        .ended(ep.last)
        .ev("rtt_p50_ms", p50 as f64 / 1000.0)
        .ev("rtt_p99_ms", p99 as f64 / 1000.0)
        .ev("baseline_ms", base as f64 / 1000.0)
        .ev("ping_timeout_ms", f64::from(self.th.ping_timeout_ms));
        self.push_finding(f);
    }

    // ---------------------------------------------------------------- totem

    #[allow(clippy::too_many_arguments)]
    fn on_totem(
        &mut self,
        t: &Totem<'_>,
        ts: i64,
        sec: i64,
        sender: Option<u32>,
        receiver: Option<u32>,
        rx_link_down: bool,
        hints: &mut Hints,
    ) {
        match &t.body {
            Body::OrfToken(tok) => {
                let from = t.header.nodeid;
                let target = receiver.filter(|_| !rx_link_down);
                self.on_token(tok, from, target, ts, sec, hints);
            }
            Body::CommitToken(c) => {
                self.totem.v.commit_tokens += 1;
                if !self.totem.commits.iter().any(|(r, _, _)| *r == c.ring_id) {
                    if self.totem.commits.len() >= 16 {
                        self.totem.commits.remove(0);
                    }
                    let members: Vec<u32> = c.members.iter().take(256).collect();
                    self.totem.commits.push((c.ring_id, ts, members));
                }
            }
            Body::Mcast(_) => {
                let v = &mut self.totem.v;
                v.mcasts += 1;
                if t.header.encapsulated == 1 {
                    v.encapsulated += 1;
                }
                if sender.is_some_and(|s| s != t.header.nodeid) {
                    v.mcast_retransmits += 1;
                }
            }
            Body::Join(_) => self.totem.v.joins += 1,
            Body::MergeDetect { .. } => self.totem.v.merge_detects += 1,
            Body::HoldCancel { .. } => self.totem.v.hold_cancels += 1,
            _ => {}
        }
    }

    /// An ORF token from `from` on its way to `target`.
    #[inline]
    fn on_token(
        &mut self,
        tok: &OrfToken<'_>,
        from: u32,
        target: Option<u32>,
        ts: i64,
        sec: i64,
        hints: &mut Hints,
    ) {
        let n = tok.rtr.len().min(u32::MAX as usize) as u32;
        let v = &mut self.totem.v;
        v.tokens += 1;
        v.max_backlog = v.max_backlog.max(tok.backlog);
        v.rtr_max = v.rtr_max.max(n);
        match self.totem.series.last_mut() {
            Some(last) if last.0 == sec * NS => {
                last.1 += 1;
                last.2 = last.2.max(n);
            }
            _ => self.token_series_new(sec, n),
        }
        if n > 0 {
            self.token_rtr(ts, n);
        }
        let ring = (tok.ring_id.rep, tok.ring_id.seq);
        let this = TokRx {
            ts,
            ring,
            token_seq: tok.token_seq,
        };
        // Retransmission: the same sender sends the same token_seq again.
        let max_nodes = self.th.limits.max_nodes;
        if let Some(tn) = self.totem.tok.entry(from, max_nodes, &mut hints.tx) {
            match &mut tn.tx {
                Some(prev) if prev.ring == ring && prev.token_seq == tok.token_seq => {
                    if ts - prev.ts >= TOKEN_COPY_WINDOW {
                        self.totem.v.token_retransmits += 1;
                    } else {
                        self.totem.v.token_copies += 1;
                    }
                }
                prev => {
                    *prev = Some(this);
                    tn.sent(ts, i64::from(self.th.token_ms) * MS);
                }
            }
        }
        self.ring_seen(tok.ring_id, ts, from);
        if let Some(r) = target {
            self.token_arrival(r, this, true, &mut hints.rx);
        }
    }

    /// The token series' point of a new second.
    #[cold]
    fn token_series_new(&mut self, sec: i64, n: u32) {
        if self.totem.series.len() >= self.th.limits.series_len.max(64) {
            self.totem.series.remove(0);
        }
        self.totem.series.push((sec * NS, 1, n));
    }

    /// A token carrying `n` retransmit requests.
    #[cold]
    fn token_rtr(&mut self, ts: i64, n: u32) {
        let v = &mut self.totem.v;
        v.tokens_with_rtr += 1;
        v.rtr_entries += u64::from(n);
        match &mut self.totem.rtr_ep {
            Some(e) if ts - e.last <= RTR_EPISODE_GAP => {
                e.last = ts;
                e.max = e.max.max(n);
                e.tokens += 1;
                e.entries += u64::from(n);
            }
            _ => {
                self.close_rtr();
                self.totem.rtr_ep = Some(RtrEpisode {
                    start: ts,
                    last: ts,
                    max: n,
                    tokens: 1,
                    entries: u64::from(n),
                });
            }
        }
    }

    /// A token towards `node` (`hold`: its arrival starts the node's hold).
    fn token_arrival(&mut self, node: u32, this: TokRx, hold: bool, hint: &mut u16) {
        let max_nodes = self.th.limits.max_nodes;
        let Some(tn) = self.totem.tok.entry(node, max_nodes, hint) else {
            return;
        };
        if hold {
            tn.arrival(this.ts);
        }
        let Some(p) = tn.rx else {
            tn.rx = Some(this);
            return;
        };
        if p.ring == this.ring && this.token_seq <= p.token_seq {
            return;
        }
        tn.rx = Some(this);
        let gap = this.ts - p.ts;
        let lost = i64::from(self.th.token_ms) * MS;
        self.totem.note_rotation(node, this.ts, gap, lost);
        self.totem
            .rotation
            .get_or_insert_with(fasthist::FastHist::new)
            .record_ns(gap);
        if gap > self.totem.max_rotation {
            self.totem.max_rotation = gap;
            self.totem.v.max_rotation_node = Some(node);
            self.totem.v.max_rotation_at = p.ts;
        }
        if gap > i64::from(self.th.token_warning_ms) * MS {
            self.token_gap(node, p.ts, this.ts, gap);
        }
    }

    /// A node waited longer than token_warning for the token: a finding.
    #[cold]
    fn token_gap(&mut self, node: u32, from: i64, to: i64, gap: i64) {
        let lost = i64::from(self.th.token_ms) * MS;
        let (kind, sev, what) = if gap > lost {
            (
                FindingKind::TokenLost,
                Severity::Critical,
                format!("beyond the {} ms token timeout", self.th.token_ms),
            )
        } else {
            (
                FindingKind::TokenAtRisk,
                Severity::Warning,
                format!("beyond token_warning {} ms", self.th.token_warning_ms),
            )
        };
        let node16 = u16::try_from(node).ok();
        let f = Finding::new(
            kind,
            sev,
            from,
            format!(
                "node {node} received no token for {:.0} ms, {what}",
                ms(gap)
            ),
        )
        .nodes(None, node16, None, None)
        .ended(to)
        .ev("gap_ms", ms(gap))
        .ev("token_warning_ms", f64::from(self.th.token_warning_ms))
        .ev("token_ms", f64::from(self.th.token_ms));
        self.push_finding(f);
    }

    /// A message of ring `ring` forwarded by `forwarder`.
    #[inline]
    fn ring_seen(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        // Nearly always the current ring, its members known.
        if let Some(cur) = self.totem.membership.last() {
            if cur.rep == ring.rep && cur.seq == ring.seq && !cur.members_inferred {
                return;
            }
        }
        self.ring_seen_slow(ring, ts, forwarder);
    }

    fn ring_seen_slow(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        let tl = &mut self.totem.membership;
        if let Some(cur) = tl.last_mut() {
            if cur.rep == ring.rep && cur.seq == ring.seq {
                if cur.members_inferred
                    && !cur.members.contains(&forwarder)
                    && cur.members.len() < 256
                {
                    cur.members.push(forwarder);
                    cur.members.sort_unstable();
                }
                return;
            }
        }
        if tl.iter().any(|m| m.rep == ring.rep && m.seq == ring.seq) {
            return;
        }
        if tl.len() >= self.th.limits.max_memberships {
            self.overflow.memberships += 1;
            return;
        }
        let commit = self.totem.commits.iter().find(|(r, _, _)| *r == ring);
        let (mut members, inferred) = match commit {
            Some((_, _, m)) => (m.clone(), false),
            None => (vec![forwarder], true),
        };
        members.sort_unstable();
        members.dedup();
        let prev = tl
            .last()
            .filter(|p| !p.members_inferred && !inferred)
            .map(|p| p.members.clone());
        let (left, joined) = match &prev {
            Some(pm) => (
                pm.iter()
                    .filter(|n| !members.contains(n))
                    .copied()
                    .collect::<Vec<_>>(),
                members
                    .iter()
                    .filter(|n| !pm.contains(n))
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let first = tl.is_empty();
        let ring_str = ring.to_string();
        let list = |v: &[u32]| {
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (sev, msg) = if !left.is_empty() {
            (
                Severity::Critical,
                format!(
                    "new membership ({ring_str}): members left: {}; joined: {}; members {}",
                    list(&left),
                    list(&joined),
                    list(&members)
                ),
            )
        } else if first {
            (
                Severity::Info,
                format!(
                    "membership ({ring_str}) with members {}",
                    if inferred {
                        "not seen".into()
                    } else {
                        list(&members)
                    }
                ),
            )
        } else {
            (
                Severity::Info,
                format!(
                    "new membership ({ring_str}): joined: {}; members {}",
                    list(&joined),
                    list(&members)
                ),
            )
        };
        let f = Finding::new(FindingKind::MembershipChange, sev, ts, msg)
            .ended(ts)
            .ev("ring_rep", f64::from(ring.rep))
            .ev("ring_seq", ring.seq as f64)
            .ev("members", members.len() as f64)
            .ev("left", left.len() as f64)
            .ev("joined", joined.len() as f64);
        tl.push(MembershipView {
            ts,
            ring_id: ring_str,
            rep: ring.rep,
            seq: ring.seq,
            members,
            members_inferred: inferred,
            left,
            joined,
        });
        self.push_finding(f);
    }

    fn close_rtr(&mut self) {
        let Some(e) = self.totem.rtr_ep.take() else {
            return;
        };
        if e.last - e.start < RTR_STORM_MIN {
            return;
        }
        let f = Finding::new(
            FindingKind::RetransmitStorm,
            Severity::Warning,
            e.start,
            format!(
                "tokens carried retransmit requests for {:.1} s (up to {} entries)",
                (e.last - e.start) as f64 / NS as f64,
                e.max
            ),
        )
        .ended(e.last)
        .ev("duration_ms", ms(e.last - e.start))
        .ev("rtr_max", f64::from(e.max))
        .ev("tokens_with_rtr", e.tokens as f64)
        .ev("rtr_entries", e.entries as f64);
        self.push_finding(f);
    }

    // ------------------------------------------------------------- snapshot

    /// A copy of everything the engine knows now. No I/O; cost is linear in
    /// the tracked links (and their time series), not in the packets seen.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.now.max(self.opaque_last);
        let vantage = self.vantage.or_else(|| self.infer_vantage());
        let vantage_addrs: Vec<IpAddr> = match vantage {
            Some(v) => self
                .addr_node
                .iter()
                .filter(|(_, n)| **n == v)
                .map(|(a, _)| *a)
                .collect(),
            None => Vec::new(),
        };
        let now_sec = now.div_euclid(NS);
        let mut links: Vec<LinkView> = self
            .dirs
            .iter()
            .map(|d| {
                let rev = d.rev.and_then(|r| self.dirs.get(r as usize));
                let expected = d.pings + d.missing;
                let loss_pct = loss_estimate(&Side::of(d), &rev.map(Side::of).unwrap_or_default());
                let mut series = Vec::new();
                let len = d.series_len as i64;
                for s in (now_sec - len + 1)..=now_sec {
                    if let Some(b) = d.bucket_ref(s) {
                        series.push(SeriesPoint {
                            ts: s * NS,
                            pings: b.pings,
                            pongs: b.pongs,
                            lost: b.missing + b.unanswered,
                            rtt_avg_us: if b.rtt_n > 0 {
                                (b.rtt_sum_us / u64::from(b.rtt_n)).min(u64::from(u32::MAX)) as u32
                            } else {
                                0
                            },
                            rtt_max_us: b.rtt_max_us,
                            packets: b.packets,
                            bytes: b.bytes,
                        });
                    }
                }
                LinkView {
                    src_node: d.src_node,
                    dst_node: d.dst_node,
                    src_addr: d.key.src,
                    dst_addr: d.key.dst,
                    link: d.key.link,
                    first_ts: d.first_ts,
                    last_ts: d.last_ts,
                    pings_sent: d.pings,
                    pongs_received: d.pongs,
                    pings_unanswered: d.unanswered,
                    pings_missing: d.missing,
                    late_pongs: d.late_pongs,
                    rtt_us: quantiles(&d.rtt, 1),
                    rtt_hist: rtt_buckets(&d.rtt),
                    jitter_us: if d.jitter_n == 0 {
                        0.0
                    } else {
                        d.jitter_sum / d.jitter_n as f64
                    },
                    measures: if vantage_addrs.contains(&d.key.dst) {
                        Measures::ResponderDelay
                    } else {
                        Measures::RoundTrip
                    },
                    ping_loss_pct: pct(d.missing + d.unanswered, expected),
                    data_copies_seen: d.data_seen,
                    data_copies_lost: d.data_lost,
                    size_buckets: (0..SIZE_BOUNDS.len() + 1)
                        .map(|c| SizeBucket {
                            max_bytes: SIZE_BOUNDS.get(c).copied(),
                            packets: d.sizes.packets[c],
                            rtt_us_p50: if c == 0 {
                                d.ping_p50()
                            } else {
                                d.sizes.probe_p50(c).map(|(p, _)| p)
                            },
                        })
                        .collect(),
                    loss_pct,
                    max_ping_gap_ms: ms(d.max_ping_gap),
                    max_ping_gap_at: d.max_ping_gap_at,
                    max_silence_ms: ms(d.max_pong_gap),
                    max_silence_at: d.max_pong_gap_at,
                    pong_age_ms: d.last_pong.map_or(0.0, |lp| ms(now - lp)),
                    state: d.state,
                    transitions: d.transitions.clone(),
                    downs: d.downs,
                    pmtu: d.pmtu,
                    pmtu_min: d.pmtu_min,
                    pmtud_unanswered: d.pmtud_unanswered.clone(),
                    pmtud_probes: d.pmtud_probes,
                    pmtud_replies: d.pmtud_replies,
                    icmp_too_big: d.icmp_too_big,
                    icmp_mtu: d.icmp_mtu,
                    ip_fragments: d.ip_fragments,
                    traffic: d.traffic,
                    series,
                }
            })
            .collect();
        links.sort_by_key(|l| {
            (
                l.src_node.is_none(),
                l.src_node,
                l.dst_node,
                l.link,
                l.src_addr,
                l.dst_addr,
            )
        });
        let mut nodes: Vec<NodeView> = self
            .nodes
            .values()
            .map(|n| NodeView {
                id: n.id,
                addrs: {
                    let mut a: Vec<IpAddr> = self
                        .addr_node
                        .iter()
                        .filter(|(_, id)| **id == n.id)
                        .map(|(a, _)| *a)
                        .collect();
                    a.sort();
                    a
                },
                first_ts: n.first_ts,
                last_ts: n.last_ts,
                packets: n.packets,
                max_gap_ms: ms(n.max_gap),
                max_gap_at: n.max_gap_at,
            })
            .collect();
        nodes.sort_by_key(|n| n.id);
        let mut totem = self.totem.v.clone();
        totem.token_rotation_us = self
            .totem
            .rotation
            .as_ref()
            .and_then(|h| quantiles(&h.to_hdr(), 1));
        totem.hold_us = self
            .totem
            .tok
            .hists()
            .filter_map(|(n, h)| quantiles(&h, 1).map(|q| (n, q)))
            .collect();
        totem.hold_us.sort_by_key(|(n, _)| *n);
        totem.series = self.totem.series.clone();
        totem.rotations = self.totem.rotations.iter().copied().collect();
        for d in self.dirs.iter().filter(|d| d.totem_data > 0) {
            add_link_count(&mut totem.data_by_link, d.key.link, d.totem_data);
        }
        totem.data_by_link.sort_unstable();
        let mut findings = self.findings.clone();
        // Episodes still open are shown with no end.
        for d in &self.dirs {
            if let Some(ep) = &d.loss_ep {
                let (fwd, rev) = ep.sums.estimates();
                findings.push(
                    Finding::new(
                        FindingKind::Loss,
                        Severity::Warning,
                        ep.start,
                        format!(
                            "{fwd:.1} % loss on link {} so far (reverse {rev:.1} %)",
                            d.key.link
                        ),
                    )
                    .nodes(
                        d.src_node,
                        d.dst_node,
                        Some(d.key.link),
                        Some(Direction::SrcToDst),
                    )
                    .ev("loss_pct", fwd)
                    .ev("reverse_loss_pct", rev),
                );
            }
        }
        findings.sort_by_key(|f| (f.start, f.kind.name()));
        Snapshot {
            first_ts: self.first_ts,
            now,
            finished: self.finished,
            thresholds: self.th.clone(),
            packets: self.packets,
            bytes: self.bytes,
            opaque_packets: self.opaque,
            vantage,
            nodes,
            links,
            totem,
            membership: self.totem.membership.clone(),
            findings,
            node_names: self.node_names.clone(),
            overflow: self.overflow,
        }
    }

    /// One address takes part in every directed path, with ≥ 2 peers: the
    /// capture was taken on that node.
    fn infer_vantage(&self) -> Option<u16> {
        // The link layer said which frames the host sent.
        if let Some(n) = self.outgoing.node(|a| self.addr_node.get(a).copied()) {
            return Some(n);
        }
        let first = self.dirs.first()?;
        let mut peers: Vec<IpAddr> = Vec::new();
        for cand in [first.key.src, first.key.dst] {
            peers.clear();
            let all = self.dirs.iter().all(|d| {
                let other = if d.key.src == cand {
                    d.key.dst
                } else if d.key.dst == cand {
                    d.key.src
                } else {
                    return false;
                };
                if !peers.contains(&other) && peers.len() < 64 {
                    peers.push(other);
                }
                true
            });
            if all && peers.len() >= 2 {
                return self.addr_node.get(&cand).copied();
            }
        }
        None
    }
}
