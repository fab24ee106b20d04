//! The selected link: RTT sparkline with loss marks, histogram, silences.
//! `strip` is the compact version on the main screen; `full` is Enter.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, block, clock_ms, fmt_ms, fmt_pct, judge, links};
use crate::tui::app::App;
use crate::tui::model::{LinkRow, RttPoint, View};

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn scale(points: &[Option<u64>], floor: u64) -> u64 {
    points
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(floor)
        .max(1)
}

/// One row of bars; `floor` keeps tiny values from filling the row.
pub fn spark_line(points: &[Option<u64>], floor: u64) -> String {
    spark_rows(points, floor, 1).pop().unwrap_or_default()
}

/// `rows` rows of bars, top row first.
pub fn spark_rows(points: &[Option<u64>], floor: u64, rows: usize) -> Vec<String> {
    let max = scale(points, floor);
    let rows = rows.max(1);
    let eighths: Vec<u64> = points
        .iter()
        .map(|p| match p {
            None => 0,
            Some(v) => ((v * rows as u64 * 8).div_ceil(max)).max(1),
        })
        .collect();
    (0..rows)
        .rev()
        .map(|r| {
            eighths
                .iter()
                .map(|&e| {
                    let base = r as u64 * 8;
                    BARS[e.saturating_sub(base).min(8) as usize]
                })
                .collect()
        })
        .collect()
}

/// `x` under bins with lost pings, `_` under bins without any pong.
pub fn loss_marks(series: &[RttPoint]) -> String {
    series
        .iter()
        .map(|p| {
            if p.lost > 0 {
                'x'
            } else if p.max_us.is_none() {
                '_'
            } else {
                ' '
            }
        })
        .collect()
}

fn tail(series: &[RttPoint], w: usize) -> &[RttPoint] {
    &series[series.len().saturating_sub(w)..]
}

fn summary(v: &View, l: &LinkRow) -> String {
    format!(
        "{} link {}  rtt ms p50 {} p99 {} max {} ({} samples)  loss {}%/{}%  pings {} pongs {}",
        links::pair(v, l),
        l.link,
        fmt_ms(l.rtt.p50_us),
        fmt_ms(l.rtt.p99_us),
        fmt_ms(l.rtt.max_us),
        l.rtt.samples,
        fmt_pct(l.loss_pct),
        fmt_pct(l.loss_rev_pct),
        l.pings,
        l.pongs
    )
}

/// Compact detail on the main screen.
pub fn strip(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let Some(l) = app.selected_link() else {
        f.render_widget(
            Paragraph::new("select a link").block(block("detail", false, t)),
            area,
        );
        return;
    };
    let w = area.width.saturating_sub(2) as usize;
    let s = tail(&l.series, w);
    let pts: Vec<Option<u64>> = s.iter().map(|p| p.max_us.map(u64::from)).collect();
    let lv = judge(l, &v.budgets);
    let rows = area.height.saturating_sub(5).max(1) as usize;
    let mut lines = vec![Line::from(Span::styled(summary(v, l), t.level(lv)))];
    let max = scale(&pts, 1000);
    lines.push(Line::from(Span::styled(
        format!(
            "max RTT per second, top of scale {} ms; x = lost ping, _ = no pong",
            fmt_ms(max)
        ),
        t.dim(),
    )));
    for r in spark_rows(&pts, 1000, rows) {
        lines.push(Line::from(Span::styled(r, t.ok())));
    }
    lines.push(Line::from(Span::styled(loss_marks(s), t.bad())));
    let title = format!("detail {} link {} (Enter)", links::pair(v, l), l.link);
    f.render_widget(Paragraph::new(lines).block(block(&title, false, t)), area);
}

