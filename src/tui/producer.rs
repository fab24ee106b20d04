//! PROVISIONAL producer: builds the [`View`] straight from decoded packets.
//!
//! This stands in for the analysis engine (`src/analysis/`, issue 5) until
//! its `Snapshot` is merged; then an adapter `Snapshot -> View` replaces
//! [`Builder`] and this file goes away. It measures only what the screen
//! needs and uses capture time only:
//!
//! - RTT per directed link (pinger → responder address, knet link): a PONG
//!   is matched to its PING by the echoed timestamp bytes.
//! - Loss: pings without a pong after the ping timeout.
//! - Silences and link state: gaps in a pinger's pong stream against
//!   `knet_ping_timeout`; up again after `knet_pong_count` pongs.
//! - PMTU: largest PMTUD probe size answered.
//! - Totem: token rotation (the ring representative's successive tokens),
//!   token retransmits (same token_seq again), retransmit lists, and the
//!   membership timeline from commit tokens (and ORF tokens of new rings).
//! - Findings: link down, all links of a pair down, ping loss, token at
//!   risk, token lost, membership change.
//!
//! State is capped ([`MAX_ROWS`], [`MAX_NODES`]); nothing is allocated per
//! packet except when a new row, node or time bin first appears.

use std::collections::VecDeque;
use std::net::IpAddr;

use hdrhistogram::Histogram;

use crate::decode::{Outcome, Packet};
use crate::output;
use crate::wire::classify::Class;
use crate::wire::knet::Knet;
use crate::wire::totem::{Body, RingId};

use super::model::*;

/// Directed links tracked; more are counted in `Header::untracked`.
pub const MAX_ROWS: usize = 256;
/// Nodes (and node addresses) tracked.
pub const MAX_NODES: usize = 64;
/// RTT time-series bins kept per link (1 s each).
pub const SERIES_BINS: usize = 900;
/// Outstanding pings remembered per link.
const PENDING: usize = 16;
/// Silences kept per link (the most recent).
const SILENCES: usize = 32;
/// Token rotations kept for the series.
const ROTATIONS: usize = 2048;
const BIN_NS: i64 = 1_000_000_000;
/// State is re-evaluated every this much capture time.
const EVAL_NS: i64 = 50_000_000;
/// A PMTUD reply this long after the previous one starts a new round.
const PMTUD_ROUND_GAP_NS: i64 = 5_000_000_000;

/// Upper bounds (µs) of the RTT histogram buckets; the last bucket is open.
pub const BUCKETS_US: [u64; 12] = [
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
];

/// The screen's budgets from the config crate's (`src/config/budgets.rs`).
pub fn budgets_from(b: &crate::config::Budgets, origin: String) -> Budgets {
    let knet = b.knet.as_ref();
    Budgets {
        token_ms: b.token_ms.value,
        token_warning_ms: b.token_warning_ms.map_or(0, |w| w.value),
        consensus_ms: b.consensus_ms.value,
        ping_interval_ms: knet.map_or(0, |k| k.ping_interval_ms.value),
        ping_timeout_ms: knet.map_or(0, |k| k.ping_timeout_ms.value),
        pong_count: knet.map_or(0, |k| k.pong_count.value),
        origin,
    }
}

/// corosync 3.1 default budgets for `n` nodes (the node count seen).
pub fn default_budgets(n: usize) -> Budgets {
    let n = n.max(2);
    budgets_from(
        &crate::config::Budgets::defaults(crate::config::CorosyncVersion::V3_1, n),
        format!("corosync 3.1 defaults, {n} nodes seen"),
    )
}

/// Budgets and node names from a corosync.conf.
pub fn from_config(cfg: &crate::config::ClusterConfig) -> (Budgets, Vec<Node>) {
    let b = crate::config::Budgets::from_config(crate::config::CorosyncVersion::V3_1, cfg, 2);
    let origin = match &cfg.file {
        Some(f) => f.file_name().map_or(f.display().to_string(), |n| {
            n.to_string_lossy().into_owned()
        }),
        None => "corosync.conf".into(),
    };
    let names = cfg
        .nodelist
        .iter()
        .filter_map(|n| {
            Some(Node {
                id: n.nodeid?,
                name: n.name.clone().unwrap_or_default(),
            })
        })
        .collect();
    (budgets_from(&b, origin), names)
}

#[derive(Clone, Copy)]
struct Pending {
    time: [u8; 16],
    ts: i64,
    live: bool,
}

