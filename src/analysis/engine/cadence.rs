//! The cadence of a path's timed pings, as the wire shows it.
//!
//! knet's heartbeat thread wakes on its 200 ms timer and sends a timed
//! ping when the last one is at least `ping_interval` old, so the spacing
//! of timed pings on a path is the interval rounded up to the 200 ms grid
//! (docs/wire-format.md §4.4). A lost ping shows as a spacing of twice
//! that, a forced (untimed) ping is not counted. The spacing most often
//! seen is the path's cadence; `wire` compares it with the budgets.

use super::{MS, NS};
use crate::config::budgets::KNET_HEARTBEAT_GRID_MS;

/// Spacings counted per multiple of the 200 ms grid (1 ..= `SLOTS`).
const SLOTS: usize = 64;

/// Spacings of one path's timed pings, counted on the 200 ms grid.
#[derive(Debug, Clone)]
pub(super) struct Cadence {
    last: Option<i64>,
    /// `counts[k - 1]`: spacings of k grid steps.
    counts: [u32; SLOTS],
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            last: None,
            counts: [0; SLOTS],
        }
    }
}

impl Cadence {
    /// A timed ping of this path left at `ts`.
    #[inline]
    pub fn note(&mut self, ts: i64) {
        let grid = i64::from(KNET_HEARTBEAT_GRID_MS) * MS;
        if let Some(last) = self.last.replace(ts) {
            let gap = ts - last;
            if gap <= 0 || gap > 30 * NS {
                return;
            }
            let k = ((gap + grid / 2) / grid) as usize;
            if let Some(c) = k.checked_sub(1).and_then(|i| self.counts.get_mut(i)) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// The spacing seen most often (ms) and how many spacings were counted,
    /// once at least `min` spacings were and the most frequent is at least
    /// half of them.
    pub fn spacing(&self, min: u32) -> Option<(u32, u32)> {
        let total: u32 = self.counts.iter().fold(0u32, |a, &c| a.saturating_add(c));
        if total < min.max(1) {
            return None;
        }
        let (i, &best) = self
            .counts
            .iter()
            .enumerate()
            .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))?;
        (best.saturating_mul(2) >= total).then(|| ((i as u32 + 1) * KNET_HEARTBEAT_GRID_MS, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_spacing_seen_most_often() {
        let mut c = Cadence::default();
        let mut t = 0i64;
        for i in 0..20 {
            c.note(t);
            // 400 ms with a tick's jitter, one lost ping (800 ms).
            t += if i == 7 {
                800 * MS
            } else {
                400 * MS + (i % 3) * MS
            };
        }
        assert_eq!(c.spacing(8), Some((400, 19)));
        assert_eq!(c.spacing(30), None);
        let mut c = Cadence::default();
        for k in [0, 800, 1600, 1800, 2200, 2800] {
            c.note(k * MS);
        }
        assert_eq!(c.spacing(1), None, "no spacing holds half of them");
    }
}
