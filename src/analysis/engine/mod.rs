//! The engine's state and the per-packet work.
//!
//! Every packet goes through the same three steps: [`Engine::begin`] (the
//! clock, the packet's link and directed path, its sender, the path's
//! counters), the handler of its knet type (ping, pong, PMTUD, DATA), and
//! [`Engine::end`] (the totem message it carries). Once per second of
//! capture time `clock` expires pings, settles DATA copies, checks link
//! deadlines and judges the second whose pings are resolved.
//!
//! The state is split along the same seams: [`Dir`], defined here, is one
//! directed path, composed of one sub-struct per concern; each module owns
//! its sub-struct and the engine methods that work on it. The modules
//! depend on this one ([`Engine`], [`Dir`]) and on the modules above them
//! in this list, never on each other in a circle:
//!
//! * `path` — path keys (src, dst, link), their one-second buckets, the
//!   link and path of a flow; `flow` caches the lookup;
//! * `clock` — capture time, the once-a-second tick;
//! * `nodes` — per node activity, silences, address ↔ node id;
//! * `ping` — pings and pongs: counts, cadence, RTT;
//! * `link` — knet's link state machine (up, down, backoff);
//! * `pmtud` — PMTUD probes and replies, ICMP too-big;
//! * `loss` — loss windows and episodes from pings and DATA copies;
//!   `seqloss` tracks DATA sequence numbers;
//! * `latency` — RTT episodes and the RTT budget; `asym` compares the two
//!   directions, `sizes` packet sizes and latency by size;
//! * `totem` — tokens, retransmits, rotation and hold (`hold`, `fasthist`);
//! * `ownview` — knet's link state at a node whose pongs were lost after
//!   the capture point (its PMTUD run when a link came up);
//! * `membership` — rings and their members;
//! * `inferred` — what the keyless inference says of encrypted packets;
//! * `cadence` — the spacing of a path's timed pings; `wire` checks the
//!   budgets against it and the token hold, and takes the wire's budgets;
//! * `views` — the `Snapshot` built from all of it.

use std::net::IpAddr;

use hdrhistogram::Histogram;

use crate::analysis::budget::Thresholds;
use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};
use crate::analysis::hash::{FastMap, SmallMap, insert_capped};
use crate::analysis::snapshot::{LinkState, Overflow, TypeCount};
use crate::compact::{Kind, Lists, MsgBody, PacketRec};
use crate::decode::Packet;

mod asym;
mod cadence;
mod clock;
mod cuts;
mod fasthist;
mod flow;
mod hold;
mod inferred;
mod latency;
mod link;
mod loss;
mod membership;
mod nodes;
mod ownview;
mod path;
mod ping;
mod pmtud;
mod rtrloss;
mod seqloss;
mod sizes;
#[cfg(test)]
pub(crate) mod testkit;
mod tokloss;
mod totem;
mod views;
mod wire;

use super::pct;
use hold::TokRx;
use latency::LatState;
use link::KnetLink;
use loss::{LossState, Side, loss_estimate};
use membership::Rings;
use nodes::NodeState;
use path::{Bucket, Hints, PathKey};
use ping::{Pending, PingKey, PingStats};
use pmtud::PmtudState;
use seqloss::{SeqEvidence, SeqTrack};
pub use sizes::SIZE_BOUNDS;
use sizes::SizeStats;
use totem::{TotemState, add_link_count};

const NS: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// Highest RTT / rotation the histograms hold, µs (larger values saturate).
const HIST_MAX_US: u64 = 120_000_000;

fn new_hist() -> Histogram<u32> {
    // Two significant digits (1 % resolution) keep a histogram near 15 KiB.
    Histogram::new_with_bounds(1, HIST_MAX_US, 2).expect("constant histogram bounds are valid")
}

/// Capture timestamps are kept within 1970..2200.
fn clamp_ts(ts: i64) -> i64 {
    ts.clamp(0, 7_258_118_400 * NS)
}