struct Row {
    src: u32,
    dst_ip: IpAddr,
    link: u8,
    pending: [Pending; PENDING],
    next_slot: usize,
    pings: u64,
    pongs: u64,
    matched: u64,
    lost: u64,
    /// Lost pings while the link was up (loss findings ignore outages).
    lost_while_up: u64,
    hist: Histogram<u64>,
    buckets: [u64; BUCKETS_US.len() + 1],
    series: VecDeque<RttPoint>,
    cur: RttPoint,
    last_pong: Option<i64>,
    pongs_since_down: u32,
    state: LinkState,
    silences: VecDeque<Silence>,
    max_silence_ns: i64,
    /// PMTUD rounds: replies closer than [`PMTUD_ROUND_GAP_NS`] belong to one.
    pmtu_round_ts: i64,
    pmtu_round_max: u32,
    pmtu_prev_round: u32,
    /// The last finished round's size, and whether the current round was judged.
    pmtu_judged: u32,
    round_judged: bool,
    /// Index of the open link-down finding.
    down_finding: Option<usize>,
    loss_finding: Option<usize>,
}

impl Row {
    fn new(src: u32, dst_ip: IpAddr, link: u8, ts: i64) -> Row {
        Row {
            src,
            dst_ip,
            link,
            pending: [Pending {
                time: [0; 16],
                ts: 0,
                live: false,
            }; PENDING],
            next_slot: 0,
            pings: 0,
            pongs: 0,
            matched: 0,
            lost: 0,
            lost_while_up: 0,
            hist: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds"),
            buckets: [0; BUCKETS_US.len() + 1],
            series: VecDeque::with_capacity(SERIES_BINS),
            cur: RttPoint {
                ts: ts - ts.rem_euclid(BIN_NS),
                max_us: None,
                lost: 0,
            },
            last_pong: None,
            pongs_since_down: 0,
            state: LinkState::Unknown,
            silences: VecDeque::with_capacity(SILENCES),
            max_silence_ns: 0,
            pmtu_round_ts: i64::MIN,
            pmtu_round_max: 0,
            pmtu_prev_round: 0,
            pmtu_judged: 0,
            round_judged: true,
            down_finding: None,
            loss_finding: None,
        }
    }

    /// Closes time bins up to the one holding `ts`.
    fn roll(&mut self, ts: i64) {
        let bin = ts - ts.rem_euclid(BIN_NS);
        if bin <= self.cur.ts {
            return;
        }
        let gap = bin.saturating_sub(self.cur.ts) / BIN_NS;
        if gap > SERIES_BINS as i64 {
            self.series.clear();
        } else {
            self.push_bin(self.cur);
            let mut t = self.cur.ts + BIN_NS;
            while t < bin {
                self.push_bin(RttPoint {
                    ts: t,
                    max_us: None,
                    lost: 0,
                });
                t += BIN_NS;
            }
        }
        self.cur = RttPoint {
            ts: bin,
            max_us: None,
            lost: 0,
        };
    }

    fn push_bin(&mut self, p: RttPoint) {
        if self.series.len() == SERIES_BINS {
            self.series.pop_front();
        }
        self.series.push_back(p);
    }

    fn record_rtt(&mut self, us: u64) {
        let _ = self.hist.record(us.clamp(1, 60_000_000));
        let i = BUCKETS_US
            .iter()
            .position(|&u| us <= u)
            .unwrap_or(BUCKETS_US.len());
        self.buckets[i] += 1;
        let v = u32::try_from(us).unwrap_or(u32::MAX);
        self.cur.max_us = Some(self.cur.max_us.map_or(v, |m| m.max(v)));
    }

    fn pmtud_reply(&mut self, ts: i64, size: u32) {
        if ts.saturating_sub(self.pmtu_round_ts) > PMTUD_ROUND_GAP_NS {
            if self.pmtu_round_max > 0 {
                self.pmtu_prev_round = self.pmtu_round_max;
            }
            self.pmtu_round_max = size;
            self.round_judged = false;
        } else {
            self.pmtu_round_max = self.pmtu_round_max.max(size);
        }
        self.pmtu_round_ts = ts;
    }

    /// The path MTU as of `now`: the largest size the latest finished
    /// PMTUD round acknowledged (while a round runs, the previous one counts
    /// too, so a half-done search does not look like a drop).
    fn pmtu(&self, now: i64) -> Option<u32> {
        let v = if now.saturating_sub(self.pmtu_round_ts) > PMTUD_ROUND_GAP_NS {
            self.pmtu_round_max
        } else {
            self.pmtu_round_max.max(self.pmtu_prev_round)
        };
        (v > 0).then_some(v)
    }

