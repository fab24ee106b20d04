//! Loss after the capture point from the token's own resends.
//!
//! Totem's rules (corosync 3.1.7, `totemsrp.c`): a node that passes the
//! ORF token on keeps a copy and arms its token-retransmit timer
//! (`token_retransmit` ms); when the timer runs out before the token came
//! round to it again, it sends the same token (same ring, same
//! `token_seq`) again, and again every `token_retransmit` ms. The receiver
//! discards a token whose `token_seq` it already had. A node passes a new
//! token on as soon as it has it, except the ring's representative on an
//! idle ring, which holds it for `token_hold` (0.8 × `token_retransmit`
//! − 10 ms), still before the sender's timer runs out. The token it passes
//! on carries the next `token_seq`.
//!
//! So the first copy of a token from X towards Y, seen at the capture
//! point, is a sample of the path X → Y after the capture point. When Y's
//! next token (same ring, later `token_seq`) is seen at `f`:
//!
//! * no second copy was sent before `f`: the first was delivered;
//! * a second copy was sent before `f`, no third: the first was lost (Y,
//!   running, would have passed the token on before X's timer ran out);
//! * a third copy was sent before `f`: not judged. knet hands nothing from
//!   X to totem while Y's link back to X is down (Y missed X's pongs for
//!   the ping timeout, which a loss after the capture point hides from
//!   it), and then withholds every copy for seconds: a run of lost copies
//!   that random loss rarely makes. Leaving such groups out keeps those
//!   runs out of the count in both directions (a loss after which the
//!   link fell down would be one, a copy sent into a down link the
//!   other). Among the groups kept, a first copy is lost or delivered
//!   with odds p : 1 at loss rate p, so the rate is lost first copies over
//!   delivered ones: the lost ones count as losses, the delivered ones as
//!   the samples (`Dir::token_fate`).
//! * copies after `f` are X's resends for a loss further round the ring:
//!   duplicates Y discards, no sample. A resend whose group was already
//!   told (or replaced) starts no group: its first copy is not in it.
//!
//! Only Y's *new* token passes X's on. Y's own resend of its last token
//! (its timer ran out: the token did not come round to it either) passes
//! nothing on and tells no group; read as Y's next token, it would make
//! X's resends for the same stall look like a first copy Y kept until
//! after a second one.
//!
//! A stopped Y passes nothing on whatever it received, so a first copy
//! counts only when Y was running around it: knet, whose threads run apart
//! from totem's, sent a ping or pong from Y within `token_retransmit`
//! before the copy and within `token_retransmit` after it. knet's
//! heartbeat does not depend on what became of the token, so the test
//! keeps as many lost copies as delivered ones (a test on Y's totem
//! traffic would not: a Y that never got the token sends less). A copy is
//! judged once that time has passed ([`TokLoss::settle`]).
//!
//! Y's token seen at `f` must be the first it sent of that token: a first
//! copy lost before the capture point (on Y's way out) would show only Y's
//! own resend, one `token_retransmit` later, just after X's resend, and
//! read as X's copy lost. knet numbers all DATA a node sends with one
//! counter, so the group counts only when every seq Y sent since X's first
//! copy was seen here (`SeqTrack::whole_since`). It also counts only while
//! Y takes the token in: Y in the token's ring and operational (it passed
//! on a token of that ring within two token timeouts: a node that left the
//! ring or waits for a commit discards it) and its knet link back to X up
//! as far as the capture shows; and not in active link mode (copies on two
//! links within [`super::totem::TOKEN_COPY_WINDOW`] are one send). A group
//! X's next new token replaces before Y's token was seen (Y's was lost
//! before the capture point, or this capture does not show Y sending) gives
//! no sample.
//!
//! Memory is fixed: one group per sending node, up to [`COPIES`] copies,
//! up to [`TOLD`] first copies waiting for their knet test, and per node
//! its latest [`BEATS`] pings and pongs.

use super::totem::TOKEN_COPY_WINDOW;
use super::{Dir, NS};

/// Copies of one token kept per group: a third one sent before the
/// receiver passed the token on leaves the group unjudged.
const COPIES: usize = 3;
/// Copies told by their group, waiting for the knet test.
const TOLD: usize = 256;
/// knet pings and pongs remembered per node, for the test around a copy: a
/// copy is judged up to a second and a token_retransmit after it, and the
/// beats back to a token_retransmit before it must still be here (a node
/// pings and answers every peer on every link: 64 cover 40 a second at
/// the default timings; beyond that, copies go unjudged, not misjudged).
const BEATS: usize = 64;

/// A ring's id: representative and ring seq.
type RingKey = (u32, u64);

