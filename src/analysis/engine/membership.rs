//! Rings and their members.
//!
//! Totem forms a new ring (membership) when a node joins or leaves: the
//! commit token carries the new ring id and its members; from then on every
//! message carries the ring id. A ring first seen on a message whose commit
//! token was not captured gets its members inferred from the nodes that
//! forward its messages. A ring of one node never sends its token on the
//! wire; it shows in the merge-detect messages its representative sends,
//! and its member is that node, or as the ring a member of a later ring
//! came from (that ring's commit token: shown as formed earlier). A
//! representative whose first knet DATA seen carried one of knet's first
//! seqs started during the capture: with no earlier ring, every member of
//! its first ring joined. Left and joined are as the new ring's
//! representative saw them: against the latest ring it belonged to (after
//! a partition each side has its own). A new ring with members gone is
//! critical; the first ring and rings that only grew are info.

use crate::analysis::findings::{Finding, FindingKind, Severity};
use crate::analysis::snapshot::{MembershipView, RingState};
use crate::compact::Commit as CommitToken;
use crate::wire::totem::RingId;

use super::Engine;

/// The rings seen, in order, and the commit tokens that named their
/// members.
#[derive(Debug, Default)]
pub(super) struct Rings {
    /// Every ring seen (bounded by `max_memberships`).
    pub(super) list: Vec<MembershipView>,
    /// The latest commit tokens: ring, time, members, and each member's
    /// previous ring (the commit token's per-member entries).
    commits: Vec<Commit>,
    /// The ring in RECOVERY whose tokens are counted, and per node that
    /// forwarded them: consecutive tokens with the retransmit flag clear,
    /// totem's rotation counter and install seq.
    recovery: Option<RingId>,
    counts: Vec<Recovery>,
}

impl Rings {
    /// The timeline with left and joined as node `v` saw them, for the
    /// rings `v` belongs to (a capture on a node shows that node's view;
    /// corosync logs the same on it): against the ring the commit token
    /// says `v` came from, else the latest earlier ring `v` was in.
    pub(super) fn viewed_by(&self, v: Option<u16>) -> Vec<MembershipView> {
        let mut out = self.list.clone();
        self.states(&mut out);
        let Some(v) = v.map(u32::from) else {
            return out;
        };
        for (k, m) in self.list.iter().enumerate() {
            if m.members_inferred || !m.members.contains(&v) || m.rep == v {
                continue;
            }
            let commit = self
                .commits
                .iter()
                .find(|c| c.ring.rep == m.rep && c.ring.seq == m.seq);
            if let Some(pm) = previous_members(&self.list[..k], commit, v, true) {
                let (left, joined) = pm.left_joined(&m.members);
                out[k].left = left;
                out[k].joined = joined;
            }
        }
        out
    }
}

impl Rings {
    /// The latest ring when it is `ring` with its members known: nearly
    /// every message's ring, the per-packet paths' fast exit.
    #[inline]
    fn current_mut(&mut self, ring: RingId) -> Option<&mut MembershipView> {
        self.list
            .last_mut()
            .filter(|m| m.rep == ring.rep && m.seq == ring.seq && !m.members_inferred)
    }

    /// Each ring's state, and for a ring that became operational in the
    /// capture how long its side had no working ring before it. Totem
    /// sends new messages only in OPERATIONAL (in RECOVERY only old ones,
    /// encapsulated), and corosync's services send theirs as soon as a ring
    /// is operational; a representative sends merge-detect messages only
    /// then. A ring formed in the capture with neither is an attempt once a
    /// later ring of its members is seen, and still forming otherwise.
    fn states(&self, out: &mut [MembershipView]) {
        for k in 0..out.len() {
            if !never_worked(&out[k]) {
                continue;
            }
            let later = out[k + 1..].iter().any(|l| {
                l.named_by.is_none() && l.members.iter().any(|m| out[k].members.contains(m))
            });
            out[k].state = if later {
                RingState::Attempt
            } else {
                RingState::Forming
            };
        }
        for k in 0..out.len() {
            let (Some(at), true) = (out[k].operational_at, out[k].formed_in_capture) else {
                continue;
            };
            let rep = out[k].rep;
            let commit = self
                .commits
                .iter()
                .find(|c| c.ring.rep == rep && c.ring.seq == out[k].seq);
            let came_from = commit.and_then(|c| c.came_from(rep)).map(|(r, _)| r);
            let prev = (0..k).rev().find(|&j| {
                let p = &out[j];
                match came_from {
                    Some(r) => p.rep == r.rep && p.seq == r.seq,
                    None => p.members.contains(&rep) && p.state == RingState::Operational,
                }
            });
            let Some(j) = prev else {
                continue;
            };
            let since = out[j].last_ts;
            if since >= at {
                continue;
            }
            out[k].down_since = Some(since);
            out[k].attempts = out[j + 1..k]
                .iter()
                .filter(|a| a.state == RingState::Attempt && a.members.contains(&rep))
                .count() as u32;
        }
    }
}

