//! IP fragment reassembly in bounded memory.
//!
//! At most `max_datagrams` datagrams are rebuilt at once (the oldest is
//! dropped to make room), each at most `max_datagram_len` bytes and at most
//! `MAX_PIECES` fragments; a datagram whose first fragment is older than
//! `timeout_ns` (capture time) is dropped. Exact duplicates are ignored; any
//! other overlap drops the datagram (RFC 5722 for IPv6; for IPv4 overlapping
//! fragments are an attack pattern or a bug, and no order of preference
//! would be right for an analysis tool). Buffers of finished datagrams are
//! kept for reuse, so steady state allocates nothing.
//!
//! Own code, not etherparse's `defrag::IpDefragPool` (0.21), because none of
//! the bounds above can be set on it: it keeps any number of datagrams at
//! once in a `HashMap` (its own documentation says it is not safe against
//! out-of-memory attacks), expires only through `retain`, which rebuilds
//! that map (allocating), has no cap on fragments per datagram, lets an
//! overlapping fragment overwrite the bytes held (the later copy wins, so a
//! duplicate and a rewrite look the same), and reports none of the fates
//! counted in [`super::HeldFragments`] (merged, duplicate, dropped by reason).

use std::net::IpAddr;

use super::{DefragLimits, DropReason, NetStats};

/// Fragments kept per datagram.
pub const MAX_PIECES: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub id: u32,
    /// IPv4 protocol (0 for IPv6, whose key is addresses and id).
    pub proto: u8,
}

/// Header facts taken from the fragment at offset 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstInfo {
    pub tos: u8,
    pub ttl: u8,
    pub df: bool,
    /// IP header length before the fragmentable part.
    pub hdr_len: usize,
    pub vlan: Option<u16>,
    /// The protocol the fragmentable part starts with.
    pub next: u8,
}

/// One fragment as the IP layer saw it.
#[derive(Debug, Clone, Copy)]
pub struct Fragment<'a> {
    pub key: Key,
    /// Byte offset of `data` in the datagram.
    pub offset: u32,
    pub more: bool,
    pub data: &'a [u8],
    pub info: FirstInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Held,
    /// The datagram is complete in `Defrag::out` (its first fragment's facts
    /// in `Defrag::out_info`).
    Complete,
    /// The datagram was dropped; the reason names what was wrong.
    Dropped(&'static str),
}

#[derive(Debug, Default)]
struct Entry {
    key: Option<Key>,
    first_ts: i64,
    buf: Vec<u8>,
    /// Received ranges `[start, end)`, disjoint.
    pieces: Vec<(u32, u32)>,
    total: Option<u32>,
    info: Option<FirstInfo>,
}

impl Entry {
    fn reset(&mut self) {
        self.key = None;
        self.buf.clear();
        self.pieces.clear();
        self.total = None;
        self.info = None;
    }
}

/// The reassembly table.
#[derive(Debug, Default)]
pub struct Defrag {
    live: Vec<Entry>,
    free: Vec<Entry>,
    /// The last datagram completed.
    pub out: Vec<u8>,
    pub out_info: FirstInfo,
    pub out_key: Option<Key>,
}

impl Defrag {
    /// Datagrams being rebuilt.
    pub fn pending(&self) -> usize {
        self.live.len()
    }

    fn release(&mut self, i: usize) {
        let mut e = self.live.swap_remove(i);
        e.reset();
        self.free.push(e);
    }

    /// Drops a partial datagram; its held fragments are counted as
    /// dropped for `why`.
    fn drop_entry(&mut self, i: usize, stats: &mut NetStats, why: DropReason) {
        let held = self.live[i].pieces.len() as u64;
        stats.held.pending = stats.held.pending.saturating_sub(held);
        stats.held.dropped[why as usize] += held;
        self.release(i);
        stats.reassembly_dropped += 1;
    }

    /// Drops datagrams that waited longer than the timeout.
    pub fn expire(&mut self, ts: i64, limits: &DefragLimits, stats: &mut NetStats) {
        let mut i = 0;
        while i < self.live.len() {
            if ts.saturating_sub(self.live[i].first_ts) > limits.timeout_ns {
                self.drop_entry(i, stats, DropReason::TimedOut);
            } else {
                i += 1;
            }
        }
    }

