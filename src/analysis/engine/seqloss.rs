//! Loss evidence from knet DATA sequence numbers (all DATA, not only pings).
//!
//! Checked on the corpus (libknet 1.25): a sender's DATA `seq` is one counter
//! shared by unicast and broadcast messages to every destination
//! (docs/wire-format.md §4.2);
//! a broadcast goes out once to every host whose link the sender considers
//! up, with the same seq (and each fragment with its own `frag_seq`); in
//! active link mode once per up link. Healthy captures show no seq gaps.
//!
//! Two estimators, both counting packets lost *before* the capture point on
//! a directed path (after it the packet is on the wire and cannot be missed):
//!
//! * Broadcast copies: a broadcast `(seq, frag_seq)` seen towards one
//!   destination should be seen towards every other destination the sender
//!   has up. Each copy is a sample when at least one *other* copy was seen
//!   (that event does not depend on this copy's fate, so the rate
//!   lost / (lost + seen) is unbiased): seen, or lost. In passive mode a
//!   destination's copy may go on any of its links; in active mode (copies
//!   of one seq seen on two links to one host) each link is judged alone.
//! * Single-destination streams: consecutive seqs of one sender that both
//!   went to the same single destination (unicast tokens, or broadcasts
//!   while only one peer is up): the seqs missing between them (at most
//!   [`MAX_GAP`]) were lost on that path; the later packet is a seen sample.
//!   A unicast after a broadcast counts the same way: the seqs between
//!   were seen on no path, and a broadcast's copies to the other nodes
//!   would show (unless every copy was lost), so they were unicasts, and
//!   a sender unicasts only to its successor on the ring (tokens). Two
//!   broadcasts in a row say nothing of the seqs between.
//!   Only where the capture sees all the sender sends (two nodes, or the
//!   sender seen sending to two destinations): a capture on one receiver
//!   never shows the seqs that went to the others.
//!
//! Order on the wire is not knet's send order: a link with jitter delivers
//! some packets after later ones, and knet accepts them (its receiver
//! remembers the seqs it got over a window, not only the latest). A seq
//! counted missing from a single-destination stream that then arrives,
//! behind the stream's latest seq, was reordered, not lost: the loss is
//! taken back and the packet is a seen sample; the stream's latest seq
//! does not move back (a seq far behind it, more than [`REORDER_SPAN`],
//! is the sender's counter started again, and the stream follows it).
//!
//! knet sends nothing on a link it considers down, and its view can differ
//! from what the capture shows (e.g. its pongs were lost after the capture
//! point). So only paths the engine judges up are expected, and missing
//! copies count only once a later copy on the same path is seen, and only
//! when no more than [`MAX_RUN`] went missing in a row (at 25 % random loss
//! 9 in a row has odds of 4e-6): a longer run is a path knet did not use.
//!
//! Memory is fixed: per sender a window of [`WINDOW`] broadcasts and
//! [`MAX_SLOTS`] destination paths; nothing is allocated per packet.

use super::{Dir, Engine, LinkState, MS, NS};

/// Destination paths tracked per sender (bits of the seen mask).
const MAX_SLOTS: usize = 32;
/// Broadcasts of one sender waiting for their copies.
const WINDOW: usize = 32;
/// knet sends the copies of one broadcast back to back: after this long the
/// copies that did not come are not coming.
const SETTLE_NS: i64 = NS / 20;
/// Longest run of missing copies still counted as loss.
const MAX_RUN: u8 = 8;
/// Largest seq gap still attributed to a single-destination stream.
const MAX_GAP: u16 = 8;
/// Seqs counted missing remembered per sender, in case they come late.
const MISSED_KEPT: usize = 16;
/// How far behind the stream's latest seq a packet is still a late one
/// (reordered); further back, the sender's counter started again.
const REORDER_SPAN: u16 = 64;

/// A seq counted missing on a single-destination path: on which path and
/// in which second.
#[derive(Debug, Clone, Copy, Default)]
struct Missed {
    seq: u16,
    dir: u32,
    sec: i64,
    live: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    seq: u16,
    frag: u8,
    ts: i64,
    /// Bit per slot: a copy was seen on that path.
    seen: u32,
}

