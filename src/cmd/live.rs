//! `corowire live -i IFACE | -r FILE`: the session on a live interface or
//! a pcap stream, in the terminal UI or headless (`--report-every`: one
//! report per interval of capture time, then a final one).

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::analysis::Snapshot;
use crate::analysis::timeline::Sample;
use crate::capture::save::{SaveOptions, Savefile};
use crate::cli::LiveArgs;
use crate::error::{AppError, exit};
use crate::metrics::http::Published;
use crate::metrics::{Exposition, SourceCounters};
use crate::report::{Extras, Format, IntervalDto, Layout, PcapStatsDto, SourceDto};
use crate::session::{Fetch, Plan, Session};
use crate::tui::driver::{Pipeline, wall_ns};
use crate::tui::model::Speed;
use crate::tui::run::{Exit, shutdown_signal};

/// After a termination signal, how long headless mode may take to write its
/// final report before the process ends anyway.
const HEADLESS_GRACE: Duration = Duration::from_secs(3);

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

pub fn run(a: &LiveArgs) -> Result<i32, AppError> {
    let input = a.input();
    let plan = Plan::new(&input.source, &input.files, &a.budgets, &[])?;
    let session = match (&a.interface, &a.read) {
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
        (None, Some(_)) => plan.open()?,
        (Some(iface), None) => open_live(&plan, iface, a)?,
    };
    let mut session = limits(session, a)?;
    let linger = match &a.metrics_linger {
        Some(d) => {
            parse_duration(d).map_err(|e| AppError::Usage(format!("--metrics-linger: {e}")))?
        }
        None => Duration::ZERO,
    };
    let metrics = match &a.metrics_listen {
        Some(listen) => {
            let cluster = plan.config.as_ref().and_then(|c| c.cluster_name.clone());
            let published = Arc::new(Published::new(cluster));
            // Scrapes before the first packet see the budgets and zeros.
            let snap = session.snapshot();
            published.publish(exposition(&mut session, &snap));
            let addr = crate::metrics::http::serve(listen, published.clone())
                .map_err(|e| AppError::Usage(format!("--metrics-listen {listen}: {e}")))?;
            crate::say!("corowire: metrics at http://{addr}/metrics");
            Some(published)
        }
        None => None,
    };
    let code = if let Some(every) = &a.report_every {
        let every =
            parse_duration(every).map_err(|e| AppError::Usage(format!("--report-every: {e}")))?;
        headless(session, every, a.format, metrics, linger)?
    } else {
        let mut p = Pipeline::new(session);
        if let Some(m) = metrics {
            let mut last: Option<Instant> = None;
            p = p.observe(Box::new(move |s, snap| {
                if snap.finished || last.is_none_or(|t| t.elapsed() >= PUBLISH_EVERY) {
                    m.publish(exposition(s, snap));
                    last = Some(Instant::now());
                }
            }));
        }
        match crate::tui::interactive(p, Speed::Max, false, None)? {
            Exit::Signal => exit::SIGNAL,
            _ => exit::OK,
        }
    };
    Ok(code)
}

/// The metrics endpoint gets a new exposition at most this often (and at
/// the end of the input).
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// The metrics of a snapshot of `s`, with the source's counters.
fn exposition(s: &mut Session, snap: &Snapshot) -> Exposition {
    let st = s.source_stats();
    Exposition {
        sample: Sample::of(snap),
        source: Some(SourceCounters {
            frames: s.counters().frames,
            kernel: st.kernel_stats.then_some((
                st.received_kernel,
                st.dropped_kernel,
                st.dropped_if,
            )),
        }),
    }
}

/// `-w` (with `-C`/`-W`), `-c` and `--duration` on the session.
fn limits(session: Session, a: &LiveArgs) -> Result<Session, AppError> {
    let duration = match &a.duration {
        Some(d) => {
            Some(parse_duration(d).map_err(|e| AppError::Usage(format!("--duration: {e}")))?)
        }
        None => None,
    };
    let ns = duration.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    let mut session = session.stop_after(a.count, ns);
    if let Some(path) = &a.write {
        let save = Savefile::create(SaveOptions {
            path: path.clone(),
            rotate_bytes: a.file_size.map(|mb| mb.saturating_mul(1_000_000)),
            files: a.file_count,
        })
        .map_err(|e| AppError::Usage(format!("-w {}: {e}", path.display())))?;
        session = session.keep(save);
    }
    Ok(session)
}

#[cfg(feature = "live")]
fn open_live(plan: &Plan, iface: &str, a: &LiveArgs) -> Result<Session, AppError> {
    use crate::capture::live::{LiveOptions, LiveSource};
    let ports = &plan.decode.ports;
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
    let opts = LiveOptions {
        // The user's expression narrows corowire's own filter.
        filter: (!a.filter.is_empty()).then(|| {
            format!(
                "({}) and ({})",
                crate::capture::live::default_filter(&opts.ports),
                a.filter.join(" ")
            )
        }),
        ..opts
    };
    let src = LiveSource::open(iface, &opts).map_err(AppError::Capture)?;
    Ok(plan.open_live(src, iface))
}

