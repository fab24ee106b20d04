//! The commands. Each returns the process exit status or an error that
//! `main` prints; output goes to `io::Write`s so broken pipes end quietly.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use crate::capture::file::FileSource;
use crate::capture::merge::Merge;
use crate::capture::{CaptureError, PacketSource};
use crate::cli::{Cli, Command, DecodeArgs, InputArgs};
use crate::decode::{DecodeOptions, Decoder, Outcome, Ports};
use crate::output::{self, InputSummary};
use crate::wire::classify::Class;

/// Exit statuses (documented in the README).
pub mod exit {
    pub const OK: i32 = 0;
    /// Usage or input error.
    pub const ERROR: i32 = 1;
    /// The report has warnings.
    pub const WARNING: i32 = 3;
    /// The report has critical findings.
    pub const CRITICAL: i32 = 4;
}

/// An error that ends a command.
#[derive(Debug)]
pub enum AppError {
    Usage(String),
    Capture(CaptureError),
    Io(io::Error),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Usage(s) => f.write_str(s),
            AppError::Capture(e) => write!(f, "{e}"),
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

impl AppError {
    /// True for a closed stdout (`corowire decode x | head`): not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, AppError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<i32, AppError> {
    match cli.command {
        Command::Decode(a) => decode(&a),
        Command::Tui(a) => crate::tui::cmd::tui(&a),
        Command::Live(a) => crate::tui::cmd::live(&a),
    }
}

/// Opens the inputs: one file, or several merged on time.
pub fn open_inputs(
    files: &[PathBuf],
) -> Result<(Box<dyn PacketSource + Send>, Vec<String>), AppError> {
    let mut sources: Vec<Box<dyn PacketSource + Send>> = Vec::with_capacity(files.len());
    let mut names = Vec::with_capacity(files.len());
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(AppError::Usage("stdin ('-') can be given only once".into()));
    }
    for f in files {
        let s = FileSource::open(f).map_err(AppError::Capture)?;
        names.push(s.name().to_string());
        sources.push(Box::new(s));
    }
    if sources.len() == 1 {
        Ok((sources.pop().expect("one source"), names))
    } else {
        Ok((Box::new(Merge::new(sources)), names))
    }
}

fn decode_options(input: &InputArgs) -> Result<DecodeOptions, AppError> {
    let ports = Ports::parse(&input.ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
    Ok(DecodeOptions {
        ports,
        ..DecodeOptions::default()
    })
}

/// Per-packet problems are reported on stderr up to this many lines.
const MAX_NOTES: u64 = 20;

/// Reports a problem with a packet (file, packet number, offset) on stderr,
/// up to [`MAX_NOTES`] times.
struct Notes {
    shown: u64,
    suppressed: u64,
}

impl Notes {
    fn note(&mut self, msg: fmt::Arguments<'_>) {
        if self.shown < MAX_NOTES {
            self.shown += 1;
            eprintln!("corowire: {msg}");
        } else {
            self.suppressed += 1;
        }
    }
    fn finish(&self) {
        if self.suppressed > 0 {
            eprintln!(
                "corowire: {} more packet problems not shown (see the summary counts)",
                self.suppressed
            );
        }
    }
}

fn decode(a: &DecodeArgs) -> Result<i32, AppError> {
    let opts = decode_options(&a.input)?;
    let (mut src, names) = open_inputs(&a.input.files)?;
    let mut dec = Decoder::new(opts);
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = String::with_capacity(256);
    let mut input = InputSummary {
        files: names.clone(),
        ..InputSummary::default()
    };
    let mut notes = Notes {
        shown: 0,
        suppressed: 0,
    };
    let mut printed = 0u64;
    let per_packet = !a.summary_only;
    loop {
        match src.advance() {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                input.capture_errors += 1;
                eprintln!(
                    "corowire: {}: {e}",
                    if e.recoverable { "warning" } else { "error" }
                );
                if e.recoverable {
                    continue;
                }
                break;
            }
        }
        let f = src.frame();
        input.first_ts.get_or_insert(f.ts);
        input.last_ts = Some(f.ts);
        let name = names.get(f.source).map(String::as_str).unwrap_or("?");
        match dec.decode(&f) {
            Outcome::Corosync(p) => {
                if p.class == Class::Malformed {
                    if let Some(e) = &p.error {
                        notes.note(format_args!(
                            "{name}: packet {}: malformed: {e}",
                            f.packet_no
                        ));
                    }
                }
                if per_packet {
                    if a.json {
                        output::packet_json(&mut out, &p)?;
                    } else {
                        output::packet_line(&mut line, &p, a.epoch);
                        out.write_all(line.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                }
                printed += 1;
                if a.count.is_some_and(|c| printed >= c) {
                    break;
                }
            }
            Outcome::Undecodable(e) => {
                notes.note(format_args!("{name}: packet {}: {e}", f.packet_no))
            }
            _ => {}
        }
    }
    notes.finish();
    let st = src.stats();
    input.frames = st.frames;
    input.bytes = st.bytes;
    input.skipped_records = st.skipped;
    if a.summary_only {
        if a.json {
            output::summary_json(&mut out, &input, &dec.stats)?;
        } else {
            output::summary_text(&mut out, &input, &dec.stats)?;
        }
        out.flush()?;
    } else {
        out.flush()?;
        let mut err = io::stderr().lock();
        output::summary_text(&mut err, &input, &dec.stats)?;
    }
    Ok(exit::OK)
}
