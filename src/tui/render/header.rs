//! Header: source, capture time, replay state, counters, budgets, freeze marker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Level, Theme, clock_ms};
use crate::tui::app::App;
use crate::tui::model::{Severity, SourceKind};

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: Theme) {
    let v = &app.view;
    let h = &v.header;
    let b = &v.budgets;
    let kind = match h.kind {
        SourceKind::Replay => "replay",
        SourceKind::Stdin => "stdin",
        SourceKind::Live => "live",
    };
    let mut l1 = vec![Span::styled(
        " corowire ",
        Style::new().add_modifier(Modifier::REVERSED),
    )];
    // Status markers first so a narrow screen never cuts them off.
    if app.frozen {
        l1.push(Span::styled(
            " FROZEN ",
            t.bad().add_modifier(Modifier::REVERSED),
        ));
    }
    if h.paused {
        l1.push(Span::styled(
            " PAUSED",
            t.warn().add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(s) = app.stale_secs {
        l1.push(Span::styled(
            format!(" NO PACKETS FOR {s} s"),
            t.bad().add_modifier(Modifier::REVERSED),
        ));
    }
    if h.finished {
        l1.push(Span::styled(" END", t.title()));
    }
    if h.kind != SourceKind::Live {
        l1.push(Span::raw(format!(" speed {}", h.speed.label())));
    }
    l1.push(Span::raw(format!(" | {kind} {} ", h.source)));
    if let Some(now) = h.now_ts {
        let date = format!(
            "{} UTC",
            crate::timefmt::datetime(now, crate::timefmt::Precision::Micro)
        );
        let day = date.get(..10).unwrap_or("");
        let rel = h
            .first_ts
            .map_or(0.0, |f0| now.saturating_sub(f0) as f64 / 1e9);
        l1.push(Span::raw(format!(
            "| {day} {} UTC +{rel:.1}s",
            clock_ms(now)
        )));
    } else {
        l1.push(Span::styled("| waiting for packets", t.dim()));
    }
    if let Some(e) = &h.error {
        l1.push(Span::styled(format!(" | {e}"), t.bad()));
    }
    let drops = h.dropped_kernel + h.dropped_if;
    let mut l2 = vec![Span::raw(format!(
        " pkts {} corosync {} | {} ",
        h.frames, h.corosync_packets, h.decode_status
    ))];
    if h.malformed > 0 {
        l2.push(Span::styled(
            format!("malformed {} ", h.malformed),
            t.warn(),
        ));
    }
    // libpcap's counters: what the kernel filter passed, what it dropped
    // for a full buffer, what the interface dropped. Files and stdin have none.
    if h.kernel_stats {
        let s = format!(
            "| kernel rcvd {} drop {} ifdrop {} ",
            h.received_kernel, h.dropped_kernel, h.dropped_if
        );
        l2.push(Span::styled(
            s,
            if drops > 0 { t.bad() } else { Style::new() },
        ));
    } else {
        l2.push(Span::styled("| drops n/a ", t.dim()));
    }
    if h.capture_errors > 0 {
        l2.push(Span::styled(
            format!("| errors {} ", h.capture_errors),
            t.bad(),
        ));
    }
    l2.push(Span::styled(
        format!(
            "| token {}/{} cons {} ping {}/{} x{} ms ({})",
            b.token_ms,
            b.token_warning_ms,
            b.consensus_ms,
            b.ping_interval_ms,
            b.ping_timeout_ms,
            b.pong_count,
            b.origin
        ),
        t.dim(),
    ));
    f.render_widget(
        Paragraph::new(vec![Line::from(l1), Line::from(l2), banner(app, t)]),
        area,
    );
}

/// The health banner: the verdict so far; per node the time since the token
/// was last seen on its way to it, against the token timeout (growing while
/// the token stays away, red past the timeout, yellow past the warning);
/// the worst incident's cause (open ones first), else the worst open
/// finding (else the latest of the worst ones).
fn banner(app: &App, t: Theme) -> Line<'static> {
    let v = &app.view;
    let worst = v.findings.iter().map(|f| f.severity).max();
    let open_worst = v
        .findings
        .iter()
        .filter(|f| f.end.is_none())
        .max_by_key(|f| (f.severity, f.start));
    let (label, style) = match worst {
        Some(Severity::Critical) => (" CRITICAL ", t.bad().add_modifier(Modifier::REVERSED)),
        Some(Severity::Warning) => (" WARNING ", t.warn().add_modifier(Modifier::REVERSED)),
        _ if v.header.corosync_packets == 0 => (" NO COROSYNC YET ", t.dim()),
        _ => (" OK ", t.ok().add_modifier(Modifier::REVERSED)),
    };
    let mut l = vec![Span::styled(label, style)];
    let b = &v.budgets;
    if let (Some(now), false) = (v.header.now_ts, v.totem.last_token.is_empty()) {
        l.push(Span::raw(" token age"));
        for &(node, at) in &v.totem.last_token {
            let ms = u64::try_from(now.saturating_sub(at) / 1_000_000).unwrap_or(0);
            let level = if ms > u64::from(b.token_ms) {
                Level::Bad
            } else if ms > u64::from(b.token_warning_ms) {
                Level::Warn
            } else {
                Level::Ok
            };
            l.push(Span::styled(
                format!(
                    " {}:{:.1}s{}",
                    v.node_name(node),
                    ms as f64 / 1000.0,
                    level.marker().trim()
                ),
                t.level(level),
            ));
        }
        l.push(Span::styled(
            format!(" of {:.2}s", f64::from(b.token_ms) / 1000.0),
            t.dim(),
        ));
    }
    // The story: the worst incident (open ones first), else a finding.
    let inc = v
        .incidents
        .iter()
        .max_by_key(|i| (i.end.is_none(), i.severity, std::cmp::Reverse(i.start)));
    if let Some(i) = inc {
        let state = if i.end.is_none() { "open" } else { "ended" };
        l.push(Span::raw(format!(
            " | {} since {} ({state})",
            i.cause,
            clock_ms(i.start)
        )));
        return Line::from(l);
    }
    let shown = open_worst.or_else(|| v.findings.iter().rfind(|f| Some(f.severity) == worst));
    if let Some(f) = shown.filter(|f| f.severity > Severity::Info) {
        let open = if f.end.is_none() { "open: " } else { "" };
        l.push(Span::raw(format!(" | {open}{}", f.text)));
    }
    Line::from(l)
}
