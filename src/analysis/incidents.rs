//! Incidents: the findings that overlap in time and share nodes, told as
//! one story with a cause chosen from the evidence, and what corosync did
//! about it.
//!
//! Grouping: warning and critical findings whose windows overlap (with
//! [`JOIN_SLACK_NS`] either side) and that share a node, or of which one
//! concerns the ring as a whole (token lost or at risk, a ring change, a
//! retransmit storm), are one incident (transitively).
//!
//! The cause, by the strongest evidence first:
//! 1. a host stall finding: the node stopped being scheduled;
//! 2. a node whose packets were all but gone (≥ [`CUT_LOSS_PCT`] lost on
//!    its paths): a link cut;
//! 3. loss on a path (one way or both): the worst direction (PMTUD probes
//!    lost under loss read as an MTU change, so loss comes first);
//! 4. a path-MTU black hole or change;
//! 5. a latency finding or an RTT asymmetry: a latency step;
//! 6. knet link downs or flaps with none of the above: link flaps;
//! 7. the token lost or at risk with no network fault on the wire: a stall
//!    of a node is the likely cause, and the incident says it is inferred.

use super::findings::{Finding, FindingKind, Severity};
use super::snapshot::Snapshot;

/// Findings this close to an incident's window belong to it.
pub const JOIN_SLACK_NS: i64 = 2_000_000_000;
/// Loss on a node's paths at or above this is the node cut off.
pub const CUT_LOSS_PCT: f64 = 90.0;

/// Why an incident happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    HostStall {
        node: Option<u16>,
        inferred: bool,
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
            Cause::NetworkLoss { .. } => "loss",
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
            } => format!("host stall of node {}", n(*node)),
            Cause::HostStall { inferred: true, .. } => {
                "token lost with no network fault on the wire (a node stalled?)".to_string()
            }
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
            let shared = cluster_wide(fa)
                || cluster_wide(fb)
                || nodes_of(fa).any(|x| nodes_of(fb).any(|y| x == y));
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
    groups
        .into_iter()
        .map(|(_, idx)| {
            let fs = || idx.iter().map(|&i| &s.findings[i]);
            let mut nodes: Vec<u16> = fs().flat_map(nodes_of).collect();
            nodes.sort_unstable();
            nodes.dedup();
            let mut inc = Incident {
                start: fs().map(|f| f.start).min().unwrap_or(s.now),
                end: fs()
                    .map(|f| f.end)
                    .try_fold(i64::MIN, |m, e| e.map(|e| m.max(e))),
                severity: fs().map(|f| f.severity).max().unwrap_or(Severity::Warning),
                cause: cause(s, &idx),
                nodes,
                findings: idx.clone(),
                corosync: Vec::new(),
            };
            inc.corosync = corosync_did(s, &inc);
            inc
        })
        .collect()
}

/// The cause, by the strongest evidence first (see the module docs).
fn cause(s: &Snapshot, idx: &[usize]) -> Cause {
    let fs: Vec<&Finding> = idx.iter().map(|&i| &s.findings[i]).collect();
    let has = |k: FindingKind| fs.iter().any(|f| f.kind == k);
    if let Some(f) = fs.iter().find(|f| f.kind == FindingKind::HostStall) {
        return Cause::HostStall {
            node: f.dst_node.or(f.src_node),
            inferred: false,
        };
    }
    let lossy = |f: &&&Finding| matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss);
    if let Some(f) = fs
        .iter()
        .filter(lossy)
        .filter(|f| loss_pct(f).is_some_and(|p| p >= CUT_LOSS_PCT))
        .max_by(|a, b| {
            loss_pct(a)
                .partial_cmp(&loss_pct(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        && let Some(node) = f.src_node
    {
        // Cut on every link the node's losses cover, or on one.
        let links: Vec<u8> = fs
            .iter()
            .filter(lossy)
            .filter(|g| g.src_node == Some(node) && loss_pct(g).is_some_and(|p| p >= CUT_LOSS_PCT))
            .filter_map(|g| g.link)
            .collect();
        let all = s
            .links
            .iter()
            .filter_map(|l| (l.src_node == Some(node)).then_some(l.link));
        let mut all: Vec<u8> = all.collect();
        all.sort_unstable();
        all.dedup();
        let link = match links.first() {
            Some(&l) if all.len() > 1 && links.iter().all(|&x| x == l) => Some(l),
            _ => None,
        };
        return Cause::LinkCut { node, link };
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
    if has(FindingKind::LinkDown) || has(FindingKind::LinkFlapping) {
        return Cause::LinkFlaps;
    }
    if has(FindingKind::TokenLost) || has(FindingKind::TokenAtRisk) {
        return Cause::HostStall {
            node: None,
            inferred: true,
        };
    }
    Cause::Other(fs.first().map_or(FindingKind::Latency, |f| f.kind))
}

/// Network loss on the paths of findings `fs`, when one of them lost at
/// least the loss warning share of its packets: over the incident's span
/// (its pings, second by second) and short of a cut (a path that lost
/// nearly everything was cut, not lossy), else over the capture.
fn loss_on_paths(s: &Snapshot, fs: &[&Finding]) -> Option<Cause> {
    let thr = s.thresholds.loss_warning_pct;
    let from = fs.iter().map(|f| f.start).min()?;
    let to = fs.iter().map(|f| f.end.unwrap_or(s.now)).max()?;
    let on = |f: &&Finding, l: &crate::analysis::LinkView| {
        f.link == Some(l.link)
            && ((f.src_node == l.src_node && f.dst_node == l.dst_node)
                || (f.src_node == l.dst_node && f.dst_node == l.src_node))
    };
    // Loss of a path's pings in [from, to] (None: too few to say).
    let in_span = |l: &crate::analysis::LinkView| {
        let (seen, lost) = l
            .series
            .iter()
            .filter(|p| p.ts + 1_000_000_000 > from && p.ts <= to)
            .fold((0u64, 0u64), |(a, b), p| {
                (a + u64::from(p.pings), b + u64::from(p.lost))
            });
        (lost >= 2).then(|| 100.0 * lost as f64 / (seen + lost) as f64)
    };
    let rate = |l: &crate::analysis::LinkView| {
        in_span(l)
            .filter(|p| *p < CUT_LOSS_PCT)
            .unwrap_or(l.loss_pct)
    };
    let worst = s
        .links
        .iter()
        .filter(|l| fs.iter().any(|f| on(f, l)))
        .map(|l| (l, rate(l)))
        .filter(|(_, p)| *p >= thr && *p < CUT_LOSS_PCT)
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let reverse = s
        .links
        .iter()
        .find(|l| {
            l.link == worst.0.link
                && l.src_node == worst.0.dst_node
                && l.dst_node == worst.0.src_node
        })
        .map_or(0.0, rate);
    Some(Cause::NetworkLoss {
        src: worst.0.src_node,
        dst: worst.0.dst_node,
        pct: worst.1,
        one_way: reverse < thr / 2.0,
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
    for m in s
        .membership
        .iter()
        .filter(|m| m.ts >= inc.start && m.ts <= end && !(m.left.is_empty() && m.joined.is_empty()))
    {
        let list = |x: &[u32]| x.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        let mut t = format!("ring {} formed", m.ring_id);
        if !m.left.is_empty() {
            t.push_str(&format!(", left {}", list(&m.left)));
        }
        if !m.joined.is_empty() {
            t.push_str(&format!(", joined {}", list(&m.joined)));
        }
        v.push(t);
    }
    v
}
