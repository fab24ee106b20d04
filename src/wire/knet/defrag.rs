//! Reassembly of fragmented knet DATA messages, in bounded memory.
//!
//! Every fragment repeats the DATA header with the same sender node and
//! seq_num and its own frag_seq (1..=frag_num). A broadcast message is sent
//! once per destination with the same seq, so the key also holds the
//! datagram's addresses: a capture on a bridge sees one copy per peer.
//! Slots and their buffers are reused; nothing is allocated per packet once
//! the table has warmed up.

use std::net::IpAddr;

use super::Data;
use crate::wire::{Layer, WireError, WireErrorKind};

/// What identifies one fragmented message on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub node: u16,
    pub seq: u16,
}

/// Bounds of the reassembly table.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Messages in reassembly at once; the oldest is evicted beyond this.
    pub max_messages: usize,
    /// Largest reassembled message (corosync hands knet at most 65,446 bytes).
    pub max_len: usize,
    /// A partial message older than this (capture ns) is dropped.
    pub timeout_ns: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_messages: 64,
            max_len: 65_536,
            timeout_ns: 10_000_000_000,
        }
    }
}

/// Bytes each reassembly buffer reserves on first use (corosync's largest
/// message, `Limits::max_len`'s default).
const BUF_RESERVE: usize = 65_536;

#[derive(Debug, Default)]
struct Slot {
    key: Option<FragKey>,
    first_ts: i64,
    frag_num: u8,
    /// Bytes of each fragment, stored back to back in arrival order.
    data: Vec<u8>,
    /// (frag_seq, start, len) per stored fragment.
    parts: Vec<(u8, u32, u32)>,
}

impl Slot {
    fn clear(&mut self) {
        self.key = None;
        self.data.clear();
        self.parts.clear();
    }
}

/// Counters of the reassembler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub fragments: u64,
    pub messages: u64,
    pub duplicates: u64,
    /// Partial messages dropped: evicted, timed out, or too large.
    pub dropped: u64,
    /// ... of which timed out,
    pub timed_out: u64,
    /// ... evicted from a full table,
    pub evicted: u64,
    /// ... and grown past the largest message (`Limits::max_len`).
    pub too_large: u64,
    /// Fragments refused: frag_seq 0 or above frag_num.
    pub bad_frag_seq: u64,
    /// Partial messages held when counted (see [`Defrag::pending`]; set by
    /// the decoder at the end of a run).
    pub pending: u64,
}

/// The outcome of feeding one fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum Push<'a> {
    /// Stored; `have` of `need` fragments present.
    Pending { have: u8, need: u8 },
    /// The message is complete: its bytes in order.
    Complete(&'a [u8]),
    /// The same fragment was seen before (ignored).
    Duplicate,
}

/// The reassembly table.
#[derive(Debug)]
pub struct Defrag {
    limits: Limits,
    slots: Vec<Slot>,
    out: Vec<u8>,
    pub stats: Stats,
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag::new(Limits::default())
    }
}

impl Defrag {
    pub fn new(limits: Limits) -> Self {
        let n = limits.max_messages.max(1);
        Defrag {
            limits,
            slots: (0..n).map(|_| Slot::default()).collect(),
            out: Vec::with_capacity(BUF_RESERVE.min(limits.max_len)),
            stats: Stats::default(),
        }
    }

