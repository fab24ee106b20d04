//! `corowire report FILE...`: the whole session, then one report.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::analysis::timeline::Timeline;
use crate::cli::{ReportArgs, ReportFormat};
use crate::error::{AppError, status_after};
use crate::session::{Plan, Session, thread_count};

pub fn run(a: &ReportArgs) -> Result<i32, AppError> {
    let plan = Plan::new(&a.input.source, &a.input.files, &a.budgets, &a.time_shift)?;
    let mut session = plan.open()?.threads(thread_count(a.threads));
    let Some(format) = a.format.report() else {
        return match a.format {
            ReportFormat::Html => html(a, &plan, session),
            _ => openmetrics(a, &plan, session),
        };
    };
    session.run_to_end();
    session.closing_notes();
    let snap = session.snapshot();
    let view = session.multi_view();
    let coverage = session.coverage();
    let status = crate::report::judge(&snap, Some(&coverage)).exit_code;
    let mut out = output(a)?;
    let written = crate::report::write(
        format,
        &snap,
        view.as_ref(),
        crate::report::Extras {
            coverage: Some(coverage),
            min_severity: a.min_severity.map(Into::into),
            brief: a.brief,
            ..Default::default()
        },
        crate::report::Layout::Pretty,
        &mut out,
    )
    .and_then(|()| out.flush());
    // `report | head` keeps the verdict's status (3, 4).
    status_after(written, status)
}

/// `--format openmetrics`: the run sampled once a second of capture time,
/// written with timestamps for a Prometheus backfill; the exit status is the
/// verdict's, as with the other formats.
fn openmetrics(a: &ReportArgs, plan: &Plan, mut session: Session) -> Result<i32, AppError> {
    let mut timeline = Timeline::default();
    session.run_to_end_sampled(&mut timeline);
    session.closing_notes();
    let coverage = session.coverage();
    let status = crate::report::judge(&session.snapshot(), Some(&coverage)).exit_code;
    let cluster = plan.config.as_ref().and_then(|c| c.cluster_name.as_deref());
    let mut out = output(a)?;
    let written =
        crate::metrics::write_backfill(timeline, cluster, &mut out).and_then(|()| out.flush());
    status_after(written, status)
}

/// `--format html`: the run sampled once a second (as for openmetrics),
/// then one page with the final snapshot's report and the plots, the
/// evidence's frame numbers found by reading the files once more.
fn html(a: &ReportArgs, plan: &Plan, mut session: Session) -> Result<i32, AppError> {
    let mut timeline = Timeline::default();
    session.run_to_end_sampled(&mut timeline);
    session.closing_notes();
    let snap = session.snapshot();
    let view = session.multi_view();
    let coverage = session.coverage();
    let status = crate::report::judge(&snap, Some(&coverage)).exit_code;
    // The evidence's frame numbers: the files read once more, times only.
    let frames = plan
        .frames(
            view.as_ref().map(|v| &v.clocks),
            crate::report::EvidenceFrames::spans(&snap),
        )?
        .map(|f| crate::report::EvidenceFrames::from_spans(&snap, f))
        .unwrap_or_default();
    let mut out = output(a)?;
    let written = crate::report::write_html(
        &snap,
        view.as_ref(),
        &timeline,
        &frames,
        crate::report::Extras {
            coverage: Some(coverage),
            min_severity: a.min_severity.map(Into::into),
            brief: a.brief,
            ..Default::default()
        },
        &mut out,
    )
    .and_then(|()| out.flush());
    status_after(written, status)
}

/// Where the report goes: `-o FILE` (created or truncated), else stdout.
fn output(a: &ReportArgs) -> Result<BufWriter<Box<dyn Write>>, AppError> {
    let w: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(File::create(p).map_err(|e| {
            AppError::Io(io::Error::new(e.kind(), format!("{}: {e}", p.display())))
        })?),
        None => Box::new(io::stdout().lock()),
    };
    Ok(BufWriter::new(w))
}
