//! View state (what is selected, sorted, frozen, open) and the one key
//! handler both the real event loop and the snapshot tests go through.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::driver::Control;
use super::model::{LinkRow, Ts, View};

/// Which list the cursor keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Links,
    Findings,
}

/// What covers the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    /// The selected link in detail.
    Detail,
    /// The selected finding's evidence.
    Evidence,
}

/// Link table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Pair,
    P50,
    P99,
    Max,
    Loss,
    Age,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Pair,
        SortKey::P50,
        SortKey::P99,
        SortKey::Max,
        SortKey::Loss,
        SortKey::Age,
    ];
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Pair => "pair",
            SortKey::P50 => "p50",
            SortKey::P99 => "p99",
            SortKey::Max => "max",
            SortKey::Loss => "loss",
            SortKey::Age => "age",
        }
    }
    fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

/// What the loop should do after a key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    None,
    Redraw,
    Quit,
    /// Redraw and tell the producer.
    Control(Control),
}

/// The UI's own state; the data itself is the current [`View`].
#[derive(Debug, Clone)]
pub struct App {
    pub view: Arc<View>,
    pub focus: Focus,
    pub overlay: Overlay,
    /// Index into the sorted link table.
    pub link_sel: usize,
    /// Index into the findings, newest first.
    pub finding_sel: usize,
    pub sort: SortKey,
    pub sort_desc: bool,
    /// Incoming views are ignored while frozen.
    pub frozen: bool,
    /// Which link's grid shows when only one fits.
    pub grid_link: usize,
    /// Replay keys (pause, step, seek, speed) apply.
    pub replay: bool,
    /// `NO_COLOR`: no colours, markers only.
    pub no_color: bool,
    /// Live only: seconds (wall clock) since the producer last sent a view,
    /// set by the event loop's tick when it exceeds a few seconds.
    pub stale_secs: Option<u64>,
    /// The "go to time" prompt while it is open: what was typed so far.
    pub goto: Option<String>,
    /// Why the last entry in the prompt was refused.
    pub goto_error: Option<String>,
}

impl App {
    pub fn new(replay: bool, no_color: bool) -> App {
        App {
            view: Arc::new(View::default()),
            focus: Focus::Links,
            overlay: Overlay::None,
            link_sel: 0,
            finding_sel: 0,
            sort: SortKey::Pair,
            sort_desc: false,
            frozen: false,
            grid_link: 0,
            replay,
            no_color,
            stale_secs: None,
            goto: None,
            goto_error: None,
        }
    }

    /// Takes a new view unless frozen; true when the screen must redraw.
    pub fn set_view(&mut self, v: Arc<View>) -> bool {
        if self.frozen {
            return false;
        }
        self.view = v;
        self.clamp();
        true
    }

    fn clamp(&mut self) {
        let n = self.view.links.len();
        self.link_sel = self.link_sel.min(n.saturating_sub(1));
        let m = self.view.findings.len();
        self.finding_sel = self.finding_sel.min(m.saturating_sub(1));
    }

    /// Link rows in table order (indices into `view.links`).
    pub fn sorted_links(&self) -> Vec<usize> {
        let links = &self.view.links;
        let mut idx: Vec<usize> = (0..links.len()).collect();
        let key = |l: &LinkRow| -> (u64, (u32, u32, u8)) {
            let v = match self.sort {
                SortKey::Pair => 0,
                SortKey::P50 => l.rtt.p50_us,
                SortKey::P99 => l.rtt.p99_us,
                SortKey::Max => l.rtt.max_us,
                SortKey::Loss => (l.loss_pct.unwrap_or(0.0) * 1000.0) as u64,
                SortKey::Age => l.last_pong_age_ms.unwrap_or(u64::MAX),
            };
            (v, l.key())
        };
        idx.sort_by(|&a, &b| key(&links[a]).cmp(&key(&links[b])));
        if self.sort_desc {
            idx.reverse();
        }
        idx
    }

    /// The selected link row.
    pub fn selected_link(&self) -> Option<&LinkRow> {
        self.sorted_links()
            .get(self.link_sel)
            .and_then(|&i| self.view.links.get(i))
    }

    /// The selected finding (newest first order).
    pub fn selected_finding(&self) -> Option<&super::model::Finding> {
        let f = &self.view.findings;
        f.len()
            .checked_sub(1 + self.finding_sel)
            .and_then(|i| f.get(i))
    }

