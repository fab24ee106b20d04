//! Short cuts: a node cut off from a link for less than about two ping
//! spacings.
//!
//! knet pings every path of a link about once a spacing. A cut of a second
//! or so loses one ping or pong on each path of the node, and knet need not
//! take the link down (the ping timeout may not be reached): no run of dark
//! seconds, too few losses for a loss episode. What shows it is that every
//! path of the node on the link lost its ping in the same second or the
//! next (knet's pings of all nodes run nearly in phase), after seconds in
//! which none of them lost anything, and with their next pings answered
//! again: random loss hits the paths one at a time and goes on, and a link
//! that was already losing is a loss episode's to tell. At least three
//! paths (two peers): with one peer, its two paths dark together are as
//! likely a coincidence of random loss, and that is not judged.
//!
//! A stopped node looks the same until it runs again: it then answers the
//! pings it held, late. So a cut is decided [`SETTLE_S`] seconds (and at
//! least two ping spacings) after it ended, and dropped when the paths lost
//! pings again by then, when the node answered a ping late since it began, or
//! when knet took one of its paths down meanwhile (a `link_down` tells
//! it), or when it went on longer than [`MAX_CUT_S`] (the dark runs and
//! link downs of a longer cut tell it).
//!
//! Memory is fixed: at most [`MAX_OPEN`] cuts wait at a time.

use crate::analysis::findings::{Direction, Finding, FindingKind, Severity};

use super::{Engine, NS, ms};

/// Seconds after a cut ended before it is decided (a stopped node answers
/// late as soon as it runs again).
const SETTLE_S: i64 = 2;
/// A cut longer than this is told by knet's link downs and dark runs.
const MAX_CUT_S: i64 = 3;
/// Seconds before a cut in which its paths must have lost nothing.
const CLEAN_S: i64 = 4;
/// Paths that must go dark together: with one peer (two paths) a
/// coincidence of random loss is as likely, and is not judged.
const MIN_PATHS: u32 = 3;
/// Cuts waiting to be decided.
const MAX_OPEN: usize = 16;

/// A node whose paths on one link all went dark together.
#[derive(Debug, Clone, Copy)]
pub(super) struct ShortCut {
    node: u16,
    link: u8,
    /// First and last loss on its paths.
    start: i64,
    end: i64,
    /// Last second in which every path was dark; None once it ended.
    open_sec: Option<i64>,
    paths: u32,
    lost: u32,
}

/// A node's paths on one link in the second judged.
#[derive(Debug, Clone, Copy)]
pub(super) struct Group {
    paths: u32,
    all_dark: bool,
    clean_before: bool,
    lost: u32,
    first: i64,
    last: i64,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            paths: 0,
            all_dark: true,
            clean_before: true,
            lost: 0,
            first: i64::MAX,
            last: i64::MIN,
        }
    }
}

impl Group {
    /// A path in use: its losses this second (None: not dark), and whether
    /// it lost anything in the seconds before.
    fn add(&mut self, dark: Option<(u32, i64, i64)>, lost_before: bool) {
        self.paths += 1;
        match dark {
            Some((l, f, e)) => {
                self.lost += l;
                self.first = self.first.min(f);
                self.last = self.last.max(e);
            }
            None => self.all_dark = false,
        }
        self.clean_before &= !lost_before;
    }
}

/// The paths' losses in second `sec` of path `d`: (lost pings, first loss,
/// last loss), or None when it lost none or answered a ping.
fn dark(d: &super::Dir, sec: i64) -> Option<(u32, i64, i64)> {
    let b = d.bucket_ref(sec)?;
    let lost = b.missing + b.unanswered;
    (b.pongs == 0 && lost > 0 && b.first_loss != 0).then_some((lost, b.first_loss, b.last_loss))
}

impl Engine {
    /// Seconds after a cut before it is decided: [`SETTLE_S`], and two ping
    /// spacings (the paths' next pings must show them clean again).
    fn settle_s(&self) -> i64 {
        SETTLE_S.max((2 * self.th.ping_spacing_ns()).div_euclid(NS) + 1)
    }

    /// Judges second `k` for short cuts and decides those that settled:
    /// one pass over the paths, each counted towards both its nodes.
    pub(super) fn eval_short_cuts(&mut self, k: i64) {
        self.decide_short_cuts(k);
        // Reused from second to second: nothing allocated once it has grown.
        let mut groups = std::mem::take(&mut self.cut_groups);
        groups.clear();
        for d in &self.dirs {
            for n in [d.src_node, d.dst_node].into_iter().flatten() {
                groups.push((n, d.key.link, Group::default()));
            }
        }
        groups.sort_unstable_by_key(|g| (g.0, g.1));
        groups.dedup_by_key(|g| (g.0, g.1));
        for d in &self.dirs {
            // Paths that carried pings before: the node's paths in use.
            let active = (k - CLEAN_S..k - 1).any(|s| {
                d.bucket_ref(s)
                    .is_some_and(|b| b.pings + b.missing + b.unanswered > 0)
            });
            if !active {
                continue;
            }
            let lost_before = (k - CLEAN_S..k - 1).any(|s| {
                d.bucket_ref(s)
                    .is_some_and(|b| b.missing + b.unanswered > 0)
            });
            let now = dark(d, k).or_else(|| dark(d, k - 1));
            for n in [d.src_node, d.dst_node].into_iter().flatten() {
                if let Ok(g) = groups.binary_search_by_key(&(n, d.key.link), |g| (g.0, g.1)) {
                    groups[g].2.add(now, lost_before);
                }
            }
        }
        for &(node, link, g) in &groups {
            self.judge_short_cut(node, link, &g, k);
        }
        self.cut_groups = groups;
    }

