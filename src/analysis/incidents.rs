//! Incidents: the findings that overlap in time and share nodes, told as
//! one story with a cause chosen from the evidence, and what corosync did
//! about it.
//!
//! Grouping: warning and critical findings whose windows overlap (with
//! [`JOIN_SLACK_NS`] either side) and that share a node, or of which one
//! concerns the ring as a whole (token lost or at risk, a ring change, a
//! retransmit storm), are one incident (transitively). Token resends
//! (`token_resent`, episodes that run as long as the loss) are grouped
//! only with each other (sharing a node): they are evidence for the
//! incidents they overlap (rule 8), not a thread joining every finding
//! of their time into one incident.
//!
//! The cause, by the strongest evidence first:
//! 1. a node whose sending was blocked on a PMTUD probe (an `mtu_black_hole`
//!    finding with `blocked_ms`: knet retried a probe the kernel refused,
//!    holding its sending, or the node's silence ended with that probe):
//!    an MTU black hole, and the node's silence, the stall its peers saw,
//!    the cut and the token loss are its doing;
//! 2. a host stall finding: the node stopped being scheduled;
//! 3. a link cut: on the incident's paths the pings went dark — runs of
//!    seconds in which knet's pings were due and none was answered (knet
//!    keeps its ping cadence while a link is cut, so a cut loses every
//!    one) — while the seconds around the runs lost at most one ping, and
//!    no path lost at random at the warning share; the node cut is the one
//!    every dark path touches. Cuts shorter than two ping spacings leave
//!    no run: every path of the node on the link went dark in the same
//!    seconds, again and again, more often than chance at each path's
//!    share of dark seconds allows (1 % odds), and lost at most a ping
//!    outside them. Else, unless the loss spared the small
//!    packets (4.), a node whose loss findings reach [`CUT_LOSS_PCT`],
//!    none of them under [`CUT_PEERS_MIN_PCT`];
//! 4. loss that spared the small packets, with a path-MTU black hole or a
//!    lower MTU on its pair: every loss finding's pings got through (at
//!    most half the finding's rate of them lost, of at least
//!    [`SPARED_MIN_PINGS`]) while its messages vanished — the packets
//!    lost were the large ones, the MTU's doing, not loss;
//! 5. loss on a path (one way or both): the worst direction (PMTUD probes
//!    lost under loss read as an MTU change, so loss comes first). From
//!    loss findings, else from the pings of the incident's paths (or of
//!    its nodes' paths; a token lost or at risk names where the token was
//!    missed, not the fault's place, so an incident of such findings alone
//!    weighs every path) lost at random over the incident and
//!    [`LOSS_CONTEXT_NS`] either side: a link that knet takes down, probes
//!    unanswered and a token lost under random loss are that loss's doing,
//!    and the loss shows over the seconds around them, not only within. A
//!    link knet took down and back up is that loss from one lost pong on
//!    its path (at corosync's default budgets the ping timeout is under
//!    two spacings of knet's heartbeat grid: one lost pong takes the link
//!    down). The direction is the one the engine charged the loss to
//!    (a pinger's lost pings are its pings or the pongs back);
//! 6. a path-MTU black hole or change;
//! 7. a latency finding or an RTT asymmetry: a latency step;
//! 8. tokens resent to a successor that was running (`token_resent`, in
//!    the incident, overlapping it within [`JOIN_SLACK_NS`] or listed
//!    under it): loss on
//!    the ring after the sender; every node before the loss
//!    resends, so the one furthest along names where (one whose successor
//!    resent nothing itself; of those, the one that resent most);
//! 9. knet link downs or flaps with none of the above: link flaps;
//! 10. the token lost or at risk with no network fault on the wire: a
//!     stall of a node is the likely cause, and the incident says it is
//!     inferred; on a capture taken on one node, which sees that node's
//!     paths only, it says that loss on the other paths cannot be ruled
//!     out (and so for a ring re-formed there with no fault on its paths).

use super::findings::{Finding, FindingKind, Severity};
use super::snapshot::{RingState, SeriesPoint, Snapshot};

/// Findings this close to an incident's window belong to it.
pub const JOIN_SLACK_NS: i64 = 2_000_000_000;
/// A cut seen on one path only (one pinger's pings to one peer) lost at
/// least this many pings in a row (random loss of a few percent loses two
/// in a row now and then).
pub const PAIR_CUT_MIN_PINGS: u64 = 3;
/// Loss on a node's paths at or above this is the node cut off.
pub const CUT_LOSS_PCT: f64 = 90.0;
/// ... unless another loss finding of the node in the incident is under
/// this (a cut loses on every path).
pub const CUT_PEERS_MIN_PCT: f64 = 50.0;
/// A loss finding spared the small packets when at least this many of its
/// pings were sent and at most half its rate of them were lost.
pub const SPARED_MIN_PINGS: f64 = 5.0;

/// Why an incident happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    HostStall {
        node: Option<u16>,
        inferred: bool,
        /// Inferred on a capture taken on this node: it sees that node's
        /// paths only, so a fault on the others' cannot be ruled out.
        seen_from: Option<u16>,
        /// What corosync did that the wire shows no fault for: "token
        /// lost", "token late" (past token_warning only), or "ring
        /// re-formed" (on a node's capture only).
        what: &'static str,
    },
    LinkCut {
        node: u16,
        link: Option<u8>,
    },
    Mtu {
        black_hole: bool,
    },
    NetworkLoss {
        src: Option<u16>,
        dst: Option<u16>,
        pct: f64,
        one_way: bool,
    },
    /// Tokens lost on the ring after node `from`: it sent its token to
    /// `to` again while `to` was running (totem saw no sign of it going on).
    TokensLost {
        from: u16,
        to: Option<u16>,
        resends: u32,
        /// The capture was taken on `from`: the successor's own sends to
        /// the others are not in it, so the loss may be on their paths.
        seen_from: Option<u16>,
    },
    Latency,
    LinkFlaps,
    Other(FindingKind),
}