    /// Forgets any partial datagram with this key (counted as dropped).
    pub fn forget(&mut self, key: &Key, stats: &mut NetStats, why: DropReason) {
        if let Some(i) = self.live.iter().position(|e| e.key.as_ref() == Some(key)) {
            self.drop_entry(i, stats, why);
        }
    }

    /// Adds a fragment.
    pub fn insert(
        &mut self,
        ts: i64,
        limits: &DefragLimits,
        stats: &mut NetStats,
        f: Fragment<'_>,
    ) -> Outcome {
        stats.ip_fragments += 1;
        self.expire(ts, limits, stats);
        let len = f.data.len() as u64;
        let start = u64::from(f.offset);
        let end = start + len;
        let idx = match self
            .live
            .iter()
            .position(|e| e.key.as_ref() == Some(&f.key))
        {
            Some(i) => i,
            None => {
                if limits.max_datagrams == 0 {
                    stats.reassembly_dropped += 1;
                    return Outcome::Dropped("table full");
                }
                if self.live.len() >= limits.max_datagrams {
                    // Make room: the oldest partial datagram goes.
                    let oldest = self
                        .live
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, e)| e.first_ts)
                        .map(|(i, _)| i)
                        .unwrap_or(0);
                    self.drop_entry(oldest, stats, DropReason::Evicted);
                }
                let mut e = self.free.pop().unwrap_or_default();
                e.key = Some(f.key);
                e.first_ts = ts;
                self.live.push(e);
                self.live.len() - 1
            }
        };
        // Validity of the piece itself.
        let bad = if end > limits.max_datagram_len as u64 {
            Some((
                "fragment beyond the largest datagram",
                DropReason::BeyondEnd,
            ))
        } else if f.more && (len == 0 || !len.is_multiple_of(8)) {
            Some(("fragment length not a multiple of 8", DropReason::BadLength))
        } else if (!f.more && self.live[idx].total.is_some_and(|t| u64::from(t) != end))
            || self.live[idx].total.is_some_and(|t| end > u64::from(t))
            || (!f.more
                && self.live[idx]
                    .pieces
                    .iter()
                    .any(|&(_, e)| u64::from(e) > end))
        {
            Some(("fragment beyond the datagram end", DropReason::BeyondEnd))
        } else {
            None
        };
        if let Some((why, reason)) = bad {
            self.drop_entry(idx, stats, reason);
            return Outcome::Dropped(why);
        }
        let (start, end) = (start as u32, end as u32);
        {
            let e = &mut self.live[idx];
            for &(a, b) in &e.pieces {
                if start < b && a < end {
                    let same = a == start
                        && b == end
                        && e.buf
                            .get(start as usize..end as usize)
                            .is_some_and(|old| old == f.data);
                    if same {
                        stats.held.duplicates += 1;
                        return Outcome::Held;
                    }
                    self.drop_entry(idx, stats, DropReason::Overlap);
                    return Outcome::Dropped("fragment overlap");
                }
            }
            if e.pieces.len() >= MAX_PIECES {
                self.drop_entry(idx, stats, DropReason::TooManyFragments);
                return Outcome::Dropped("fragment count");
            }
            if e.buf.len() < end as usize {
                e.buf.resize(end as usize, 0);
            }
            if let Some(dst) = e.buf.get_mut(start as usize..end as usize) {
                dst.copy_from_slice(f.data);
            }
            e.pieces.push((start, end));
            stats.held.pending += 1;
            if !f.more {
                e.total = Some(end);
            }
            if start == 0 {
                e.info = Some(f.info);
            }
            let have: u64 = e.pieces.iter().map(|&(a, b)| u64::from(b - a)).sum();
            let done = e.total.is_some_and(|t| have == u64::from(t)) && e.info.is_some();
            if !done {
                return Outcome::Held;
            }
        }
        // Complete: hand the buffer out, keep the old output buffer for reuse.
        let mut e = self.live.swap_remove(idx);
        // This fragment is the datagram's frame; the others merged into it.
        let held = e.pieces.len() as u64;
        stats.held.pending = stats.held.pending.saturating_sub(held);
        stats.held.merged += held.saturating_sub(1);
        let total = e.total.unwrap_or(0) as usize;
        e.buf.truncate(total);
        std::mem::swap(&mut self.out, &mut e.buf);
        self.out_info = e.info.unwrap_or_default();
        self.out_key = e.key;
        e.reset();
        self.free.push(e);
        stats.datagrams_reassembled += 1;
        Outcome::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn key(id: u32) -> Key {
        Key {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            id,
            proto: 17,
        }
    }

    fn frag(id: u32, offset: u32, more: bool, data: &[u8]) -> Fragment<'_> {
        Fragment {
            key: key(id),
            offset,
            more,
            data,
            info: FirstInfo {
                ttl: 64,
                next: 17,
                hdr_len: 20,
                ..Default::default()
            },
        }
    }

    fn limits() -> DefragLimits {
        DefragLimits {
            max_datagrams: 2,
            max_datagram_len: 64,
            timeout_ns: 1000,
        }
    }

    #[test]
    fn out_of_order_and_duplicate() {
        let (mut d, mut s, l) = (Defrag::default(), NetStats::default(), limits());
        let a = [1u8; 16];
        let b = [2u8; 8];
        let c = [3u8; 4];
        assert_eq!(
            d.insert(0, &l, &mut s, frag(1, 24, false, &c)),
            Outcome::Held
        );
        assert_eq!(d.insert(1, &l, &mut s, frag(1, 0, true, &a)), Outcome::Held);
        assert_eq!(d.insert(2, &l, &mut s, frag(1, 0, true, &a)), Outcome::Held); // duplicate
        assert_eq!(
            d.insert(3, &l, &mut s, frag(1, 16, true, &b)),
            Outcome::Complete
        );
        let mut want = vec![1u8; 16];
        want.extend_from_slice(&b);
        want.extend_from_slice(&c);
        assert_eq!(d.out, want);
        assert_eq!(d.out_info.ttl, 64);
        assert_eq!(
            s,
            NetStats {
                ip_fragments: 4,
                datagrams_reassembled: 1,
                reassembly_dropped: 0,
                held: super::super::HeldFragments {
                    merged: 2,
                    duplicates: 1,
                    ..Default::default()
                },
            }
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn overlap_drops() {
        let (mut d, mut s, l) = (Defrag::default(), NetStats::default(), limits());
        assert_eq!(
            d.insert(0, &l, &mut s, frag(1, 0, true, &[0; 16])),
            Outcome::Held
        );
        assert!(matches!(
            d.insert(0, &l, &mut s, frag(1, 8, true, &[1; 16])),
            Outcome::Dropped(_)
        ));
        assert_eq!(s.reassembly_dropped, 1);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn limits_hold() {
        let (mut d, mut s, l) = (Defrag::default(), NetStats::default(), limits());
        // too long
        assert!(matches!(
            d.insert(0, &l, &mut s, frag(1, 56, false, &[0; 16])),
            Outcome::Dropped(_)
        ));
        // table full: the oldest goes
        d.insert(10, &l, &mut s, frag(2, 0, true, &[0; 8]));
        d.insert(11, &l, &mut s, frag(3, 0, true, &[0; 8]));
        d.insert(12, &l, &mut s, frag(4, 0, true, &[0; 8]));
        assert_eq!(d.pending(), 2);
        assert_eq!(s.reassembly_dropped, 2);
        // timeout on capture time
        d.insert(5000, &l, &mut s, frag(5, 0, true, &[0; 8]));
        assert_eq!(d.pending(), 1);
        assert_eq!(s.reassembly_dropped, 4);
        // a non-last fragment not a multiple of 8
        assert!(matches!(
            d.insert(5000, &l, &mut s, frag(6, 0, true, &[0; 5])),
            Outcome::Dropped(_)
        ));
    }

    #[test]
    fn piece_count_is_bounded() {
        let l = DefragLimits {
            max_datagrams: 4,
            max_datagram_len: 65_535,
            timeout_ns: 1000,
        };
        let (mut d, mut s) = (Defrag::default(), NetStats::default());
        let mut last = Outcome::Held;
        for i in 0..=MAX_PIECES as u32 {
            last = d.insert(0, &l, &mut s, frag(1, i * 8 + 8, true, &[0; 8]));
        }
        assert_eq!(last, Outcome::Dropped("fragment count"));
    }
}