    fn move_sel(&mut self, delta: i64) {
        let (sel, n) = match self.focus {
            Focus::Links => (&mut self.link_sel, self.view.links.len()),
            Focus::Findings => (&mut self.finding_sel, self.view.findings.len()),
        };
        if n == 0 {
            *sel = 0;
            return;
        }
        let v = (*sel as i64 + delta).clamp(0, n as i64 - 1);
        *sel = v as usize;
    }
}

/// Every key, for the help overlay: (keys, what they do).
pub const KEYS: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("?", "this help (Esc closes)"),
    ("f", "freeze / unfreeze the display"),
    ("Tab", "focus links <-> findings"),
    ("Up/Down j/k", "move the selection"),
    ("PgUp/PgDn Home/End", "move by a page / to the ends"),
    ("Enter", "link detail / finding evidence"),
    ("Esc", "close detail, evidence or help"),
    ("s  S", "sort links by next column / reverse"),
    ("l", "next link in the grid"),
    ("Space", "pause / resume the replay"),
    (".", "step 1 s of capture time (pauses)"),
    ("n", "play to the next finding, pause"),
    ("]  }", "seek forward 10 s / 60 s"),
    ("[  {", "seek back 10 s / 60 s (files, not stdin)"),
    ("+  -", "replay faster / slower"),
    ("t", "go to HH:MM:SS[.mmm] (UTC) or +SECONDS"),
];

const NS: i64 = 1_000_000_000;
const DAY_NS: i64 = 86_400 * NS;

/// Longest entry the prompt takes.
const GOTO_MAX: usize = 24;

