//! The threaded pipeline of `run_to_end`: one thread reads ahead, one
//! decodes (with keys, the reading thread fills the batches of the
//! decryption workers, `predecrypt`, and the decoding thread takes them
//! back in turn), the caller's thread analyses. Decoding and analysis are
//! joined by a bounded channel of [`Batch`]es of owned per-frame events,
//! and the emptied batches go back on a return channel, so a run
//! allocates its batches once whatever its length, and memory is bounded
//! by the batches in flight.
//!
//! The analysis side takes the events in capture order, exactly as the
//! single-threaded loop takes frames: counters, notes on stderr, the
//! several-captures admission, the feed and the timeline samples see the
//! same sequence, so reports are byte-identical whatever the thread count.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use super::{Analysis, Frame, Input, Sampler, Session, account, capture_error, snapshot_of};
use crate::batch::{Batch, Item};
use crate::capture::PacketSource;
use crate::decode::{Decoder, Packet};
use crate::predecrypt::{RawBatch, RawItem, Worker};
use crate::wire::crypto::Transport;

/// Batches queued between decoding and analysis; two more circulate (one
/// being filled, one being analysed).
const DEPTH: usize = 4;
/// Raw batches queued to and from each decryption worker. Four (was two):
/// half the context switches of a keyed run and ~3 % off its wall time
/// on two cores, for ~1.5 MB more per worker (`benches/README.md`,
/// issue 20).
const RAW_IN_FLIGHT: usize = 4;

