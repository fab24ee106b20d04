//! The commands. Each returns the process exit status or an error that
//! `main` prints; output goes to `io::Write`s so broken pipes end quietly.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use crate::analysis::multi::{Admit, ClockEstimate, MultiView, OneWay};
use crate::analysis::{Engine, Thresholds};
use crate::capture::file::FileSource;
use crate::capture::merge::Merge;
use crate::capture::shift::Shifted;
use crate::capture::{CaptureError, PacketSource};
use crate::cli::{BudgetArgs, Cli, Command, DecodeArgs, ReportArgs, ReportFormat, SourceArgs};
use crate::config::{BudgetOverrides, Budgets, CorosyncVersion};
use crate::config::{ClusterConfig, ConfigError, load_authkey, load_corosync_conf};
use crate::decode::{DecodeOptions, Decoder, Outcome, Ports};
use crate::feed::{Feed, link0_port};
use crate::infer::{Inferrer, Record};
use crate::output::{self, InputSummary};
use crate::wire::classify::Class;
use crate::wire::crypto::{AuthKey, CryptoSuite, Decryptor};

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
        Command::Report(a) => report(&a),
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

/// What the input options set up: decoder options (ports, keys, suites)
/// and the cluster configuration when one was given.
#[derive(Debug)]
pub struct Setup {
    pub decode: DecodeOptions,
    pub config: Option<ClusterConfig>,
    /// True when the crypto suite is found by trying.
    pub suite_auto: bool,
}

