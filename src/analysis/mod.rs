//! The analysis engine: decoded packets in, a [`Snapshot`] out.
//!
//! The engine runs on capture timestamps only (never the wall clock), keeps
//! bounded state per directed link (pinger/sender address, receiver
//! address, knet link), and derives typed [`Finding`]s against the cluster's
//! budgets ([`Thresholds`]).
//!
//! How the measurements are defined (also in the README's metric section):
//! - RTT: a PONG is matched to its PING by (pinger address, responder
//!   address, link, the 16 echoed time bytes); RTT = t(pong) − t(ping) at the
//!   capture point. On a capture taken on the responder this is the
//!   responder's delay, not the round trip (see [`Measures`]).
//! - Vantage: a Linux cooked capture (`-i any`) marks the frames the host
//!   sent; the node that sent at least 99 % of them is the vantage. Else,
//!   when one address takes part in every directed path and at least two
//!   peers are seen, the capture was taken on that node; otherwise (bridge,
//!   or a two-node cluster captured on Ethernet) the vantage is unknown and
//!   ping→pong times are treated as round trips.
//! - Loss of a pinger's pings: pings absent from its cadence (a gap of n
//!   spacings = n − 1 missing; spacing = interval rounded up to 200 ms) plus
//!   pings seen whose pong did not come within the ping timeout. A pong
//!   after the timeout is late, not lost: knet discards it, but both
//!   packets arrived, so it leaves the unanswered count and enters the RTT
//!   distribution. Without the key the same holds at every vantage: a
//!   ping-size packet the inference takes for a pong without pairing it
//!   answers the ping waiting on its path, so a ping still unanswered at
//!   its timeout had nothing come back that could be its pong.
//! - DATA seq: a sender's one counter over all its DATA. Missing broadcast
//!   copies (seen to one destination, not to another it has up) and seqs
//!   missing between consecutive packets to one destination, or between a
//!   broadcast and a unicast (a seq seen on no path was not a broadcast,
//!   whose other copies would show: it was a unicast, and a node unicasts
//!   only tokens to its successor), were lost
//!   before the capture point — the latter only where the capture sees the
//!   sender send to two nodes (or the cluster has two): a capture on one
//!   receiver never shows the seqs that went to the others. A seq counted
//!   missing that then arrives behind the stream's latest (jitter
//!   reorders packets, and knet accepts them late) was not lost: the loss
//!   is taken back, and the stream's latest seq does not move back.
//! - Loss in direction A→B: L = 1 − (1 − b)(1 − a). `b` (before the
//!   capture point) is A's missing pings and DATA over all such samples.
//!   `a` (after it) comes from A's unanswered pings u: a ping goes
//!   unanswered when it is lost after the capture point or its pong is
//!   lost before it on B→A, so 1 − u = (1 − a)(1 − b_BA) and
//!   a = 1 − (1 − u)/(1 − b_BA), counted only when the unanswered exceed
//!   what b_BA explains by three binomial standard deviations. Every
//!   missing pong is charged to the path it travelled. Totem messages give
//!   the after stage directly: a message whose copy to B was seen here and
//!   that B then asks for again (a seq B adds to the token's retransmit
//!   list, in a token of the message's ring: every ring numbers its
//!   messages from 1 again) was lost after the capture point on A→B; pooled with the pings'
//!   estimate by samples (alone from 20 messages when the pings show
//!   nothing significant). A copy is a sample only while its receiver is in
//!   the message's ring and operational (it passed on a token of that ring
//!   within two token timeouts): a node outside the ring asks for nothing.
//!   Tokens give it too (`engine/tokloss.rs`): totem resends its token
//!   every token_retransmit ms until it comes round again, and a running
//!   receiver passes a token on at once (the representative of an idle
//!   ring after token_hold, still sooner). A token's first copy seen here
//!   whose receiver passed the next token on only after the sender's
//!   second copy was lost after the capture point on A→B; one it passed
//!   on before that was delivered. A token that needed a third copy is not
//!   judged: the receiver's knet withholds every copy while its link back
//!   is down, for seconds, a run random loss rarely makes; among the rest
//!   a first copy is lost with odds p : 1, so lost first copies over
//!   delivered ones is the rate. A copy counts only while its receiver's
//!   knet sent a ping or pong within token_retransmit before and after it
//!   (a stopped node passes nothing on), every DATA seq the receiver sent
//!   since was seen (else what showed may be its own resend), it was in
//!   the token's ring and its knet link back up as far as the capture
//!   shows. The receiver's next new token must come within
//!   token_retransmit of the copy it answers (the first when delivered,
//!   the second when lost): slower, the capture missed a resend or the
//!   receiver's totem was held up, and the copy is not judged. Only the
//!   receiver's new token passes a token on: its resend
//!   of its last one (the token did not come round to it either) tells
//!   nothing, and a sender's resend after the token went on is no first
//!   copy. The tokens join the after stage once two were lost (a first
//!   copy passes the capture point on nearly every path: alone its
//!   deliveries only narrow the interval of a loss before it), and not
//!   where the pings' rate lies above theirs beyond both 95 % intervals
//!   (the receiver's link fell down). The same rule says where they count
//!   as loss times (where an episode starts and ends) and in the
//!   per-second counts its bounds are fitted to: a window or episode
//!   with one token lost counts none of its tokens anywhere.
//! - Loss episodes: judged per pair (A→B with B→A on one link), per second
//!   over a `loss_window_s` window; open at `loss_warning_pct` in either
//!   direction with two losses (a rate under the threshold counts as at
//!   it when it is at least half of it and the threshold lies inside its
//!   95 % Wilson interval, that interval narrower than the threshold: so
//!   many samples cannot tell it from the threshold, while a few losses in
//!   few samples say nothing), stay open down to half of it, close after a
//!   whole clean window. A pair too sparse for two losses to reach the
//!   threshold in that window (a link carrying only pings) is also judged
//!   over a longer one, up to 60 s, that holds 200 / threshold samples each
//!   way. The losses from the first to the end that a
//!   two-rate binomial fit (BIC) of the lossier direction chooses decide
//!   whether it is a finding (or its rate over the whole episode, at the
//!   threshold by the same interval rule); its rate is counted over those seconds
//!   widened by one mean gap between losses at each end (under a steady
//!   rate the loss began that long, on average, before the first loss seen,
//!   and the first and last losses found the episode: counted between them
//!   alone they read high) and over at least one `loss_window_s` window
//!   (the window at the threshold found it: a few losses close together,
//!   counted over their own seconds, read as a rate the window never
//!   had), with the samples and a 95 % Wilson interval (the samples as
//!   the binomial count with the estimate's spread, by the delta method
//!   over its two stages: each stage rests on its own packets, so a rate
//!   found after the capture point has the interval of the pings and
//!   messages that show it, not of the DATA copies that passed before it);
//!   the finding is told from the lossier direction (one-way when the
//!   other stays under half the threshold). It starts before its first
//!   loss: at the rate p where the loss began (up to its third loss, on
//!   the lossy direction, or both pooled), the clean samples before the
//!   first loss number ln(4/3) / −ln(1 − p) or more with odds 3:1, so it
//!   starts that many samples earlier (at most one mean gap, never into
//!   the previous episode, past an earlier loss or before the pair was
//!   first seen); `first_loss_s` is how
//!   long after its start the first loss was seen. A cut loses every
//!   sample from its first and starts there.
//! - Short cuts (`engine/cuts.rs`): a cut shorter than about two ping
//!   spacings loses one ping or pong per path and need not take a link
//!   down. Every path of a node on a link (three or more) losing its ping
//!   in the same second or the next, after seconds in which they lost
//!   nothing and with their next pings answered, is the node cut off
//!   briefly (a `loss` finding of that node, `cut_ms`); random loss hits
//!   paths one at a time. Decided two ping spacings after it ended:
//!   a node that then answers pings late was stopped, not cut, and a link
//!   down already tells a cut.
//! - Several captures (`multi`): a packet seen leaving the sender's capture
//!   and arriving in the receiver's crossed the wire between them; it can
//!   still have been lost before the sender's capture point (an egress
//!   filter: missing from its cadence) or after the receiver's (an ingress
//!   filter: unanswered). The loss between the captures is counted over
//!   its span (first to last packet lost, widened by one mean gap between
//!   them at each end, as a loss episode is), not the whole capture. A
//!   loss finding is dropped as naming the wrong direction only when its
//!   direction lost nothing between the captures and the reverse did (its
//!   unanswered pings were those lost pongs).
//! - MTU black hole: a size that keeps going unanswered — at least two
//!   PMTUD probes lost above every size answered since, in one run (knet
//!   sent the size again, or bisected to another size that was lost too)
//!   or in runs in a row — on a path that does not lose packets at random
//!   (its loss from 5 s before the first loss to the run's end under the
//!   warning threshold): there a lost probe is that loss, not a size
//!   limit. One probe lost and answered at knet's next attempt is loss; a
//!   run that does not start at its largest size is not knet's (knet
//!   starts at the interface's MTU), nor is an unanswered run that starts
//!   below an earlier run's first size. An MTU that shrank because one probe
//!   was lost once is information, not a warning.
//! - A node blocked by PMTUD: knet re-sends a probe the kernel refused
//!   (ENOBUFS: a device on the way drops the size) every 12.5 ms while it
//!   holds its send lock, so the node sends nothing else. The same probe
//!   sent again within 50 ms, 8 times and for 200 ms or more, is a black
//!   hole at its sender; a node silent on every path whose silence a
//!   PMTUD probe ends, or that answered the pings sent to it in its
//!   silence but never a probe sent to it then (or in the 5 s before,
//!   while it still sent), is the same black hole, not a stopped process
//!   (knet answers every probe it receives, as every ping). These
//!   findings carry `blocked_ms`.
//! - Loss of the large packets only (several captures): when every packet
//!   that left one capture and never reached the other was at least some
//!   size, and the smaller packets all arrived in numbers that loss at the
//!   larger ones' rate would have hit five times, they were dropped for
//!   their size: an `mtu_black_hole`, not `one_way_loss`.
//! - Host stall: a node that sent nothing for at least 200 ms while others
//!   went on, then ended that silence with the burst of a process that
//!   runs again: within 50 ms, in no fixed order, its overdue knet
//!   heartbeat pings, the pongs to the pings its socket buffer kept (their
//!   original times echoed), the token it held. It is a stall when in that
//!   burst it (a) answered a ping sent during the silence 200 ms or more
//!   after it came; (b) not being the ring's representative (the only
//!   node that holds the token), passed on a token it had held 200 ms or
//!   more (corosync passes the token on as it gets it); or (c) re-sent its
//!   old token more than the token timeout after first sending it (totem
//!   re-sends the token only while operational; a running node would have
//!   declared the token lost and sent joins). A hold counts from the
//!   token's latest copy (its sender re-sends it, and an earlier copy may
//!   have been lost after the capture point), from the first copy only
//!   when the node's own heartbeat ping in the burst left 20 ms or more
//!   (and less than a spacing: not a lost ping) after it was due. On the
//!   predecessor's capture, where the node's forward is not seen, the
//!   hold shows as the predecessor sending the token again while the node
//!   sent nothing, and the token coming round again only in the node's
//!   burst; that is a stall only with the heartbeat late (a token lost
//!   further on holds it up as long). A
//!   forward lost before the capture point looks like a hold until the node
//!   sends the token again, but then knet's DATA seq has skipped the lost
//!   copy: where the capture sees all the node sends, a send that skipped
//!   seqs is loss, not a stall. The stall began after the node's last
//!   packet and before the first thing it left waiting or missed: the
//!   pings and the token that reached it in the silence, and its own next
//!   heartbeat ping (due a spacing after its last), and a token it got and
//!   had not passed on (due at once; on the ring's representative within
//!   token_hold, from the first copy unless that would put it before the
//!   node's last packet). A stop comes at no particular time, so the start
//!   is taken midway between those bounds; the end is the burst's first
//!   packet. A peer's capture sees only that peer's traffic with the
//!   node: a stall that falls between two of those packets (0.5 s between
//!   pings a spacing apart) cannot show there and is not flagged.
//! - Incident causes: the rules are in `incidents`' docs (a node blocked
//!   on a PMTUD probe is the MTU, before a stall or a cut; a cut is told
//!   from random loss by the pings going dark in runs with clean seconds
//!   around them; loss that spared the pings on a pair with a black hole
//!   or a lower MTU is the MTU; cuts shorter than two ping spacings are
//!   every path of a node dark in the same seconds, again and again, more
//!   often than chance allows; a link down, unanswered probes or a token
//!   lost on paths that lose at random around the incident are that
//!   loss's doing — a link down and back up from one lost pong on its
//!   path, which at the default budgets is enough — and a token lost or at
//!   risk names no path: every path of the ring is weighed; tokens resent
//!   to a running successor are loss on the ring after the last node that
//!   resent).
//! - Token resent (`engine/totem.rs`): totem sends its last token again
//!   when, for token_retransmit ms, no new token or multicast showed it
//!   went on (totemsrp's token-retransmit timer); every node before the
//!   place it was lost does, so a resend says the token was lost at or
//!   after the sender's hop. A resend past the token timeout is the
//!   sender's own stall, and one while the successor sent nothing since
//!   the first send may be the successor's; neither counts. A node's
//!   resends within two token timeouts of each other are one
//!   `token_resent` episode: a warning from the second (the ring then
//!   half-way to a token loss at the default four retransmits), else info.
//! - Token loss: a node declares the token lost when no new token reached
//!   it for `token` ms, unless another node's join reached it first (it
//!   then leaves the operational state without its own timeout); joins
//!   within a twentieth of the timeout of it count as simultaneous. A
//!   node stopped while a token reached it takes that token when it runs
//!   again (totem restarts the timer on every token), unless the timer it
//!   started before the stop ran out first. A token of a ring that never
//!   became operational was lost in RECOVERY: totem goes back to gather
//!   without "A processor failed", and it is told on that attempt.
//! - Membership: rings from the commit token (members, and the ring each
//!   member came from) and from every message's ring id; a ring of one node
//!   shows only in its merge-detect messages, or as the ring a member of a
//!   later ring came from (the commit token's entries: it is then shown as
//!   formed earlier, named by that ring). Left/joined are as the capture's
//!   node saw them (the ring it came from), else as the ring's
//!   representative saw them, against totem's transitional membership
//!   (the new ring's members that came from that same ring, by the commit
//!   token's entries: one that came from another ring left and joined);
//!   with no earlier ring, a representative whose first knet DATA seen
//!   carried one of knet's first 16 seqs (the counter starts at 0 with
//!   knet) started during the capture, and every member of its first ring
//!   joined.
//! - Ring state (totem's own rules): a ring whose commit token was seen is
//!   operational when the wire shows it: a new (not encapsulated) message
//!   of it (totem sends new messages only in OPERATIONAL; in RECOVERY only
//!   old ones, encapsulated), its representative's merge-detect (sent only
//!   in OPERATIONAL), or its tokens by totem's RECOVERY rule: a node that
//!   forwards the token with the retransmit flag clear counts it (set, the
//!   count restarts), takes the second such token's seq as its install
//!   seq, and from the third on advances a rotation counter when the
//!   token's aru has reached the install seq (any other token resets it);
//!   at two it enters OPERATIONAL. A ring first seen on its
//!   representative's message with no commit token is a ring of one node
//!   (its token never leaves it), as on its merge-detect. A ring with none
//!   of these is an attempt once a later ring of its members is seen (its
//!   recovery failed or its commit token never came back; corosync logs
//!   nothing for it), still forming otherwise. Left and joined are against
//!   the last ring that worked, never an attempt. For each ring formed in
//!   the capture: the time its side had no working ring, from the last
//!   token or message of the ring its representative came from to its own
//!   first sign of working, and the failed attempts in between.
//! - Link state: knet's rule at the pinger: up on the (pong_count+1)-th pong
//!   while down; down when no pong for ping_timeout × backoff + 2 × average
//!   latency, backoff 10 right after a fresh start/up, minus one per second,
//!   down to 1. A down link whose next pong is that late again restarts:
//!   knet's heartbeat runs its down routine once more (pong count zeroed,
//!   backoff 10); the once-a-second step's phase is unknown, so the restart
//!   takes the larger backoff (the step as late as it can be). At a node
//!   whose pongs were lost after the capture point, its own view
//!   (`engine/ownview.rs`): knet forces a PMTUD run on every up (the run
//!   off the node's cadence within 0.3 s), sends no DATA on a down link
//!   and drops what comes in on it; an unexplained forced run, a path
//!   silent over its counted pongs and a sign of the down (one token
//!   re-sent to the node twice or more, two copies missing in a row) make
//!   a down (at the ping of the first counted pong, or of one of the two
//!   pongs before when the first sign came earlier) and an up (the last
//!   pong), when only one path fits (or the token path, when the node sent
//!   nothing at all). A link first seen answering a ping with data seq ≠ 0 is
//!   assumed already up (capture started mid-run, backoff 1).
//! - Budgets checked against the wire (`engine/cadence.rs`,
//!   `engine/wire.rs`): knet sends a timed ping when the last is at least
//!   `ping_interval` old, checked on its 200 ms heartbeat tick, so the
//!   spacing most often seen between a path's timed pings is the interval
//!   rounded up to 200 ms; corosync sets `knet_ping_interval` =
//!   token_eff / (2 × pong_count) and `knet_ping_timeout` = token_eff /
//!   pong_count unless configured (totemconfig.c), so the timeout is twice
//!   the interval. With the ring's seq unchanged for more than
//!   `seqno_unchanged_const` (30) rotations the representative holds the
//!   token and its token-hold timer of `hold` ms sends it on (totemsrp.c);
//!   hold = ⌊⌊token_eff / 4.2⌋ × 0.8 − 10⌋ with the default
//!   `token_retransmits_before_loss_const`, so the longest hold that
//!   recurs (99th percentile of a node's holds, with ≥ 5 holds within 10 %
//!   of it, ≥ 20 ms) gives token_eff back within 1 %. Where the spacing
//!   differs from the budgets' or the hold's token differs from theirs by
//!   more than 15 %, the wire contradicts them; without a configuration
//!   the engine then judges with the wire's values (source `wire`): the
//!   hold's token when its ping interval lands on the spacing seen, else
//!   the ping interval at the middle of the spacing's 200 ms step and the
//!   timeout twice that. Flags win; a configuration is never overridden.
//! - Open token gaps: a snapshot that is not the capture's end shows each
//!   ring member (of the latest ring a commit token listed) waiting longer
//!   than token_warning for the token as an open `token_at_risk`, then
//!   `token_lost` past the token timeout, dated from its last token and
//!   growing; when the token returns the gap is recorded once, closed.
//! - What-if budgets (`whatif`): the rules are in that module's docs.
//!
//! Modules (each engine module's doc states the knet or totem rule it
//! models):
//! - `engine` — [`Engine`]: per-packet work and per-second judgement,
//!   split by concern, each owning its part of the per-path state:
//!   `path` (directed paths, their buckets, flow lookup via `flow`),
//!   `clock` (capture time, the once-a-second tick), `nodes` (senders,
//!   addresses, silences and stalls), `ping` (pings, pongs, RTT), `link`
//!   (knet's link state: pong_count, ping timeout × backoff), `pmtud`
//!   (probes, replies, ICMP too-big), `loss`, `seqloss` and `rtrloss`
//!   (loss windows and episodes from pings, DATA seq and retransmit
//!   requests), `cuts` (short cuts), `latency`, `asym` and `sizes`
//!   (RTT episodes and budget, the two directions of a pair, latency by
//!   size), `totem`, `hold` and `fasthist` (tokens, retransmits, rotation,
//!   hold), `membership` (rings), `inferred` (the keyless inference's
//!   decisions), `cadence` and `wire` (the budgets checked against the
//!   timed pings' spacing and the token hold) and `views` (building the
//!   [`Snapshot`]).
//! - `findings` — [`Finding`]: every finding is made by `Finding::new`
//!   (about a path: `Dir::finding`).
//! - `snapshot` — the [`Snapshot`] and its views, what every output reads.
//! - `budget` — [`Thresholds`]: the cluster's budgets the findings use
//!   (with what the wire determined, `Thresholds::with_wire`).
//! - `whatif` — [`WhatIf`]: per incident the smallest token, consensus and
//!   knet ping timeout that would have ridden it out; the headroom.
//! - `multi` — several captures of one cluster: `survey` (sightings and
//!   vantages), `solve` (min-δ pair estimates, least-squares offsets),
//!   `clock` (the estimate and packet admission), `oneway` (one-way delay
//!   and loss between capture points), `view` (what they add to a report).
//! - `timeline` — [`timeline::Sample`]: a snapshot's numbers at one moment
//!   (what the metrics are written from), and the per-second
//!   [`timeline::Timeline`] of a run.
//! - `vantage` — which node a capture was taken on; `hash` — the engine's
//!   small maps.
//!
//! The analysis reads decoded packets (`decode`, `wire`, `infer`) and the
//! budgets' sources (`config`); nothing here imports the commands, the
//! report writers or the TUI.

