//! `corowire tui` and `corowire live`: what `app.rs` calls, one line each.

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use crossterm::event::EventStream;
use tokio::sync::watch;

use crate::app::{AppError, exit, open_inputs};
use crate::cli::{LiveArgs, TuiArgs};
use crate::decode::{DecodeOptions, Decoder, Ports};
use crate::wire::crypto::AuthKey;

use super::app::App;
use super::driver::{self, Input, Pipeline};
use super::model::{SourceKind, Speed, View};
use super::producer::Builder;
use super::run::{Exit, run_main_loop};
use super::term::TermGuard;

fn decoder(ports: &str, authkeys: &[PathBuf]) -> Result<Decoder, AppError> {
    let ports = Ports::parse(ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
    let mut keys = Vec::with_capacity(authkeys.len());
    for p in authkeys {
        let bytes = std::fs::read(p)
            .map_err(|e| AppError::Usage(format!("--authkey {}: {e}", p.display())))?;
        let k = AuthKey::from_vec(bytes)
            .map_err(|e| AppError::Usage(format!("--authkey {}: {e:?}", p.display())))?;
        keys.push(k);
    }
    Ok(Decoder::new(DecodeOptions {
        ports,
        keys,
        ..DecodeOptions::default()
    }))
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
    files: &[PathBuf],
    ports: &str,
    authkeys: &[PathBuf],
) -> Result<Pipeline, AppError> {
    let (src, names) = open_inputs(files)?;
    let stdin = files.iter().any(|f| f.as_os_str() == "-");
    let kind = if stdin {
        SourceKind::Stdin
    } else {
        SourceKind::Replay
    };
    Ok(Pipeline::new(
        Input::Stream(src),
        decoder(ports, authkeys)?,
        Builder::new(&short_names(&names), kind, None, Vec::new()),
    ))
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
pub fn replay_view(files: &[PathBuf]) -> Result<View, AppError> {
    let mut p = replay_pipeline(files, "5404-5412", &[])?;
    p.builder.header_mut().speed = Speed::Max;
    Ok(p.run_to_end())
}

/// `corowire tui FILE...`
pub fn tui(a: &TuiArgs) -> Result<i32, AppError> {
    let speed = Speed::parse(&a.speed).map_err(AppError::Usage)?;
    let p = replay_pipeline(&a.input.files, &a.input.ports, &a.authkey)?;
    interactive(p, speed, true)
}

/// `corowire live -i IFACE | -r FILE`
pub fn live(a: &LiveArgs) -> Result<i32, AppError> {
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
        (None, Some(f)) => {
            let mut p = replay_pipeline(std::slice::from_ref(f), &a.ports, &a.authkey)?;
            p.builder.header_mut().kind = SourceKind::Stdin;
            p
        }
        (Some(iface), None) => live_pipeline(iface, a)?,
    };
    if let Some(every) = &a.report_every {
        let every =
            parse_duration(every).map_err(|e| AppError::Usage(format!("--report-every: {e}")))?;
        if a.format != "json" {
            return Err(AppError::Usage(
                "--report-every writes --format json (the text report is not available yet)".into(),
            ));
        }
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        driver::run_headless(p, every, &mut out)?;
        return Ok(exit::OK);
    }
    interactive(p, Speed::Max, false)
}

#[cfg(feature = "live")]
fn live_pipeline(iface: &str, a: &LiveArgs) -> Result<Pipeline, AppError> {
    use crate::capture::PacketSource;
    use crate::capture::live::{LiveOptions, LiveSource};
    let ports = Ports::parse(&a.ports).map_err(|e| AppError::Usage(format!("--ports: {e}")))?;
    let (lo, hi) = (0..=u16::MAX)
        .filter(|&p| ports.contains(p))
        .fold((u16::MAX, 0u16), |(lo, hi), p| (lo.min(p), hi.max(p)));
    let opts = LiveOptions {
        ports: lo..=hi,
        promisc: a.promisc,
        ..LiveOptions::default()
    };
    let src = LiveSource::open(iface, &opts).map_err(AppError::Capture)?;
    let name = src.name().to_string();
    Ok(Pipeline::new(
        Input::Live(src),
        decoder(&a.ports, &a.authkey)?,
        Builder::new(&name, SourceKind::Live, None, Vec::new()),
    ))
}

#[cfg(not(feature = "live"))]
fn live_pipeline(_iface: &str, _a: &LiveArgs) -> Result<Pipeline, AppError> {
    Err(AppError::Usage(
        "this corowire was built without live capture (cargo build --features live); use -r - with tcpdump -U -w -".into(),
    ))
}

fn interactive(p: Pipeline, speed: Speed, replay: bool) -> Result<i32, AppError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, rx) = watch::channel(Arc::new(View::default()));
    let (ctl_tx, ctl_rx) = mpsc::channel();
    // Detached: a producer blocked on stdin must not hold the exit.
    std::thread::Builder::new()
        .name("corowire-producer".into())
        .spawn(move || driver::run_interactive(p, speed, tx, ctl_rx))?;
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
