//! The keys several captures add to the JSON report: each capture's clock
//! and vantage, each pair's offset, and one-way figures per link.

use serde::Serialize;

use crate::analysis::multi::{MultiView, OneWayView};

#[derive(Debug, Serialize)]
pub struct CaptureClockDto {
    pub file: String,
    pub vantage_node: Option<u16>,
    pub offset_us: Option<f64>,
    pub uncertainty_us: Option<f64>,
    pub samples: u64,
    pub method: &'static str,
    pub reference: bool,
    pub time_shift_s: f64,
    pub packets: u64,
}

#[derive(Debug, Serialize)]
pub struct ClockPairDto {
    pub a: usize,
    pub b: usize,
    pub offset_us: f64,
    pub uncertainty_us: f64,
    pub all_median_us: f64,
    pub between_min_us: f64,
    pub between_p50_us: f64,
    pub samples: u64,
    pub selected: u64,
    /// Offset of the later half of the exchanges minus the earlier half's.
    pub drift_us: Option<f64>,
    /// Sum of both halves' bounds: beyond it the change is real.
    pub drift_bound_us: Option<f64>,
    pub drift_ppm: Option<f64>,
    pub drift_significant: bool,
    /// "ping_pong" or "same_packets" (encrypted, no key).
    pub exchanges: &'static str,
}

#[derive(Debug, Serialize)]
pub struct OneWayDelayDto {
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Debug, Serialize)]
pub struct OneWayDto {
    pub delay_us: Option<OneWayDelayDto>,
    pub delay_min_us: Option<f64>,
    pub matched: u64,
    pub left_not_arrived: u64,
    pub arrived_not_seen_leaving: u64,
    pub loss_pct: f64,
    pub negative: u64,
}

impl From<&OneWayView> for OneWayDto {
    fn from(o: &OneWayView) -> Self {
        OneWayDto {
            delay_us: match (o.delay_p50_us, o.delay_p99_us, o.delay_max_us) {
                (Some(p50), Some(p99), Some(max)) => Some(OneWayDelayDto { p50, p99, max }),
                _ => None,
            },
            delay_min_us: o.delay_min_ns.map(|n| n as f64 / 1e3),
            matched: o.matched,
            left_not_arrived: o.left_not_arrived,
            arrived_not_seen_leaving: o.arrived_not_seen_leaving,
            loss_pct: o.loss_pct,
            negative: o.negative,
        }
    }
}

/// Where the packets came from and what the kernel says it dropped.
/// Several captures: each file with its vantage and clock offset.
pub(super) fn captures_dto(m: Option<&MultiView>) -> Option<Vec<CaptureClockDto>> {
    m.map(|m| {
        m.clocks
            .captures
            .iter()
            .enumerate()
            .map(|(i, c)| CaptureClockDto {
                file: m.files.get(i).cloned().unwrap_or_default(),
                vantage_node: c.vantage,
                offset_us: c.offset_ns.map(|n| n as f64 / 1e3),
                uncertainty_us: c.uncertainty_ns.map(|n| n as f64 / 1e3),
                samples: c.samples,
                method: crate::analysis::multi::METHOD,
                reference: i == m.clocks.reference,
                time_shift_s: m.shifts_ns.get(i).map_or(0.0, |n| *n as f64 / 1e9),
                packets: c.packets,
            })
            .collect()
    })
}

/// Several captures: the clock offset of every pair that exchanged packets.
pub(super) fn clock_pairs_dto(m: Option<&MultiView>) -> Option<Vec<ClockPairDto>> {
    m.map(|m| {
        m.clocks
            .pairs
            .iter()
            .map(|p| ClockPairDto {
                a: p.a,
                b: p.b,
                offset_us: p.theta_ns as f64 / 1e3,
                uncertainty_us: p.uncertainty_ns as f64 / 1e3,
                all_median_us: p.theta_all_median_ns as f64 / 1e3,
                between_min_us: p.delay_min_ns as f64 / 1e3,
                between_p50_us: p.delay_p50_ns as f64 / 1e3,
                samples: p.samples,
                selected: p.selected,
                drift_us: p.drift.map(|d| d.change_ns as f64 / 1e3),
                drift_bound_us: p.drift.map(|d| d.bound_ns as f64 / 1e3),
                drift_ppm: p.drift.map(|d| d.ppm()),
                drift_significant: p.drift.is_some_and(|d| d.significant()),
                exchanges: if p.from_packets {
                    "same_packets"
                } else {
                    "ping_pong"
                },
            })
            .collect()
    })
}