impl Cause {
    /// A short machine name: `host_stall`, `link_cut`, `mtu`, `loss`,
    /// `latency`, `link_flaps`, else the finding kind's name.
    pub fn name(&self) -> &'static str {
        match self {
            Cause::HostStall { .. } => "host_stall",
            Cause::LinkCut { .. } => "link_cut",
            Cause::Mtu { .. } => "mtu",
            Cause::NetworkLoss { .. } | Cause::TokensLost { .. } => "loss",
            Cause::Latency => "latency",
            Cause::LinkFlaps => "link_flaps",
            Cause::Other(k) => k.name(),
        }
    }

    /// For people.
    pub fn describe(&self) -> String {
        let n = |x: Option<u16>| x.map_or("?".to_string(), |v| v.to_string());
        match self {
            Cause::HostStall {
                node,
                inferred: false,
                ..
            } => format!("host stall of node {}", n(*node)),
            Cause::HostStall {
                inferred: true,
                seen_from: None,
                what,
                ..
            } => format!("{what} with no network fault on the wire (a node stalled?)"),
            Cause::HostStall {
                inferred: true,
                seen_from: Some(v),
                what,
                ..
            } => format!(
                "{what} with no network fault on node {v}'s paths (captured on node {v}: \
                 the other nodes' paths are not in it; loss there or a stall?)"
            ),
            Cause::LinkCut { node, link: None } => format!("node {node} cut off"),
            Cause::LinkCut {
                node,
                link: Some(l),
            } => format!("node {node} cut off on link {l}"),
            Cause::Mtu { black_hole: true } => "path MTU black hole".to_string(),
            Cause::Mtu { black_hole: false } => "path MTU change".to_string(),
            Cause::NetworkLoss {
                src,
                dst,
                pct,
                one_way,
            } => format!(
                "{}loss {} -> {} ({pct:.1} %)",
                if *one_way { "one-way " } else { "" },
                n(*src),
                n(*dst)
            ),
            Cause::TokensLost {
                from,
                to,
                resends,
                seen_from,
            } => format!(
                "loss on the ring after node {from}: it sent its token to {} again {resends} \
                 time(s){}",
                to.map_or("its successor".to_string(), |t| format!("node {t}")),
                match seen_from {
                    Some(v) => format!(
                        " (captured on node {v}: the other nodes' paths are not in it; the \
                         loss may be there)"
                    ),
                    None => String::new(),
                }
            ),
            Cause::Latency => "latency step".to_string(),
            Cause::LinkFlaps => "knet link flaps".to_string(),
            Cause::Other(k) => k.name().replace('_', " "),
        }
    }
}

/// One incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub start: i64,
    /// None while a finding under it is open.
    pub end: Option<i64>,
    pub severity: Severity,
    pub cause: Cause,
    /// Nodes the findings name, ascending.
    pub nodes: Vec<u16>,
    /// Indices into the snapshot's findings.
    pub findings: Vec<usize>,
    /// What corosync did: knet link downs, token lost, rings re-formed.
    pub corosync: Vec<String>,
}

fn nodes_of(f: &Finding) -> impl Iterator<Item = u16> {
    f.src_node.into_iter().chain(f.dst_node)
}

fn loss_pct(f: &Finding) -> Option<f64> {
    f.evidence
        .iter()
        .find(|(n, _)| *n == "loss_pct")
        .map(|(_, v)| *v)
}

/// Findings about the ring as a whole: the node they name is where the
/// token was missed or the ring's representative, not the fault's place.
fn cluster_wide(f: &Finding) -> bool {
    matches!(
        f.kind,
        FindingKind::TokenLost
            | FindingKind::TokenAtRisk
            | FindingKind::MembershipChange
            | FindingKind::RetransmitStorm
    ) || (f.src_node.is_none() && f.dst_node.is_none())
}

/// Most findings grouped pairwise; past this many the rest are left out
/// of incidents (bounded work on hostile input; counted in the findings).
const MAX_GROUPED: usize = 4096;

fn root(p: &mut [usize], mut x: usize) -> usize {
    while p[x] != x {
        p[x] = p[p[x]];
        x = p[x];
    }
    x
}

/// The snapshot's findings grouped into incidents, in time order.
pub fn incidents(s: &Snapshot) -> Vec<Incident> {
    let mut order: Vec<usize> = (0..s.findings.len())
        .filter(|&i| s.findings[i].severity >= Severity::Warning)
        .collect();
    order.sort_by_key(|&i| s.findings[i].start);
    order.truncate(MAX_GROUPED);
    let end = |i: usize| s.findings[i].end.unwrap_or(s.now);
    // Union-find over findings that overlap (with slack) and share a node
    // or concern the ring as a whole; sorted by start, so the inner loop
    // stops at the first finding that starts after this one ends.
    let n = order.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for a in 0..n {
        let fa = &s.findings[order[a]];
        let ea = end(order[a]).saturating_add(JOIN_SLACK_NS);
        for (b, &ib) in order.iter().enumerate().skip(a + 1) {
            let fb = &s.findings[ib];
            if fb.start > ea {
                break;
            }
            let resent = |f: &Finding| f.kind == FindingKind::TokenResent;
            let shared = if resent(fa) || resent(fb) {
                resent(fa) && resent(fb) && nodes_of(fa).any(|x| nodes_of(fb).any(|y| x == y))
            } else {
                cluster_wide(fa)
                    || cluster_wide(fb)
                    || nodes_of(fa).any(|x| nodes_of(fb).any(|y| x == y))
            };
            if shared {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[rb] = ra;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let r = root(&mut parent, k);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, v)) => v.push(i),
            None => groups.push((r, vec![i])),
        }
    }
    // A group of token resends alone that overlaps another group is that
    // group's evidence: listed under it, without moving its window, nodes
    // or cause (rule 8 reads the resends overlapping or listed under an
    // incident).
    let window = |idx: &[usize]| {
        let fs: Vec<&Finding> = idx.iter().map(|&i| &s.findings[i]).collect();
        span(s, &fs, JOIN_SLACK_NS).unwrap_or((s.now, s.now))
    };
    let resends_only = |idx: &[usize]| {
        idx.iter()
            .all(|&i| s.findings[i].kind == FindingKind::TokenResent)
    };
    let mut core: Vec<Group> = Vec::new();
    let mut loose: Vec<Vec<usize>> = Vec::new();
    for (_, idx) in groups {
        if resends_only(&idx) {
            loose.push(idx);
        } else {
            let window = window(&idx);
            core.push(Group {
                idx,
                extra: Vec::new(),
                window,
            });
        }
    }
    for idx in loose {
        let (a, b) = window(&idx);
        match core.iter_mut().find(|g| g.window.0 <= b && a <= g.window.1) {
            Some(g) => g.extra.extend(idx),
            None => core.push(Group {
                idx,
                extra: Vec::new(),
                window: (a, b),
            }),
        }
    }
    let mut incs: Vec<Incident> = core
        .into_iter()
        .map(|Group { idx, extra, .. }| {
            let fs = || idx.iter().map(|&i| &s.findings[i]);
            let mut nodes: Vec<u16> = fs().flat_map(nodes_of).collect();
            nodes.sort_unstable();
            nodes.dedup();
            let mut findings = idx.clone();
            findings.extend(&extra);
            findings.sort_by_key(|&i| (s.findings[i].start, i));
            let mut inc = Incident {
                start: fs().map(|f| f.start).min().unwrap_or(s.now),
                end: fs()
                    .map(|f| f.end)
                    .try_fold(i64::MIN, |m, e| e.map(|e| m.max(e))),
                severity: fs().map(|f| f.severity).max().unwrap_or(Severity::Warning),
                cause: cause(s, &idx, &extra),
                nodes,
                findings,
                corosync: Vec::new(),
            };
            inc.corosync = corosync_did(s, &inc);
            inc
        })
        .collect();
    incs.sort_by_key(|i| i.start);
    incs
}

