//! Owned batches of decode outcomes: what the decoding thread hands the
//! analysis thread in the threaded pipeline (`session::threaded`).
//!
//! A batch keeps, per frame, one small [`Event`] (time, source, packet
//! number, outcome kind) and, per corosync packet, its compact record
//! ([`PacketRec`], what the analysis reads of a decoded packet) with the
//! totem lists it points to in the batch's [`Lists`]. [`Batch::item`]
//! gives each frame back as the analysis takes it ([`Seen`]), exactly as
//! the one-thread loop hands it over. Batches are cleared and reused: once
//! their vectors have grown to a batch's size, filling one allocates
//! nothing.

use crate::capture::{CaptureError, RawFrame};
use crate::compact::{Lists, PacketRec, Seen};
use crate::decode::Outcome;
use crate::wire::WireError;
use crate::wire::net::TooBig;

/// Frames per batch.
pub const FRAMES: usize = 4096;
/// A batch is sent once its lists hold this many words (a packet adds at
/// most a few thousand: a commit token's members and rings, a token's
/// retransmit list).
const LISTS_SOFT: usize = 16 * 1024;

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

/// What one event turned out to be.
pub enum Item<'b> {
    Frame(Seen<'b>),
    CaptureError(&'b CaptureError),
}

/// A batch of events, reused.
#[derive(Debug, Default)]
pub struct Batch {
    events: Vec<Event>,
    recs: Vec<PacketRec>,
    /// The several-captures packet key of each record (empty when the run
    /// has one capture).
    keys: Vec<u64>,
    lists: Lists,
    too_big: Vec<TooBig>,
    errors: Vec<WireError>,
    capture_errors: Vec<CaptureError>,
}

impl Batch {
    pub fn with_capacity() -> Batch {
        Batch {
            events: Vec::with_capacity(FRAMES),
            recs: Vec::with_capacity(FRAMES),
            lists: Lists::with_capacity(LISTS_SOFT + 4096),
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
        self.events.len() >= FRAMES || self.lists.len() >= LISTS_SOFT
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.recs.clear();
        self.keys.clear();
        self.lists.clear();
        self.too_big.clear();
        self.errors.clear();
        self.capture_errors.clear();
    }

    /// Adds a frame and what the decoder made of it; `key` gives a corosync
    /// packet's several-captures key (None when the run has one capture).
    #[inline]
    pub fn push(
        &mut self,
        f: &RawFrame<'_>,
        o: &Outcome<'_>,
        key: Option<fn(&crate::decode::Packet<'_>) -> u64>,
    ) {
        let (kind, idx) = match o {
            Outcome::Corosync(p) => {
                self.recs.push(PacketRec::of(p, &mut self.lists));
                if let Some(k) = key {
                    self.keys.push(k(p));
                }
                (Kind::Corosync, self.recs.len() - 1)
            }
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

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The outcome (or capture error) of `e`, an event of this batch.
    #[inline]
    pub fn item(&self, e: &Event) -> Item<'_> {
        let i = e.idx as usize;
        Item::Frame(match e.kind {
            Kind::Corosync => match self.recs.get(i) {
                Some(rec) => Seen::Packet {
                    rec,
                    lists: &self.lists,
                    key: self.keys.get(i).copied().unwrap_or(0),
                },
                None => Seen::Other,
            },
            Kind::TooBig => match self.too_big.get(i) {
                Some(notice) => Seen::TooBig { ts: e.ts, notice },
                None => Seen::Other,
            },
            Kind::Held | Kind::NotCorosync => Seen::Other,
            Kind::Undecodable => match self.errors.get(i) {
                Some(w) => Seen::Undecodable(w),
                None => Seen::Other,
            },
            Kind::CaptureError => {
                return match self.capture_errors.get(i) {
                    Some(c) => Item::CaptureError(c),
                    None => Item::Frame(Seen::Other),
                };
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::PacketSource;
    use crate::capture::file::FileSource;
    use crate::compact::{Kind, MsgBody};
    use crate::decode::Decoder;

    /// A frame as the analysis takes it, its lists resolved (list
    /// positions differ between a batch and a single packet's lists).
    fn show(s: Seen<'_>) -> String {
        let Seen::Packet { rec, lists, key } = s else {
            return format!("{s:?}");
        };
        let msg = match &rec.kind {
            Kind::Data { totem, .. } | Kind::Totem(totem) => Some(totem.body),
            _ => None,
        };
        let resolved = match msg {
            Some(MsgBody::OrfToken { ring, at, .. }) => {
                format!("{:?} {:?}", lists.token(at, ring), lists.token_progress(at))
            }
            Some(MsgBody::Mcast { ring, at, .. }) => format!("{:?}", lists.mcast_ring(at, ring)),
            Some(MsgBody::CommitToken { at }) => format!("{:?}", lists.commit(at)),
            Some(MsgBody::MergeDetect { at, .. }) => format!("{:?}", lists.ring(at)),
            _ => String::new(),
        };
        let mut r = *rec;
        let clear = |m: &mut crate::compact::Msg| match &mut m.body {
            MsgBody::OrfToken { at, .. }
            | MsgBody::Mcast { at, .. }
            | MsgBody::CommitToken { at }
            | MsgBody::MergeDetect { at, .. } => *at = 0,
            _ => {}
        };
        match &mut r.kind {
            Kind::Data { totem, .. } | Kind::Totem(totem) => clear(totem),
            _ => {}
        }
        format!("{r:?} {resolved} {key}")
    }

    /// Every frame of real captures comes back from a batch as the
    /// one-thread loop hands it to the analysis: the same record, the
    /// same lists (a token's retransmit list, a commit token's members
    /// and rings), across batch boundaries.
    #[test]
    fn records_round_trip_through_a_batch() {
        let mut tokens_with_lists = 0;
        let mut commits = 0;
        for name in [
            "healthy-3n-clear.pcap",
            "membership-3n-node3-cut-rejoin.pcap",
            "mtu-3n-node3-1200.pcap",
            "healthy-3n-aes256-sha256-nss.pcap",
            "pernode-3n-node2-oneway-delay-loss.pcap",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("captures")
                .join(name);
            let mut src = FileSource::open(&path).expect("committed capture");
            let mut dec = Decoder::default();
            let mut batch = Batch::with_capacity();
            let mut want = Vec::new();
            let mut one = Lists::default();
            let mut frames = 0;
            while let Ok(true) = src.advance() {
                let f = src.frame();
                let o = dec.decode(&f);
                let w = match &o {
                    Outcome::Corosync(p) => {
                        one.clear();
                        let rec = PacketRec::of(p, &mut one);
                        if let Some(m) = rec.totem() {
                            match m.body {
                                MsgBody::OrfToken { at, .. } if at != u32::MAX => {
                                    tokens_with_lists += 1
                                }
                                MsgBody::CommitToken { .. } => commits += 1,
                                _ => {}
                            }
                        }
                        show(Seen::Packet {
                            rec: &rec,
                            lists: &one,
                            key: 0,
                        })
                    }
                    o => show(Seen::of_other(o)),
                };
                want.push(w);
                batch.push(&f, &o, None);
                frames += 1;
                if batch.is_full() || frames % 300 == 0 {
                    for (e, w) in batch.events().iter().zip(&want) {
                        let Item::Frame(s) = batch.item(e) else {
                            panic!("no capture error in {name}")
                        };
                        assert_eq!(&show(s), w, "{name}");
                    }
                    assert_eq!(batch.len(), want.len());
                    batch.clear();
                    want.clear();
                }
            }
            assert!(frames > 1000, "{name}: {frames}");
        }
        assert!(
            tokens_with_lists > 0 && commits > 0,
            "{tokens_with_lists} {commits}"
        );
    }
}
