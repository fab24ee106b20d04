//! Typed findings: what threatened membership, where and when.

use std::fmt;

/// How bad a finding is. Critical = membership was lost, or would have been
/// had the condition lasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// knet would have declared the link down (no pong within the timeout).
    LinkDown,
    /// Several downs of one link within the flap window.
    LinkFlapping,
    /// A token rotation gap beyond token_warning at a node.
    TokenAtRisk,
    /// A token rotation gap beyond the token timeout at a node.
    TokenLost,
    /// A new ring id (members left and/or joined).
    MembershipChange,
    /// Loss in one direction of a node pair while the other is clean.
    OneWayLoss,
    /// Loss above the threshold in both directions.
    Loss,
    /// RTT well above the path's baseline, or p99 eating the budget.
    Latency,
    /// PMTUD probes unanswered above the acknowledged size.
    MtuBlackHole,
    /// The acknowledged PMTUD size changed, or an ICMP too-big was seen.
    MtuChange,
    /// A node fell silent while the others went on, then answered pings late.
    HostStall,
    /// Retransmit lists on the token for a sustained time.
    RetransmitStorm,
    /// A node sent the token again: it was lost on the ring after it.
    TokenResent,
    /// A sender the configuration does not know, or an address that changed node id.
    UnknownSender,
    /// The two directions of a node pair differ materially (loss, RTT, PMTU).
    Asymmetry,
    /// Large packets (PMTUD probes) answered much later than pings.
    SizeDependentLatency,
}

impl FindingKind {
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::LinkDown => "link_down",
            FindingKind::LinkFlapping => "link_flapping",
            FindingKind::TokenAtRisk => "token_at_risk",
            FindingKind::TokenLost => "token_lost",
            FindingKind::MembershipChange => "membership_change",
            FindingKind::OneWayLoss => "one_way_loss",
            FindingKind::Loss => "loss",
            FindingKind::Latency => "latency",
            FindingKind::MtuBlackHole => "mtu_black_hole",
            FindingKind::MtuChange => "mtu_change",
            FindingKind::HostStall => "host_stall",
            FindingKind::RetransmitStorm => "retransmit_storm",
            FindingKind::UnknownSender => "unknown_sender",
            FindingKind::Asymmetry => "asymmetry",
            FindingKind::SizeDependentLatency => "size_dependent_latency",
            FindingKind::TokenResent => "token_resent",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way the problem flows relative to `src_node` / `dst_node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From src to dst (the pinger's view for link state; the lossy direction for loss).
    SrcToDst,
    Both,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::SrcToDst => "src_to_dst",
            Direction::Both => "both",
        }
    }
}

/// One finding with its evidence numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// Capture time, ns since the epoch.
    pub start: i64,
    /// None while the condition is still going on.
    pub end: Option<i64>,
    pub src_node: Option<u16>,
    pub dst_node: Option<u16>,
    pub link: Option<u8>,
    pub direction: Option<Direction>,
    /// One sentence: what happened and by which rule.
    pub message: String,
    /// Named numbers (ms, percent, counts, sizes).
    pub evidence: Vec<(&'static str, f64)>,
}

impl Finding {
    pub(crate) fn new(kind: FindingKind, severity: Severity, start: i64, message: String) -> Self {
        Finding {
            kind,
            severity,
            start,
            end: None,
            src_node: None,
            dst_node: None,
            link: None,
            direction: None,
            message,
            evidence: Vec::new(),
        }
    }
    pub(crate) fn nodes(
        mut self,
        src: Option<u16>,
        dst: Option<u16>,
        link: Option<u8>,
        dir: Option<Direction>,
    ) -> Self {
        self.src_node = src;
        self.dst_node = dst;
        self.link = link;
        self.direction = dir;
        self
    }
    pub(crate) fn ended(mut self, end: i64) -> Self {
        self.end = Some(end);
        self
    }
    pub(crate) fn ev(mut self, name: &'static str, v: f64) -> Self {
        self.evidence.push((name, v));
        self
    }
    /// An evidence value by name.
    pub fn evidence(&self, name: &str) -> Option<f64> {
        self.evidence
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}