mod budget;
pub mod coverage;
mod engine;
pub mod incidents;
/// Constructed packets for tests elsewhere in the crate (the report
/// writers' tests feed the engine with them).
#[cfg(test)]
pub(crate) use engine::testkit;
mod findings;
pub mod frames;
mod hash;
pub mod multi;
mod snapshot;
pub mod timeline;
mod vantage;
pub mod whatif;

pub use budget::{BudgetSources, Limits, Thresholds, WireBudget, round_up_to_grid};
pub use coverage::Coverage;
pub use engine::{Engine, SIZE_BOUNDS};
pub use findings::{Direction, Finding, FindingKind, Severity};
pub use incidents::{Cause, Incident, incidents};
pub use snapshot::{
    LinkState, LinkView, Measures, MembershipView, NodeView, Overflow, Quantiles, RTT_BUCKETS_US,
    RTT_HIST_LEN, RingState, SeriesPoint, SizeBucket, Snapshot, TOKEN_BUCKETS_US, TOKEN_HIST_LEN,
    TOKEN_ROTATIONS_KEPT, TRAFFIC_TYPES, TokenRotation, TotemView, Transition, TypeCount, WireView,
};
pub use whatif::{Headroom, IncidentWhatIf, MARGIN as WHAT_IF_MARGIN, WhatIf, what_if};

/// `n` of `d` in percent; 0 of nothing is 0 %.
pub(crate) fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}
