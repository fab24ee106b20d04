//! Streaming pcap / pcapng reader over any `Read` (files, stdin, pipes).
//!
//! One buffer per source, reused for every record: the reader keeps a window
//! `buf[start..end]` of unread bytes, parses the next record in place and
//! lends its bytes until the next `advance`. Memory is bounded by the largest
//! record accepted (`MAX_PCAP_RECORD` / `MAX_PCAPNG_BLOCK`), never by file size.
//!
//! Reads block until the bytes a record needs have arrived, so a pipe that
//! delivers a record in several pieces (`tcpdump -U -w - | corowire ... -`)
//! is read like a file.
//!
//! Errors, each with the file name, packet number and record offset:
//! - a truncated last record: `TruncatedRecord`, recoverable (the next
//!   `advance` returns `Ok(false)`; everything before it was delivered),
//!   unless a valid record follows in the bytes left: then its length was
//!   a corrupt one, reported and resynchronised as below;
//! - a pcap record whose captured length exceeds the limit: `Skipped`,
//!   recoverable: the reader scans forward byte by byte for the next
//!   plausible record header (captured length non-zero, within the snaplen
//!   limit and at most the wire length, a sub-second field below one
//!   second, a time within a day of the last good record) whose following
//!   header is plausible too (or, after a good record, the input ends
//!   right after it), and reports the
//!   byte range it passed over;
//! - a pcapng block length below 12, not a multiple of 4 or above 16 MiB,
//!   or a trailing length that disagrees with the leading one: `Skipped`,
//!   recoverable: the reader scans forward in 4-byte steps for the next
//!   block of a known type whose two lengths agree;
//! - a packet on an undescribed interface, or a captured length beyond its
//!   block: `CorruptRecord`, recoverable, the block is skipped by its
//!   (verified) length.
//!
//! Every skipped range is counted in `SourceStats::skipped_bytes` and the
//! first [`MAX_SPANS`] are kept for [`PacketSource::skipped_spans`].
//!
//! A frame cut by snaplen is not an error: it is delivered with
//! `orig_len > data.len()` and counted in `SourceStats::snaplen_cut`.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use pcap_parser::pcapng::{Block, parse_block_be, parse_block_le};
use pcap_parser::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header};

use super::readahead::ReadAhead;
use super::{
    CaptureError, CaptureErrorKind, MAX_SPANS, PacketSource, RawFrame, SkippedSpan, SourceStats,
    TimestampNs,
};

/// Bytes asked from the reader at once, at most; the buffer starts at
/// `FIRST_CHUNK` and doubles at each refill up to this, so small inputs stay
/// cheap and large files are read in large pieces.
const READ_CHUNK: usize = 1 << 20;
const FIRST_CHUNK: usize = 64 << 10;
/// Largest captured length accepted in a pcap record (libpcap accepts up to
/// the file's snaplen or 256 KiB, whichever is larger; this caps both).
const MAX_PCAP_RECORD: u32 = 16 << 20;
/// Largest pcapng block accepted.
const MAX_PCAPNG_BLOCK: u32 = 16 << 20;
/// libpcap's maximum snapshot length.
const PCAP_DEFAULT_MAX: u32 = 262_144;

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_PB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_EPB: u32 = 6;
/// Block types a resynchronising scan accepts: the ones above, name
/// resolution, interface statistics, systemd journal, decryption secrets
/// and the two custom block types.
const PCAPNG_KNOWN: [u32; 10] = [1, 2, 3, 4, 5, 6, 9, 0x0a, 0xbad, 0x4000_0bad];
/// How far a resynchronised pcap record's time may be from the last good one.
const RESYNC_MAX_JUMP_NS: i64 = 86_400 * 1_000_000_000;
/// Interfaces per pcapng section we keep (a bound on memory).
const MAX_INTERFACES: usize = 4096;

/// How a raw timestamp counts time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsUnit {
    /// Units of 10^-9 / mul seconds: ns = raw * mul.
    Mul(i64),
    /// Any other resolution, in units per second.
    PerSec(u64),
}

impl TsUnit {
    fn from_tsresol(v: u8) -> TsUnit {
        if v & 0x80 == 0 {
            let exp = u32::from(v);
            if exp <= 9 {
                TsUnit::Mul(10i64.pow(9 - exp))
            } else if exp <= 19 {
                TsUnit::PerSec(10u64.pow(exp))
            } else {
                // Finer than 10^-19 s cannot be counted in u64 units; treat
                // as the coarsest plausible value rather than failing.
                TsUnit::PerSec(u64::MAX)
            }
        } else {
            let exp = u32::from(v & 0x7f);
            if exp < 64 {
                TsUnit::PerSec(1u64 << exp)
            } else {
                TsUnit::PerSec(u64::MAX)
            }
        }
    }

