//! Decryption ahead of the decoder, on worker threads (the threaded
//! pipeline with a key): frames are copied into [`RawBatch`]es; a worker
//! finds each frame's corosync payload and decrypts it with the (key,
//! suite) pair the decoder's decryptor tries first; the decoder then takes
//! the batches back in order and uses a worker's cleartext only where its
//! own decryptor would have opened the payload with that same pair first
//! ([`crate::decode::Opened`]), so outcomes and counters do not change.
//! Anything a worker could not open (another pair, IP fragments, a cut
//! payload) the decoder decrypts itself, as before.

use crate::capture::{CaptureError, RawFrame};
use crate::decode::{Opened, Ports};
use crate::wire::classify::{self, Framing};
use crate::wire::crypto::{Decryptor, Transport};
use crate::wire::net::{DefragLimits, NetDecoder, NetPacket};

/// A batch is handed on at this many frames or bytes of frames.
const FRAMES: usize = 512;
const BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy)]
struct Meta {
    ts: i64,
    linktype: u32,
    orig_len: u32,
    packet_no: u64,
    offset: u64,
    source: usize,
    /// The frame's bytes in `bytes`; for a capture error, its index.
    start: usize,
    len: usize,
    error: bool,
}

#[derive(Debug, Clone, Copy)]
struct Hint {
    frame: usize,
    transport: Transport,
    payload_off: usize,
    payload_len: usize,
    pair: (usize, usize),
    clear_start: usize,
    clear_len: usize,
}

/// Frames copied out of the reader, and what workers decrypted in them.
#[derive(Debug, Default)]
pub struct RawBatch {
    metas: Vec<Meta>,
    bytes: Vec<u8>,
    errors: Vec<CaptureError>,
    /// The decryptor's first pairs when the batch was filled.
    pair_knet: Option<(usize, usize)>,
    pair_totem2: Option<(usize, usize)>,
    hints: Vec<Hint>,
    clear: Vec<u8>,
}

/// One entry of a raw batch.
pub enum RawItem<'b> {
    Frame(RawFrame<'b>, Option<Opened<'b>>),
    Error(CaptureError),
}

impl RawBatch {
    pub fn with_capacity() -> RawBatch {
        RawBatch {
            metas: Vec::with_capacity(FRAMES),
            bytes: Vec::with_capacity(BYTES + 65536),
            hints: Vec::with_capacity(FRAMES),
            clear: Vec::with_capacity(BYTES + 65536),
            ..RawBatch::default()
        }
    }

    pub fn is_full(&self) -> bool {
        self.metas.len() >= FRAMES || self.bytes.len() >= BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    pub fn clear(&mut self) {
        self.metas.clear();
        self.bytes.clear();
        self.errors.clear();
        self.hints.clear();
        self.clear.clear();
    }

    /// Sets the pairs workers try (the decryptor's, as of now).
    pub fn set_pairs(&mut self, d: Option<&Decryptor>) {
        self.pair_knet = d.and_then(|d| d.last_pair(Transport::Knet));
        self.pair_totem2 = d.and_then(|d| d.last_pair(Transport::Totemnet2));
    }

    pub fn push(&mut self, f: &RawFrame<'_>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(f.data);
        self.metas.push(Meta {
            ts: f.ts,
            linktype: f.linktype,
            orig_len: f.orig_len,
            packet_no: f.packet_no,
            offset: f.offset,
            source: f.source,
            start,
            len: f.data.len(),
            error: false,
        });
    }

    #[cold]
    pub fn push_error(&mut self, e: CaptureError) {
        self.errors.push(e);
        self.metas.push(Meta {
            ts: 0,
            linktype: 0,
            orig_len: 0,
            packet_no: 0,
            offset: 0,
            source: 0,
            start: self.errors.len() - 1,
            len: 0,
            error: true,
        });
    }

    pub fn len(&self) -> usize {
        self.metas.len()
    }

    /// Entry `i`, with what a worker decrypted in it.
    pub fn item(&self, i: usize, next_hint: &mut usize) -> Option<RawItem<'_>> {
        let m = self.metas.get(i)?;
        if m.error {
            return self.errors.get(m.start).cloned().map(RawItem::Error);
        }
        let data = self.bytes.get(m.start..m.start + m.len)?;
        let mut opened = None;
        if let Some(h) = self.hints.get(*next_hint)
            && h.frame == i
        {
            *next_hint += 1;
            opened = self
                .clear
                .get(h.clear_start..h.clear_start + h.clear_len)
                .map(|clear| Opened {
                    transport: h.transport,
                    payload_off: h.payload_off,
                    payload_len: h.payload_len,
                    pair: h.pair,
                    clear,
                });
        }
        let f = RawFrame {
            ts: m.ts,
            linktype: m.linktype,
            orig_len: m.orig_len,
            data,
            packet_no: m.packet_no,
            offset: m.offset,
            source: m.source,
        };
        Some(RawItem::Frame(f, opened))
    }
}

/// A worker's state: its own network-layer decoder (to find payloads) and
/// a copy of the decryptor's keys.
pub struct Worker {
    /// Payloads this worker opened.
    pub opened: u64,
    net: NetDecoder,
    ports: Ports,
    crypto: Decryptor,
}

impl Worker {
    pub fn new(ports: Ports, crypto: Decryptor) -> Worker {
        Worker {
            opened: 0,
            net: NetDecoder::new(DefragLimits::default()),
            ports,
            crypto,
        }
    }

    /// Decrypts what it can in `b` (frames whose payload is an encrypted
    /// corosync packet, with the batch's pairs).
    pub fn run(&mut self, b: &mut RawBatch) {
        let RawBatch {
            metas,
            bytes,
            pair_knet,
            pair_totem2,
            hints,
            clear,
            ..
        } = b;
        if pair_knet.is_none() && pair_totem2.is_none() {
            return;
        }
        for (i, m) in metas.iter().enumerate() {
            if m.error {
                continue;
            }
            let Some(data) = bytes.get(m.start..m.start + m.len) else {
                continue;
            };
            let Ok(NetPacket::Udp(d)) = self.net.decode(m.ts, m.linktype, data) else {
                continue;
            };
            let Some(payload_off) =
                (d.payload.as_ptr() as usize).checked_sub(data.as_ptr() as usize)
            else {
                continue;
            };
            if d.reassembled
                || payload_off + d.payload.len() > data.len()
                || d.is_cut()
                || !(self.ports.contains(d.dport) || self.ports.contains(d.sport))
            {
                continue;
            }
            let payload = d.payload;
            let (transport, pair) = match classify::framing(payload) {
                Framing::Opaque if payload.len() >= classify::MIN_OPAQUE_LEN => {
                    (Transport::Knet, *pair_knet)
                }
                Framing::KnetHashOnly { .. } => (Transport::Knet, *pair_knet),
                Framing::Totemnet => (Transport::Totemnet2, *pair_totem2),
                _ => continue,
            };
            let Some(pair) = pair else { continue };
            let start = clear.len();
            clear.resize(start + payload.len(), 0);
            match self
                .crypto
                .try_pair(transport, pair, payload, &mut clear[start..])
            {
                Some(len) => {
                    clear.truncate(start + len);
                    self.opened += 1;
                    hints.push(Hint {
                        frame: i,
                        transport,
                        payload_off,
                        payload_len: payload.len(),
                        pair,
                        clear_start: start,
                        clear_len: len,
                    });
                }
                None => clear.truncate(start),
            }
        }
    }
}