#[cfg(not(feature = "live"))]
fn open_live(_plan: &Plan, _iface: &str, _a: &LiveArgs) -> Result<Session, AppError> {
    Err(AppError::Usage(
        "this corowire was built without live capture (cargo build --features live); use -r - with tcpdump -U -w -".into(),
    ))
}

/// SIGTERM / SIGINT / SIGHUP: stop reading, write the final report, exit
/// 143. A source blocked on a silent stdin cannot notice: then the process
/// ends a few seconds later without it.
fn headless(
    session: Session,
    every: Duration,
    format: Format,
    metrics: Option<Arc<Published>>,
    linger: Duration,
) -> Result<i32, AppError> {
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
            std::process::exit(exit::SIGNAL);
        })?;
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let save_error = run_headless(session, every, format, &mut out, &stop, metrics.as_deref())?;
    if metrics.is_some() && !linger.is_zero() {
        // The final figures stay up for the scrapers, until a signal.
        let until = Instant::now() + linger;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    if let Some(e) = save_error {
        return Err(AppError::Io(io::Error::new(e.kind(), format!("-w: {e}"))));
    }
    Ok(if stop.load(Ordering::Relaxed) {
        exit::SIGNAL
    } else {
        exit::OK
    })
}

/// One report per `every` of capture time (live capture moves that clock
/// on with the wall clock while idle), and a final one; ends early (with
/// the final report) once `stop` is set. An interval report carries the
/// findings, rings and link transitions of its interval (new, changed or
/// still open) and the cumulative figures, which the engine's caps bound:
/// the output grows with the input, not with its square. Returns why
/// keeping the frames (`-w`) failed, if it did.
pub fn run_headless(
    mut s: Session,
    every: Duration,
    format: Format,
    out: &mut impl Write,
    stop: &AtomicBool,
    metrics: Option<&Published>,
) -> io::Result<Option<io::Error>> {
    let every = i64::try_from(every.as_nanos()).unwrap_or(i64::MAX).max(1);
    let mut start: Option<i64> = None;
    let mut published = Instant::now();
    let mut n: u32 = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let f = s.fetch();
        if let Fetch::Frame(_) = f {
            s.process();
        } else if s.other(&f, wall_ns) {
            break;
        }
        // The clock is read every 256 frames (and when idle), not per frame.
        n = n.wrapping_add(1);
        if let Some(m) = metrics.filter(|_| n.is_multiple_of(256) || !matches!(f, Fetch::Frame(_)))
            && published.elapsed() >= PUBLISH_EVERY
        {
            let snap = s.snapshot();
            m.publish(exposition(&mut s, &snap));
            published = Instant::now();
        }
        let Some(now) = s.counters().now else {
            continue;
        };
        let t0 = *start.get_or_insert(now);
        if now.saturating_sub(t0) >= every {
            let end = t0.saturating_add(every.saturating_mul(now.saturating_sub(t0) / every));
            write_interval(&mut s, format, out, (t0, end), false)?;
            start = Some(end);
        }
    }
    s.finish();
    if let Some(m) = metrics {
        let snap = s.snapshot();
        m.publish(exposition(&mut s, &snap));
    }
    let t0 = start.unwrap_or(0);
    let end = s.counters().now.unwrap_or(t0);
    write_interval(&mut s, format, out, (t0, end), true)?;
    Ok(s.save_error()
        .map(|e| io::Error::new(e.kind(), e.to_string())))
}

/// Keeps what began, changed or was open at or after `since`.
fn only_since(snap: &mut Snapshot, since: i64) {
    snap.findings
        .retain(|f| f.start >= since || f.end.is_none_or(|e| e >= since));
    snap.membership.retain(|m| m.ts >= since);
    for l in &mut snap.links {
        l.transitions.retain(|t| t.ts >= since);
    }
}

/// The session's report with the source's counters; an interval's only
/// with what changed in it, the final one whole.
fn write_interval(
    s: &mut Session,
    format: Format,
    out: &mut impl Write,
    (start, end): (i64, i64),
    is_final: bool,
) -> io::Result<()> {
    let st = s.source_stats();
    let source = SourceDto {
        kind: s.kind.report_name(),
        name: s.label.clone(),
        frames: s.counters().frames,
        pcap_stats: st.kernel_stats.then_some(PcapStatsDto {
            received: st.received_kernel,
            dropped: st.dropped_kernel,
            if_dropped: st.dropped_if,
        }),
    };
    let mut snap = s.snapshot();
    let interval = IntervalDto {
        start: start as f64 / 1e9,
        end: end as f64 / 1e9,
        is_final,
        findings_total: snap.findings.len() as u64,
        memberships_total: snap.membership.len() as u64,
    };
    if !is_final {
        only_since(&mut snap, start);
    }
    let view = s.multi_view();
    let extras = Extras {
        source: Some(source),
        interval: Some(interval),
        coverage: Some(s.coverage()),
        ..Extras::default()
    };
    crate::report::write(format, &snap, view.as_ref(), extras, Layout::Line, out)?;
    out.flush()
}
