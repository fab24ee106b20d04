//! The errors that end a command, and the exit statuses (documented in the
//! README). One place for both, so every command maps them alike.

use std::fmt;
use std::io;

use crate::capture::CaptureError;
use crate::config::ConfigError;

/// Exit statuses.
pub mod exit {
    pub const OK: i32 = 0;
    /// Usage or input error.
    pub const ERROR: i32 = 1;
    /// The report has warnings.
    pub const WARNING: i32 = 3;
    /// The report has critical findings.
    pub const CRITICAL: i32 = 4;
    /// Ended by SIGTERM, SIGINT or SIGHUP (128 + 15, as a shell reports it).
    pub const SIGNAL: i32 = 128 + 15;
}

/// An error that ends a command.
#[derive(Debug)]
pub enum AppError {
    Usage(String),
    Capture(CaptureError),
    Config(ConfigError),
    Io(io::Error),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Usage(s) => f.write_str(s),
            AppError::Capture(e) => write!(f, "{e}"),
            AppError::Config(e) => write!(f, "{e}"),
            AppError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Io(e)
    }
}

/// Writes a line to stderr, like `eprintln!`, but never panics: a closed or
/// full stderr (`2>&1 | head`, `2>/dev/full`) loses the line, not the run.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

/// The run's status after its output: a reader that went away early
/// (`corowire report | head`) does not change it.
pub fn status_after(written: io::Result<()>, status: i32) -> Result<i32, AppError> {
    match written {
        Ok(()) => Ok(status),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(status),
        Err(e) => Err(AppError::Io(e)),
    }
}

impl AppError {
    /// True for a closed stdout (`corowire decode x | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, AppError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}
