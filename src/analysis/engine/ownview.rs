//! knet's link state at a node whose pongs were lost after the capture
//! point: its own view, which the pongs on the wire do not show.
//!
//! Under loss on the way into a node (an ingress filter, a drop past the
//! capture point), the capture sees pongs that node never got; knet there
//! takes the link down and up again while the wire's pongs keep it up.
//! What knet does at such a node that *does* show on the wire (libknet
//! 1.25):
//!
//! * **Up**: on the (`pong_count` + 1)-th pong while down it marks the
//!   link connected and asks its PMTUD thread for a run at once
//!   (`_link_updown`, "Resetting MTU ... because host joined"). That
//!   thread wakes every 200 ms, so the run starts within 0.25 s of the up
//!   (measured on the lab's recordings), and probes every connected link
//!   of the node. A run is otherwise periodic, `pmtud_interval` after the
//!   previous one ended: a node's run that starts more than a second
//!   sooner than that was forced. The interval is the longest pause seen
//!   between the node's runs (forced runs only shorten pauses), knet's
//!   default of 30 s until there is one.
//! * **Down**: a node sends no DATA on a link that is down (no copy of its
//!   broadcasts, no token) and drops the DATA that comes in on it, so the
//!   predecessor re-sends its token.
//!
//! knet also forces a run when a send fails at the node itself (EMSGSIZE,
//! or EPERM when its own firewall drops the packet: `transport_udp.c`);
//! such a run is taken for an up only with the wire's signs of a down
//! below, which a node that merely loses packets does not show.
//!
//! So a forced run that no up seen on the wire explains (every path of the
//! node up in the wire's view, none come up in the 0.5 s before it), where
//! the capture sees the node with every peer, says one of its links came
//! up just before, on a pong that arrived in the 0.3 s before the run. The
//! paths that fit are those with such a pong on which the node sent no
//! DATA over the time its (`pong_count` + 1) counted pongs took.
//!
//! * One fits: it is the link.
//! * Several fit: when the node sent no DATA at all meanwhile, the one it
//!   sent on last (within a token timeout, its token path) is the link: a
//!   node whose link to its successor is down cannot even re-send its
//!   token, while one whose link from its predecessor is down re-sends
//!   its token to the successor all along. Otherwise the wire cannot tell
//!   which, and nothing is said.
//!
//! The wire must also show the down: a peer re-sending one token to the
//! node twice or more (the node took none of its copies; a token lost
//! once at random is taken on its next copy), or two copies or more of the
//! node's broadcasts missing in a row on the path. The link went down at
//! the heartbeat tick that sent the ping of its first counted pong (fewest
//! pongs lost: knet checks the timeout on the tick it pings on), or
//! earlier when the first sign (that token's first resend, the first copy
//! missing) came before it; it came up at its last pong. "Earlier" means
//! the pings of the one or two pongs before the first counted (a ping
//! interval apart): the latest of them at or before the first sign, else
//! the earliest, never at or before the path's last DATA. Downs and ups
//! the wire's pongs gave the path in between stay (the list is in time
//! order, and may then hold two downs in a row: two views of the link,
//! each right where its loss was). These downs do not count towards
//! `link_flapping` (they are found after the fact).

use crate::analysis::findings::{Direction, FindingKind};
use crate::analysis::snapshot::{LinkState, Transition};

use super::{Engine, MS, NS, ms};

/// knet's `pmtud_interval` by default (corosync's `knet_pmtud_interval`),
/// until the node's own runs show theirs.
pub(super) const DEFAULT_INTERVAL: i64 = 30 * NS;

/// Probes of one node this far apart are two runs (within a run knet waits
/// for each reply, a lost probe's at most about a second).
pub(super) const NODE_RUN_GAP: i64 = 2 * NS;

/// A forced run starts within this long after the up that asked for it.
const RUN_AFTER_UP: i64 = 300 * MS;

/// Pongs a path keeps for [`Engine::pmtud_run_started`]: (arrival, its
/// ping).
pub(super) const PONGS_KEPT: usize = 5;

/// A path that may have come up: its index, the ticks its down may have
/// been at (latest first), its up, and its last DATA before.
#[derive(Debug, Clone, Copy)]
struct Cand {
    i: usize,
    downs: [i64; 3],
    up: i64,
    before: i64,
}