    #[inline]
    fn to_ns(self, raw: u64) -> i64 {
        match self {
            TsUnit::Mul(m) => {
                let v = i128::from(raw) * i128::from(m);
                clamp_i64(v)
            }
            TsUnit::PerSec(per) => {
                let per = u128::from(per.max(1));
                let raw = u128::from(raw);
                let v = (raw / per) * 1_000_000_000 + (raw % per) * 1_000_000_000 / per;
                clamp_i64(v as i128)
            }
        }
    }
}

fn clamp_i64(v: i128) -> i64 {
    if v > i128::from(i64::MAX) {
        i64::MAX
    } else if v < i128::from(i64::MIN) {
        i64::MIN
    } else {
        v as i64
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    unit: TsUnit,
    /// if_tsoffset in ns.
    offset_ns: i64,
}

#[derive(Debug)]
enum Format {
    Pcap {
        /// The file's byte order is not the host's (for our own header
        /// peeks and the resynchronising scan).
        swapped: bool,
        /// The file is big-endian (for pcap-parser's record parser).
        big_endian: bool,
        unit: TsUnit,
        linktype: u32,
        max_caplen: u32,
    },
    Pcapng {
        swapped: bool,
        interfaces: Vec<Interface>,
    },
}

/// The current frame, as positions in the buffer.
#[derive(Debug, Default, Clone, Copy)]
struct Current {
    ts: TimestampNs,
    linktype: u32,
    orig_len: u32,
    data_start: usize,
    data_len: usize,
    packet_no: u64,
    offset: u64,
}

/// A pcap or pcapng capture read as a stream.
pub struct FileSource {
    name: String,
    reader: Box<dyn Read + Send>,
    /// The reader, on a thread of its own (`read_ahead`): its buffers
    /// become this one.
    ahead: Option<ReadAhead>,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// File offset of `buf[start]`.
    file_off: u64,
    eof: bool,
    /// Buffer size to aim for at the next refill.
    chunk: usize,
    /// Largest buffer size aimed at by refills (records may need more).
    max_chunk: usize,
    /// Bytes of the current record still to skip at the next `advance`.
    pending: usize,
    format: Format,
    cur: Current,
    /// Records seen (frames and failed frame records), for numbering.
    packet_no: u64,
    /// Set after a non-recoverable error or the end of input.
    finished: bool,
    stats: SourceStats,
    /// The first `MAX_SPANS` byte ranges skipped.
    spans: Vec<SkippedSpan>,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish()
    }
}