/// Sequence tracking of one sender.
#[derive(Debug, Clone)]
pub(super) struct SeqTrack {
    /// The seq of the first DATA seen from it.
    first_seq: u16,
    /// Path indices (into the engine's dirs) this sender sent DATA on.
    slots: [u32; MAX_SLOTS],
    nslots: usize,
    /// The slot found last, and its path.
    last_slot: usize,
    last_dir: u32,
    ring: [Entry; WINDOW],
    /// Index of the oldest entry.
    head: usize,
    len: usize,
    /// The oldest entry is judged after this time (i64::MAX: none waits).
    due: i64,
    last_seq: Option<u16>,
    /// Path of the last seq when it went to a single destination.
    last_single: Option<u32>,
    /// The last seq was a broadcast to several destinations, all of which
    /// the capture sees (`last_single` is then None).
    last_multi: bool,
    /// Destination nodes this sender's DATA was seen going to (bit per
    /// node id mod 64).
    dests: u64,
    /// The latest new seq where the capture sees all the sender sends:
    /// when it came, and whether seqs before it went missing.
    last_step: Option<(i64, bool)>,
    /// The latest new seq after which the capture cannot vouch that it saw
    /// everything the sender sent before it: seqs skipped, the capture
    /// not seeing all it sends, or the sender's first seq here.
    unsure_ts: i64,
    /// Seqs lately counted missing on a single-destination path (a ring
    /// overwritten oldest first), and the next slot.
    missed: [Missed; MISSED_KEPT],
    missed_next: usize,
}

/// Seqs missing between `prev` and `cur` (knet skips 0 on wrap), or None
/// when `cur` is not ahead of `prev`.
fn seq_gap(prev: u16, cur: u16) -> Option<u16> {
    let d = cur.wrapping_sub(prev);
    if d == 0 || d >= 0x8000 {
        return None;
    }
    let mut g = d - 1;
    if cur < prev && g > 0 {
        g -= 1;
    }
    Some(g)
}

/// A path's DATA seq evidence.
#[derive(Debug)]
pub(super) struct SeqEvidence {
    pub(super) data_seen: u64,
    pub(super) data_lost: u64,
    /// Copies missing in a row, not yet known to be loss, and when the run began.
    pub(super) miss_run: u8,
    pub(super) miss_run_ts: i64,
    /// Copies of one seq were seen on two links to this host (active mode).
    pub(super) active_copies: bool,
    pub(super) last_data_ts: i64,
    /// The latest pause of over a second between DATA on the path: (last
    /// before, first after).
    pub(super) data_gap: (i64, i64),
    /// The latest run of missing copies that ended: (first, copies).
    pub(super) last_miss_run: (i64, u8),
}

impl SeqEvidence {
    /// The path carried no DATA from `down` to `up` (give or take the
    /// packets in flight): the last DATA before, else None.
    pub(super) fn silent_over(&self, down: i64, up: i64) -> Option<i64> {
        let (from, to) = self.data_gap;
        if self.last_data_ts < down {
            Some(self.last_data_ts)
        } else if from < down + 50 * MS && to >= up - 10 * MS {
            Some(from)
        } else {
            None
        }
    }

    /// The open run of missing copies, else the latest one that ended:
    /// (its first copy's time, copies).
    pub(super) fn miss_run_since(&self) -> (i64, u8) {
        if self.miss_run > 0 {
            (self.miss_run_ts, self.miss_run)
        } else {
            self.last_miss_run
        }
    }

    pub(super) fn new() -> Self {
        SeqEvidence {
            data_seen: 0,
            data_lost: 0,
            miss_run: 0,
            miss_run_ts: 0,
            active_copies: false,
            last_data_ts: i64::MIN,
            data_gap: (i64::MIN, i64::MIN),
            last_miss_run: (i64::MIN, 0),
        }
    }
}

impl Dir {
    /// A copy on this path that could have been missed was seen: a pending
    /// run of missing copies was loss.
    #[inline]
    fn copy_seen(&mut self, ts: i64) {
        self.copy_seen_in(ts.div_euclid(NS));
    }

    /// `copy_seen` of a copy sent in second `sec`.
    #[inline]
    fn copy_seen_in(&mut self, sec: i64) {
        if self.seq.miss_run > 0 {
            self.miss_run_ended();
        }
        self.seq.data_seen += 1;
        if let Some(b) = self.bucket(sec) {
            b.data_seen = b.data_seen.wrapping_add(1);
        }
    }

    #[cold]
    fn miss_run_ended(&mut self) {
        self.seq.last_miss_run = (self.seq.miss_run_ts, self.seq.miss_run);
        if self.seq.miss_run <= MAX_RUN {
            let (n, at) = (self.seq.miss_run, self.seq.miss_run_ts);
            self.copies_lost(u32::from(n), at);
        }
        self.seq.miss_run = 0;
    }