    fn judge_short_cut(&mut self, node: u16, link: u8, g: &Group, k: i64) {
        let open = self
            .short_cuts
            .iter()
            .position(|c| c.node == node && c.link == link && c.open_sec.is_some());
        let together = g.all_dark && g.paths >= MIN_PATHS;
        match (open, together) {
            (Some(c), true) => {
                let c = &mut self.short_cuts[c];
                c.end = c.end.max(g.last);
                c.open_sec = Some(k);
                c.paths = c.paths.max(g.paths);
            }
            (Some(c), false) => self.short_cuts[c].open_sec = None,
            (None, true) if g.clean_before && self.short_cuts.len() < MAX_OPEN => {
                self.short_cuts.push(ShortCut {
                    node,
                    link,
                    start: g.first,
                    end: g.last,
                    open_sec: Some(k),
                    paths: g.paths,
                    lost: g.lost,
                });
            }
            _ => {}
        }
    }

    /// Decides the cuts that ended [`SETTLE_S`] seconds before `k`.
    fn decide_short_cuts(&mut self, k: i64) {
        let mut j = 0;
        while j < self.short_cuts.len() {
            let c = self.short_cuts[j];
            let end_sec = c.end.div_euclid(NS);
            let settled = c.open_sec.is_none() && end_sec + self.settle_s() <= k;
            if !settled {
                j += 1;
                continue;
            }
            self.short_cuts.swap_remove(j);
            let stopped = self
                .nodes
                .get(&c.node)
                .is_some_and(|n| n.late_pong_at >= c.start);
            let told = self.findings.iter().any(|f| {
                f.kind == FindingKind::LinkDown
                    && f.link == Some(c.link)
                    && (f.src_node == Some(c.node) || f.dst_node == Some(c.node))
                    && f.start <= c.end + NS
                    && f.end.is_none_or(|e| e >= c.start - NS)
            });
            // Random loss goes on losing; a cut ends clean.
            let lossy_after = self
                .dirs
                .iter()
                .filter(|d| {
                    d.key.link == c.link
                        && (d.src_node == Some(c.node) || d.dst_node == Some(c.node))
                })
                .any(|d| {
                    (end_sec + 2..=k).any(|s| {
                        d.bucket_ref(s)
                            .is_some_and(|b| b.missing + b.unanswered > 0)
                    })
                });
            if stopped || told || lossy_after || c.end - c.start > MAX_CUT_S * NS {
                continue;
            }
            let f = Finding::new(
                FindingKind::Loss,
                Severity::Warning,
                c.start,
                format!(
                    "node {} lost every ping on its {} paths of link {} at once ({} pings in \
                     {:.0} ms) after clean seconds: cut off briefly (a stopped node answers \
                     them late; it did not)",
                    c.node,
                    c.paths,
                    c.link,
                    c.lost,
                    ms(c.end - c.start)
                ),
            )
            .nodes(Some(c.node), None, Some(c.link), Some(Direction::Both))
            .ended(c.end)
            .ev("loss_pct", 100.0)
            .ev("paths", f64::from(c.paths))
            .ev("pings_lost", f64::from(c.lost))
            .ev("cut_ms", ms(c.end - c.start));
            self.push_finding(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;

    /// Three nodes pinging each other every second for 40 s from a fresh
    /// start (knet's backoff then keeps a link up through one lost pong
    /// for the first seconds: no link down tells the cut); at second `s`
    /// the pings of the pairs in `lost` (pinger, responder) go unanswered.
    fn run(lost: &[(i64, u8, u8)]) -> Vec<crate::analysis::Finding> {
        let mut e = Engine::new(two_nodes());
        let pairs = [(1, 2), (2, 1), (1, 3), (3, 1), (2, 3), (3, 2)];
        for s in 0..40i64 {
            for (i, &(a, b)) in pairs.iter().enumerate() {
                let pong = (!lost.contains(&(s, a, b))).then_some(300);
                let t = T0 + s * S + i as i64 * 10 * MS;
                ping_pair(&mut e, t, a, b, 0, pong, s as u16);
            }
        }
        e.finish(T0 + 40 * S);
        e.snapshot()
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::Loss && f.evidence("cut_ms").is_some())
            .cloned()
            .collect()
    }

    #[test]
    fn every_path_of_a_node_dark_at_once_is_a_short_cut() {
        // Node 2 cut off for about a second at 6 s: its four paths lose
        // their ping at once.
        let cut = [(6, 1, 2), (6, 2, 1), (6, 3, 2), (6, 2, 3)];
        let f = run(&cut);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].src_node, f[0].dst_node), (Some(2), None));
        assert_eq!(f[0].evidence("paths"), Some(4.0));
        assert_eq!(f[0].evidence("pings_lost"), Some(4.0));
        assert_eq!(f[0].start, T0 + 6 * S);
    }

    #[test]
    fn losses_one_path_at_a_time_or_going_on_are_not_a_cut() {
        // The same four losses spread over four seconds: random loss.
        let f = run(&[(6, 1, 2), (7, 2, 1), (8, 3, 2), (9, 2, 3)]);
        assert!(f.is_empty(), "{f:?}");
        // Dark together, but the paths go on losing after: loss.
        let mut lossy = vec![(6, 1, 2), (6, 2, 1), (6, 3, 2), (6, 2, 3)];
        lossy.push((9, 1, 2));
        let f = run(&lossy);
        assert!(f.is_empty(), "{f:?}");
        // Or lost something just before.
        let mut lossy = vec![(6, 1, 2), (6, 2, 1), (6, 3, 2), (6, 2, 3)];
        lossy.push((3, 2, 3));
        let f = run(&lossy);
        assert!(f.is_empty(), "{f:?}");
    }
}
