//! Totem: token rotation, retransmits and the membership timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, block, clock_ms, detail::spark_line, fmt_ms};
use crate::tui::app::App;

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let tv = &v.totem;
    let b = &v.budgets;
    let inner_w = area.width.saturating_sub(2) as usize;
    let opt = |x: Option<u64>| x.map_or("-".to_string(), fmt_ms);
    let token_us = u64::from(b.token_ms) * 1000;
    let warn_us = u64::from(b.token_warning_ms) * 1000;
    let rot_style = match tv.rotation_max_us {
        Some(m) if m > token_us => t.bad(),
        Some(m) if m > warn_us => t.warn(),
        _ => t.ok(),
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw("rot p50/99/max ms "),
            Span::styled(
                format!(
                    "{}/{}/{}",
                    opt(tv.rotation_p50_us),
                    opt(tv.rotation_p99_us),
                    opt(tv.rotation_max_us)
                ),
                rot_style,
            ),
        ]),
        Line::from(vec![
            Span::raw("token retransmits "),
            Span::styled(
                tv.token_retransmits.to_string(),
                if tv.token_retransmits > 0 {
                    t.warn()
                } else {
                    t.ok()
                },
            ),
            Span::raw(format!("  rtr max {} total {}", tv.rtr_max, tv.rtr_total)),
        ]),
    ];
    // The latest rotations, one column each, against the warning budget:
    // a full-height bar is a rotation at token_warning or beyond.
    let take = inner_w.min(tv.rotation_us.len());
    let pts: Vec<Option<u64>> = tv.rotation_us[tv.rotation_us.len() - take..]
        .iter()
        .map(|&(_, us)| Some(us.min(warn_us.max(1))))
        .collect();
    if pts.is_empty() {
        lines.push(Line::from(Span::styled("no token rotation yet", t.dim())));
    } else {
        let worst = pts.iter().flatten().copied().max().unwrap_or(0);
        lines.push(Line::from(Span::styled(
            spark_line(&pts, warn_us.max(1)),
            if worst >= warn_us { t.warn() } else { t.dim() },
        )));
    }
    let room = area.height.saturating_sub(2 + lines.len() as u16) as usize;
    let n = tv.membership.len();
    for m in tv.membership.iter().skip(n.saturating_sub(room)) {
        let members = if m.members.is_empty() {
            "(members not seen)".to_string()
        } else {
            m.members
                .iter()
                .map(|&id| v.node_name(id))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut s = vec![Span::raw(format!(
            "{} ring {:<5} [{members}]",
            clock_ms(m.ts),
            m.ring_id
        ))];
        if !m.left.is_empty() {
            s.push(Span::styled(
                format!(
                    " -{}",
                    m.left
                        .iter()
                        .map(|&id| v.node_name(id))
                        .collect::<Vec<_>>()
                        .join(" -")
                ),
                t.bad(),
            ));
        }
        if !m.joined.is_empty() {
            s.push(Span::styled(
                format!(
                    " +{}",
                    m.joined
                        .iter()
                        .map(|&id| v.node_name(id))
                        .collect::<Vec<_>>()
                        .join(" +")
                ),
                t.ok(),
            ));
        }
        if m.attempt {
            s.push(Span::styled(" attempt, never operational", t.dim()));
        }
        lines.push(Line::from(s));
    }
    if n == 0 {
        lines.push(Line::from(Span::styled("no ring seen yet", t.dim())));
    }
    f.render_widget(
        Paragraph::new(lines).block(block("totem / membership", false, t)),
        area,
    );
}