    fn copy_missed(&mut self, ts: i64) {
        if self.seq.miss_run == 0 {
            self.seq.miss_run_ts = ts;
        }
        self.seq.miss_run = self.seq.miss_run.saturating_add(1);
    }

    /// A copy counted lost in second `sec` came late: a seen sample.
    fn copy_came_late(&mut self, sec: i64) {
        self.seq.data_lost = self.seq.data_lost.saturating_sub(1);
        self.seq.data_seen += 1;
        if let Some(b) = self.bucket(sec) {
            b.data_lost = b.data_lost.saturating_sub(1);
            b.data_seen = b.data_seen.wrapping_add(1);
        }
    }

    fn copies_lost(&mut self, n: u32, ts: i64) {
        self.seq.data_lost += u64::from(n);
        if let Some(b) = self.loss_bucket(ts.div_euclid(NS)) {
            b.data_lost = b.data_lost.saturating_add(n);
            b.loss_at(ts);
        }
    }
}

impl SeqTrack {
    /// Whether the sender's DATA at `ts` skipped seqs (some of what it sent
    /// just before was lost before the capture point); None where the
    /// capture does not see all it sends, or that packet was no new seq.
    pub(super) fn skipped_at(&self, ts: i64) -> Option<bool> {
        self.last_step.filter(|s| s.0 == ts).map(|s| s.1)
    }

    /// Whether every seq the sender sent after `t` up to its latest DATA
    /// was seen here (nothing it sent since then was lost before the
    /// capture point).
    pub(super) fn whole_since(&self, t: i64) -> bool {
        self.unsure_ts < t
    }

    /// Tracking of a sender whose first DATA seen carried `first_seq`.
    pub(super) fn new(first_seq: u16) -> Self {
        SeqTrack {
            first_seq,
            slots: [0; MAX_SLOTS],
            nslots: 0,
            last_slot: 0,
            last_dir: u32::MAX,
            ring: [Entry::default(); WINDOW],
            head: 0,
            len: 0,
            due: i64::MAX,
            last_seq: None,
            last_single: None,
            last_multi: false,
            dests: 0,
            last_step: None,
            unsure_ts: i64::MAX,
            missed: [Missed::default(); MISSED_KEPT],
            missed_next: 0,
        }
    }

    #[inline]
    fn slot(&mut self, dir: u32) -> Option<usize> {
        // A sender mostly sends on the path it sent on last.
        if self.last_dir == dir {
            return Some(self.last_slot);
        }
        let s = match self.slots[..self.nslots].iter().position(|d| *d == dir) {
            Some(s) => s,
            None if self.nslots < MAX_SLOTS => {
                self.slots[self.nslots] = dir;
                self.nslots += 1;
                self.nslots - 1
            }
            None => return None,
        };
        self.last_slot = s;
        self.last_dir = dir;
        Some(s)
    }

    /// The only destination node this sender has an up path to, if exactly one.
    fn single_target(&self, dirs: &[Dir]) -> Option<u16> {
        let mut one = None;
        for &j in &self.slots[..self.nslots] {
            let Some(d) = dirs.get(j as usize) else {
                continue;
            };
            if d.link.state != LinkState::Up {
                continue;
            }
            match (one, d.dst_node) {
                (_, None) => return None,
                (None, Some(n)) => one = Some(n),
                (Some(o), Some(n)) if o != n => return None,
                _ => {}
            }
        }
        one
    }