#[derive(Debug, Clone, Copy, Default)]
struct Copy {
    ts: i64,
    dir: u32,
}

/// One token from `from` to `to`, and its copies seen.
#[derive(Debug, Clone, Copy)]
struct Group {
    from: u32,
    to: u32,
    ring: RingKey,
    token_seq: u32,
    copies: [Copy; COPIES],
    n: u8,
    /// Not to be judged: copies on two links at once (active mode), more
    /// copies than kept, a copy the receiver would not take in.
    spoilt: bool,
}

/// A copy whose fate its group told, sent at `ts` on path `dir` to `to`.
#[derive(Debug, Clone, Copy)]
struct Told {
    to: u32,
    dir: u32,
    ts: i64,
    fate: Fate,
}

/// A node's latest knet pings and pongs (a ring, oldest overwritten).
#[derive(Debug, Clone, Copy)]
struct Beats {
    node: u32,
    at: [i64; BEATS],
    next: usize,
}

impl Beats {
    /// A beat in `from..to` (exclusive of `from`, inclusive of `to`).
    fn any_in(&self, from: i64, to: i64) -> bool {
        self.at.iter().any(|&t| t > from && t <= to)
    }
}

/// The token groups waiting for their receiver's next token, the copies
/// they told, and each node's knet heartbeat.
#[derive(Debug, Default)]
pub(super) struct TokLoss {
    groups: Vec<Group>,
    told: Vec<Told>,
    beats: Vec<Beats>,
}

/// A copy's fate: lost after the capture point, or delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Lost,
    Delivered,
}

/// `a` is after `b` in totem's wrapping seq order.
fn seq_after(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000_0000
}

impl TokLoss {
    /// Node `node` sent a knet ping or pong at `ts`.
    #[inline]
    pub(super) fn beat(&mut self, node: u32, ts: i64, max_nodes: usize) {
        let b = match self.beats.iter_mut().position(|b| b.node == node) {
            Some(k) => &mut self.beats[k],
            None if self.beats.len() < max_nodes => {
                self.beats.push(Beats {
                    node,
                    at: [i64::MIN; BEATS],
                    next: 0,
                });
                let k = self.beats.len() - 1;
                &mut self.beats[k]
            }
            None => return,
        };
        b.at[b.next] = ts;
        b.next = (b.next + 1) % BEATS;
    }

    /// A token of ring `ring` from `from` with `token_seq` was seen at
    /// `ts` on path `dir` towards `to`; `usable`: `to` would take it in
    /// if it arrived (knet's link back up, `to` in the ring); `resend`:
    /// `from` sent it before (its retransmit timer ran out). `whole(n, t)`:
    /// every DATA seq `n` sent after `t` was seen.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn token(
        &mut self,
        from: u32,
        to: u32,
        ring: RingKey,
        token_seq: u32,
        ts: i64,
        dir: u32,
        (usable, resend): (bool, bool),
        window: i64,
        max_nodes: usize,
        whole: impl Fn(u32, i64) -> bool,
    ) {
        // The sender's new token passes on the one it received: that group
        // is told. Its resend passes nothing on: it did not get the token
        // back (a loss further round the ring).
        if !resend
            && let Some(k) = self
                .groups
                .iter()
                .position(|g| g.to == from && g.ring == ring && seq_after(token_seq, g.token_seq))
        {
            let g = self.groups.swap_remove(k);
            if !g.spoilt && whole(from, g.copies[0].ts) {
                g.tell(ts, window, &mut self.told);
            }
        }
        let fresh = Group {
            from,
            to,
            ring,
            token_seq,
            copies: [Copy { ts, dir }; COPIES],
            n: 1,
            spoilt: !usable,
        };
        let n = self.groups.len();
        match self.groups.iter_mut().find(|g| g.from == from) {
            Some(g) if g.ring == ring && g.token_seq == token_seq => {
                let last = g.copies[usize::from(g.n) - 1];
                if !usable || ts - last.ts < TOKEN_COPY_WINDOW || usize::from(g.n) == COPIES {
                    g.spoilt = true;
                    return;
                }
                g.copies[usize::from(g.n)] = Copy { ts, dir };
                g.n += 1;
            }
            // A resend whose first copy's group was told or replaced
            // starts none: its first copy is not in it.
            _ if resend => {}
            Some(g) => *g = fresh,
            None if n < max_nodes => self.groups.push(fresh),
            None => {}
        }
    }

    /// Whether the told copies fill their table (judge them now).
    pub(super) fn told_full(&self) -> bool {
        self.told.len() >= TOLD
    }

    /// Judges the told copies sent `window` or longer before `now`: each
    /// counts on its path when its receiver's knet sent a ping or pong
    /// within `window` before it and within `window` after it (copies of
    /// the capture's last `window` stay unjudged).
    pub(super) fn settle(&mut self, now: i64, window: i64, dirs: &mut [Dir]) {
        let beats = &self.beats;
        self.told.retain(|t| {
            if t.ts.saturating_add(window) > now {
                return true;
            }
            let running = beats
                .iter()
                .find(|b| b.node == t.to)
                .is_some_and(|b| b.any_in(t.ts - window, t.ts) && b.any_in(t.ts, t.ts + window));
            if running && let Some(d) = dirs.get_mut(t.dir as usize) {
                d.token_fate(t.ts, t.fate);
            }
            false
        });
    }
}

