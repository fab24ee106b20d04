//! `--format json`: one object per report. Timestamps are epoch seconds
//! (float, capture clock); durations in the unit their name says.
//!
//! ```text
//! {
//!   "format": "corowire-report/1",
//!   "verdict":  {"severity": "ok"|"warning"|"critical"|"inconclusive", "summary": str,
//!                "exit_code": 0|2|3|4, "not_seen": [str] (why part or all of the input
//!                could not be judged), "blind_spots": [str] (what could not be judged in
//!                what was read, e.g. encrypted without the key), "incident": index into
//!                "incidents" of the one the summary names | null},
//!   "capture":  {"first_ts", "last_ts", "duration_s", "packets", "bytes",
//!                "opaque_packets" (encrypted without key / malformed), "vantage_node"|null},
//!   "budgets":  {"nodes", "token_ms", "token_warning_ms", "token_retransmit_ms", "hold_ms",
//!                "consensus_ms", "ping_interval_ms", "ping_spacing_ms" (interval rounded up
//!                to knet's 200 ms grid), "ping_timeout_ms", "pong_count", "loss_warning_pct",
//!                "origin" (str), "sources": {"token", "consensus", "ping_interval",
//!                "ping_timeout", "pong_count"} (the config file's name, "flag", "default" or
//!                "wire"), "wire": {"ping_spacing_ms"|null (timed pings' spacing most paths
//!                show), "spacing_paths", "paths_measured", "hold_node"|null, "hold_ms"|null
//!                (the representative's idle token hold), "holds", "token_from_hold_ms"|null,
//!                "checked_token_ms", "checked_spacing_ms" (the budgets checked, before the
//!                wire was read), "contradictions": [str], "used": [str] (budgets judged
//!                with that the wire gave)}},
//!   "nodes":    [{"id", "name"|null, "addrs": [str], "packets", "max_gap_ms"}],
//!   "links":    [{"src_node", "dst_node", "src_addr", "dst_addr", "link",
//!                 "rtt_us": {"p50","p90","p99","max","min","mean","samples"}|null,
//!                 "jitter_us", "measures": "round_trip"|"responder_delay",
//!                 "loss_pct" (estimated loss src->dst), "ping_loss_pct" (src's pings lost),
//!                 "data_copies_seen", "data_copies_lost" (src's DATA packets that could
//!                 have been missed — another copy of the broadcast, or the next seq to
//!                 the same single destination, was seen — and were seen / were lost
//!                 before the capture point),
//!                 "size_buckets": [{"max_bytes" (IP length, inclusive; null: larger than
//!                 1500), "packets", "rtt_us_p50" (ping RTT for the smallest class,
//!                 PMTUD probe→reply time for the others; null: not measured)}],
//!                 "rtt_hist": [{"max_us" (bucket's inclusive upper bound, 1-2-5 steps
//!                 from 50 µs to 2 s; null: above 2 s), "pongs"}] (every bucket, in
//!                 order; the pongs sum to "pongs_received"),
//!                 "pings_sent", "pongs_received", "pings_unanswered", "pings_missing",
//!                 "late_pongs", "max_silence_ms" (longest time without a pong for src's
//!                 pings), "max_ping_gap_ms", "state": "up"|"down"|"unknown", "downs",
//!                 "transitions": [{"ts", "state"}], "pmtu" (latest PMTUD run, IP bytes),
//!                 "pmtu_min", "pmtud_unanswered": [size], "icmp_too_big", "ip_fragments",
//!                 "traffic": {"data"|"ping"|"pong"|"pmtud"|"pmtud_reply"|"totem_udp"|"other":
//!                             {"packets", "bytes"}}}],
//!   "incidents": [{"start", "end"|null, "severity", "cause": "host_stall"|"link_cut"|"mtu"|
//!                  "loss"|"latency"|"link_flaps"|finding kind, "summary", "nodes": [id],
//!                  "findings": [finding id], "corosync": [str] (link downs, token lost,
//!                  rings formed)}] (warning and critical findings that overlap in time
//!                  and share nodes),
//!   "findings": [{"id", "kind", "severity": "info"|"warning"|"critical", "start", "end"|null,
//!                 "src_node", "dst_node", "link", "direction": "src_to_dst"|"both"|null,
//!                 "message", "evidence": {name: number}}],
//!   "membership": [{"ts", "ring_id": "1.d", "members": [nodeid], "members_inferred",
//!                   "left": [nodeid], "joined": [nodeid], "named_by": ring id|null (known
//!                   only from that later ring's commit token: formed before "ts"),
//!                   "state": "operational"|"attempt"|"forming" (an attempt never became
//!                   operational: a later ring of its members replaced it),
//!                   "operational_ts": time|null (when it showed it worked: a new message
//!                   or a merge-detect), "no_ring_since": time|null (for a ring formed in
//!                   the capture: when its representative's previous ring was last seen
//!                   working), "attempts" (failed attempts in between)}],
//!   "totem":    {"token_rotation_ms": {"p50","p99","max","samples"}|null,
//!                "hold_ms": {node id: {"p50","p99","max","samples"}} (token hold: from a
//!                new token seen on its way to the node to the node's next token),
//!                "token_retransmits",
//!                "rtr_max", "tokens", "tokens_with_rtr", "mcasts", "mcast_retransmits",
//!                "joins", "commit_tokens", "max_backlog", "data_by_link": {link: packets}},
//!   "what_if":  {"margin", "incidents": [{"incident" (index into "incidents"),
//!                "token_gap_ms"|null, "stall_ms"|null, "silence_ms"|null (no pong on the
//!                incident's paths), "min_token_ms"|null (smallest effective token that rides
//!                it out), "min_consensus_ms"|null, "min_ping_timeout_ms"|null}],
//!                "headroom": {"token_gap_ms"|null, "silence_ms"|null, "rtt_p99_ms"|null,
//!                "rtt_max_ms"|null, "lowest_token_ms"|null, "lowest_consensus_ms"|null,
//!                "lowest_ping_timeout_ms"|null, "lowest_ping_spacing_ms"|null (the lowest
//!                budgets keeping "margin" over the worst seen)}},
//!   "overflow": {"paths", "nodes", "addrs", "pending_pings", "findings", "memberships"},
//!   "source":   {"kind": "live"|"stdin"|"file", "name", "frames" (read from the source,
//!                corosync or not), "pcap_stats": {"received" (passed the kernel filter),
//!                "dropped" (kernel buffer full), "if_dropped" (dropped by the interface)}
//!                |null (n/a: files and stdin have no kernel counters)},
//!   "interval": {"start", "end", "final": bool, "findings_total", "memberships_total"}
//!               (`live --report-every` only: an interval report's findings, rings and
//!               link transitions are those new, changed or open in [start, end]; the
//!               final report is the whole run's)
//! }
//! ```
//!
//! With several capture files (`report a.pcap b.pcap ...`) two keys are added
//! and every link whose ends both have a capture gets `one_way` (absent with
//! one file):
//!
//! ```text
//!   "captures": [{"file", "vantage_node"|null (null: bridge/SPAN or cannot tell),
//!                 "offset_us"|null (this capture's clock minus the reference's, the first
//!                 file's; null: no exchange links it), "uncertainty_us"|null (the true
//!                 offset lies within offset ± this, unless the path is asymmetric),
//!                 "samples" (ping/pong exchanges seen in it and another capture),
//!                 "method": "ntp-4ts-min-delay", "reference": bool, "time_shift_s",
//!                 "packets"}],
//!   "clock_pairs": [{"a", "b" (indices into captures), "offset_us" (clock b − clock a,
//!                    lowest-delay decile), "uncertainty_us", "all_median_us" (median over
//!                    every exchange: off by half any one-way asymmetry), "between_min_us",
//!                    "between_p50_us" (time spent between the two capture points, both
//!                    ways), "samples", "selected", "drift_us"|null (offset of the later
//!                    half of the exchanges minus the earlier half's), "drift_bound_us"|null
//!                    (both halves' bounds added), "drift_ppm"|null, "drift_significant",
//!                    "exchanges": "ping_pong" (knet pings and their pongs) |
//!                    "same_packets" (no key: the same encrypted packets seen in both
//!                    captures, paired with the nearest packet going the other way)}],
//!   "links": [{..., "one_way": {"delay_us": {"p50", "p99", "max"}|null, "delay_min_us"
//!              (signed: < 0 means the offset is off), "matched", "left_not_arrived"
//!              (left src's capture, never in dst's while it ran), "arrived_not_seen_leaving"
//!              (in dst's capture only: dropped by src's capture), "loss_pct"
//!              (left_not_arrived / (matched + left_not_arrived)), "negative"}|absent}]
//! ```
//! `source` is written by `corowire live --report-every` only (not by
//! `corowire report`). libpcap's counters are cumulative since the capture
//! opened and wrap at 2^32.
//!
//! Finding kinds: link_down, link_flapping, token_at_risk, token_lost,
//! membership_change, one_way_loss, loss, latency, mtu_black_hole,
//! mtu_change, host_stall, retransmit_storm, token_resent, unknown_sender,
//! asymmetry, size_dependent_latency.
//!
//! `token_resent` (warning from the second resend of an episode, else
//! info): a node sent its token again to a successor that was running;
//! evidence `resends`, `max_same_token`, `token_retransmit_ms`.
//!
//! `size_dependent_latency` (warning, whole capture): on a directed link the
//! p50 PMTUD probe→reply time of a size class (≥ 3 replies) exceeds the
//! ping RTT p50 (≥ 10 pongs) by more than max(5 ms, 3 × the ping p50);
//! evidence `large_rtt_p50_ms`, `ping_rtt_p50_ms`, `probes`, `size_class_max`
//! (0: larger than 1500).
//!
//! `asymmetry` (warning, whole capture): the two directions of a node pair
//! on one link differ — loss by more than 5 points (the worse one at least
//! `loss_warning_pct`, ≥ 30 samples each way), the p50 of each side's ping
//! RTT by more than max(1 ms, 50 %) (≥ 10 pongs each way; the slower
//! responder is the sender of the worse direction), or the smallest path
//! MTU. `src_node`→`dst_node` is the worse direction; evidence `loss_pct`,
//! `reverse_loss_pct`, and when measured `rtt_p50_ms` / `reverse_rtt_p50_ms`
//! (of src's / dst's pings) and `pmtu` / `reverse_pmtu`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::multi::MultiView;
use crate::analysis::{LinkView, Quantiles, RTT_BUCKETS_US, Snapshot, TRAFFIC_TYPES};