impl Engine {
    /// Node `node` started a forced PMTUD run at `ts`: when unexplained,
    /// find the link that came up.
    pub(super) fn pmtud_run_started(&mut self, node: u16, ts: i64) {
        // Explained by a path the wire shows coming up, or one it shows
        // down (knet's up on it may be what asked for the run).
        let explained = self.dirs.iter().any(|d| {
            d.src_node == Some(node)
                && (d.link.state != LinkState::Up
                    || d.link
                        .transitions
                        .iter()
                        .rev()
                        .take(2)
                        .any(|t| t.up && t.ts <= ts && ts - t.ts <= 500 * MS))
        });
        if explained {
            return;
        }
        let pc = self.th.pong_count as usize;
        if pc + 1 > PONGS_KEPT {
            return;
        }
        // Only where the capture sees the node with every peer: a forced
        // run can be any of its links coming up.
        let unseen_peer = self.dirs.iter().any(|o| {
            o.src_node.is_some_and(|s| {
                s != node
                    && !self
                        .dirs
                        .iter()
                        .any(|d| d.src_node == Some(node) && d.dst_node == Some(s))
            })
        });
        if unseen_peer {
            return;
        }
        // The paths that may have come up: a pong in time for it, and the
        // node silent on the path over the pongs knet counted. `downs`: the
        // pings of the first pong counted and of the two pongs before it,
        // where the down may have been (chosen below, from the signs).
        let mut cands: Vec<Cand> = Vec::new();
        for (i, d) in self.dirs.iter().enumerate() {
            if d.src_node != Some(node) {
                continue;
            }
            let (up, _) = d.link.recent_pongs[0];
            let downs =
                [pc, pc + 1, pc + 2].map(|k| d.link.recent_pongs.get(k).map_or(i64::MIN, |p| p.1));
            if up == i64::MIN || downs[0] == i64::MIN || !(ts - RUN_AFTER_UP..ts).contains(&up) {
                continue;
            }
            let Some(before) = d.seq.silent_over(downs[0], up) else {
                continue; // it sent DATA on the path meanwhile: up
            };
            if downs[0] < up {
                cands.push(Cand {
                    i,
                    downs,
                    up,
                    before,
                });
            }
        }
        // The wire shows the down: a peer sending one token to the node a
        // third time (the node took none of its copies: it dropped what
        // came in on a down link, or could not pass it on), or two copies
        // or more of the node's broadcasts missing in a row on the path.
        // Each also says when the down had begun at the latest: that
        // token's first resend (its first send may have been lost at
        // random), the first copy missing.
        let signs = |e: &Engine, c: &Cand| -> Option<i64> {
            let from = c.downs.iter().rev().copied().find(|&t| t != i64::MIN)?;
            let mut first = i64::MAX;
            for o in &e.dirs {
                if o.src_node == Some(node)
                    && let Some(p) = o.dst_node
                    && let Some(sent) =
                        e.totem
                            .resent_twice(u32::from(p), u32::from(node), from, c.up)
                {
                    first = first.min(sent);
                }
            }
            let resent = first != i64::MAX;
            let (run_from, run_n) = e.dirs[c.i].seq.miss_run_since();
            let missed = run_n >= 2 && run_from >= from - 50 * MS && run_from <= ts;
            if missed {
                first = first.min(run_from);
            }
            (resent || missed).then_some(first)
        };
        let pick = match cands.as_slice() {
            [] => return,
            [c] => c,
            _ => {
                // Several silent paths: the token says which. A node whose
                // link to its successor is down sends it nothing, not even
                // its token again; one whose link from its predecessor is
                // down goes on re-sending its token to the successor. So
                // when the node sent nothing at all, the path it sent on
                // last (its token path, within a token timeout) is the one;
                // when it sent on another path, the wire cannot tell.
                let (down, up) = (cands[0].downs[0], cands[0].up);
                let sending = self
                    .dirs
                    .iter()
                    .any(|d| d.src_node == Some(node) && d.seq.silent_over(down, up).is_none());
                if sending {
                    return;
                }
                cands.sort_by_key(|c| std::cmp::Reverse(c.before));
                let token = i64::from(self.th.token_ms) * MS;
                let last = cands[0].before;
                if last == i64::MIN || last < down - token || cands[1].before >= last - 10 * MS {
                    return;
                }
                &cands[0]
            }
        };
        let Some(first) = signs(self, pick) else {
            return;
        };
        // The latest candidate at or before the first sign, else the
        // earliest; never at or before the path's last DATA.
        let after = |t: &i64| *t != i64::MIN && *t > pick.before;
        let Some(down) = pick
            .downs
            .iter()
            .copied()
            .filter(after)
            .find(|&t| t <= first + 10 * MS)
            .or_else(|| pick.downs.iter().rev().copied().find(after))
        else {
            return;
        };
        self.own_view_down_up(pick.i, down, pick.up);
    }

