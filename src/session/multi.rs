//! Several capture files of one cluster taken on different hosts: the two
//! passes over them (I/O here; the arithmetic is in
//! [`crate::analysis::multi`]).
//!
//! Pass 1 reads every file on its own and surveys the pings and pongs; the
//! clock estimate comes out of it. Pass 2 merges the files on corrected time
//! (each file's timestamps minus its offset) for the link analysis and the
//! one-way figures. Reading twice is why stdin cannot be one of several
//! files.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::analysis::multi::{ClockEstimate, ClockSurvey, MAX_CAPTURES};
use crate::capture::file::FileSource;
use crate::capture::merge::Merge;
use crate::capture::shift::Shifted;
use crate::capture::{PacketSource, RawFrame};
use crate::decode::{DecodeOptions, Decoder, Outcome};
use crate::error::AppError;

/// Parses `FILE=SECONDS`.
pub fn parse_time_shift(s: &str) -> Result<(PathBuf, i64), String> {
    let (file, secs) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("--time-shift {s}: expected FILE=SECONDS"))?;
    let v: f64 = secs
        .trim()
        .parse()
        .map_err(|_| format!("--time-shift {s}: {secs} is not a number of seconds"))?;
    if !v.is_finite() || v.abs() > 1e9 {
        return Err(format!("--time-shift {s}: out of range"));
    }
    Ok((PathBuf::from(file), (v * 1e9).round() as i64))
}

/// The shift of every file, in input order; a shift naming no input is an error.
pub fn shifts_for(files: &[PathBuf], args: &[String]) -> Result<Vec<i64>, AppError> {
    let mut out = vec![0i64; files.len()];
    for a in args {
        let (f, ns) = parse_time_shift(a).map_err(AppError::Usage)?;
        let Some(i) = files.iter().position(|x| x == &f) else {
            return Err(AppError::Usage(format!(
                "--time-shift: {} is not one of the input files",
                f.display()
            )));
        };
        out[i] = ns;
    }
    Ok(out)
}

/// A copy of the decoder options (one decoder per file in pass 1).
pub fn clone_options(o: &DecodeOptions) -> DecodeOptions {
    DecodeOptions {
        ports: o.ports.clone(),
        ip_defrag: o.ip_defrag,
        knet_defrag: o.knet_defrag,
        keys: o.keys.clone(),
        suites: o.suites.clone(),
    }
}

fn check(files: &[PathBuf]) -> Result<(), AppError> {
    if files.iter().any(|f| f.as_os_str() == "-") {
        return Err(AppError::Usage(
            "several captures are read twice (clocks first): stdin ('-') cannot be one of them"
                .into(),
        ));
    }
    if files.len() > MAX_CAPTURES {
        return Err(AppError::Usage(format!(
            "at most {MAX_CAPTURES} captures at once"
        )));
    }
    Ok(())
}

fn open_one(path: &Path, shift_ns: i64) -> Result<Box<dyn PacketSource + Send>, AppError> {
    let s = FileSource::open(path).map_err(AppError::Capture)?;
    super::check_linktype(&s)?;
    Ok(if shift_ns == 0 {
        Box::new(s)
    } else {
        Box::new(Shifted::new(Box::new(s), shift_ns))
    })
}

/// Pass 1: the clock offsets of the files (after their `shifts`).
/// `addrs` maps addresses to node ids (from corosync.conf).
pub fn survey(
    files: &[PathBuf],
    shifts: &[i64],
    opts: &DecodeOptions,
    addrs: &[(IpAddr, u16)],
) -> Result<ClockEstimate, AppError> {
    check(files)?;
    let mut survey = ClockSurvey::new(files.len());
    survey.set_addresses(addrs);
    for (i, f) in files.iter().enumerate() {
        let mut src = open_one(f, shifts.get(i).copied().unwrap_or(0))?;
        let mut dec = Decoder::new(clone_options(opts));
        // Errors are reported in pass 2.
        while let Ok(true) = src.advance_past_errors() {
            let fr = src.frame();
            let fr = RawFrame { source: i, ..fr };
            if let Outcome::Corosync(p) = dec.decode(&fr) {
                survey.observe(&p);
            }
        }
    }
    Ok(survey.finish())
}

/// Pass 2's input: the files merged on corrected time.
pub fn open_corrected(
    files: &[PathBuf],
    shifts: &[i64],
    est: &ClockEstimate,
) -> Result<(Box<dyn PacketSource + Send>, Vec<String>), AppError> {
    check(files)?;
    let mut sources: Vec<Box<dyn PacketSource + Send>> = Vec::with_capacity(files.len());
    let mut names = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let shift = shifts
            .get(i)
            .copied()
            .unwrap_or(0)
            .saturating_sub(est.correction_ns(i));
        let s = open_one(f, shift)?;
        names.push(s.name().to_string());
        sources.push(s);
    }
    Ok((Box::new(Merge::new(sources)), names))
}