/// Findings grouped into one incident: the grouped ones, the token resends
/// listed under them, and the group's window (with [`JOIN_SLACK_NS`]).
struct Group {
    idx: Vec<usize>,
    extra: Vec<usize>,
    window: (i64, i64),
}

/// The findings' window (an open one ends now), widened by `slack` either
/// side; None without findings.
fn span(s: &Snapshot, fs: &[&Finding], slack: i64) -> Option<(i64, i64)> {
    let from = fs.iter().map(|f| f.start).min()?;
    let to = fs.iter().map(|f| f.end.unwrap_or(s.now)).max()?;
    Some((from.saturating_sub(slack), to.saturating_add(slack)))
}

/// The cause, by the strongest evidence first (see the module docs);
/// `extra` are the token resends listed under the incident.
fn cause(s: &Snapshot, idx: &[usize], extra: &[usize]) -> Cause {
    let fs: Vec<&Finding> = idx.iter().map(|&i| &s.findings[i]).collect();
    let has = |k: FindingKind| fs.iter().any(|f| f.kind == k);
    if fs
        .iter()
        .any(|f| f.kind == FindingKind::MtuBlackHole && f.evidence("blocked_ms").is_some())
    {
        return Cause::Mtu { black_hole: true };
    }
    if let Some(f) = fs.iter().find(|f| f.kind == FindingKind::HostStall) {
        return Cause::HostStall {
            node: f.dst_node.or(f.src_node),
            inferred: false,
            seen_from: None,
            what: "",
        };
    }
    if let Some(c) = cut_on_paths(s, &fs).or_else(|| short_cuts(s, &fs)) {
        return c;
    }
    let lossy = |f: &&&Finding| matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss);
    if let Some(c) = loss_of_large_packets(&fs) {
        return c;
    }
    // A node cut off loses nearly everything on each of its paths the
    // incident's loss findings name; one path at 100 % of a few samples
    // among its others losing a fraction is random loss, not a cut, and
    // so is a rate whose samples cannot tell it from half lost (its 95 %
    // interval reaches below [`CUT_PEERS_MIN_PCT`]: one ping of two).
    let cut_like = |f: &&&Finding| {
        loss_pct(f).is_some_and(|p| p >= CUT_LOSS_PCT)
            && f.evidence("loss_ci95_low")
                .is_none_or(|lo| lo >= CUT_PEERS_MIN_PCT)
            && !fs.iter().filter(lossy).any(|g| {
                g.src_node == f.src_node && loss_pct(g).is_some_and(|p| p < CUT_PEERS_MIN_PCT)
            })
    };
    if let Some(f) = fs.iter().filter(lossy).filter(cut_like).max_by(|a, b| {
        loss_pct(a)
            .partial_cmp(&loss_pct(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    }) && let Some(node) = f.src_node
    {
        // Cut on every link the node's losses cover, or on one.
        let links = fs
            .iter()
            .filter(lossy)
            .filter(cut_like)
            .filter(|g| g.src_node == Some(node))
            .filter_map(|g| g.link);
        let all = s
            .links
            .iter()
            .filter_map(|l| (l.src_node == Some(node)).then_some(l.link));
        return Cause::LinkCut {
            node,
            link: one_link_of_several(links, all),
        };
    }
    if let Some(f) = fs.iter().filter(lossy).max_by(|a, b| {
        loss_pct(a)
            .partial_cmp(&loss_pct(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    }) {
        return Cause::NetworkLoss {
            src: f.src_node,
            dst: f.dst_node,
            pct: loss_pct(f).unwrap_or(0.0),
            one_way: f.kind == FindingKind::OneWayLoss,
        };
    }
    // Links that went down, probes that went unanswered and slow pongs on
    // paths that lose packets at random are that loss's doing: its rate
    // over the capture on the incident's paths says so.
    if let Some(c) = loss_on_paths(s, &fs) {
        return c;
    }
    if has(FindingKind::MtuBlackHole) || has(FindingKind::MtuChange) {
        return Cause::Mtu {
            black_hole: has(FindingKind::MtuBlackHole),
        };
    }
    let rtt_asym = |f: &&Finding| {
        f.kind == FindingKind::Asymmetry && f.evidence.iter().any(|(n, _)| *n == "rtt_p50_ms")
    };
    if has(FindingKind::Latency) || fs.iter().any(rtt_asym) {
        return Cause::Latency;
    }
    if let Some(c) = tokens_resent(s, &fs, extra) {
        return c;
    }
    if has(FindingKind::LinkDown) || has(FindingKind::LinkFlapping) {
        return Cause::LinkFlaps;
    }
    if has(FindingKind::TokenLost) || has(FindingKind::TokenAtRisk) {
        return Cause::HostStall {
            node: None,
            inferred: true,
            seen_from: s.vantage,
            what: if has(FindingKind::TokenLost) {
                "token lost"
            } else {
                "token late"
            },
        };
    }
    // A ring re-formed with no fault on the paths a node's capture holds:
    // the fault, if any, was on the others'.
    if let Some(v) = s.vantage
        && has(FindingKind::MembershipChange)
    {
        return Cause::HostStall {
            node: None,
            inferred: true,
            seen_from: Some(v),
            what: "ring re-formed",
        };
    }
    Cause::Other(fs.first().map_or(FindingKind::Latency, |f| f.kind))
}

/// Whether loss finding `f`'s pings got through: at least
/// [`SPARED_MIN_PINGS`] sent, at most half the finding's rate of them lost.
fn spared_pings(f: &Finding) -> bool {
    let (Some(pings), Some(pct)) = (f.evidence("pings"), loss_pct(f)) else {
        return false;
    };
    let lost =
        f.evidence("pings_missing").unwrap_or(0.0) + f.evidence("pings_unanswered").unwrap_or(0.0);
    let sent = pings + f.evidence("pings_missing").unwrap_or(0.0);
    sent >= SPARED_MIN_PINGS && lost <= sent * pct / 200.0
}

/// Loss confined to the large packets: every loss finding of the incident
/// spared its pings, and a path-MTU black hole or a lower MTU (a warning)
/// names the same pair of nodes. The MTU, not loss.
fn loss_of_large_packets(fs: &[&Finding]) -> Option<Cause> {
    let losses: Vec<&&Finding> = fs
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss))
        .collect();
    if losses.is_empty() || !losses.iter().all(|f| spared_pings(f)) {
        return None;
    }
    let pair = |f: &Finding| {
        let (a, b) = (f.src_node?, f.dst_node?);
        Some((a.min(b), a.max(b)))
    };
    let mtu: Vec<&&Finding> = fs
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::MtuBlackHole | FindingKind::MtuChange))
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    let on_pair = losses
        .iter()
        .all(|l| pair(l).is_some_and(|p| mtu.iter().any(|m| pair(m) == Some(p))));
    on_pair.then_some(Cause::Mtu {
        black_hole: mtu.iter().any(|m| m.kind == FindingKind::MtuBlackHole),
    })
}

