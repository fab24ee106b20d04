use std::process::ExitCode;

use clap::Parser;
use corowire::cli::Cli;
use corowire::cmd;
use corowire::error::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::ERROR as u8
            } else {
                exit::OK as u8
            });
        }
    };
    match cmd::run(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            corowire::say!("corowire: error: {e}");
            ExitCode::from(exit::ERROR as u8)
        }
    }
}