    /// Path `i`'s pinger had its link down from `down` to `up` in its own
    /// view: the transitions, in time order, and a finding.
    fn own_view_down_up(&mut self, i: usize, down: i64, up: i64) {
        let max_tr = self.th.limits.max_transitions;
        let pc = self.th.pong_count;
        let tolerated = self.dirs[i].timeout_adj(&self.th, down);
        let link = self.dirs[i].key.link;
        let (sev, other) = self.down_severity(i);
        let d = &mut self.dirs[i];
        // Downs and ups the wire's pongs gave this path in between stay:
        // they are the pinger's view as the pongs on the wire show it
        // (right when its pongs were lost before the capture point), and
        // the scoreboard keeps both better than either alone.
        if d.link.transitions.len() + 2 > max_tr {
            return;
        }
        for tr in [
            Transition {
                ts: down,
                up: false,
                rule_value: (tolerated / MS) as u64,
            },
            Transition {
                ts: up,
                up: true,
                rule_value: u64::from(pc + 1),
            },
        ] {
            let at = d.link.transitions.partition_point(|t| t.ts <= tr.ts);
            d.link.transitions.insert(at, tr);
        }
        d.link.downs += 1;
        let f = self.dirs[i]
            .finding(
                FindingKind::LinkDown,
                sev,
                down,
                Direction::SrcToDst,
                format!(
                    "knet at the pinger took link {link} down for {:.0} ms in its own view: pongs seen here never reached it (it sent no DATA on the link meanwhile, and its PMTUD ran again when the link came back up){}",
                    ms(up - down),
                    other
                ),
            )
            .ended(up)
            .ev("own_view", 1.0)
            .ev("tolerated_ms", ms(tolerated));
        self.push_finding(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::analysis::Snapshot;
    use crate::analysis::findings::FindingKind;

    /// Two nodes pass the token every 50 ms; they ping each other every
    /// 800 ms and every pong is on the wire. From +10.4 s to +12.1 s node
    /// 1 sends node 2 nothing, and node 2 sends one token to node 1 three
    /// times (+10.401 s, +11.2 s, +11.95 s): node 1's knet had the link
    /// down and dropped node 2's copies. With `rerun`, node 1 runs PMTUD
    /// 0.2 s after the pong of its ping at +12.0 s, 11.2 s after its last
    /// run. Without `resends` node 2 sends that token once (a ring that
    /// stopped for its own reasons).
    fn capture(rerun: bool, resends: bool) -> Snapshot {
        let at = |ms: i64| T0 + ms * MS;
        let mut pkts: Vec<(i64, u8, Vec<u8>)> = Vec::new();
        pkts.push((at(1000), 1, pmtud_bytes(false, 1, 0, 1500)));
        pkts.push((at(1001), 2, pmtud_bytes(true, 2, 0, 1500)));
        let tok = |from: u8, seq: u32| token_bytes(u32::from(from), u32::from(3 - from), seq, 4, 0);
        let mut seq = 0;
        for t in (0..20_000).step_by(50) {
            if t % 800 == 0 {
                for (a, off) in [(1u8, 0), (2, 3)] {
                    let mono = (at(t + off) - T0 + 1000 * S) as u64 + u64::from(a) * 7;
                    let p = |pong| {
                        ping_bytes(pong, u16::from(if pong { 3 - a } else { a }), 0, mono, 5)
                    };
                    pkts.push((at(t + off), a, p(false)));
                    pkts.push((at(t + off) + 500_000, 3 - a, p(true)));
                }
            }
            if (10_400..12_100).contains(&t) {
                continue;
            }
            seq += 1;
            let from = if t % 100 == 0 { 2 } else { 1 };
            pkts.push((at(t + 1), from, tok(from, seq)));
        }
        let stuck = seq + 1;
        let sends: &[i64] = if resends {
            &[10_401, 11_200, 11_950]
        } else {
            &[10_401]
        };
        for &t in sends {
            pkts.push((at(t), 2, tok(2, stuck)));
        }
        if rerun {
            pkts.push((at(12_200) + 500_000, 1, pmtud_bytes(false, 1, 0, 1500)));
        }
        pkts.sort_by_key(|p| p.0);
        let mut e = Engine::new(two_nodes());
        for (ts, from, b) in &pkts {
            feed(&mut e, *ts, ip(*from), ip(3 - *from), 0, b);
        }
        e.finish(at(20_000));
        e.snapshot()
    }

    #[test]
    fn a_pmtud_rerun_after_a_silence_with_the_token_resent_is_the_pinger_s_down_and_up() {
        let s = capture(true, true);
        let l = s.link(1, 2, 0).expect("link 1->2");
        let ups: Vec<_> = l.transitions.iter().map(|t| (t.ts, t.up)).collect();
        // Down at the tick that sent the ping of the first pong counted
        // (+10.4 s), up on the third pong (+12.0005 s).
        assert_eq!(
            ups,
            [
                (T0 + 10_400 * MS, false),
                (T0 + 12_000 * MS + 500_000, true)
            ]
        );
        let f = s
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LinkDown)
            .expect("a link_down");
        assert_eq!(f.evidence("own_view"), Some(1.0));
        assert_eq!((f.src_node, f.dst_node), (Some(1), Some(2)));
        // Node 2's view stays up (running from before the capture: no
        // transition).
        assert!(s.link(2, 1, 0).expect("link 2->1").transitions.is_empty());
    }

    #[test]
    fn without_the_pmtud_rerun_or_the_token_resent_the_wire_shows_no_down() {
        for (rerun, resends) in [(false, true), (true, false)] {
            let s = capture(rerun, resends);
            let l = s.link(1, 2, 0).expect("link 1->2");
            assert!(
                l.transitions.is_empty(),
                "{rerun} {resends}: {:?}",
                l.transitions
            );
            assert!(!s.findings.iter().any(|f| f.kind == FindingKind::LinkDown));
        }
    }
}
