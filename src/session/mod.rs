//! One run under every command: inputs (files merged on time, stdin, a
//! live interface), the several-captures clock survey and packet
//! admission, time shifts, keys and budgets are set up once by a [`Plan`];
//! a [`Session`] then runs capture → decode → feed → engine and hands out
//! the [`Snapshot`] every output is written from (`report`, headless
//! `live --report-every`, the terminal UI).

pub mod multi;
mod setup;
mod threaded;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::analysis::frames::{FrameLookup, FrameRef, FrameSpan};
use crate::analysis::multi::{Admit, ClockEstimate, Ends, MultiView, OneWay};
use crate::analysis::timeline::Timeline;
use crate::analysis::{Coverage, Snapshot};
use crate::capture::file::FileSource;
use crate::capture::merge::Merge;
use crate::capture::save::Savefile;
use crate::capture::shift::Shifted;
use crate::capture::{CaptureError, CaptureErrorKind, PacketSource, SourceStats};
use crate::compact::{Lists, PacketRec, Seen};
use crate::decode::{DecodeStats, Decoder, Outcome};
use crate::error::AppError;
use crate::feed::{Feed, link0_port};
use crate::wire::crypto::Decryptor;

pub use setup::{Plan, overrides, thresholds};

/// Where packets come from.
pub enum Input {
    /// Files (merged on time) or a pcap stream on stdin.
    Stream(Box<dyn PacketSource + Send>),
    /// A live interface: polled with a read timeout so the clock moves on
    /// when nothing arrives.
    #[cfg(feature = "live")]
    Live(crate::capture::live::LiveSource),
}

/// The kind of input, as outputs name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    #[default]
    Replay,
    Stdin,
    Live,
}

impl SourceKind {
    /// The name in reports: `file`, `stdin`, `live`.
    pub fn report_name(self) -> &'static str {
        match self {
            SourceKind::Live => "live",
            SourceKind::Stdin => "stdin",
            SourceKind::Replay => "file",
        }
    }
}

/// Result of asking the input for the next frame.
#[derive(Debug)]
pub enum Fetch {
    /// A frame is current; its capture time.
    Frame(i64),
    /// Nothing arrived within the read timeout (live only).
    Idle,
    End,
    /// The source failed; `fatal` when it cannot go on.
    Error {
        msg: String,
        fatal: bool,
    },
}

/// The run's own counters (the decoder and the source keep theirs).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub frames: u64,
    /// Capture errors (corrupt or cut records, read errors).
    pub capture_errors: u64,
    /// The last capture error's message.
    pub last_error: Option<String>,
    /// Errors that left part of the input unread (a file that merely ends
    /// inside its last record, as when tcpdump is killed, is not one).
    pub unread_errors: u64,
    pub last_unread: Option<String>,
    /// Records cut short where the input ended, and their bytes.
    pub truncated: u64,
    pub truncated_bytes: u64,
    /// First and latest capture time seen (live idle moves `now` on).
    pub first_ts: Option<i64>,
    pub now: Option<i64>,
    /// The last frame's capture time (the engine finishes there).
    pub last_frame_ts: Option<i64>,
}

/// The several-captures state of a run.
struct MultiRun {
    files: Vec<String>,
    shifts: Vec<i64>,
    clocks: ClockEstimate,
    admit: Admit,
    one_way: OneWay,
}

/// Per-packet problems are reported on stderr up to this many lines.
const MAX_NOTES: u64 = 20;

/// Reports a problem with a packet (file, packet number, offset) on stderr,
/// up to [`MAX_NOTES`] times, then counts.
#[derive(Debug, Default)]
pub struct Notes {
    shown: u64,
    suppressed: u64,
}

impl Notes {
    pub fn note(&mut self, msg: fmt::Arguments<'_>) {
        if self.shown < MAX_NOTES {
            self.shown += 1;
            crate::say!("corowire: {msg}");
        } else {
            self.suppressed += 1;
        }
    }
    pub fn finish(&self) {
        if self.suppressed > 0 {
            crate::say!(
                "corowire: {} more packet problems not shown (see the summary counts)",
                self.suppressed
            );
        }
    }
}