    fn push_silence(&mut self, s: Silence) {
        if self.silences.len() == SILENCES {
            self.silences.pop_front();
        }
        self.silences.push_back(s);
    }
}

#[derive(Clone, Copy)]
struct TokenSender {
    node: u32,
    ts: i64,
    token_seq: u32,
}

/// Turns decoded packets into a [`View`] (provisional; see the module docs).
pub struct Builder {
    header: Header,
    budgets_override: Option<Budgets>,
    names: Vec<Node>,
    nodes: Vec<u32>,
    ip_nodes: Vec<(IpAddr, u32)>,
    rows: Vec<Row>,
    findings: Vec<Finding>,
    now: Option<i64>,
    next_eval: i64,
    // totem
    senders: Vec<TokenSender>,
    last_token: Option<i64>,
    token_lost_finding: Option<usize>,
    rotations: VecDeque<(i64, u32)>,
    rot_hist: Histogram<u64>,
    token_retransmits: u64,
    rtr_max: u32,
    rtr_total: u64,
    ring: Option<RingId>,
    membership: Vec<Membership>,
    members_buf: Vec<u32>,
    /// Only the header counters: the analysis engine does the rest.
    header_only: bool,
}

impl Builder {
    /// `budgets`: from the configuration; None = corosync defaults for the
    /// node count seen. `names`: configured node names.
    pub fn new(source: &str, kind: SourceKind, budgets: Option<Budgets>, names: Vec<Node>) -> Self {
        Builder {
            header: Header {
                source: source.to_string(),
                kind,
                ..Header::default()
            },
            budgets_override: budgets,
            names,
            nodes: Vec::new(),
            ip_nodes: Vec::new(),
            rows: Vec::new(),
            findings: Vec::new(),
            now: None,
            next_eval: i64::MIN,
            senders: Vec::new(),
            last_token: None,
            token_lost_finding: None,
            rotations: VecDeque::with_capacity(ROTATIONS),
            rot_hist: Histogram::new_with_bounds(1, 600_000, 3).expect("valid histogram bounds"),
            token_retransmits: 0,
            rtr_max: 0,
            rtr_total: 0,
            ring: None,
            membership: Vec::new(),
            members_buf: Vec::with_capacity(MAX_NODES),
            header_only: false,
        }
    }

    /// Keep only the header counters (the analysis engine measures).
    pub fn set_header_only(&mut self, on: bool) {
        self.header_only = on;
    }

    pub fn header_mut(&mut self) -> &mut Header {
        &mut self.header
    }

    pub fn findings_len(&self) -> usize {
        self.findings.len()
    }

    pub fn now(&self) -> Option<i64> {
        self.now
    }

    pub fn budgets(&self) -> Budgets {
        self.budgets_override
            .clone()
            .unwrap_or_else(|| default_budgets(self.nodes.len()))
    }

    fn timeout_ns(&self) -> i64 {
        let b = match &self.budgets_override {
            Some(b) => b.ping_timeout_ms,
            None => default_budgets(self.nodes.len()).ping_timeout_ms,
        };
        i64::from(b) * 1_000_000
    }

    fn budget_num(&self, f: impl Fn(&Budgets) -> u32) -> u32 {
        match &self.budgets_override {
            Some(b) => f(b),
            None => f(&default_budgets(self.nodes.len())),
        }
    }

    fn note_node(&mut self, id: u32) {
        if id != 0 && !self.nodes.contains(&id) && self.nodes.len() < MAX_NODES {
            let at = self.nodes.partition_point(|&n| n < id);
            self.nodes.insert(at, id);
        }
    }

    fn note_ip(&mut self, ip: IpAddr, node: u32) {
        let len = self.ip_nodes.len();
        match self.ip_nodes.iter_mut().find(|(a, _)| *a == ip) {
            Some(e) => e.1 = node,
            None if len < MAX_NODES * 8 => self.ip_nodes.push((ip, node)),
            None => {}
        }
    }

    fn node_of(&self, ip: IpAddr) -> Option<u32> {
        self.ip_nodes.iter().find(|(a, _)| *a == ip).map(|e| e.1)
    }

