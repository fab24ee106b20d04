//! `corowire tune FILE...`: the whole session, then the what-if budgets
//! (the report's head, incidents and WHAT IF). Advisory: exit 0 unless the
//! input could not be read.

use std::io::{self, BufWriter, Write as _};

use crate::cli::TuneArgs;
use crate::error::{AppError, status_after};
use crate::session::{Plan, thread_count};

pub fn run(a: &TuneArgs) -> Result<i32, AppError> {
    let plan = Plan::new(&a.input.source, &a.input.files, &a.budgets, &a.time_shift)?;
    let mut session = plan.open()?.threads(thread_count(a.threads));
    session.run_to_end();
    session.closing_notes();
    let snap = session.snapshot();
    let coverage = session.coverage();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let written = crate::report::write_tune(a.format, &snap, Some(&coverage), &mut out)
        .and_then(|()| out.flush());
    status_after(written, 0)
}
