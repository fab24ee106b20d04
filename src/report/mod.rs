//! Report writers over a [`Snapshot`]: readable text (100 columns), JSON,
//! and a self-contained HTML page with plots (over the run's timeline too).
//! The serde DTOs live here, not in `analysis`.
//!
//! Exit status ([`judge`]): 0 no warning, 2 inconclusive (part of the input
//! could not be judged), 3 warnings, 4 critical findings (1 for usage /
//! input errors is the CLI's).

mod html;
mod json;
#[cfg(test)]
mod snapshot_tests;
mod text;

use std::io::{self, Write};

use crate::analysis::multi::MultiView;
use crate::analysis::{Coverage, Incident, Severity, Snapshot, incidents};

pub use html::{EvidenceFrames, write_html};
pub use json::{
    Extras, IntervalDto, JSON_FORMAT, Layout, PcapStatsDto, ReportDto, SourceDto, to_dto,
    to_dto_multi, write_json, write_json_multi, write_json_with,
};
pub use text::{write_text, write_text_multi};

/// The least severity a report lists (`--min-severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    Info,
    Warning,
    Critical,
}

impl From<Level> for Severity {
    fn from(l: Level) -> Severity {
        match l {
            Level::Info => Severity::Info,
            Level::Warning => Severity::Warning,
            Level::Critical => Severity::Critical,
        }
    }
}

/// Output format of a report (`report --format`, `live --report-every`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people and tickets.
    Text,
    /// For scripts (schema in the README).
    Json,
}

/// Writes one report in `format`: the one dispatch every command uses.
/// `extras` (the capture source's counters, the interval) go into JSON,
/// the interval into text too; `layout` says whether JSON is pretty or one
/// line (a stream of interval reports).
pub fn write(
    format: Format,
    s: &Snapshot,
    m: Option<&MultiView>,
    extras: Extras,
    layout: Layout,
    w: &mut impl Write,
) -> io::Result<()> {
    match format {
        Format::Text => {
            if let Some(i) = extras.interval.as_ref().filter(|i| !i.is_final) {
                writeln!(
                    w,
                    "INTERVAL {} - {} UTC: findings and rings new, changed or open in it \
                     ({} findings, {} rings in the whole run)",
                    fmt_time((i.start * 1e9) as i64),
                    fmt_time((i.end * 1e9) as i64),
                    i.findings_total,
                    i.memberships_total
                )?;
            }
            text::write_text_with(s, m, &extras, w)
        }
        Format::Json => write_json_with(s, m, extras, layout, w),
    }
}

/// The what-if view (`corowire tune`): the report's head, its incidents
/// and the what-if budgets, as text or JSON.
pub fn write_tune(
    format: Format,
    s: &Snapshot,
    cov: Option<&Coverage>,
    w: &mut impl Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write_tune(s, cov, w),
        Format::Json => json::write_tune_json(s, cov, w),
    }
}

/// The verdict on findings and what the input let corowire see.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// "ok", "warning", "critical" or "inconclusive".
    pub severity: &'static str,
    pub summary: String,
    pub exit_code: i32,
    /// Why (part of) the input could not be judged.
    pub not_seen: Vec<String>,
    /// What could not be judged although the input was read.
    pub blind_spots: Vec<String>,
    /// The incident the summary names (index into `incidents`).
    pub incident: Option<usize>,
}

/// Exit status of an inconclusive verdict: corowire could not judge.
pub const EXIT_INCONCLUSIVE: i32 = 2;

/// The verdict: a critical finding wins; otherwise, when part of the input
/// could not be read or judged (no corosync packets, unread records,
/// capture drops, snaplen cuts), INCONCLUSIVE with the reasons; otherwise
/// the findings' verdict. Without coverage (a snapshot alone), the
/// findings' verdict.
pub fn judge(s: &Snapshot, cov: Option<&Coverage>) -> Verdict {
    let incs = incidents(s);
    let (severity, summary) = verdict_of(s, &incs);
    let incident = worst_incident_index(&incs);
    let code = exit_code(s);
    let not_seen = cov.map(Coverage::gaps).unwrap_or_default();
    let blind_spots = cov.map(Coverage::blind_spots).unwrap_or_default();
    if not_seen.is_empty() || code == 4 {
        return Verdict {
            severity,
            summary,
            exit_code: code,
            not_seen,
            blind_spots,
            incident,
        };
    }
    let judged = if s.packets == 0 {
        "nothing judged".to_string()
    } else {
        match severity {
            "warning" => format!("what was read: {summary}"),
            _ => "no warning in what was read".to_string(),
        }
    };
    Verdict {
        severity: "inconclusive",
        summary: format!("{}; {judged}", not_seen.join("; ")),
        exit_code: EXIT_INCONCLUSIVE,
        not_seen,
        blind_spots,
        incident,
    }
}