    /// One DATA packet (or fragment) of this sender on path `i` (to node
    /// `dst`), sent at `ts` in second `sec`. The path's `last_data_ts` is
    /// `ts` already.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn on_data(
        &mut self,
        dirs: &mut [Dir],
        i: u32,
        dst: Option<u16>,
        seq: u16,
        frag: u8,
        bcast: bool,
        ts: i64,
        sec: i64,
        nodes: usize,
    ) {
        let Some(slot) = self.slot(i) else {
            return;
        };
        self.settle(dirs, ts);
        if let Some(d) = dst {
            self.dests |= 1u64 << (d % 64);
        }
        // A seq a little behind the latest: a packet that came late.
        let late = self
            .last_seq
            .is_some_and(|prev| prev != seq && prev.wrapping_sub(seq) <= REORDER_SPAN);
        if late {
            self.last_step = None;
            self.came_late(dirs, seq);
        } else if self.last_seq != Some(seq) {
            // The seq gaps of a single-destination stream are loss only where
            // the capture sees all the sender sends: at a capture point that
            // shows it sending to one node of several (a capture on that
            // node), the seqs in between went to the others.
            let sees_all = nodes <= 2 || self.dests.count_ones() >= 2;
            let single = if !sees_all {
                None
            } else if !bcast || (dst.is_some() && self.single_target(dirs) == dst) {
                Some(i)
            } else {
                None
            };
            let gap = if sees_all {
                self.last_seq.and_then(|prev| seq_gap(prev, seq))
            } else {
                None
            };
            self.last_step = gap.map(|g| (ts, g > 0));
            if gap.is_none_or(|g| g > 0) {
                self.unsure_ts = ts;
            }
            // After a broadcast (its copies went to several nodes), a
            // unicast's gap is the unicasts to its node lost before the
            // capture point: a seq seen on no path at all was not a
            // broadcast (its copies to the others would show), unless it
            // was lost on every path at once.
            let after_bcast = !bcast && self.last_multi;
            let prev_single = if after_bcast {
                single
            } else {
                self.last_single
            };
            if let (Some(ps), Some(cur)) = (prev_single, single) {
                let same = dst.is_some()
                    && (ps == i || dirs.get(ps as usize).is_some_and(|p| p.dst_node == dst));
                if let Some(g) = gap.filter(|g| *g <= MAX_GAP && same)
                    && let Some(d) = dirs
                        .get_mut(cur as usize)
                        .filter(|d| d.link.state == LinkState::Up)
                {
                    if g > 0 {
                        d.copies_lost(u32::from(g), ts);
                    }
                    d.copy_seen_in(sec);
                    if g > 0 {
                        self.note_missed(seq, g, cur, ts.div_euclid(NS));
                    }
                }
            }
            self.last_seq = Some(seq);
            self.last_single = single;
            self.last_multi = sees_all && single.is_none();
        }
        if !bcast {
            return;
        }
        let bit = 1u32 << slot;
        // Newest first: the copies of one broadcast go out back to back.
        for k in (0..self.len).rev() {
            let e = &mut self.ring[(self.head + k) % WINDOW];
            if e.seq == seq && e.frag == frag {
                e.seen |= bit;
                return;
            }
        }
        if self.len == WINDOW {
            self.pop(dirs);
        }
        self.ring[(self.head + self.len) % WINDOW] = Entry {
            seq,
            frag,
            ts,
            seen: bit,
        };
        if self.len == 0 {
            self.due = ts + SETTLE_NS;
        }
        self.len += 1;
    }

    /// The `g` seqs before `seq` were counted missing on path `dir` in
    /// second `sec`.
    #[cold]
    fn note_missed(&mut self, seq: u16, g: u16, dir: u32, sec: i64) {
        let mut s = seq;
        for _ in 0..g {
            s = s.wrapping_sub(1);
            if s == 0 {
                s = s.wrapping_sub(1); // knet skips 0 on wrap
            }
            self.missed[self.missed_next] = Missed {
                seq: s,
                dir,
                sec,
                live: true,
            };
            self.missed_next = (self.missed_next + 1) % MISSED_KEPT;
        }
    }

    /// Seq `seq` came behind the stream's latest: when it was counted
    /// missing, it was reordered, not lost.
    #[cold]
    fn came_late(&mut self, dirs: &mut [Dir], seq: u16) {
        let Some(m) = self.missed.iter_mut().find(|m| m.live && m.seq == seq) else {
            return;
        };
        m.live = false;
        if let Some(d) = dirs.get_mut(m.dir as usize) {
            d.copy_came_late(m.sec);
        }
    }

    /// Judges the broadcasts whose copies had time to come.
    #[inline]
    pub(super) fn settle(&mut self, dirs: &mut [Dir], now: i64) {
        if now <= self.due {
            return;
        }
        self.settle_slow(dirs, now);
    }

    fn settle_slow(&mut self, dirs: &mut [Dir], now: i64) {
        while self.len > 0 && self.ring[self.head].ts < now - SETTLE_NS {
            self.pop(dirs);
        }
    }

    /// Judges every broadcast still waiting (end of the capture).
    pub(super) fn flush(&mut self, dirs: &mut [Dir]) {
        while self.len > 0 {
            self.pop(dirs);
        }
    }

    fn pop(&mut self, dirs: &mut [Dir]) {
        if self.len == 0 {
            return;
        }
        let e = self.ring[self.head];
        self.head = (self.head + 1) % WINDOW;
        self.len -= 1;
        self.due = if self.len == 0 {
            i64::MAX
        } else {
            self.ring[self.head].ts + SETTLE_NS
        };
        self.judge(e, dirs);
    }

    fn judge(&self, e: Entry, dirs: &mut [Dir]) {
        let n = self.nslots;
        for s in 0..n {
            let j = self.slots[s] as usize;
            let Some((state, dst)) = dirs.get(j).map(|d| (d.link.state, d.dst_node)) else {
                continue;
            };
            if state != LinkState::Up {
                continue;
            }
            // This destination's paths (its links).
            let mut group = 0u32;
            let mut latest: Option<(i64, usize)> = None;
            for t in 0..n {
                let o = dirs.get(self.slots[t] as usize);
                let same = t == s || (dst.is_some() && o.is_some_and(|o| o.dst_node == dst));
                if same {
                    group |= 1 << t;
                    if let Some(o) = o.filter(|o| o.link.state == LinkState::Up)
                        && latest.is_none_or(|(ts, _)| o.seq.last_data_ts > ts)
                    {
                        latest = Some((o.seq.last_data_ts, t));
                    }
                }
            }
            let bit = 1u32 << s;
            let Some(d) = dirs.get_mut(j) else {
                continue;
            };
            if (e.seen & group).count_ones() >= 2 {
                d.seq.active_copies = true;
            }
            let mine = if d.seq.active_copies { bit } else { group };
            if e.seen & !mine == 0 {
                continue; // no other copy seen: nothing to compare with
            }
            if e.seen & mine != 0 {
                if e.seen & bit != 0 {
                    d.copy_seen(e.ts);
                }
            } else if d.seq.active_copies || latest.is_some_and(|(_, t)| t == s) {
                // Passive: the copy would have gone on the link that carried
                // this destination's data last.
                d.copy_missed(e.ts);
            }
        }
    }
}