/// How a path's pings were lost around an incident, second by second.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PathLoss {
    /// Nothing lost, or too little to say.
    Clean,
    /// A run of seconds with every ping lost (at least two pings), and the
    /// seconds around the runs (not next to them) kept their pings: the
    /// first run's start and the most pings a run lost.
    Cut { first: i64, longest: u64 },
    /// Pings lost outside any such run: this many, at this share of those
    /// seconds' pings.
    Random { pct: f64, lost: u64 },
}

/// `l`'s pings in [from, to], by second: runs of seconds in which pings
/// were due and none was answered (knet's pings keep their cadence while
/// a link is cut, so a cut loses every one of them) against the loss of
/// the other seconds, leaving out the second either side of a run (the
/// cut began or ended within it).
fn path_loss(series: &[SeriesPoint], from: i64, to: i64) -> PathLoss {
    path_loss_from(series, from, to, 2)
}

/// [`path_loss`], with random loss from `min_lost` pings lost.
fn path_loss_from(series: &[SeriesPoint], from: i64, to: i64, min_lost: u64) -> PathLoss {
    let pts = || {
        series
            .iter()
            .filter(move |p| p.ts + 1_000_000_000 > from && p.ts <= to)
    };
    let dark = |p: &SeriesPoint| p.pongs == 0 && p.lost > 0;
    // Runs of dark seconds (consecutive points at most a second apart; a
    // second with nothing due does not break a run).
    let mut runs: Vec<(i64, i64, u64)> = Vec::new();
    let mut cur: Option<(i64, i64, u64)> = None;
    for p in pts() {
        if dark(p) {
            cur = Some(match cur {
                Some((a, b, n)) if p.ts - b <= 2_000_000_000 => (a, p.ts, n + u64::from(p.lost)),
                Some(r) => {
                    runs.push(r);
                    (p.ts, p.ts, u64::from(p.lost))
                }
                None => (p.ts, p.ts, u64::from(p.lost)),
            });
        } else if p.pongs > 0
            && let Some(r) = cur.take()
        {
            runs.push(r);
        }
    }
    runs.extend(cur);
    runs.retain(|r| r.2 >= 2);
    let near = |ts: i64| {
        runs.iter()
            .any(|&(a, b, _)| ts >= a - 1_000_000_000 && ts <= b + 1_000_000_000)
    };
    let (answered, lost) = pts()
        .filter(|p| !near(p.ts))
        .fold((0u64, 0u64), |(a, b), p| {
            (a + u64::from(p.pongs), b + u64::from(p.lost))
        });
    let out = if answered + lost == 0 {
        0.0
    } else {
        100.0 * lost as f64 / (answered + lost) as f64
    };
    match runs.first() {
        Some(&(first, ..)) if lost <= 1 => PathLoss::Cut {
            first,
            longest: runs.iter().map(|r| r.2).max().unwrap_or(0),
        },
        _ if lost >= min_lost.max(1) => PathLoss::Random { pct: out, lost },
        _ => PathLoss::Clean,
    }
}

/// A link cut: on the incident's paths (every path of its nodes when its
/// findings name none) the pings went dark in runs while the seconds
/// around them lost little, and no path lost at random at the warning
/// share. The node cut is the one every dark path touches.
fn cut_on_paths(s: &Snapshot, fs: &[&Finding]) -> Option<Cause> {
    let thr = s.thresholds.loss_warning_pct;
    let (from, to) = span(s, fs, JOIN_SLACK_NS)?;
    let paths = incident_paths(s, fs);
    let mut dark: Vec<(&crate::analysis::LinkView, i64, u64)> = Vec::new();
    for l in &paths {
        match path_loss(&l.series, from, to) {
            PathLoss::Cut { first, longest } => dark.push((l, first, longest)),
            PathLoss::Random { pct, .. } if pct >= thr => return None,
            _ => {}
        }
    }
    // Dark on one path only (one pinger's pings to one peer), two pings
    // lost in a row is what random loss of a few percent does too over a
    // minute of pings: such a cut loses at least [`PAIR_CUT_MIN_PINGS`] in
    // a row. A cut loses every packet both ways, so both pingers of the
    // pair go dark, and a node's cut darkens its paths to several peers
    // at once, which chance does not. A node of the pair that sent
    // nothing at all over the run (its longest silence, of 2 s or more,
    // covers the run's first second) was cut off whatever the count.
    let silent_over = |n: Option<u16>, at: i64| {
        s.nodes.iter().any(|v| {
            Some(v.id) == n
                && v.max_gap_ms >= 2000.0
                && v.max_gap_at <= at
                && v.max_gap_at.saturating_add((v.max_gap_ms * 1e6) as i64)
                    >= at.saturating_add(1_000_000_000)
        })
    };
    if dark.len() == 1
        && dark[0].2 < PAIR_CUT_MIN_PINGS
        && !silent_over(dark[0].0.src_node, dark[0].1)
        && !silent_over(dark[0].0.dst_node, dark[0].1)
    {
        return None;
    }
    let (first, ..) = dark.iter().min_by_key(|d| d.1)?;
    // The node on every dark path; of two (one pair), the earliest dark
    // path's responder (its pongs stopped first).
    let on_all = |n: Option<u16>| {
        n.filter(|&n| {
            dark.iter()
                .all(|(l, ..)| l.src_node == Some(n) || l.dst_node == Some(n))
        })
    };
    let node = on_all(first.dst_node).or(on_all(first.src_node))?;
    Some(cut_of(s, node, dark.iter().map(|(l, ..)| l.link)))
}

/// Node `node` cut off on the links `cut` (one of its several links, or
/// all of them).
fn cut_of(s: &Snapshot, node: u16, cut: impl IntoIterator<Item = u8>) -> Cause {
    let all = s
        .links
        .iter()
        .filter(|l| l.src_node == Some(node) || l.dst_node == Some(node))
        .map(|l| l.link);
    Cause::LinkCut {
        node,
        link: one_link_of_several(cut, all),
    }
}

