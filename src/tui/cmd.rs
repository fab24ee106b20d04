//! `corowire tui` and `corowire live`: what `app.rs` calls, one line each.

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::EventStream;
use tokio::sync::watch;

use crate::app::{AppError, exit, open_inputs};
use crate::cli::{BudgetArgs, InputArgs, LiveArgs, SourceArgs, TuiArgs};
use crate::decode::Decoder;

use super::app::App;
use super::driver::{self, Analysis, Input, Pipeline};
use super::model::{SourceKind, Speed, View};
use super::producer::{Builder, from_config};
use super::run::{Exit, run_main_loop};
use super::term::TermGuard;
use crate::analysis::Engine;

/// After a termination signal, how long headless mode may take to write its
/// final report before the process ends anyway.
const HEADLESS_GRACE: Duration = Duration::from_secs(3);

/// Which numbers the screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The analysis engine (issue 5) through [`super::adapter`].
    Engine,
    /// The TUI's provisional builder (kept for comparison; `--provisional`).
    Provisional,
}

/// The pipeline's parts from the shared input options (keys, config, ports).
fn pipeline(
    input: &InputArgs,
    flags: &BudgetArgs,
    src: Input,
    source: &str,
    kind: SourceKind,
    measure: Measure,
) -> Result<Pipeline, AppError> {
    let setup = crate::app::setup(&input.source)?;
    let by_address = setup.config.is_none() && setup.decode.keys.is_empty();
    let link0 = crate::feed::link0_port(&setup.decode.ports);
    let (budgets, names) = match &setup.config {
        Some(cfg) => {
            let (b, n) = from_config(cfg);
            (Some(b), n)
        }
        None => (None, Vec::new()),
    };
    let p = Pipeline::new(
        src,
        Decoder::new(setup.decode),
        Builder::new(source, kind, budgets, names.clone()),
    );
    if measure == Measure::Provisional {
        return Ok(p);
    }
    // The same budgets and node setup as `corowire report`.
    let th = crate::app::thresholds(setup.config.as_ref(), flags);
    let origin = match &setup.config {
        Some(cfg) => cfg.file.as_ref().and_then(|f| f.file_name()).map_or_else(
            || "corosync.conf".to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        None if flags.any() => "flags, defaults".to_string(),
        None => "corosync 3.1 defaults for the nodes seen".to_string(),
    };
    let mut engine = Engine::new(th);
    crate::app::configure_engine(&mut engine, setup.config.as_ref());
    let feed = crate::feed::Feed::new(engine, by_address, link0);
    Ok(p.with_engine(Analysis::new(feed, origin)))
}

/// `NO_COLOR` set to anything non-empty turns colours off (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Parses `10s`, `500ms`, `2m`, `1h` or bare seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration '{s}'"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in '{s}' (ms, s, m, h)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
        return Err(format!("duration '{s}' out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Builds the pipeline for files given on the command line.
pub fn replay_pipeline(
    input: &InputArgs,
    flags: &BudgetArgs,
    measure: Measure,
) -> Result<Pipeline, AppError> {
    let stdin = input.files.iter().any(|f| f.as_os_str() == "-");
    let kind = if stdin {
        SourceKind::Stdin
    } else {
        SourceKind::Replay
    };
    let (src, names) = open_inputs(&input.files)?;
    pipeline(
        input,
        flags,
        Input::Stream(src),
        &short_names(&names),
        kind,
        measure,
    )
}

/// File names without their directories, joined.
fn short_names(names: &[String]) -> String {
    names
        .iter()
        .map(|n| {
            Path::new(n)
                .file_name()
                .map_or(n.clone(), |f| f.to_string_lossy().into_owned())
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Replays files to the end as fast as possible: the deterministic view
/// tests and scripts use.
pub fn replay_view(files: &[PathBuf], measure: Measure) -> Result<View, AppError> {
    let input = InputArgs {
        files: files.to_vec(),
        source: SourceArgs::default(),
    };
    replay_input_view(&input, measure)
}

/// The same with every input option (keys, config).
pub fn replay_input_view(input: &InputArgs, measure: Measure) -> Result<View, AppError> {
    let mut p = replay_pipeline(input, &BudgetArgs::default(), measure)?;
    p.builder.header_mut().speed = Speed::Max;
    Ok(p.run_to_end())
}

/// `corowire tui FILE...`
pub fn tui(a: &TuiArgs) -> Result<i32, AppError> {
    let speed = Speed::parse(&a.speed).map_err(AppError::Usage)?;
    let measure = if a.provisional {
        Measure::Provisional
    } else {
        Measure::Engine
    };
    let p = replay_pipeline(&a.input, &a.budgets, measure)?;
    let stdin = a.input.files.iter().any(|f| f.as_os_str() == "-");
    let reopen: Option<driver::Reopen> = if stdin {
        None
    } else {
        let (input, flags) = (a.input.clone(), a.budgets.clone());
        Some(Box::new(move || {
            replay_pipeline(&input, &flags, measure).ok()
        }))
    };
    interactive(p, speed, true, reopen)
}

/// `corowire live -i IFACE | -r FILE`
pub fn live(a: &LiveArgs) -> Result<i32, AppError> {
    let measure = if a.provisional {
        Measure::Provisional
    } else {
        Measure::Engine
    };
    let p = match (&a.interface, &a.read) {
        (Some(_), Some(_)) => {
            return Err(AppError::Usage(
                "give either -i IFACE or -r FILE, not both".into(),
            ));
        }
        (None, None) => {
            return Err(AppError::Usage(
                "nothing to watch: -i IFACE (live capture) or -r - (pcap stream on stdin)".into(),
            ));
        }
        // `-r -` is stdin, `-r FILE` a file (its kind says so in reports).
        (None, Some(_)) => replay_pipeline(&a.input(), &a.budgets, measure)?,
        (Some(iface), None) => live_pipeline(iface, a, measure)?,
    };
    if let Some(every) = &a.report_every {
        let every =
            parse_duration(every).map_err(|e| AppError::Usage(format!("--report-every: {e}")))?;
        if a.format != "json" {
            return Err(AppError::Usage(
                "--report-every writes --format json (the text report is not available yet)".into(),
            ));
        }
        // SIGTERM / SIGINT / SIGHUP: stop reading, write the final report,
        // exit 143. A source blocked on a silent stdin cannot notice: then
        // the process ends a few seconds later without it.
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("corowire-signals".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(shutdown_signal());
                flag.store(true, Ordering::Relaxed);
                std::thread::sleep(HEADLESS_GRACE);
                std::process::exit(128 + 15);
            })?;
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        driver::run_headless_until(p, every, &mut out, &stop)?;
        return Ok(if stop.load(Ordering::Relaxed) {
            128 + 15
        } else {
            exit::OK
        });
    }
    interactive(p, Speed::Max, false, None)
}

#[cfg(feature = "live")]
fn live_pipeline(iface: &str, a: &LiveArgs, measure: Measure) -> Result<Pipeline, AppError> {
    use crate::capture::live::{LiveOptions, LiveSource};
    use crate::decode::Ports;
    let ports =
        Ports::parse(&a.source.ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
    let (lo, hi) = (0..=u16::MAX)
        .filter(|&p| ports.contains(p))
        .fold((u16::MAX, 0u16), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let opts = LiveOptions {
        ports: lo..=hi,
        promisc: !a.no_promisc,
        snaplen: a.snaplen.map_or(0, |s| s.clamp(64, 262_144) as i32),
        buffer_size: i32::try_from(u64::from(a.buffer_size) * 1024).unwrap_or(i32::MAX),
        ..LiveOptions::default()
    };
    let src = LiveSource::open(iface, &opts).map_err(AppError::Capture)?;
    pipeline(
        &a.input(),
        &a.budgets,
        Input::Live(src),
        iface,
        SourceKind::Live,
        measure,
    )
}

#[cfg(not(feature = "live"))]
fn live_pipeline(_iface: &str, _a: &LiveArgs, _m: Measure) -> Result<Pipeline, AppError> {
    Err(AppError::Usage(
        "this corowire was built without live capture (cargo build --features live); use -r - with tcpdump -U -w -".into(),
    ))
}

fn interactive(
    p: Pipeline,
    speed: Speed,
    replay: bool,
    reopen: Option<driver::Reopen>,
) -> Result<i32, AppError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, rx) = watch::channel(Arc::new(View::default()));
    let (ctl_tx, ctl_rx) = mpsc::channel();
    // Detached: a producer blocked on stdin must not hold the exit.
    std::thread::Builder::new()
        .name("corowire-producer".into())
        .spawn(move || driver::run_interactive(p, speed, tx, ctl_rx, reopen))?;
    let mut app = App::new(replay, no_color());
    let exit = rt.block_on(async {
        let mut guard = TermGuard::new()?;
        let shutdown = shutdown_signal();
        let r = run_main_loop(
            &mut guard.terminal,
            &mut app,
            EventStream::new(),
            rx,
            ctl_tx,
            shutdown,
        )
        .await;
        drop(guard);
        r
    })?;
    Ok(match exit {
        Exit::Signal => 128 + 15,
        _ => exit::OK,
    })
}

/// Completes on SIGTERM, SIGINT or SIGHUP.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// For tests and tooling: a path relative to the crate root.
pub fn crate_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}
