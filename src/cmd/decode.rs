//! `corowire decode FILE...`: one line (or JSON object) per corosync
//! packet, like tcpdump, and a closing summary. No analysis.

use std::io::{self, BufWriter, IsTerminal, Write};

use crate::cli::DecodeArgs;
use crate::decode::{Decoder, Outcome};
use crate::error::{AppError, exit};
use crate::filter::Filter;
use crate::infer::{Inferrer, Record};
use crate::output::{self, InputSummary};
use crate::session::{Notes, Plan, crypto_verdict, open_inputs};
use crate::wire::classify::Class;

/// Moves to the next frame, reporting (and counting) capture errors on
/// stderr; false at the end of the input or after an error it cannot pass.
fn next_frame(src: &mut (dyn crate::capture::PacketSource + Send), errors: &mut u64) -> bool {
    loop {
        match src.advance() {
            Ok(more) => return more,
            Err(e) => {
                *errors += 1;
                crate::capture::note_error(&e, *errors, &mut io::stderr().lock());
                if !e.recoverable {
                    return false;
                }
            }
        }
    }
}

pub fn run(a: &DecodeArgs) -> Result<i32, AppError> {
    // A filter that does not parse is a usage error, before any input is read.
    let filter = match a.display_filter.as_deref() {
        Some(e) => Filter::parse(e).map_err(|e| AppError::Usage(format!("-Y: {e}")))?,
        None => Filter::default(),
    };
    let plan = Plan::new(&a.input.source, &[], &Default::default(), &[])?;
    let (mut src, names) = open_inputs(&a.input.files)?;
    let mut dec = Decoder::new(plan.decode_options());
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = String::with_capacity(256);
    let mut input = InputSummary {
        files: names.clone(),
        ..InputSummary::default()
    };
    let mut notes = Notes::default();
    let mut printed = 0u64;
    let mut inf = Inferrer::default();
    let per_packet = !a.summary_only;
    // A person or a pipe reading live: each line as soon as it is decoded.
    let line_mode = a.line_buffered || io::stdout().is_terminal();
    while next_frame(src.as_mut(), &mut input.capture_errors) {
        let f = src.frame();
        input.first_ts.get_or_insert(f.ts);
        input.last_ts = Some(f.ts);
        let name = names.get(f.source).map(String::as_str).unwrap_or("?");
        match dec.decode(&f) {
            Outcome::Corosync(p) if p.class == Class::Encrypted && p.knet.is_none() => {
                // No key for it: inferred from sizes and timing, printed
                // once its lookahead has passed (in order).
                inf.push(Record::of(&p));
                if emit_inferred(&mut inf, &mut out, &mut line, a, &filter, &mut printed)? {
                    break;
                }
                if line_mode {
                    out.flush()?;
                }
            }
            Outcome::Corosync(p) => {
                // Earlier encrypted packets go first (cleartext traffic
                // never fills the inferrer: nothing to do then).
                if inf.pending() > 0 {
                    inf.flush();
                    if emit_inferred(&mut inf, &mut out, &mut line, a, &filter, &mut printed)? {
                        break;
                    }
                }
                if p.class == Class::Malformed
                    && let Some(e) = &p.error
                {
                    notes.note(format_args!(
                        "{name}: packet {}: malformed: {e}",
                        f.packet_no
                    ));
                }
                // Not shown, not counted by -c; the summary counts it.
                if !filter.matches(&p) {
                    continue;
                }
                if per_packet {
                    if a.json {
                        output::packet_json(&mut out, &p)?;
                    } else {
                        output::packet_line(&mut line, &p, a.epoch);
                        out.write_all(line.as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                    if line_mode {
                        out.flush()?;
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
    inf.flush();
    emit_inferred(&mut inf, &mut out, &mut line, a, &filter, &mut printed)?;
    dec.stats.inferred = inf.stats.kinds;
    dec.finish();
    notes.finish();
    crypto_verdict(dec.decryptor(), plan.suite_auto, &plan.ports);
    let st = src.stats();
    input.frames = st.frames;
    input.bytes = st.bytes;
    input.skipped_records = st.skipped;
    input.skipped_bytes = st.skipped_bytes;
    summary(a, &input, &dec.stats, &mut out)?;
    Ok(exit::OK)
}

/// The closing summary: on stdout with `-s` (text or JSON), else on stderr
/// after the packets.
fn summary(
    a: &DecodeArgs,
    input: &InputSummary,
    stats: &crate::decode::DecodeStats,
    out: &mut impl Write,
) -> io::Result<()> {
    if a.summary_only {
        if a.json {
            output::summary_json(&mut *out, input, stats)?;
        } else {
            output::summary_text(&mut *out, input, stats)?;
        }
        return out.flush();
    }
    out.flush()?;
    // The summary on stderr is for people: a closed stderr loses it only.
    let _ = output::summary_text(&mut io::stderr().lock(), input, stats);
    Ok(())
}

/// Prints the inferences that are ready and match the filter; true when
/// `--count` is reached.
fn emit_inferred(
    inf: &mut Inferrer,
    out: &mut impl Write,
    line: &mut String,
    a: &DecodeArgs,
    filter: &Filter,
    printed: &mut u64,
) -> Result<bool, AppError> {
    if a.count.is_some_and(|c| *printed >= c) {
        return Ok(true);
    }
    while let Some((r, i)) = inf.pop() {
        if !filter.matches_inferred(&r, &i) {
            continue;
        }
        if !a.summary_only {
            if a.json {
                output::inferred_json(out, &r, &i)?;
            } else {
                output::inferred_line(line, &r, &i, a.epoch);
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
            }
        }
        *printed += 1;
        if a.count.is_some_and(|c| *printed >= c) {
            return Ok(true);
        }
    }
    Ok(false)
}
