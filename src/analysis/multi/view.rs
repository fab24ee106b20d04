//! What several captures add to the snapshot: the clocks, one-way views,
//! and path-loss findings where a one-way count contradicts a capture
//! point's own estimate.

use std::net::IpAddr;

use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};
use crate::analysis::snapshot::Snapshot;

use super::{ClockEstimate, OneWayView};

/// Everything the several-captures analysis adds to a report.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiView {
    /// File names, in input order.
    pub files: Vec<String>,
    pub clocks: ClockEstimate,
    /// Time shifts the user applied before the estimate, ns per capture.
    pub shifts_ns: Vec<i64>,
    pub one_way: Vec<OneWayView>,
    /// The link analysis read only the captures with no known vantage.
    pub bridge_only: bool,
    pub overflow_pending: u64,
    pub overflow_paths: u64,
}

/// Packets seen leaving one node's capture and never arriving in the
/// other's: at least this many make a path-loss finding.
pub const PATH_LOSS_MIN_PACKETS: u64 = 3;

/// A one-capture loss finding is dropped when the two captures matched at
/// least this many packets of its direction and none went missing.
pub const CONTRADICTION_MIN_MATCHED: u64 = 30;

impl MultiView {
    /// Adds a `one_way_loss` finding for every direction between two
    /// per-node captures that lost packets on the way (left the sender's
    /// capture, never reached the receiver's) at or above the loss warning
    /// threshold. Unlike the loss findings from one capture point, these
    /// cannot mistake a lost pong for a lost ping: the packets are counted
    /// at both ends. Where only the large packets vanished
    /// ([`OneWayView::too_big_from`]) the finding is an `mtu_black_hole`
    /// instead: they were dropped for their size.
    pub fn add_path_loss_findings(&self, snap: &mut Snapshot) {
        let link_of = |s: IpAddr, d: IpAddr| {
            snap.links
                .iter()
                .find(|l| l.src_addr == s && l.dst_addr == d)
                .map(|l| l.link)
        };
        let thr = snap.thresholds.loss_warning_pct;
        let mut added = Vec::new();
        for o in &self.one_way {
            let Some(start) = o.first_lost_ns else {
                continue;
            };
            let Some((matched, pct)) = o.episode_loss() else {
                continue;
            };
            if o.left_not_arrived < PATH_LOSS_MIN_PACKETS || pct < thr {
                continue;
            }
            let (src, dst) = (snap.node_of_addr(o.src_addr), snap.node_of_addr(o.dst_addr));
            let name = |n: Option<u16>, a: IpAddr| n.map_or(a.to_string(), |n| format!("node {n}"));
            let link = link_of(o.src_addr, o.dst_addr);
            // Only the large packets vanished: dropped for their size.
            if let Some(len) = o.too_big_from {
                let f = Finding::new(
                    FindingKind::MtuBlackHole,
                    Severity::Warning,
                    start,
                    format!(
                        "{} packets of {len} bytes or more from {} never reached {} while the \
                         smaller ones did: seen leaving one capture, absent from the other \
                         (dropped for their size)",
                        o.left_not_arrived,
                        name(src, o.src_addr),
                        name(dst, o.dst_addr),
                    ),
                )
                .nodes(src, dst, link, Some(Direction::SrcToDst))
                .ended(o.last_lost_ns.unwrap_or(start))
                .ev("smallest_unanswered", f64::from(len))
                .ev("left_not_arrived", o.left_not_arrived as f64)
                .ev("matched", o.matched as f64);
                added.push(f);
                continue;
            }
            let f = Finding::new(
                FindingKind::OneWayLoss,
                Severity::Warning,
                start,
                format!(
                    "{} of {} packets from {} never reached {} ({pct:.1} %): seen leaving one \
                     capture, absent from the other",
                    o.left_not_arrived,
                    matched + o.left_not_arrived,
                    name(src, o.src_addr),
                    name(dst, o.dst_addr),
                ),
            )
            .nodes(src, dst, link, Some(Direction::SrcToDst))
            .ended(o.last_lost_ns.unwrap_or(start))
            .ev("loss_pct", pct)
            .ev("left_not_arrived", o.left_not_arrived as f64)
            .ev("matched", matched as f64)
            .ev("capture_loss_pct", o.loss_pct)
            .ev(
                "arrived_not_seen_leaving",
                o.arrived_not_seen_leaving as f64,
            );
            added.push(f);
        }
        // A loss finding from one capture point cannot tell a lost ping
        // from a lost pong: the pinger's capture sees its ping unanswered
        // either way. Where both ends were captured, nothing that left the
        // sender's capture went missing on the way to the receiver's, and
        // the reverse did lose packets between the two capture points, the
        // unanswered pings are those lost pongs: the finding named the
        // wrong direction. Without loss on the reverse nothing contradicts
        // it: the finding may rest on packets lost before the sender's
        // capture point (an egress filter on the sender, seen as pings
        // missing from its cadence) or after the receiver's (an ingress
        // filter, seen as pings unanswered), which no pair of captures on
        // the hosts can see.
        let one_way = |f: &Finding, rev: bool| {
            snap.links
                .iter()
                .find(|l| {
                    let (s, d) = if rev {
                        (f.dst_node, f.src_node)
                    } else {
                        (f.src_node, f.dst_node)
                    };
                    l.src_node == s && l.dst_node == d && Some(l.link) == f.link
                })
                .and_then(|l| self.one_way_for(l.src_addr, l.dst_addr))
        };
        let contradicted = |f: &Finding| {
            matches!(f.kind, FindingKind::Loss | FindingKind::OneWayLoss)
                && f.evidence("left_not_arrived").is_none()
                && one_way(f, false).is_some_and(|o| {
                    o.left_not_arrived == 0 && o.matched >= CONTRADICTION_MIN_MATCHED
                })
                && one_way(f, true).is_some_and(|o| o.left_not_arrived >= PATH_LOSS_MIN_PACKETS)
        };
        let before = snap.findings.len();
        let kept: Vec<Finding> = snap
            .findings
            .drain(..)
            .filter(|f| !contradicted(f))
            .collect();
        snap.findings = kept;
        let removed = before - snap.findings.len();
        if !added.is_empty() || removed > 0 {
            snap.findings.extend(added);
            snap.findings.sort_by_key(|f| (f.start, f.kind.name()));
        }
    }

    pub fn one_way_for(&self, src: IpAddr, dst: IpAddr) -> Option<&OneWayView> {
        self.one_way
            .iter()
            .find(|o| o.src_addr == src && o.dst_addr == dst)
    }
}
