//! Overlays (help, evidence) and the key-hint footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Theme, block, clock_ms, findings::sev_style};
use crate::tui::app::{App, Focus, KEYS};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn help(f: &mut Frame, area: Rect, t: Theme) {
    let r = centered(area, 64, KEYS.len() as u16 + 6);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>20}  "), t.title()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "cells: p99 RTT ms; ! = bad, * = warning against the budgets",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        "header: token/warning, consensus, ping interval/timeout,",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        "x pong_count (ms); kernel rcvd/drop/ifdrop (live only)",
        t.dim(),
    )));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block("keys", true, t)), r);
}

pub fn evidence(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let Some(fd) = app.selected_finding() else {
        return;
    };
    let v = &app.view;
    let r = centered(
        area,
        area.width.saturating_sub(8).min(96),
        fd.evidence.len() as u16 + 8,
    );
    let end = fd.end.map_or("ongoing".into(), clock_ms);
    let mut where_ = String::new();
    if let (Some(s), Some(d)) = (fd.src, fd.dst) {
        where_ = format!("  {} -> {}", v.node_name(s), v.node_name(d));
    }
    if let Some(l) = fd.link {
        where_.push_str(&format!(" link {l}"));
    }
    let mut lines = vec![
        Line::from(Span::styled(fd.text.clone(), sev_style(fd.severity, t))),
        Line::from(format!(
            "{} {}  {} - {end}{where_}",
            fd.severity.label(),
            fd.kind,
            clock_ms(fd.start)
        )),
        Line::from(""),
    ];
    for e in &fd.evidence {
        lines.push(Line::from(format!("  {e}")));
    }
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block("evidence (Esc)", true, t)),
        r,
    );
}

pub fn footer(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    if let Some(buf) = &app.goto {
        let mut spans = vec![
            Span::styled(" go to (HH:MM:SS UTC or +SECONDS): ", t.title()),
            Span::raw(format!("{buf}_")),
        ];
        match &app.goto_error {
            Some(e) => spans.push(Span::styled(format!("  {e}"), t.bad())),
            None => spans.push(Span::styled("  Enter go, Esc cancel", t.dim())),
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let focus = match app.focus {
        Focus::Links => "links",
        Focus::Findings => "findings",
    };
    // Fits 100 columns with every replay key.
    let mut s = format!(" q quit ? help Tab:{focus} Enter open s sort f freeze");
    if app.replay {
        s.push_str(" | Space pause . step n next [ ] seek t time");
    }
    f.render_widget(Paragraph::new(Line::from(Span::styled(s, t.dim()))), area);
}
