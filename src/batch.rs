//! Owned batches of decode outcomes: what the decoding thread hands the
//! analysis thread in the threaded pipeline (`session::threaded`).
//!
//! A decoded [`Packet`] borrows from the frame, from the decryptor's
//! cleartext and from the reassembly buffers, all reused by the next frame.
//! A batch keeps, per frame, one small [`Event`] (time, source, packet
//! number, outcome kind) and, per corosync packet, the packet with its
//! slices copied into the batch's byte arena (each byte region once: the
//! knet and totem views inside a payload point into the payload's copy).
//! [`Batch::outcome`] gives back the very `Outcome` the decoder returned,
//! over the arena. Batches are cleared and reused: once their vectors have
//! grown to a batch's size, filling one allocates nothing.

use crate::capture::{CaptureError, RawFrame};
use crate::decode::{Outcome, Packet};
use crate::wire::WireError;
use crate::wire::net::TooBig;

/// Frames per batch.
pub const FRAMES: usize = 1024;
/// A batch is sent once its arena holds this many bytes (a frame adds at
/// most two 64 KiB regions, so the arena stays under 320 KiB).
const ARENA_SOFT: usize = 192 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Corosync,
    TooBig,
    Held,
    NotCorosync,
    Undecodable,
    /// Reading the input failed here (no frame).
    CaptureError,
}

/// One frame's outcome (or a capture error) in a batch.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub ts: i64,
    pub packet_no: u64,
    pub source: usize,
    kind: Kind,
    /// Index into the batch's table for the kind.
    idx: u32,
}

/// A corosync packet with its slices emptied; `spans` holds where each
/// slice's bytes are in the arena, in the order `Packet::rebase` visits them.
#[derive(Debug, Clone, Copy)]
struct Slot {
    packet: Packet<'static>,
    first_span: u32,
}

