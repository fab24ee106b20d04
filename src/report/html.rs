//! `report --format html`: one self-contained page (no script, no font, no
//! address fetched) with the verdict, the incidents, the findings, the
//! text report, and plots on one shared time axis drawn by `plotters`'
//! SVG backend from the run's [`Timeline`] (one sample per second of
//! capture time) and the final [`Snapshot`].
//!
//! Every plot has the same width and left label area, so their time axes
//! line up. A plot has at most [`MAX_POINTS`] points per series: longer
//! captures are binned (the median of the per-second RTT medians, the
//! mean of the token means, the largest of the maxima, the sum of the
//! losses), so the file stays small whatever the span.
//! Colours are the Okabe–Ito palette (told apart with colour vision
//! deficiency), and what matters is also told by shape, line width or
//! text: timeouts are black lines, link-down spans grey hatching-free
//! shading with the word in the legend, severities have their own marker
//! shapes, so the page reads in black and white print.

use std::fmt::Write as _;
use std::io::{self, Write};

use plotters::prelude::*;

use super::{Extras, Format, Layout, fmt_datetime, fmt_time, judge};
use crate::analysis::RTT_BUCKETS_US;
use crate::analysis::frames::FrameSpan;
use crate::analysis::multi::{MultiView, OneWayView};
use crate::analysis::timeline::{End, LinkSample, Sample, Timeline, median_u32};
use crate::analysis::{Incident, MembershipView, RingState, Severity, Snapshot, incidents};

/// Most points per series in a plot (about one per two pixels).
pub const MAX_POINTS: usize = 480;

const WIDTH: u32 = 960;
const LEFT: u32 = 64;
const BOTTOM: u32 = 26;
const RIGHT: u32 = 16;

// Okabe–Ito.
const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Timeout lines: near black, so they are told from the axes (which are
/// black) by colour as well as by their place.
const TIMEOUT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const PALETTE: [RGBColor; 6] = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY];
/// Per-node hold lines: none of the rotation lines' colours.
const HOLD: [RGBColor; 4] = [GREEN, PURPLE, ORANGE, SKY];

/// `<`, `>`, `&`, `"` and `'` as entities: every string the page shows.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn plot_err<E: std::fmt::Display>(e: E) -> io::Error {
    io::Error::other(format!("drawing a plot: {e}"))
}

/// The shared time axis: seconds since `t0`, up to `span`.
#[derive(Clone, Copy)]
struct Axis {
    t0: i64,
    span: f64,
}

impl Axis {
    fn x(&self, ns: i64) -> f64 {
        ((ns - self.t0) as f64 / 1e9).clamp(0.0, self.span)
    }
    fn label(&self, x: f64) -> String {
        let ns = self.t0 + (x * 1e9) as i64;
        let c = fmt_time(ns);
        // HH:MM:SS, the milliseconds only on short spans.
        if self.span < 20.0 {
            c[..c.len().min(10)].to_string()
        } else {
            c[..c.len().min(8)].to_string()
        }
    }
}

/// One bin of one direction: RTT p50 (each second's median; over a bin
/// of several seconds the median of their medians), p99 (the bucket
/// bound), max, ms; pings lost and pongs late in it; path MTU at its end.
#[derive(Clone, Default)]
struct LinkBin {
    x: f64,
    rtt_count: u64,
    /// The medians of the bin's steps, µs.
    p50s: Vec<u32>,
    p99_ms: Option<f64>,
    max_ms: Option<f64>,
    lost: u64,
    late: u64,
    pmtu: Option<u16>,
    probes: u64,
    replies: u64,
}

/// One bin of the ring: rotation mean and max, hold mean per node, ms.
#[derive(Clone, Default)]
struct TokenBin {
    x: f64,
    rot_count: u64,
    rot_sum_us: f64,
    rot_max_ms: Option<f64>,
    hold: Vec<(u32, u64, f64)>,
    retransmits: u64,
}

impl LinkBin {
    /// The bin's median RTT, ms.
    fn p50_ms(&self) -> Option<f64> {
        median_u32(self.p50s.iter().copied()).map(|us| f64::from(us) / 1000.0)
    }
}

type Key = (End, End, u8);

fn key(l: &LinkSample) -> Key {
    (l.src, l.dst, l.link)
}

/// How many consecutive steps go into one bin.
fn bin_size(steps: usize) -> usize {
    steps.div_ceil(MAX_POINTS).max(1)
}

/// p99 of the RTTs counted in `hist` (the bucket's upper bound, ms).
fn hist_p99(hist: &[u64], bounds: &[u64]) -> Option<f64> {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return None;
    }
    let want = (total * 99).div_ceil(100);
    let mut seen = 0;
    for (i, c) in hist.iter().enumerate() {
        seen += c;
        if seen >= want {
            let b = bounds.get(i).or(bounds.last()).copied().unwrap_or(0);
            return Some(b as f64 / 1000.0);
        }
    }
    None
}

/// Per direction, its bins (steps between consecutive samples, grouped).
fn link_bins(t: &Timeline, axis: &Axis) -> Vec<(Key, Vec<LinkBin>)> {
    let mut keys: Vec<Key> = t
        .samples
        .iter()
        .flat_map(|s| s.links.iter().map(key))
        .collect();
    keys.sort();
    keys.dedup();
    let steps = t.samples.len().saturating_sub(1);
    let per = bin_size(steps);
    keys.into_iter()
        .map(|k| {
            let find = |s: &Sample| s.links.iter().find(|l| key(l) == k).cloned();
            let mut bins: Vec<LinkBin> = Vec::new();
            for (i, w) in t.samples.windows(2).enumerate() {
                let (a, b) = (find(&w[0]), find(&w[1]));
                if i % per == 0 {
                    bins.push(LinkBin::default());
                }
                let bin = bins.last_mut().expect("pushed");
                bin.x = axis.x(w[1].ts);
                let Some(b) = b else { continue };
                let zero = LinkSample {
                    pings_sent: 0,
                    pongs_received: 0,
                    pings_lost: 0,
                    pongs_late: 0,
                    rtt_hist: [0; RTT_BUCKETS_US.len() + 1],
                    rtt_count: 0,
                    rtt_sum_us: 0.0,
                    rtt_p50_step_us: None,
                    pmtud_probes: 0,
                    pmtud_replies: 0,
                    ..b.clone()
                };
                let a = a.unwrap_or(zero);
                let dc = b.rtt_count.saturating_sub(a.rtt_count);
                bin.rtt_count += dc;
                bin.p50s.extend(b.rtt_p50_step_us);
                let dh: Vec<u64> = b
                    .rtt_hist
                    .iter()
                    .zip(a.rtt_hist.iter())
                    .map(|(x, y)| x.saturating_sub(*y))
                    .collect();
                if let Some(p) = hist_p99(&dh, &RTT_BUCKETS_US) {
                    let max = b.rtt_max_step_us.map(|m| f64::from(m) / 1000.0);
                    // The bucket's bound, never above the step's largest RTT.
                    let p = max.map_or(p, |m| p.min(m));
                    bin.p99_ms = Some(bin.p99_ms.map_or(p, |q: f64| q.max(p)));
                }
                if let Some(m) = b.rtt_max_step_us {
                    let m = f64::from(m) / 1000.0;
                    bin.max_ms = Some(bin.max_ms.map_or(m, |q: f64| q.max(m)));
                }
                bin.lost += b.pings_lost.saturating_sub(a.pings_lost);
                bin.late += b.pongs_late.saturating_sub(a.pongs_late);
                bin.pmtu = b.pmtu;
                bin.probes += b.pmtud_probes.saturating_sub(a.pmtud_probes);
                bin.replies += b.pmtud_replies.saturating_sub(a.pmtud_replies);
            }
            (k, bins)
        })
        .collect()
}