/// The members of the ring `node` came from, among the `earlier` rings:
/// the one the new ring's commit token names for it (its members as the
/// timeline has them, else those of the new ring that came from it too:
/// exact for a ring of one node, which never shows otherwise); without the
/// commit token's word, when `fallback`, the latest earlier ring `node`
/// was in. With the commit token's word, also the members of the new ring
/// that came from that ring too: totem's transitional membership.
fn previous_members(
    earlier: &[MembershipView],
    commit: Option<&Commit>,
    node: u32,
    fallback: bool,
) -> Option<Previous> {
    match commit.and_then(|c| c.came_from(node)) {
        Some((pr, same)) => Some(Previous {
            members: earlier
                .iter()
                .rev()
                .find(|p| p.rep == pr.rep && p.seq == pr.seq && !p.members_inferred)
                .map_or_else(|| same.clone(), |p| p.members.clone()),
            transitional: Some(same),
        }),
        None if !fallback => None,
        None => earlier
            .iter()
            .rev()
            .find(|p| p.members.contains(&node) && !never_worked(p))
            .map(|p| Previous {
                members: p.members.clone(),
                transitional: None,
            }),
    }
}

/// The ring a node came from: its members, and those of the new ring that
/// came from it too (when the commit token says).
struct Previous {
    members: Vec<u32>,
    transitional: Option<Vec<u32>>,
}

impl Previous {
    /// Left and joined as totem tells them (memb_state_operational_enter):
    /// against the transitional membership, the members that came with
    /// the node from its ring. A member of both rings that came from
    /// another ring (it had left, alone or with others, and is back) left
    /// and joined.
    fn left_joined(&self, now: &[u32]) -> (Vec<u32>, Vec<u32>) {
        match &self.transitional {
            Some(t) => (
                self.members
                    .iter()
                    .filter(|n| !t.contains(n))
                    .copied()
                    .collect(),
                now.iter().filter(|n| !t.contains(n)).copied().collect(),
            ),
            None => left_joined(&self.members, now),
        }
    }
}

/// A ring formed in the capture that has not shown it worked: corosync's
/// left and joined are against the last ring that did (the one its commit
/// token names), never against an attempt.
fn never_worked(m: &MembershipView) -> bool {
    m.formed_in_capture && m.operational_at.is_none()
}

/// Members of `prev` not in `now`, and of `now` not in `prev`.
fn left_joined(prev: &[u32], now: &[u32]) -> (Vec<u32>, Vec<u32>) {
    (
        prev.iter().filter(|n| !now.contains(n)).copied().collect(),
        now.iter().filter(|n| !prev.contains(n)).copied().collect(),
    )
}

/// One node's RECOVERY counters, as totem keeps them.
#[derive(Debug, Clone, Copy)]
struct Recovery {
    node: u32,
    clear: u8,
    rotations: u8,
    install: u32,
}

/// `a` at or before `b` in totem's wrapping sequence numbers.
fn sq_lte(a: u32, b: u32) -> bool {
    b.wrapping_sub(a) as i32 >= 0
}

#[derive(Debug)]
struct Commit {
    ring: RingId,
    /// When its first copy was seen.
    ts: i64,
    members: Vec<u32>,
    prev_rings: Vec<RingId>,
}