    fn row(&mut self, src: u32, dst_ip: IpAddr, link: u8, ts: i64) -> Option<usize> {
        if let Some(i) = self
            .rows
            .iter()
            .position(|r| r.src == src && r.dst_ip == dst_ip && r.link == link)
        {
            return Some(i);
        }
        if self.rows.len() >= MAX_ROWS {
            self.header.untracked += 1;
            return None;
        }
        self.rows.push(Row::new(src, dst_ip, link, ts));
        Some(self.rows.len() - 1)
    }

    /// Counts a source error (the capture goes on when it can).
    pub fn capture_error(&mut self, msg: String) {
        self.header.capture_errors += 1;
        self.header.error = Some(msg);
    }

    /// Feeds one decode outcome.
    pub fn ingest(&mut self, ts: i64, o: &Outcome<'_>) {
        self.header.frames += 1;
        self.advance_clock(ts);
        if let Outcome::Corosync(p) = o {
            self.packet(p);
        }
    }

    /// Moves the clock without a packet (live capture idle): ages, silences
    /// and state follow wall time.
    pub fn tick(&mut self, now: i64) {
        self.advance_clock(now);
    }

    fn advance_clock(&mut self, ts: i64) {
        self.header.first_ts.get_or_insert(ts);
        if self.now.is_none_or(|n| ts > n) {
            self.now = Some(ts);
            self.header.now_ts = Some(ts);
        }
        let now = self.now.unwrap_or(ts);
        if now >= self.next_eval {
            self.next_eval = (now - now.rem_euclid(EVAL_NS)).saturating_add(EVAL_NS);
            self.evaluate(now);
        }
    }