/// What one event turned out to be.
// Returned by value once per event, as `Outcome` is by the decoder.
#[allow(clippy::large_enum_variant)]
pub enum Item<'b> {
    Frame(Outcome<'b>),
    CaptureError(&'b CaptureError),
}

/// A batch of events, reused.
#[derive(Debug, Default)]
pub struct Batch {
    events: Vec<Event>,
    slots: Vec<Slot>,
    spans: Vec<(u32, u32)>,
    arena: Vec<u8>,
    too_big: Vec<TooBig>,
    errors: Vec<WireError>,
    capture_errors: Vec<CaptureError>,
}

/// Byte regions already copied for the packet being pushed.
struct Regions {
    /// (start address, length, arena offset).
    r: [(usize, usize, usize); 8],
    n: usize,
}

impl Batch {
    pub fn with_capacity() -> Batch {
        Batch {
            events: Vec::with_capacity(FRAMES),
            slots: Vec::with_capacity(FRAMES),
            spans: Vec::with_capacity(FRAMES * 4),
            arena: Vec::with_capacity(ARENA_SOFT + 2 * 65536),
            ..Batch::default()
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Time to send it.
    pub fn is_full(&self) -> bool {
        self.events.len() >= FRAMES || self.arena.len() >= ARENA_SOFT
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.slots.clear();
        self.spans.clear();
        self.arena.clear();
        self.too_big.clear();
        self.errors.clear();
        self.capture_errors.clear();
    }

    /// Adds a frame and what the decoder made of it.
    pub fn push(&mut self, f: &RawFrame<'_>, o: &Outcome<'_>) {
        let (kind, idx) = match o {
            Outcome::Corosync(p) => (Kind::Corosync, self.push_packet(p)),
            Outcome::TooBig { notice, .. } => {
                self.too_big.push(*notice);
                (Kind::TooBig, self.too_big.len() - 1)
            }
            Outcome::Held => (Kind::Held, 0),
            Outcome::NotCorosync => (Kind::NotCorosync, 0),
            Outcome::Undecodable(e) => {
                self.errors.push(*e);
                (Kind::Undecodable, self.errors.len() - 1)
            }
        };
        self.events.push(Event {
            ts: f.ts,
            packet_no: f.packet_no,
            source: f.source,
            kind,
            idx: idx as u32,
        });
    }

    /// Adds a capture error (reading the input failed at this point).
    #[cold]
    pub fn push_capture_error(&mut self, e: CaptureError) {
        self.capture_errors.push(e);
        self.events.push(Event {
            ts: 0,
            packet_no: 0,
            source: 0,
            kind: Kind::CaptureError,
            idx: (self.capture_errors.len() - 1) as u32,
        });
    }

    fn push_packet(&mut self, p: &Packet<'_>) -> usize {
        let first_span = self.spans.len() as u32;
        let mut regions = Regions {
            r: [(0, 0, 0); 8],
            n: 0,
        };
        let (arena, spans) = (&mut self.arena, &mut self.spans);
        let packet = p.rebase(&mut |s: &[u8]| -> &'static [u8] {
            spans.push(copy_once(arena, &mut regions, s));
            &[]
        });
        self.slots.push(Slot { packet, first_span });
        self.slots.len() - 1
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The outcome (or capture error) of `e`, an event of this batch.
    pub fn item(&self, e: &Event) -> Item<'_> {
        let i = e.idx as usize;
        Item::Frame(match e.kind {
            Kind::Corosync => match self.slots.get(i) {
                Some(s) => Outcome::Corosync(self.packet(s)),
                None => Outcome::NotCorosync,
            },
            Kind::TooBig => match self.too_big.get(i) {
                Some(n) => Outcome::TooBig {
                    ts: e.ts,
                    notice: *n,
                },
                None => Outcome::NotCorosync,
            },
            Kind::Held => Outcome::Held,
            Kind::NotCorosync => Outcome::NotCorosync,
            Kind::Undecodable => match self.errors.get(i) {
                Some(w) => Outcome::Undecodable(*w),
                None => Outcome::NotCorosync,
            },
            Kind::CaptureError => {
                return match self.capture_errors.get(i) {
                    Some(c) => Item::CaptureError(c),
                    None => Item::Frame(Outcome::NotCorosync),
                };
            }
        })
    }

    fn packet(&self, s: &Slot) -> Packet<'_> {
        let mut k = s.first_span as usize;
        s.packet.rebase(&mut |_| {
            let (off, len) = self.spans.get(k).copied().unwrap_or((0, 0));
            k += 1;
            let (off, len) = (off as usize, len as usize);
            self.arena.get(off..off + len).unwrap_or(&[])
        })
    }
}

/// The arena span of `s`: inside a region already copied for this packet
/// when it lies there, else a fresh copy.
fn copy_once(arena: &mut Vec<u8>, regions: &mut Regions, s: &[u8]) -> (u32, u32) {
    if s.is_empty() {
        return (0, 0);
    }
    let start = s.as_ptr() as usize;
    let len = s.len();
    for &(rs, rl, off) in &regions.r[..regions.n] {
        if start >= rs && start + len <= rs + rl {
            return ((off + (start - rs)) as u32, len as u32);
        }
    }
    let off = arena.len();
    arena.extend_from_slice(s);
    if regions.n < regions.r.len() {
        regions.r[regions.n] = (start, len, off);
        regions.n += 1;
    }
    (off as u32, len as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::PacketSource;
    use crate::capture::file::FileSource;
    use crate::decode::Decoder;

    /// Every outcome of a real capture comes back from a batch as the
    /// decoder gave it (`Debug` prints every field and every byte the
    /// views read), and a batch's payload copy is shared by its views.
    #[test]
    fn outcomes_round_trip_through_a_batch() {
        for name in [
            "healthy-3n-clear.pcap",
            "membership-3n-node3-cut-rejoin.pcap",
            "mtu-3n-node3-1200.pcap",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(name);
            let mut src = FileSource::open(&path).expect("committed capture");
            let mut dec = Decoder::default();
            let mut batch = Batch::with_capacity();
            let mut want = Vec::new();
            let mut frames = 0;
            while let Ok(true) = src.advance() {
                let f = src.frame();
                let o = dec.decode(&f);
                want.push(format!("{o:?}"));
                batch.push(&f, &o);
                frames += 1;
                if batch.is_full() || frames % 300 == 0 {
                    for (e, w) in batch.events().iter().zip(&want) {
                        let Item::Frame(o) = batch.item(e) else {
                            panic!("no capture error in {name}")
                        };
                        assert_eq!(&format!("{o:?}"), w, "{name}");
                    }
                    assert_eq!(batch.len(), want.len());
                    batch.clear();
                    want.clear();
                }
            }
            assert!(frames > 1000, "{name}: {frames}");
        }
    }
}