impl Commit {
    /// The ring `node` came from and the members that came from it too.
    fn came_from(&self, node: u32) -> Option<(RingId, Vec<u32>)> {
        let i = self.members.iter().position(|m| *m == node)?;
        // An entry not filled in yet carries no ring (representative 0).
        let r = *self.prev_rings.get(i).filter(|r| r.rep != 0)?;
        let same = self
            .members
            .iter()
            .zip(&self.prev_rings)
            .filter(|(_, p)| **p == r)
            .map(|(m, _)| *m)
            .collect();
        Some((r, same))
    }
}

impl Rings {
    /// A commit token for a new ring: its members (the latest 16 kept).
    pub(super) fn commit_seen(&mut self, c: &CommitToken<'_>, ts: i64) {
        // The commit token goes round twice; each member fills in its
        // entry (the ring it came from) as it passes: a later copy knows
        // more.
        if let Some(k) = self.commits.iter_mut().find(|k| k.ring == c.ring) {
            k.prev_rings.clear();
            k.prev_rings.extend(c.prev_rings.iter().take(256).copied());
            return;
        }
        if self.commits.len() >= 16 {
            self.commits.remove(0);
        }
        let members: Vec<u32> = c.members.iter().take(256).copied().collect();
        let prev_rings: Vec<RingId> = c.prev_rings.iter().take(256).copied().collect();
        self.commits.push(Commit {
            ring: c.ring,
            ts,
            members,
            prev_rings,
        });
    }
}

impl Engine {
    /// A message of ring `ring` forwarded by `forwarder`.
    #[inline]
    pub(super) fn ring_seen(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        // Nearly always the current ring, its members known.
        if let Some(cur) = self.rings.current_mut(ring) {
            cur.last_ts = ts;
            return;
        }
        self.ring_seen_slow(ring, ts, forwarder);
    }

    pub(super) fn ring_seen_slow(&mut self, ring: RingId, ts: i64, forwarder: u32) {
        self.add_ring(ring, ts, forwarder, false);
    }

    /// A message of ring `ring` from `origin` re-sent in its RECOVERY
    /// (encapsulated): the ring is forming. First seen on its
    /// representative's message with no commit token, it is a ring of one
    /// node unless others are seen forwarding its messages (as on its
    /// merge-detect).
    #[inline]
    pub(super) fn ring_recovering(&mut self, ring: RingId, ts: i64, origin: u32) {
        if let Some(cur) = self.rings.current_mut(ring) {
            cur.last_ts = ts;
            return;
        }
        self.add_ring(ring, ts, origin, origin == ring.rep);
    }

    /// A ring seen at `ts` on a message of `forwarder`; `alone`: on its
    /// representative's merge-detect message (a ring of one node unless
    /// other nodes are seen forwarding its messages).
    fn add_ring(&mut self, ring: RingId, ts: i64, forwarder: u32, alone: bool) {
        let tl = &mut self.rings.list;
        if let Some(cur) = tl
            .iter_mut()
            .rev()
            .find(|m| m.rep == ring.rep && m.seq == ring.seq)
        {
            cur.last_ts = cur.last_ts.max(ts);
            if cur.members_inferred && !cur.members.contains(&forwarder) && cur.members.len() < 256
            {
                cur.members.push(forwarder);
                cur.members.sort_unstable();
            }
            return;
        }
        if tl.len() >= self.th.limits.max_memberships {
            self.overflow.memberships += 1;
            return;
        }
        let commit = self.rings.commits.iter().find(|k| k.ring == ring);
        let (members, inferred) = match commit {
            Some(k) => (k.members.clone(), false),
            None => (vec![forwarder], true),
        };
        self.push_ring(ring, ts, members, inferred, alone, None);
    }