/// The value of the `format` key; bumped on incompatible changes.
mod multi;
pub use multi::{CaptureClockDto, ClockPairDto, OneWayDto};
use multi::{captures_dto, clock_pairs_dto};

pub const JSON_FORMAT: &str = "corowire-report/1";

fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

#[derive(Debug, Serialize)]
pub struct ReportDto {
    pub format: &'static str,
    pub verdict: VerdictDto,
    pub capture: CaptureDto,
    pub budgets: BudgetsDto,
    pub nodes: Vec<NodeDto>,
    pub links: Vec<LinkDto>,
    pub incidents: Vec<IncidentDto>,
    pub findings: Vec<FindingDto>,
    pub membership: Vec<MembershipDto>,
    pub totem: TotemDto,
    pub what_if: WhatIfDto,
    pub overflow: OverflowDto,
    /// Several captures only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captures: Option<Vec<CaptureClockDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_pairs: Option<Vec<ClockPairDto>>,
    /// The capture source's own counters (`live --report-every` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceDto>,
    /// The interval an interval report covers (`live --report-every` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalDto>,
}

/// What an interval report of `live --report-every` covers: findings,
/// rings and link transitions that began, changed or were open in
/// [start, end]; every other figure is cumulative (and bounded by the
/// engine's caps). The final report (`final`: true) is the whole run's.
#[derive(Debug, Clone, Serialize)]
pub struct IntervalDto {
    pub start: f64,
    pub end: f64,
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Findings and rings of the whole run so far.
    pub findings_total: u64,
    pub memberships_total: u64,
}

