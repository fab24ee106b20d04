//! The producer side, off the UI thread: capture → decode → [`Builder`],
//! paced for replay, steered by [`Control`] messages, publishing [`View`]
//! copies on a `tokio::sync::watch` channel (the UI keeps only the newest).
//!
//! Also the headless driver behind `--report-every`.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::sync::watch;

use crate::capture::{CaptureError, PacketSource, SourceStats};
use crate::decode::Decoder;

use super::model::{Speed, Ts, View};
use super::producer::Builder;

/// What the UI asks the producer to do.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    TogglePause,
    /// While paused: play one second of capture time, then pause again.
    Step,
    /// Play as fast as possible until a new finding appears, then pause.
    NextFinding,
    /// Jump this many seconds of capture time: forward plays at max speed;
    /// backward reopens the files and plays from the start at max speed to
    /// the target (not possible for stdin or live).
    Seek(i64),
    /// Jump to this capture time (ns since the epoch): forward plays at max
    /// speed; backward reopens the files as for [`Control::Seek`].
    SeekTo(Ts),
    Faster,
    Slower,
}

/// Where frames come from.
pub enum Input {
    /// Files (merged) or a pcap stream on stdin.
    Stream(Box<dyn PacketSource + Send>),
    /// A live interface: polled with a read timeout so the clock moves on
    /// when nothing arrives.
    #[cfg(feature = "live")]
    Live(crate::capture::live::LiveSource),
}

/// Result of asking the input for the next frame.
#[derive(Debug)]
pub enum Fetch {
    /// A frame is current; its capture time.
    Frame(Ts),
    /// Nothing arrived within the read timeout (live only).
    Idle,
    End,
    /// The source failed; `fatal` when it cannot go on.
    Error {
        msg: String,
        fatal: bool,
    },
}

/// Input, decoder and view builder: one hot loop.
pub struct Pipeline {
    pub input: Input,
    pub decoder: Decoder,
    /// Header counters always; the whole provisional view without an engine.
    pub builder: Builder,
    /// The analysis engine (issue 5); None = the provisional builder's view.
    pub engine: Option<Analysis>,
}

/// The analysis engine and what the screen says about its budgets.
pub struct Analysis {
    /// The engine and what feeds it (keyless inference included), shared
    /// with `corowire report`.
    pub feed: crate::feed::Feed,
    /// Where the thresholds come from ("corosync.conf", "defaults").
    pub origin: String,
    /// Findings count as of the last snapshot, and frames since it.
    findings: usize,
    since: u32,
}

impl Analysis {
    pub fn new(feed: crate::feed::Feed, origin: String) -> Self {
        Analysis {
            feed,
            origin,
            findings: 0,
            since: 0,
        }
    }
}

fn err(e: &CaptureError) -> Fetch {
    Fetch::Error {
        msg: e.to_string(),
        fatal: !e.recoverable,
    }
}

impl Pipeline {
    pub fn new(input: Input, decoder: Decoder, builder: Builder) -> Self {
        Pipeline {
            input,
            decoder,
            builder,
            engine: None,
        }
    }

    /// Measures with the analysis engine (the builder keeps the header).
    pub fn with_engine(mut self, a: Analysis) -> Self {
        self.builder.set_header_only(true);
        self.engine = Some(a);
        self
    }

    /// Findings so far (with the engine: re-counted every 64 frames, so
    /// "next finding" may run up to 64 frames past it).
    pub fn findings_len(&mut self) -> usize {
        match &mut self.engine {
            None => self.builder.findings_len(),
            Some(a) => {
                if a.since >= 64 {
                    a.since = 0;
                    a.findings = a.feed.engine.snapshot().findings.len();
                }
                a.findings
            }
        }
    }

    /// The input ended: close open episodes.
    pub fn finish(&mut self) {
        self.builder.header_mut().finished = true;
        if let (Some(a), Some(now)) = (&mut self.engine, self.builder.now()) {
            a.feed.finish(Some(now));
        }
    }

    /// Moves to the next frame without decoding it yet (so replay can wait
    /// for its time first).
    pub fn fetch(&mut self) -> Fetch {
        match &mut self.input {
            Input::Stream(s) => match s.advance() {
                Ok(true) => Fetch::Frame(s.frame().ts),
                Ok(false) => Fetch::End,
                Err(e) => err(&e),
            },
            #[cfg(feature = "live")]
            Input::Live(l) => match l.poll() {
                Ok(true) => Fetch::Frame(l.frame().ts),
                Ok(false) => Fetch::Idle,
                Err(e) => err(&e),
            },
        }
    }

