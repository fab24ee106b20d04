//! A time-ordered merge of several sources (one capture per node).
//!
//! Each member is a cursor whose current frame is its "head"; the merge lends
//! the head with the smallest timestamp, ties going to the member listed
//! first, so equal timestamps keep the order of the inputs and a member's own
//! frames keep their file order. `RawFrame::source` is the member's index.
//! The members are few (one per node), so the smallest head is found by a
//! linear scan, which beats a heap for a handful of inputs.
//!
//! An error from a member carries that member's file name. When a member
//! cannot go on (a corrupt pcap record length), it is dropped from the merge
//! and the error is returned as recoverable while other members remain, so
//! the rest of the captures are still read.

use super::{CaptureError, PacketSource, RawFrame, SourceStats};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The member must be advanced before its head can be compared.
    NeedAdvance,
    /// The member holds a frame with this timestamp.
    Head(i64),
    /// The member is exhausted or failed for good.
    Done,
}

/// k-way merge of packet sources by capture timestamp.
pub struct Merge {
    members: Vec<Box<dyn PacketSource + Send>>,
    state: Vec<State>,
    /// The member whose head is the current frame.
    current: Option<usize>,
    name: String,
}

impl Merge {
    pub fn new(sources: Vec<Box<dyn PacketSource + Send>>) -> Merge {
        let name = sources
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join("+");
        let state = vec![State::NeedAdvance; sources.len()];
        Merge {
            members: sources,
            state,
            current: None,
            name,
        }
    }

    /// Number of member sources.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Statistics of each member, in input order.
    pub fn member_stats(&self) -> Vec<SourceStats> {
        self.members.iter().map(|m| m.stats()).collect()
    }
}

impl PacketSource for Merge {
    fn advance(&mut self) -> Result<bool, CaptureError> {
        if let Some(i) = self.current.take()
            && let Some(s) = self.state.get_mut(i)
        {
            *s = State::NeedAdvance;
        }
        for (i, member) in self.members.iter_mut().enumerate() {
            if self.state[i] != State::NeedAdvance {
                continue;
            }
            match member.advance() {
                Ok(true) => self.state[i] = State::Head(member.frame().ts),
                Ok(false) => self.state[i] = State::Done,
                Err(mut e) => {
                    if !e.recoverable {
                        // That member is finished; the merge goes on with the
                        // others, so for the merge the error is recoverable
                        // unless no member is left.
                        self.state[i] = State::Done;
                        e.recoverable = self.state.iter().any(|s| *s != State::Done);
                    }
                    if e.file.is_empty() {
                        e.file = member.name().to_string();
                    }
                    return Err(e);
                }
            }
        }
        let mut best: Option<(i64, usize)> = None;
        for (i, s) in self.state.iter().enumerate() {
            if let State::Head(ts) = *s {
                // Strictly smaller only: ties stay with the earlier member.
                if best.is_none_or(|(b, _)| ts < b) {
                    best = Some((ts, i));
                }
            }
        }
        match best {
            Some((_, i)) => {
                self.current = Some(i);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn frame(&self) -> RawFrame<'_> {
        match self
            .current
            .and_then(|i| self.members.get(i).map(|m| (i, m)))
        {
            Some((i, m)) => RawFrame {
                source: i,
                ..m.frame()
            },
            None => RawFrame {
                ts: 0,
                linktype: 0,
                orig_len: 0,
                data: &[],
                packet_no: 0,
                offset: 0,
                source: 0,
            },
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn stats(&self) -> SourceStats {
        let mut t = SourceStats::default();
        for m in &self.members {
            let s = m.stats();
            t.frames += s.frames;
            t.bytes += s.bytes;
            t.snaplen_cut += s.snaplen_cut;
            t.skipped += s.skipped;
            t.skipped_bytes += s.skipped_bytes;
            t.dropped_kernel += s.dropped_kernel;
            t.dropped_if += s.dropped_if;
            t.received_kernel += s.received_kernel;
            t.kernel_stats |= s.kernel_stats;
        }
        t
    }

    fn read_ahead(&mut self) {
        for m in &mut self.members {
            m.read_ahead();
        }
    }

    fn skipped_spans(&self) -> Vec<(String, super::SkippedSpan)> {
        self.members
            .iter()
            .flat_map(|m| m.skipped_spans())
            .collect()
    }
}
