//! Totem: tokens, retransmits, token rotation and hold.
//!
//! Totem's rules as seen on the wire:
//!
//! * The ORF token goes round the ring; each node holds it, sends what it
//!   has, and passes it on. A node that receives no new token for `token`
//!   ms declares it lost (and a new membership forms after `consensus`);
//!   corosync warns from `token_warning` % of the token timeout. The gap
//!   between two new tokens arriving at a node is its rotation: beyond
//!   token_warning a `token_at_risk` warning, beyond the token timeout a
//!   critical `token_lost`.
//! * A token is new when its ring or `token_seq` is newer than the last
//!   one towards that node. The same sender sending the same token_seq
//!   again within [`TOKEN_COPY_WINDOW`] is a copy on another link (active
//!   link mode); later it is a retransmission (token_retransmit ms passed).
//! * The token carries a retransmit list (`rtr`): messages a node missed.
//!   Tokens with such lists closer than [`RTR_EPISODE_GAP`] form one
//!   episode; an episode of at least [`RTR_STORM_MIN`] is a storm.
//! * knet hands DATA to corosync only while the receiver's link to the
//!   sender is up: a token towards a node whose link back is down does not
//!   reach it.
//! * A node that receives another node's join message while it waits for
//!   the token leaves the operational state (gather) and stops its token
//!   timer: only the nodes whose timer ran out first declare the token
//!   lost ("A processor failed"). The gap a node waited ends at that join.

use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};
use crate::analysis::snapshot::{LinkState, TOKEN_ROTATIONS_KEPT, TokenRotation, TotemView};
use crate::compact::{Kind, Lists, Msg, MsgBody, PacketRec, Ring};

use super::{Ctx, Engine, Hints, MS, NS, TokRx, fasthist, hold, ms};

/// A token with the same token_seq this soon after is a copy on another link.
pub(super) const TOKEN_COPY_WINDOW: i64 = 10 * MS;

/// Retransmit lists on tokens closer than this belong to one episode.
pub(super) const RTR_EPISODE_GAP: i64 = NS;

/// A retransmit episode at least this long is a storm.
pub(super) const RTR_STORM_MIN: i64 = 2 * NS;

/// A node's token resends closer than this many token timeouts are one
/// episode.
const RESEND_EPISODE_TOKENS: i64 = 2;

/// One node's token resends to its successor, while the successor was
/// heard from (running): tokens lost on the ring after the sender.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResendEpisode {
    pub(super) from: u32,
    pub(super) to: Option<u32>,
    /// When the first token resent was sent the first time.
    pub(super) start: i64,
    pub(super) last: i64,
    pub(super) resends: u32,
    /// Most times one token was sent again.
    pub(super) max_again: u32,
}