/// 0 = no warning, 3 = at least one warning, 4 = at least one critical finding.
pub fn exit_code(s: &Snapshot) -> i32 {
    match s.worst() {
        Some(Severity::Critical) => 4,
        Some(Severity::Warning) => 3,
        _ => 0,
    }
}

/// The incident the verdict names: the worst by severity; of those, one
/// that corosync reacted to (a knet link down, a token lost, a ring
/// re-formed: what threatened membership) before one it rode out; the
/// earliest of those.
pub fn worst_incident(incs: &[Incident]) -> Option<&Incident> {
    worst_incident_index(incs).map(|i| &incs[i])
}

/// The index of [`worst_incident`] in `incs`.
pub fn worst_incident_index(incs: &[Incident]) -> Option<usize> {
    incs.iter()
        .enumerate()
        .filter(|(_, i)| i.severity >= Severity::Warning)
        .min_by_key(|(_, i)| {
            (
                std::cmp::Reverse(i.severity),
                i.corosync.is_empty(),
                i.start,
            )
        })
        .map(|(k, _)| k)
}

/// One-line verdict: the worst incident's cause and time.
pub fn verdict(s: &Snapshot) -> (&'static str, String) {
    verdict_of(s, &incidents(s))
}

/// [`verdict`] from the snapshot's incidents `incs`, already grouped.
fn verdict_of(s: &Snapshot, incs: &[Incident]) -> (&'static str, String) {
    let count = |sev| s.findings.iter().filter(|f| f.severity == sev).count();
    let (c, w) = (count(Severity::Critical), count(Severity::Warning));
    let story = worst_incident(incs).map(|i| {
        format!(
            "{} at {} ({} incident{}; {c} critical, {w} warning findings)",
            i.cause.describe(),
            fmt_time(i.start),
            incs.len(),
            if incs.len() == 1 { "" } else { "s" }
        )
    });
    let (severity, summary) = findings_verdict(s, story);
    match wire_verdict(s) {
        Some(w) => (severity, format!("{summary}; {w}")),
        None => (severity, summary),
    }
}

/// What the verdict says when the wire contradicts the budgets.
fn wire_verdict(s: &Snapshot) -> Option<String> {
    let v = &s.wire;
    if v.contradictions.is_empty() {
        None
    } else if !v.used.is_empty() {
        Some(
            "budgets read from the wire: it contradicts corosync's defaults (give --corosync-conf)"
                .into(),
        )
    } else if s.thresholds.config_file.is_some() {
        Some("the wire contradicts the configuration's budgets".into())
    } else {
        Some("the wire contradicts the budgets (give --corosync-conf)".into())
    }
}

fn findings_verdict(s: &Snapshot, story: Option<String>) -> (&'static str, String) {
    match s.worst() {
        Some(Severity::Critical) => (
            "critical",
            format!(
                "membership lost or threatened: {}",
                story.unwrap_or_default()
            ),
        ),
        Some(Severity::Warning) => ("warning", story.unwrap_or_default()),
        _ if s.packets == 0 => ("ok", "no corosync traffic seen".to_string()),
        _ => match s.vantage {
            // A node's capture holds only that node's paths: say so.
            Some(v) => (
                "ok",
                format!(
                    "no warning on node {v}'s paths: links and token within their budgets \
                     (captured on node {v}: the other nodes' paths are not in it)"
                ),
            ),
            None => (
                "ok",
                "no warning: links and token within their budgets".to_string(),
            ),
        },
    }
}

/// Epoch ns → "YYYY-MM-DD HH:MM:SS.mmm" (UTC).
pub(crate) fn fmt_datetime(ns: i64) -> String {
    crate::timefmt::datetime(ns, crate::timefmt::Precision::Milli)
}

/// Epoch ns → "HH:MM:SS.mmm" (UTC).
pub(crate) fn fmt_time(ns: i64) -> String {
    crate::timefmt::clock(ns, crate::timefmt::Precision::Milli)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime() {
        assert_eq!(fmt_datetime(0), "1970-01-01 00:00:00.000");
        // 1795318789.337653 s = 2026-11-22 03:39:49.337 UTC (truth file of the lab)
        assert_eq!(
            fmt_datetime(1_795_318_789_337_653_000),
            "2026-11-22 03:39:49.337"
        );
        assert_eq!(fmt_time(951_782_400_000_000_000 + 1), "00:00:00.000"); // 2000-02-29
        assert_eq!(
            fmt_datetime(951_782_400_000_000_000),
            "2000-02-29 00:00:00.000"
        );
    }
}
