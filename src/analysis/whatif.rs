//! What-if budgets: for each incident the smallest token, consensus and
//! knet ping timeout that would have ridden it out, and for the whole
//! capture the headroom the budgets left and how far they could come down.
//!
//! Rules (corosync's and knet's, docs/wire-format.md §7):
//! * totem declares the token lost when a node has had no token for
//!   `token` ms; an incident is ridden out by a token longer than the
//!   longest token gap in it (`token_lost` / `token_at_risk` findings) and
//!   than the longest host stall (a stalled node holds the token). When
//!   corosync did lose the token the gap seen includes the re-formation,
//!   so the token found is an upper bound of the smallest that suffices.
//! * `consensus` only runs once the token is lost; corosync derives it as
//!   1.2 × token, so the consensus given is that of the smallest token.
//! * knet declares a link down when no pong came for `ping_timeout` ×
//!   backoff + 2 × average latency (backoff 1 on a settled link): an
//!   incident is ridden out by a ping timeout longer than the longest
//!   silence without a pong on the incident's paths.
//! * Headroom: the worst token gap, the worst silence and the RTT tail
//!   against the budgets in force. Lowering the token lowers corosync's
//!   derived hold (the idle ring's rotation) and knet's ping interval
//!   (the silence between pongs) with it, so the lowest token is found by
//!   trying tokens in 50 ms steps with corosync's formulas. What a budget
//!   tolerates is what it leaves beyond its own cadence: a token T beyond
//!   its idle hold(T), a ping timeout beyond one ping spacing (a pong is
//!   due every spacing). The worst seen beyond today's cadence (worst gap
//!   less today's hold, worst silence less today's spacing), [`MARGIN`]
//!   times over, must fit in that, and [`MARGIN`] times the largest RTT in
//!   the ping timeout. Never below [`FLOOR_TOKEN_MS`], corosync 2.x and
//!   3.0's default token: a capture shows minutes, not the rare stall.

use super::incidents::Incident;
use super::snapshot::Snapshot;
use super::{FindingKind, Severity};
use crate::config::{BudgetOverrides, Budgets, CorosyncVersion};

/// The margin of the headroom's lowest budgets: the worst seen may use at
/// most 1 / MARGIN of each.
pub const MARGIN: f64 = 2.0;

/// The lowest token the headroom suggests, ms.
pub const FLOOR_TOKEN_MS: u32 = 1000;

/// What would have ridden one incident out.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentWhatIf {
    /// Index into the incidents.
    pub incident: usize,
    /// Longest token gap of the incident's token findings, ms.
    pub token_gap_ms: Option<f64>,
    /// Longest host stall, ms.
    pub stall_ms: Option<f64>,
    /// Longest time without a pong on a path of the incident, ms.
    pub silence_ms: Option<f64>,
    /// Smallest token (ms) longer than the gap and the stall.
    pub min_token_ms: Option<u32>,
    /// corosync's consensus for that token (1.2 ×).
    pub min_consensus_ms: Option<u32>,
    /// Smallest knet ping timeout (ms) longer than the silence.
    pub min_ping_timeout_ms: Option<u32>,
}

/// How far the capture stayed from the budgets, and how low they could go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Headroom {
    /// Longest time between two new tokens at a node, ms.
    pub token_gap_ms: Option<f64>,
    /// Longest time without a pong on a path, ms, and the path (src, dst, link).
    pub silence_ms: Option<f64>,
    pub silence_path: Option<(Option<u16>, Option<u16>, u8)>,
    /// Largest 99th percentile and largest RTT over the paths, ms.
    pub rtt_p99_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// The lowest token (ms) that keeps [`MARGIN`] over the worst seen, and
    /// what corosync derives from it; `None` when nothing was measured.
    pub lowest_token_ms: Option<u32>,
    pub lowest_consensus_ms: Option<u32>,
    pub lowest_ping_timeout_ms: Option<u32>,
    pub lowest_ping_spacing_ms: Option<u32>,
}

/// The what-if budgets of a snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WhatIf {
    pub incidents: Vec<IncidentWhatIf>,
    pub headroom: Headroom,
}

/// Strictly above `ms`, on a 10 ms step.
fn above(ms: f64) -> u32 {
    ((ms / 10.0).floor() as u32)
        .saturating_add(1)
        .saturating_mul(10)
}

/// What-if budgets for the incidents of `s` (as `incidents(s)` gives them).
pub fn what_if(s: &Snapshot, incs: &[Incident]) -> WhatIf {
    let incidents = incs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.severity >= Severity::Warning)
        .map(|(k, i)| incident_what_if(s, k, i))
        .collect();
    WhatIf {
        incidents,
        headroom: headroom(s),
    }
}