fn ms(ns: i64) -> f64 {
    ns as f64 / MS as f64
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

/// One directed path: src's packets to dst on one knet link. Each concern
/// keeps its part of the state in its own field, defined in its module.
#[derive(Debug)]
struct Dir {
    key: PathKey,
    rev: Option<u32>,
    /// A ping of this path was answered in time: its ends are confirmed.
    confirmed: bool,
    hints: Hints,
    src_node: Option<u16>,
    dst_node: Option<u16>,
    first_ts: i64,
    last_ts: i64,
    traffic: [TypeCount; 7],
    ip_fragments: u64,
    /// knet DATA packets carrying a totem message.
    totem_data: u64,
    /// A ring of one-second buckets; its length is a power of two (the slot
    /// is a mask, not a division), at least `series_len`.
    buckets: Vec<Bucket>,
    /// Seconds the snapshot's series shows.
    series_len: usize,
    /// Packets and PMTUD latency by size class.
    sizes: SizeStats,
    /// src's ping session to dst (`ping`).
    ping: PingStats,
    /// knet's view of the link at src (`link`).
    link: KnetLink,
    /// PMTUD from src towards dst (`pmtud`).
    pmtud: PmtudState,
    /// Loss windows and episodes (`loss`).
    loss: LossState,
    /// DATA seq evidence (`seqloss`).
    seq: SeqEvidence,
    mcast: rtrloss::McastEvidence,
    /// Token copies judged by the receiver's next token (`tokloss`).
    tok: tokloss::TokEvidence,
    /// RTT episodes (`latency`).
    lat: LatState,
    /// The spacing of src's timed pings (`cadence`).
    cadence: cadence::Cadence,
}

impl Dir {
    fn new(key: PathKey, ts: i64, series_len: usize) -> Self {
        Dir {
            key,
            rev: None,
            confirmed: false,
            hints: Hints::default(),
            src_node: None,
            dst_node: None,
            first_ts: ts,
            last_ts: ts,
            traffic: [TypeCount::default(); 7],
            ip_fragments: 0,
            totem_data: 0,
            buckets: vec![
                Bucket {
                    sec: i64::MIN,
                    ..Bucket::default()
                };
                series_len.max(64).next_power_of_two()
            ],
            series_len: series_len.max(64),
            sizes: SizeStats::default(),
            ping: PingStats::new(),
            link: KnetLink::new(),
            pmtud: PmtudState::new(),
            loss: LossState::new(),
            seq: SeqEvidence::new(),
            mcast: rtrloss::McastEvidence::default(),
            tok: tokloss::TokEvidence::default(),
            lat: LatState::default(),
            cadence: cadence::Cadence::default(),
        }
    }

    /// A finding about this path: its nodes and link, flowing `dir`.
    fn finding(
        &self,
        kind: FindingKind,
        severity: Severity,
        start: i64,
        dir: Direction,
        message: String,
    ) -> Finding {
        Finding::new(kind, severity, start, message).nodes(
            self.src_node,
            self.dst_node,
            Some(self.key.link),
            Some(dir),
        )
    }

    /// The bucket of second `sec` to count a loss in.
    fn loss_bucket(&mut self, sec: i64) -> Option<&mut Bucket> {
        self.loss.last_sec = self.loss.last_sec.max(sec);
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
    /// Nodes confirmed by answered pings, and the members of the latest
    /// ring a commit token listed: the node counts budgets follow.
    confirmed_nodes: u32,
    ring_members: u32,
    pending: FastMap<PingKey, Pending>,
    /// DATA seq tracking per sender node.
    seqs: SmallMap<u16, SeqTrack>,
    /// Totem messages and the retransmit requests for them.
    rtr: rtrloss::RtrLoss,
    /// Token copies waiting for their receiver's next token.
    tokl: tokloss::TokLoss,
    /// Nodes whose paths on a link all went dark together, waiting to be
    /// decided (`cuts`).
    short_cuts: Vec<cuts::ShortCut>,
    /// Each node's paths on each link, judged once a second (reused).
    cut_groups: Vec<(u16, u8, cuts::Group)>,
    totem: TotemState,
    rings: Rings,
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
    /// The budgets checked against the wire (`wire`), once decided.
    wire: crate::analysis::snapshot::WireView,
    wire_decided: bool,
    hold_decided: bool,
    /// The lists of the packet [`Engine::ingest`] converts (reused).
    scratch: Lists,
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
            confirmed_nodes: 0,
            ring_members: 0,
            pending: FastMap::with_capacity_and_hasher(pending_cap, Default::default()),
            seqs: SmallMap::default(),
            rtr: rtrloss::RtrLoss::new(),
            tokl: tokloss::TokLoss::default(),
            short_cuts: Vec::new(),
            cut_groups: Vec::new(),
            totem: TotemState::default(),
            rings: Rings::default(),
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
            wire: Default::default(),
            wire_decided: false,
            hold_decided: false,
            scratch: Lists::default(),
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

    /// Feeds one decoded packet. Timestamps should not go backwards; a packet
    /// older than the latest one is used but does not move time back.
    /// The packet's compact record is what the engine reads
    /// ([`Engine::ingest_rec`]).
    pub fn ingest(&mut self, p: &Packet<'_>) {
        let mut lists = std::mem::take(&mut self.scratch);
        lists.clear();
        let r = PacketRec::of(p, &mut lists);
        self.ingest_rec(&r, &lists);
        self.scratch = lists;
    }

    /// Feeds one packet's compact record; `lists` holds the totem lists it
    /// points to.
    pub fn ingest_rec(&mut self, p: &PacketRec, lists: &Lists) {
        // knet DATA (tokens, messages) is nearly all traffic: its own copy
        // of the path, with the type known.
        match &p.kind {
            Kind::Data {
                node,
                seq,
                frag_seq,
                bcast,
                totem,
            } => {
                let mut c = self.begin(p, 0, Some(*node), None);
                if let Some(i) = c.dir {
                    self.on_data(
                        i,
                        *node,
                        *seq,
                        *frag_seq,
                        *bcast,
                        c.ts,
                        c.sec,
                        &mut c.hints.seqs,
                    );
                }
                if totem.body != MsgBody::None {
                    self.totem_of(p, totem, lists, &mut c);
                }
                self.end(c);
            }
            _ => self.ingest_other(p, lists),
        }
    }

    fn ingest_other(&mut self, p: &PacketRec, lists: &Lists) {
        // The type's counter, the sender, and the link service packets name.
        let (ty, knet_node, pkt_link) = match &p.kind {
            Kind::Data { .. } => return self.ingest_rec(p, lists),
            Kind::Ping(x) => (1, Some(x.node), Some(x.link)),
            Kind::Pong(x) => (2, Some(x.node), Some(x.link)),
            Kind::Pmtud(x) => (3, Some(x.node), Some(x.link)),
            Kind::PmtudReply(x) => (4, Some(x.node), Some(x.link)),
            Kind::OtherKnet { node } => (6, Some(*node), None),
            Kind::Totem(_) => (5, None, None),
            Kind::Opaque { .. } => (6, None, None),
        };
        let mut c = self.begin(p, ty, knet_node, pkt_link);
        let ts = c.ts;
        match &p.kind {
            Kind::Ping(ping) => {
                self.tokl
                    .beat(u32::from(ping.node), ts, self.th.limits.max_nodes);
                if let Some(i) = c.dir {
                    if ping.timed {
                        self.dirs[i as usize].cadence.note(ts);
                    }
                    self.on_ping(i, ping, p.src, p.dst, ts);
                }
            }
            Kind::Pong(pong) => {
                self.tokl
                    .beat(u32::from(pong.node), ts, self.th.limits.max_nodes);
                self.on_pong(pong, p.src, p.dst, ts);
            }
            Kind::Pmtud(x) => {
                if let Some(i) = c.dir {
                    self.on_probe(i, x.size, ts);
                }
            }
            Kind::PmtudReply(x) => {
                let r = crate::wire::knet::Pmtud {
                    node: x.node,
                    link: x.link,
                    size_bytes: x.size.to_le_bytes(),
                    filler_len: 0,
                };
                self.on_pmtud_reply(p.src, p.dst, &r, x.size, ts);
            }
            Kind::Totem(m) => self.totem_of(p, m, lists, &mut c),
            _ => {}
        }
        self.end(c);
    }

    /// What every packet goes through first: time, its path and sender,
    /// the path's counters. `ty` is its traffic type, `knet_node` the
    /// sender the knet header names, `pkt_link` the link it names.
    #[inline(always)]
    fn begin(
        &mut self,
        p: &PacketRec,
        ty: usize,
        knet_node: Option<u16>,
        pkt_link: Option<u8>,
    ) -> Ctx {
        // Keeps all time arithmetic far from overflow (a corrupt record may
        // carry any timestamp).
        let ts = clamp_ts(p.ts);
        let d = p;
        let len = u64::from(d.ip_len);
        self.packets += 1;
        self.bytes += len;
        if matches!(p.kind, Kind::Opaque { .. }) {
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
        let (link, dir) = match self.flows.get(&d.src, &d.dst, d.sport, d.dport, pkt_link) {
            Some((l, i)) => (l, Some(i)),
            None => self.flow_slow(d.src, d.dst, d.sport, d.dport, pkt_link, ts),
        };
        // Who sent it.
        let sender = match (knet_node, p.totem()) {
            (Some(n), _) => Some(n),
            (None, Some(t))
                if matches!(
                    t.body,
                    MsgBody::OrfToken { .. } | MsgBody::CommitToken { .. } | MsgBody::Join
                ) =>
            {
                u16::try_from(t.nodeid).ok()
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
                let last = dd.seq.last_data_ts;
                if last != i64::MIN && ts - last > NS {
                    dd.seq.data_gap = (last, ts);
                }
                dd.seq.last_data_ts = last.max(ts);
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

    /// What every packet goes through last (after the totem message it
    /// carries): the path's hints kept for the next packet.
    #[inline(always)]
    fn end(&mut self, c: Ctx) {
        if let Some(dd) = c.dir.and_then(|i| self.dirs.get_mut(i as usize)) {
            dd.hints = c.hints;
        }
    }

    /// Maps addresses to node ids (corosync.conf's nodelist): needed to name
    /// the nodes of encrypted traffic analysed without the key.
    pub fn set_addresses(&mut self, map: &[(IpAddr, u16)]) {
        insert_capped(&mut self.addr_node, map, self.th.limits.max_addrs);
    }

    fn push_finding(&mut self, f: Finding) -> Option<usize> {
        if self.findings.len() >= self.th.limits.max_findings {
            self.overflow.findings += 1;
            return None;
        }
        self.findings.push(f);
        Some(self.findings.len() - 1)
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
        self.settle_token_copies(now);
        let now_sec = now.div_euclid(NS);
        let from = self
            .eval_sec
            .map_or(now_sec - self.th.limits.series_len as i64 + 1, |s| s + 1);
        for k in from.max(now_sec - self.th.limits.series_len as i64 + 1)..=now_sec {
            self.evaluate(k);
        }
        self.eval_sec = Some(now_sec);
        self.check_probes_into_silences(now, true);
        for i in 0..self.dirs.len() {
            self.close_loss(i, None);
            self.close_latency(i);
            self.close_pmtud_run(i);
        }
        self.close_rtr();
        self.close_quiet_resends(i64::MAX);
        self.stalled_token_losses();
        self.commit_only_attempt(None);
        self.check_wire(now_sec, true);
        self.budget_latency();
        self.asymmetry();
        self.size_latency();
        // Pings still waiting at the end are neither answered nor lost.
        self.pending.clear();
        self.now = end.max(now);
        self.finished = true;
    }
}