impl FileSource {
    /// Opens a capture file; `-` reads from stdin. A gzip, zstd, xz or
    /// lz4 stream is decompressed on the way ([`super::compress`]); byte
    /// offsets in messages then count decompressed bytes.
    pub fn open(path: &Path) -> Result<FileSource, CaptureError> {
        let name = path.display().to_string();
        let io_err = |e: io::Error| CaptureError {
            file: name.clone(),
            packet_no: 0,
            offset: 0,
            kind: CaptureErrorKind::Io(e.to_string()),
            recoverable: false,
        };
        let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
            Box::new(io::stdin())
        } else {
            Box::new(File::open(path).map_err(io_err)?)
        };
        let (reader, _) = super::compress::open(raw).map_err(io_err)?;
        FileSource::from_reader(name, reader)
    }

    /// Reads a capture from any byte stream; reads the file header now.
    pub fn from_reader(
        name: String,
        reader: Box<dyn Read + Send>,
    ) -> Result<FileSource, CaptureError> {
        FileSource::from_reader_with_read_size(name, reader, FIRST_CHUNK, READ_CHUNK)
    }

    /// Like [`FileSource::from_reader`] with a chosen buffer size: the
    /// buffer starts at `first` bytes and refills aim for at most `max`
    /// (a single record larger than that still fits). Tests and the fuzz
    /// target use tiny sizes so that records straddle refills.
    pub fn from_reader_with_read_size(
        name: String,
        reader: Box<dyn Read + Send>,
        first: usize,
        max: usize,
    ) -> Result<FileSource, CaptureError> {
        let mut s = FileSource {
            name,
            reader,
            ahead: None,
            buf: Vec::new(),
            start: 0,
            end: 0,
            file_off: 0,
            eof: false,
            chunk: first.max(1),
            max_chunk: max.max(first).max(1),
            pending: 0,
            format: Format::Pcapng {
                swapped: false,
                interfaces: Vec::new(),
            },
            cur: Current::default(),
            packet_no: 0,
            finished: false,
            stats: SourceStats::default(),
            spans: Vec::new(),
        };
        s.read_file_header()?;
        Ok(s)
    }

    /// "pcap" or "pcapng".
    pub fn format_name(&self) -> &'static str {
        match self.format {
            Format::Pcap { .. } => "pcap",
            Format::Pcapng { .. } => "pcapng",
        }
    }

    /// The link type of a pcap file, or of the first interface of the
    /// current pcapng section (None when no interface was described yet).
    pub fn linktype(&self) -> Option<u32> {
        match &self.format {
            Format::Pcap { linktype, .. } => Some(*linktype),
            Format::Pcapng { interfaces, .. } => interfaces.first().map(|i| i.linktype),
        }
    }

    fn err(&self, offset: u64, kind: CaptureErrorKind, recoverable: bool) -> CaptureError {
        CaptureError {
            file: self.name.clone(),
            packet_no: self.packet_no,
            offset,
            kind,
            recoverable,
        }
    }

    /// Where a slice pcap-parser returned (a view into `buf`) starts in `buf`.
    #[inline]
    fn buf_pos(&self, part: &[u8]) -> usize {
        (part.as_ptr() as usize).wrapping_sub(self.buf.as_ptr() as usize)
    }

    fn avail(&self) -> usize {
        self.end - self.start
    }

    /// Makes `n` unread bytes available in the buffer if the input has them.
    /// Returns false at end of input with fewer than `n` bytes left.
    #[inline]
    fn fill(&mut self, n: usize) -> Result<bool, CaptureError> {
        if self.avail() >= n {
            return Ok(true);
        }
        self.fill_slow(n)
    }

    #[cold]
    fn fill_slow(&mut self, n: usize) -> Result<bool, CaptureError> {
        if self.eof {
            return Ok(false);
        }
        if self.ahead.is_some() {
            return self.fill_ahead(n);
        }
        // Move the unread tail to the front, grow when one record needs more.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.chunk {
            self.buf.resize(self.chunk, 0);
        }
        self.chunk = (self.chunk * 2).min(self.max_chunk);
        while self.end < n {
            if self.end == self.buf.len() {
                // A record larger than the buffer: grow by doubling as its
                // bytes actually arrive, so a corrupt length in a short
                // input never allocates the full claimed size.
                let grown = (self.buf.len() * 2).min(n.max(self.max_chunk));
                self.buf.resize(grown.max(self.end + 1), 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let off = self.file_off + self.avail() as u64;
                    return Err(self.err(off, CaptureErrorKind::Io(e.to_string()), false));
                }
            }
        }
        Ok(true)
    }

    /// `fill_slow` when reading ahead: each buffer read becomes the buffer,
    /// the unread bytes of the one before put in its headroom (or, when
    /// they do not fit there, its bytes appended to the buffer).
    #[cold]
    fn fill_ahead(&mut self, n: usize) -> Result<bool, CaptureError> {
        while self.avail() < n {
            let Some(ra) = self.ahead.as_mut() else {
                return Ok(false);
            };
            let (mut next, at) = match ra.next_chunk() {
                Ok(Some(c)) => c,
                Ok(None) => {
                    self.eof = true;
                    return Ok(false);
                }
                Err(e) => {
                    let off = self.file_off + self.avail() as u64;
                    return Err(self.err(off, CaptureErrorKind::Io(e.to_string()), false));
                }
            };
            let tail = self.end - self.start;
            if tail <= at.start {
                let front = at.start - tail;
                next[front..at.start].copy_from_slice(&self.buf[self.start..self.end]);
                let old = std::mem::replace(&mut self.buf, next);
                ra.give_back(old);
                (self.start, self.end) = (front, at.end);
            } else {
                // A long record cut by the chunk: it grows in this buffer.
                self.buf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, tail);
                self.buf.truncate(tail);
                self.buf.extend_from_slice(&next[at]);
                self.end = self.buf.len();
                ra.give_back(next);
            }
        }
        Ok(true)
    }

    /// Skips `n` unread bytes (all present in the buffer).
    #[inline]
    fn consume(&mut self, n: usize) {
        let n = n.min(self.avail());
        self.start += n;
        self.file_off += n as u64;
    }

    /// Skips `n` bytes that may not all be buffered (used to pass over a
    /// large block without keeping it).
    fn skip(&mut self, mut n: u64) -> Result<bool, CaptureError> {
        loop {
            let here = (self.avail() as u64).min(n);
            self.consume(here as usize);
            n -= here;
            if n == 0 {
                return Ok(true);
            }
            if !self.fill(1)? {
                return Ok(false);
            }
        }
    }

    /// N bytes at `pos` (zeros past the end: callers check lengths first).
    #[inline]
    fn bytes_at<const N: usize>(&self, pos: usize) -> [u8; N] {
        let mut b = [0u8; N];
        if let Some(s) = self.buf.get(pos..pos + N) {
            b.copy_from_slice(s);
        }
        b
    }

    #[inline]
    fn u32_at(&self, pos: usize, swapped: bool) -> u32 {
        let v = u32::from_ne_bytes(self.bytes_at(pos));
        if swapped { v.swap_bytes() } else { v }
    }

    #[inline]
    fn u16_at(&self, pos: usize, swapped: bool) -> u16 {
        let v = u16::from_ne_bytes(self.bytes_at(pos));
        if swapped { v.swap_bytes() } else { v }
    }

    fn read_file_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(4)? {
            let have = self.avail() as u64;
            return Err(self.err(
                0,
                if have == 0 {
                    CaptureErrorKind::NotACapture
                } else {
                    CaptureErrorKind::TruncatedRecord { need: 4, have }
                },
                false,
            ));
        }
        // Read in host order: a magic that comes out byte-swapped means the
        // file was written on a machine of the other byte order.
        let magic = self.u32_at(self.start, false);
        let (swapped, nanos) = match magic {
            PCAP_MAGIC_US => (false, false),
            PCAP_MAGIC_NS => (false, true),
            m if m == PCAP_MAGIC_US.swap_bytes() => (true, false),
            m if m == PCAP_MAGIC_NS.swap_bytes() => (true, true),
            PCAPNG_SHB => {
                // Check the section header now, so a bad file fails at open.
                self.format = Format::Pcapng {
                    swapped: false,
                    interfaces: Vec::new(),
                };
                return self.read_shb(0).map_err(|e| CaptureError {
                    recoverable: false,
                    ..e
                });
            }
            _ => return Err(self.err(0, CaptureErrorKind::NotACapture, false)),
        };
        if !self.fill(24)? {
            let have = self.avail() as u64;
            return Err(self.err(
                0,
                CaptureErrorKind::TruncatedRecord { need: 24, have },
                false,
            ));
        }
        // pcap-parser reads the file header (both byte orders, µs and ns
        // magics); the magic checked above keeps Kuznetsov's modified
        // format out, as before.
        let (snaplen, network, big_endian) =
            match parse_pcap_header(&self.buf[self.start..self.start + 24]) {
                Ok((_, h)) if h.is_nanosecond_precision() == nanos => {
                    (h.snaplen, h.network.0 as u32, h.is_bigendian())
                }
                _ => return Err(self.err(0, CaptureErrorKind::NotACapture, false)),
            };
        self.consume(24);
        let unit = if nanos {
            TsUnit::Mul(1)
        } else {
            TsUnit::Mul(1000)
        };
        let max_caplen = snaplen.clamp(PCAP_DEFAULT_MAX, MAX_PCAP_RECORD);
        self.format = Format::Pcap {
            swapped,
            big_endian,
            unit,
            linktype: network & 0xffff,
            max_caplen,
        };
        Ok(())
    }

    #[inline]
    fn next_pcap(
        &mut self,
        swapped: bool,
        big_endian: bool,
        unit: TsUnit,
        linktype: u32,
        max_caplen: u32,
    ) -> Result<bool, CaptureError> {
        let rec_off = self.file_off;
        if !self.fill(16)? {
            self.finished = true;
            let have = self.avail() as u64;
            if have == 0 {
                return Ok(false);
            }
            self.packet_no += 1;
            self.stats.skipped += 1;
            return Err(self.err(
                rec_off,
                CaptureErrorKind::TruncatedRecord { need: 16, have },
                true,
            ));
        }
        // Own code: the captured length is peeked before the record is
        // buffered, so a corrupt one is caught before we wait for (or
        // allocate) its bytes, and resynchronised (pcap-parser has no
        // resynchronisation: it would ask for the claimed bytes).
        let caplen = self.u32_at(self.start + 8, swapped);
        self.packet_no += 1;
        if caplen > max_caplen {
            self.stats.skipped += 1;
            let why = format!("captured length {caplen} exceeds the limit {max_caplen}");
            let to_end = self.resync_pcap(swapped, unit, max_caplen)?;
            return Err(self.skipped(rec_off, why, to_end));
        }
        let total = 16 + caplen as usize;
        if !self.fill(total)? {
            self.stats.skipped += 1;
            let have = self.avail() as u64;
            // A length running past the end may be a corrupt one in the
            // middle: a real record in what is left says so.
            if !self.resync_pcap(swapped, unit, max_caplen)? {
                let why = format!("captured length {caplen} runs past the end of the input");
                return Err(self.skipped(rec_off, why, false));
            }
            self.finished = true;
            return Err(self.err(
                rec_off,
                CaptureErrorKind::TruncatedRecord {
                    need: total as u64,
                    have,
                },
                true,
            ));
        }
        // The whole record is buffered: pcap-parser reads it in place.
        let rec = &self.buf[self.start..self.start + total];
        let parsed = if big_endian {
            parse_pcap_frame_be(rec)
        } else {
            parse_pcap_frame(rec)
        };
        let Ok((_, b)) = parsed else {
            // Cannot happen with `total` bytes present; never panic on
            // input, and account for the record's bytes like any skip.
            self.consume(total);
            self.stats.skipped += 1;
            self.note_span(SkippedSpan {
                start: rec_off,
                end: self.file_off,
                to_end: false,
            });
            let why = format!("pcap record of captured length {caplen} unreadable");
            return Err(self.err(rec_off, CaptureErrorKind::CorruptRecord(why), true));
        };
        let ts = i64::from(b.ts_sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(unit.to_ns(u64::from(b.ts_usec)));
        let (orig_len, data_start) = (b.origlen, self.buf_pos(b.data));
        self.set_current(ts, linktype, orig_len, data_start, caplen as usize, rec_off);
        self.pending = total;
        Ok(true)
    }

    /// Records a skipped byte range and makes the error that reports it.
    #[cold]
    fn skipped(&mut self, start: u64, why: String, to_end: bool) -> CaptureError {
        let span = SkippedSpan {
            start,
            end: self.file_off,
            to_end,
        };
        self.note_span(span);
        self.err(start, CaptureErrorKind::Skipped { why, span }, true)
    }

    /// An error of `advance`, its span noted: the cut record's bytes at
    /// the end of the input are not read either.
    #[cold]
    fn noted(&mut self, e: CaptureError) -> CaptureError {
        if let CaptureErrorKind::TruncatedRecord { have, .. } = &e.kind {
            let start = e.offset;
            self.note_span(SkippedSpan {
                start,
                end: start + have,
                to_end: true,
            });
        }
        e
    }

    fn note_span(&mut self, span: SkippedSpan) {
        self.stats.skipped_bytes += span.len();
        if self.spans.len() < MAX_SPANS {
            self.spans.push(span);
        }
    }

    /// Passes over a corrupt pcap record at `start`: moves byte by byte to
    /// the next plausible record header whose successor is plausible too
    /// (or the input ends after it). True when the input ended first.
    #[cold]
    fn resync_pcap(
        &mut self,
        swapped: bool,
        unit: TsUnit,
        max_caplen: u32,
    ) -> Result<bool, CaptureError> {
        // The last good record's time, when there was one.
        let near = (self.stats.frames > 0).then_some(self.cur.ts);
        self.consume(1);
        loop {
            if !self.fill(16)? {
                self.consume(self.avail());
                return Ok(true);
            }
            if let Some(len) = self.pcap_header_plausible(0, swapped, unit, max_caplen, near) {
                let next = 16 + len;
                if self.fill(next + 16)? {
                    let ts = self.pcap_ts(0, swapped, unit);
                    if self
                        .pcap_header_plausible(next, swapped, unit, max_caplen, Some(ts))
                        .is_some()
                    {
                        return Ok(false);
                    }
                } else if near.is_some() && self.avail() >= next {
                    // The record ends the input (or only a cut header
                    // follows); its time vouches for it, so there must be one.
                    return Ok(false);
                }
            }
            self.consume(1);
        }
    }

    /// The record time of the pcap header at `rel` bytes past `start`.
    fn pcap_ts(&self, rel: usize, swapped: bool, unit: TsUnit) -> i64 {
        let p = self.start + rel;
        i64::from(self.u32_at(p, swapped))
            .saturating_mul(1_000_000_000)
            .saturating_add(unit.to_ns(u64::from(self.u32_at(p + 4, swapped))))
    }

    /// The captured length of the pcap header at `rel` bytes past `start`
    /// (16 bytes buffered) when it could be a real one, near `near` in time.
    fn pcap_header_plausible(
        &self,
        rel: usize,
        swapped: bool,
        unit: TsUnit,
        max_caplen: u32,
        near: Option<i64>,
    ) -> Option<usize> {
        let p = self.start + rel;
        let frac = self.u32_at(p + 4, swapped);
        let caplen = self.u32_at(p + 8, swapped);
        let orig_len = self.u32_at(p + 12, swapped);
        let frac_ok = match unit {
            TsUnit::Mul(1) => frac < 1_000_000_000,
            _ => frac < 1_000_000,
        };
        let ts = self.pcap_ts(rel, swapped, unit);
        let time_ok = near.is_none_or(|t| (ts - t).abs() <= RESYNC_MAX_JUMP_NS);
        // An empty record is legal but never written by a capture tool,
        // and runs of zero bytes would all read as one.
        (caplen > 0
            && caplen <= max_caplen
            && caplen <= orig_len
            && orig_len <= MAX_PCAP_RECORD
            && frac_ok
            && time_ok)
            .then_some(caplen as usize)
    }

    /// Passes over a corrupt pcapng block at `start`: moves in 4-byte steps
    /// to the next block of a known type whose leading and trailing lengths
    /// agree. True when the input ended first.
    #[cold]
    fn resync_pcapng(&mut self, swapped: bool) -> Result<bool, CaptureError> {
        self.consume(4);
        loop {
            if !self.fill(12)? {
                self.consume(self.avail());
                return Ok(true);
            }
            if self.pcapng_block_plausible(swapped)? {
                return Ok(false);
            }
            self.consume(4);
        }
    }

    /// True when a block of a known type with agreeing lengths starts at
    /// `start` (12 bytes buffered; buffers the whole block to check).
    fn pcapng_block_plausible(&mut self, swapped: bool) -> Result<bool, CaptureError> {
        let p = self.start;
        let swapped = if self.u32_at(p, false) == PCAPNG_SHB {
            match self.u32_at(p + 8, false) {
                PCAPNG_BOM => false,
                b if b == PCAPNG_BOM.swap_bytes() => true,
                _ => return Ok(false),
            }
        } else if PCAPNG_KNOWN.contains(&self.u32_at(p, swapped)) {
            swapped
        } else {
            return Ok(false);
        };
        let blen = self.u32_at(p + 4, swapped);
        if blen < 12 || !blen.is_multiple_of(4) || blen > MAX_PCAPNG_BLOCK {
            return Ok(false);
        }
        let blen = blen as usize;
        if !self.fill(blen)? {
            return Ok(false);
        }
        let p = self.start;
        Ok(self.u32_at(p + blen - 4, swapped) == blen as u32)
    }

    #[inline]
    fn set_current(
        &mut self,
        ts: i64,
        linktype: u32,
        orig_len: u32,
        data_start: usize,
        data_len: usize,
        offset: u64,
    ) {
        self.cur = Current {
            ts,
            linktype,
            orig_len,
            data_start,
            data_len,
            packet_no: self.packet_no,
            offset,
        };
        self.stats.frames += 1;
        self.stats.bytes += data_len as u64;
        if (data_len as u64) < u64::from(orig_len) {
            self.stats.snaplen_cut += 1;
        }
    }

    /// Reads pcapng blocks until a packet block, the end, or an error.
    fn next_pcapng(&mut self) -> Result<bool, CaptureError> {
        loop {
            let blk_off = self.file_off;
            if !self.fill(12)? {
                self.finished = true;
                let have = self.avail() as u64;
                if have == 0 {
                    return Ok(false);
                }
                return Err(self.err(
                    blk_off,
                    CaptureErrorKind::TruncatedRecord { need: 12, have },
                    true,
                ));
            }
            let p = self.start;
            // The section header type reads the same in both byte orders.
            if self.u32_at(p, false) == PCAPNG_SHB {
                self.read_shb(blk_off)?;
                continue;
            }
            let swapped = match &self.format {
                Format::Pcapng { swapped, .. } => *swapped,
                Format::Pcap { .. } => false,
            };
            let btype = self.u32_at(p, swapped);
            let blen = self.u32_at(p + 4, swapped);
            let is_packet = matches!(btype, PCAPNG_EPB | PCAPNG_SPB | PCAPNG_PB);
            if blen < 12 || !blen.is_multiple_of(4) || blen > MAX_PCAPNG_BLOCK {
                if is_packet {
                    self.packet_no += 1;
                }
                self.stats.skipped += 1;
                let why = format!("block type 0x{btype:08x} with impossible length {blen}");
                let to_end = self.resync_pcapng(swapped)?;
                return Err(self.skipped(blk_off, why, to_end));
            }
            if !is_packet && btype != PCAPNG_IDB {
                // Unknown or uninteresting block: skip by its length without buffering it.
                if !self.skip(u64::from(blen))? {
                    self.finished = true;
                    return Err(self.err(
                        blk_off,
                        CaptureErrorKind::TruncatedRecord {
                            need: u64::from(blen),
                            have: self.file_off - blk_off,
                        },
                        true,
                    ));
                }
                continue;
            }
            if is_packet {
                self.packet_no += 1;
            }
            let blen_us = blen as usize;
            if !self.fill(blen_us)? {
                self.stats.skipped += 1;
                let have = self.avail() as u64;
                // A length running past the end may be a corrupt one in
                // the middle: a real block in what is left says so.
                if !self.resync_pcapng(swapped)? {
                    let why = format!(
                        "block type 0x{btype:08x} of length {blen} runs past the end of the input"
                    );
                    return Err(self.skipped(blk_off, why, false));
                }
                self.finished = true;
                return Err(self.err(
                    blk_off,
                    CaptureErrorKind::TruncatedRecord {
                        need: u64::from(blen),
                        have,
                    },
                    true,
                ));
            }
            // fill() may have moved the block to the front of the buffer.
            let p = self.start;
            let trailer = self.u32_at(p + blen_us - 4, swapped);
            if trailer != blen {
                // One of the two lengths is wrong, and skipping by the
                // leading one could land anywhere: scan for the next block.
                self.stats.skipped += 1;
                let why = format!("block length {blen} disagrees with its trailing copy {trailer}");
                let to_end = self.resync_pcapng(swapped)?;
                return Err(self.skipped(blk_off, why, to_end));
            }
            if btype == PCAPNG_IDB {
                let r = self.read_idb(p, blen_us, swapped, blk_off);
                self.consume(blen_us);
                r?;
                continue;
            }
            match self.packet_block(btype, p, blen_us, swapped, blk_off) {
                Ok(()) => {
                    self.pending = blen_us;
                    return Ok(true);
                }
                Err(e) => {
                    self.consume(blen_us);
                    self.stats.skipped += 1;
                    self.note_span(SkippedSpan {
                        start: blk_off,
                        end: self.file_off,
                        to_end: false,
                    });
                    return Err(e);
                }
            }
        }
    }

    fn read_shb(&mut self, blk_off: u64) -> Result<(), CaptureError> {
        if !self.fill(16)? {
            self.finished = true;
            let have = self.avail() as u64;
            return Err(self.err(
                blk_off,
                CaptureErrorKind::TruncatedRecord { need: 16, have },
                true,
            ));
        }
        let p = self.start;
        let bom = self.u32_at(p + 8, false);
        let swapped = if bom == PCAPNG_BOM {
            false
        } else if bom == PCAPNG_BOM.swap_bytes() {
            true
        } else {
            self.finished = true;
            return Err(self.err(
                blk_off,
                CaptureErrorKind::CorruptRecord(format!(
                    "section header with unknown byte-order magic 0x{bom:08x}"
                )),
                false,
            ));
        };
        let blen = self.u32_at(p + 4, swapped);
        if blen < 28 || !blen.is_multiple_of(4) || blen > MAX_PCAPNG_BLOCK {
            self.finished = true;
            return Err(self.err(
                blk_off,
                CaptureErrorKind::CorruptRecord(format!(
                    "section header with impossible length {blen}"
                )),
                false,
            ));
        }
        self.format = Format::Pcapng {
            swapped,
            interfaces: Vec::new(),
        };
        if !self.skip(u64::from(blen))? {
            self.finished = true;
            return Err(self.err(
                blk_off,
                CaptureErrorKind::TruncatedRecord {
                    need: u64::from(blen),
                    have: self.file_off - blk_off,
                },
                true,
            ));
        }
        Ok(())
    }

    fn read_idb(
        &mut self,
        p: usize,
        blen: usize,
        swapped: bool,
        blk_off: u64,
    ) -> Result<(), CaptureError> {
        if blen < 20 {
            return Err(self.err(
                blk_off,
                CaptureErrorKind::CorruptRecord(format!("interface block of {blen} bytes")),
                true,
            ));
        }
        let big_endian = swapped != cfg!(target_endian = "big");
        let iface = match parse_ng_block(&self.buf[p..p + blen], big_endian) {
            Some(Block::InterfaceDescription(idb)) => Interface {
                linktype: u32::from(idb.linktype.0 as u16),
                snaplen: idb.snaplen,
                // Own code: pcap-parser's `build_ts_resolution` rejects every
                // binary (2^-n) resolution (0.17 compares the byte, flag bit
                // included, with 63) and its `build_ts` gives u32 seconds, so
                // the resolution is turned into ns by `TsUnit` here.
                unit: TsUnit::from_tsresol(idb.if_tsresol),
                // pcap-parser 0.17 reads if_tsoffset as little-endian in
                // every section; a big-endian section's comes out swapped.
                offset_ns: if big_endian {
                    idb.if_tsoffset.swap_bytes()
                } else {
                    idb.if_tsoffset
                }
                .saturating_mul(1_000_000_000),
            },
            _ => {
                return Err(self.err(
                    blk_off,
                    CaptureErrorKind::CorruptRecord(format!(
                        "interface block of {blen} bytes unreadable"
                    )),
                    true,
                ));
            }
        };
        if let Format::Pcapng { interfaces, .. } = &mut self.format {
            if interfaces.len() >= MAX_INTERFACES {
                return Err(self.err(
                    blk_off,
                    CaptureErrorKind::CorruptRecord("too many interfaces in one section".into()),
                    true,
                ));
            }
            interfaces.push(iface);
        }
        Ok(())
    }

    fn iface(&self, id: u32, blk_off: u64) -> Result<Interface, CaptureError> {
        match &self.format {
            Format::Pcapng { interfaces, .. } => {
                interfaces.get(id as usize).copied().ok_or_else(|| {
                    self.err(
                        blk_off,
                        CaptureErrorKind::CorruptRecord(format!(
                            "packet on interface {id}, only {} described",
                            interfaces.len()
                        )),
                        true,
                    )
                })
            }
            Format::Pcap { .. } => Err(self.err(
                blk_off,
                CaptureErrorKind::CorruptRecord("no interface".into()),
                true,
            )),
        }
    }

    fn packet_block(
        &mut self,
        btype: u32,
        p: usize,
        blen: usize,
        swapped: bool,
        blk_off: u64,
    ) -> Result<(), CaptureError> {
        let big_endian = swapped != cfg!(target_endian = "big");
        // (interface, raw timestamp, captured length, original length, data start in buf)
        let (iface_id, ts_raw, caplen, orig_len, data_start) = match btype {
            PCAPNG_EPB => {
                let parsed = parse_ng_block(&self.buf[p..p + blen], big_endian);
                match parsed {
                    Some(Block::EnhancedPacket(b)) => (
                        b.if_id,
                        Some((u64::from(b.ts_high) << 32) | u64::from(b.ts_low)),
                        b.caplen,
                        b.origlen,
                        self.buf_pos(b.data),
                    ),
                    _ => return Err(self.bad_packet_block(p, blen, swapped, blk_off)),
                }
            }
            PCAPNG_SPB => {
                if blen < 16 {
                    return Err(self.err(
                        blk_off,
                        CaptureErrorKind::CorruptRecord(format!(
                            "simple packet block of {blen} bytes"
                        )),
                        true,
                    ));
                }
                let parsed = parse_ng_block(&self.buf[p..p + blen], big_endian);
                let Some(Block::SimplePacket(b)) = parsed else {
                    return Err(self.bad_packet_block(p, blen, swapped, blk_off));
                };
                // Interface 0, no timestamp, captured length = min(original
                // length, snaplen, block space).
                let (orig, room, start) = (b.origlen, b.data.len() as u32, self.buf_pos(b.data));
                let snap = self.iface(0, blk_off)?.snaplen;
                let mut cap = orig.min(room);
                if snap != 0 {
                    cap = cap.min(snap);
                }
                (0, None, cap, orig, start)
            }
            _ => {
                // Own code: the obsolete Packet Block (type 2), which
                // pcap-parser does not parse (it comes out as an unknown
                // block): a 16-bit interface id, then the EPB's layout.
                if blen < 32 {
                    return Err(self.bad_packet_block(p, blen, swapped, blk_off));
                }
                let caplen = self.u32_at(p + 20, swapped);
                if 28 + caplen as usize > blen - 4 {
                    return Err(self.bad_packet_block(p, blen, swapped, blk_off));
                }
                let hi = u64::from(self.u32_at(p + 12, swapped));
                let lo = u64::from(self.u32_at(p + 16, swapped));
                let iface_id = u32::from(self.u16_at(p + 8, swapped));
                let orig = self.u32_at(p + 24, swapped);
                (iface_id, Some((hi << 32) | lo), caplen, orig, p + 28)
            }
        };
        let iface = self.iface(iface_id, blk_off)?;
        let ts = match ts_raw {
            Some(raw) => iface.unit.to_ns(raw).saturating_add(iface.offset_ns),
            None => 0,
        };
        self.set_current(
            ts,
            iface.linktype,
            orig_len,
            data_start,
            caplen as usize,
            blk_off,
        );
        Ok(())
    }

    /// The error for a packet block whose lengths do not fit (pcap-parser
    /// refused it, or our Packet Block check did): which length, said from
    /// the block's own fields.
    #[cold]
    fn bad_packet_block(&self, p: usize, blen: usize, swapped: bool, blk_off: u64) -> CaptureError {
        let why = if blen < 32 {
            format!("packet block of {blen} bytes")
        } else {
            let caplen = self.u32_at(p + 20, swapped);
            format!("captured length {caplen} exceeds its block of {blen} bytes")
        };
        self.err(blk_off, CaptureErrorKind::CorruptRecord(why), true)
    }
}