    fn packet(&mut self, p: &Packet<'_>) {
        self.header.corosync_packets += 1;
        if p.decrypted {
            self.header.decrypted += 1;
        }
        match p.class {
            Class::Encrypted => self.header.encrypted += 1,
            Class::Malformed => self.header.malformed += 1,
            _ => {}
        }
        if self.header_only {
            return;
        }
        if let Some(k) = &p.knet {
            let sender = u32::from(k.node());
            self.note_node(sender);
            self.note_ip(p.dgram.src, sender);
            match k {
                Knet::Ping(ping) => self.ping(p, ping.link, &ping.time),
                Knet::Pong(pong) => self.pong(p, pong.link, &pong.time),
                Knet::PmtudReply(m) => {
                    if let (Some(size), Some(prober)) = (p.pmtud_size(), self.node_of(p.dgram.dst))
                    {
                        if let Some(i) = self.row(prober, p.dgram.src, m.link, p.ts) {
                            self.rows[i].pmtud_reply(p.ts, u32::from(size));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(t) = &p.totem {
            self.note_node(t.header.nodeid);
            self.totem(p.ts, t.header.nodeid, &t.body);
        }
    }

    fn ping(&mut self, p: &Packet<'_>, link: u8, time: &[u8; 16]) {
        let src = u32::from(p.knet.map_or(0, |k| k.node()));
        let Some(i) = self.row(src, p.dgram.dst, link, p.ts) else {
            return;
        };
        let r = &mut self.rows[i];
        r.roll(p.ts);
        r.pings += 1;
        let slot = r.next_slot;
        if r.pending[slot].live {
            // Never answered and pushed out by newer pings: lost.
            r.lost += 1;
            r.cur.lost += 1;
            if r.state == LinkState::Up {
                r.lost_while_up += 1;
            }
        }
        r.pending[slot] = Pending {
            time: *time,
            ts: p.ts,
            live: true,
        };
        r.next_slot = (slot + 1) % PENDING;
    }

    fn pong(&mut self, p: &Packet<'_>, link: u8, time: &[u8; 16]) {
        let Some(pinger) = self.node_of(p.dgram.dst) else {
            return;
        };
        let Some(i) = self.row(pinger, p.dgram.src, link, p.ts) else {
            return;
        };
        let pong_count = self.budget_num(|b| b.pong_count);
        let r = &mut self.rows[i];
        r.roll(p.ts);
        r.pongs += 1;
        if let Some(s) = r.pending.iter_mut().find(|s| s.live && s.time == *time) {
            s.live = false;
            let us = u64::try_from(p.ts.saturating_sub(s.ts).max(0) / 1000).unwrap_or(0);
            r.matched += 1;
            r.record_rtt(us);
        }
        if let Some(last) = r.last_pong {
            let gap = p.ts.saturating_sub(last);
            r.max_silence_ns = r.max_silence_ns.max(gap);
        }
        r.last_pong = Some(p.ts);
        match r.state {
            LinkState::Up => {}
            LinkState::Unknown | LinkState::Down => {
                r.pongs_since_down += 1;
                if r.pongs_since_down >= pong_count.max(1) {
                    let was_down = r.state == LinkState::Down;
                    r.state = LinkState::Up;
                    r.pongs_since_down = 0;
                    if was_down {
                        self.link_up(i, p.ts);
                    }
                }
            }
        }
    }

    fn link_up(&mut self, i: usize, ts: i64) {
        let r = &mut self.rows[i];
        if let Some(s) = r.silences.back_mut() {
            if s.end.is_none() {
                s.end = Some(ts);
                s.ms = u64::try_from(ts.saturating_sub(s.start) / 1_000_000).unwrap_or(0);
            }
        }
        if let Some(fi) = r.down_finding.take() {
            if let Some(f) = self.findings.get_mut(fi) {
                f.end = Some(ts);
                let secs = ts.saturating_sub(f.start) as f64 / 1e9;
                f.evidence.push(format!(
                    "up again at {} after {secs:.1} s",
                    output::clock(ts)
                ));
            }
        }
    }

    /// Re-judges time-driven state: silences, link down, token lost.
    fn evaluate(&mut self, now: i64) {
        let timeout = self.timeout_ns();
        let token_ms = self.budget_num(|b| b.token_ms);
        let pong_count = self.budget_num(|b| b.pong_count);
        for i in 0..self.rows.len() {
            let r = &mut self.rows[i];
            r.roll(now);
            // Pings unanswered beyond the timeout are lost.
            for s in r.pending.iter_mut() {
                if s.live && now.saturating_sub(s.ts) > timeout {
                    s.live = false;
                    r.lost += 1;
                    r.cur.lost += 1;
                    if r.state == LinkState::Up {
                        r.lost_while_up += 1;
                    }
                }
            }
            let Some(last) = r.last_pong else { continue };
            if r.state == LinkState::Up && now.saturating_sub(last) > timeout {
                r.state = LinkState::Down;
                r.pongs_since_down = 0;
                r.push_silence(Silence {
                    start: last,
                    end: None,
                    ms: 0,
                });
                self.link_down(i, last, now, timeout, pong_count);
            }
            let r = &mut self.rows[i];
            if let Some(s) = r.silences.back_mut() {
                if s.end.is_none() {
                    s.ms = u64::try_from(now.saturating_sub(s.start) / 1_000_000).unwrap_or(0);
                }
            }
            r.max_silence_ns = r.max_silence_ns.max(now.saturating_sub(last));
            self.check_loss(i, now);
            self.check_pmtu(i, now);
        }
        // The token stopped circulating.
        if let Some(last) = self.last_token {
            let limit = i64::from(token_ms) * 1_000_000;
            if self.token_lost_finding.is_none() && now.saturating_sub(last) > limit {
                self.findings.push(Finding {
                    start: last,
                    end: None,
                    severity: Severity::Critical,
                    kind: "token_lost".into(),
                    src: None,
                    dst: None,
                    link: None,
                    text: format!("token lost: none seen for more than token = {token_ms} ms"),
                    evidence: vec![
                        format!("last token at {}", output::clock(last)),
                        format!("token timeout {token_ms} ms: corosync forms a new membership"),
                    ],
                });
                self.token_lost_finding = Some(self.findings.len() - 1);
            }
        }
    }

    fn link_down(&mut self, i: usize, last: i64, now: i64, timeout: i64, pong_count: u32) {
        let (src, dst_ip, link) = {
            let r = &self.rows[i];
            (r.src, r.dst_ip, r.link)
        };
        let dst = self.node_of(dst_ip).unwrap_or(0);
        // Every link between the two nodes in this direction.
        let same_pair = |r: &Row| {
            r.src == src
                && (r.dst_ip == dst_ip || (dst != 0 && self.node_of(r.dst_ip) == Some(dst)))
        };
        let links = self.rows.iter().filter(|r| same_pair(r)).count();
        let down = self
            .rows
            .iter()
            .filter(|r| same_pair(r) && r.state == LinkState::Down)
            .count();
        let all_down = down == links;
        let unanswered = self.rows[i].pending.iter().filter(|s| s.live).count();
        let (severity, text) = if all_down {
            (
                Severity::Critical,
                format!(
                    "{} -> {} link {link} down; all {links} link(s) of the pair down",
                    name(&self.names, src),
                    name(&self.names, dst)
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "{} -> {} link {link} down",
                    name(&self.names, src),
                    name(&self.names, dst)
                ),
            )
        };
        self.findings.push(Finding {
            start: last,
            end: None,
            severity,
            kind: if all_down { "pair_down" } else { "link_down" }.into(),
            src: Some(src),
            dst: Some(dst),
            link: Some(link),
            text,
            evidence: vec![
                format!("last pong at {} from {dst_ip}", output::clock(last)),
                format!(
                    "no pong for {} ms > knet_ping_timeout {} ms (judged at {})",
                    now.saturating_sub(last) / 1_000_000,
                    timeout / 1_000_000,
                    output::clock(now)
                ),
                format!("{unanswered} ping(s) outstanding; up again after {pong_count} pongs"),
                format!("links of this pair down in this direction: {down}/{links}"),
            ],
        });
        self.rows[i].down_finding = Some(self.findings.len() - 1);
    }

    /// After each PMTUD round: a finding when the path MTU changed.
    fn check_pmtu(&mut self, i: usize, now: i64) {
        let r = &mut self.rows[i];
        if r.round_judged || now.saturating_sub(r.pmtu_round_ts) <= PMTUD_ROUND_GAP_NS {
            return;
        }
        r.round_judged = true;
        let (before, after) = (r.pmtu_judged, r.pmtu_round_max);
        r.pmtu_judged = after;
        if before == 0 || before == after {
            return;
        }
        let (src, link, dst_ip, ts) = (r.src, r.link, r.dst_ip, r.pmtu_round_ts);
        let dst = self.node_of(dst_ip).unwrap_or(0);
        let lower = after < before;
        self.findings.push(Finding {
            start: ts,
            end: Some(ts),
            severity: if lower { Severity::Warning } else { Severity::Info },
            kind: "mtu_change".into(),
            src: Some(src),
            dst: Some(dst),
            link: Some(link),
            text: format!(
                "{} -> {} link {link}: path MTU {before} -> {after}",
                name(&self.names, src),
                name(&self.names, dst)
            ),
            evidence: vec![
                format!(
                    "largest PMTUD probe answered: {before} bytes, then {after} bytes in the round ending {}",
                    output::clock(ts)
                ),
                "sizes are IP packet lengths; knet's data MTU is smaller by its headers".into(),
            ],
        });
    }

    fn check_loss(&mut self, i: usize, now: i64) {
        let r = &self.rows[i];
        if r.loss_finding.is_some() || r.lost_while_up < 3 {
            return;
        }
        let answered = r.matched + r.lost;
        let pct = 100.0 * r.lost_while_up as f64 / answered.max(1) as f64;
        if pct < 2.0 {
            return;
        }
        let dst = self.node_of(r.dst_ip).unwrap_or(0);
        let (src, link, lost, pings) = (r.src, r.link, r.lost_while_up, r.pings);
        self.findings.push(Finding {
            start: now,
            end: None,
            severity: Severity::Warning,
            kind: "ping_loss".into(),
            src: Some(src),
            dst: Some(dst),
            link: Some(link),
            text: format!(
                "{} -> {} link {link}: {pct:.1} % of pings unanswered while up",
                name(&self.names, src),
                name(&self.names, dst)
            ),
            evidence: vec![
                format!("{lost} unanswered of {pings} pings (link up)"),
                "a ping counts as lost when no pong echoes it within knet_ping_timeout".into(),
            ],
        });
        self.rows[i].loss_finding = Some(self.findings.len() - 1);
    }

    fn totem(&mut self, ts: i64, from: u32, body: &Body<'_>) {
        match body {
            Body::OrfToken(t) => {
                if let Some(fi) = self.token_lost_finding.take() {
                    if let Some(f) = self.findings.get_mut(fi) {
                        f.end = Some(ts);
                        f.evidence.push(format!(
                            "tokens again at {} (ring {})",
                            output::clock(ts),
                            t.ring_id
                        ));
                    }
                }
                self.last_token = Some(ts);
                let n = u32::try_from(t.rtr.len()).unwrap_or(u32::MAX);
                self.rtr_max = self.rtr_max.max(n);
                self.rtr_total += u64::from(n);
                if self.ring.is_none_or(|r| r != t.ring_id) {
                    // A ring whose commit token we did not see.
                    self.new_ring(ts, t.ring_id, None);
                }
                let warn_ms = self.budget_num(|b| b.token_warning_ms);
                let len = self.senders.len();
                match self.senders.iter_mut().find(|s| s.node == from) {
                    Some(s) => {
                        if t.token_seq == s.token_seq {
                            self.token_retransmits += 1;
                        } else if from == t.ring_id.rep && t.token_seq > s.token_seq {
                            let ms = u32::try_from(ts.saturating_sub(s.ts) / 1_000_000)
                                .unwrap_or(u32::MAX);
                            if self.rotations.len() == ROTATIONS {
                                self.rotations.pop_front();
                            }
                            self.rotations.push_back((ts, ms));
                            let _ = self.rot_hist.record(u64::from(ms.max(1)));
                            if ms > warn_ms {
                                self.findings.push(Finding {
                                    start: s.ts,
                                    end: Some(ts),
                                    severity: Severity::Warning,
                                    kind: "token_at_risk".into(),
                                    src: Some(from),
                                    dst: None,
                                    link: None,
                                    text: format!(
                                        "token rotation {ms} ms > token_warning {warn_ms} ms"
                                    ),
                                    evidence: vec![
                                        format!(
                                            "token_seq {} at {} then {} at {}",
                                            s.token_seq,
                                            output::clock(s.ts),
                                            t.token_seq,
                                            output::clock(ts)
                                        ),
                                        format!("ring {}", t.ring_id),
                                    ],
                                });
                            }
                        }
                        s.ts = ts;
                        s.token_seq = t.token_seq;
                    }
                    None if len < MAX_NODES => self.senders.push(TokenSender {
                        node: from,
                        ts,
                        token_seq: t.token_seq,
                    }),
                    None => {}
                }
            }
            Body::CommitToken(c)
                if self.ring.is_none_or(|r| r != c.ring_id)
                    || self.membership.last().is_some_and(|m| m.members.is_empty()) =>
            {
                let mut buf = std::mem::take(&mut self.members_buf);
                buf.clear();
                buf.extend(c.members.iter().take(MAX_NODES));
                self.new_ring(ts, c.ring_id, Some(&buf));
                self.members_buf = buf;
            }
            _ => {}
        }
    }

    fn new_ring(&mut self, ts: i64, ring: RingId, members: Option<&[u32]>) {
        let same = self.ring == Some(ring);
        self.ring = Some(ring);
        let mut m: Vec<u32> = members.map(<[u32]>::to_vec).unwrap_or_default();
        m.sort_unstable();
        m.dedup();
        for &id in &m {
            self.note_node(id);
        }
        if same {
            // Members of a ring first seen through its ORF token.
            if let Some(last) = self.membership.last_mut() {
                if last.members.is_empty() {
                    last.members = m;
                    let prev = self
                        .membership
                        .iter()
                        .rev()
                        .nth(1)
                        .map(|p| p.members.clone());
                    self.finish_membership(prev);
                }
            }
            return;
        }
        let prev = self.membership.last().map(|p| p.members.clone());
        self.membership.push(Membership {
            ts,
            ring_id: ring.to_string(),
            members: m,
            joined: Vec::new(),
            left: Vec::new(),
        });
        self.finish_membership(prev);
    }

    /// Fills joined/left of the newest entry and raises the finding.
    fn finish_membership(&mut self, prev: Option<Vec<u32>>) {
        let Some(cur) = self.membership.last_mut() else {
            return;
        };
        let Some(prev) = prev.filter(|p| !p.is_empty()) else {
            return;
        };
        if cur.members.is_empty() {
            return;
        }
        cur.joined = cur
            .members
            .iter()
            .copied()
            .filter(|m| !prev.contains(m))
            .collect();
        cur.left = prev
            .iter()
            .copied()
            .filter(|m| !cur.members.contains(m))
            .collect();
        if cur.joined.is_empty() && cur.left.is_empty() {
            return;
        }
        let severity = if cur.left.is_empty() {
            Severity::Info
        } else {
            Severity::Critical
        };
        let list = |v: &[u32]| {
            v.iter()
                .map(|&id| name(&self.names, id))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut what = Vec::new();
        if !cur.left.is_empty() {
            what.push(format!("left: {}", list(&cur.left)));
        }
        if !cur.joined.is_empty() {
            what.push(format!("joined: {}", list(&cur.joined)));
        }
        let f = Finding {
            start: cur.ts,
            end: Some(cur.ts),
            severity,
            kind: "membership_change".into(),
            src: None,
            dst: None,
            link: None,
            text: format!(
                "membership ring {} [{}], {}",
                cur.ring_id,
                list(&cur.members),
                what.join(", ")
            ),
            evidence: vec![
                format!(
                    "new ring {} installed at {}",
                    cur.ring_id,
                    output::clock(cur.ts)
                ),
                format!("members before: {}", list(&prev)),
                format!("members now: {}", list(&cur.members)),
            ],
        };
        self.findings.push(f);
    }

    /// A copy of the current state for the screen.
    pub fn view(&self) -> View {
        let budgets = self.budgets();
        let now = self.now.unwrap_or(0);
        let mut nodes: Vec<Node> = self
            .nodes
            .iter()
            .map(|&id| Node {
                id,
                name: self
                    .names
                    .iter()
                    .find(|n| n.id == id)
                    .map(|n| n.name.clone())
                    .unwrap_or_default(),
            })
            .collect();
        nodes.sort_by_key(|n| n.id);
        let mut links: Vec<LinkRow> = self
            .rows
            .iter()
            .map(|r| {
                let judged = r.matched + r.lost;
                let mut series: Vec<RttPoint> = r.series.iter().copied().collect();
                series.push(r.cur);
                LinkRow {
                    src: r.src,
                    dst: self.node_of(r.dst_ip).unwrap_or(0),
                    link: r.link,
                    rtt: Rtt {
                        samples: r.hist.len(),
                        p50_us: if r.hist.is_empty() {
                            0
                        } else {
                            r.hist.value_at_quantile(0.5)
                        },
                        p99_us: if r.hist.is_empty() {
                            0
                        } else {
                            r.hist.value_at_quantile(0.99)
                        },
                        max_us: r.hist.max(),
                    },
                    loss_pct: (judged > 0).then(|| 100.0 * r.lost as f64 / judged as f64),
                    loss_rev_pct: None,
                    pings: r.pings,
                    pongs: r.pongs,
                    pmtu: r.pmtu(now),
                    state: r.state,
                    last_pong_age_ms: r.last_pong.map(|t| {
                        u64::try_from(now.saturating_sub(t).max(0) / 1_000_000).unwrap_or(0)
                    }),
                    max_silence_ms: u64::try_from(r.max_silence_ns / 1_000_000).unwrap_or(0),
                    series,
                    hist: BUCKETS_US
                        .iter()
                        .copied()
                        .chain([u64::MAX])
                        .zip(r.buckets)
                        .map(|(upper_us, count)| Bucket { upper_us, count })
                        .collect(),
                    silences: r.silences.iter().copied().collect(),
                }
            })
            // Rows that only ever saw pongs of pings we missed, to an unknown pinger.
            .filter(|l| l.src != 0)
            .collect();
        links.sort_by_key(LinkRow::key);
        for i in 0..links.len() {
            let (s, d, l) = links[i].key();
            links[i].loss_rev_pct = links
                .iter()
                .find(|r| r.src == d && r.dst == s && r.link == l)
                .and_then(|r| r.loss_pct);
        }
        let q =
            |p: f64| (!self.rot_hist.is_empty()).then(|| self.rot_hist.value_at_quantile(p) * 1000);
        let mut header = self.header.clone();
        header.decode_status = if header.decrypted > 0 {
            format!("decrypted {}", header.decrypted)
        } else if header.encrypted > 0 {
            "encrypted, no key".into()
        } else if header.corosync_packets > 0 {
            "cleartext".into()
        } else {
            "no corosync traffic yet".into()
        };
        if header.encrypted > 0 && header.decrypted > 0 {
            header
                .decode_status
                .push_str(&format!(", {} not opened", header.encrypted));
        }
        View {
            header,
            budgets,
            nodes,
            links,
            totem: TotemView {
                rotation_us: self
                    .rotations
                    .iter()
                    .map(|&(ts, ms)| (ts, u64::from(ms) * 1000))
                    .collect(),
                rotation_p50_us: q(0.5),
                rotation_p99_us: q(0.99),
                rotation_max_us: (!self.rot_hist.is_empty()).then(|| self.rot_hist.max() * 1000),
                token_retransmits: self.token_retransmits,
                rtr_max: self.rtr_max,
                rtr_total: self.rtr_total,
                membership: self.membership.clone(),
            },
            findings: self.findings.clone(),
        }
    }
}

fn name(names: &[Node], id: u32) -> String {
    if id == 0 {
        return "?".into();
    }
    match names.iter().find(|n| n.id == id) {
        Some(n) if !n.name.is_empty() => n.name.clone(),
        _ => format!("n{id}"),
    }
}