/// Cuts shorter than two ping spacings: each loses one ping a path, no
/// dark run. A node cut off loses every path it has on the link at once,
/// so seconds in which every such path (at least two) went dark together
/// — within a second of each other: knet's pings of all nodes run nearly
/// in phase — are its cuts, when that happened twice or more, more often
/// than paths losing at random (at each one's share of dark seconds) go
/// dark together with 1 % odds, and the same paths lost at most one ping
/// a path outside them. The
/// node whose paths went dark together most often, on the link of the
/// incident's findings (or any), is the one cut off.
fn short_cuts(s: &Snapshot, fs: &[&Finding]) -> Option<Cause> {
    const SEC: i64 = 1_000_000_000;
    let (from, to) = span(s, fs, JOIN_SLACK_NS)?;
    let named: Vec<u16> = fs
        .iter()
        .filter(|f| !cluster_wide(f))
        .flat_map(|f| nodes_of(f))
        .collect();
    let dark_secs = |l: &crate::analysis::LinkView| -> Vec<i64> {
        l.series
            .iter()
            .filter(|p| p.ts + SEC > from && p.ts <= to && p.pongs == 0 && p.lost > 0)
            .map(|p| p.ts)
            .collect()
    };
    let mut best: Option<(usize, u16, u8)> = None;
    let mut links: Vec<u8> = s.links.iter().map(|l| l.link).collect();
    links.sort_unstable();
    links.dedup();
    let mut nodes: Vec<u16> = s
        .links
        .iter()
        .flat_map(|l| [l.src_node, l.dst_node])
        .flatten()
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    for &link in &links {
        for &n in &nodes {
            if !named.is_empty() && !named.contains(&n) {
                continue;
            }
            let paths: Vec<&crate::analysis::LinkView> = s
                .links
                .iter()
                .filter(|l| l.link == link && (l.src_node == Some(n) || l.dst_node == Some(n)))
                .filter(|l| {
                    l.series
                        .iter()
                        .any(|p| p.ts + SEC > from && p.ts <= to && p.pings > 0)
                })
                .collect();
            if paths.len() < 2 {
                continue;
            }
            let dark: Vec<Vec<i64>> = paths.iter().map(|l| dark_secs(l)).collect();
            let near = |v: &[i64], t: i64| v.iter().any(|&x| (x - t).abs() <= SEC);
            // Seconds of the first path in which every path went dark.
            let joint: Vec<i64> = dark[0]
                .iter()
                .copied()
                .filter(|&t| dark.iter().all(|d| near(d, t)))
                .collect();
            // Paths that lose at random go dark together by chance too: at
            // each path's own share of dark seconds, about `chance` such
            // seconds would be; fewer than 1 % of the time as many as seen.
            let slots = |l: &crate::analysis::LinkView| {
                l.series
                    .iter()
                    .filter(|p| p.ts + SEC > from && p.ts <= to && p.pings + p.lost > 0)
                    .count()
                    .max(1) as f64
            };
            let n0 = slots(paths[0]);
            let chance = paths
                .iter()
                .zip(&dark)
                .fold(n0, |acc, (l, d)| acc * (d.len() as f64 / slots(l)).min(1.0));
            if joint.len() < 2 || poisson_tail(chance, joint.len()) >= 0.01 {
                continue;
            }
            // Outside them (and the second either side), at most one ping
            // lost a path.
            let quiet = paths.iter().all(|l| {
                let lost: u64 = l
                    .series
                    .iter()
                    .filter(|p| p.ts + SEC > from && p.ts <= to)
                    .filter(|p| !joint.iter().any(|&t| (p.ts - t).abs() <= 2 * SEC))
                    .map(|p| u64::from(p.lost))
                    .sum();
                lost <= 1
            });
            if quiet && best.is_none_or(|b| joint.len() > b.0) {
                best = Some((joint.len(), n, link));
            }
        }
    }
    let (_, node, link) = best?;
    Some(cut_of(s, node, [link]))
}

/// P(X ≥ k) for X Poisson with mean `mean`.
fn poisson_tail(mean: f64, k: usize) -> f64 {
    let (mut term, mut below) = ((-mean).exp(), 0.0);
    for i in 0..k {
        below += term;
        term *= mean / (i + 1) as f64;
    }
    (1.0 - below).max(0.0)
}

/// The link a cut was on, when it was on one link (`cut`: the links its
/// evidence names) of a node that has several (`all`: the node's links);
/// None when it was on all of them or the node has one.
fn one_link_of_several(
    cut: impl IntoIterator<Item = u8>,
    all: impl IntoIterator<Item = u8>,
) -> Option<u8> {
    let distinct = |v: &mut Vec<u8>| {
        v.sort_unstable();
        v.dedup();
    };
    let (mut cut, mut all): (Vec<u8>, Vec<u8>) =
        (cut.into_iter().collect(), all.into_iter().collect());
    distinct(&mut cut);
    distinct(&mut all);
    (cut.len() == 1 && all.len() > 1).then(|| cut[0])
}

/// The paths an incident's findings name (either direction); when none
/// names a path, every path of the nodes they name; when they name no
/// node, every path.
fn incident_paths<'a>(s: &'a Snapshot, fs: &[&Finding]) -> Vec<&'a crate::analysis::LinkView> {
    let on = |f: &&Finding, l: &crate::analysis::LinkView| {
        f.link == Some(l.link)
            && ((f.src_node == l.src_node && f.dst_node == l.dst_node)
                || (f.src_node == l.dst_node && f.dst_node == l.src_node))
    };
    let named: Vec<_> = s
        .links
        .iter()
        .filter(|l| fs.iter().any(|f| on(f, l)))
        .collect();
    if !named.is_empty() {
        return named;
    }
    node_paths(s, fs)
}

/// Every path of the nodes the findings name (every path when they name
/// none). A finding about the ring as a whole names where the token was
/// missed, not where the fault is: its node does not narrow the paths.
fn node_paths<'a>(s: &'a Snapshot, fs: &[&Finding]) -> Vec<&'a crate::analysis::LinkView> {
    let nodes: Vec<u16> = fs
        .iter()
        .filter(|f| !cluster_wide(f))
        .flat_map(|f| nodes_of(f))
        .collect();
    s.links
        .iter()
        .filter(|l| {
            nodes.is_empty()
                || nodes
                    .iter()
                    .any(|&n| l.src_node == Some(n) || l.dst_node == Some(n))
        })
        .collect()
}

/// Loss is judged on the pings of this much time either side of an
/// incident: a link that goes down or a token lost under random loss
/// shows the loss over the seconds around it, not only in its own span.
pub const LOSS_CONTEXT_NS: i64 = 30_000_000_000;