    /// The source's counters, the kernel's read afresh for live capture.
    pub fn stats(&mut self) -> SourceStats {
        match &mut self.input {
            Input::Stream(s) => s.stats(),
            #[cfg(feature = "live")]
            Input::Live(l) => {
                l.refresh_stats();
                l.stats()
            }
        }
    }

    /// Decodes the current frame and feeds the builder.
    pub fn process(&mut self) {
        let Pipeline {
            input,
            decoder,
            builder,
            engine,
        } = self;
        let frame = match input {
            Input::Stream(s) => s.frame(),
            #[cfg(feature = "live")]
            Input::Live(l) => l.frame(),
        };
        let o = decoder.decode(&frame);
        builder.ingest(frame.ts, &o);
        if let Some(a) = engine {
            a.since = a.since.saturating_add(1);
            a.feed.outcome(&o);
        }
    }

    /// Handles anything but a frame; true when the run is over.
    fn other(&mut self, f: Fetch) -> bool {
        match f {
            Fetch::Frame(_) => false,
            Fetch::Idle => {
                self.builder.tick(wall_ns());
                false
            }
            Fetch::End => true,
            Fetch::Error { msg, fatal } => {
                self.builder.capture_error(msg);
                fatal
            }
        }
    }

    /// The current view, with the source's own counters.
    pub fn view(&mut self) -> View {
        let st = self.stats();
        let h = self.builder.header_mut();
        h.received_kernel = st.received_kernel;
        h.dropped_kernel = st.dropped_kernel;
        h.dropped_if = st.dropped_if;
        h.kernel_stats = st.kernel_stats;
        let mut v = self.builder.view();
        if let Some(a) = &mut self.engine {
            let snap = a.feed.engine.snapshot();
            a.findings = snap.findings.len();
            a.since = 0;
            super::adapter::fill(&mut v, &snap, &a.origin);
        }
        v
    }

    /// Replays everything as fast as possible and returns the final view
    /// (tests and snapshot builders: deterministic, capture time only).
    pub fn run_to_end(&mut self) -> View {
        loop {
            match self.fetch() {
                Fetch::Frame(_) => self.process(),
                other => {
                    if self.other(other) {
                        break;
                    }
                }
            }
        }
        self.finish();
        self.view()
    }
}

