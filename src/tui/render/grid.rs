//! Node × node grid per knet link: p99 RTT of pinger (row) → responder
//! (column), coloured against the budgets; `DOWN` when knet would say so.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Level, Theme, block, fmt_ms, judge};
use crate::tui::app::App;
use crate::tui::model::LinkState;

const LABEL: u16 = 7;
const CELL: u16 = 7;

fn nodes(app: &App) -> Vec<u32> {
    let mut n: Vec<u32> = app.view.nodes.iter().map(|n| n.id).collect();
    if n.is_empty() {
        n = app.view.links.iter().flat_map(|l| [l.src, l.dst]).collect();
        n.sort_unstable();
        n.dedup();
    }
    n.truncate(8);
    n
}

fn one_width(app: &App) -> u16 {
    LABEL + CELL * nodes(app).len().max(1) as u16 + 2
}

/// Rows a grid needs.
pub fn height(app: &App) -> u16 {
    nodes(app).len().max(1) as u16 + 3
}

/// Width for the grids: all links side by side when the table still gets 70 columns.
pub fn width(app: &App, avail: u16) -> u16 {
    let one = one_width(app);
    let n = app.view.link_ids().len().max(1) as u16;
    if one * n + 68 <= avail { one * n } else { one }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let ids = app.view.link_ids();
    if ids.is_empty() {
        f.render_widget(
            Paragraph::new("no links yet").block(block("grid", false, t)),
            area,
        );
        return;
    }
    let one = one_width(app);
    if area.width >= one * ids.len() as u16 {
        let areas = Layout::horizontal(ids.iter().map(|_| Constraint::Length(one))).split(area);
        for (i, id) in ids.iter().enumerate() {
            one_grid(f, areas[i], app, *id, false, t);
        }
    } else {
        let id = ids[app.grid_link % ids.len()];
        one_grid(f, area, app, id, ids.len() > 1, t);
    }
}

fn one_grid(f: &mut Frame, area: Rect, app: &App, link: u8, hint: bool, t: Theme) {
    let v = &app.view;
    let ns = nodes(app);
    let short = |id: u32| {
        let mut s = v.node_name(id);
        s.truncate(6);
        s
    };
    let mut lines = Vec::with_capacity(ns.len() + 1);
    let mut head = vec![Span::styled(format!("{:<7}", "p99ms"), t.dim())];
    for &d in &ns {
        head.push(Span::styled(format!("{:>6} ", short(d)), t.title()));
    }
    lines.push(Line::from(head));
    for &s in &ns {
        let mut row = vec![Span::styled(format!("{:<6}>", short(s)), t.title())];
        for &d in &ns {
            if s == d {
                row.push(Span::styled(format!("{:>6} ", "."), t.dim()));
                continue;
            }
            match v
                .links
                .iter()
                .find(|l| l.src == s && l.dst == d && l.link == link)
            {
                None => row.push(Span::styled(format!("{:>6} ", "-"), t.dim())),
                Some(l) => {
                    let lv = judge(l, &v.budgets);
                    let txt = if l.state == LinkState::Down {
                        "DOWN".to_string()
                    } else if l.rtt.samples == 0 {
                        "?".to_string()
                    } else {
                        fmt_ms(l.rtt.p99_us)
                    };
                    let m = if lv >= Level::Warn { lv.marker() } else { " " };
                    row.push(Span::styled(format!("{txt:>6}{m}"), t.level(lv)));
                }
            }
        }
        lines.push(Line::from(row));
    }
    let title = if hint {
        format!("link {link} (l)")
    } else {
        format!("link {link}")
    };
    f.render_widget(Paragraph::new(lines).block(block(&title, false, t)), area);
}