    /// Adds ring `ring` to the timeline: `inferred`, its members are the
    /// forwarders seen; `alone`, seen on its representative's merge-detect
    /// message; `named_by`, known only as the ring some members of a later
    /// ring came from (its commit token's entries).
    fn push_ring(
        &mut self,
        ring: RingId,
        ts: i64,
        mut members: Vec<u32>,
        inferred: bool,
        alone: bool,
        named_by: Option<RingId>,
    ) {
        let fresh = self.started_in_capture(ring.rep);
        let tl = &mut self.rings.list;
        let commit = self.rings.commits.iter().find(|k| k.ring == ring);
        members.sort_unstable();
        members.dedup();
        // Left and joined as the ring's representative saw them: against
        // the latest ring it was a member of. After a partition each side's
        // ring has its own predecessor; a merged ring's is the rep's side.
        // A ring known only from its rep's merge-detect messages is a ring
        // of the rep alone (its token never leaves the node); one whose
        // members are inferred from forwarders is not judged.
        let prev = previous_members(tl, commit, ring.rep, !inferred || alone);
        // With no earlier ring, a representative that started while the
        // capture ran (knet's DATA seq began in it) is in its first ring
        // since it started: every member joined, as corosync logs it.
        let (left, joined) = match &prev {
            Some(pm) => pm.left_joined(&members),
            None if fresh && (!inferred || alone || named_by.is_some()) => {
                (Vec::new(), members.clone())
            }
            None => (Vec::new(), Vec::new()),
        };
        if !inferred {
            self.ring_members = members.len() as u32;
        }
        let first = tl.is_empty();
        // Its commit token seen: whether it became operational shows on
        // the wire. Otherwise it formed before the capture and worked.
        let formed_in_capture = !inferred && named_by.is_none();
        let view = MembershipView {
            ts,
            ring_id: ring.to_string(),
            rep: ring.rep,
            seq: ring.seq,
            members,
            members_inferred: inferred,
            left,
            joined,
            named_by: named_by.map(|r| r.to_string()),
            formed_in_capture,
            operational_at: (!formed_in_capture).then_some(ts),
            last_ts: ts,
            state: RingState::Operational,
            down_since: None,
            attempts: 0,
        };
        let f = membership_change(&view, first);
        tl.push(view);
        self.push_finding(f);
        self.derive_budgets();
    }
}

impl Engine {
    /// A commit token of ring `new` seen at `ts`: each member's entry names
    /// the ring it came from. A ring named there and never seen otherwise
    /// (the token of a ring of one node never leaves it; a partition's
    /// side may not reach the capture) existed before `ts`: it joins the
    /// timeline here, its members at least those that came from it.
    pub(super) fn previous_rings_named(&mut self, new: RingId, ts: i64) {
        let Some(c) = self.rings.commits.iter().find(|k| k.ring == new) else {
            return;
        };
        let mut named: Vec<(RingId, Vec<u32>)> = Vec::new();
        for (m, r) in c.members.iter().zip(&c.prev_rings) {
            if r.rep == 0 || *r == new || r.seq >= new.seq {
                continue;
            }
            match named.iter_mut().find(|(x, _)| x == r) {
                Some((_, ms)) => ms.push(*m),
                None => named.push((*r, vec![*m])),
            }
        }
        for (r, members) in named {
            let known = self
                .rings
                .list
                .iter()
                .any(|m| m.rep == r.rep && m.seq == r.seq);
            if !known && members.contains(&r.rep) {
                self.push_ring(r, ts, members, false, false, Some(new));
            }
        }
    }

    /// A new token of ring `ring` forwarded by `from`, with its retransmit
    /// flag, seq and aru. Totem in RECOVERY (message_handler_orf_token)
    /// counts each token it forwards with the flag clear (set, the count
    /// restarts) and takes the seq of the second as its install seq; from
    /// the third on, a token whose aru reached the install seq advances a
    /// rotation counter (any other resets it), and at two the node enters
    /// OPERATIONAL.
    #[inline]
    pub(super) fn recovery_token(
        &mut self,
        ring: RingId,
        from: u32,
        retrans: bool,
        progress: (u32, u32),
        ts: i64,
    ) {
        if self
            .rings
            .current_mut(ring)
            .is_some_and(|cur| cur.operational_at.is_some())
        {
            return;
        }
        self.recovery_token_slow(ring, from, retrans, progress, ts);
    }