/// Wall clock now, ns since the epoch (live capture stamps with this clock).
pub fn wall_ns() -> Ts {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

const PUBLISH_EVERY: Duration = Duration::from_millis(100);
/// While a live source is silent only ages move on: a view a second is
/// enough (and keeps an idle screen from redrawing ten times a second).
const IDLE_PUBLISH_EVERY: Duration = Duration::from_secs(1);

enum Target {
    /// Play until capture time reaches this, then pause.
    StepUntil(Ts),
    /// Play until capture time reaches this (keeps the pause state).
    SeekUntil(Ts),
    /// Play until there are more findings than this, then pause.
    FindingAfter(usize),
}

struct Replay {
    speed: Speed,
    paused: bool,
    target: Option<Target>,
    /// (wall instant, capture time) pacing anchor.
    anchor: Option<(Instant, Ts)>,
    last_pub: Instant,
    dirty: bool,
    /// Frames were processed since the last publish.
    fresh: bool,
    /// A backward seek asked for a fresh pipeline played up to this time.
    restart: Option<Ts>,
    can_restart: bool,
}

impl Replay {
    fn apply(&mut self, c: Control, now: Option<Ts>, findings: usize) {
        let now = now.unwrap_or(0);
        match c {
            Control::TogglePause => self.paused = !self.paused,
            Control::Step => {
                self.paused = true;
                self.target = Some(Target::StepUntil(now + 1_000_000_000));
            }
            Control::NextFinding => self.target = Some(Target::FindingAfter(findings)),
            Control::Seek(s) if s < 0 => {
                if self.can_restart {
                    self.restart = Some(now.saturating_add(s.saturating_mul(1_000_000_000)));
                }
            }
            Control::Seek(s) => {
                self.target = Some(Target::SeekUntil(
                    now.saturating_add(s.saturating_mul(1_000_000_000)),
                ))
            }
            Control::SeekTo(t) if t < now => {
                if self.can_restart {
                    self.restart = Some(t);
                }
            }
            Control::SeekTo(t) => self.target = Some(Target::SeekUntil(t)),
            Control::Faster => {
                if let Speed::Factor(k) = self.speed {
                    self.speed = Speed::Factor((k * 2.0).min(1e6));
                }
            }
            Control::Slower => match self.speed {
                Speed::Factor(k) => self.speed = Speed::Factor((k / 2.0).max(1.0 / 64.0)),
                Speed::Max => self.speed = Speed::Factor(64.0),
            },
        }
        self.anchor = None;
        self.dirty = true;
    }

    /// True when the target was reached (the pacing anchor restarts).
    fn reached(&mut self, now: Ts, findings: usize) -> bool {
        let done = match self.target {
            None => false,
            Some(Target::StepUntil(t)) | Some(Target::SeekUntil(t)) => now >= t,
            Some(Target::FindingAfter(n)) => findings > n,
        };
        if done {
            if matches!(self.target, Some(Target::FindingAfter(_))) {
                self.paused = true;
            }
            self.target = None;
            self.anchor = None;
        }
        done
    }
}

fn publish(p: &mut Pipeline, r: &mut Replay, tx: &watch::Sender<Arc<View>>) {
    let h = p.builder.header_mut();
    h.speed = r.speed;
    h.paused = r.paused;
    let v = p.view();
    tx.send_replace(Arc::new(v));
    r.last_pub = Instant::now();
    r.dirty = false;
    r.fresh = false;
}

/// Builds a fresh pipeline over the same files (backward seeks).
pub type Reopen = Box<dyn FnMut() -> Option<Pipeline> + Send>;

/// The interactive producer: runs until the control channel closes (the UI
/// quit). Meant for its own thread. `reopen` enables backward seeks.
pub fn run_interactive(
    mut p: Pipeline,
    speed: Speed,
    tx: watch::Sender<Arc<View>>,
    ctl: Receiver<Control>,
    mut reopen: Option<Reopen>,
) {
    let mut r = Replay {
        speed,
        paused: false,
        target: None,
        anchor: None,
        last_pub: Instant::now(),
        dirty: true,
        fresh: false,
        restart: None,
        can_restart: reopen.is_some(),
    };
    // Source name, kind and budgets on screen before the first packet.
    publish(&mut p, &mut r, &tx);
    loop {
        if let Some(t) = r.restart.take() {
            if let Some(fresh) = reopen.as_mut().and_then(|f| f()) {
                p = fresh;
                r.target = Some(Target::SeekUntil(t));
                r.anchor = None;
                r.dirty = true;
            }
        }
        loop {
            match ctl.try_recv() {
                Ok(c) => {
                    let n = p.findings_len();
                    r.apply(c, p.builder.now(), n)
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if r.paused && r.target.is_none() {
            if r.dirty {
                publish(&mut p, &mut r, &tx);
            }
            match ctl.recv_timeout(Duration::from_millis(500)) {
                Ok(c) => {
                    let n = p.findings_len();
                    r.apply(c, p.builder.now(), n)
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            continue;
        }
        let ts = match p.fetch() {
            Fetch::Frame(ts) => ts,
            other => {
                if p.other(other) {
                    // The end: keep the last view up; a backward seek replays.
                    p.finish();
                    r.target = None;
                    publish(&mut p, &mut r, &tx);
                    loop {
                        match ctl.recv() {
                            Ok(c) => {
                                {
                                    let n = p.findings_len();
                                    r.apply(c, p.builder.now(), n)
                                };
                                if r.restart.is_some() {
                                    break;
                                }
                                publish(&mut p, &mut r, &tx);
                            }
                            Err(_) => return,
                        }
                    }
                    continue;
                }
                r.dirty = true;
                let every = if r.fresh {
                    PUBLISH_EVERY
                } else {
                    IDLE_PUBLISH_EVERY
                };
                if r.last_pub.elapsed() >= every {
                    publish(&mut p, &mut r, &tx);
                }
                continue;
            }
        };
        // Pace by capture time, staying responsive to controls.
        while let Speed::Factor(k) = r.speed {
            if r.target.is_some() || r.restart.is_some() {
                break;
            }
            if r.paused {
                if r.dirty {
                    publish(&mut p, &mut r, &tx);
                }
                match ctl.recv_timeout(Duration::from_millis(500)) {
                    Ok(c) => {
                        let n = p.findings_len();
                        r.apply(c, p.builder.now(), n)
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                continue;
            }
            let (w0, t0) = *r.anchor.get_or_insert((Instant::now(), ts));
            let due = w0 + Duration::from_secs_f64((ts.saturating_sub(t0).max(0) as f64 / 1e9) / k);
            let now = Instant::now();
            if now >= due {
                break;
            }
            if r.dirty && now.duration_since(r.last_pub) >= PUBLISH_EVERY {
                publish(&mut p, &mut r, &tx);
            }
            match ctl.recv_timeout((due - now).min(PUBLISH_EVERY)) {
                Ok(c) => {
                    let n = p.findings_len();
                    r.apply(c, p.builder.now(), n)
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if r.restart.is_some() {
            // This frame belongs to the pipeline being replaced.
            continue;
        }
        p.process();
        r.dirty = true;
        r.fresh = true;
        let n = p.findings_len();
        let reached = r.reached(ts, n);
        // One clock read per frame (vDSO, ~20 ns): cheap next to decoding.
        if reached || r.last_pub.elapsed() >= PUBLISH_EVERY {
            publish(&mut p, &mut r, &tx);
        }
    }
}

/// One line of `--report-every` output (provisional until the issue-4/5
/// report JSON exists; then that schema replaces `view`).
#[derive(Serialize)]
struct HeadlessReport<'a> {
    format: &'static str,
    interval_start_ns: Ts,
    interval_end_ns: Ts,
    #[serde(rename = "final")]
    is_final: bool,
    view: &'a View,
}

pub const HEADLESS_FORMAT: &str = "corowire-tui-view-provisional/1";

/// Headless: one JSON object per `every` of capture time (live capture
/// moves that clock on with the wall clock while idle), and a final one.
pub fn run_headless(p: Pipeline, every: Duration, out: &mut impl Write) -> io::Result<()> {
    run_headless_until(p, every, out, &std::sync::atomic::AtomicBool::new(false))
}

/// The same, ending early (with the final report) once `stop` is set: a
/// live source notices within its read timeout; a stream only when its
/// next frame arrives.
pub fn run_headless_until(
    mut p: Pipeline,
    every: Duration,
    out: &mut impl Write,
    stop: &std::sync::atomic::AtomicBool,
) -> io::Result<()> {
    let every = i64::try_from(every.as_nanos()).unwrap_or(i64::MAX).max(1);
    let mut start: Option<Ts> = None;
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let f = p.fetch();
        let end = match f {
            Fetch::Frame(_) => {
                p.process();
                false
            }
            other => p.other(other),
        };
        if end {
            break;
        }
        let Some(now) = p.builder.now() else { continue };
        let s = *start.get_or_insert(now);
        if now.saturating_sub(s) >= every {
            write_interval(&mut p, out, s, s.saturating_add(every), false)?;
            start = Some(s.saturating_add(every.saturating_mul(now.saturating_sub(s) / every)));
        }
    }
    p.finish();
    let s = start.unwrap_or(0);
    let e = p.builder.now().unwrap_or(s);
    write_interval(&mut p, out, s, e, true)
}

/// With the engine: the report JSON (`report::json`, the `corowire report`
/// schema) on one line. Provisional: the view wrapped with its interval.
fn write_interval(
    p: &mut Pipeline,
    out: &mut impl Write,
    s: Ts,
    e: Ts,
    fin: bool,
) -> io::Result<()> {
    if p.engine.is_some() {
        let source = source_dto(p);
        let Some(a) = &p.engine else { return Ok(()) };
        let mut dto = crate::report::to_dto(&a.feed.engine.snapshot());
        dto.source = Some(source);
        serde_json::to_writer(&mut *out, &dto)?;
        out.write_all(b"\n")?;
        return out.flush();
    }
    let v = p.view();
    write_report(out, s, e, fin, &v)
}

/// The source's counters for the report JSON: libpcap's for live capture,
/// n/a (null) for files and stdin.
fn source_dto(p: &mut Pipeline) -> crate::report::SourceDto {
    let st = p.stats();
    let h = p.builder.header_mut();
    crate::report::SourceDto {
        kind: match h.kind {
            super::model::SourceKind::Live => "live",
            super::model::SourceKind::Stdin => "stdin",
            super::model::SourceKind::Replay => "file",
        },
        name: h.source.clone(),
        frames: h.frames,
        pcap_stats: st.kernel_stats.then_some(crate::report::PcapStatsDto {
            received: st.received_kernel,
            dropped: st.dropped_kernel,
            if_dropped: st.dropped_if,
        }),
    }
}

fn write_report(out: &mut impl Write, s: Ts, e: Ts, fin: bool, v: &View) -> io::Result<()> {
    serde_json::to_writer(
        &mut *out,
        &HeadlessReport {
            format: HEADLESS_FORMAT,
            interval_start_ns: s,
            interval_end_ns: e,
            is_final: fin,
            view: v,
        },
    )?;
    out.write_all(b"\n")?;
    out.flush()
}
