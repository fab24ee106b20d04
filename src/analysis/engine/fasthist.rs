//! Counts laid out as the engine's HDR histograms lay them out (1 µs to
//! [`HIST_MAX_US`], two significant digits), for the values recorded on
//! every token (rotation, hold): a record is a shift and an add, where
//! `hdrhistogram`'s own record also maintains min, max and total and costs
//! about as much as the rest of a token's analysis. Read as an ordinary
//! [`Histogram`] with identical counts ([`FastHist::to_hdr`]), so quantiles,
//! min, max and mean are exactly those of recording into it directly (the
//! tests below compare them).

use hdrhistogram::Histogram;

use super::{HIST_MAX_US, new_hist};

/// `new_hist`'s layout: 2 significant digits give 256 sub-buckets (half
/// of them per bucket after the first), unit 1 µs.
const SUB_HALF_SHIFT: u32 = 7;
const SUB_HALF: usize = 1 << SUB_HALF_SHIFT;
const SUB_MASK: u64 = (2 << SUB_HALF_SHIFT) - 1;
/// 64 − log2(sub-bucket count).
const LZ_BASE: u32 = 56;

#[inline]
fn index(v: u64) -> usize {
    let bucket = LZ_BASE - (v | SUB_MASK).leading_zeros();
    ((bucket as usize + 1) << SUB_HALF_SHIFT) + (v >> bucket) as usize - SUB_HALF
}

/// The lowest value counted at `i`.
fn value_at(i: usize) -> u64 {
    if i < 2 * SUB_HALF {
        return i as u64;
    }
    let bucket = (i >> SUB_HALF_SHIFT) - 1;
    let sub = (i & (SUB_HALF - 1)) + SUB_HALF;
    (sub as u64) << bucket
}

const LEN: usize = {
    let v = HIST_MAX_US;
    let bucket = LZ_BASE - (v | SUB_MASK).leading_zeros();
    ((bucket as usize + 1) << SUB_HALF_SHIFT) + (v >> bucket) as usize - SUB_HALF + 1
};

#[derive(Debug, Clone)]
pub(super) struct FastHist {
    /// u64: a count cannot overflow, so a record is a plain add.
    counts: Box<[u64]>,
}

impl FastHist {
    pub fn new() -> Self {
        FastHist {
            counts: vec![0; LEN].into_boxed_slice(),
        }
    }

    /// Counts `us` (clamped to 1 µs .. [`HIST_MAX_US`], as the engine clamps).
    #[inline]
    pub fn record(&mut self, us: u64) {
        if let Some(c) = self.counts.get_mut(index(us.clamp(1, HIST_MAX_US))) {
            *c += 1;
        }
    }

    /// Counts a duration of `ns` nanoseconds in µs (clamped as `record`).
    #[inline]
    pub fn record_ns(&mut self, ns: i64) {
        self.record(ns.max(0) as u64 / 1000);
    }

    /// The same counts as an HDR histogram.
    pub fn to_hdr(&self) -> Histogram<u32> {
        let mut h = new_hist();
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                h.saturating_record_n(value_at(i), u32::try_from(c).unwrap_or(u32::MAX));
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_counts_as_recording_into_hdr() {
        let mut h = new_hist();
        let mut f = FastHist::new();
        let mut values: Vec<u64> = vec![1, 2, 127, 128, 129, 255, 256, 257, 511, 512, 513];
        for p in 9..27 {
            values.extend([(1u64 << p) - 1, 1 << p, (1 << p) + 1]);
        }
        values.extend([HIST_MAX_US - 1, HIST_MAX_US]);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Log-uniform over the range, as RTTs and rotations spread.
            let v = (x >> 37) >> (x % 27);
            values.push(v.clamp(1, HIST_MAX_US));
        }
        for &v in &values {
            h.saturating_record(v);
            f.record(v);
        }
        let g = f.to_hdr();
        assert_eq!(g, h);
        for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(g.value_at_quantile(q), h.value_at_quantile(q), "q {q}");
        }
        assert_eq!((g.min(), g.max(), g.len()), (h.min(), h.max(), h.len()));
        assert_eq!(g.mean(), h.mean());
    }

    #[test]
    fn every_index_round_trips() {
        for i in 1..LEN {
            assert_eq!(index(value_at(i)), i, "index {i}");
        }
        assert_eq!(index(HIST_MAX_US), LEN - 1);
    }
}