    /// Feeds one fragment (a DATA packet with frag_num > 1) seen at `ts`.
    pub fn push(&mut self, ts: i64, key: FragKey, d: &Data<'_>) -> Result<Push<'_>, WireError> {
        if d.frag_seq == 0 || d.frag_seq > d.frag_num {
            self.stats.bad_frag_seq += 1;
            return Err(WireError::bad_value(
                Layer::KnetFragment,
                12,
                "frag_seq",
                d.frag_seq.into(),
            ));
        }
        self.stats.fragments += 1;
        let timeout = self.limits.timeout_ns;
        let mut dropped = 0;
        for s in self.slots.iter_mut() {
            if s.key.is_some() && ts.saturating_sub(s.first_ts) > timeout {
                s.clear();
                dropped += 1;
            }
        }
        self.stats.dropped += dropped;
        self.stats.timed_out += dropped;

        let idx = match self
            .slots
            .iter()
            .position(|s| s.key == Some(key) && s.frag_num == d.frag_num)
        {
            Some(i) => i,
            None => {
                // A free slot, else evict the oldest partial message.
                let i = match self.slots.iter().position(|s| s.key.is_none()) {
                    Some(i) => i,
                    None => {
                        self.stats.dropped += 1;
                        self.stats.evicted += 1;
                        self.slots
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, s)| s.first_ts)
                            .map(|(i, _)| i)
                            .unwrap_or(0)
                    }
                };
                let s = &mut self.slots[i];
                s.clear();
                s.key = Some(key);
                s.first_ts = ts;
                s.frag_num = d.frag_num;
                i
            }
        };
        let max_len = self.limits.max_len;
        let slot = &mut self.slots[idx];
        if slot.parts.iter().any(|p| p.0 == d.frag_seq) {
            self.stats.duplicates += 1;
            return Ok(Push::Duplicate);
        }
        if slot.data.len() + d.payload.len() > max_len {
            slot.clear();
            self.stats.dropped += 1;
            self.stats.too_large += 1;
            return Err(WireError {
                layer: Layer::KnetFragment,
                offset: 14,
                kind: WireErrorKind::Overflow("reassembly buffer"),
                cleartext: false,
            });
        }
        if slot.data.capacity() < BUF_RESERVE.min(max_len) {
            // Once per buffer: every buffer that circulates (the slots' and
            // `out`, swapped below) holds a whole message without growing.
            slot.data
                .reserve_exact(BUF_RESERVE.min(max_len) - slot.data.len());
        }
        let start = slot.data.len() as u32;
        slot.data.extend_from_slice(d.payload);
        slot.parts.push((d.frag_seq, start, d.payload.len() as u32));
        if slot.parts.len() < usize::from(d.frag_num) {
            return Ok(Push::Pending {
                have: slot.parts.len() as u8,
                need: d.frag_num,
            });
        }
        self.out.clear();
        if slot.parts.windows(2).all(|w| w[0].0 < w[1].0) {
            // Fragments that came in order are the message already, back
            // to back: the buffer becomes `out`, not copied into it.
            std::mem::swap(&mut self.out, &mut slot.data);
        } else {
            slot.parts.sort_unstable_by_key(|p| p.0);
            for &(_, start, len) in &slot.parts {
                let (a, b) = (start as usize, (start + len) as usize);
                self.out.extend_from_slice(&slot.data[a..b]);
            }
        }
        slot.clear();
        self.stats.messages += 1;
        Ok(Push::Complete(&self.out))
    }

    /// Partial messages currently held.
    pub fn pending(&self) -> usize {
        self.slots.iter().filter(|s| s.key.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seq: u16) -> FragKey {
        FragKey {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            sport: 5405,
            dport: 5405,
            node: 1,
            seq,
        }
    }

    fn frag(seq: u16, frag_seq: u8, frag_num: u8, payload: &[u8]) -> Data<'_> {
        Data {
            node: 1,
            seq,
            compress: 0,
            bcast: true,
            frag_num,
            frag_seq,
            channel: 0,
            payload,
        }
    }

    #[test]
    fn in_order_and_out_of_order() {
        let mut d = Defrag::default();
        assert_eq!(
            d.push(0, key(15), &frag(15, 2, 2, b"world")).unwrap(),
            Push::Pending { have: 1, need: 2 }
        );
        assert_eq!(
            d.push(1, key(15), &frag(15, 1, 2, b"hello ")).unwrap(),
            Push::Complete(b"hello world")
        );
        assert_eq!(d.pending(), 0);
        assert_eq!(d.stats.messages, 1);
    }

    #[test]
    fn in_order_messages_come_out_whole_one_after_another() {
        let mut d = Defrag::default();
        for seq in 0..200u16 {
            let parts: Vec<Vec<u8>> = (0..3u8)
                .map(|i| vec![seq as u8 ^ i; 100 + usize::from(seq % 7) * 300])
                .collect();
            let want: Vec<u8> = parts.concat();
            for (i, p) in parts.iter().enumerate() {
                let r = d.push(i64::from(seq), key(seq), &frag(seq, i as u8 + 1, 3, p));
                if i < 2 {
                    assert!(matches!(r, Ok(Push::Pending { .. })));
                } else {
                    assert_eq!(r.unwrap(), Push::Complete(&want[..]));
                }
            }
        }
        assert_eq!(d.stats.messages, 200);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn duplicates_and_bad_frag_seq() {
        let mut d = Defrag::default();
        d.push(0, key(1), &frag(1, 1, 3, b"a")).unwrap();
        assert_eq!(
            d.push(0, key(1), &frag(1, 1, 3, b"a")).unwrap(),
            Push::Duplicate
        );
        assert!(d.push(0, key(1), &frag(1, 0, 3, b"a")).is_err());
        assert!(d.push(0, key(1), &frag(1, 4, 3, b"a")).is_err());
    }

    #[test]
    fn bounded_table_and_timeout() {
        let mut d = Defrag::new(Limits {
            max_messages: 2,
            max_len: 10,
            timeout_ns: 100,
        });
        d.push(0, key(1), &frag(1, 1, 2, b"a")).unwrap();
        d.push(1, key(2), &frag(2, 1, 2, b"b")).unwrap();
        d.push(2, key(3), &frag(3, 1, 2, b"c")).unwrap();
        assert_eq!(d.pending(), 2);
        assert_eq!(d.stats.dropped, 1);
        // key(1) was evicted: its second fragment starts a new partial message.
        assert!(matches!(
            d.push(3, key(1), &frag(1, 2, 2, b"z")).unwrap(),
            Push::Pending { .. }
        ));
        // Everything times out.
        d.push(1000, key(9), &frag(9, 1, 2, b"x")).unwrap();
        assert_eq!(d.pending(), 1);
        // Too large.
        assert!(d.push(1000, key(9), &frag(9, 2, 2, b"0123456789")).is_err());
    }

    #[test]
    fn copies_per_destination_are_separate() {
        let mut d = Defrag::default();
        let mut k2 = key(7);
        k2.dst = [10, 0, 0, 3].into();
        d.push(0, key(7), &frag(7, 1, 2, b"x")).unwrap();
        d.push(0, k2, &frag(7, 1, 2, b"x")).unwrap();
        assert_eq!(
            d.push(0, key(7), &frag(7, 2, 2, b"y")).unwrap(),
            Push::Complete(b"xy")
        );
        assert_eq!(
            d.push(0, k2, &frag(7, 2, 2, b"y")).unwrap(),
            Push::Complete(b"xy")
        );
    }
}