/// Threads by default at most (decryption workers, with a key; without
/// one the pipeline uses three: reading, decoding, analysis).
const MAX_DEFAULT_THREADS: usize = 8;

/// The `--threads` count: as given, else the cores available (at most
/// [`MAX_DEFAULT_THREADS`]). One core gives the one-thread loop.
pub fn thread_count(flag: Option<u32>) -> usize {
    match flag {
        Some(n) => n.max(1) as usize,
        // Since reading moved to a thread of its own (issue 20), two
        // threads take less wall time than one whenever a second core has
        // time to give (benches/README.md); on one core the one-thread
        // loop avoids the handoffs.
        None => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_DEFAULT_THREADS),
    }
}

/// Opens the inputs as they are: one file, or several merged on time
/// (`decode`, and one capture of `report`).
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
        check_linktype(&s)?;
        names.push(s.name().to_string());
        sources.push(Box::new(s));
    }
    if sources.len() == 1 {
        Ok((sources.pop().expect("one source"), names))
    } else {
        Ok((Box::new(Merge::new(sources)), names))
    }
}

/// A capture of a link type the decoder cannot read is one clear error,
/// not a warning per packet.
pub fn check_linktype(s: &FileSource) -> Result<(), AppError> {
    match s.linktype() {
        Some(lt) if !crate::wire::linktype::supported(lt) => {
            let name = crate::wire::linktype::name(lt);
            let name = if name.is_empty() {
                String::new()
            } else {
                format!(" (LINKTYPE_{name})")
            };
            Err(AppError::Usage(format!(
                "{}: link type {lt}{name} is not one corowire reads: Ethernet, Linux cooked \
                 (SLL, SLL2), raw IPv4/IPv6 or BSD loopback; capture with tcpdump -i any or on \
                 an Ethernet interface",
                s.name()
            )))
        }
        _ => Ok(()),
    }
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

/// One message about decryption at the end of a run (not one per packet).
pub fn crypto_verdict(d: Option<&Decryptor>, suite_auto: bool, ports: &str) {
    let Some(d) = d else { return };
    let st = d.stats();
    if st.nothing_authenticated() {
        crate::say!(
            "corowire: the authkey authenticates 0 of {} packets on ports {ports}: wrong key or crypto_hash?",
            st.packets
        );
    } else if let Some(m) = st.best_match() {
        if suite_auto {
            crate::say!(
                "corowire: found crypto_cipher {} / crypto_hash {} by trying ({} of {} packets opened)",
                m.suite.cipher,
                m.suite.hash,
                st.decrypted,
                st.packets
            );
        }
        let failed = st
            .packets
            .saturating_sub(st.decrypted + st.bad_padding + st.implausible);
        if st.bad_padding + st.implausible > 0 {
            crate::say!(
                "corowire: {} encrypted packets were authenticated by the key but could not be decrypted (bad padding {}, not a valid cleartext {}): counted as malformed",
                st.bad_padding + st.implausible,
                st.bad_padding,
                st.implausible
            );
        }
        if failed > 0 {
            crate::say!(
                "corowire: {failed} of {} encrypted packets were not authenticated by any key",
                st.packets
            );
        }
    }
}

/// A run: the input, the decoder, the engine and what feeds it.
pub struct Session {
    input: Input,
    names: Vec<String>,
    decoder: Decoder,
    feed: Feed,
    multi: Option<MultiRun>,
    /// Per-packet problems on stderr (None: quiet, as under the TUI).
    notes: Option<Notes>,
    counters: Counters,
    suite_auto: bool,
    ports: String,
    pub kind: SourceKind,
    /// The input's name for people (file names, the interface).
    pub label: String,
    /// Every frame read is also written here (`live -w`).
    save: Option<Savefile>,
    /// Why writing the frames failed (the run goes on without them).
    save_error: Option<io::Error>,
    /// Stop after this many frames (`live -c`) or this much capture time
    /// (`live --duration`, ns from the first frame or idle tick).
    limit_frames: Option<u64>,
    limit_ns: Option<i64>,
    /// Threads for reading, decoding and analysis (1: all on the caller's).
    threads: usize,
    /// The lists of the packet being analysed (one thread; reused).
    lists: Lists,
}

/// Samples a run into a timeline once a step of capture time.
struct Sampler<'t> {
    timeline: &'t mut Timeline,
    /// The capture time of the next sample.
    due: Option<i64>,
}