/// One whole pcapng block, parsed by pcap-parser in the section's byte
/// order (None when pcap-parser refuses it).
#[inline]
fn parse_ng_block(block: &[u8], big_endian: bool) -> Option<Block<'_>> {
    let parsed = if big_endian {
        parse_block_be(block)
    } else {
        parse_block_le(block)
    };
    parsed.ok().map(|(_, b)| b)
}

impl PacketSource for FileSource {
    #[inline]
    fn advance(&mut self) -> Result<bool, CaptureError> {
        if self.pending > 0 {
            let n = self.pending;
            self.pending = 0;
            self.consume(n);
        }
        if self.finished {
            return Ok(false);
        }
        let r = match self.format {
            Format::Pcap {
                swapped,
                big_endian,
                unit,
                linktype,
                max_caplen,
            } => self.next_pcap(swapped, big_endian, unit, linktype, max_caplen),
            Format::Pcapng { .. } => self.next_pcapng(),
        };
        // A frame is returned as built here: copying the whole result
        // (an error is ~100 bytes) out of a temporary stalled on its
        // freshly written words, ~5 % of the decoding thread (issue 20).
        match r {
            Ok(more) => Ok(more),
            Err(e) => Err(self.noted(e)),
        }
    }

    #[inline]
    fn frame(&self) -> RawFrame<'_> {
        let c = &self.cur;
        let data = self
            .buf
            .get(c.data_start..c.data_start + c.data_len)
            .unwrap_or(&[]);
        RawFrame {
            ts: c.ts,
            linktype: c.linktype,
            orig_len: c.orig_len,
            data,
            packet_no: c.packet_no,
            offset: c.offset,
            source: 0,
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }

    fn skipped_spans(&self) -> Vec<(String, SkippedSpan)> {
        self.spans.iter().map(|s| (self.name.clone(), *s)).collect()
    }

    fn read_ahead(&mut self) {
        if self.eof || self.ahead.is_some() {
            return;
        }
        let inner = std::mem::replace(&mut self.reader, Box::new(io::empty()));
        match ReadAhead::spawn(inner) {
            Ok(r) => self.ahead = Some(r),
            Err(inner) => self.reader = inner,
        }
    }
}