    fn recovery_token_slow(
        &mut self,
        ring: RingId,
        from: u32,
        retrans: bool,
        (seq, aru): (u32, u32),
        ts: i64,
    ) {
        let r = &mut self.rings;
        let Some(m) = r
            .list
            .iter_mut()
            .rev()
            .find(|m| m.rep == ring.rep && m.seq == ring.seq)
        else {
            return;
        };
        if m.operational_at.is_some() {
            return;
        }
        if r.recovery != Some(ring) {
            r.recovery = Some(ring);
            r.counts.clear();
        }
        let k = match r.counts.iter().position(|c| c.node == from) {
            Some(k) => k,
            None if r.counts.len() < 256 => {
                r.counts.push(Recovery {
                    node: from,
                    clear: 0,
                    rotations: 0,
                    install: 0,
                });
                r.counts.len() - 1
            }
            None => return,
        };
        let c = &mut r.counts[k];
        c.clear = if retrans {
            0
        } else {
            c.clear.saturating_add(1)
        };
        if c.clear == 2 {
            c.install = seq;
        }
        c.rotations = if c.clear >= 3 && sq_lte(c.install, aru) {
            c.rotations + 1
        } else {
            0
        };
        if c.rotations >= 2 {
            m.operational_at = Some(ts);
            r.recovery = None;
            r.counts.clear();
        }
    }

    /// A message of ring `ring` that only a working ring sends (a new,
    /// not encapsulated, message from `origin`, or its representative's
    /// merge-detect): the ring is operational.
    #[inline]
    pub(super) fn ring_working(&mut self, ring: RingId, ts: i64, origin: u32) {
        if let Some(cur) = self
            .rings
            .current_mut(ring)
            .filter(|cur| cur.operational_at.is_some())
        {
            cur.last_ts = ts;
            return;
        }
        self.ring_working_slow(ring, ts, origin);
    }

    fn ring_working_slow(&mut self, ring: RingId, ts: i64, origin: u32) {
        // First seen on its representative's new message with no commit
        // token: as on its merge-detect, a ring of one node unless others
        // are seen forwarding its messages.
        self.add_ring(ring, ts, origin, origin == ring.rep);
        if let Some(m) = self
            .rings
            .list
            .iter_mut()
            .rev()
            .find(|m| m.rep == ring.rep && m.seq == ring.seq)
        {
            m.operational_at.get_or_insert(ts);
            m.last_ts = m.last_ts.max(ts);
        }
    }

    /// Before the commit token of ring `new` (or at the capture's end,
    /// `None`): the ring of the previous commit token, when no token or
    /// message of it was seen, was an attempt whose commit token never
    /// came back. It joins the timeline at its commit token's time.
    pub(super) fn commit_only_attempt(&mut self, new: Option<RingId>) {
        let Some(c) = self.rings.commits.last() else {
            return;
        };
        if Some(c.ring) == new {
            return;
        }
        let ring = c.ring;
        let known = self
            .rings
            .list
            .iter()
            .any(|m| m.rep == ring.rep && m.seq == ring.seq);
        if known || self.rings.list.len() >= self.th.limits.max_memberships {
            return;
        }
        let (ts, members) = (c.ts, c.members.clone());
        self.push_ring(ring, ts, members, false, false, None);
    }

    /// A merge-detect message of ring `ring` from `from`. Totem's ring
    /// representative sends one every `merge` timeout to find other rings;
    /// a ring of one node shows on the wire only this way (its token goes
    /// to itself), so a partition's singleton rings are seen here.
    pub(super) fn ring_detected(&mut self, ring: RingId, ts: i64, from: u32) {
        let known = self
            .rings
            .list
            .iter()
            .rev()
            .any(|m| m.rep == ring.rep && m.seq == ring.seq);
        if from == ring.rep && !known {
            self.add_ring(ring, ts, from, true);
        }
        if from == ring.rep {
            self.ring_working(ring, ts, from);
        }
    }
}

