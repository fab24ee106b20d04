//! The producer side, off the UI thread: a [`Session`] (capture → decode
//! → engine) paced for replay, steered by [`Control`] messages, publishing
//! [`View`]s of its snapshot on a `tokio::sync::watch` channel (the UI
//! keeps only the newest).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use crate::session::{Fetch, Session};
use crate::wire::classify::Class;

use super::model::{Header, Speed, Ts, View};

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

/// Called with each snapshot the screen is drawn from (another output of
/// the same snapshot, e.g. the metrics endpoint beside the TUI).
pub type Observer = Box<dyn FnMut(&mut Session, &crate::analysis::Snapshot) + Send>;

/// The session and what the screen says about it beyond the analysis:
/// pacing, pause, end of input.
pub struct Pipeline {
    pub session: Session,
    pub speed: Speed,
    pub paused: bool,
    /// The input ended (replay done, stdin closed).
    pub finished: bool,
    /// Findings count as of the last snapshot, and frames since it.
    findings: usize,
    since: u32,
    observer: Option<Observer>,
}

impl Pipeline {
    /// The session runs quietly: the terminal belongs to the UI.
    pub fn new(session: Session) -> Self {
        Pipeline {
            session: session.quiet(),
            speed: Speed::default(),
            paused: false,
            finished: false,
            findings: 0,
            since: 0,
            observer: None,
        }
    }

    /// Also hands each snapshot the views are built from to `f`.
    pub fn observe(mut self, f: Observer) -> Self {
        self.observer = Some(f);
        self
    }

    /// Latest capture time (live idle moves it on with the wall clock).
    pub fn now(&self) -> Option<Ts> {
        self.session.counters().now
    }

    /// Findings so far (re-counted every 64 frames, so "next finding" may
    /// run up to 64 frames past it).
    pub fn findings_len(&mut self) -> usize {
        if self.since >= 64 {
            self.since = 0;
            self.findings = self.session.snapshot().findings.len();
        }
        self.findings
    }

    /// The input ended: close open episodes.
    pub fn finish(&mut self) {
        self.finished = true;
        self.session.finish();
    }

    pub fn fetch(&mut self) -> Fetch {
        self.session.fetch()
    }

    /// Decodes the current frame and feeds the engine.
    pub fn process(&mut self) {
        self.since = self.since.saturating_add(1);
        self.session.process();
    }

    /// Handles anything but a frame; true when the run is over.
    fn other(&mut self, f: Fetch) -> bool {
        self.session.other(&f, wall_ns)
    }

    /// The current view: the session's counters and the engine's snapshot.
    pub fn view(&mut self) -> View {
        let snap = self.session.snapshot();
        if let Some(f) = self.observer.as_mut() {
            f(&mut self.session, &snap);
        }
        self.findings = snap.findings.len();
        self.since = 0;
        let mut v = View {
            header: self.header(),
            ..View::default()
        };
        super::adapter::fill(&mut v, &snap);
        v.header.untracked = snap.overflow.paths;
        v
    }

    fn header(&mut self) -> Header {
        let st = self.session.source_stats();
        let c = self.session.counters().clone();
        let d = self.session.decode_stats();
        let encrypted = d.class_count(Class::Encrypted);
        let mut decode_status = if d.decrypted > 0 {
            format!("decrypted {}", d.decrypted)
        } else if encrypted > 0 {
            "encrypted, no key".into()
        } else if d.corosync_packets() > 0 {
            "cleartext".into()
        } else {
            "no corosync traffic yet".into()
        };
        if encrypted > 0 && d.decrypted > 0 {
            decode_status.push_str(&format!(", {encrypted} not opened"));
        }
        Header {
            source: self.session.label.clone(),
            kind: self.session.kind,
            first_ts: c.first_ts,
            now_ts: c.now,
            speed: self.speed,
            paused: self.paused,
            finished: self.finished,
            frames: c.frames,
            corosync_packets: d.corosync_packets(),
            decrypted: d.decrypted,
            encrypted,
            malformed: d.class_count(Class::Malformed),
            capture_errors: c.capture_errors,
            received_kernel: st.received_kernel,
            dropped_kernel: st.dropped_kernel,
            dropped_if: st.dropped_if,
            kernel_stats: st.kernel_stats,
            untracked: 0,
            decode_status,
            error: c.last_error,
        }
    }

    /// Replays everything as fast as possible and returns the final view
    /// (tests and snapshot builders: deterministic, capture time only).
    pub fn run_to_end(&mut self) -> View {
        self.speed = Speed::Max;
        self.session.run_to_end();
        self.finished = true;
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
    p.speed = r.speed;
    p.paused = r.paused;
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
        if let Some(t) = r.restart.take()
            && let Some(fresh) = reopen.as_mut().and_then(|f| f())
        {
            p = fresh;
            r.target = Some(Target::SeekUntil(t));
            r.anchor = None;
            r.dirty = true;
        }
        loop {
            match ctl.try_recv() {
                Ok(c) => {
                    let n = p.findings_len();
                    r.apply(c, p.now(), n)
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
                    r.apply(c, p.now(), n)
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
                                    r.apply(c, p.now(), n)
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
                        r.apply(c, p.now(), n)
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
                    r.apply(c, p.now(), n)
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