/// Parses a "go to time" entry into capture time (ns since the epoch):
/// `+SECONDS` (fractions allowed) counts from the capture's first packet;
/// `HH:MM:SS[.fff]` or `HH:MM` is a UTC time of day, the first one at or
/// after the start of the capture's first second (a capture crossing
/// midnight reaches the next day's).
pub fn parse_goto(s: &str, first_ts: Option<Ts>) -> Result<Ts, String> {
    let first = first_ts.ok_or("no packet yet: nothing to go to")?;
    let t = s.trim();
    if let Some(rel) = t.strip_prefix('+') {
        let secs: f64 = rel
            .parse()
            .map_err(|_| format!("'{t}': +SECONDS, e.g. +90 or +12.5"))?;
        if !(secs.is_finite() && (0.0..1e7).contains(&secs)) {
            return Err(format!("'{t}': out of range"));
        }
        return Ok(first.saturating_add((secs * 1e9) as i64));
    }
    let bad = || format!("'{t}': HH:MM:SS[.mmm] (UTC) or +SECONDS");
    let mut parts = t.split(':');
    let mut field = |max: u32| -> Result<Option<u32>, String> {
        match parts.next() {
            None => Ok(None),
            Some(p) if !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u32>()
                .ok()
                .filter(|v| *v <= max)
                .map(Some)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    };
    let h = field(23)?.ok_or_else(bad)?;
    let m = field(59)?.ok_or_else(bad)?;
    // Seconds may carry a fraction: split it off first.
    let rest = parts.next();
    if parts.next().is_some() {
        return Err(bad());
    }
    let (sec, frac_ns) = match rest {
        None => (0, 0),
        Some(r) => {
            let (whole, frac) = r.split_once('.').unwrap_or((r, ""));
            if whole.is_empty()
                || whole.len() > 2
                || !whole.bytes().all(|b| b.is_ascii_digit())
                || frac.len() > 9
                || !frac.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            let sec: i64 = whole.parse().map_err(|_| bad())?;
            if sec > 59 {
                return Err(bad());
            }
            let mut ns: i64 = 0;
            for (i, b) in frac.bytes().enumerate() {
                ns += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
            }
            (sec, ns)
        }
    };
    let tod = (i64::from(h) * 3600 + i64::from(m) * 60 + sec) * NS + frac_ns;
    let day = first.div_euclid(DAY_NS) * DAY_NS;
    let mut target = day.saturating_add(tod);
    // Before the capture's first second: the next day's (midnight crossed).
    if target < first - first.rem_euclid(NS) {
        target = target.saturating_add(DAY_NS);
    }
    Ok(target)
}

/// Keys while the "go to time" prompt is open.
fn goto_key(app: &mut App, key: KeyEvent) -> Action {
    let Some(buf) = app.goto.as_mut() else {
        return Action::None;
    };
    match key.code {
        KeyCode::Esc => {
            app.goto = None;
            app.goto_error = None;
        }
        KeyCode::Enter => match parse_goto(buf, app.view.header.first_ts) {
            Ok(ts) => {
                app.goto = None;
                app.goto_error = None;
                return Action::Control(Control::SeekTo(ts));
            }
            Err(e) => app.goto_error = Some(e),
        },
        KeyCode::Backspace => {
            buf.pop();
            app.goto_error = None;
        }
        KeyCode::Char(c)
            if (c.is_ascii_digit() || matches!(c, ':' | '.' | '+')) && buf.len() < GOTO_MAX =>
        {
            buf.push(c);
            app.goto_error = None;
        }
        _ => return Action::None,
    }
    Action::Redraw
}

/// Applies one key to the view state.
pub fn handle_key(app: &mut App, key: KeyEvent) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if app.goto.is_some() {
        if ctrl && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        return goto_key(app, key);
    }
    match key.code {
        KeyCode::Char('c') if ctrl => return Action::Quit,
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Esc => {
            if app.overlay == Overlay::None {
                return Action::None;
            }
            app.overlay = Overlay::None;
            return Action::Redraw;
        }
        KeyCode::Char('?') | KeyCode::F(1) => {
            app.overlay = if app.overlay == Overlay::Help {
                Overlay::None
            } else {
                Overlay::Help
            };
            return Action::Redraw;
        }
        _ => {}
    }
    // Keys that work under any overlay.
    match key.code {
        KeyCode::Char('f') => {
            app.frozen = !app.frozen;
            return Action::Redraw;
        }
        KeyCode::Char(' ') if app.replay => return Action::Control(Control::TogglePause),
        KeyCode::Char('.') if app.replay => return Action::Control(Control::Step),
        KeyCode::Char('n') if app.replay => return Action::Control(Control::NextFinding),
        KeyCode::Char(']') if app.replay => return Action::Control(Control::Seek(10)),
        KeyCode::Char('}') if app.replay => return Action::Control(Control::Seek(60)),
        KeyCode::Char('[') if app.replay => return Action::Control(Control::Seek(-10)),
        KeyCode::Char('{') if app.replay => return Action::Control(Control::Seek(-60)),
        KeyCode::Char('+') | KeyCode::Char('=') if app.replay => {
            return Action::Control(Control::Faster);
        }
        KeyCode::Char('-') if app.replay => return Action::Control(Control::Slower),
        KeyCode::Char('t') if app.replay => {
            app.goto = Some(String::new());
            app.goto_error = None;
            return Action::Redraw;
        }
        _ => {}
    }
    if app.overlay == Overlay::Help {
        return Action::None;
    }
    match key.code {
        KeyCode::Tab | KeyCode::BackTab => {
            if app.overlay == Overlay::None {
                app.focus = match app.focus {
                    Focus::Links => Focus::Findings,
                    Focus::Findings => Focus::Links,
                };
            }
        }
        KeyCode::Up | KeyCode::Char('k') => app.move_sel(-1),
        KeyCode::Down | KeyCode::Char('j') => app.move_sel(1),
        KeyCode::PageUp => app.move_sel(-10),
        KeyCode::PageDown => app.move_sel(10),
        KeyCode::Home | KeyCode::Char('g') => app.move_sel(i64::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => app.move_sel(i64::MAX / 2),
        KeyCode::Enter => {
            app.overlay = match (app.overlay, app.focus) {
                (Overlay::None, Focus::Links) => Overlay::Detail,
                (Overlay::None, Focus::Findings) => Overlay::Evidence,
                _ => Overlay::None,
            };
        }
        KeyCode::Char('s') => app.sort = app.sort.next(),
        KeyCode::Char('S') => app.sort_desc = !app.sort_desc,
        KeyCode::Char('l') => {
            let n = app.view.link_ids().len().max(1);
            app.grid_link = (app.grid_link + 1) % n;
        }
        _ => return Action::None,
    }
    Action::Redraw
}