/// Adds `n` DATA packets on `link` to a per-link count (at most 8 links,
/// knet's maximum).
pub(super) fn add_link_count(counts: &mut Vec<(u8, u64)>, link: u8, n: u64) {
    if let Some(e) = counts.iter_mut().find(|(l, _)| *l == link) {
        e.1 += n;
    } else if counts.len() < 8 {
        counts.push((link, n));
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct RtrEpisode {
    pub(super) start: i64,
    pub(super) last: i64,
    pub(super) max: u32,
    pub(super) tokens: u64,
    pub(super) entries: u64,
}

#[derive(Debug, Default)]
pub(super) struct TotemState {
    pub(super) v: TotemView,
    pub(super) rotation: Option<fasthist::FastHist>,
    pub(super) max_rotation: i64,
    /// Per node: tokens sent and received, hold times.
    pub(super) tok: hold::TokNodes,
    pub(super) rtr_ep: Option<RtrEpisode>,
    /// Open token-resend episodes, one per sending node (bounded by the
    /// node limit).
    pub(super) resend_eps: Vec<ResendEpisode>,
    /// A token resent to a successor that had sent nothing since the
    /// first send: (resender, successor, first send). Its next new token
    /// tells whether the successor held it, stopped (`held_token`).
    pub(super) resent_to_silent: Option<(u32, u32, i64)>,
    /// The latest token resends: (resender, successor, first sent,
    /// resent), and the next slot.
    pub(super) resend_log: [(u32, u32, i64, i64); 16],
    pub(super) resend_next: usize,
    pub(super) series: Vec<(i64, u32, u32)>,
    /// Per-rotation series (bounded) and the node it is measured at.
    pub(super) rotations: std::collections::VecDeque<TokenRotation>,
    pub(super) rotation_node: Option<u32>,
    /// When `rotation_node` last received a new token.
    pub(super) rotation_rx_ts: i64,
}

impl TotemState {
    /// The earliest resend within `a..=b` of a token `from` re-sent to
    /// `to` twice or more then (a token lost once at random is taken on
    /// its next copy), if any.
    pub(super) fn resent_twice(&self, from: u32, to: u32, a: i64, b: i64) -> Option<i64> {
        let of = |e: &&(u32, u32, i64, i64)| e.0 == from && e.1 == to && (a..=b).contains(&e.3);
        self.resend_log
            .iter()
            .filter(of)
            .filter(|e| {
                self.resend_log
                    .iter()
                    .filter(of)
                    .filter(|o| o.2 == e.2)
                    .count()
                    >= 2
            })
            .map(|e| e.3)
            .min()
    }

    /// Adds a rotation measured at `node` to the series when `node` is the
    /// series' node, or takes `node` on when the series' node received no
    /// token for `timeout` (it left the ring or the capture lost sight of it).
    pub(super) fn note_rotation(&mut self, node: u32, ts: i64, gap: i64, timeout: i64) {
        let take = match self.rotation_node {
            Some(n) if n == node => true,
            Some(_) => ts.saturating_sub(self.rotation_rx_ts) > timeout,
            None => true,
        };
        if !take {
            return;
        }
        self.rotation_node = Some(node);
        self.rotation_rx_ts = ts;
        if self.rotations.len() >= TOKEN_ROTATIONS_KEPT {
            self.rotations.pop_front();
        }
        self.rotations.push_back(TokenRotation {
            ts,
            node,
            ms: ms(gap),
        });
    }
}

/// An ORF token's fields the engine reads ([`MsgBody::OrfToken`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    ring: Ring,
    token_seq: u32,
    backlog: u32,
    at: u32,
    /// The node it was sent to, whether or not knet handed it over.
    to: Option<u32>,
    /// Its retransmit flag (RECOVERY: old-ring messages still to re-send).
    retrans: bool,
}

impl Engine {
    /// Closes the retransmit episode when no token carried a retransmit
    /// list for [`RTR_EPISODE_GAP`] at `t`.
    pub(super) fn close_quiet_rtr(&mut self, t: i64) {
        if self
            .totem
            .rtr_ep
            .is_some_and(|e| t - e.last > RTR_EPISODE_GAP)
        {
            self.close_rtr();
        }
    }

    #[inline]
    pub(super) fn totem_of(&mut self, p: &PacketRec, t: &Msg, lists: &Lists, c: &mut Ctx) {
        let d = p;
        let data = matches!(p.kind, Kind::Data { .. });
        let retransmitter = match c.knet_node {
            Some(n) => Some(u32::from(n)),
            None => self.addr_node.get(&d.src).map(|n| u32::from(*n)),
        };
        // knet's glue writes target_nodeid; udp/udpu leave it stale, so
        // there the destination address (the path's receiver) says who.
        // knet hands DATA to corosync only while the receiver's link to
        // the sender is not down (its own pongs decide).
        let (by_addr, rev) = match c.dir.and_then(|i| self.dirs.get_mut(i as usize)) {
            Some(dd) => {
                // Which link carries the data: counted per path (summed by
                // link in the snapshot), below for packets without one.
                if data {
                    dd.totem_data += 1;
                }
                (dd.dst_node.map(u32::from), dd.rev)
            }
            None => {
                if data {
                    add_link_count(&mut self.totem.v.data_by_link, c.link, 1);
                }
                (self.addr_node.get(&d.dst).map(|n| u32::from(*n)), None)
            }
        };
        let rx_link_down = rev
            .and_then(|r| self.dirs.get(r as usize))
            .is_some_and(|r| r.link.state == LinkState::Down);
        // An original message (its sender's own copy) towards a node: a
        // sample of the path, and what a retransmit request refers to —
        // while the receiver is in the message's ring and operational
        // (it passed on a token of that ring within two token timeouts).
        // A node outside the ring asks for nothing, so what it misses then
        // is not counted, and neither are its copies.
        if let (MsgBody::Mcast { ring, seq, .. }, Some(i), Some(to)) = (&t.body, c.dir, by_addr)
            && retransmitter == Some(t.nodeid)
            && self.totem.tok.passed_token_in(
                to,
                (ring.rep, ring.seq()),
                c.ts - 2 * i64::from(self.th.token_ms) * MS,
            )
        {
            self.rtr
                .copy_seen((ring.rep, ring.seq()), *seq, to, i, c.ts);
            if let Some(d) = self.dirs.get_mut(i as usize) {
                d.mcast_copy_seen(c.sec);
            }
        }
        let receiver = if p.has_knet() {
            Some(t.target).filter(|n| *n != 0).or(by_addr)
        } else {
            by_addr
        };
        self.on_totem(
            t,
            lists,
            c.ts,
            c.sec,
            retransmitter,
            receiver,
            rx_link_down,
            &mut c.hints,
        );
        if let (
            MsgBody::OrfToken {
                ring, token_seq, ..
            },
            Some(i),
            Some(to),
        ) = (&t.body, c.dir, receiver)
            && retransmitter == Some(t.nodeid)
        {
            let ring = (ring.rep, ring.seq());
            self.token_copy(t.nodeid, to, ring, *token_seq, c.ts, i, rx_link_down);
        }
    }

    /// A copy of `from`'s token towards `to` seen at `ts` on path `i`: the
    /// token groups of `tokloss`. knet hands nothing from `from` to `to`
    /// while `to`'s link back is down (`rx_link_down`), and a node outside
    /// the token's ring discards it: such a copy tells nothing of the path.
    #[allow(clippy::too_many_arguments)]
    fn token_copy(
        &mut self,
        from: u32,
        to: u32,
        ring: (u32, u64),
        token_seq: u32,
        ts: i64,
        i: u32,
        rx_link_down: bool,
    ) {
        let since = ts - 2 * i64::from(self.th.token_ms) * MS;
        let usable = !rx_link_down && self.totem.tok.passed_token_in(to, ring, since);
        // The sender sent this token before: its retransmission (or, within
        // TOKEN_COPY_WINDOW, its copy on another link in active mode, whose
        // group is spoilt anyway).
        let resend = self
            .totem
            .tok
            .last_sent(from)
            .is_some_and(|tx| tx.ring == ring && tx.token_seq == token_seq && tx.ts < ts);
        let seqs = &self.seqs;
        self.tokl.token(
            from,
            to,
            ring,
            token_seq,
            ts,
            i,
            (usable, resend),
            self.th.token_retransmit_ns(),
            self.th.limits.max_nodes,
            |n, t| {
                u16::try_from(n)
                    .ok()
                    .and_then(|n| seqs.get(&n))
                    .is_some_and(|s| s.whole_since(t))
            },
        );
        if self.tokl.told_full() {
            self.settle_token_copies(ts);
        }
    }

    /// Judges the token copies `tokloss` told whose receiver's knet
    /// heartbeat around them is known at `now`.
    pub(super) fn settle_token_copies(&mut self, now: i64) {
        self.tokl
            .settle(now, self.th.token_retransmit_ns(), &mut self.dirs);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_totem(
        &mut self,
        t: &Msg,
        lists: &Lists,
        ts: i64,
        sec: i64,
        sender: Option<u32>,
        receiver: Option<u32>,
        rx_link_down: bool,
        hints: &mut Hints,
    ) {
        match t.body {
            MsgBody::OrfToken {
                ring,
                token_seq,
                backlog,
                retrans,
                at,
            } => {
                let from = t.nodeid;
                let target = receiver.filter(|_| !rx_link_down);
                let tok = Token {
                    ring,
                    token_seq,
                    backlog,
                    at,
                    to: receiver,
                    retrans,
                };
                self.on_token(&tok, lists, from, target, ts, sec, hints);
            }
            MsgBody::CommitToken { at } => {
                self.totem.v.commit_tokens += 1;
                let c = lists.commit(at);
                self.commit_only_attempt(Some(c.ring));
                self.rings.commit_seen(&c, ts);
                self.previous_rings_named(c.ring, ts);
            }
            MsgBody::Mcast {
                ring,
                encapsulated,
                at,
                ..
            } => {
                let v = &mut self.totem.v;
                v.mcasts += 1;
                if encapsulated {
                    v.encapsulated += 1;
                }
                if sender.is_some_and(|s| s != t.nodeid) {
                    v.mcast_retransmits += 1;
                }
                // A new message only an operational ring sends; an
                // encapsulated one is recovery's, of a ring forming.
                let ring = lists.mcast_ring(at, ring);
                if encapsulated {
                    self.ring_recovering(ring, ts, t.nodeid);
                } else {
                    self.ring_working(ring, ts, t.nodeid);
                }
            }
            MsgBody::Join => {
                self.totem.v.joins += 1;
                let from = t.nodeid;
                if let Some(r) = receiver.filter(|r| *r != from && !rx_link_down) {
                    self.join_towards(r, ts, &mut hints.rx);
                }
            }
            MsgBody::MergeDetect { system_from, at } => {
                self.totem.v.merge_detects += 1;
                self.ring_detected(lists.ring(at), ts, system_from);
            }
            MsgBody::HoldCancel => self.totem.v.hold_cancels += 1,
            MsgBody::Other | MsgBody::None => {}
        }
    }

    /// An ORF token from `from` on its way to `target`.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_token(
        &mut self,
        tok: &Token,
        lists: &Lists,
        from: u32,
        target: Option<u32>,
        ts: i64,
        sec: i64,
        hints: &mut Hints,
    ) {
        let (rtr, ring_id) = lists.token(tok.at, tok.ring);
        let n = rtr.len.min(u32::MAX as usize) as u32;
        let v = &mut self.totem.v;
        v.tokens += 1;
        v.max_backlog = v.max_backlog.max(tok.backlog);
        v.rtr_max = v.rtr_max.max(n);
        match self.totem.series.last_mut() {
            Some(last) if last.0 == sec * NS => {
                last.1 += 1;
                last.2 = last.2.max(n);
            }
            _ => self.token_series_new(sec, n),
        }
        if n > 0 {
            self.token_rtr(ts, n);
        }
        let ring = (ring_id.rep, ring_id.seq);
        let this = TokRx {
            ts,
            ring,
            token_seq: tok.token_seq,
        };
        // Retransmission: the same sender sends the same token_seq again.
        let max_nodes = self.th.limits.max_nodes;
        let mut new_token = false;
        if let Some(tn) = self.totem.tok.entry(from, max_nodes, &mut hints.tx) {
            match &mut tn.tx {
                Some(prev) if prev.ring == ring && prev.token_seq == tok.token_seq => {
                    if ts - prev.ts >= TOKEN_COPY_WINDOW {
                        self.totem.v.token_retransmits += 1;
                        let sent = prev.ts;
                        if let Ok(node) = u16::try_from(from) {
                            self.late_token_retransmit(node, sent, ts);
                        }
                        // A token knet did not hand over (the receiver's
                        // link back is down) was lost on that hop too.
                        self.token_resent(from, tok.to, sent, ts);
                    } else {
                        self.totem.v.token_copies += 1;
                    }
                }
                prev => {
                    *prev = Some(this);
                    new_token = true;
                    let arrived = tn.sent(ts, i64::from(self.th.token_ms) * MS);
                    // Only the ring's representative holds the token (when
                    // the ring is idle); any other node passes it on as it
                    // gets it. A long hold elsewhere: the node was not
                    // running.
                    if let Some((at, first)) = arrived
                        && ts - first >= super::nodes::STALL_MIN_NS
                        && from != ring_id.rep
                        && let Ok(node) = u16::try_from(from)
                    {
                        self.held_token(node, at, first, ts, None);
                    }
                }
            }
        }
        // The token came round again to a node that had resent its last one
        // to a silent successor: that successor passed it on only now.
        if let Some((x, y, first)) = self.totem.resent_to_silent
            && target == Some(x)
        {
            self.totem.resent_to_silent = None;
            if let (Ok(x), Ok(y)) = (u16::try_from(x), u16::try_from(y))
                && ts - first >= super::nodes::STALL_MIN_NS
            {
                self.held_token(y, first, first, ts, Some(x));
            }
        }
        self.ring_seen(ring_id, ts, from);
        if new_token && let Some(progress) = lists.token_progress(tok.at) {
            self.recovery_token(ring_id, from, tok.retrans, progress, ts);
        }
        self.rtr.token_from(from, ring, &rtr, ts, &mut self.dirs);
        if let Some(r) = target {
            self.rtr.token_to(r, ring, &rtr, max_nodes);
            self.token_arrival(r, this, true, &mut hints.rx);
        }
    }

    /// The token series' point of a new second.
    #[cold]
    pub(super) fn token_series_new(&mut self, sec: i64, n: u32) {
        if self.totem.series.len() >= self.th.limits.series_len.max(64) {
            self.totem.series.remove(0);
        }
        self.totem.series.push((sec * NS, 1, n));
    }

    /// A token carrying `n` retransmit requests.
    #[cold]
    pub(super) fn token_rtr(&mut self, ts: i64, n: u32) {
        let v = &mut self.totem.v;
        v.tokens_with_rtr += 1;
        v.rtr_entries += u64::from(n);
        match &mut self.totem.rtr_ep {
            Some(e) if ts - e.last <= RTR_EPISODE_GAP => {
                e.last = ts;
                e.max = e.max.max(n);
                e.tokens += 1;
                e.entries += u64::from(n);
            }
            _ => {
                self.close_rtr();
                self.totem.rtr_ep = Some(RtrEpisode {
                    start: ts,
                    last: ts,
                    max: n,
                    tokens: 1,
                    entries: u64::from(n),
                });
            }
        }
    }

    /// A join message from another node on its way to `node` at `ts`.
    #[cold]
    fn join_towards(&mut self, node: u32, ts: i64, hint: &mut u16) {
        let max_nodes = self.th.limits.max_nodes;
        if let Some(tn) = self.totem.tok.entry(node, max_nodes, hint)
            && tn.rx.is_some()
            && tn.join_rx.is_none()
        {
            tn.join_rx = Some(ts);
        }
    }

    /// A token towards `node` (`hold`: its arrival starts the node's hold).
    pub(super) fn token_arrival(&mut self, node: u32, this: TokRx, hold: bool, hint: &mut u16) {
        let max_nodes = self.th.limits.max_nodes;
        let Some(tn) = self.totem.tok.entry(node, max_nodes, hint) else {
            return;
        };
        if hold {
            let copy = tn
                .rx
                .is_some_and(|p| p.ring == this.ring && this.token_seq <= p.token_seq);
            tn.arrival(this.ts, copy);
        }
        let Some(p) = tn.rx else {
            tn.rx = Some(this);
            return;
        };
        if p.ring == this.ring && this.token_seq <= p.token_seq {
            return;
        }
        // Inferred tokens (no key) count every copy as new: no gap from them.
        tn.rx_gap = hold.then_some(this.ts - p.ts);
        tn.rx = Some(this);
        let join = tn.join_rx.take();
        let lost = i64::from(self.th.token_ms) * MS;
        // A node that receives another's join before its token timeout
        // leaves the operational state for the join (gather): its timer
        // stops there and it declares no token loss; the gap it waited is
        // up to the join.
        // A join within a twentieth of the timeout of it is a peer whose
        // timer ran out with this node's (the token lost in flight reaches
        // no one; the timers started together): not counted.
        let gap = match join {
            Some(j) if j >= p.ts && j - p.ts <= lost - lost / 20 => j - p.ts,
            _ => this.ts - p.ts,
        };
        self.totem.note_rotation(node, this.ts, gap, lost);
        self.totem
            .rotation
            .get_or_insert_with(fasthist::FastHist::new)
            .record_ns(gap);
        if gap > self.totem.max_rotation {
            self.totem.max_rotation = gap;
            self.totem.v.max_rotation_node = Some(node);
            self.totem.v.max_rotation_at = p.ts;
        }
        if gap > i64::from(self.th.token_warning_ms) * MS {
            self.token_gap(node, p.ring, p.ts, p.ts + gap, gap);
        }
    }

    /// What a wait of `gap` for the token is: lost past the token timeout,
    /// at risk past token_warning.
    fn token_gap_kind(&self, gap: i64) -> (FindingKind, Severity, String) {
        if gap > i64::from(self.th.token_ms) * MS {
            (
                FindingKind::TokenLost,
                Severity::Critical,
                format!("beyond the {} ms token timeout", self.th.token_ms),
            )
        } else {
            (
                FindingKind::TokenAtRisk,
                Severity::Warning,
                format!("beyond token_warning {} ms", self.th.token_warning_ms),
            )
        }
    }

    /// A node waited longer than token_warning for a token of `ring`: a
    /// finding.
    #[cold]
    pub(super) fn token_gap(&mut self, node: u32, ring: (u32, u64), from: i64, to: i64, gap: i64) {
        let (kind, sev, what) = self.token_gap_kind(gap);
        let node16 = u16::try_from(node).ok();
        let f = Finding::new(
            kind,
            sev,
            from,
            format!(
                "node {node} received no token for {:.0} ms, {what}",
                ms(gap)
            ),
        )
        .nodes(None, node16, None, None)
        .ended(to)
        .ev("gap_ms", ms(gap))
        .ev("token_warning_ms", f64::from(self.th.token_warning_ms))
        .ev("token_ms", f64::from(self.th.token_ms))
        .ev("ring_rep", f64::from(ring.0))
        .ev("ring_seq", ring.1 as f64);
        self.push_finding(f);
    }

    /// Token gaps still open at `now` (a live capture, a replay not yet
    /// at its end): each member of the latest ring a commit token listed
    /// (every node with a token seen, without one) that has waited longer than
    /// token_warning shows as an open `token_at_risk`, then `token_lost`
    /// past the token timeout, growing until the token returns (when
    /// `token_gap` records it for good). A finished capture has none: its
    /// end is not a token loss.
    pub(super) fn open_token_findings(&self, now: i64) -> Vec<Finding> {
        if self.finished {
            return Vec::new();
        }
        let members = self
            .rings
            .list
            .last()
            .filter(|r| !r.members_inferred)
            .map(|r| &r.members);
        let warn = i64::from(self.th.token_warning_ms) * MS;
        let mut out = Vec::new();
        for (node, last) in self.totem.tok.last_arrivals() {
            let gap = now - last;
            if gap <= warn || members.is_some_and(|m| !m.contains(&node)) {
                continue;
            }
            let (kind, sev, what) = self.token_gap_kind(gap);
            out.push(
                Finding::new(
                    kind,
                    sev,
                    last,
                    format!(
                        "node {node} has received no token for {:.0} ms so far, {what}",
                        ms(gap)
                    ),
                )
                .nodes(None, u16::try_from(node).ok(), None, None)
                .ev("gap_ms", ms(gap))
                .ev("token_warning_ms", f64::from(self.th.token_warning_ms))
                .ev("token_ms", f64::from(self.th.token_ms))
                .ev("open", 1.0),
            );
        }
        out
    }

    /// Node `from` sent its token to `to` again at `ts`, first sent at
    /// `sent`. totem resends a token when it saw no sign of it going on
    /// (the next token, a multicast) for token_retransmit ms: it was lost
    /// on the ring at or after `from` -> `to`. A resend later than the
    /// token timeout is the sender's own stall (`late_token_retransmit`),
    /// and one while the successor sent nothing since the first send may be
    /// the successor's: neither counts.
    #[cold]
    pub(super) fn token_resent(&mut self, from: u32, to: Option<u32>, sent: i64, ts: i64) {
        let token = i64::from(self.th.token_ms) * MS;
        if ts - sent >= token {
            return;
        }
        let k = self.totem.resend_next % self.totem.resend_log.len();
        self.totem.resend_log[k] = (from, to.unwrap_or(u32::MAX), sent, ts);
        self.totem.resend_next = k + 1;
        let heard = to
            .and_then(|n| u16::try_from(n).ok())
            .and_then(|n| self.nodes.get(&n))
            .is_some_and(|n| n.last_ts > sent);
        if !heard {
            if let Some(n) = to {
                self.totem.resent_to_silent = Some((from, n, sent));
            }
            return;
        }
        let every = self.th.token_retransmit_ns();
        let again = u32::try_from(((ts - sent + every / 2) / every).max(1)).unwrap_or(u32::MAX);
        let gap = RESEND_EPISODE_TOKENS * token;
        let fresh = ResendEpisode {
            from,
            to,
            start: sent,
            last: ts,
            resends: 1,
            max_again: again,
        };
        let eps = &mut self.totem.resend_eps;
        if let Some(e) = eps.iter_mut().find(|e| e.from == from) {
            if sent - e.last <= gap {
                e.last = ts;
                e.resends += 1;
                e.max_again = e.max_again.max(again);
                if e.to.is_none() {
                    e.to = to;
                }
                return;
            }
            let done = std::mem::replace(e, fresh);
            self.resend_finding(done);
        } else if eps.len() < self.th.limits.max_nodes {
            eps.push(fresh);
        }
    }

    /// Closes the resend episodes quiet for [`RESEND_EPISODE_TOKENS`] token
    /// timeouts at `t` (all of them with `t` = i64::MAX).
    pub(super) fn close_quiet_resends(&mut self, t: i64) {
        let gap = RESEND_EPISODE_TOKENS * i64::from(self.th.token_ms) * MS;
        let mut k = 0;
        while k < self.totem.resend_eps.len() {
            if t.saturating_sub(self.totem.resend_eps[k].last) > gap {
                let e = self.totem.resend_eps.swap_remove(k);
                self.resend_finding(e);
            } else {
                k += 1;
            }
        }
    }

    /// A token-resend episode's finding: a warning when a token was lost
    /// more than once (resent twice, or two resends in the episode), the
    /// ring then half-way or more to a token loss; one resend is noted.
    fn resend_finding(&mut self, e: ResendEpisode) {
        let sev = if e.resends >= 2 || e.max_again >= 2 {
            Severity::Warning
        } else {
            Severity::Info
        };
        let (to, hop) = match e.to {
            Some(n) => (format!("node {n}"), format!("{} -> {n}", e.from)),
            None => ("its successor".to_string(), format!("{}'s hop", e.from)),
        };
        let f = Finding::new(
            FindingKind::TokenResent,
            sev,
            e.start,
            format!(
                "node {} sent the token to {to} again {} time(s) over {:.1} s (the same token \
                 up to {} times): no sign of it going on within token_retransmit {} ms while \
                 {to} was running, so it was lost on the ring at or after {hop}",
                e.from,
                e.resends,
                (e.last - e.start) as f64 / NS as f64,
                e.max_again,
                self.th.token_retransmit_ms,
            ),
        )
        .ended(e.last)
        .nodes(
            u16::try_from(e.from).ok(),
            e.to.and_then(|n| u16::try_from(n).ok()),
            None,
            Some(Direction::SrcToDst),
        )
        .ev("resends", f64::from(e.resends))
        .ev("max_same_token", f64::from(e.max_again))
        .ev(
            "token_retransmit_ms",
            f64::from(self.th.token_retransmit_ms),
        );
        self.push_finding(f);
    }

    pub(super) fn close_rtr(&mut self) {
        let Some(e) = self.totem.rtr_ep.take() else {
            return;
        };
        if e.last - e.start < RTR_STORM_MIN {
            return;
        }
        let f = Finding::new(
            FindingKind::RetransmitStorm,
            Severity::Warning,
            e.start,
            format!(
                "tokens carried retransmit requests for {:.1} s (up to {} entries)",
                (e.last - e.start) as f64 / NS as f64,
                e.max
            ),
        )
        .ended(e.last)
        .ev("duration_ms", ms(e.last - e.start))
        .ev("rtr_max", f64::from(e.max))
        .ev("tokens_with_rtr", e.tokens as f64)
        .ev("rtr_entries", e.entries as f64);
        self.push_finding(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::TotemState;
    use crate::analysis::RingState;

    /// Three nodes pass the token 1 -> 2 -> 3 -> 1 every 10 ms (ring
    /// representative 1), 30 rotations; node 2 then keeps the token `hold`
    /// before passing it on. Its host-stall findings.
    fn held_by_node_2(hold: i64) -> Vec<crate::analysis::findings::Finding> {
        use crate::analysis::budget::Thresholds;
        use crate::analysis::findings::FindingKind;
        let mut e = Engine::new(Thresholds::corosync31_defaults(3));
        feed(
            &mut e,
            T0,
            ip(1),
            ip(2),
            0,
            &commit_bytes(1, 2, 8, &[1, 2, 3]),
        );
        let mut ts = T0 + 10 * MS;
        let mut seq = 0;
        for _ in 0..30 {
            feed(&mut e, ts, ip(1), ip(2), 0, &token_bytes(1, 2, seq, 8, 0));
            feed(
                &mut e,
                ts + 100_000,
                ip(2),
                ip(3),
                0,
                &token_bytes(2, 3, seq + 1, 8, 0),
            );
            feed(
                &mut e,
                ts + 200_000,
                ip(3),
                ip(1),
                0,
                &token_bytes(3, 1, seq + 2, 8, 0),
            );
            seq += 3;
            ts += 10 * MS;
        }
        // Node 2 gets the token and sends nothing until `hold` later, while
        // node 1 and 3 go on pinging each other.
        feed(&mut e, ts, ip(1), ip(2), 0, &token_bytes(1, 2, seq, 8, 0));
        let mut t = ts + MS;
        while t < ts + hold {
            ping_pair(&mut e, t, 1, 3, 0, Some(100), 9);
            t += 20 * MS;
        }
        feed(
            &mut e,
            ts + hold,
            ip(2),
            ip(3),
            0,
            &token_bytes(2, 3, seq + 1, 8, 0),
        );
        e.findings
            .iter()
            .filter(|f| f.kind == FindingKind::HostStall)
            .cloned()
            .collect()
    }

    #[test]
    fn a_node_other_than_the_representative_holding_the_token_was_stopped() {
        let stalls = held_by_node_2(300 * MS);
        assert_eq!(stalls.len(), 1, "{stalls:?}");
        let f = &stalls[0];
        assert_eq!(f.dst_node, Some(2));
        assert_eq!(f.evidence("token_hold_ms"), Some(300.0));
        // Node 2 last sent 9.9 ms before the token came; the stall began
        // between then and the token, and ended with its send.
        let stall = f.evidence("stall_ms").unwrap();
        assert!((300.0..=309.91).contains(&stall), "{stall}");
        // A hold of 100 ms is not one.
        assert!(held_by_node_2(100 * MS).is_empty());
    }

    /// Node 1 passes the token to node 2 every 100 ms and gets it back
    /// 1 ms later; once (at 2 s) its token is lost and node 1 sends it
    /// again at token_retransmit and twice that, while node 2 keeps
    /// pinging node 1 (`heard`) or sends nothing (a stall: not loss).
    fn resends(heard: bool) -> Vec<crate::analysis::findings::Finding> {
        let th = two_nodes();
        let every = i64::from(th.token_retransmit_ms) * MS;
        let mut e = Engine::new(th);
        let (a, b) = (ip(1), ip(2));
        feed(&mut e, T0, a, b, 0, &commit_bytes(1, 2, 8, &[1, 2]));
        let mut ts = T0 + 10 * MS;
        let mut seq = 0;
        let end = ts + 6 * S;
        let mut ping = 0;
        while ts < end {
            let lost = (T0 + 2 * S..T0 + 2 * S + 100 * MS).contains(&ts);
            feed(&mut e, ts, a, b, 0, &token_bytes(1, 2, seq, 8, 0));
            if lost {
                for k in 1..=2 {
                    if heard {
                        ping += 1;
                        ping_pair(&mut e, ts + k * every - 300 * MS, 2, 1, 0, Some(100), ping);
                    }
                    feed(
                        &mut e,
                        ts + k * every,
                        a,
                        b,
                        0,
                        &token_bytes(1, 2, seq, 8, 0),
                    );
                }
                ts += 2 * every;
            }
            feed(&mut e, ts + MS, b, a, 0, &token_bytes(2, 1, seq + 1, 8, 0));
            seq += 2;
            ts += 100 * MS;
        }
        e.finish(end);
        e.snapshot()
            .findings
            .into_iter()
            .filter(|f| f.kind == FindingKind::TokenResent)
            .collect()
    }

    #[test]
    fn a_token_sent_again_to_a_running_successor_is_loss_after_the_sender() {
        use crate::analysis::findings::Severity;
        let f = resends(true);
        assert_eq!(f.len(), 1, "{f:?}");
        let f = &f[0];
        assert_eq!((f.src_node, f.dst_node), (Some(1), Some(2)));
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.evidence("resends"), Some(2.0));
        assert_eq!(f.evidence("max_same_token"), Some(2.0));
        // From the lost token's first send to its last resend.
        let every = i64::from(two_nodes().token_retransmit_ms) * MS;
        assert_eq!(f.end.map(|e| e - f.start), Some(2 * every));
        // A successor that sent nothing meanwhile may have stalled: no loss.
        assert!(resends(false).is_empty());
    }

    #[test]
    fn token_rotation_retransmit_loss_and_membership() {
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        feed(&mut e, T0, a, b, 0, &commit_bytes(1, 2, 8, &[1, 2]));
        let mut ts = T0 + 10 * MS;
        let mut seq = 0;
        // 20 rotations: 1 -> 2, 2 -> 1 after 100 µs, then held 561 ms.
        for _ in 0..20 {
            feed(&mut e, ts, a, b, 0, &token_bytes(1, 2, seq, 8, 0));
            feed(
                &mut e,
                ts + 100_000,
                b,
                a,
                0,
                &token_bytes(2, 1, seq + 1, 8, 0),
            );
            seq += 2;
            ts += 561 * MS;
        }
        // Node 2 sends its last token again 714 ms later (token_retransmit).
        feed(
            &mut e,
            ts - 561 * MS + 714 * MS,
            b,
            a,
            0,
            &token_bytes(2, 1, seq - 1, 8, 2),
        );
        let last_at_1 = ts - 561 * MS + 100_000;
        // Silence of 4 s at node 1, then a new ring without node 2.
        let t_new = last_at_1 + 4000 * MS;
        feed(
            &mut e,
            t_new - 5 * MS,
            a,
            b,
            0,
            &commit_bytes(1, 1, 12, &[1]),
        );
        feed(&mut e, t_new, b, a, 0, &token_bytes(2, 1, 0, 12, 0));
        // Nothing yet shows 1.c working: forming, not a membership change.
        let s = e.snapshot();
        let m = s.membership.last().expect("rings");
        assert_eq!((m.ring_id.as_str(), m.state), ("1.c", RingState::Forming));
        let f = s
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::MembershipChange && f.start == t_new)
            .expect("ring finding");
        assert_eq!(
            (f.severity, f.message.as_str()),
            (
                Severity::Warning,
                "ring (1.c) with members 1 forming: not operational yet"
            )
        );
        // Its first new message: operational, 4.1 s after 1.8 last worked.
        feed(&mut e, t_new + MS, a, b, 0, &mcast_in(12, 1, 1));
        e.finish(t_new + MS);
        let s = e.snapshot();
        let m = s.membership.last().expect("rings");
        assert_eq!(
            (m.state, m.operational_at, m.down_since, m.attempts),
            (
                RingState::Operational,
                Some(t_new + MS),
                Some(ts - 561 * MS + 714 * MS),
                0
            )
        );
        let t = &s.totem;
        assert_eq!(t.tokens, 42);
        assert_eq!(t.token_retransmits, 1);
        assert_eq!(t.rtr_max, 2);
        assert_eq!(t.commit_tokens, 2);
        let q = t.token_rotation_us.expect("rotation");
        // 19 rotations of 561 ms at each node + node 1's 4000.0 ms gap
        assert_eq!(q.count, 39);
        assert!((561_000..=563_000).contains(&q.p50), "{q:?}");
        let lost = s
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::TokenLost)
            .expect("token lost");
        assert_eq!(
            (lost.start, lost.end, lost.dst_node),
            (last_at_1, Some(t_new), Some(1))
        );
        assert_eq!(lost.evidence("gap_ms"), Some(4000.0));
        // 1.4, the ring both came from, shows only as their commit token's
        // entries: named by 1.8, formed earlier.
        assert_eq!(s.membership.len(), 3);
        let named = &s.membership[0];
        assert_eq!(
            (
                named.ring_id.as_str(),
                &named.members[..],
                named.named_by.as_deref()
            ),
            ("1.4", &[1, 2][..], Some("1.8"))
        );
        assert_eq!(
            (
                s.membership[1].ring_id.as_str(),
                &s.membership[1].members[..],
                s.membership[1].named_by.as_deref()
            ),
            ("1.8", &[1, 2][..], None)
        );
        let m = &s.membership[2];
        assert_eq!(
            (m.ring_id.as_str(), &m.members[..], &m.left[..], m.ts),
            ("1.c", &[1][..], &[2][..], t_new)
        );
        // 1.8 went round four times with the retransmit flag clear and its
        // aru at its seq: operational from the wire alone.
        assert_eq!(s.membership[1].state, RingState::Operational);
        assert!(
            s.membership[1]
                .operational_at
                .is_some_and(|t| t < T0 + 2000 * MS)
        );
        let mc: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::MembershipChange)
            .collect();
        assert_eq!(mc.len(), 3);
        assert_eq!(
            (mc[0].severity, mc[1].severity, mc[2].severity),
            (Severity::Info, Severity::Info, Severity::Critical)
        );
    }

    #[test]
    fn token_gap_between_warning_and_timeout_is_at_risk() {
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        feed(&mut e, T0, a, b, 0, &token_bytes(2, 1, 1, 8, 0));
        feed(&mut e, T0 + 2300 * MS, a, b, 0, &token_bytes(2, 1, 3, 8, 0));
        feed(&mut e, T0 + 4549 * MS, a, b, 0, &token_bytes(2, 1, 5, 8, 0));
        e.finish(T0 + 4549 * MS);
        let s = e.snapshot();
        let risk: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::TokenAtRisk)
            .collect();
        // 2300 ms > 2250 ms warning; 2249 ms is not
        assert_eq!(risk.len(), 1);
        assert_eq!(risk[0].severity, Severity::Warning);
        assert_eq!(s.worst(), Some(Severity::Warning));
    }

    #[test]
    fn an_open_token_gap_shows_and_grows_until_the_token_returns() {
        let mut e = Engine::new(two_nodes());
        let (a, b) = (ip(1), ip(2));
        feed(&mut e, T0, a, b, 0, &token_bytes(2, 1, 1, 8, 0));
        let open = |e: &Engine| -> Vec<(FindingKind, Severity, Option<i64>, Option<f64>)> {
            e.snapshot()
                .findings
                .iter()
                .filter(|f| f.evidence("open").is_some())
                .map(|f| (f.kind, f.severity, f.end, f.evidence("gap_ms")))
                .collect()
        };
        e.advance_time(T0 + 2000 * MS);
        assert!(open(&e).is_empty(), "2000 ms is within the 2250 ms warning");
        e.advance_time(T0 + 2500 * MS);
        assert_eq!(
            open(&e),
            vec![(
                FindingKind::TokenAtRisk,
                Severity::Warning,
                None,
                Some(2500.0)
            )]
        );
        e.advance_time(T0 + 3500 * MS);
        assert_eq!(
            open(&e),
            vec![(
                FindingKind::TokenLost,
                Severity::Critical,
                None,
                Some(3500.0)
            )]
        );
        assert_eq!(e.snapshot().findings[0].start, T0);
        // The token returns: the gap is closed, recorded once.
        feed(&mut e, T0 + 4000 * MS, a, b, 0, &token_bytes(2, 1, 3, 8, 0));
        assert!(open(&e).is_empty());
        let s = e.snapshot();
        let lost: Vec<_> = s
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::TokenLost)
            .collect();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].end, Some(T0 + 4000 * MS));
        // The end of a capture is not a token loss.
        e.advance_time(T0 + 9000 * MS);
        assert_eq!(open(&e).len(), 1);
        e.finish(T0 + 9000 * MS);
        assert!(open(&e).is_empty());
    }

    #[test]
    fn rotation_series_stays_with_its_node_until_it_goes_quiet() {
        let mut t = TotemState::default();
        t.note_rotation(1, T0, 10 * MS, S);
        // Another node's rotation while node 1 still gets tokens: not kept.
        t.note_rotation(2, T0 + 100 * MS, 20 * MS, S);
        assert_eq!(t.rotations.len(), 1);
        // Node 1 received nothing for longer than the timeout: node 2 takes on.
        t.note_rotation(2, T0 + 2 * S, 30 * MS, S);
        assert_eq!(t.rotation_node, Some(2));
        let nodes: Vec<u32> = t.rotations.iter().map(|r| r.node).collect();
        assert_eq!(nodes, vec![1, 2]);
        assert_eq!(t.rotations[1].ms, 30.0);
    }
}