impl Sampler<'_> {
    /// Before the frame at `ts` is analysed: a sample at the last step
    /// boundary it passed, if any.
    fn frame(&mut self, ts: i64, snapshot: impl FnOnce() -> Snapshot) {
        let t = &mut *self.timeline;
        if self.due.is_some_and(|d| ts >= d) {
            // The last step boundary at or before this frame.
            let at = t.next_due(ts).saturating_sub(t.step_ns());
            t.record(&snapshot(), at);
        }
        if self.due.is_none_or(|d| ts >= d) {
            self.due = Some(t.next_due(ts));
        }
    }
}

/// What a frame was, apart from its bytes.
#[derive(Debug, Clone, Copy)]
struct Frame {
    ts: i64,
    source: usize,
    packet_no: u64,
}

/// The analysis side of a run: everything a decoded frame goes to (the
/// decoding side keeps the input and the decoder).
struct Analysis<'s> {
    names: &'s [String],
    feed: &'s mut Feed,
    multi: &'s mut Option<MultiRun>,
    notes: &'s mut Option<Notes>,
    counters: &'s mut Counters,
}

/// Counts a decoded frame and feeds the engine (each packet once when
/// several captures saw it; every copy for the one-way figures). One
/// thread or several, every frame comes here.
#[inline]
fn account(a: Analysis<'_>, f: Frame, o: Seen<'_>) {
    let Analysis {
        names,
        feed,
        multi,
        notes,
        counters,
    } = a;
    counters.frames += 1;
    counters.first_ts.get_or_insert(f.ts);
    counters.last_frame_ts = Some(f.ts);
    if counters.now.is_none_or(|n| f.ts > n) {
        counters.now = Some(f.ts);
    }
    if let (Seen::Undecodable(e), Some(n)) = (o, notes.as_mut()) {
        let name = names.get(f.source).map(String::as_str).unwrap_or("?");
        n.note(format_args!("{name}: packet {}: {e}", f.packet_no));
    }
    if let Some(m) = multi.as_mut() {
        let admitted = match o {
            Seen::Packet { rec, key, .. } => {
                m.one_way.observe_rec(
                    f.source,
                    rec.ts,
                    Ends {
                        src: rec.src,
                        dst: rec.dst,
                        ip_len: rec.ip_len,
                    },
                    key,
                );
                m.admit.packet(f.source, rec)
            }
            _ => m.admit.other(f.source),
        };
        if !admitted {
            return;
        }
    }
    feed.seen(f.source, f.packet_no, o);
}

/// Counts a capture error and says it on stderr unless quiet.
#[cold]
fn capture_error(counters: &mut Counters, notes: &Option<Notes>, e: &CaptureError) -> Fetch {
    counters.capture_errors += 1;
    let msg = e.to_string();
    if let CaptureErrorKind::TruncatedRecord { have, .. } = e.kind {
        counters.truncated += 1;
        counters.truncated_bytes += have;
    } else {
        counters.unread_errors += 1;
        counters.last_unread = Some(msg.clone());
    }
    if notes.is_some() {
        crate::capture::note_error(e, counters.capture_errors, &mut io::stderr().lock());
    }
    counters.last_error = Some(msg.clone());
    Fetch::Error {
        msg,
        fatal: !e.recoverable,
    }
}

/// The engine's snapshot with the findings the several-captures view adds.
fn snapshot_of(feed: &Feed, multi: &Option<MultiRun>) -> Snapshot {
    let mut snap = feed.engine.snapshot();
    if let Some(v) = multi.as_ref().map(MultiRun::view) {
        v.add_path_loss_findings(&mut snap);
    }
    snap
}