/// The parts only some runs add to a report.
#[derive(Debug, Default)]
pub struct Extras {
    pub source: Option<SourceDto>,
    pub interval: Option<IntervalDto>,
    /// What the input let corowire see (the verdict says what it could not).
    pub coverage: Option<crate::analysis::Coverage>,
    /// List only findings of at least this severity (the verdict still
    /// weighs them all).
    pub min_severity: Option<crate::analysis::Severity>,
    /// Text: the verdict, the nodes and the findings only, no tables.
    pub brief: bool,
}

#[derive(Debug, Serialize)]
pub struct SourceDto {
    /// "live", "stdin" or "file".
    pub kind: &'static str,
    pub name: String,
    /// Frames read from the source, corosync or not.
    pub frames: u64,
    /// libpcap's counters; None (null: n/a) for files and stdin.
    pub pcap_stats: Option<PcapStatsDto>,
}

/// libpcap's `pcap_stats`, cumulative since the capture opened.
#[derive(Debug, Serialize)]
pub struct PcapStatsDto {
    /// Packets that passed the kernel filter (dropped ones included).
    pub received: u64,
    /// Dropped because the capture buffer was full.
    pub dropped: u64,
    /// Dropped by the interface or its driver.
    pub if_dropped: u64,
}

#[derive(Debug, Serialize)]
pub struct VerdictDto {
    /// "ok", "warning", "critical" or "inconclusive".
    pub severity: &'static str,
    pub summary: String,
    pub exit_code: i32,
    /// Why (part of) the input could not be judged.
    pub not_seen: Vec<String>,
    /// What could not be judged although the input was read.
    pub blind_spots: Vec<String>,
    /// Index into `incidents` of the one the summary names.
    pub incident: Option<usize>,
}

