//! Decryption ahead of the decoder, on worker threads (the threaded
//! pipeline with a key): frames are copied into [`RawBatch`]es by the
//! thread that reads the capture; a worker finds each frame's corosync
//! payload and decrypts it with the (key, suite) pair the decoder's
//! decryptor tries first (as of the last batch it decoded); the decoder
//! then takes the batches back in order and uses a worker's cleartext
//! only where its own decryptor would have opened the payload with that
//! same pair first ([`crate::decode::Opened`]), so outcomes and counters
//! do not change.
//! Anything a worker could not open (another pair, IP fragments, a cut
//! payload) the decoder decrypts itself, as before.

use crate::capture::{CaptureError, RawFrame};
use crate::decode::{Opened, Ports};
use crate::wire::classify::{self, Framing};
use crate::wire::crypto::{Decryptor, Opening, Transport};
use crate::wire::net::{DefragLimits, NetDecoder, NetPacket};

/// A batch is handed on at this many frames or bytes of frames. Larger
/// batches save thread hand-offs but leave the frames colder for the
/// decoder when the batch comes back: 2,048 frames halved the context
/// switches and cost the decoding thread more than that saved
/// (`benches/README.md`, 2026-12-07).
const FRAMES: usize = 512;
const BYTES: usize = 256 * 1024;
/// Frames of a batch filled before the decoder has found the pair that
/// opens the payloads: workers open nothing in it and the decoder does
/// all the work, so the first batches stay short.
const FRAMES_UNPAIRED: usize = 128;

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
    /// Cleartexts, in `clear[..clear_used]`. The vector keeps its length
    /// from batch to batch (zeroed once, when it grows), so a payload's
    /// room is not zeroed again before the decryptor writes it.
    clear: Vec<u8>,
    clear_used: usize,
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
        let frames = if self.pair_knet.is_none() && self.pair_totem2.is_none() {
            FRAMES_UNPAIRED
        } else {
            FRAMES
        };
        self.metas.len() >= frames || self.bytes.len() >= BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.metas.is_empty()
    }

    pub fn clear(&mut self) {
        self.metas.clear();
        self.bytes.clear();
        self.errors.clear();
        self.hints.clear();
        self.clear_used = 0;
    }

    /// Sets the pairs workers try.
    pub fn set_pair_values(
        &mut self,
        knet: Option<(usize, usize)>,
        totem2: Option<(usize, usize)>,
    ) {
        self.pair_knet = knet;
        self.pair_totem2 = totem2;
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
    /// The hints of a batch waiting for the AES step, and each one's IV
    /// offset in its payload (reused).
    cbc: Vec<(usize, usize)>,
}

impl Worker {
    pub fn new(ports: Ports, crypto: Decryptor) -> Worker {
        Worker {
            opened: 0,
            net: NetDecoder::new(DefragLimits::default()),
            ports,
            crypto,
            cbc: Vec::with_capacity(FRAMES),
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
            clear_used,
            ..
        } = b;
        let cbc = &mut self.cbc;
        cbc.clear();
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
            let start = *clear_used;
            let end = start + payload.len();
            if clear.len() < end {
                clear.resize(end, 0);
            }
            let hint = Hint {
                frame: i,
                transport,
                payload_off,
                payload_len: payload.len(),
                pair,
                clear_start: start,
                clear_len: 0,
            };
            match self
                .crypto
                .check_pair(transport, pair, payload, &mut clear[start..end])
            {
                Some(Opening::Done(len)) => {
                    *clear_used = start + len;
                    hints.push(Hint {
                        clear_len: len,
                        ..hint
                    });
                }
                Some(Opening::Cbc { iv_at, n }) => {
                    *clear_used = start + n;
                    hints.push(Hint {
                        clear_len: n,
                        ..hint
                    });
                    cbc.push((hints.len() - 1, iv_at));
                }
                None => {}
            }
        }
        // The AES step once per run of ciphertexts laid back to back with
        // the same key and cipher (usually the whole batch), then each
        // payload's chaining, padding and shape: what `try_pair` does one
        // payload at a time.
        let mut run = 0;
        while run < cbc.len() {
            let (h0, _) = cbc[run];
            let first = hints[h0];
            let mut end = run + 1;
            let mut bytes_end = first.clear_start + first.clear_len;
            while let Some(&(h, _)) = cbc.get(end) {
                let x = hints[h];
                if x.clear_start != bytes_end
                    || x.pair != first.pair
                    || x.transport != first.transport
                {
                    break;
                }
                bytes_end += x.clear_len;
                end += 1;
            }
            if let Some(buf) = clear.get_mut(first.clear_start..bytes_end) {
                self.crypto.decrypt_blocks(first.transport, first.pair, buf);
            }
            run = end;
        }
        let mut next_cbc = cbc.iter().peekable();
        let mut kept = 0;
        for h in 0..hints.len() {
            let mut x = hints[h];
            if next_cbc.peek().is_some_and(|&&(c, _)| c == h) {
                let Some(&(_, iv_at)) = next_cbc.next() else {
                    continue;
                };
                let m = &metas[x.frame];
                let payload =
                    bytes.get(m.start + x.payload_off..m.start + x.payload_off + x.payload_len);
                let out = clear.get_mut(x.clear_start..x.clear_start + x.clear_len);
                let len = match (payload, out) {
                    (Some(p), Some(out)) => {
                        self.crypto
                            .finish_pair(x.transport, p, iv_at, x.clear_len, out)
                    }
                    _ => None,
                };
                let Some(len) = len else { continue };
                x.clear_len = len;
            }
            self.opened += 1;
            hints[kept] = x;
            kept += 1;
        }
        hints.truncate(kept);
        cbc.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::PacketSource;
    use crate::capture::file::FileSource;
    use crate::wire::crypto::AuthKey;

