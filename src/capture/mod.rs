//! Capture input: pcap / pcapng files, pcap streams on stdin, live capture
//! (feature `live`) and a time-ordered merge of several sources.
//!
//! A source is a cursor: [`PacketSource::advance`] moves to the next frame
//! and [`PacketSource::frame`] lends it until the next call. Frame bytes are
//! never copied; one buffer per source is reused.

use std::fmt;

pub mod compress;
pub mod file;
#[cfg(feature = "live")]
pub mod live;
pub mod merge;
pub mod readahead;
pub mod save;
pub mod shift;

pub use file::FileSource;
pub use merge::Merge;

/// A timestamp in nanoseconds since the Unix epoch (capture clock).
pub type TimestampNs = i64;

/// Link-layer header types: the wire decoder's (re-exported for sources).
pub use crate::wire::linktype;

/// One captured frame, borrowed from its source.
#[derive(Debug, Clone, Copy)]
pub struct RawFrame<'a> {
    /// Capture time, ns since the epoch.
    pub ts: TimestampNs,
    /// LINKTYPE_* of the interface the frame was captured on.
    pub linktype: u32,
    /// Bytes on the wire (may exceed `data.len()` when snaplen cut the frame).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// 1-based frame number within its source.
    pub packet_no: u64,
    /// Byte offset of the frame's record in its file (0 for live capture).
    pub offset: u64,
    /// Index of the source among the inputs of this run.
    pub source: usize,
}

impl RawFrame<'_> {
    /// True when the capture kept fewer bytes than the wire carried.
    pub fn is_snaplen_cut(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}

/// What went wrong while reading a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureErrorKind {
    /// The operating system refused a read.
    Io(String),
    /// The file is neither pcap nor pcapng.
    NotACapture,
    /// The file ends inside a record: `have` of `need` bytes present.
    TruncatedRecord { need: u64, have: u64 },
    /// A record header makes no sense (length beyond limits, bad block).
    CorruptRecord(String),
    /// A link type corowire does not decode (frames are counted and skipped).
    UnsupportedLinkType(u32),
    /// A corrupt record (`why`) and the bytes passed over after it: the
    /// reader resynchronised on the next plausible record, or reached the
    /// end of the input without finding one. Recoverable.
    Skipped { why: String, span: SkippedSpan },
}

/// Bytes of a capture not read as frames: `[start, end)` file offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkippedSpan {
    pub start: u64,
    pub end: u64,
    /// True when nothing readable followed up to the end of the input.
    pub to_end: bool,
}

impl SkippedSpan {
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for SkippedSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not read: bytes {}-{} ({} bytes)",
            self.start,
            self.end.saturating_sub(1).max(self.start),
            self.len()
        )?;
        if self.to_end {
            f.write_str(", up to the end of the input: no valid record follows")
        } else {
            f.write_str(", resynchronised on the next valid record")
        }
    }
}

/// A capture error with its place: which input, which packet, which byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    pub file: String,
    pub packet_no: u64,
    pub offset: u64,
    pub kind: CaptureErrorKind,
    /// False when the source cannot go on after this error.
    pub recoverable: bool,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Opening an interface or a file fails before any packet: no position then.
        if self.packet_no == 0 && self.offset == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(
                f,
                "{}: packet {} at byte {}: ",
                self.file, self.packet_no, self.offset
            )?;
        }
        match &self.kind {
            CaptureErrorKind::Io(e) => write!(f, "read error: {e}"),
            CaptureErrorKind::NotACapture => write!(f, "not a pcap or pcapng capture"),
            CaptureErrorKind::TruncatedRecord { need, have } => {
                write!(f, "truncated record: {have} of {need} bytes present")
            }
            CaptureErrorKind::CorruptRecord(why) => write!(f, "corrupt record: {why}"),
            CaptureErrorKind::UnsupportedLinkType(l) => write!(f, "unsupported link type {l}"),
            CaptureErrorKind::Skipped { why, span } => write!(f, "corrupt record: {why}; {span}"),
        }
    }
}

impl std::error::Error for CaptureError {}

/// Counters a source keeps about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    pub frames: u64,
    pub bytes: u64,
    /// Frames whose captured length is below their wire length.
    pub snaplen_cut: u64,
    /// Records skipped as corrupt or truncated.
    pub skipped: u64,
    /// Bytes not read as frames: corrupt records and what was passed over
    /// to resynchronise after them, and truncated last records.
    pub skipped_bytes: u64,
    /// Kernel / interface drops (live capture only): libpcap's `ps_drop`
    /// (the capture buffer was full) and `ps_ifdrop` (the interface dropped).
    pub dropped_kernel: u64,
    pub dropped_if: u64,
    /// Packets the kernel filter passed to the capture, dropped ones
    /// included (libpcap's `ps_recv`; live capture only).
    pub received_kernel: u64,
    /// The source has kernel counters (live capture). False for files and
    /// stdin: the three counters above then mean nothing.
    pub kernel_stats: bool,
}

/// A cursor over captured frames.
pub trait PacketSource {
    /// Moves to the next frame. `Ok(false)` at the end. A recoverable error
    /// leaves the source usable: call `advance` again to go on.
    fn advance(&mut self) -> Result<bool, CaptureError>;
    /// The current frame; only valid after `advance` returned `Ok(true)`.
    fn frame(&self) -> RawFrame<'_>;
    /// The name used in messages (file path or interface).
    fn name(&self) -> &str;
    fn stats(&self) -> SourceStats;
    /// The byte ranges not read as frames, per input file name (the first
    /// [`MAX_SPANS`] per file; `SourceStats::skipped_bytes` counts them all).
    fn skipped_spans(&self) -> Vec<(String, SkippedSpan)> {
        Vec::new()
    }
    /// From now on, reads its input ahead on a thread of its own
    /// ([`readahead`]) when it reads a byte stream (files, stdin); the
    /// frames are the same. For the threaded pipeline.
    fn read_ahead(&mut self) {}
    /// `advance`, going on past recoverable errors (for passes that count
    /// them elsewhere or not at all): `Ok(false)` at the end, `Err` only
    /// for an error that ends the source.
    fn advance_past_errors(&mut self) -> Result<bool, CaptureError> {
        loop {
            match self.advance() {
                Err(e) if e.recoverable => continue,
                r => return r,
            }
        }
    }
}

/// Skipped spans a file source remembers one by one.
pub const MAX_SPANS: usize = 256;

/// Capture errors printed one per line before the rest are only counted.
pub const MAX_CAPTURE_NOTES: u64 = 20;

/// Writes the `nth` capture error of a run (1-based) as one
/// "corowire: warning|error: ..." line while `nth` is within
/// [`MAX_CAPTURE_NOTES`]; past it, recoverable errors are only counted
/// (the caller's summary gives the total) and one line says so. A file with
/// a million bad records must not write a million lines. A fatal error is
/// always written.
pub fn note_error(e: &CaptureError, nth: u64, w: &mut impl std::io::Write) {
    let level = if e.recoverable { "warning" } else { "error" };
    if nth <= MAX_CAPTURE_NOTES || !e.recoverable {
        let _ = writeln!(w, "corowire: {level}: {e}");
    } else if nth == MAX_CAPTURE_NOTES + 1 {
        let _ = writeln!(
            w,
            "corowire: more capture record warnings not shown after the first {MAX_CAPTURE_NOTES} (they are counted)"
        );
    }
}
