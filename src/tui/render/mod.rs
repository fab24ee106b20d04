//! Drawing: one file per screen region. Everything here is a pure function
//! of the [`App`] (view state + current [`View`]); no clock, no I/O.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

use super::app::{App, Overlay};
use super::model::{Budgets, LinkRow, LinkState, Ts};

mod detail;
mod findings;
mod grid;
mod header;
mod help;
mod links;
mod totem;

/// The smallest screen the layout is designed for.
pub const MIN_WIDTH: u16 = 100;
pub const MIN_HEIGHT: u16 = 30;

/// Colours, or none under `NO_COLOR` (markers carry the meaning then).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn level(self, l: Level) -> Style {
        match l {
            Level::Unknown => self.dim(),
            Level::Ok => self.ok(),
            Level::Warn => self.warn(),
            Level::Bad => self.bad(),
        }
    }
}

/// How a link stands against the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Unknown,
    Ok,
    Warn,
    Bad,
}

impl Level {
    /// Marker appended where colour may be missing.
    pub fn marker(self) -> &'static str {
        match self {
            Level::Bad => "!",
            Level::Warn => "*",
            _ => " ",
        }
    }
}

/// Judges a link against the budgets: bad when down, silent beyond the
/// ping timeout or p99 beyond it; warning when a pong is overdue, p99 above
/// a quarter of the timeout, any loss, or it was silent beyond the timeout
/// earlier.
pub fn judge(l: &LinkRow, b: &Budgets) -> Level {
    let timeout_ms = u64::from(b.ping_timeout_ms.max(1));
    let timeout_us = timeout_ms * 1000;
    let age = l.last_pong_age_ms.unwrap_or(0);
    if l.state == LinkState::Down || age > timeout_ms || l.rtt.p99_us > timeout_us {
        return Level::Bad;
    }
    if l.state == LinkState::Unknown && l.pongs == 0 {
        return Level::Unknown;
    }
    let interval_ms = u64::from(b.ping_interval_ms.max(1));
    if age > interval_ms * 3 / 2 + 200
        || l.rtt.p99_us > timeout_us / 4
        || l.loss_pct.unwrap_or(0.0) >= 2.0
        || l.max_silence_ms > timeout_ms
    {
        return Level::Warn;
    }
    Level::Ok
}

/// RTT in ms, 6 columns at most.
pub fn fmt_ms(us: u64) -> String {
    if us < 10_000 {
        format!("{:.3}", us as f64 / 1000.0)
    } else if us < 100_000 {
        format!("{:.2}", us as f64 / 1000.0)
    } else if us < 1_000_000 {
        format!("{:.1}", us as f64 / 1000.0)
    } else {
        format!("{}", us / 1000)
    }
}

pub fn fmt_pct(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(p) if p < 10.0 => format!("{p:.1}"),
        Some(p) => format!("{p:.0}"),
    }
}

/// `HH:MM:SS.mmm` UTC.
pub fn clock_ms(ts: Ts) -> String {
    crate::timefmt::clock(ts, crate::timefmt::Precision::Milli)
}

pub fn block(title: &str, focused: bool, t: Theme) -> Block<'static> {
    let b = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), t.title()));
    if focused {
        b.border_style(Style::new().add_modifier(Modifier::BOLD))
    } else {
        b.border_style(t.dim())
    }
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = Theme {
        color: !app.no_color,
    };
    let area = f.area();
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, head, app, t);
    help::footer(f, foot, app, t);
    match app.overlay {
        Overlay::Detail => detail::full(f, body, app, t),
        _ => main_body(f, body, app, t),
    }
    match app.overlay {
        Overlay::Help => help::help(f, body, t),
        Overlay::Evidence => help::evidence(f, body, app, t),
        _ => {}
    }
}

fn main_body(f: &mut Frame, body: Rect, app: &App, t: Theme) {
    let n_links = app.view.links.len() as u16;
    let h = body.height;
    let top = (n_links + 3).max(6).min(h * 2 / 5).max(grid::height(app));
    let mid = (h / 4).clamp(7, 14);
    let [top_r, mid_r, bot_r] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(mid),
        Constraint::Min(3),
    ])
    .areas(body);
    // The links table keeps every column (the link state above all); on a
    // narrow terminal the node × node grid gives way.
    let gw = grid::width(app, top_r.width);
    let gw = if top_r.width.saturating_sub(gw) < links::MIN_WIDTH {
        0
    } else {
        gw
    };
    let [g, l] = Layout::horizontal([Constraint::Length(gw), Constraint::Min(10)]).areas(top_r);
    if gw > 0 {
        grid::draw(f, g, app, t);
    }
    links::draw(f, l, app, t);
    let tw = (mid_r.width * 2 / 5).clamp(38, 70);
    let [d, tt] = Layout::horizontal([Constraint::Min(20), Constraint::Length(tw)]).areas(mid_r);
    detail::strip(f, d, app, t);
    totem::draw(f, tt, app, t);
    findings::draw(f, bot_r, app, t);
}