    /// A worker's cleartexts (its AES step run once over each batch) are
    /// the decryptor's own, payload for payload, on real captures of
    /// three suites, with a corrupt payload now and then (which neither
    /// opens).
    #[test]
    fn worker_opens_what_the_decryptor_opens() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        for name in [
            "healthy-3n-aes256-sha256-nss",
            "crypto-3n-aes128-sha1-openssl",
            "crypto-3n-aes256-sha512-nss",
        ] {
            let key = std::fs::read(dir.join(format!("{name}.authkey"))).expect("key");
            let mut dec = Decryptor::new(&[AuthKey::from_vec(key).expect("key")], &[]);
            let mut src = FileSource::open(&dir.join(format!("{name}.pcap"))).expect("capture");
            let mut net = NetDecoder::new(DefragLimits::default());
            let mut clear = vec![0u8; 1 << 16];
            let mut raw = RawBatch::with_capacity();
            let mut worker = Worker::new(Ports::default(), dec.clone());
            let (mut frames, mut opened, mut corrupt) = (0u64, 0u64, 0u64);
            let mut want: Vec<Option<Vec<u8>>> = Vec::new();
            let check = |raw: &mut RawBatch, worker: &mut Worker, want: &mut Vec<_>| {
                worker.run(raw);
                let mut hint = 0;
                assert_eq!(raw.len(), want.len());
                for (i, w) in want.iter().enumerate() {
                    let Some(RawItem::Frame(_, o)) = raw.item(i, &mut hint) else {
                        panic!("no capture error in {name}");
                    };
                    assert_eq!(&o.map(|o| o.clear.to_vec()), w, "{name} frame {i}");
                }
                raw.clear();
                want.clear();
            };
            while let Ok(true) = src.advance() {
                let f = src.frame();
                frames += 1;
                let mut data = f.data.to_vec();
                if frames % 13 == 0 {
                    let n = data.len();
                    data[n - 20] ^= 0x40;
                    corrupt += 1;
                }
                let f = RawFrame { data: &data, ..f };
                if raw.is_empty() {
                    raw.set_pairs(Some(&dec));
                }
                // What decrypting it with the batch's pair gives.
                let mut w = None;
                if let Ok(NetPacket::Udp(d)) = net.decode(f.ts, f.linktype, f.data)
                    && !d.is_cut()
                    && matches!(classify::framing(d.payload), Framing::Opaque)
                {
                    if let Some(p) = raw.pair_knet {
                        w = dec
                            .try_pair(Transport::Knet, p, d.payload, &mut clear)
                            .map(|n| clear[..n].to_vec());
                        opened += u64::from(w.is_some());
                    }
                    // The decryptor finds its pair as the decoder's would.
                    let _ = dec.decrypt_knet(d.payload, &mut clear);
                }
                raw.push(&f);
                want.push(w);
                if raw.is_full() {
                    check(&mut raw, &mut worker, &mut want);
                }
            }
            check(&mut raw, &mut worker, &mut want);
            assert!(
                opened > frames / 2 && corrupt > 100,
                "{name}: {opened} of {frames}"
            );
        }
    }
}