impl From<super::Verdict> for VerdictDto {
    fn from(v: super::Verdict) -> Self {
        VerdictDto {
            severity: v.severity,
            summary: v.summary,
            exit_code: v.exit_code,
            not_seen: v.not_seen,
            blind_spots: v.blind_spots,
            incident: v.incident,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CaptureDto {
    pub first_ts: Option<f64>,
    pub last_ts: f64,
    pub duration_s: f64,
    pub packets: u64,
    pub bytes: u64,
    pub opaque_packets: u64,
    pub vantage_node: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct BudgetsDto {
    pub nodes: u32,
    pub token_ms: u32,
    pub token_warning_ms: u32,
    pub token_retransmit_ms: u32,
    pub hold_ms: u32,
    pub consensus_ms: u32,
    pub ping_interval_ms: u32,
    pub ping_spacing_ms: u32,
    pub ping_timeout_ms: u32,
    pub pong_count: u32,
    pub loss_warning_pct: f64,
    /// Where the budgets come from, for people ("corosync.conf", "corosync
    /// 3.1 defaults for the nodes seen").
    pub origin: String,
    /// Per value: the config file's name, `flag`, `default` or `wire`.
    pub sources: BudgetSourcesDto,
    /// The budgets checked against the wire.
    pub wire: WireDto,
}

/// What the wire shows of the budgets, and where it contradicts them.
#[derive(Debug, Serialize)]
pub struct WireDto {
    pub ping_spacing_ms: Option<u32>,
    pub spacing_paths: u32,
    pub paths_measured: u32,
    pub hold_node: Option<u32>,
    pub hold_ms: Option<f64>,
    pub holds: u64,
    pub token_from_hold_ms: Option<u32>,
    pub checked_token_ms: u32,
    pub checked_spacing_ms: u32,
    pub contradictions: Vec<String>,
    pub used: Vec<String>,
}

/// Where each budget came from.
#[derive(Debug, Serialize)]
pub struct BudgetSourcesDto {
    pub token: String,
    pub consensus: String,
    pub ping_interval: String,
    pub ping_timeout: String,
    pub pong_count: String,
}

#[derive(Debug, Serialize)]
pub struct NodeDto {
    pub id: u16,
    /// From the configuration, when given.
    pub name: Option<String>,
    pub addrs: Vec<String>,
    pub packets: u64,
    pub max_gap_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct RttDto {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub min: u64,
    pub mean: f64,
    pub samples: u64,
}

impl From<Quantiles> for RttDto {
    fn from(q: Quantiles) -> Self {
        RttDto {
            p50: q.p50,
            p90: q.p90,
            p99: q.p99,
            max: q.max,
            min: q.min,
            mean: q.mean,
            samples: q.count,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TransitionDto {
    pub ts: f64,
    pub state: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CountDto {
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Serialize)]
pub struct LinkDto {
    pub src_node: Option<u16>,
    pub dst_node: Option<u16>,
    pub src_addr: String,
    pub dst_addr: String,
    pub link: u8,
    /// Ping→pong time at the capture point, µs.
    pub rtt_us: Option<RttDto>,
    pub jitter_us: f64,
    /// "round_trip" or "responder_delay" (capture taken on dst).
    pub measures: &'static str,
    /// Estimated % of packets from src that never reached dst.
    pub loss_pct: f64,
    /// % of src's pings lost (missing from the cadence + unanswered).
    pub ping_loss_pct: f64,
    /// DATA copies that could have been missed: seen / lost before the capture point.
    pub data_copies_seen: u64,
    pub data_copies_lost: u64,
    /// Packets by IP size class, with the latency of that size where measured.
    pub size_buckets: Vec<SizeBucketDto>,
    /// Pongs by RTT, in log-spaced buckets.
    pub rtt_hist: Vec<RttBucketDto>,
    pub pings_sent: u64,
    pub pongs_received: u64,
    pub pings_unanswered: u64,
    pub pings_missing: u64,
    pub late_pongs: u64,
    /// Longest time without a pong for src's pings.
    pub max_silence_ms: f64,
    pub max_ping_gap_ms: f64,
    pub state: &'static str,
    pub downs: u64,
    pub transitions: Vec<TransitionDto>,
    /// Largest PMTUD size (IP length) acknowledged in the latest run.
    pub pmtu: Option<u16>,
    /// Smallest PMTU any PMTUD run acknowledged during the capture.
    pub pmtu_min: Option<u16>,
    pub pmtud_unanswered: Vec<u16>,
    pub icmp_too_big: u64,
    pub ip_fragments: u64,
    pub traffic: BTreeMap<&'static str, CountDto>,
    /// Several captures with one at each end only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_way: Option<OneWayDto>,
}

#[derive(Debug, Serialize)]
pub struct SizeBucketDto {
    /// Largest IP length of the class; None for the last class.
    pub max_bytes: Option<u32>,
    pub packets: u64,
    pub rtt_us_p50: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct RttBucketDto {
    /// Inclusive upper bound, µs; None for the open bucket above 2 s.
    pub max_us: Option<u64>,
    pub pongs: u64,
}

#[derive(Debug, Serialize)]
pub struct FindingDto {
    /// Its place in the report's findings (incidents refer to it).
    pub id: usize,
    pub kind: &'static str,
    pub severity: &'static str,
    pub start: f64,
    pub end: Option<f64>,
    pub src_node: Option<u16>,
    pub dst_node: Option<u16>,
    pub link: Option<u8>,
    pub direction: Option<&'static str>,
    pub message: String,
    pub evidence: BTreeMap<&'static str, f64>,
}

/// Findings that overlap in time and share nodes, with their cause.
#[derive(Debug, Serialize)]
pub struct IncidentDto {
    pub start: f64,
    pub end: Option<f64>,
    pub severity: &'static str,
    /// `host_stall`, `link_cut`, `mtu`, `loss`, `latency`, `link_flaps`, …
    pub cause: &'static str,
    pub summary: String,
    pub nodes: Vec<u16>,
    /// Ids of the findings under it.
    pub findings: Vec<usize>,
    /// What corosync did: link downs, token lost, rings formed.
    pub corosync: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MembershipDto {
    pub ts: f64,
    pub ring_id: String,
    pub members: Vec<u32>,
    pub members_inferred: bool,
    pub left: Vec<u32>,
    pub joined: Vec<u32>,
    /// The later ring whose commit token named this one (it formed
    /// earlier, unseen).
    pub named_by: Option<String>,
    /// "operational", "attempt" (never became operational: a later ring
    /// replaced it) or "forming".
    pub state: &'static str,
    /// When it showed it was working (for a ring formed before the
    /// capture: when first seen).
    pub operational_ts: Option<f64>,
    /// For a ring formed in the capture: when the ring its representative
    /// came from was last seen working (no working ring from then until
    /// `operational_ts`), and the failed attempts in between.
    pub no_ring_since: Option<f64>,
    pub attempts: u32,
}

#[derive(Debug, Serialize)]
pub struct RotationDto {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    pub samples: u64,
}

#[derive(Debug, Serialize)]
pub struct TotemDto {
    pub token_rotation_ms: Option<RotationDto>,
    /// node id → token hold time at that node.
    pub hold_ms: BTreeMap<u32, RotationDto>,
    pub token_retransmits: u64,
    pub rtr_max: u32,
    pub tokens: u64,
    pub tokens_with_rtr: u64,
    pub mcasts: u64,
    pub mcast_retransmits: u64,
    pub joins: u64,
    pub commit_tokens: u64,
    pub max_backlog: u32,
    /// link id → totem DATA packets carried.
    pub data_by_link: BTreeMap<u8, u64>,
}

#[derive(Debug, Serialize)]
pub struct OverflowDto {
    pub paths: u64,
    pub nodes: u64,
    pub addrs: u64,
    pub pending_pings: u64,
    pub findings: u64,
    pub memberships: u64,
}

fn link_dto(l: &LinkView) -> LinkDto {
    LinkDto {
        src_node: l.src_node,
        dst_node: l.dst_node,
        src_addr: l.src_addr.to_string(),
        dst_addr: l.dst_addr.to_string(),
        link: l.link,
        rtt_us: l.rtt_us.map(RttDto::from),
        jitter_us: l.jitter_us,
        measures: match l.measures {
            crate::analysis::Measures::RoundTrip => "round_trip",
            crate::analysis::Measures::ResponderDelay => "responder_delay",
        },
        loss_pct: l.loss_pct,
        ping_loss_pct: l.ping_loss_pct,
        data_copies_seen: l.data_copies_seen,
        data_copies_lost: l.data_copies_lost,
        size_buckets: l
            .size_buckets
            .iter()
            .map(|b| SizeBucketDto {
                max_bytes: b.max_bytes,
                packets: b.packets,
                rtt_us_p50: b.rtt_us_p50,
            })
            .collect(),
        rtt_hist: l
            .rtt_hist
            .iter()
            .enumerate()
            .map(|(i, &pongs)| RttBucketDto {
                max_us: RTT_BUCKETS_US.get(i).copied(),
                pongs,
            })
            .collect(),
        pings_sent: l.pings_sent,
        pongs_received: l.pongs_received,
        pings_unanswered: l.pings_unanswered,
        pings_missing: l.pings_missing,
        late_pongs: l.late_pongs,
        max_silence_ms: l.max_silence_ms,
        max_ping_gap_ms: l.max_ping_gap_ms,
        state: l.state.name(),
        downs: l.downs,
        transitions: l
            .transitions
            .iter()
            .map(|t| TransitionDto {
                ts: secs(t.ts),
                state: if t.up { "up" } else { "down" },
            })
            .collect(),
        pmtu: l.pmtu,
        pmtu_min: l.pmtu_min,
        pmtud_unanswered: l.pmtud_unanswered.clone(),
        icmp_too_big: l.icmp_too_big,
        ip_fragments: l.ip_fragments,
        traffic: TRAFFIC_TYPES
            .iter()
            .zip(l.traffic.iter())
            .filter(|(_, c)| c.packets > 0)
            .map(|(n, c)| {
                (
                    *n,
                    CountDto {
                        packets: c.packets,
                        bytes: c.bytes,
                    },
                )
            })
            .collect(),
        one_way: None,
    }
}

/// Builds the JSON document of a snapshot.
pub fn to_dto(s: &Snapshot) -> ReportDto {
    to_dto_multi(s, None)
}

/// Builds the JSON document of a snapshot and, with several captures, their
/// clocks and one-way figures.
pub fn to_dto_multi(s: &Snapshot, m: Option<&MultiView>) -> ReportDto {
    let th = &s.thresholds;
    ReportDto {
        format: JSON_FORMAT,
        verdict: super::judge(s, None).into(),
        capture: CaptureDto {
            first_ts: s.first_ts.map(secs),
            last_ts: secs(s.now),
            duration_s: s.first_ts.map_or(0.0, |f| secs(s.now - f)),
            packets: s.packets,
            bytes: s.bytes,
            opaque_packets: s.opaque_packets,
            vantage_node: s.vantage,
        },
        budgets: budgets_dto(th, &s.wire),
        nodes: s
            .nodes
            .iter()
            .map(|n| NodeDto {
                id: n.id,
                name: s.node_name(n.id).map(str::to_string),
                addrs: n.addrs.iter().map(|a| a.to_string()).collect(),
                packets: n.packets,
                max_gap_ms: n.max_gap_ms,
            })
            .collect(),
        links: s
            .links
            .iter()
            .map(|l| {
                let mut d = link_dto(l);
                d.one_way = m
                    .and_then(|m| m.one_way_for(l.src_addr, l.dst_addr))
                    .map(OneWayDto::from);
                d
            })
            .collect(),
        incidents: incidents_dto(s),
        findings: findings_dto(s),
        membership: s
            .membership
            .iter()
            .map(|m| MembershipDto {
                ts: secs(m.ts),
                ring_id: m.ring_id.clone(),
                members: m.members.clone(),
                members_inferred: m.members_inferred,
                left: m.left.clone(),
                joined: m.joined.clone(),
                named_by: m.named_by.clone(),
                state: m.state.name(),
                operational_ts: m.operational_at.map(secs),
                no_ring_since: m.down_since.map(secs),
                attempts: m.attempts,
            })
            .collect(),
        totem: totem_dto(s),
        what_if: what_if_dto(s),
        overflow: OverflowDto {
            paths: s.overflow.paths,
            nodes: s.overflow.nodes,
            addrs: s.overflow.addrs,
            pending_pings: s.overflow.pending_pings,
            findings: s.overflow.findings,
            memberships: s.overflow.memberships,
        },
        captures: captures_dto(m),
        clock_pairs: clock_pairs_dto(m),
        source: None,
        interval: None,
    }
}

/// `corowire tune --format json`: the report's verdict, budgets,
/// incidents and what-if budgets.
#[derive(Debug, Serialize)]
pub struct TuneDto {
    pub format: &'static str,
    pub verdict: VerdictDto,
    pub budgets: BudgetsDto,
    pub incidents: Vec<IncidentDto>,
    pub what_if: WhatIfDto,
}

/// `corowire tune`'s JSON format name.
pub const TUNE_FORMAT: &str = "corowire-tune/1";

pub(super) fn write_tune_json(
    s: &Snapshot,
    cov: Option<&crate::analysis::Coverage>,
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let dto = TuneDto {
        format: TUNE_FORMAT,
        verdict: super::judge(s, cov).into(),
        budgets: budgets_dto(&s.thresholds, &s.wire),
        incidents: incidents_dto(s),
        what_if: what_if_dto(s),
    };
    serde_json::to_writer_pretty(&mut *w, &dto).map_err(std::io::Error::other)?;
    writeln!(w)
}

/// What would have ridden each incident out, and the headroom.
#[derive(Debug, Serialize)]
pub struct WhatIfDto {
    pub margin: f64,
    pub incidents: Vec<IncidentWhatIfDto>,
    pub headroom: HeadroomDto,
}

#[derive(Debug, Serialize)]
pub struct IncidentWhatIfDto {
    pub incident: usize,
    pub token_gap_ms: Option<f64>,
    pub stall_ms: Option<f64>,
    pub silence_ms: Option<f64>,
    pub min_token_ms: Option<u32>,
    pub min_consensus_ms: Option<u32>,
    pub min_ping_timeout_ms: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct HeadroomDto {
    pub token_gap_ms: Option<f64>,
    pub silence_ms: Option<f64>,
    pub rtt_p99_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    pub lowest_token_ms: Option<u32>,
    pub lowest_consensus_ms: Option<u32>,
    pub lowest_ping_timeout_ms: Option<u32>,
    pub lowest_ping_spacing_ms: Option<u32>,
}

fn round3(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1000.0).round() / 1000.0)
}

fn what_if_dto(s: &Snapshot) -> WhatIfDto {
    let wi = crate::analysis::what_if(s, &crate::analysis::incidents(s));
    let h = &wi.headroom;
    WhatIfDto {
        margin: crate::analysis::WHAT_IF_MARGIN,
        incidents: wi
            .incidents
            .iter()
            .map(|i| IncidentWhatIfDto {
                incident: i.incident,
                token_gap_ms: round3(i.token_gap_ms),
                stall_ms: round3(i.stall_ms),
                silence_ms: round3(i.silence_ms),
                min_token_ms: i.min_token_ms,
                min_consensus_ms: i.min_consensus_ms,
                min_ping_timeout_ms: i.min_ping_timeout_ms,
            })
            .collect(),
        headroom: HeadroomDto {
            token_gap_ms: round3(h.token_gap_ms),
            silence_ms: round3(h.silence_ms),
            rtt_p99_ms: round3(h.rtt_p99_ms),
            rtt_max_ms: round3(h.rtt_max_ms),
            lowest_token_ms: h.lowest_token_ms,
            lowest_consensus_ms: h.lowest_consensus_ms,
            lowest_ping_timeout_ms: h.lowest_ping_timeout_ms,
            lowest_ping_spacing_ms: h.lowest_ping_spacing_ms,
        },
    }
}

/// The budgets judged against, each value with its source.
fn budgets_dto(th: &crate::analysis::Thresholds, w: &crate::analysis::WireView) -> BudgetsDto {
    BudgetsDto {
        nodes: th.nodes,
        token_ms: th.token_ms,
        token_warning_ms: th.token_warning_ms,
        token_retransmit_ms: th.token_retransmit_ms,
        hold_ms: th.hold_ms,
        consensus_ms: th.consensus_ms,
        ping_interval_ms: th.ping_interval_ms,
        ping_spacing_ms: th.ping_spacing_ms,
        ping_timeout_ms: th.ping_timeout_ms,
        pong_count: th.pong_count,
        loss_warning_pct: th.loss_warning_pct,
        origin: th.origin.clone(),
        sources: {
            let (src, n) = (th.sources(), |s| th.source_name(s).to_string());
            BudgetSourcesDto {
                token: n(src.token),
                consensus: n(src.consensus),
                ping_interval: n(src.ping_interval),
                ping_timeout: n(src.ping_timeout),
                pong_count: n(src.pong_count),
            }
        },
        wire: WireDto {
            ping_spacing_ms: w.ping_spacing_ms,
            spacing_paths: w.spacing_paths,
            paths_measured: w.paths_measured,
            hold_node: w.hold_node,
            hold_ms: w.hold_ms.map(|h| (h * 1000.0).round() / 1000.0),
            holds: w.holds,
            token_from_hold_ms: w.token_from_hold_ms,
            checked_token_ms: w.checked_token_ms,
            checked_spacing_ms: w.checked_spacing_ms,
            contradictions: w.contradictions.clone(),
            used: w.used.clone(),
        },
    }
}

/// Token rotation and hold times, retransmits, message counts.
fn totem_dto(s: &Snapshot) -> TotemDto {
    TotemDto {
        token_rotation_ms: s.totem.token_rotation_us.map(|q| RotationDto {
            p50: q.p50 as f64 / 1000.0,
            p99: q.p99 as f64 / 1000.0,
            max: q.max as f64 / 1000.0,
            samples: q.count,
        }),
        hold_ms: s
            .totem
            .hold_us
            .iter()
            .map(|(n, q)| {
                (
                    *n,
                    RotationDto {
                        p50: q.p50 as f64 / 1000.0,
                        p99: q.p99 as f64 / 1000.0,
                        max: q.max as f64 / 1000.0,
                        samples: q.count,
                    },
                )
            })
            .collect(),
        token_retransmits: s.totem.token_retransmits,
        rtr_max: s.totem.rtr_max,
        tokens: s.totem.tokens,
        tokens_with_rtr: s.totem.tokens_with_rtr,
        mcasts: s.totem.mcasts,
        mcast_retransmits: s.totem.mcast_retransmits,
        joins: s.totem.joins,
        commit_tokens: s.totem.commit_tokens,
        max_backlog: s.totem.max_backlog,
        data_by_link: s.totem.data_by_link.iter().copied().collect(),
    }
}

/// Every finding with its window and evidence.
fn incidents_dto(s: &Snapshot) -> Vec<IncidentDto> {
    crate::analysis::incidents(s)
        .into_iter()
        .map(|i| IncidentDto {
            start: secs(i.start),
            end: i.end.map(secs),
            severity: i.severity.name(),
            cause: i.cause.name(),
            summary: i.cause.describe(),
            nodes: i.nodes,
            findings: i.findings,
            corosync: i.corosync,
        })
        .collect()
}

fn findings_dto(s: &Snapshot) -> Vec<FindingDto> {
    s.findings
        .iter()
        .enumerate()
        .map(|(id, f)| FindingDto {
            id,
            kind: f.kind.name(),
            severity: f.severity.name(),
            start: secs(f.start),
            end: f.end.map(secs),
            src_node: f.src_node,
            dst_node: f.dst_node,
            link: f.link,
            direction: f.direction.map(|d| d.name()),
            message: f.message.clone(),
            evidence: f.evidence.iter().copied().collect(),
        })
        .collect()
}

/// Writes the report as one pretty-printed JSON object and a newline.
pub fn write_json(s: &Snapshot, w: &mut impl Write) -> io::Result<()> {
    write_json_multi(s, None, w)
}

/// [`write_json`] with the several-captures keys when `m` is given.
pub fn write_json_multi(s: &Snapshot, m: Option<&MultiView>, w: &mut impl Write) -> io::Result<()> {
    write_json_with(s, m, Extras::default(), Layout::Pretty, w)
}

/// The severity a finding's name stands for.
fn severity_rank(name: &str) -> crate::analysis::Severity {
    use crate::analysis::Severity;
    match name {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

/// Pretty-printed (a report) or on one line (a stream of interval reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Pretty,
    Line,
}

/// The report with every optional part: several captures' keys, the
/// source's counters, the interval.
pub fn write_json_with(
    s: &Snapshot,
    m: Option<&MultiView>,
    extras: Extras,
    layout: Layout,
    w: &mut impl Write,
) -> io::Result<()> {
    let mut dto = to_dto_multi(s, m);
    if let Some(c) = &extras.coverage {
        dto.verdict = super::judge(s, Some(c)).into();
    }
    if let Some(min) = extras.min_severity {
        dto.findings.retain(|f| severity_rank(f.severity) >= min);
    }
    dto.source = extras.source;
    dto.interval = extras.interval;
    match layout {
        Layout::Pretty => serde_json::to_writer_pretty(&mut *w, &dto),
        Layout::Line => serde_json::to_writer(&mut *w, &dto),
    }
    .map_err(io::Error::other)?;
    writeln!(w)
}
