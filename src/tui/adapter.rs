//! `analysis::Snapshot` → [`View`]: the analysis engine's numbers on screen.
//!
//! The header (source, counters, decode status, drops) comes from the
//! session's counters ([`super::driver`]); everything else is the engine's.

use crate::analysis::{self, Snapshot, Thresholds};

use super::model::*;

/// The screen's budgets from the engine's thresholds.
pub fn budgets(th: &Thresholds) -> Budgets {
    Budgets {
        token_ms: th.token_ms,
        token_warning_ms: th.token_warning_ms,
        consensus_ms: th.consensus_ms,
        ping_interval_ms: th.ping_interval_ms,
        ping_timeout_ms: th.ping_timeout_ms,
        pong_count: th.pong_count,
        origin: th.origin.clone(),
    }
}

fn state(s: analysis::LinkState) -> LinkState {
    match s {
        analysis::LinkState::Unknown => LinkState::Unknown,
        analysis::LinkState::Up => LinkState::Up,
        analysis::LinkState::Down => LinkState::Down,
    }
}

fn severity(s: analysis::Severity) -> Severity {
    match s {
        analysis::Severity::Info => Severity::Info,
        analysis::Severity::Warning => Severity::Warning,
        analysis::Severity::Critical => Severity::Critical,
    }
}

fn ms_u64(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    }
}

fn link_row(l: &analysis::LinkView) -> LinkRow {
    let q = l.rtt_us.unwrap_or_default();
    let mut silences = Vec::new();
    let mut down_at: Option<i64> = None;
    for t in &l.transitions {
        match (t.up, down_at) {
            (false, None) => down_at = Some(t.ts),
            (true, Some(s)) => {
                silences.push(Silence {
                    start: s,
                    end: Some(t.ts),
                    ms: u64::try_from(t.ts.saturating_sub(s) / 1_000_000).unwrap_or(0),
                });
                down_at = None;
            }
            _ => {}
        }
    }
    if let Some(s) = down_at {
        silences.push(Silence {
            start: s,
            end: None,
            ms: u64::try_from(l.last_ts.saturating_sub(s) / 1_000_000).unwrap_or(0),
        });
    }
    LinkRow {
        src: l.src_node.map_or(0, u32::from),
        dst: l.dst_node.map_or(0, u32::from),
        link: l.link,
        rtt: Rtt {
            samples: q.count,
            p50_us: q.p50,
            p99_us: q.p99,
            max_us: q.max,
        },
        loss_pct: (l.pings_sent > 0).then_some(l.loss_pct),
        loss_rev_pct: None,
        pings: l.pings_sent,
        pongs: l.pongs_received,
        pmtu: l.pmtu.map(u32::from),
        state: state(l.state),
        last_pong_age_ms: (l.pongs_received > 0).then(|| ms_u64(l.pong_age_ms)),
        max_silence_ms: ms_u64(l.max_silence_ms),
        series: l
            .series
            .iter()
            .map(|p| RttPoint {
                ts: p.ts,
                max_us: (p.pongs > 0).then_some(p.rtt_max_us),
                lost: p.lost,
            })
            .collect(),
        hist: analysis::RTT_BUCKETS_US
            .iter()
            .copied()
            .chain([u64::MAX])
            .zip(l.rtt_hist)
            .map(|(upper_us, count)| Bucket { upper_us, count })
            .collect(),
        silences,
    }
}

/// Fills `view` (whose header is already set) from the engine's snapshot.
pub fn fill(view: &mut View, s: &Snapshot) {
    view.budgets = budgets(&s.thresholds);
    let mut nodes: Vec<Node> = s
        .nodes
        .iter()
        .map(|n| Node {
            id: u32::from(n.id),
            name: s.node_name(n.id).unwrap_or_default().to_string(),
        })
        .collect();
    for (id, name) in &s.node_names {
        if !nodes.iter().any(|n| n.id == u32::from(*id)) {
            nodes.push(Node {
                id: u32::from(*id),
                name: name.clone(),
            });
        }
    }
    nodes.sort_by_key(|n| n.id);
    view.nodes = nodes;
    let mut links: Vec<LinkRow> = s.links.iter().map(link_row).collect();
    links.sort_by_key(LinkRow::key);
    for i in 0..links.len() {
        let (a, b, l) = links[i].key();
        links[i].loss_rev_pct = links
            .iter()
            .find(|r| r.src == b && r.dst == a && r.link == l)
            .and_then(|r| r.loss_pct);
    }
    view.links = links;
    let t = &s.totem;
    let rot = t.token_rotation_us;
    view.totem = TotemView {
        rotation_us: t
            .rotations
            .iter()
            .map(|r| (r.ts, ms_u64(r.ms * 1000.0)))
            .collect(),
        last_token: t.last_token.clone(),
        rotation_p50_us: rot.map(|q| q.p50),
        rotation_p99_us: rot.map(|q| q.p99),
        rotation_max_us: rot.map(|q| q.max),
        token_retransmits: t.token_retransmits,
        rtr_max: t.rtr_max,
        rtr_total: t.rtr_entries,
        membership: s
            .membership
            .iter()
            .map(|m| Membership {
                ts: m.ts,
                ring_id: m.ring_id.clone(),
                members: m.members.clone(),
                joined: m.joined.clone(),
                left: m.left.clone(),
                attempt: m.state == crate::analysis::RingState::Attempt,
            })
            .collect(),
    };
    view.incidents = analysis::incidents(s)
        .into_iter()
        .map(|i| Incident {
            start: i.start,
            end: i.end,
            severity: severity(i.severity),
            cause: i.cause.describe(),
        })
        .collect();
    // Shown newest first (reversed): closed findings in time order, then the
    // open ones, so the open ones are pinned at the top of the list.
    let mut order: Vec<&analysis::Finding> = s.findings.iter().collect();
    order.sort_by_key(|f| (f.end.is_none(), f.start));
    view.findings = order
        .into_iter()
        .map(|f| Finding {
            start: f.start,
            end: f.end,
            severity: severity(f.severity),
            kind: f.kind.name().to_string(),
            src: f.src_node.map(u32::from),
            dst: f.dst_node.map(u32::from),
            link: f.link,
            text: f.message.clone(),
            evidence: f
                .evidence
                .iter()
                .map(|(name, v)| {
                    if v.fract() == 0.0 && v.abs() < 1e15 {
                        format!("{name} = {v:.0}")
                    } else {
                        format!("{name} = {v:.3}")
                    }
                })
                .collect(),
        })
        .collect();
}