/// Network loss on the incident's paths (every path of its nodes when its
/// findings name none): pings lost at random (outside dark runs, at least
/// two) over the incident and [`LOSS_CONTEXT_NS`] either side, or else a
/// path whose loss over the capture reached the warning share. Knet link
/// downs, unanswered PMTUD probes and tokens lost on such paths are that
/// loss's doing. The worst path names the direction; it is one-way when
/// the reverse lost under half as much.
fn loss_on_paths(s: &Snapshot, fs: &[&Finding]) -> Option<Cause> {
    let thr = s.thresholds.loss_warning_pct;
    let (from, to) = span(s, fs, LOSS_CONTEXT_NS)?;
    // A link knet took down and back up with its pongs lost at random: one
    // lost pong is enough at the default budgets (the ping timeout is
    // under two spacings of the heartbeat grid), so one is evidence there.
    let bounced = |l: &crate::analysis::LinkView| {
        fs.iter().any(|f| {
            f.kind == FindingKind::LinkDown
                && f.end.is_some()
                && f.link == Some(l.link)
                && f.src_node == l.src_node
                && f.dst_node == l.dst_node
        })
    };
    let rate = |l: &crate::analysis::LinkView| match path_loss_from(
        &l.series,
        from,
        to,
        if bounced(l) { 1 } else { 2 },
    ) {
        PathLoss::Random { pct, .. } => Some(pct),
        _ => (l.loss_pct >= thr && l.loss_pct < CUT_LOSS_PCT).then_some(l.loss_pct),
    };
    fn worst_of<'a>(
        paths: Vec<&'a crate::analysis::LinkView>,
        rate: &dyn Fn(&crate::analysis::LinkView) -> Option<f64>,
    ) -> Option<(&'a crate::analysis::LinkView, f64)> {
        paths
            .into_iter()
            .filter_map(|l| rate(l).map(|p| (l, p)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
    // The paths the findings name; else any path of their nodes (a node
    // whose egress or ingress is lossy loses on all of its paths, and a
    // link down names only one of them).
    let (worst, pct) =
        worst_of(incident_paths(s, fs), &rate).or_else(|| worst_of(node_paths(s, fs), &rate))?;
    let rev_path = s.links.iter().find(|l| {
        l.link == worst.link && l.src_node == worst.dst_node && l.dst_node == worst.src_node
    });
    // A pinger's lost pings are its pings or the pongs back: the engine's
    // loss of each direction (every missing packet charged to the path it
    // travelled) says which way they went, where it saw any.
    if let Some(r) = rev_path
        && r.loss_pct > worst.loss_pct
    {
        return Some(Cause::NetworkLoss {
            src: r.src_node,
            dst: r.dst_node,
            pct: r.loss_pct.max(pct),
            one_way: worst.loss_pct < r.loss_pct / 2.0,
        });
    }
    let reverse = rev_path.and_then(rate).unwrap_or(0.0);
    Some(Cause::NetworkLoss {
        src: worst.src_node,
        dst: worst.dst_node,
        pct,
        one_way: reverse < pct / 2.0,
    })
}

/// Tokens a node sent again to a successor that was running: lost on the
/// ring after that node. Every node before the loss resends (each saw no
/// sign of the token going on), so the resender furthest along names
/// where: one whose successor resent nothing itself; of those, the one
/// that resent most.
fn tokens_resent(s: &Snapshot, fs: &[&Finding], extra: &[usize]) -> Option<Cause> {
    let (from, to) = span(s, fs, JOIN_SLACK_NS)?;
    let resent: Vec<&Finding> = s
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FindingKind::TokenResent && f.src_node.is_some())
        .filter(|(i, f)| (f.start <= to && f.end.unwrap_or(s.now) >= from) || extra.contains(i))
        .map(|(_, f)| f)
        .collect();
    let n = |f: &Finding| f.evidence("resends").unwrap_or(0.0);
    let most = |last_only: bool| {
        resent
            .iter()
            .copied()
            .filter(|f| !last_only || !resent.iter().any(|g| g.src_node == f.dst_node))
            .max_by(|a, b| n(a).total_cmp(&n(b)))
    };
    let f = most(true).or_else(|| most(false))?;
    let from = f.src_node?;
    Some(Cause::TokensLost {
        from,
        to: f.dst_node,
        resends: n(f) as u32,
        seen_from: s.vantage.filter(|&v| v == from),
    })
}

/// What corosync did during the incident, as the wire shows it.
fn corosync_did(s: &Snapshot, inc: &Incident) -> Vec<String> {
    let fs = || inc.findings.iter().map(|&i| &s.findings[i]);
    let mut v = Vec::new();
    let downs = fs().filter(|f| f.kind == FindingKind::LinkDown).count();
    if downs > 0 {
        v.push(format!("knet declared {downs} link directions down"));
    }
    let mut lost: Vec<u16> = fs()
        .filter(|f| f.kind == FindingKind::TokenLost)
        .filter_map(|f| f.dst_node.or(f.src_node))
        .collect();
    lost.sort_unstable();
    lost.dedup();
    if !lost.is_empty() {
        let l: Vec<String> = lost.iter().map(u16::to_string).collect();
        v.push(format!("token lost at nodes {}", l.join(" ")));
    }
    let end = inc.end.unwrap_or(s.now) + JOIN_SLACK_NS;
    // Rings formed (attempts that never became operational are not, and
    // are counted on the ring that followed them).
    for m in s.membership.iter().filter(|m| {
        m.ts >= inc.start
            && m.ts <= end
            && m.state == RingState::Operational
            && (m.attempts > 0 || !(m.left.is_empty() && m.joined.is_empty()))
    }) {
        let list = |x: &[u32]| x.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        let mut t = format!("ring {} formed", m.ring_id);
        if !m.left.is_empty() {
            t.push_str(&format!(", left {}", list(&m.left)));
        }
        if !m.joined.is_empty() {
            t.push_str(&format!(", joined {}", list(&m.joined)));
        }
        if let Some(gap) = m.no_ring_ns().filter(|_| m.attempts > 0) {
            t.push_str(&format!(
                " after {:.1} s with no working ring ({} failed attempt{})",
                gap as f64 / 1e9,
                m.attempts,
                if m.attempts == 1 { "" } else { "s" }
            ));
        }
        v.push(t);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    /// One point a second from t = 100 s: (pongs, lost).
    fn series(v: &[(u32, u32)]) -> Vec<SeriesPoint> {
        v.iter()
            .enumerate()
            .map(|(i, &(pongs, lost))| SeriesPoint {
                ts: (100 + i as i64) * S,
                pings: pongs + lost,
                pongs,
                lost,
                ..SeriesPoint::default()
            })
            .collect()
    }

    #[test]
    fn a_dark_run_among_answered_seconds_is_a_cut() {
        // Two pings a second; seconds 105-108 every ping lost, the second
        // either side half lost (the cut began and ended within it).
        let mut v = vec![(2, 0); 5];
        v.push((1, 1));
        v.extend([(0, 2); 3]);
        v.push((1, 1));
        v.extend([(2, 0); 6]);
        assert_eq!(
            path_loss(&series(&v), 100 * S, 200 * S),
            PathLoss::Cut {
                first: 106 * S,
                longest: 6
            }
        );
    }

    #[test]
    fn losses_spread_over_the_window_are_random_loss() {
        // One ping in four lost, never two in a row: no dark second.
        let v: Vec<(u32, u32)> = (0..20)
            .map(|i| if i % 2 == 0 { (1, 1) } else { (2, 0) })
            .collect();
        match path_loss(&series(&v), 100 * S, 200 * S) {
            PathLoss::Random { pct, lost } => {
                assert_eq!(lost, 10);
                assert!((pct - 25.0).abs() < 1e-9, "{pct}");
            }
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn a_dark_run_with_losses_around_it_is_random_loss() {
        // Heavy random loss also darkens whole seconds; the lost pings
        // away from them say the path lost at random.
        let mut v: Vec<(u32, u32)> = vec![(1, 1), (2, 0), (1, 1), (2, 0), (1, 1)];
        v.extend([(2, 0), (0, 2), (0, 2), (2, 0)]);
        v.extend([(1, 1), (2, 0), (1, 1), (2, 0), (1, 1), (1, 1)]);
        assert!(matches!(
            path_loss(&series(&v), 100 * S, 200 * S),
            PathLoss::Random { .. }
        ));
    }

    #[test]
    fn one_lost_ping_says_nothing() {
        let mut v = vec![(2, 0); 10];
        v[4] = (1, 1);
        assert_eq!(path_loss(&series(&v), 100 * S, 200 * S), PathLoss::Clean);
        // Outside the window nothing counts.
        let v = vec![(0, 2); 10];
        assert_eq!(path_loss(&series(&v), 300 * S, 400 * S), PathLoss::Clean);
    }

    /// A two-node snapshot (pings answered both ways) with `fs` as its
    /// findings.
    fn snapshot_with(fs: Vec<Finding>) -> Snapshot {
        snapshot_losing(fs, None, 10)
    }

    /// [`snapshot_with`] over `secs` seconds, node 1's ping of second
    /// `lost` unanswered.
    fn snapshot_losing(fs: Vec<Finding>, lost: Option<i64>, secs: i64) -> Snapshot {
        let lost: Vec<i64> = lost.into_iter().collect();
        snapshot_unanswered(fs, &lost, &[], secs)
    }

    /// [`snapshot_with`] over `secs` seconds, node 1's pings of the
    /// seconds `lost1` and node 2's of `lost2` unanswered.
    fn snapshot_unanswered(fs: Vec<Finding>, lost1: &[i64], lost2: &[i64], secs: i64) -> Snapshot {
        use crate::analysis::testkit::*;
        let mut e = Engine::new(two_nodes());
        for k in 0..secs {
            let pong = |lost: &[i64]| (!lost.contains(&k)).then_some(300);
            ping_pair(&mut e, T0 + k * S, 1, 2, 0, pong(lost1), k as u16);
            ping_pair(&mut e, T0 + k * S + S / 2, 2, 1, 0, pong(lost2), k as u16);
        }
        let mut s = e.snapshot();
        s.findings = fs;
        s
    }

    fn at(kind: FindingKind, sev: Severity, src: u16, dst: u16, t: i64) -> Finding {
        use crate::analysis::testkit::T0;
        Finding::new(kind, sev, T0 + t * S, String::new())
            .nodes(Some(src), Some(dst), Some(0), None)
            .ended(T0 + (t + 3) * S)
    }

    #[test]
    fn a_link_down_and_up_on_one_lost_pong_is_loss() {
        // At the default budgets one pong lost takes a link down (the ping
        // timeout is under two spacings of knet's heartbeat grid): a link
        // that went down and came back with a pong lost on its path is
        // that loss, not a flap.
        let down = at(FindingKind::LinkDown, Severity::Critical, 1, 2, 4);
        let s = snapshot_losing(vec![down.clone()], Some(4), 40);
        assert!(
            matches!(incidents(&s)[0].cause, Cause::NetworkLoss { .. }),
            "{:?}",
            incidents(&s)[0].cause
        );
        // Every pong came back: nothing says loss.
        let s = snapshot_losing(vec![down.clone()], None, 40);
        assert_eq!(incidents(&s)[0].cause, Cause::LinkFlaps);
        // A link still down at the end (one pong lost of 40, under the
        // warning share): not known to have come back.
        let mut open = down;
        open.end = None;
        let s = snapshot_losing(vec![open], Some(4), 40);
        assert_eq!(incidents(&s)[0].cause, Cause::LinkFlaps);
    }

    #[test]
    fn paths_dark_together_again_and_again_are_short_cuts() {
        // Cuts of about a second lose one ping on each path, no dark run:
        // both paths of the pair dark in the same seconds, four times.
        let loss = at(FindingKind::OneWayLoss, Severity::Warning, 1, 2, 8)
            .ended(crate::analysis::testkit::T0 + 34 * S)
            .ev("loss_pct", 10.0);
        let cuts = [10, 17, 24, 31];
        let s = snapshot_unanswered(vec![loss.clone()], &cuts, &cuts, 40);
        assert!(
            matches!(incidents(&s)[0].cause, Cause::LinkCut { .. }),
            "{:?}",
            incidents(&s)[0].cause
        );
        // As many losses, one path at a time: random loss.
        let s = snapshot_unanswered(vec![loss.clone()], &[10, 24], &[17, 31], 40);
        assert!(matches!(incidents(&s)[0].cause, Cause::NetworkLoss { .. }));
        // Two coincidences among many losses each way: random loss.
        let s = snapshot_unanswered(
            vec![loss],
            &[10, 12, 14, 17, 20, 24, 27, 31],
            &[10, 13, 15, 17, 22, 25, 28, 33],
            40,
        );
        assert!(matches!(incidents(&s)[0].cause, Cause::NetworkLoss { .. }));
        assert!(poisson_tail(0.5, 4) < 0.01 && poisson_tail(0.8, 2) > 0.15);
    }

    #[test]
    fn tokens_resent_to_running_nodes_are_loss_after_the_last_resender() {
        let mut lost = at(FindingKind::TokenLost, Severity::Critical, 1, 1, 4);
        lost.src_node = None;
        let resent = |src, dst, n: f64| {
            at(FindingKind::TokenResent, Severity::Warning, src, dst, 3).ev("resends", n)
        };
        // Node 1's token to 2 went on, node 2's to 3 did not: every node
        // before the loss resent (1 the most), and 2 is the last of them.
        let s = snapshot_with(vec![lost.clone(), resent(1, 2, 9.0), resent(2, 3, 4.0)]);
        let c = &incidents(&s)[0].cause;
        assert_eq!(c.name(), "loss");
        assert_eq!(
            *c,
            Cause::TokensLost {
                from: 2,
                to: Some(3),
                resends: 4,
                seen_from: None,
            }
        );
        // Without any resend the token loss is a stall, inferred.
        let s = snapshot_with(vec![lost]);
        assert_eq!(incidents(&s)[0].cause.name(), "host_stall");
    }

    #[test]
    fn resends_listed_under_an_incident_name_its_cause() {
        // The token at risk from 4 to 7 s; node 2 resent its token to 3
        // from 10 s: after the incident's window and its slack, yet near
        // enough to be listed under it. Listed, it is the cause's evidence.
        let mut risk = at(FindingKind::TokenAtRisk, Severity::Warning, 3, 3, 4);
        risk.src_node = None;
        let resent = at(FindingKind::TokenResent, Severity::Warning, 2, 3, 10).ev("resends", 2.0);
        let s = snapshot_losing(vec![risk, resent], None, 20);
        let inc = incidents(&s);
        assert_eq!(inc.len(), 1);
        assert_eq!(inc[0].findings.len(), 2);
        assert_eq!(inc[0].cause.name(), "loss");
    }

    #[test]
    fn two_pings_lost_in_a_row_on_one_path_only_are_not_a_cut() {
        let lost = || vec![at(FindingKind::LinkDown, Severity::Critical, 1, 2, 10)];
        let cut = |s: &Snapshot| matches!(incidents(s)[0].cause, Cause::LinkCut { .. });
        // Node 1's pings to 2 unanswered at 10 and 11 s, all else answered:
        // random loss does that too, and the reverse path kept its pongs.
        assert!(!cut(&snapshot_unanswered(lost(), &[10, 11], &[], 30)));
        // Three in a row on that path is a cut; so are two in a row on both
        // pingers' paths of the pair at once (a cut loses both ways).
        assert!(cut(&snapshot_unanswered(lost(), &[10, 11, 12], &[], 30)));
        assert!(cut(&snapshot_unanswered(lost(), &[10, 11], &[10, 11], 30)));
        // Two in a row while node 2 sent nothing at all (a two-node cut
        // seen without the key, pings 3 s apart): a cut.
        let mut s = snapshot_unanswered(lost(), &[10, 11], &[], 30);
        let n2 = s.nodes.iter_mut().find(|n| n.id == 2).expect("node 2");
        n2.max_gap_at = crate::analysis::testkit::T0 + 9 * S;
        n2.max_gap_ms = 3500.0;
        assert!(cut(&s));
    }

    #[test]
    fn one_path_at_100_percent_among_paths_losing_a_fraction_is_not_a_cut() {
        let loss = |dst, pct: f64| {
            at(FindingKind::OneWayLoss, Severity::Warning, 2, dst, 5).ev("loss_pct", pct)
        };
        let cut = |fs| {
            matches!(
                incidents(&snapshot_with(fs))[0].cause,
                Cause::LinkCut { .. }
            )
        };
        assert!(!cut(vec![loss(1, 14.3), loss(5, 11.4), loss(4, 100.0)]));
        assert!(cut(vec![loss(4, 100.0)]));
        assert!(cut(vec![loss(1, 97.0), loss(4, 100.0)]));
        // One ping of two lost: 100 %, its 95 % interval down to 34 %.
        assert!(!cut(vec![loss(4, 100.0).ev("loss_ci95_low", 34.2)]));
        assert!(cut(vec![loss(4, 100.0).ev("loss_ci95_low", 56.6)]));
    }

    #[test]
    fn a_token_lost_on_a_nodes_capture_does_not_rule_out_the_other_paths() {
        let mut lost = at(FindingKind::TokenLost, Severity::Critical, 1, 1, 4);
        lost.src_node = None;
        let mut s = snapshot_with(vec![lost]);
        let c = &incidents(&s)[0].cause;
        assert!(
            c.describe().contains("no network fault on the wire"),
            "{c:?}"
        );
        s.vantage = Some(1);
        let c = &incidents(&s)[0].cause;
        assert_eq!(c.name(), "host_stall");
        assert!(
            c.describe()
                .contains("captured on node 1: the other nodes' paths"),
            "{}",
            c.describe()
        );
    }

    #[test]
    fn a_ring_re_formed_on_a_nodes_capture_with_no_fault_there_is_not_seen() {
        let ring = at(FindingKind::MembershipChange, Severity::Warning, 1, 2, 4);
        let mut s = snapshot_with(vec![ring]);
        assert_eq!(
            incidents(&s)[0].cause,
            Cause::Other(FindingKind::MembershipChange)
        );
        s.vantage = Some(3);
        let c = incidents(&s)[0].cause.clone();
        assert!(
            c.describe()
                .starts_with("ring re-formed with no network fault on node 3's paths"),
            "{}",
            c.describe()
        );
    }

    #[test]
    fn a_node_blocked_on_a_pmtud_probe_is_the_mtu_not_a_stall() {
        let stall = at(FindingKind::HostStall, Severity::Critical, 2, 1, 2);
        let blocked =
            at(FindingKind::MtuBlackHole, Severity::Critical, 1, 2, 2).ev("blocked_ms", 3000.0);
        let s = snapshot_with(vec![stall.clone(), blocked]);
        assert_eq!(incidents(&s)[0].cause, Cause::Mtu { black_hole: true });
        // Without it, the stall.
        let s = snapshot_with(vec![stall]);
        assert!(matches!(incidents(&s)[0].cause, Cause::HostStall { .. }));
    }

    #[test]
    fn loss_that_spared_the_pings_on_a_pair_with_a_lower_mtu_is_the_mtu() {
        let mtu = at(FindingKind::MtuChange, Severity::Warning, 2, 1, 1);
        let loss = |missing: f64| {
            at(FindingKind::OneWayLoss, Severity::Warning, 1, 2, 2)
                .ev("loss_pct", 99.0)
                .ev("pings", 13.0 - missing)
                .ev("pings_missing", missing)
                .ev("pings_unanswered", 0.0)
        };
        // 99 % of messages lost, none of 13 pings: the large packets only.
        let s = snapshot_with(vec![mtu.clone(), loss(0.0)]);
        assert_eq!(incidents(&s)[0].cause, Cause::Mtu { black_hole: false });
        // The pings lost as much: loss (here, the node cut off).
        let s = snapshot_with(vec![mtu, loss(12.0)]);
        assert!(!matches!(incidents(&s)[0].cause, Cause::Mtu { .. }));
        // No MTU evidence on the pair: not the MTU.
        let s = snapshot_with(vec![loss(0.0)]);
        assert!(!matches!(incidents(&s)[0].cause, Cause::Mtu { .. }));
    }
}
