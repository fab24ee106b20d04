//! The threaded pipeline of `run_to_end`: one thread reads and decodes
//! (decrypting on worker threads when keys are given, `predecrypt`), the
//! caller's thread analyses. They are joined by a bounded channel of
//! [`Batch`]es of owned per-frame events, and the emptied batches go back
//! on a return channel, so a run allocates its batches once whatever its
//! length, and memory is bounded by the batches in flight.
//!
//! The analysis side takes the events in capture order, exactly as the
//! single-threaded loop takes frames: counters, notes on stderr, the
//! several-captures admission, the feed and the timeline samples see the
//! same sequence, so reports are byte-identical whatever the thread count.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};

use super::{Analysis, Frame, Input, Sampler, Session, account, capture_error, snapshot_of};
use crate::batch::{Batch, Item};
use crate::capture::PacketSource;
use crate::decode::{Decoder, Packet};
use crate::predecrypt::{RawBatch, RawItem, Worker};

/// Batches queued between decoding and analysis; two more circulate (one
/// being filled, one being analysed).
const DEPTH: usize = 4;
/// Raw batches queued to and from each decryption worker.
const RAW_IN_FLIGHT: usize = 2;

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
        src.read_ahead();
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
            let producer = std::thread::Builder::new()
                .name("corowire-decode".into())
                .spawn_scoped(s, move || {
                    let src = src.as_mut();
                    if to_w.is_empty() {
                        produce(src, decoder, key, full_tx, empty_rx);
                    } else {
                        produce_decrypting(src, decoder, key, full_tx, empty_rx, to_w, from_w);
                    }
                });
            if producer.is_err() {
                return false;
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

/// The decoding thread with decryption workers: frames are copied into raw
/// batches, dealt to the workers in turn, taken back in the same turn (so
/// in capture order) and decoded with what the workers decrypted.
fn produce_decrypting(
    src: &mut (dyn PacketSource + Send),
    dec: &mut Decoder,
    key: Option<KeyFn>,
    full: SyncSender<Batch>,
    empty: Receiver<Batch>,
    to_w: Vec<SyncSender<RawBatch>>,
    from_w: Vec<Receiver<RawBatch>>,
) {
    let w = to_w.len();
    let mut pool: Vec<RawBatch> = (0..w * (RAW_IN_FLIGHT + 1))
        .map(|_| RawBatch::with_capacity())
        .collect();
    let (mut sent, mut got, mut eof) = (0usize, 0usize, false);
    let Ok(mut eb) = empty.recv() else { return };
    loop {
        while !eof && let Some(mut rb) = pool.pop() {
            rb.set_pairs(dec.decryptor());
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
            if rb.is_empty() {
                pool.push(rb);
                break;
            }
            let Some(tx) = to_w.get(sent % w) else { return };
            if tx.send(rb).is_err() {
                return;
            }
            sent += 1;
        }
        if got == sent {
            break;
        }
        let Some(Ok(mut rb)) = from_w.get(got % w).map(Receiver::recv) else {
            return;
        };
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
        rb.clear();
        pool.push(rb);
    }
    if !eb.is_empty() {
        let _ = full.send(eb);
    }
}