fn token_bins(t: &Timeline, axis: &Axis) -> Vec<TokenBin> {
    let per = bin_size(t.samples.len().saturating_sub(1));
    let mut bins: Vec<TokenBin> = Vec::new();
    for (i, w) in t.samples.windows(2).enumerate() {
        let (a, b) = (&w[0], &w[1]);
        if i % per == 0 {
            bins.push(TokenBin::default());
        }
        let bin = bins.last_mut().expect("pushed");
        bin.x = axis.x(b.ts);
        if let Some(rb) = b.rotation {
            let (ac, asum) = a.rotation.map_or((0, 0.0), |r| (r.count, r.sum_us));
            bin.rot_count += rb.count.saturating_sub(ac);
            bin.rot_sum_us += (rb.sum_us - asum).max(0.0);
        }
        if let Some(m) = b.rotation_max_step_us {
            let m = m as f64 / 1000.0;
            bin.rot_max_ms = Some(bin.rot_max_ms.map_or(m, |q: f64| q.max(m)));
        }
        for (n, h) in &b.hold {
            let (ac, asum) = a
                .hold
                .iter()
                .find(|(m, _)| m == n)
                .map_or((0, 0.0), |(_, x)| (x.count, x.sum_us));
            let dc = h.count.saturating_sub(ac);
            let ds = (h.sum_us - asum).max(0.0);
            match bin.hold.iter_mut().find(|(m, _, _)| m == n) {
                Some(x) => {
                    x.1 += dc;
                    x.2 += ds;
                }
                None => bin.hold.push((*n, dc, ds)),
            }
        }
        bin.retransmits += b.token_retransmits.saturating_sub(a.token_retransmits);
    }
    bins
}

/// The runs of consecutive bins that have something to draw: a line is
/// drawn through each run, never across the bins between them.
fn runs<T>(bins: &[T], has: impl Fn(&T) -> bool) -> Vec<&[T]> {
    bins.split(|b| !has(b)).filter(|r| !r.is_empty()).collect()
}

/// A plot's drawing: the SVG text of a `WIDTH`×`height` chart.
fn svg(
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> io::Result<()>,
) -> io::Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    // Inline SVG in HTML needs no namespace: the page names no address.
    Ok(buf.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1))
}

/// A chart on `root`: capture time `0..span` seconds across, `y` up, with
/// the page's margins and label areas (`top`: the margin above).
fn chart<'a, 'b, Y: plotters::coord::ranged1d::AsRangedCoord>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    span: f64,
    top: u32,
    y: Y,
) -> io::Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, Y::CoordDescType>,
    >,
> {
    ChartBuilder::on(root)
        .margin_right(RIGHT)
        .margin_top(top)
        .x_label_area_size(BOTTOM)
        .y_label_area_size(LEFT)
        .build_cartesian_2d(0.0..span, y)
        .map_err(plot_err)
}

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// One direction's RTT: the band from the p50 up to the max, the p50 and
/// p99 lines, the ping timeout line, link-down spans shaded, lost pings
/// as triangles under the axis' top, late pongs as circles.
fn rtt_plot(
    axis: &Axis,
    bins: &[LinkBin],
    downs: &[(f64, f64)],
    ping_timeout_ms: f64,
) -> io::Result<String> {
    let top = bins
        .iter()
        .flat_map(|b| [b.max_ms, b.p99_ms, b.p50_ms()])
        .flatten()
        .fold(ping_timeout_ms, f64::max)
        * 2.0;
    let bottom = bins
        .iter()
        .filter_map(LinkBin::p50_ms)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.01, 1.0)
        / 2.0;
    svg(180, |root| {
        let mut c = chart(root, axis.span.max(1.0), 8, (bottom..top).log_scale())?;
        c.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(5)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .y_desc("RTT ms")
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        c.draw_series(
            downs
                .iter()
                .map(|&(a, b)| Rectangle::new([(a, bottom), (b, top)], GREY.mix(0.35).filled())),
        )
        .map_err(plot_err)?;
        let p50 = |b: &LinkBin| b.p50_ms().unwrap_or(bottom).max(bottom);
        // A bin without a pong breaks the lines: nothing is drawn across it.
        for run in runs(bins, |b| !b.p50s.is_empty()) {
            let mut band: Vec<(f64, f64)> = run.iter().map(|b| (b.x, p50(b))).collect();
            band.extend(
                run.iter()
                    .rev()
                    .map(|b| (b.x, b.max_ms.unwrap_or(p50(b)).max(p50(b)))),
            );
            c.draw_series(std::iter::once(Polygon::new(band, SKY.mix(0.45).filled())))
                .map_err(plot_err)?;
            c.draw_series(LineSeries::new(
                run.iter().map(|b| (b.x, p50(b))),
                BLUE.stroke_width(2),
            ))
            .map_err(plot_err)?;
            c.draw_series(LineSeries::new(
                run.iter()
                    .map(|b| (b.x, b.p99_ms.unwrap_or(p50(b)).max(p50(b)))),
                ORANGE.stroke_width(1),
            ))
            .map_err(plot_err)?;
        }
        c.draw_series(LineSeries::new(
            [
                (0.0, ping_timeout_ms),
                (axis.span.max(1.0), ping_timeout_ms),
            ],
            TIMEOUT.stroke_width(1),
        ))
        .map_err(plot_err)?;
        let mark_y = top / 1.6;
        c.draw_series(
            bins.iter()
                .filter(|b| b.lost > 0)
                .map(|b| TriangleMarker::new((b.x, mark_y), 5, VERMILLION.filled())),
        )
        .map_err(plot_err)?;
        c.draw_series(
            bins.iter()
                .filter(|b| b.late > 0)
                .map(|b| Circle::new((b.x, mark_y / 1.6), 4, BLACK.stroke_width(1))),
        )
        .map_err(plot_err)?;
        Ok(())
    })
}

/// When each ring lasted, ns: from its first token (or, for a ring first
/// seen after the ring that its members were seen leaving, formed in the
/// same round or before it: from that ring, its unseen part) to the first
/// later ring holding any of its members or its representative (a ring
/// whose members are not known: to the next ring), or the end.
struct RingSpan {
    /// Index into `Snapshot::membership`.
    ring: usize,
    /// Formed unseen from here (None: seen from its first token).
    unseen_from: Option<i64>,
    seen_from: i64,
    end: i64,
}

