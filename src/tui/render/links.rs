//! The link table: one row per directed link, sortable and selectable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Level, Theme, block, fmt_ms, fmt_pct, judge};
use crate::tui::app::{App, Focus, Overlay};
use crate::tui::model::{LinkRow, LinkState, View};

/// "src>dst" in node names, cut to `w` characters.
pub fn pair_w(v: &View, l: &LinkRow, w: usize) -> String {
    format!("{}>{}", v.node_name(l.src), v.node_name(l.dst))
        .chars()
        .take(w)
        .collect()
}

pub fn pair(v: &View, l: &LinkRow) -> String {
    pair_w(v, l, 24)
}

/// Columns right of the pair, separators and the marker included.
const REST: usize = 53;

/// The narrowest the table is drawn with every column: a 9-character pair,
/// the rest, and the borders.
pub const MIN_WIDTH: u16 = (REST + 9 + 2) as u16;

pub fn state(l: &LinkRow) -> &'static str {
    match l.state {
        LinkState::Up => "up",
        LinkState::Down => "DOWN",
        LinkState::Unknown => "?",
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let focused = app.focus == Focus::Links && app.overlay == Overlay::None;
    let title = format!(
        "links ({}, sort {}{})",
        v.links.len(),
        app.sort.label(),
        if app.sort_desc { " desc" } else { "" }
    );
    let pw = (area.width.saturating_sub(2) as usize)
        .saturating_sub(REST)
        .clamp(9, 24);
    let head = format!(
        "{:<pw$} {:>1} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4} {:<4} {:>9}",
        "ping>resp", "l", "p50ms", "p99ms", "maxms", "loss>", "loss<", "pmtu", "stat", "age/tmo"
    );
    let mut lines = vec![Line::from(Span::styled(head, t.title()))];
    let rows = area.height.saturating_sub(3) as usize;
    let order = app.sorted_links();
    let first = app.link_sel.saturating_sub(rows.saturating_sub(1));
    for (pos, &i) in order.iter().enumerate().skip(first).take(rows) {
        let Some(l) = v.links.get(i) else { continue };
        let lv = judge(l, &v.budgets);
        let rtt = |us: u64| {
            if l.rtt.samples == 0 {
                "-".to_string()
            } else {
                fmt_ms(us)
            }
        };
        let age = match l.last_pong_age_ms {
            Some(a) => format!("{a}/{}", v.budgets.ping_timeout_ms),
            None => "-".into(),
        };
        let text = format!(
            "{:<pw$} {:>1} {:>5} {:>5} {:>5} {:>5} {:>5} {:>4} {:<4} {:>9}{}",
            pair_w(v, l, pw),
            l.link,
            rtt(l.rtt.p50_us),
            rtt(l.rtt.p99_us),
            rtt(l.rtt.max_us),
            fmt_pct(l.loss_pct),
            fmt_pct(l.loss_rev_pct),
            l.pmtu.map_or("-".into(), |m| m.to_string()),
            state(l),
            age,
            if lv >= Level::Warn { lv.marker() } else { "" }
        );
        let mut style = t.level(lv);
        if pos == app.link_sel && focused {
            style = style.patch(t.selected());
        } else if pos == app.link_sel {
            style = style.add_modifier(ratatui::style::Modifier::UNDERLINED);
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    if v.links.is_empty() {
        lines.push(Line::from(Span::styled("no pings seen yet", t.dim())));
    }
    f.render_widget(Paragraph::new(lines).block(block(&title, focused, t)), area);
}