/// The RTT histogram: the buckets from the first to the last non-empty one;
/// when they do not fit, the last row sums the rest.
fn histogram(l: &LinkRow, area: Rect, t: Theme) -> Vec<Line<'static>> {
    let total: u64 = l.hist.iter().map(|b| b.count).sum();
    let mut out = vec![Line::from(Span::styled(
        format!("RTT histogram, {total} pongs"),
        t.title(),
    ))];
    let (Some(lo), Some(hi)) = (
        l.hist.iter().position(|b| b.count > 0),
        l.hist.iter().rposition(|b| b.count > 0),
    ) else {
        out.push(Line::from(Span::styled("no RTT sample yet", t.dim())));
        return out;
    };
    let room = (area.height as usize).saturating_sub(1).max(1);
    let shown = &l.hist[lo..=hi];
    let mut rows: Vec<(String, u64)> = Vec::with_capacity(shown.len().min(room));
    let below = |i: usize| {
        i.checked_sub(1)
            .and_then(|j| l.hist.get(j))
            .map_or(0, |b| b.upper_us)
    };
    for (k, b) in shown.iter().enumerate() {
        if rows.len() + 1 == room && k + 1 < shown.len() {
            let rest: u64 = shown[k..].iter().map(|b| b.count).sum();
            rows.push((format!("> {} ms", fmt_ms(below(lo + k))), rest));
            break;
        }
        let label = if b.upper_us == u64::MAX {
            format!("> {} ms", fmt_ms(below(lo + k)))
        } else {
            format!("<= {} ms", fmt_ms(b.upper_us))
        };
        rows.push((label, b.count));
    }
    let most = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bar_w = (area.width as usize).saturating_sub(21).max(1);
    for (label, count) in rows {
        let n = usize::try_from((u128::from(count) * bar_w as u128).div_ceil(u128::from(most)))
            .unwrap_or(bar_w)
            .min(bar_w);
        out.push(Line::from(vec![
            Span::raw(format!("{label:>12} {count:>6} ")),
            Span::styled("#".repeat(n), t.ok()),
        ]));
    }
    out
}

/// Full-screen detail of the selected link.
pub fn full(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let Some(l) = app.selected_link() else {
        f.render_widget(
            Paragraph::new("no link selected (Esc)").block(block("detail", true, t)),
            area,
        );
        return;
    };
    let title = format!(
        "detail {} link {} (Up/Down other links, Esc back)",
        links::pair(v, l),
        l.link
    );
    let outer = block(&title, true, t);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let spark_h = (inner.height / 3).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(spark_h + 3), Constraint::Min(3)]).areas(inner);
    // Sparkline.
    let w = top.width as usize;
    let s = tail(&l.series, w);
    let pts: Vec<Option<u64>> = s.iter().map(|p| p.max_us.map(u64::from)).collect();
    let lv = judge(l, &v.budgets);
    let max = scale(&pts, 1000);
    let mut lines = vec![
        Line::from(Span::styled(summary(v, l), t.level(lv))),
        Line::from(Span::styled(
            format!(
                "max RTT per second over the last {} s, top {} ms; x = lost ping, _ = no pong",
                s.len(),
                fmt_ms(max)
            ),
            t.dim(),
        )),
    ];
    for r in spark_rows(&pts, 1000, spark_h as usize) {
        lines.push(Line::from(Span::styled(r, t.ok())));
    }
    lines.push(Line::from(Span::styled(loss_marks(s), t.bad())));
    f.render_widget(Paragraph::new(lines), top);
    // Histogram and silences side by side.
    let [hist, sil] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    f.render_widget(Paragraph::new(histogram(l, hist, t)), hist);
    let mut sl = vec![
        Line::from(Span::styled("silences (no pong > ping timeout)", t.title())),
        Line::from(format!(
            "longest gap {} ms vs timeout {} ms; last pong {} ms ago",
            l.max_silence_ms,
            v.budgets.ping_timeout_ms,
            l.last_pong_age_ms.map_or("-".into(), |a| a.to_string())
        )),
        Line::from(format!(
            "pmtu {}  state {}",
            l.pmtu.map_or("-".into(), |m| m.to_string()),
            links::state(l)
        )),
    ];
    for s in l.silences.iter().rev() {
        let end = s.end.map_or("now".to_string(), clock_ms);
        sl.push(Line::from(Span::styled(
            format!("{} - {end}  {} ms", clock_ms(s.start), s.ms),
            if s.end.is_none() { t.bad() } else { t.warn() },
        )));
    }
    if l.silences.is_empty() {
        sl.push(Line::from(Span::styled("none", t.ok())));
    }
    f.render_widget(Paragraph::new(sl), sil);
}