fn ring_spans(rings: &[MembershipView], now: i64) -> Vec<RingSpan> {
    let mut order: Vec<usize> = (0..rings.len()).collect();
    order.sort_by_key(|&i| (rings[i].ts, i));
    let holds = |r: &MembershipView, n: u32| r.members.contains(&n) || r.rep == n;
    order
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let r = &rings[i];
            // Known only from a later ring's commit token: when it formed
            // and ended is not on the wire; it takes no time here (and
            // takes part in no partition).
            if r.named_by.is_some() {
                return RingSpan {
                    ring: i,
                    unseen_from: None,
                    seen_from: r.ts,
                    end: r.ts,
                };
            }
            let later = order[k + 1..].iter().map(|&j| &rings[j]);
            let end = if r.members.is_empty() {
                later.map(|n| n.ts).next()
            } else {
                later
                    .filter(|n| n.members.iter().any(|&m| holds(r, m)))
                    .map(|n| n.ts)
                    .next()
            }
            .unwrap_or(now)
            .max(r.ts);
            // Its members were seen leaving a ring of the same round: it
            // was formed then, out of sight of the capture.
            // The latest earlier ring that either holds one of its members
            // (then it was formed after that, as seen) or names one leaving.
            let unseen_from = order[..k]
                .iter()
                .rev()
                .map(|&j| &rings[j])
                .find(|p| {
                    p.members.iter().any(|m| r.members.contains(m))
                        || p.left.iter().any(|m| r.members.contains(m))
                })
                .filter(|p| {
                    p.left.iter().any(|m| r.members.contains(m)) && r.seq <= p.seq && p.ts < r.ts
                })
                .map(|p| p.ts);
            RingSpan {
                ring: i,
                unseen_from,
                seen_from: r.ts,
                end,
            }
        })
        .collect()
}

/// Spans (ns) where two or more rings existed at once, with the rings.
fn partitions(spans: &[RingSpan]) -> Vec<(i64, i64, Vec<usize>)> {
    let mut edges: Vec<i64> = spans
        .iter()
        .flat_map(|r| [r.unseen_from.unwrap_or(r.seen_from), r.end])
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let mut out: Vec<(i64, i64, Vec<usize>)> = Vec::new();
    for w in edges.windows(2) {
        let (a, b) = (w[0], w[1]);
        let live: Vec<usize> = spans
            .iter()
            .filter(|r| r.unseen_from.unwrap_or(r.seen_from) <= a && r.end >= b && b > a)
            .map(|r| r.ring)
            .collect();
        if live.len() < 2 {
            continue;
        }
        match out.last_mut() {
            Some(p) if p.1 == a && p.2 == live => p.1 = b,
            _ => out.push((a, b, live)),
        }
    }
    out
}

fn ring_label(m: &MembershipView) -> String {
    let members: Vec<String> = m.members.iter().map(u32::to_string).collect();
    let state = match m.state {
        RingState::Operational => "",
        RingState::Attempt => " (attempt)",
        RingState::Forming => " (forming)",
    };
    format!("{} [{}]{state}", m.ring_id, members.join(" "))
}

/// The rings: one band per ring (id, members, joins + and leaves −), rings
/// that existed at the same time in lanes of their own, and above them each
/// partition marked and named. Returns the SVG and the lanes used.
fn membership_plot(axis: &Axis, s: &Snapshot) -> io::Result<(String, usize)> {
    let span = axis.span.max(1.0);
    let spans = ring_spans(&s.membership, s.now);
    let parts = partitions(&spans);
    // Lanes by when the rings existed: a ring goes to the first lane free
    // at its start, so only rings at the same time are apart.
    let mut lane_end: Vec<i64> = Vec::new();
    let mut lanes: Vec<usize> = Vec::with_capacity(spans.len());
    for r in &spans {
        // A ring known only from a later commit token has no time on the
        // wire: a mark in the first lane, which it does not hold.
        if s.membership
            .get(r.ring)
            .is_some_and(|m| m.named_by.is_some())
        {
            lanes.push(0);
            continue;
        }
        let a = r.unseen_from.unwrap_or(r.seen_from);
        let lane = match lane_end.iter().position(|&e| e <= a) {
            Some(l) => l,
            None => {
                lane_end.push(i64::MIN);
                lane_end.len() - 1
            }
        };
        lane_end[lane] = r.end;
        lanes.push(lane);
    }
    // A band is at least 1/200 of the axis wide, so a ring seen for a
    // moment still shows.
    let min_w = span / 200.0;
    let n = lane_end.len().max(1);
    let top = n as f64 + if parts.is_empty() { 0.0 } else { 0.8 };
    let height = 50 + 40 * n as u32 + if parts.is_empty() { 0 } else { 24 };
    let svg = svg(height, |root| {
        let mut c = chart(root, span, 4, 0.0..top)?;
        c.configure_mesh()
            .disable_mesh()
            .y_labels(0)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_desc(if n > 1 { "rings (lanes)" } else { "ring" })
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        for (k, (r, lane)) in spans.iter().zip(&lanes).enumerate() {
            let Some(m) = s.membership.get(r.ring) else {
                continue;
            };
            // Lane 0 on top.
            let y = (n - 1 - lane) as f64;
            let a = axis.x(r.seen_from);
            let b = axis.x(r.end).max(a + min_w).min(span);
            let a = a.min(b);
            if let Some(u) = r.unseen_from {
                // Formed out of sight: an outline only, said in words.
                let ua = axis.x(u);
                c.draw_series(std::iter::once(Rectangle::new(
                    [(ua, y + 0.3), (a, y + 0.7)],
                    GREY.stroke_width(1),
                )))
                .map_err(plot_err)?;
                c.draw_series(std::iter::once(Text::new(
                    format!("{} formed unseen", m.ring_id),
                    (ua, y + 0.62),
                    font(10),
                )))
                .map_err(plot_err)?;
            }
            let fill = if k % 2 == 0 { SKY } else { YELLOW };
            c.draw_series(std::iter::once(Rectangle::new(
                [(a, y + 0.1), (b, y + 0.9)],
                fill.mix(0.5).filled(),
            )))
            .map_err(plot_err)?;
            c.draw_series(std::iter::once(Rectangle::new(
                [(a, y + 0.1), (b, y + 0.9)],
                BLACK.stroke_width(1),
            )))
            .map_err(plot_err)?;
            let mut label = ring_label(m);
            if !m.joined.is_empty() {
                let j: Vec<String> = m.joined.iter().map(|n| format!("+{n}")).collect();
                let _ = write!(label, " {}", j.join(" "));
            }
            if !m.left.is_empty() {
                let l: Vec<String> = m.left.iter().map(|n| format!("-{n}")).collect();
                let _ = write!(label, " {}", l.join(" "));
            }
            // Labels of successive rings in a lane alternate in height, so
            // rings close in time do not print over each other.
            let nth = lanes[..k].iter().filter(|l| *l == lane).count();
            let ly = if nth % 2 == 0 { y + 0.8 } else { y + 0.45 };
            c.draw_series(std::iter::once(Text::new(label, (a, ly), font(11))))
                .map_err(plot_err)?;
        }
        for (a, b, rings) in &parts {
            let (xa, xb) = (axis.x(*a), axis.x(*b));
            c.draw_series(std::iter::once(Rectangle::new(
                [
                    (xa, n as f64 + 0.05),
                    (xb.max(xa + span / 400.0), n as f64 + 0.25),
                ],
                VERMILLION.filled(),
            )))
            .map_err(plot_err)?;
            let names: Vec<String> = rings
                .iter()
                .filter_map(|&i| s.membership.get(i))
                .map(ring_label)
                .collect();
            let text = format!(
                "PARTITION: {} rings at once ({})",
                rings.len(),
                names.join(" | ")
            );
            // Right-aligned near the right edge, so it stays on the page.
            let style = if xa > span * 0.55 {
                font(11).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Right,
                    plotters::style::text_anchor::VPos::Top,
                ))
            } else {
                font(11)
            };
            let x = if xa > span * 0.55 { xb.min(span) } else { xa };
            c.draw_series(std::iter::once(Text::new(text, (x, top - 0.02), style)))
                .map_err(plot_err)?;
        }
        Ok(())
    })?;
    Ok((svg, n))
}