/// The several-captures key of a packet, computed on the decoding thread.
type KeyFn = fn(&Packet<'_>) -> u64;

impl Session {
    /// Runs the input to its end on the threaded pipeline; false (nothing
    /// read) when the run is one for a single thread: `--threads 1`, live
    /// capture, frames kept (`-w`) or a frame or time limit.
    pub(super) fn run_threaded(&mut self, mut sampler: Option<&mut Sampler<'_>>) -> bool {
        if self.threads < 2
            || self.save.is_some()
            || self.limit_frames.is_some()
            || self.limit_ns.is_some()
        {
            return false;
        }
        let Session {
            input,
            names,
            decoder,
            feed,
            multi,
            notes,
            counters,
            ..
        } = self;
        #[allow(irrefutable_let_patterns)]
        let Input::Stream(src) = input else {
            return false;
        };
        // Reading moves off the decoding thread, the longest of the run.
        // With a key the thread that fills the workers' batches reads
        // itself (`produce_decrypting`).
        if decoder.decryptor().is_none() {
            src.read_ahead();
        }
        let (full_tx, full_rx) = sync_channel::<Batch>(DEPTH);
        let (empty_tx, empty_rx) = channel::<Batch>();
        for _ in 0..DEPTH + 2 {
            let _ = empty_tx.send(Batch::with_capacity());
        }
        let threads = self.threads;
        // Several captures: the one-way matcher's key of each packet.
        let key = multi
            .is_some()
            .then_some(crate::analysis::multi::packet_key_of as KeyFn);
        // The pairs the workers try, as the decoding thread last saw them.
        let pairs: Pairs = std::sync::Mutex::new(pairs_of(decoder));
        std::thread::scope(|s| {
            // With a key, `threads` workers decrypt ahead of the decoder:
            // decryption is nearly all the work then (on callgrind, 85 % of
            // a keyed run), decoding and the analysis wait on it.
            let mut to_w = Vec::new();
            let mut from_w = Vec::new();
            if let Some(c) = decoder.decryptor() {
                for i in 0..threads {
                    let (in_tx, in_rx) = sync_channel::<RawBatch>(RAW_IN_FLIGHT);
                    let (out_tx, out_rx) = sync_channel::<RawBatch>(RAW_IN_FLIGHT);
                    let mut w = Worker::new(decoder.ports().clone(), c.clone());
                    let spawned = std::thread::Builder::new()
                        .name(format!("corowire-decrypt-{i}"))
                        .spawn_scoped(s, move || {
                            for mut b in in_rx {
                                w.run(&mut b);
                                if out_tx.send(b).is_err() {
                                    break;
                                }
                            }
                        });
                    if spawned.is_err() {
                        break;
                    }
                    to_w.push(in_tx);
                    from_w.push(out_rx);
                }
            }
            let decoding = std::thread::Builder::new().name("corowire-decode".into());
            if to_w.is_empty() {
                let producer = decoding.spawn_scoped(s, move || {
                    produce(src.as_mut(), decoder, key, full_tx, empty_rx);
                });
                if producer.is_err() {
                    return false;
                }
            } else {
                // The decoding thread first, then the one that reads: if
                // either cannot start, nothing was read or decoded yet and
                // the run goes to one thread. The workers end when their
                // input closes.
                let (pool_tx, pool_rx) = channel::<RawBatch>();
                for _ in 0..to_w.len() * (RAW_IN_FLIGHT + 1) {
                    let _ = pool_tx.send(RawBatch::with_capacity());
                }
                let pairs = &pairs;
                let producer = decoding.spawn_scoped(s, move || {
                    produce_decrypting(decoder, key, full_tx, empty_rx, from_w, pairs, pool_tx);
                });
                if producer.is_err() {
                    return false;
                }
                let filler = std::thread::Builder::new()
                    .name("corowire-read".into())
                    .spawn_scoped(s, move || fill(src.as_mut(), pairs, pool_rx, to_w));
                if filler.is_err() {
                    return false;
                }
            }
            for mut b in full_rx {
                for e in b.events() {
                    match b.item(e) {
                        Item::CaptureError(c) => {
                            capture_error(counters, notes, c);
                        }
                        Item::Frame(o) => {
                            if let Some(sm) = sampler.as_deref_mut() {
                                sm.frame(e.ts, || snapshot_of(feed, multi));
                            }
                            account(
                                Analysis {
                                    names,
                                    feed,
                                    multi,
                                    notes,
                                    counters,
                                },
                                Frame {
                                    ts: e.ts,
                                    source: e.source,
                                    packet_no: e.packet_no,
                                },
                                o,
                            );
                        }
                    }
                }
                b.clear();
                let _ = empty_tx.send(b);
            }
            true
        })
    }
}

/// The decoding thread: frames into batches until the input ends or fails
/// for good (the failure is the last event).
fn produce(
    src: &mut (dyn PacketSource + Send),
    dec: &mut Decoder,
    key: Option<KeyFn>,
    full: SyncSender<Batch>,
    empty: Receiver<Batch>,
) {
    let Ok(mut b) = empty.recv() else { return };
    loop {
        match src.advance() {
            Ok(true) => {
                let f = src.frame();
                dec.decode_with(&f, None, |o| b.push(&f, o, key));
            }
            Ok(false) => break,
            Err(e) => {
                let fatal = !e.recoverable;
                b.push_capture_error(e);
                if fatal {
                    break;
                }
            }
        }
        if b.is_full() {
            if full.send(b).is_err() {
                return;
            }
            match empty.recv() {
                Ok(n) => b = n,
                Err(_) => return,
            }
        }
    }
    if !b.is_empty() {
        let _ = full.send(b);
    }
}

/// The pairs the decoder's decryptor tries first, as the decoding thread
/// last saw them, for the batches filled next (a worker's cleartext is
/// used only when its pair is the decryptor's first, so a stale pair costs
/// time, never a different outcome).
type Pairs = std::sync::Mutex<PairsNow>;
/// (knet, corosync 2) pairs, each a (key, suite) index.
type PairsNow = (Option<(usize, usize)>, Option<(usize, usize)>);

/// The decoding thread with decryption workers. A thread of its own reads
/// the capture and copies its frames into raw batches, dealt to the
/// workers in turn; this thread takes them back in the same turn (so in
/// capture order) and decodes them with what the workers decrypted. The
/// filling thread reads into the capture reader's own buffer, so the
/// kernel's copy and the frames' copy into the batches find their bytes
/// in that core's cache (with a reading thread in between, both crossed
/// cores: `benches/README.md`, 2026-12-07).
fn produce_decrypting(
    dec: &mut Decoder,
    key: Option<KeyFn>,
    full: SyncSender<Batch>,
    empty: Receiver<Batch>,
    from_w: Vec<Receiver<RawBatch>>,
    pairs: &Pairs,
    pool: Sender<RawBatch>,
) {
    let w = from_w.len();
    let Ok(mut eb) = empty.recv() else { return };
    let mut got = 0usize;
    // Ends when the worker due next has ended with nothing left: the
    // filling thread dealt its last batch before it.
    while let Some(Ok(mut rb)) = from_w.get(got % w).map(Receiver::recv) {
        got += 1;
        let mut hint = 0;
        for i in 0..rb.len() {
            match rb.item(i, &mut hint) {
                Some(RawItem::Frame(f, opened)) => {
                    dec.decode_with(&f, opened, |o| eb.push(&f, o, key));
                }
                Some(RawItem::Error(e)) => eb.push_capture_error(e),
                None => {}
            }
            if eb.is_full() {
                if full.send(eb).is_err() {
                    return;
                }
                match empty.recv() {
                    Ok(n) => eb = n,
                    Err(_) => return,
                }
            }
        }
        if let Ok(mut p) = pairs.lock() {
            *p = pairs_of(dec);
        }
        rb.clear();
        // The filling thread is gone at the end of the input.
        let _ = pool.send(rb);
    }
    if !eb.is_empty() {
        let _ = full.send(eb);
    }
}

fn pairs_of(dec: &Decoder) -> PairsNow {
    let c = dec.decryptor();
    (
        c.and_then(|c| c.last_pair(Transport::Knet)),
        c.and_then(|c| c.last_pair(Transport::Totemnet2)),
    )
}

/// The filling thread of [`produce_decrypting`]: frames into raw batches
/// until the input ends or fails for good, each batch to the next worker
/// in turn.
fn fill(
    src: &mut (dyn PacketSource + Send),
    pairs: &Pairs,
    pool: Receiver<RawBatch>,
    to_w: Vec<SyncSender<RawBatch>>,
) {
    let w = to_w.len();
    let mut sent = 0usize;
    for mut rb in pool {
        let (knet, totem2) = pairs.lock().map(|p| *p).unwrap_or((None, None));
        rb.set_pair_values(knet, totem2);
        let mut eof = false;
        while !rb.is_full() {
            match src.advance() {
                Ok(true) => rb.push(&src.frame()),
                Ok(false) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    let fatal = !e.recoverable;
                    rb.push_error(e);
                    if fatal {
                        eof = true;
                        break;
                    }
                }
            }
        }
        if !rb.is_empty() {
            let Some(tx) = to_w.get(sent % w) else { return };
            if tx.send(rb).is_err() {
                return;
            }
            sent += 1;
        }
        if eof {
            return;
        }
    }
}