impl Group {
    /// The receiver passed the token on at `f`: the first copy's fate, when
    /// the first or the second copy reached it. `window` is
    /// token_retransmit: a receiver that got a copy passes the token on
    /// within it (at once, or the representative of an idle ring within
    /// its token hold, which is shorter). So the first copy was delivered
    /// when the token went on within `window` of it with no second copy
    /// sent; lost when it went on after the second copy, within `window`
    /// of that. Anything slower says the copies on the wire are not all
    /// there were (a resend the capture did not see) or the receiver's
    /// totem was held up: not judged.
    fn tell(&self, f: i64, window: i64, told: &mut Vec<Told>) {
        let sent_before = |k: usize| k < usize::from(self.n) && self.copies[k].ts < f;
        if !sent_before(0) || sent_before(2) || told.len() >= TOLD {
            return;
        }
        let (fate, from) = if sent_before(1) {
            (Fate::Lost, self.copies[1].ts)
        } else {
            (Fate::Delivered, self.copies[0].ts)
        };
        if f.saturating_sub(from) > window {
            return;
        }
        told.push(Told {
            to: self.to,
            dir: self.copies[0].dir,
            ts: self.copies[0].ts,
            fate,
        });
    }
}

/// A path's token copies judged by their receiver's next token.
#[derive(Debug, Default)]
pub(super) struct TokEvidence {
    pub(super) seen: u64,
    pub(super) lost: u64,
}