/// Token rotation (mean and max per bin) and each node's mean hold, with
/// the token_warning and token timeout lines.
fn token_plot(axis: &Axis, bins: &[TokenBin], s: &Snapshot, nodes: &[u32]) -> io::Result<String> {
    let th = &s.thresholds;
    let token = f64::from(th.token_ms);
    let top = bins
        .iter()
        .filter_map(|b| b.rot_max_ms)
        .fold(token, f64::max)
        * 2.0;
    let bottom = 0.05;
    svg(220, |root| {
        let span = axis.span.max(1.0);
        let mut c = chart(root, span, 8, (bottom..top).log_scale())?;
        c.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(6)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .y_desc("token ms")
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        for run in runs(bins, |b| b.rot_count > 0) {
            let pts = run.iter().map(|b| {
                (
                    b.x,
                    (b.rot_sum_us / b.rot_count as f64 / 1000.0).max(bottom),
                )
            });
            c.draw_series(LineSeries::new(pts, BLUE.stroke_width(2)))
                .map_err(plot_err)?;
        }
        for run in runs(bins, |b| b.rot_max_ms.is_some()) {
            let pts = run
                .iter()
                .map(|b| (b.x, b.rot_max_ms.unwrap_or(bottom).max(bottom)));
            c.draw_series(LineSeries::new(pts, VERMILLION.stroke_width(1)))
                .map_err(plot_err)?;
        }
        for (i, n) in nodes.iter().enumerate() {
            let color = HOLD[i % HOLD.len()];
            let hold = |b: &TokenBin| {
                let (_, c, sum) = b.hold.iter().find(|(m, _, _)| m == n)?;
                (*c > 0).then(|| (sum / *c as f64 / 1000.0).max(bottom))
            };
            for run in runs(bins, |b| hold(b).is_some()) {
                let pts = run.iter().map(|b| (b.x, hold(b).unwrap_or(bottom)));
                c.draw_series(LineSeries::new(pts, color.stroke_width(1)))
                    .map_err(plot_err)?;
            }
        }
        for (ms, w) in [(f64::from(th.token_warning_ms), 1), (token, 2)] {
            c.draw_series(LineSeries::new(
                [(0.0, ms), (span, ms)],
                TIMEOUT.stroke_width(w),
            ))
            .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// The findings on the time axis: a line over each finding's span, its
/// start marked by severity (critical ▲ filled, warning ● hollow, info ×)
/// and labelled with its number in the findings table.
fn findings_plot(
    axis: &Axis,
    s: &Snapshot,
    frames: &[Vec<FrameSpan>],
    names: &[String],
) -> io::Result<String> {
    // Where each marker landed (pixels): its link to the table goes there.
    let mut at: Vec<(usize, i32, i32)> = Vec::with_capacity(s.findings.len());
    let drawn = svg(110, |root| {
        let span = axis.span.max(1.0);
        let mut c = chart(root, span, 8, -0.5..2.7)?;
        c.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(3)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y: &f64| match y.round() as i32 {
                0 => "info".into(),
                1 => "warning".into(),
                2 => "critical".into(),
                _ => String::new(),
            })
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        for (i, f) in s.findings.iter().enumerate() {
            let y = match f.severity {
                Severity::Info => 0.0,
                Severity::Warning => 1.0,
                Severity::Critical => 2.0,
            };
            let (a, b) = (axis.x(f.start), axis.x(f.end.unwrap_or(s.now)));
            c.draw_series(std::iter::once(Rectangle::new(
                [(a, y - 0.08), (b.max(a), y + 0.08)],
                BLACK.mix(0.5).filled(),
            )))
            .map_err(plot_err)?;
            match f.severity {
                Severity::Critical => c
                    .draw_series(std::iter::once(TriangleMarker::new(
                        (a, y),
                        6,
                        VERMILLION.filled(),
                    )))
                    .map(|_| ()),
                Severity::Warning => c
                    .draw_series(std::iter::once(Circle::new(
                        (a, y),
                        5,
                        BLUE.stroke_width(2),
                    )))
                    .map(|_| ()),
                Severity::Info => c
                    .draw_series(std::iter::once(Cross::new(
                        (a, y),
                        4,
                        BLACK.stroke_width(1),
                    )))
                    .map(|_| ()),
            }
            .map_err(plot_err)?;
            c.draw_series(std::iter::once(Text::new(
                format!("{}", i + 1),
                (a, y + 0.55),
                font(10),
            )))
            .map_err(plot_err)?;
            let (px, py) = c.backend_coord(&(a, y));
            at.push((i, px, py));
        }
        Ok(())
    })?;
    // Each marker and its number is a link to its row in the findings
    // table (plain SVG links: no script, they work offline and in a file).
    let mut links = String::new();
    for (i, px, py) in at {
        let Some(f) = s.findings.get(i) else { continue };
        let _ = write!(
            links,
            "<a href=\"#f{n}\"><title>finding {n}: {} {} at {}{}</title>\
             <rect x=\"{}\" y=\"{}\" width=\"20\" height=\"34\" fill=\"#FFFFFF\" \
             fill-opacity=\"0\"/></a>",
            f.severity.name(),
            escape(f.kind.name()),
            escape(&fmt_time(f.start)),
            escape(&frames.get(i).map_or(String::new(), |x| {
                let t = frames_text(x, names);
                if t == "-" {
                    String::new()
                } else {
                    format!(", frames {t}")
                }
            })),
            px - 10,
            py - 24,
            n = i + 1,
        );
    }
    Ok(match drawn.rfind("</svg>") {
        Some(end) => format!("{}{links}{}", &drawn[..end], &drawn[end..]),
        None => drawn,
    })
}

/// A span's frames for people: `#12–#40` in one capture; with several
/// (`names`), each capture that has some, after its file's name, `; `
/// between them; `-` for none.
fn frames_text(per_source: &[FrameSpan], names: &[String]) -> String {
    let one = |f: &FrameSpan| match (f.first, f.last) {
        (Some(a), Some(b)) if a.number != b.number => Some(format!("#{}–#{}", a.number, b.number)),
        (Some(a), _) | (None, Some(a)) => Some(format!("#{}", a.number)),
        (None, None) => None,
    };
    let parts: Vec<String> = per_source
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let t = one(f)?;
            Some(match names.get(i) {
                Some(n) if names.len() > 1 => format!("{} {t}", short_name(n)),
                _ => t,
            })
        })
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

/// A file's name without its directories.
fn short_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Path MTU per direction (the size dst acknowledged), one line each.
fn pmtu_plot(axis: &Axis, links: &[(Key, Vec<LinkBin>)]) -> io::Result<String> {
    let sizes = links
        .iter()
        .flat_map(|(_, b)| b.iter().filter_map(|x| x.pmtu).map(f64::from));
    let (lo, hi) = sizes.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let (lo, hi) = if lo.is_finite() {
        (lo - 100.0, hi + 100.0)
    } else {
        (0.0, 1500.0)
    };
    svg(160, |root| {
        let span = axis.span.max(1.0);
        let mut c = chart(root, span, 8, lo..hi)?;
        c.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(5)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .y_desc("PMTU bytes")
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        for (i, (_, bins)) in links.iter().enumerate() {
            let pts: Vec<(f64, f64)> = bins
                .iter()
                .filter_map(|b| Some((b.x, f64::from(b.pmtu?))))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let color = PALETTE[i % PALETTE.len()];
            let at = |b: &LinkBin| f64::from(b.pmtu.unwrap_or(lo as u16 + 50));
            c.draw_series(LineSeries::new(pts, color.stroke_width(1 + (i % 2) as u32)))
                .map_err(plot_err)?;
            // PMTUD runs: the probes answered (●), and those not (×) in the
            // same bin, on the direction's line.
            c.draw_series(
                bins.iter()
                    .filter(|b| b.replies > 0)
                    .map(|b| Circle::new((b.x, at(b)), 3, color.filled())),
            )
            .map_err(plot_err)?;
            c.draw_series(
                bins.iter()
                    .filter(|b| b.probes > b.replies)
                    .map(|b| Cross::new((b.x, at(b) + 30.0), 4, color.stroke_width(2))),
            )
            .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// Several captures' clocks: per pair of captures, each bin's least
/// disturbed exchange as clock(b) − clock(a) minus the offsets the run
/// applied (ms: how far that moment's evidence lies from the one offset
/// per file), with its ±δ/2 band. A flat line at 0 is a steady clock.
fn clocks_plot(axis: &Axis, m: &MultiView) -> io::Result<String> {
    let c = &m.clocks;
    let off = |i: usize| c.captures.get(i).and_then(|x| x.offset_ns).unwrap_or(0);
    // Per pair: its index and points (x, residual ms, half δ ms).
    type Points = Vec<(f64, f64, f64)>;
    let series: Vec<(usize, Points)> = c
        .pairs
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let fit = off(p.b) - off(p.a);
            let pts = p
                .series
                .iter()
                .map(|x| {
                    (
                        axis.x(x.ts - off(p.a)),
                        (x.theta_ns - fit) as f64 / 1e6,
                        x.delta_ns as f64 / 2e6,
                    )
                })
                .collect();
            (k, pts)
        })
        .collect();
    let reach = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, r, d)| r.abs() + d))
        .fold(0.05f64, f64::max)
        .min(1e4)
        * 1.2;
    svg(200, |root| {
        let span = axis.span.max(1.0);
        let mut ch = chart(root, span, 8, -reach..reach)?;
        ch.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(5)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| format!("{y:+.2}"))
            .y_desc("offset − estimate ms")
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        ch.draw_series(LineSeries::new(
            [(0.0, 0.0), (span, 0.0)],
            TIMEOUT.stroke_width(1),
        ))
        .map_err(plot_err)?;
        for (k, pts) in &series {
            if pts.is_empty() {
                continue;
            }
            let color = PALETTE[k % PALETTE.len()];
            let mut band: Vec<(f64, f64)> = pts.iter().map(|(x, r, d)| (*x, r - d)).collect();
            band.extend(pts.iter().rev().map(|(x, r, d)| (*x, r + d)));
            ch.draw_series(std::iter::once(Polygon::new(
                band,
                color.mix(0.18).filled(),
            )))
            .map_err(plot_err)?;
            ch.draw_series(LineSeries::new(
                pts.iter().map(|(x, r, _)| (*x, *r)),
                color.stroke_width(1 + (*k % 3) as u32),
            ))
            .map_err(plot_err)?;
            // Each point marked by the pair's shape too (not colour alone).
            match k % 3 {
                0 => ch
                    .draw_series(
                        pts.iter()
                            .map(|(x, r, _)| Circle::new((*x, *r), 2, color.filled())),
                    )
                    .map(|_| ()),
                1 => ch
                    .draw_series(
                        pts.iter()
                            .map(|(x, r, _)| Cross::new((*x, *r), 3, color.stroke_width(1))),
                    )
                    .map(|_| ()),
                _ => ch
                    .draw_series(
                        pts.iter()
                            .map(|(x, r, _)| TriangleMarker::new((*x, *r), 3, color.filled())),
                    )
                    .map(|_| ()),
            }
            .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// One direction between two capture points: the one-way delay's p50 per
/// bin with the band up to its max, and packets that left and never
/// arrived as triangles under the top.
fn oneway_plot(axis: &Axis, o: &OneWayView) -> io::Result<String> {
    // Bins are drawn at their middle: the step is the smallest gap.
    let step = o
        .series
        .windows(2)
        .map(|w| w[1].ts - w[0].ts)
        .filter(|d| *d > 0)
        .min()
        .unwrap_or(1_000_000_000);
    let pts: Vec<(f64, f64, f64)> = o
        .series
        .iter()
        .map(|p| {
            (
                axis.x(p.ts + step / 2),
                p.p50_us as f64 / 1000.0,
                p.max_us as f64 / 1000.0,
            )
        })
        .collect();
    let top = pts.iter().map(|p| p.2).fold(0.1f64, f64::max) * 3.0;
    let bottom = pts
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.001, 1.0)
        / 2.0;
    svg(150, |root| {
        let span = axis.span.max(1.0);
        let mut c = chart(root, span, 8, (bottom..top).log_scale())?;
        c.configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(4)
            .x_labels(10)
            .x_label_formatter(&|x| axis.label(*x))
            .y_label_formatter(&|y| format!("{y}"))
            .y_desc("one way ms")
            .label_style(font(11))
            .draw()
            .map_err(plot_err)?;
        // Lines break where a bin has no match.
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let mut runs: Vec<Vec<(f64, f64, f64)>> = Vec::new();
        for (k, p) in pts.iter().enumerate() {
            let gap = k > 0
                && o.series
                    .get(k)
                    .zip(o.series.get(k - 1))
                    .is_some_and(|(a, b)| a.ts - b.ts > step);
            if gap && !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
            run.push((p.0, p.1.max(bottom), p.2.max(p.1).max(bottom)));
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for r in &runs {
            let mut band: Vec<(f64, f64)> = r.iter().map(|p| (p.0, p.1)).collect();
            band.extend(r.iter().rev().map(|p| (p.0, p.2)));
            c.draw_series(std::iter::once(Polygon::new(band, SKY.mix(0.45).filled())))
                .map_err(plot_err)?;
            c.draw_series(LineSeries::new(
                r.iter().map(|p| (p.0, p.1)),
                BLUE.stroke_width(2),
            ))
            .map_err(plot_err)?;
        }
        c.draw_series(o.lost_series.iter().map(|(ts, _)| {
            TriangleMarker::new((axis.x(ts + step / 2), top / 1.6), 5, VERMILLION.filled())
        }))
        .map_err(plot_err)?;
        Ok(())
    })
}

/// A sequential scale, white to dark blue (one hue: it reads with colour
/// vision deficiency and in grey print; every cell also prints its value).
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(0xFF, 0x08), mix(0xFF, 0x30), mix(0xFF, 0x6B))
}

/// One link's node × node matrices: p99 RTT (log scale, 0.1 ms to 1 s)
/// and loss (0 to 20 %), rows pinging columns.
fn heatmap_plot(s: &Snapshot, link: u8, nodes: &[u16]) -> io::Result<String> {
    let n = nodes.len();
    let cell = 30u32;
    let height = 60 + cell * n as u32;
    svg(height, |root| {
        let halves = root.split_evenly((1, 2));
        for (half, which) in halves.iter().zip(["p99 RTT ms", "loss %"]) {
            let side = n as f64;
            let mut c = ChartBuilder::on(half)
                .margin(6)
                .caption(which, font(12))
                .build_cartesian_2d(-1.2..side + 0.2, side + 0.2..-0.8)
                .map_err(plot_err)?;
            for (i, id) in nodes.iter().enumerate() {
                let x = i as f64 + 0.5;
                c.draw_series([
                    Text::new(format!("→{id}"), (x - 0.2, -0.5), font(11)),
                    Text::new(format!("{id}→"), (-1.0, x - 0.2), font(11)),
                ])
                .map_err(plot_err)?;
            }
            for (r, src) in nodes.iter().enumerate() {
                for (col, dst) in nodes.iter().enumerate() {
                    let l = s.link(*src, *dst, link);
                    let (t, label) = match (l, which.starts_with("loss")) {
                        (Some(l), true) => (l.loss_pct / 20.0, format!("{:.1}", l.loss_pct)),
                        (Some(l), false) => match l.rtt_us {
                            Some(q) if q.count > 0 => {
                                let ms = q.p99 as f64 / 1000.0;
                                ((ms / 0.1).log10() / 4.0, format!("{ms:.2}"))
                            }
                            _ => (0.0, "-".into()),
                        },
                        (None, _) => continue,
                    };
                    let (x, y) = (col as f64, r as f64);
                    c.draw_series([Rectangle::new(
                        [(x + 0.03, y + 0.03), (x + 0.97, y + 0.97)],
                        shade(t).filled(),
                    )])
                    .map_err(plot_err)?;
                    let ink = if t > 0.55 { WHITE } else { BLACK };
                    c.draw_series([Text::new(
                        label,
                        (x + 0.15, y + 0.35),
                        ("sans-serif", 11).into_font().color(&ink),
                    )])
                    .map_err(plot_err)?;
                }
            }
        }
        Ok(())
    })
}

fn swatch(color: RGBColor, text: &str) -> String {
    format!(
        "<span class=\"key\"><span class=\"sw\" style=\"background:#{:02x}{:02x}{:02x}\"></span>{}</span>",
        color.0,
        color.1,
        color.2,
        escape(text)
    )
}

fn end_name(s: &Snapshot, e: End) -> String {
    match e {
        End::Node(n) => match s.node_name(n) {
            Some(name) => format!("{n} ({name})"),
            None => n.to_string(),
        },
        End::Addr(a) => a.to_string(),
    }
}

/// The directions' link-down spans (seconds on the axis).
fn down_spans(s: &Snapshot, axis: &Axis, k: &Key) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for l in &s.links {
        let lk = (
            l.src_node.map_or(End::Addr(l.src_addr), End::Node),
            l.dst_node.map_or(End::Addr(l.dst_addr), End::Node),
            l.link,
        );
        if lk != *k {
            continue;
        }
        let mut from: Option<i64> = None;
        for t in &l.transitions {
            match (t.up, from) {
                (false, None) => from = Some(t.ts),
                (true, Some(a)) => {
                    out.push((axis.x(a), axis.x(t.ts)));
                    from = None;
                }
                _ => {}
            }
        }
        if let Some(a) = from {
            out.push((axis.x(a), axis.span));
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1000px;margin:1em auto;color:#000;background:#fff}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #999}\
.verdict{font-size:1.15em;font-weight:bold;padding:.5em;border:3px solid #000}\
.sev-critical{border-style:double}.sev-warning{border-style:dashed}.sev-ok{border-style:solid}\
.sev-inconclusive{border-style:dotted}\
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #999;padding:2px 5px;vertical-align:top;text-align:left}\
figure{margin:.6em 0;page-break-inside:avoid;break-inside:avoid}figcaption{font-size:.85em}\
.key{margin-right:1em;white-space:nowrap}.sw{display:inline-block;width:1.6em;height:.7em;margin-right:.3em;border:1px solid #000}\
svg{max-width:100%;height:auto}.marks{font-size:.8em;margin:0}pre{font-size:.75em;overflow-x:auto}\
@media print{body{max-width:none}details{display:block}a{color:#000}}";

/// The frames of each finding's and incident's evidence (see
/// [`crate::analysis::frames`]), in the order of `Snapshot::findings` and
/// of [`incidents`]; empty when the input could not be read again (stdin).
#[derive(Debug, Clone, Default)]
pub struct EvidenceFrames {
    /// Per finding, its frames in each capture.
    pub findings: Vec<Vec<FrameSpan>>,
    pub incidents: Vec<Vec<FrameSpan>>,
}

impl EvidenceFrames {
    /// The spans of capture time to look up: every finding's (an open one
    /// to the end of the run), then every incident's.
    pub fn spans(s: &Snapshot) -> Vec<(i64, i64)> {
        let span = |a: i64, b: Option<i64>| (a, b.unwrap_or(s.now).max(a));
        s.findings
            .iter()
            .map(|f| span(f.start, f.end))
            .chain(incidents(s).iter().map(|i: &Incident| span(i.start, i.end)))
            .collect()
    }

    /// The frames found for [`EvidenceFrames::spans`], split again.
    pub fn from_spans(s: &Snapshot, mut found: Vec<Vec<FrameSpan>>) -> EvidenceFrames {
        let n = s.findings.len().min(found.len());
        let incidents = found.split_off(n);
        EvidenceFrames {
            findings: found,
            incidents,
        }
    }
}

/// Writes the page. `t` is the run sampled once a second (the last sample
/// at the end); `frames` the evidence's frame numbers; `extras` carry the
/// coverage the verdict weighs.
pub fn write_html(
    s: &Snapshot,
    m: Option<&MultiView>,
    t: &Timeline,
    frames: &EvidenceFrames,
    extras: Extras,
    w: &mut impl Write,
) -> io::Result<()> {
    let names: &[String] = m.map_or(&[], |m| &m.files);
    let v = judge(s, extras.coverage.as_ref());
    let mut text = Vec::new();
    super::write(Format::Text, s, m, extras, Layout::Pretty, &mut text)?;
    let text = String::from_utf8_lossy(&text);
    let t0 = s
        .first_ts
        .or(t.samples.first().map(|x| x.ts))
        .unwrap_or(s.now);
    let axis = Axis {
        t0,
        span: ((s.now - t0) as f64 / 1e9).max(0.0),
    };
    let incs = incidents(s);

    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>corowire: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>corowire report</h1>\n",
        escape(&v.severity.to_uppercase())
    );
    let _ = writeln!(
        h,
        "<p class=\"verdict sev-{}\" id=\"verdict\">VERDICT: {}: {}</p>",
        v.severity,
        escape(&v.severity.to_uppercase()),
        escape(&v.summary)
    );
    for n in &v.blind_spots {
        let _ = writeln!(h, "<p>not judged: {}</p>", escape(n));
    }
    let th = &s.thresholds;
    let _ = writeln!(
        h,
        "<p>Capture {} to {} UTC ({:.1} s, {} packets). Budgets: token {} ms, \
         token_warning {} ms, consensus {} ms, knet ping timeout {} ms. Plots: one \
         point per {} s.</p>",
        escape(&fmt_datetime(t0)),
        escape(&fmt_time(s.now)),
        axis.span,
        s.packets,
        th.token_ms,
        th.token_warning_ms,
        th.consensus_ms,
        th.ping_timeout_ms,
        u64::from(t.step_s) * bin_size(t.samples.len().saturating_sub(1)) as u64
    );

    // Incidents.
    let _ = writeln!(h, "<h2 id=\"incidents\">Incidents ({})</h2>", incs.len());
    if incs.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        h.push_str(
            "<table><tr><th>#</th><th>start (UTC)</th><th>severity</th><th>duration</th>\
             <th>cause</th><th>nodes</th><th>findings</th><th>what corosync did</th>\
             <th>frames</th></tr>\n",
        );
        for (n, i) in incs.iter().enumerate() {
            let dur = i.end.map_or_else(
                || "ongoing".to_string(),
                |e| format!("{:.1} s", (e - i.start) as f64 / 1e9),
            );
            let nodes: Vec<String> = i.nodes.iter().map(u16::to_string).collect();
            let links: Vec<String> = i
                .findings
                .iter()
                .map(|&f| format!("<a href=\"#f{}\">{}</a>", f + 1, f + 1))
                .collect();
            let _ = writeln!(
                h,
                "<tr id=\"i{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                n + 1,
                n + 1,
                escape(&fmt_time(i.start)),
                i.severity.name().to_uppercase(),
                escape(&dur),
                escape(&i.cause.describe()),
                escape(&nodes.join(" ")),
                links.join(" "),
                escape(&i.corosync.join("; ")),
                escape(
                    &frames
                        .incidents
                        .get(n)
                        .map_or("-".into(), |f| frames_text(f, names))
                )
            );
        }
        h.push_str("</table>\n");
    }

    // Plots.
    h.push_str("<h2 id=\"plots\">On one time axis</h2>\n");
    let _ = writeln!(
        h,
        "<figure id=\"plot-findings\"><figcaption><b>Findings</b>: numbered as in the \
         table below (each marker links to its row); ▲ filled critical, ● hollow warning, \
         × info; the bar is the finding's span.</figcaption>{}<p class=\"marks\">Evidence of each marker: {}</p>\
         </figure>",
        findings_plot(&axis, s, &frames.findings, names)?,
        (1..=s.findings.len())
            .map(|n| format!("<a href=\"#f{n}\">{n}</a>"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (rings_svg, lanes) = membership_plot(&axis, s)?;
    let parts = partitions(&ring_spans(&s.membership, s.now));
    let mut said = String::new();
    for (a, b, rings) in &parts {
        let names: Vec<String> = rings
            .iter()
            .filter_map(|&i| s.membership.get(i))
            .map(ring_label)
            .collect();
        let _ = write!(
            said,
            "<p class=\"marks partition\">PARTITION {} to {} ({:.1} s): {} rings at once: \
             {}</p>",
            escape(&fmt_time(*a)),
            escape(&fmt_time(*b)),
            (b - a) as f64 / 1e9,
            rings.len(),
            escape(&names.join(", "))
        );
    }
    let _ = writeln!(
        h,
        "<figure id=\"plot-membership\" data-lanes=\"{lanes}\" data-partitions=\"{}\">\
         <figcaption><b>Membership</b>: one band per ring (id, [members], +joined −left) \
         from its first token to the first later ring holding one of its members; rings \
         that existed at the same time in lanes of their own, a partition (two or more \
         rings at once) marked above them; a ring whose members were seen leaving in a \
         ring of its round but whose first token came later was formed out of sight (an \
         outline from then).</figcaption>{rings_svg}{said}</figure>",
        parts.len()
    );
    let tb = token_bins(t, &axis);
    let mut nodes: Vec<u32> = t
        .samples
        .iter()
        .flat_map(|x| x.hold.iter().map(|(n, _)| *n))
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut legend = format!(
        "{}{}",
        swatch(BLUE, "rotation (mean)"),
        swatch(VERMILLION, "rotation (longest)")
    );
    for (i, n) in nodes.iter().enumerate() {
        legend.push_str(&swatch(
            HOLD[i % HOLD.len()],
            &format!("hold at node {n} (mean)"),
        ));
    }
    legend.push_str(&swatch(
        TIMEOUT,
        "token_warning (thin), token timeout (thick)",
    ));
    let retrans: u64 = tb.iter().map(|b| b.retransmits).sum();
    let _ = writeln!(
        h,
        "<figure id=\"plot-token\" data-series=\"{}\"><figcaption><b>Token</b> (log \
         scale; {} token retransmits): {legend}</figcaption>{}</figure>",
        4 + nodes.len(),
        retrans,
        token_plot(&axis, &tb, s, &nodes)?
    );
    let lb = link_bins(t, &axis);
    let rtt_legend = format!(
        "{}{}{}{}{}",
        swatch(BLUE, "p50 (median per second)"),
        swatch(ORANGE, "p99 (bucket bound)"),
        swatch(SKY, "band: p50 to max"),
        swatch(TIMEOUT, "ping timeout"),
        swatch(GREY, "link down")
    );
    for (k, bins) in &lb {
        let downs = down_spans(s, &axis, k);
        let lost: u64 = bins.iter().map(|b| b.lost).sum();
        let late: u64 = bins.iter().map(|b| b.late).sum();
        let _ = writeln!(
            h,
            "<figure class=\"rtt\" id=\"rtt-{}-{}-{}\"><figcaption><b>Link {}: {} → {}</b> \
             RTT (log scale; {} pings lost ▲, {} pongs late ○, {} downs): {rtt_legend}\
             </figcaption>{}</figure>",
            escape(&k.0.to_string()),
            escape(&k.1.to_string()),
            k.2,
            k.2,
            escape(&end_name(s, k.0)),
            escape(&end_name(s, k.1)),
            lost,
            late,
            downs.len(),
            rtt_plot(&axis, bins, &downs, f64::from(th.ping_timeout_ms))?
        );
    }
    if lb.iter().any(|(_, b)| b.iter().any(|x| x.pmtu.is_some())) {
        let mut legend = String::new();
        for (i, (k, _)) in lb.iter().enumerate() {
            legend.push_str(&swatch(
                PALETTE[i % PALETTE.len()],
                &format!("link {}: {} → {}", k.2, k.0, k.1),
            ));
        }
        let _ = writeln!(
            h,
            "<figure id=\"plot-pmtu\"><figcaption><b>Path MTU</b> acknowledged, PMTUD \
             probes answered ● and not × ({} probes, {} replies): {legend}</figcaption>{}\
             </figure>",
            lb.iter()
                .flat_map(|(_, b)| b)
                .map(|b| b.probes)
                .sum::<u64>(),
            lb.iter()
                .flat_map(|(_, b)| b)
                .map(|b| b.replies)
                .sum::<u64>(),
            pmtu_plot(&axis, &lb)?
        );
    }

    // Several captures: their clocks and the one-way delays between them.
    if let Some(m) = m.filter(|m| m.files.len() > 1) {
        let c = &m.clocks;
        if c.pairs.iter().any(|p| !p.series.is_empty()) {
            let mut legend = String::new();
            for (k, p) in c.pairs.iter().enumerate() {
                // As the text report numbers the captures, with their node.
                let name = |i: usize| match c.captures.get(i).and_then(|x| x.vantage) {
                    Some(n) => format!("[{}] node {n}", i + 1),
                    None => format!("[{}]", i + 1),
                };
                let shape = ["●", "×", "▲"][k % 3];
                legend.push_str(&swatch(
                    PALETTE[k % PALETTE.len()],
                    &format!(
                        "{shape} clock({}) − clock({}): {:+.3} ms ± {:.3} ({} exchanges)",
                        name(p.b),
                        name(p.a),
                        p.theta_ns as f64 / 1e6,
                        p.uncertainty_ns as f64 / 1e6,
                        p.samples
                    ),
                ));
            }
            let _ = writeln!(
                h,
                "<figure id=\"plot-clocks\"><figcaption><b>Capture clocks</b>: per pair of \
                 captures and per point, the offset its least disturbed exchange gives minus \
                 the one offset per file the run applied (band: ± half the time that exchange \
                 spent between the capture points); a line away from 0 is drift, or a path \
                 slower one way than the other. Captures: {}. {legend}</figcaption>{}</figure>",
                m.files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| format!("[{}] {}", i + 1, escape(short_name(f))))
                    .collect::<Vec<_>>()
                    .join(", "),
                clocks_plot(&axis, m)?
            );
        }
        let who = |a: std::net::IpAddr| match s.node_of_addr(a) {
            Some(n) => format!("node {n} ({a})"),
            None => a.to_string(),
        };
        for o in m.one_way.iter().filter(|o| !o.series.is_empty()) {
            let _ = writeln!(
                h,
                "<figure class=\"oneway\" id=\"oneway-{}-{}\"><figcaption><b>One way: {} → {}\
                 </b> between their captures (log scale; p50 {} ms, p99 {} ms; {} packets \
                 matched, {} left and never arrived ▲): {}{}</figcaption>{}</figure>",
                escape(&o.src_addr.to_string()),
                escape(&o.dst_addr.to_string()),
                escape(&who(o.src_addr)),
                escape(&who(o.dst_addr)),
                o.delay_p50_us
                    .map_or("-".into(), |v| format!("{:.3}", v as f64 / 1000.0)),
                o.delay_p99_us
                    .map_or("-".into(), |v| format!("{:.3}", v as f64 / 1000.0)),
                o.matched,
                o.left_not_arrived,
                swatch(BLUE, "p50 per point"),
                swatch(SKY, "band: p50 to max"),
                oneway_plot(&axis, o)?
            );
        }
    }

    let mut ids: Vec<u16> = s
        .links
        .iter()
        .flat_map(|l| [l.src_node, l.dst_node])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut link_ids: Vec<u8> = s
        .links
        .iter()
        .filter(|l| l.src_node.is_some())
        .map(|l| l.link)
        .collect();
    link_ids.sort_unstable();
    link_ids.dedup();
    // Past 16 nodes the cells get too small to print their values.
    if ids.len() <= 16 {
        for link in link_ids {
            let _ = writeln!(
                h,
                "<figure class=\"heatmap\" id=\"heatmap-{link}\"><figcaption><b>Link {link}, \
                 node × node</b> over the whole capture: rows ping columns; the darker, the \
                 worse (p99 RTT 0.1 ms to 1 s on a log scale, loss 0 to 20 %).</figcaption>{}\
                 </figure>",
                heatmap_plot(s, link, &ids)?
            );
        }
    }

    // Findings.
    let _ = writeln!(
        h,
        "<h2 id=\"findings\">Findings ({})</h2>",
        s.findings.len()
    );
    if !s.findings.is_empty() {
        h.push_str(
            "<p>Frames: the first frame of the input at or after a finding's start and \
             the last at or before its end (a packet viewer's frame numbers; with several \
             captures, in each file named).</p>\n",
        );
        h.push_str(
            "<table><tr><th>#</th><th>start (UTC)</th><th>end</th><th>severity</th>\
             <th>kind</th><th>where</th><th>what</th><th>evidence</th><th>frames</th></tr>\n",
        );
        for (i, f) in s.findings.iter().enumerate() {
            let place = format!(
                "{}{}{}",
                f.src_node.map_or(String::new(), |n| n.to_string()),
                f.dst_node.map_or(String::new(), |n| format!(" → {n}")),
                f.link.map_or(String::new(), |l| format!(" link {l}"))
            );
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|(n, v)| format!("{n} {}", (v * 1000.0).round() / 1000.0))
                .collect();
            let _ = writeln!(
                h,
                "<tr id=\"f{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                i + 1,
                escape(&fmt_time(f.start)),
                escape(&f.end.map_or("open".to_string(), fmt_time)),
                f.severity.name().to_uppercase(),
                escape(f.kind.name()),
                escape(&place),
                escape(&f.message),
                escape(&ev.join(", ")),
                escape(
                    &frames
                        .findings
                        .get(i)
                        .map_or("-".into(), |x| frames_text(x, names))
                )
            );
        }
        h.push_str("</table>\n");
    }

    let _ = writeln!(
        h,
        "<h2 id=\"text\">The text report</h2>\n<details open><summary>corowire report \
         (text)</summary><pre>{}</pre></details>\n<p><small>corowire {}</small></p>\n\
         </body>\n</html>",
        escape(&text),
        env!("CARGO_PKG_VERSION")
    );
    w.write_all(h.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_hostile_node_name_is_text() {
        use crate::analysis::Engine;
        use crate::analysis::testkit::{feed, ip, ping_bytes, two_nodes};
        let mut e = Engine::new(two_nodes());
        e.set_node_names(vec![(1, "<script>alert(1)</script>".into())]);
        let t0 = 1_700_000_000_000_000_000;
        let mut t = Timeline::default();
        for k in 0..5i64 {
            let ts = t0 + k * 800_000_000;
            feed(
                &mut e,
                ts,
                ip(1),
                ip(2),
                0,
                &ping_bytes(false, 1, 0, 7, k as u16),
            );
            t.record(&e.snapshot(), ts - ts.rem_euclid(1_000_000_000));
            let back = ping_bytes(true, 2, 0, 7, k as u16);
            feed(&mut e, ts + 300_000, ip(2), ip(1), 0, &back);
        }
        let snap = e.snapshot();
        t.finish(&snap);
        let mut out = Vec::new();
        write_html(
            &snap,
            None,
            &t,
            &EvidenceFrames::default(),
            Extras::default(),
            &mut out,
        )
        .unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("<figure class=\"rtt\" id=\"rtt-1-2-0\">"));
    }

    #[test]
    fn p99_is_the_bucket_bound() {
        let mut h = [0u64; RTT_BUCKETS_US.len() + 1];
        h[2] = 99; // ≤ 200 µs
        h[9] = 1; // ≤ 50 ms
        assert_eq!(hist_p99(&h, &RTT_BUCKETS_US), Some(0.2));
        h[9] = 2;
        assert_eq!(hist_p99(&h, &RTT_BUCKETS_US), Some(50.0));
    }

    #[test]
    fn bins_stay_under_the_cap() {
        assert_eq!(bin_size(10), 1);
        assert_eq!(bin_size(MAX_POINTS), 1);
        assert_eq!(bin_size(MAX_POINTS + 1), 2);
        assert!(3600usize.div_ceil(bin_size(3600)) <= MAX_POINTS);
    }
}
