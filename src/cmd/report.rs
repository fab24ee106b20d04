//! `corowire report FILE...`: the whole session, then one report.

use std::io::{self, BufWriter, Write as _};

use crate::cli::ReportArgs;
use crate::error::{AppError, status_after};
use crate::session::Plan;

pub fn run(a: &ReportArgs) -> Result<i32, AppError> {
    let plan = Plan::new(&a.input.source, &a.input.files, &a.budgets, &a.time_shift)?;
    let mut session = plan.open()?;
    session.run_to_end();
    session.closing_notes();
    let snap = session.snapshot();
    let view = session.multi_view();
    let coverage = session.coverage();
    let status = crate::report::judge(&snap, Some(&coverage)).exit_code;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = crate::report::write(
        a.format,
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