/// knet's DATA seq starts at 0 when knet starts: a sender whose first DATA
/// seen carried a seq below this started while the capture ran (16 of the
/// 65536 values a counter met mid-run could take).
const FRESH_SEQ: u16 = 16;

impl Engine {
    /// Node `node` (re)started knet while the capture ran: its first DATA
    /// seen carried one of knet's first seqs.
    pub(super) fn started_in_capture(&self, node: u32) -> bool {
        u16::try_from(node)
            .ok()
            .and_then(|n| self.seqs.get(&n))
            .is_some_and(|t| t.first_seq < FRESH_SEQ)
    }

    #[inline]
    /// A DATA packet from `node` on path `i`: its seq, fragment and
    /// broadcast flag.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_data(
        &mut self,
        i: u32,
        node: u16,
        seq: u16,
        frag_seq: u8,
        bcast: bool,
        ts: i64,
        sec: i64,
        hint: &mut u16,
    ) {
        let j = match self.seqs.index_hinted(&node, hint) {
            Some(j) => j,
            None if self.seqs.len() < self.th.limits.max_nodes => {
                self.seqs.push(node, SeqTrack::new(seq))
            }
            None => return,
        };
        let dst = self.dirs.get(i as usize).and_then(|d| d.dst_node);
        let nodes = self.nodes.len();
        if let Some(tr) = self.seqs.at_mut(j) {
            tr.on_data(&mut self.dirs, i, dst, seq, frag_seq, bcast, ts, sec, nodes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::seq_gap;

    /// Node 1's unicast DATA (a token to node 2) with knet seq `seq`.
    fn data_1_to_2(seq: u16, token_seq: u32) -> Vec<u8> {
        let mut b = token_bytes(1, 2, token_seq, 8, 0);
        b[6..8].copy_from_slice(&seq.to_be_bytes());
        b
    }

    fn data_counts(e: &Engine, src: u8, dst: u8) -> (u64, u64) {
        e.dirs
            .iter()
            .find(|d| d.key.src == ip(src) && d.key.dst == ip(dst))
            .map_or((0, 0), |d| (d.seq.data_seen, d.seq.data_lost))
    }

    #[test]
    fn a_seq_that_comes_late_was_reordered_not_lost() {
        let mut e = Engine::new(two_nodes());
        for i in 0..4 {
            ping_pair(&mut e, T0 + i * 800 * MS, 1, 2, 0, Some(300), 5);
            ping_pair(&mut e, T0 + i * 800 * MS + 300 * MS, 2, 1, 0, Some(300), 5);
        }
        let t = T0 + 4 * 800 * MS;
        // Jitter delivers 103 before 102, and 106 before 105: each was
        // missing for a moment, then came.
        for (k, seq) in [100u16, 101, 103, 102, 104, 106, 105, 107]
            .into_iter()
            .enumerate()
        {
            feed(
                &mut e,
                t + k as i64 * MS,
                ip(1),
                ip(2),
                0,
                &data_1_to_2(seq, k as u32),
            );
        }
        // Every packet after the first is a seen sample, none lost; the
        // stream went on from 107, not from a late seq (108 follows it).
        assert_eq!(data_counts(&e, 1, 2), (7, 0));
        feed(&mut e, t + 20 * MS, ip(1), ip(2), 0, &data_1_to_2(108, 9));
        assert_eq!(data_counts(&e, 1, 2), (8, 0));
        // A seq that never comes stays lost.
        feed(&mut e, t + 21 * MS, ip(1), ip(2), 0, &data_1_to_2(110, 10));
        assert_eq!(data_counts(&e, 1, 2), (9, 1));
        // A seq far behind the stream is the counter started again: the
        // stream follows it.
        feed(&mut e, t + 22 * MS, ip(1), ip(2), 0, &data_1_to_2(1, 11));
        feed(&mut e, t + 23 * MS, ip(1), ip(2), 0, &data_1_to_2(3, 12));
        assert_eq!(data_counts(&e, 1, 2), (10, 2));
    }

    #[test]
    fn a_unicast_after_a_broadcast_counts_the_seqs_seen_nowhere_between() {
        let mut e = Engine::new(Thresholds::corosync31_defaults(3));
        for i in 0..4 {
            let t = T0 + i * 800 * MS;
            ping_pair(&mut e, t, 1, 2, 0, Some(300), 5);
            ping_pair(&mut e, t + 100 * MS, 1, 3, 0, Some(300), 5);
            ping_pair(&mut e, t + 200 * MS, 2, 1, 0, Some(300), 5);
            ping_pair(&mut e, t + 300 * MS, 3, 1, 0, Some(300), 5);
        }
        let t = T0 + 4 * 800 * MS;
        let bcast = |seq: u16| {
            let mut b = mcast_in(8, 1, u32::from(seq));
            b[6..8].copy_from_slice(&seq.to_be_bytes());
            b[10] = 1;
            b
        };
        // Node 1's DATA goes to both (the capture sees all it sends).
        feed(&mut e, t - 2 * MS, ip(1), ip(2), 0, &bcast(99));
        feed(&mut e, t - 2 * MS + 10_000, ip(1), ip(3), 0, &bcast(99));
        // Node 1 broadcasts 100 to nodes 2 and 3, then passes the token to
        // node 2 as 102: 101 was seen on no path, so it was not a
        // broadcast; it was a unicast to node 2 lost before the capture.
        feed(&mut e, t, ip(1), ip(2), 0, &bcast(100));
        feed(&mut e, t + 10_000, ip(1), ip(3), 0, &bcast(100));
        feed(&mut e, t + MS, ip(1), ip(2), 0, &data_1_to_2(102, 5));
        assert_eq!(data_counts(&e, 1, 2).1, 1);
        assert_eq!(data_counts(&e, 1, 3).1, 0);
        // A broadcast after a broadcast says nothing of the seqs between:
        // they may have been unicasts to either node.
        feed(&mut e, t + 2 * MS, ip(1), ip(2), 0, &bcast(103));
        feed(&mut e, t + 2 * MS + 10_000, ip(1), ip(3), 0, &bcast(103));
        feed(&mut e, t + 3 * MS, ip(1), ip(2), 0, &bcast(105));
        feed(&mut e, t + 3 * MS + 10_000, ip(1), ip(3), 0, &bcast(105));
        assert_eq!(data_counts(&e, 1, 2).1, 1);
        assert_eq!(data_counts(&e, 1, 3).1, 0);
    }

    #[test]
    fn gaps_wrap_and_skip_zero() {
        assert_eq!(seq_gap(5, 6), Some(0));
        assert_eq!(seq_gap(5, 9), Some(3));
        assert_eq!(seq_gap(5, 5), None);
        assert_eq!(seq_gap(9, 5), None);
        assert_eq!(seq_gap(65535, 1), Some(0));
        assert_eq!(seq_gap(65534, 2), Some(2));
        assert_eq!(seq_gap(1, 0x8001), None);
    }
}
