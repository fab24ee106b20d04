//! The commands (decode, report, tui, live, tune): each a thin layer over a [`crate::session::Session`] (or,
//! for `decode`, the decoder alone) and one output. No command imports
//! another; errors and exit statuses are [`crate::error`]'s.

mod decode;
mod live;
mod report;
mod tui;
mod tune;

use crate::cli::{Cli, Command};
use crate::error::AppError;

/// Runs a parsed command line; the process exit status.
pub fn run(cli: Cli) -> Result<i32, AppError> {
    match cli.command {
        Command::Decode(mut a) => {
            a.input.take_read();
            decode::run(&a)
        }
        Command::Tui(mut a) => {
            a.input.take_read();
            tui::run(&a)
        }
        Command::Live(a) => live::run(&a),
        Command::Report(mut a) => {
            a.input.take_read();
            report::run(&a)
        }
        Command::Tune(mut a) => {
            a.input.take_read();
            tune::run(&a)
        }
    }
}