/// The findings of rings that never became operational say so (info for
/// an attempt: members that would have left did not), and those of
/// rings that became operational after their side had no working ring for
/// a second or more, or after failed attempts, say for how long.
pub(super) fn ring_findings(views: &[MembershipView], findings: &mut Vec<Finding>, finished: bool) {
    // A token lost in a ring that never became operational was lost in
    // RECOVERY: totem goes back to gather ("The token was lost in the
    // RECOVERY state", a debug line), not "A processor failed". It is the
    // attempt's failure, told there.
    let mut lost_in: Vec<(usize, String)> = Vec::new();
    findings.retain(|f| {
        if !matches!(f.kind, FindingKind::TokenLost | FindingKind::TokenAtRisk) {
            return true;
        }
        let (Some(rep), Some(seq)) = (f.evidence("ring_rep"), f.evidence("ring_seq")) else {
            return true;
        };
        let Some(k) = views.iter().position(|m| {
            f64::from(m.rep) == rep && m.seq as f64 == seq && m.state != RingState::Operational
        }) else {
            return true;
        };
        let what = format!(
            "node {} received no token for {:.0} ms",
            f.dst_node.map_or("?".to_string(), |n| n.to_string()),
            f.evidence("gap_ms").unwrap_or(0.0)
        );
        if !lost_in.iter().any(|(j, _)| *j == k) {
            lost_in.push((k, what));
        }
        false
    });
    for (k, m) in views.iter().enumerate() {
        if m.state == RingState::Operational && m.notable_no_ring_ns().is_none() {
            continue;
        }
        let Some(f) = findings.iter_mut().find(|f| {
            f.kind == FindingKind::MembershipChange
                && f.start == m.ts
                && f.evidence("ring_rep") == Some(f64::from(m.rep))
                && f.evidence("ring_seq") == Some(m.seq as f64)
        }) else {
            continue;
        };
        let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
        match m.state {
            RingState::Attempt => {
                // Not a membership change: corosync delivered nothing of it
                // (and start-up makes some as nodes come up one by one).
                f.severity = Severity::Info;
                f.message = format!(
                    "ring attempt ({}) with members {} never became operational: a later ring \
                     replaced it",
                    m.ring_id,
                    list(&m.members)
                );
                if !m.left.is_empty() {
                    f.message
                        .push_str(&format!(" (nodes {} would have left)", list(&m.left)));
                }
                if let Some((_, what)) = lost_in.iter().find(|(j, _)| *j == k) {
                    f.message
                        .push_str(&format!("; its token was lost in recovery ({what})"));
                }
            }
            RingState::Forming => {
                f.severity = f.severity.min(Severity::Warning);
                f.message = format!(
                    "ring ({}) with members {} forming: not operational {}",
                    m.ring_id,
                    list(&m.members),
                    if finished {
                        "when the capture ended"
                    } else {
                        "yet"
                    }
                );
            }
            RingState::Operational => {
                let Some(gap) = m.notable_no_ring_ns() else {
                    continue;
                };
                f.message.push_str(&format!(
                    "; its side had no working ring for {:.1} s before it{}",
                    gap as f64 / super::NS as f64,
                    match m.attempts {
                        0 => String::new(),
                        1 => ", with 1 failed attempt".to_string(),
                        n => format!(", with {n} failed attempts"),
                    }
                ));
                f.evidence.push(("no_ring_ms", gap as f64 / 1e6));
                f.evidence.push(("attempts", f64::from(m.attempts)));
            }
        }
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
    use super::{MembershipView, Previous, RingState, membership_change};

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
            named_by: None,
            formed_in_capture: true,
            operational_at: Some(T0),
            last_ts: T0,
            state: RingState::Operational,
            down_since: None,
            attempts: 0,
        }
    }

    /// Node 3 was stopped while 1 and 2 formed 1.d without it; the
    /// commit token of 1.11 says 1 and 2 came from 1.d, 3 from 1.9 [1 2 3]:
    /// on node 3 corosync logs "joined: 1 2 left: 1 2" (its transitional
    /// membership is itself alone).
    #[test]
    fn left_and_joined_are_against_the_transitional_membership() {
        let back = Previous {
            members: vec![1, 2, 3],
            transitional: Some(vec![3]),
        };
        assert_eq!(back.left_joined(&[1, 2, 3]), (vec![1, 2], vec![1, 2]));
        // Node 1's view of the same ring: 1 and 2 came together from 1.d.
        let rep = Previous {
            members: vec![1, 2],
            transitional: Some(vec![1, 2]),
        };
        assert_eq!(rep.left_joined(&[1, 2, 3]), (vec![], vec![3]));
        // No commit token seen: against the earlier ring's members.
        let plain = Previous {
            members: vec![1, 2, 3],
            transitional: None,
        };
        assert_eq!(plain.left_joined(&[1, 2]), (vec![3], vec![]));
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
