//! Frame numbers for spans of capture time: which frames of the input a
//! finding or an incident covers, so that its evidence can be opened in a
//! packet viewer (`frame.number >= a && frame.number <= b`).
//!
//! The engine keeps no frame numbers: a finding's start is often a time
//! no packet carries (a ping that was due, a silence that began). After
//! the run the input is read once more, timestamps only, and each span
//! gets the first frame at or after its start and the last at or before
//! its end, in each capture (several captures each number their own
//! frames). Frames are taken in the order each file gives them, which is
//! time order in every capture tcpdump or dumpcap writes.

/// One frame: the capture it is in (index into the inputs) and its number
/// there (1-based, as packet viewers count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef {
    pub source: usize,
    pub number: u64,
}

/// The frames of one span: None when no frame falls in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameSpan {
    pub first: Option<FrameRef>,
    pub last: Option<FrameRef>,
}

/// Finds the frames of spans `(start, end)` (ns) in each capture, in one
/// pass over the input's frames: O(frames + spans × captures), no
/// allocation per frame.
#[derive(Debug)]
pub struct FrameLookup {
    per_source: Vec<OneSource>,
}

impl FrameLookup {
    /// Spans to look up in `sources` captures (at least one).
    pub fn new(spans: Vec<(i64, i64)>, sources: usize) -> FrameLookup {
        let one = OneSource::new(spans);
        FrameLookup {
            per_source: vec![one; sources.max(1)],
        }
    }

    /// The next frame of the input (of capture `f.source`).
    pub fn observe(&mut self, ts: i64, f: FrameRef) {
        if let Some(o) = self.per_source.get_mut(f.source) {
            o.observe(ts, f);
        }
    }

    /// The input ended: per span (in the order given), its frames in each
    /// capture (in input order).
    pub fn finish(self) -> Vec<Vec<FrameSpan>> {
        let per: Vec<Vec<FrameSpan>> = self.per_source.into_iter().map(OneSource::finish).collect();
        let n = per.first().map_or(0, Vec::len);
        (0..n)
            .map(|i| {
                per.iter()
                    .map(|p| p.get(i).copied().unwrap_or_default())
                    .collect()
            })
            .collect()
    }
}

/// The lookup in one capture's frames.
#[derive(Debug, Clone)]
struct OneSource {
    spans: Vec<(i64, i64)>,
    /// Span indices by start, and by end.
    by_start: Vec<usize>,
    by_end: Vec<usize>,
    next_start: usize,
    next_end: usize,
    prev: Option<(i64, FrameRef)>,
    out: Vec<FrameSpan>,
}

impl OneSource {
    fn new(spans: Vec<(i64, i64)>) -> OneSource {
        let mut by_start: Vec<usize> = (0..spans.len()).collect();
        by_start.sort_by_key(|&i| spans[i].0);
        let mut by_end: Vec<usize> = (0..spans.len()).collect();
        by_end.sort_by_key(|&i| spans[i].1);
        OneSource {
            out: vec![FrameSpan::default(); spans.len()],
            spans,
            by_start,
            by_end,
            next_start: 0,
            next_end: 0,
            prev: None,
        }
    }

    fn observe(&mut self, ts: i64, f: FrameRef) {
        // Spans that ended before this frame: their last is the previous one.
        while let Some(&i) = self.by_end.get(self.next_end) {
            if self.spans[i].1 >= ts {
                break;
            }
            self.close(i);
            self.next_end += 1;
        }
        // Spans that started at or before this frame: it is their first.
        while let Some(&i) = self.by_start.get(self.next_start) {
            if self.spans[i].0 > ts {
                break;
            }
            if self.spans[i].1 >= ts {
                self.out[i].first = Some(f);
            }
            self.next_start += 1;
        }
        self.prev = Some((ts, f));
    }

    fn close(&mut self, i: usize) {
        if let (Some((pts, pf)), Some(o)) = (self.prev, self.out.get_mut(i)) {
            // Only a frame inside the span is its last.
            if o.first.is_some() && pts >= self.spans[i].0 {
                o.last = Some(pf);
            }
        }
    }

    fn finish(mut self) -> Vec<FrameSpan> {
        while let Some(&i) = self.by_end.get(self.next_end) {
            self.close(i);
            self.next_end += 1;
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_at_or_after_the_start_last_at_or_before_the_end() {
        let f = |n| FrameRef {
            source: 0,
            number: n,
        };
        // Frames at 10, 20, 30, 40 (numbers 1..4).
        let mut l = FrameLookup::new(vec![(15, 30), (10, 10), (41, 50), (0, 100), (21, 29)], 1);
        for (n, ts) in [10, 20, 30, 40].into_iter().enumerate() {
            l.observe(ts, f(n as u64 + 1));
        }
        let out: Vec<FrameSpan> = l.finish().into_iter().map(|v| v[0]).collect();
        let span = |a: Option<u64>, b: Option<u64>| FrameSpan {
            first: a.map(f),
            last: b.map(f),
        };
        assert_eq!(out[0], span(Some(2), Some(3)));
        assert_eq!(out[1], span(Some(1), Some(1)));
        // After the last frame, and a span between two frames: none.
        assert_eq!(out[2], span(None, None));
        assert_eq!(out[3], span(Some(1), Some(4)));
        assert_eq!(out[4], span(None, None));
    }

    #[test]
    fn each_capture_numbers_its_own_frames() {
        let at = |source, number| FrameRef { source, number };
        // Two captures merged on time: 0 at 10 and 30, 1 at 20 and 40.
        let mut l = FrameLookup::new(vec![(15, 35)], 2);
        l.observe(10, at(0, 1));
        l.observe(20, at(1, 1));
        l.observe(30, at(0, 2));
        l.observe(40, at(1, 2));
        let out = l.finish();
        let one = |f: FrameRef| FrameSpan {
            first: Some(f),
            last: Some(f),
        };
        assert_eq!(out, vec![vec![one(at(0, 2)), one(at(1, 1))]]);
    }
}