fn max_opt(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.max(b)))
}

fn incident_what_if(s: &Snapshot, k: usize, inc: &Incident) -> IncidentWhatIf {
    let mut gap = None;
    let mut stall = None;
    let mut silence = None;
    for f in inc.findings.iter().filter_map(|&i| s.findings.get(i)) {
        match f.kind {
            FindingKind::TokenLost | FindingKind::TokenAtRisk => {
                if let Some(g) = f.evidence("gap_ms") {
                    gap = max_opt(gap, g);
                }
            }
            FindingKind::HostStall => {
                if let Some(g) = f.evidence("silence_ms") {
                    stall = max_opt(stall, g);
                }
            }
            _ => {}
        }
    }
    // The longest silence of the paths between the incident's nodes, when
    // it fell within the incident.
    let end = inc.end.unwrap_or(s.now);
    for l in &s.links {
        let (Some(a), Some(b)) = (l.src_node, l.dst_node) else {
            continue;
        };
        let at = l.max_silence_at;
        if inc.nodes.contains(&a)
            && inc.nodes.contains(&b)
            && l.max_silence_ms > 0.0
            && at <= end
            && at + (l.max_silence_ms * 1e6) as i64 >= inc.start
        {
            silence = max_opt(silence, l.max_silence_ms);
        }
    }
    let token = match (gap, stall) {
        (None, None) => None,
        (g, st) => Some(above(g.unwrap_or(0.0).max(st.unwrap_or(0.0)))),
    };
    IncidentWhatIf {
        incident: k,
        token_gap_ms: gap,
        stall_ms: stall,
        silence_ms: silence,
        min_token_ms: token,
        min_consensus_ms: token.map(|t| (f64::from(t) * 1.2) as u32),
        min_ping_timeout_ms: silence.map(above),
    }
}

fn headroom(s: &Snapshot) -> Headroom {
    let th = &s.thresholds;
    let mut h = Headroom {
        token_gap_ms: s.totem.token_rotation_us.map(|q| q.max as f64 / 1000.0),
        ..Headroom::default()
    };
    for l in &s.links {
        if l.max_silence_ms > h.silence_ms.unwrap_or(0.0) {
            h.silence_ms = Some(l.max_silence_ms);
            h.silence_path = Some((l.src_node, l.dst_node, l.link));
        }
        if let Some(q) = l.rtt_us {
            h.rtt_p99_ms = max_opt(h.rtt_p99_ms, q.p99 as f64 / 1000.0);
            h.rtt_max_ms = max_opt(h.rtt_max_ms, q.max as f64 / 1000.0);
        }
    }
    if h.token_gap_ms.is_none() && h.silence_ms.is_none() {
        return h;
    }
    // What of the worst seen is not the budgets' own cadence.
    let gap_extra = h.token_gap_ms.map(|g| (g - f64::from(th.hold_ms)).max(0.0));
    let silence_extra = h
        .silence_ms
        .map(|g| (g - f64::from(th.ping_spacing_ms)).max(0.0));
    let rtt = h.rtt_max_ms.unwrap_or(0.0);
    let pc = th.pong_count.max(1);
    let mut t = FLOOR_TOKEN_MS;
    while t < th.token_ms {
        let flags = BudgetOverrides {
            token: Some(t),
            token_coefficient: Some(0),
            knet_pong_count: Some(pc),
            ..BudgetOverrides::default()
        };
        let b = Budgets::compute(CorosyncVersion::V3_1, 2, None, &flags);
        let timeout = f64::from(t / pc);
        let spacing = crate::config::budgets::ping_spacing(t / pc.saturating_mul(2));
        let gap_ok =
            gap_extra.is_none_or(|x| x * MARGIN + f64::from(b.hold_ms.value) <= f64::from(t));
        let silence_ok = silence_extra.is_none_or(|x| x * MARGIN + f64::from(spacing) <= timeout);
        if gap_ok && silence_ok && rtt * MARGIN <= timeout {
            h.lowest_token_ms = Some(t);
            h.lowest_consensus_ms = Some(b.consensus_ms.value);
            h.lowest_ping_timeout_ms = Some(t / pc);
            h.lowest_ping_spacing_ms = Some(spacing);
            break;
        }
        t += 50;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_above_on_a_10ms_step() {
        assert_eq!(
            (above(3106.35), above(3100.0), above(0.0)),
            (3110, 3110, 10)
        );
    }
}