impl MultiRun {
    fn view(&self) -> MultiView {
        MultiView {
            files: self.files.clone(),
            shifts_ns: self.shifts.clone(),
            one_way: self.one_way.view(),
            bridge_only: self.admit.bridge_only,
            overflow_pending: self.one_way.overflow_pending,
            overflow_paths: self.one_way.overflow_paths,
            clocks: self.clocks.clone(),
        }
    }
}

impl Plan {
    /// Opens the plan's files: one (or stdin) as it is, several with their
    /// clocks surveyed first (pass 1) and merged on corrected time.
    pub fn open(&self) -> Result<Session, AppError> {
        let files = &self.files;
        let (src, names, multi) = if files.len() > 1 {
            let clocks =
                multi::survey(files, &self.shifts, &self.decode, &self.config_addresses())?;
            let (src, names) = multi::open_corrected(files, &self.shifts, &clocks)?;
            let run = MultiRun {
                files: names.clone(),
                shifts: self.shifts.clone(),
                admit: clocks.admit(),
                one_way: OneWay::new(&clocks),
                clocks,
            };
            (src, names, Some(run))
        } else {
            let (src, names) = open_inputs(files)?;
            let src: Box<dyn PacketSource + Send> = match self.shifts.first() {
                Some(&s) if s != 0 => Box::new(Shifted::new(src, s)),
                _ => src,
            };
            (src, names, None)
        };
        let stdin = files.iter().any(|f| f.as_os_str() == "-");
        let kind = if stdin {
            SourceKind::Stdin
        } else {
            SourceKind::Replay
        };
        let label = short_names(&names);
        Ok(self.session(Input::Stream(src), names, multi, kind, label))
    }

    /// The frames each span `(start, end)` of capture time covers in each
    /// file (see [`crate::analysis::frames`]): the files are read once more,
    /// timestamps only, in the order the run read them (several on the
    /// time `clocks` corrected). None when stdin is an input (it cannot be
    /// read twice).
    pub fn frames(
        &self,
        clocks: Option<&ClockEstimate>,
        spans: Vec<(i64, i64)>,
    ) -> Result<Option<Vec<Vec<FrameSpan>>>, AppError> {
        if self.files.iter().any(|f| f.as_os_str() == "-") {
            return Ok(None);
        }
        let mut src = match (clocks, self.files.len() > 1) {
            (Some(c), true) => multi::open_corrected(&self.files, &self.shifts, c)?.0,
            _ => {
                let (src, _) = open_inputs(&self.files)?;
                match self.shifts.first() {
                    Some(&s) if s != 0 => Box::new(Shifted::new(src, s)),
                    _ => src,
                }
            }
        };
        let mut lookup = FrameLookup::new(spans, self.files.len());
        while let Ok(true) = src.advance_past_errors() {
            let f = src.frame();
            lookup.observe(
                f.ts,
                FrameRef {
                    source: f.source,
                    number: f.packet_no,
                },
            );
        }
        Ok(Some(lookup.finish()))
    }

    /// A session over a live interface.
    #[cfg(feature = "live")]
    pub fn open_live(&self, src: crate::capture::live::LiveSource, iface: &str) -> Session {
        self.session(
            Input::Live(src),
            vec![iface.to_string()],
            None,
            SourceKind::Live,
            iface.to_string(),
        )
    }

    fn session(
        &self,
        input: Input,
        names: Vec<String>,
        multi: Option<MultiRun>,
        kind: SourceKind,
        label: String,
    ) -> Session {
        let feed = Feed::new(
            self.engine(),
            self.by_address(),
            link0_port(&self.decode.ports),
        );
        Session {
            input,
            names,
            decoder: Decoder::new(self.decode_options()),
            feed,
            multi,
            notes: Some(Notes::default()),
            counters: Counters::default(),
            suite_auto: self.suite_auto,
            ports: self.ports.clone(),
            kind,
            label,
            save: None,
            save_error: None,
            limit_frames: None,
            limit_ns: None,
            threads: 1,
            lists: Lists::default(),
        }
    }
}

impl Session {
    /// No per-packet notes on stderr (the terminal UI owns the screen).
    pub fn quiet(mut self) -> Self {
        self.notes = None;
        self
    }

