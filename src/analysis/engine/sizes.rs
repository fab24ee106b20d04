//! Packets and latency by packet size, per directed link.
//!
//! Every packet src sends to dst is counted in its size class (IP length).
//! Latency by size: pings are small (54 bytes) and answered — their RTT is
//! the smallest class's; PMTUD probes are large and answered by a small
//! reply — the probe→reply time at the capture point is the latency of a
//! packet of the probe's size. Totem DATA is not acknowledged per packet,
//! so it gives no latency.

use super::{Dir, Direction, Engine, FindingKind, MS, Severity};

/// Upper bounds (IP bytes, inclusive) of the size classes; the last class
/// is everything larger.
pub const SIZE_BOUNDS: [u32; 4] = [128, 512, 1024, 1500];
pub const SIZE_CLASSES: usize = SIZE_BOUNDS.len() + 1;
/// Probe→reply times kept per class (the latest ones).
const KEEP: usize = 32;
/// Probe replies of a class needed before it is judged.
const MIN_PROBES: u32 = 3;
/// Pongs needed for the ping baseline.
const MIN_PINGS: u64 = 10;
/// A large packet's p50 beyond the ping p50 by more than
/// max(`SIZE_LAT_MIN_NS`, `SIZE_LAT_FACTOR` × ping p50) is a warning.
/// Measured on the corpus (bridge captures): PMTUD replies come 0.02–0.3 ms
/// after their probe (knet answers from its receive thread), ping RTT p50s
/// are 0.05–0.24 ms; the largest excess of a probe class's p50 over the
/// ping p50 of the same path is 0.17 ms (healthy-3n-aes256, 3→2), so 5 ms
/// is far above knet's own processing.
const SIZE_LAT_MIN_NS: i64 = 5 * MS;
const SIZE_LAT_FACTOR: u64 = 3;

pub fn size_class(ip_len: u32) -> usize {
    SIZE_BOUNDS
        .iter()
        .position(|b| ip_len <= *b)
        .unwrap_or(SIZE_BOUNDS.len())
}

#[derive(Debug, Clone)]
pub(super) struct SizeStats {
    pub packets: [u64; SIZE_CLASSES],
    rtt_us: [[u32; KEEP]; SIZE_CLASSES],
    /// Replies recorded per class (the ring holds the latest `KEEP`).
    n: [u32; SIZE_CLASSES],
}

impl Default for SizeStats {
    fn default() -> Self {
        SizeStats {
            packets: [0; SIZE_CLASSES],
            rtt_us: [[0; KEEP]; SIZE_CLASSES],
            n: [0; SIZE_CLASSES],
        }
    }
}

impl SizeStats {
    #[inline]
    pub fn count(&mut self, ip_len: u32) {
        // A u64 count cannot overflow.
        if let Some(n) = self.packets.get_mut(size_class(ip_len)) {
            *n += 1;
        }
    }
    /// A probe of `size` IP bytes was answered `rtt_ns` after it left.
    pub fn probe_rtt(&mut self, size: u16, rtt_ns: i64) {
        if rtt_ns < 0 {
            return;
        }
        let c = size_class(u32::from(size));
        let us = (rtt_ns / 1000).clamp(1, i64::from(u32::MAX)) as u32;
        self.rtt_us[c][self.n[c] as usize % KEEP] = us;
        self.n[c] = self.n[c].saturating_add(1);
    }
    /// Median probe→reply time of a class, µs, and how many it rests on.
    pub fn probe_p50(&self, c: usize) -> Option<(u64, u32)> {
        let n = (self.n[c] as usize).min(KEEP);
        if n == 0 {
            return None;
        }
        let mut v = self.rtt_us[c];
        let s = &mut v[..n];
        s.sort_unstable();
        Some((u64::from(s[n / 2]), self.n[c]))
    }
}

impl Dir {
    /// The ping RTT p50 (µs) when there are enough pongs.
    pub(super) fn ping_p50(&self) -> Option<u64> {
        (self.ping.rtt.len() >= MIN_PINGS).then(|| self.ping.rtt.value_at_quantile(0.5))
    }
}

impl Engine {
    /// Large packets much slower than pings on the same path.
    pub(super) fn size_latency(&mut self) {
        let mut out = Vec::new();
        for d in &self.dirs {
            let Some(ping) = d.ping_p50() else {
                continue;
            };
            let limit = (SIZE_LAT_MIN_NS / 1000).max((SIZE_LAT_FACTOR * ping) as i64) as u64;
            let worst = (1..SIZE_CLASSES)
                .filter_map(|c| d.sizes.probe_p50(c).map(|(p, n)| (c, p, n)))
                .filter(|(_, p, n)| *n >= MIN_PROBES && p.saturating_sub(ping) > limit)
                .max_by_key(|(_, p, _)| *p);
            let Some((c, p50, n)) = worst else {
                continue;
            };
            let class = SIZE_BOUNDS.get(c).map_or(
                format!("> {} bytes", SIZE_BOUNDS[SIZE_BOUNDS.len() - 1]),
                |b| format!("<= {b} bytes"),
            );
            let f = d.finding(FindingKind::SizeDependentLatency, Severity::Warning, d.first_ts, Direction::SrcToDst, format!(
                    "packets {class} on link {} take {:.2} ms (PMTUD probe to reply, p50 of {n}) against {:.2} ms for pings",
                    d.key.link,
                    p50 as f64 / 1000.0,
                    ping as f64 / 1000.0
                ))
            .ended(d.last_ts)
            .ev("large_rtt_p50_ms", p50 as f64 / 1000.0)
            .ev("ping_rtt_p50_ms", ping as f64 / 1000.0)
            .ev("probes", f64::from(n))
            .ev("size_class_max", SIZE_BOUNDS.get(c).map_or(0.0, |b| f64::from(*b)));
            out.push(f);
        }
        for f in out {
            self.push_finding(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(size_class(54), 0);
        assert_eq!(size_class(128), 0);
        assert_eq!(size_class(129), 1);
        assert_eq!(size_class(1500), 3);
        assert_eq!(size_class(1501), 4);
        assert_eq!(size_class(u32::MAX), 4);
    }

    #[test]
    fn median_of_latest() {
        let mut s = SizeStats::default();
        assert_eq!(s.probe_p50(3), None);
        for us in [300, 100, 200] {
            s.probe_rtt(1400, us * 1000);
        }
        s.probe_rtt(1400, -5);
        assert_eq!(s.probe_p50(3), Some((200, 3)));
    }
}