/// Reads the configuration and keys the input options name.
pub fn setup(input: &SourceArgs) -> Result<Setup, AppError> {
    let ports = Ports::parse(&input.ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
    let mut config = match &input.corosync_conf {
        Some(p) => Some(load_corosync_conf(p).map_err(AppError::Config)?),
        None => None,
    };
    let mut keys: Vec<AuthKey> = Vec::new();
    for p in &input.authkeys {
        let loaded = load_authkey(p).map_err(AppError::Config)?;
        if let Some(w) = loaded.warning {
            eprintln!("corowire: warning: {w}");
        }
        keys.push(loaded.key);
    }
    if keys.is_empty() {
        if let Some(c) = config.as_mut() {
            // The config's inline key, else its keyfile when we may read it.
            if let Some(k) = c.key.take() {
                keys.push(k);
            } else if let Some(kf) = c.keyfile.clone() {
                match load_authkey(&kf) {
                    Ok(l) => keys.push(l.key),
                    Err(e) => eprintln!("corowire: note: keyfile from the config not used: {e}"),
                }
            }
        }
    }
    let suites = match (&input.crypto_cipher, &input.crypto_hash) {
        (None, None) => match &config {
            Some(c) if c.crypto_cipher.is_some() || c.crypto_hash.is_some() => {
                vec![c.crypto_suite().map_err(AppError::Config)?]
            }
            _ => Vec::new(),
        },
        (c, h) => {
            let suite = CryptoSuite::from_names(
                c.as_deref().unwrap_or("aes256"),
                h.as_deref().unwrap_or("sha256"),
            )
            .map_err(|e| AppError::Usage(format!("--crypto-cipher/--crypto-hash: {e}")))?;
            vec![suite]
        }
    };
    let suite_auto = suites.is_empty();
    Ok(Setup {
        decode: DecodeOptions {
            ports,
            keys,
            suites,
            ..DecodeOptions::default()
        },
        config,
        suite_auto,
    })
}

/// One message about decryption at the end of a run (not one per packet).
pub fn crypto_verdict(d: Option<&Decryptor>, suite_auto: bool, ports: &str) {
    let Some(d) = d else { return };
    let st = d.stats();
    if st.nothing_authenticated() {
        eprintln!(
            "corowire: the authkey authenticates 0 of {} packets on ports {ports}: wrong key or crypto_hash?",
            st.packets
        );
    } else if let Some(m) = st.best_match() {
        if suite_auto {
            eprintln!(
                "corowire: found crypto_cipher {} / crypto_hash {} by trying ({} of {} packets opened)",
                m.suite.cipher, m.suite.hash, st.decrypted, st.packets
            );
        }
        let failed = st
            .packets
            .saturating_sub(st.decrypted + st.bad_padding + st.implausible);
        if st.bad_padding + st.implausible > 0 {
            eprintln!(
                "corowire: {} encrypted packets were authenticated by the key but could not be decrypted (bad padding {}, not a valid cleartext {}): counted as malformed",
                st.bad_padding + st.implausible,
                st.bad_padding,
                st.implausible
            );
        }
        if failed > 0 {
            eprintln!(
                "corowire: {failed} of {} encrypted packets were not authenticated by any key",
                st.packets
            );
        }
    }
}

/// Moves to the next frame, reporting (and counting) capture errors on
/// stderr; false at the end of the input or after an error it cannot pass.
fn next_frame(src: &mut (dyn PacketSource + Send), errors: &mut u64) -> bool {
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
    let setup = setup(&a.input.source)?;
    let (mut src, names) = open_inputs(&a.input.files)?;
    let mut dec = Decoder::new(setup.decode);
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
    let mut inf = Inferrer::default();
    let per_packet = !a.summary_only;
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
                if emit_inferred(&mut inf, &mut out, &mut line, a, &mut printed)? {
                    break;
                }
            }
            Outcome::Corosync(p) => {
                // Earlier encrypted packets go first (cleartext traffic
                // never fills the inferrer: nothing to do then).
                if inf.pending() > 0 {
                    inf.flush();
                    if emit_inferred(&mut inf, &mut out, &mut line, a, &mut printed)? {
                        break;
                    }
                }
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
    inf.flush();
    emit_inferred(&mut inf, &mut out, &mut line, a, &mut printed)?;
    dec.stats.inferred = inf.stats.kinds;
    dec.finish();
    notes.finish();
    crypto_verdict(dec.decryptor(), setup.suite_auto, &a.input.source.ports);
    let st = src.stats();
    input.frames = st.frames;
    input.bytes = st.bytes;
    input.skipped_records = st.skipped;
    input.skipped_bytes = st.skipped_bytes;
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

/// Prints the inferences that are ready; true when `--count` is reached.
fn emit_inferred(
    inf: &mut Inferrer,
    out: &mut impl Write,
    line: &mut String,
    a: &DecodeArgs,
    printed: &mut u64,
) -> Result<bool, AppError> {
    if a.count.is_some_and(|c| *printed >= c) {
        return Ok(true);
    }
    while let Some((r, i)) = inf.pop() {
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

/// The budgets to judge against: flags beat the config, which beats
/// corosync 3.1's defaults; without config or flags they follow the node
/// count seen in the traffic.
pub fn thresholds(config: Option<&ClusterConfig>, flags: &BudgetArgs) -> Thresholds {
    let overrides = BudgetOverrides {
        token: flags.token,
        token_coefficient: flags.token_coefficient,
        consensus: flags.consensus,
        knet_ping_interval: flags.knet_ping_interval,
        knet_ping_timeout: flags.knet_ping_timeout,
        knet_pong_count: flags.knet_pong_count,
        ..BudgetOverrides::default()
    };
    match config {
        Some(c) => {
            let b = Budgets::compute(
                CorosyncVersion::V3_1,
                c.node_count().max(2),
                Some(c),
                &overrides,
            );
            let mut t = Thresholds::from_budgets(&b);
            t.expected_nodes = c
                .nodelist
                .iter()
                .filter_map(|n| n.nodeid)
                .filter_map(|id| u16::try_from(id).ok())
                .collect();
            t
        }
        None if flags.any() => {
            let b = Budgets::compute(CorosyncVersion::V3_1, 2, None, &overrides);
            let mut t = Thresholds::from_budgets(&b);
            // Explicit knet or consensus values must not be re-derived away.
            t.derive_from_node_count = flags.knet_ping_interval.is_none()
                && flags.knet_ping_timeout.is_none()
                && flags.consensus.is_none();
            t
        }
        None => Thresholds::default(),
    }
}

/// Node names and addresses from the config, for the engine.
pub fn configure_engine(engine: &mut Engine, config: Option<&ClusterConfig>) {
    let Some(c) = config else { return };
    let names = c
        .nodelist
        .iter()
        .filter_map(|n| Some((node_id(n)?, n.display_name())))
        .collect();
    engine.set_node_names(names);
    engine.set_addresses(&config_addresses(c));
}

/// A nodelist entry's id, when it fits knet's 16 bits.
fn node_id(n: &crate::config::corosync_conf::Node) -> Option<u16> {
    n.nodeid.and_then(|id| u16::try_from(id).ok())
}

/// Every address of the config's nodelist with its node id.
fn config_addresses(c: &ClusterConfig) -> Vec<(IpAddr, u16)> {
    let mut addrs = Vec::new();
    for n in &c.nodelist {
        let Some(id) = node_id(n) else { continue };
        addrs.extend(
            n.addrs
                .iter()
                .flatten()
                .filter_map(|a| a.ip())
                .map(|ip| (ip, id)),
        );
    }
    addrs
}

/// The several-captures state of a report run.
struct MultiRun {
    files: Vec<String>,
    shifts: Vec<i64>,
    clocks: ClockEstimate,
    admit: Admit,
    one_way: OneWay,
}

fn report(a: &ReportArgs) -> Result<i32, AppError> {
    let setup = setup(&a.input.source)?;
    let files = &a.input.files;
    let shifts = crate::multi::shifts_for(files, &a.time_shift)?;
    let (mut src, names, mut multi) = if files.len() > 1 {
        let addrs = setup
            .config
            .as_ref()
            .map(config_addresses)
            .unwrap_or_default();
        let clocks = crate::multi::survey(files, &shifts, &setup.decode, &addrs)?;
        let (src, names) = crate::multi::open_corrected(files, &shifts, &clocks)?;
        let run = MultiRun {
            files: names.clone(),
            shifts: shifts.clone(),
            admit: clocks.admit(),
            one_way: OneWay::new(&clocks),
            clocks,
        };
        (src, names, Some(run))
    } else {
        let (src, names) = open_inputs(files)?;
        let src: Box<dyn PacketSource + Send> = match shifts.first() {
            Some(&s) if s != 0 => Box::new(Shifted::new(src, s)),
            _ => src,
        };
        (src, names, None)
    };
    let mut engine = Engine::new(thresholds(setup.config.as_ref(), &a.budgets));
    configure_engine(&mut engine, setup.config.as_ref());
    let by_address = setup.config.is_none() && setup.decode.keys.is_empty();
    let mut feed = Feed::new(engine, by_address, link0_port(&setup.decode.ports));
    let mut dec = Decoder::new(setup.decode);
    let mut notes = Notes {
        shown: 0,
        suppressed: 0,
    };
    let mut last_ts = None;
    let mut capture_errors = 0;
    while next_frame(src.as_mut(), &mut capture_errors) {
        let f = src.frame();
        last_ts = Some(f.ts);
        let o = dec.decode(&f);
        if let Outcome::Undecodable(e) = &o {
            let name = names.get(f.source).map(String::as_str).unwrap_or("?");
            notes.note(format_args!("{name}: packet {}: {e}", f.packet_no));
        }
        if let Some(m) = multi.as_mut() {
            // Each packet once for the link analysis; every copy for one way.
            let admitted = match &o {
                Outcome::Corosync(p) => {
                    m.one_way.observe(p);
                    m.admit.packet(p)
                }
                _ => m.admit.other(f.source),
            };
            if !admitted {
                continue;
            }
        }
        feed.outcome(&o);
    }
    notes.finish();
    crypto_verdict(dec.decryptor(), setup.suite_auto, &a.input.source.ports);
    if feed.numbered_by_address() {
        eprintln!(
            "corowire: note: encrypted traffic without key or config: nodes are numbered by address \
             in order of appearance (give --corosync-conf or --authkey for real node ids)"
        );
    }
    feed.finish(last_ts);
    let engine = feed.engine;
    let mut snap = engine.snapshot();
    let view = multi.map(|mut m| {
        m.one_way.finish();
        MultiView {
            files: m.files,
            shifts_ns: m.shifts,
            one_way: m.one_way.view(),
            bridge_only: m.admit.bridge_only,
            overflow_pending: m.one_way.overflow_pending,
            overflow_paths: m.one_way.overflow_paths,
            clocks: m.clocks,
        }
    });
    if let Some(v) = &view {
        v.add_path_loss_findings(&mut snap);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match a.format {
        ReportFormat::Text => crate::report::write_text_multi(&snap, view.as_ref(), &mut out)?,
        ReportFormat::Json => crate::report::write_json_multi(&snap, view.as_ref(), &mut out)?,
    }
    out.flush()?;
    Ok(crate::report::exit_code(&snap))
}
