//! `corowire tui FILE...`: the session paced by capture time, in the
//! terminal UI.

use crate::cli::TuiArgs;
use crate::error::{AppError, exit};
use crate::session::Plan;
use crate::tui::driver::{Pipeline, Reopen};
use crate::tui::model::Speed;
use crate::tui::run::Exit;

pub fn run(a: &TuiArgs) -> Result<i32, AppError> {
    let speed = Speed::parse(&a.speed).map_err(AppError::Usage)?;
    let plan = Plan::new(&a.input.source, &a.input.files, &a.budgets, &[])?;
    let p = Pipeline::new(plan.open()?);
    let stdin = a.input.files.iter().any(|f| f.as_os_str() == "-");
    // Backward seeks replay the files from the start with the same plan.
    let reopen: Option<Reopen> =
        (!stdin).then(|| Box::new(move || plan.open().ok().map(Pipeline::new)) as Reopen);
    Ok(match crate::tui::interactive(p, speed, true, reopen)? {
        Exit::Signal => exit::SIGNAL,
        _ => exit::OK,
    })
}
