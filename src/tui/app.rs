//! View state (what is selected, sorted, frozen, open) and the one key
//! handler both the real event loop and the snapshot tests go through.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::driver::Control;
use super::model::{LinkRow, View};

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
];

/// Applies one key to the view state.
pub fn handle_key(app: &mut App, key: KeyEvent) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
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