impl Dir {
    /// The first copy of a token, sent at `ts` on this path, was delivered
    /// or lost after the capture point (see the module's rules: a lost one
    /// counts as a loss, a delivered one as a sample, their ratio is the
    /// loss rate).
    pub(super) fn token_fate(&mut self, ts: i64, fate: Fate) {
        let sec = ts.div_euclid(NS);
        match fate {
            Fate::Delivered => {
                self.tok.seen += 1;
                if let Some(b) = self.bucket(sec) {
                    b.tok_seen = b.tok_seen.saturating_add(1);
                }
            }
            Fate::Lost => {
                self.tok.lost += 1;
                if let Some(b) = self.loss_bucket(sec) {
                    b.tok_lost = b.tok_lost.saturating_add(1);
                    b.tok_loss_at(ts);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    /// Node `from`'s token to `to` (ring (1, 8)) with knet DATA seq `seq`.
    fn token(from: u32, to: u32, token_seq: u32, seq: u16) -> Vec<u8> {
        let mut b = token_bytes(from, to, token_seq, 8, 0);
        b[6..8].copy_from_slice(&seq.to_be_bytes());
        b
    }

    /// Judged first copies on node 1 → node 2: (delivered, lost).
    fn fates(e: &Engine) -> (u64, u64) {
        e.dirs
            .iter()
            .find(|d| d.key.src == ip(1) && d.key.dst == ip(2))
            .map_or((0, 0), |d| (d.tok.seen, d.tok.lost))
    }

    /// Two nodes pinging each other every 200 ms from `T0` for 10 s (node
    /// 2's knet falls silent over `quiet`, in seconds from `T0`); at 5 s
    /// node 2 passes a token to node 1, node 1 sends token 11 to node 2
    /// `copies` times, `token_retransmit` apart, and node 2 passes token
    /// 12 on just after the last copy, its knet seq skipping one when
    /// `y_gap`.
    fn run(copies: i64, quiet: Option<(i64, i64)>, y_gap: bool) -> (u64, u64) {
        let every = i64::from(two_nodes().token_retransmit_ms) * MS;
        let t = T0 + 5 * S;
        let mut events: Vec<(i64, u8, u8, Vec<u8>)> = Vec::new();
        events.push((t, 2, 1, token(2, 1, 10, 100)));
        for k in 0..copies {
            events.push((t + MS + k * every, 1, 2, token(1, 2, 11, 200 + k as u16)));
        }
        let f = t + MS + (copies - 1) * every + MS;
        events.push((f, 2, 1, token(2, 1, 12, if y_gap { 102 } else { 101 })));
        drive(events, quiet, 0)
    }

    /// Feeds `events` (time, from, to, packet) in time order among the two
    /// nodes' pings every 200 ms from `T0` for 10 s (node 2's knet silent
    /// over `quiet`, in seconds from `T0`): the judged first copies on node
    /// 1 -> node 2. The two also ping each other on `more` further links
    /// (knet's beats of a node with many peers and links come as densely).
    fn drive(
        events: Vec<(i64, u8, u8, Vec<u8>)>,
        quiet: Option<(i64, i64)>,
        more: u8,
    ) -> (u64, u64) {
        let mut e = Engine::new(two_nodes());
        let mut at = T0;
        let mut ev = events.into_iter().peekable();
        while at < T0 + 10 * S {
            while let Some((ts, a, b, bytes)) = ev.next_if(|x| x.0 <= at) {
                feed(&mut e, ts, ip(a), ip(b), 0, &bytes);
            }
            let silent = quiet.is_some_and(|(q0, q1)| at >= T0 + q0 * S && at < T0 + q1 * S);
            ping_pair(&mut e, at, 1, 2, 0, (!silent).then_some(300), 5);
            if !silent {
                ping_pair(&mut e, at + 100 * MS, 2, 1, 0, Some(300), 5);
                for link in 1..=more {
                    ping_pair(&mut e, at + 150 * MS, 2, 1, link, Some(300), 5);
                    ping_pair(&mut e, at + 160 * MS, 1, 2, link, Some(300), 5);
                }
            }
            at += 200 * MS;
        }
        e.finish(at);
        fates(&e)
    }

    #[test]
    fn a_token_passed_on_before_its_resend_was_delivered() {
        assert_eq!(run(1, None, false), (1, 0));
    }

    #[test]
    fn a_token_passed_on_only_after_its_resend_was_lost_once() {
        assert_eq!(run(2, None, false), (0, 1));
    }

    #[test]
    fn a_token_resent_twice_is_not_judged() {
        // knet's link back may have been down: a run, not a loss.
        assert_eq!(run(3, None, false), (0, 0));
    }

    #[test]
    fn a_receiver_whose_knet_fell_silent_was_stopped() {
        assert_eq!(run(2, Some((4, 7)), false), (0, 0));
    }

    #[test]
    fn a_receiver_whose_own_token_may_have_been_lost_first_says_nothing() {
        // Its seq skipped one: what came may be its own resend.
        assert_eq!(run(2, None, true), (0, 0));
    }

    #[test]
    fn resends_after_the_token_went_on_are_no_samples() {
        // Node 2 passed token 11 on at once (delivered); then the token did
        // not come round: node 1 resends 11 twice, node 2 resends its 12.
        // Node 2's resend passes nothing on, and node 1's resends are no
        // first copies: one delivered copy, no loss.
        let every = i64::from(two_nodes().token_retransmit_ms) * MS;
        let t = T0 + 5 * S;
        let events = vec![
            (t, 2, 1, token(2, 1, 10, 100)),
            (t + MS, 1, 2, token(1, 2, 11, 200)),
            (t + 2 * MS, 2, 1, token(2, 1, 12, 101)),
            (t + MS + every, 1, 2, token(1, 2, 11, 201)),
            (t + MS + 2 * every, 1, 2, token(1, 2, 11, 202)),
            (t + 2 * MS + 2 * every, 2, 1, token(2, 1, 12, 102)),
        ];
        assert_eq!(drive(events, None, 0), (1, 0));
    }

    #[test]
    fn a_receiver_that_pings_many_peers_is_still_seen_running() {
        // Node 2's knet beats come eight every 200 ms (pings and pongs on
        // four links), as a node of a larger cluster's do; the ones around
        // a copy must still be known when the copy is judged, a second or
        // more later (32 kept were not enough).
        let every = i64::from(two_nodes().token_retransmit_ms) * MS;
        let t = T0 + 5 * S;
        let sent = |copies: i64| {
            let mut ev = vec![(t, 2, 1, token(2, 1, 10, 100))];
            for k in 0..copies {
                ev.push((t + MS + k * every, 1, 2, token(1, 2, 11, 200 + k as u16)));
            }
            let f = t + MS + (copies - 1) * every + MS;
            ev.push((f, 2, 1, token(2, 1, 12, 101)));
            ev
        };
        assert_eq!(drive(sent(1), None, 3), (1, 0));
        assert_eq!(drive(sent(2), None, 3), (0, 1));
    }
}
