#![no_main]
//! The terminal UI drawn from the snapshot of an arbitrary frame sequence
//! (the `analysis` target's input): main and detail view, a roomy and a
//! cramped terminal. No panic.
//!
//! Input: see `shared/frames.rs`.

#[path = "shared/frames.rs"]
mod frames;

use corowire::tui::app::{App, handle_key};
use corowire::tui::model::View;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fuzz_target!(|data: &[u8]| {
    let Some(s) = frames::analyse(data) else {
        return;
    };
    let mut view = View::default();
    corowire::tui::adapter::fill(&mut view, &s);
    let mut app = App::new(true, true);
    app.set_view(std::sync::Arc::new(view));
    // The main view, then the first link's detail view.
    for key in [None, Some(KeyCode::Down), Some(KeyCode::Enter)] {
        if let Some(k) = key {
            handle_key(&mut app, KeyEvent::new(k, KeyModifiers::NONE));
        }
        for (w, h) in [(120, 40), (30, 8)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            corowire::tui::run::draw(&mut t, &app).expect("draw");
        }
    }
});