    /// Writes every frame read to `save` too.
    pub fn keep(mut self, save: Savefile) -> Self {
        self.save = Some(save);
        self
    }

    /// Ends the input after `frames` frames or `duration_ns` of capture time.
    pub fn stop_after(mut self, frames: Option<u64>, duration_ns: Option<i64>) -> Self {
        self.limit_frames = frames;
        self.limit_ns = duration_ns;
        self
    }

    /// Runs `run_to_end` on `n` threads: decoding (and decryption) apart
    /// from the analysis (`session::threaded`); 1 keeps everything on the
    /// caller's thread.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n.max(1);
        self
    }

    /// Why keeping the frames failed, if it did.
    pub fn save_error(&self) -> Option<&io::Error> {
        self.save_error.as_ref()
    }

    /// True once a `stop_after` limit is reached.
    fn limit_reached(&self) -> bool {
        let c = &self.counters;
        self.limit_frames.is_some_and(|n| c.frames >= n)
            || self.limit_ns.is_some_and(|d| match (c.first_ts, c.now) {
                (Some(a), Some(b)) => b.saturating_sub(a) >= d,
                _ => false,
            })
    }

    /// Moves to the next frame without decoding it yet (so replay can wait
    /// for its time first).
    pub fn fetch(&mut self) -> Fetch {
        if self.limit_reached() {
            return Fetch::End;
        }
        let r = match &mut self.input {
            Input::Stream(s) => match s.advance() {
                Ok(true) => Ok(Fetch::Frame(s.frame().ts)),
                Ok(false) => Ok(Fetch::End),
                Err(e) => Err(e),
            },
            #[cfg(feature = "live")]
            Input::Live(l) => match l.poll() {
                Ok(true) => Ok(Fetch::Frame(l.frame().ts)),
                Ok(false) => Ok(Fetch::Idle),
                Err(e) => Err(e),
            },
        };
        r.unwrap_or_else(|e| self.capture_error(&e))
    }

    /// Counts a capture error and says it on stderr unless quiet.
    #[cold]
    fn capture_error(&mut self, e: &CaptureError) -> Fetch {
        capture_error(&mut self.counters, &self.notes, e)
    }

    /// Decodes the current frame and feeds the engine (each packet once
    /// when several captures saw it; every copy for the one-way figures).
    pub fn process(&mut self) {
        let Session {
            input,
            names,
            decoder,
            feed,
            multi,
            notes,
            counters,
            save,
            save_error,
            lists,
            ..
        } = self;
        let f = match input {
            Input::Stream(s) => s.frame(),
            #[cfg(feature = "live")]
            Input::Live(l) => l.frame(),
        };
        if let Some(w) = save.as_mut()
            && let Err(e) = w.write(&f)
        {
            *save_error = Some(e);
            *save = None;
        }
        decoder.decode_with(&f, None, |o| {
            let (rec, key);
            let seen = match o {
                Outcome::Corosync(p) => {
                    lists.clear();
                    rec = PacketRec::of(p, lists);
                    key = match multi {
                        Some(_) => crate::analysis::multi::packet_key_of(p),
                        None => 0,
                    };
                    Seen::Packet {
                        rec: &rec,
                        lists,
                        key,
                    }
                }
                o => Seen::of_other(o),
            };
            account(
                Analysis {
                    names,
                    feed,
                    multi,
                    notes,
                    counters,
                },
                Frame {
                    ts: f.ts,
                    source: f.source,
                    packet_no: f.packet_no,
                },
                seen,
            );
        });
    }

    /// Nothing arrived (live capture idle): the clock moves on to `now`.
    pub fn tick(&mut self, now: i64) {
        self.counters.first_ts.get_or_insert(now);
        if self.counters.now.is_none_or(|n| now > n) {
            self.counters.now = Some(now);
        }
    }

    /// Handles anything but a frame; true when the run is over.
    pub fn other(&mut self, f: &Fetch, wall_ns: impl FnOnce() -> i64) -> bool {
        match f {
            Fetch::Frame(_) => false,
            Fetch::Idle => {
                self.tick(wall_ns());
                false
            }
            Fetch::End => true,
            Fetch::Error { fatal, .. } => *fatal,
        }
    }

    /// Reads every frame to the end of the input and closes the analysis.
    pub fn run_to_end(&mut self) {
        if !self.run_threaded(None) {
            loop {
                match self.fetch() {
                    Fetch::Frame(_) => self.process(),
                    Fetch::Error { fatal: false, .. } | Fetch::Idle => {}
                    Fetch::End | Fetch::Error { fatal: true, .. } => break,
                }
            }
        }
        self.finish();
    }

    /// As [`Session::run_to_end`], taking a sample of the snapshot into
    /// `timeline` at each of its steps (a second of capture time) the
    /// capture passes, before the first frame past it, and the closing one.
    pub fn run_to_end_sampled(&mut self, timeline: &mut Timeline) {
        let mut sampler = Sampler {
            timeline,
            due: None,
        };
        if !self.run_threaded(Some(&mut sampler)) {
            loop {
                match self.fetch() {
                    Fetch::Frame(ts) => {
                        sampler.frame(ts, || self.snapshot());
                        self.process();
                    }
                    Fetch::Error { fatal: false, .. } | Fetch::Idle => {}
                    Fetch::End | Fetch::Error { fatal: true, .. } => break,
                }
            }
        }
        self.finish();
        timeline.finish(&self.snapshot());
    }

    /// The input ended: close open episodes, write out the kept frames.
    pub fn finish(&mut self) {
        self.decoder.finish();
        if let Some(Err(e)) = self.save.as_mut().map(Savefile::flush) {
            self.save_error = Some(e);
        }
        self.feed.finish(self.counters.last_frame_ts);
        if let Some(m) = self.multi.as_mut() {
            m.one_way.finish();
        }
    }

    /// Notes at the end of a run: decryption's outcome, and how encrypted
    /// nodes were numbered without a key.
    pub fn closing_notes(&self) {
        if let Some(n) = &self.notes {
            n.finish();
        }
        crypto_verdict(self.decoder.decryptor(), self.suite_auto, &self.ports);
        if self.feed.numbered_by_address() {
            crate::say!(
                "corowire: note: encrypted traffic without key or config: nodes are numbered by address \
                 in order of appearance (give --corosync-conf or --authkey for real node ids)"
            );
        }
    }

    /// The analysis as of now: the engine's snapshot with the findings the
    /// several-captures view adds.
    pub fn snapshot(&self) -> Snapshot {
        snapshot_of(&self.feed, &self.multi)
    }

    /// What several captures add: clocks, one-way delays, path loss.
    pub fn multi_view(&self) -> Option<MultiView> {
        self.multi.as_ref().map(MultiRun::view)
    }

    /// What the run could and could not see, for the verdict.
    pub fn coverage(&mut self) -> Coverage {
        let st = self.source_stats();
        let d = &self.decoder.stats;
        Coverage {
            frames: self.counters.frames,
            corosync_packets: d.corosync_packets(),
            capture_errors: self.counters.unread_errors,
            // The record cut where the input ended is not a gap.
            skipped_records: st.skipped.saturating_sub(self.counters.truncated),
            skipped_bytes: st
                .skipped_bytes
                .saturating_sub(self.counters.truncated_bytes),
            last_error: self.counters.last_unread.clone(),
            kernel: st
                .kernel_stats
                .then_some((st.received_kernel, st.dropped_kernel + st.dropped_if)),
            snaplen_cut: d.snaplen_cut,
            encrypted_unopened: d.class_count(crate::wire::classify::Class::Encrypted),
            key_given: self.decoder.decryptor().is_some(),
            ports: self.ports.clone(),
            other_udp_ports: d.other_udp_ports.top(),
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn decode_stats(&self) -> &DecodeStats {
        &self.decoder.stats
    }

    /// The source's counters, the kernel's read afresh for live capture.
    pub fn source_stats(&mut self) -> SourceStats {
        match &mut self.input {
            Input::Stream(s) => s.stats(),
            #[cfg(feature = "live")]
            Input::Live(l) => {
                l.refresh_stats();
                l.stats()
            }
        }
    }
}
