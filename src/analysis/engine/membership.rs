//! Rings and their members.
//!
//! Totem forms a new ring (membership) when a node joins or leaves: the
//! commit token carries the new ring id and its members; from then on every
//! message carries the ring id. A ring first seen on a message whose commit
//! token was not captured gets its members inferred from the nodes that
//! forward its messages. A new ring with members gone is critical; the
//! first ring and rings that only grew are info.

use crate::analysis::findings::{Finding, FindingKind, Severity};
use crate::analysis::snapshot::MembershipView;
use crate::wire::totem::{CommitToken, RingId};

use super::Engine;

/// The rings seen, in order, and the commit tokens that named their
/// members.
#[derive(Debug, Default)]
pub(super) struct Rings {
    /// Every ring seen (bounded by `max_memberships`).
    pub(super) list: Vec<MembershipView>,
    /// The latest commit tokens: ring, time, members.
    commits: Vec<(RingId, i64, Vec<u32>)>,
}

impl Rings {
    /// A commit token for a new ring: its members (the latest 16 kept).
    pub(super) fn commit_seen(&mut self, c: &CommitToken<'_>, ts: i64) {
        if self.commits.iter().any(|(r, _, _)| *r == c.ring_id) {
            return;
        }
        if self.commits.len() >= 16 {
            self.commits.remove(0);
        }
        let members: Vec<u32> = c.members.iter().take(256).collect();
        self.commits.push((c.ring_id, ts, members));
    }
}

impl Engine {
    /// A message of ring `ring` forwarded by `forwarder`.
    #[inline]
    pub(super) fn ring_seen(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        // Nearly always the current ring, its members known.
        if let Some(cur) = self.rings.list.last() {
            if cur.rep == ring.rep && cur.seq == ring.seq && !cur.members_inferred {
                return;
            }
        }
        self.ring_seen_slow(ring, ts, forwarder);
    }

    pub(super) fn ring_seen_slow(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        let tl = &mut self.rings.list;
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
        let commit = self.rings.commits.iter().find(|(r, _, _)| *r == ring);
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
        if !inferred {
            self.ring_members = members.len() as u32;
        }
        let first = tl.is_empty();
        let view = MembershipView {
            ts,
            ring_id: ring.to_string(),
            rep: ring.rep,
            seq: ring.seq,
            members,
            members_inferred: inferred,
            left,
            joined,
        };
        let f = membership_change(&view, first);
        tl.push(view);
        self.push_finding(f);
        self.derive_budgets();
    }
}

/// The finding of a new ring: critical when members left; `first` is the
/// first ring the capture shows.
fn membership_change(m: &MembershipView, first: bool) -> Finding {
    let ring_str = &m.ring_id;
    let list = |v: &[u32]| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (left, joined, members) = (&m.left, &m.joined, &m.members);
    let (sev, msg) = if !left.is_empty() {
        (
            Severity::Critical,
            format!(
                "new membership ({ring_str}): members left: {}; joined: {}; members {}",
                list(left),
                list(joined),
                list(members)
            ),
        )
    } else if first {
        (
            Severity::Info,
            format!(
                "membership ({ring_str}) with members {}",
                if m.members_inferred {
                    "not seen".into()
                } else {
                    list(members)
                }
            ),
        )
    } else {
        (
            Severity::Info,
            format!(
                "new membership ({ring_str}): joined: {}; members {}",
                list(joined),
                list(members)
            ),
        )
    };
    Finding::new(FindingKind::MembershipChange, sev, m.ts, msg)
        .ended(m.ts)
        .ev("ring_rep", f64::from(m.rep))
        .ev("ring_seq", m.seq as f64)
        .ev("members", members.len() as f64)
        .ev("left", left.len() as f64)
        .ev("joined", joined.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::{MembershipView, membership_change};

    fn view(members: &[u32], left: &[u32], joined: &[u32]) -> MembershipView {
        MembershipView {
            ts: T0,
            ring_id: "1.8".into(),
            rep: 1,
            seq: 8,
            members: members.to_vec(),
            members_inferred: false,
            left: left.to_vec(),
            joined: joined.to_vec(),
        }
    }

    #[test]
    fn members_leaving_is_critical() {
        let f = membership_change(&view(&[1, 2], &[3], &[]), false);
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(
            f.message,
            "new membership (1.8): members left: 3; joined: ; members 1 2"
        );
        assert_eq!(f.evidence("left"), Some(1.0));
        assert_eq!(f.end, Some(T0));
    }

    #[test]
    fn first_and_growing_rings_are_info() {
        let f = membership_change(&view(&[1, 2, 3], &[], &[]), true);
        assert_eq!(
            (f.severity, f.message.as_str()),
            (Severity::Info, "membership (1.8) with members 1 2 3")
        );
        let f = membership_change(&view(&[1, 2, 3], &[], &[3]), false);
        assert_eq!(
            (f.severity, f.message.as_str()),
            (
                Severity::Info,
                "new membership (1.8): joined: 3; members 1 2 3"
            )
        );
    }
}
