//! Incidents pinned on top (open ones first, then the newest), then the
//! findings, newest first, coloured by severity.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, block, clock_ms};
use crate::tui::app::{App, Focus, Overlay};
use crate::tui::model::Severity;

pub fn sev_style(s: Severity, t: Theme) -> ratatui::style::Style {
    match s {
        Severity::Info => t.ok(),
        Severity::Warning => t.warn(),
        Severity::Critical => t.bad(),
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let focused = app.focus == Focus::Findings && app.overlay == Overlay::None;
    let n = v.findings.len();
    let crit = v
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    let warn = v
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let title = format!(
        "incidents {}, findings ({n}: {crit} critical, {warn} warning) newest first",
        v.incidents.len()
    );
    let all_rows = area.height.saturating_sub(2) as usize;
    // Up to a third of the rows (at most 3) for the incidents: open ones
    // first, then the newest.
    let mut incidents: Vec<_> = v.incidents.iter().collect();
    incidents.sort_by_key(|i| (i.end.is_some(), std::cmp::Reverse(i.start)));
    let pinned = incidents.len().min((all_rows / 3).min(3));
    let mut lines = Vec::with_capacity(all_rows);
    for i in incidents.iter().take(pinned) {
        let end = match i.end {
            Some(e) if e == i.start => String::new(),
            Some(e) => format!("-{}", clock_ms(e)),
            None => "-now".into(),
        };
        let text = format!(
            "{} {:<4} {end:<13} INCIDENT: {}",
            clock_ms(i.start),
            i.severity.label(),
            i.cause
        );
        lines.push(Line::from(Span::styled(
            text,
            sev_style(i.severity, t).add_modifier(ratatui::style::Modifier::BOLD),
        )));
    }
    let rows = all_rows - pinned;
    let first = app.finding_sel.saturating_sub(rows.saturating_sub(1));
    for (pos, fd) in v.findings.iter().rev().enumerate().skip(first).take(rows) {
        let end = match fd.end {
            Some(e) if e == fd.start => String::new(),
            Some(e) => format!("-{}", clock_ms(e)),
            None => "-now".into(),
        };
        // Where, unless the sentence already names it.
        let mut at = String::new();
        if let (Some(s), Some(d)) = (fd.src, fd.dst) {
            let (s, d) = (v.node_name(s), v.node_name(d));
            if !fd.text.contains(&format!("{s} -> {d}")) {
                at = format!("{s}>{d}");
                if let Some(l) = fd.link {
                    at.push_str(&format!(" l{l}"));
                }
                at.push_str(": ");
            }
        }
        let text = format!(
            "{} {:<4} {end:<13} {at}{}",
            clock_ms(fd.start),
            fd.severity.label(),
            fd.text
        );
        let mut style = sev_style(fd.severity, t);
        if pos == app.finding_sel && focused {
            style = style.patch(t.selected());
        }
        lines.push(Line::from(Span::styled(text, style)));
    }
    if n == 0 {
        lines.push(Line::from(Span::styled("no findings", t.ok())));
    }
    f.render_widget(Paragraph::new(lines).block(block(&title, focused, t)), area);
}
