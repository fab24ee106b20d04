//! The terminal UI: `corowire tui FILE...` replays captures, `corowire
//! live` watches an interface or a pcap stream on stdin.
//!
//! Shape: a producer thread runs the session ([`driver`]: capture → decode
//! → engine, paced) and publishes [`model::View`]s of its snapshot
//! ([`adapter`]) on a `tokio::sync::watch` channel; the UI thread ([`run`])
//! selects over terminal events, a tick, those views and termination
//! signals, keeps its own view state ([`app`]) and draws ([`render`]) only
//! when something changed. Tests drive the same [`app::handle_key`] and
//! [`render::draw`] on ratatui's `TestBackend`.

pub mod adapter;
pub mod app;
pub mod driver;
pub mod model;
pub mod render;
pub mod run;
pub mod term;

use std::io;
use std::sync::Arc;
use std::sync::mpsc;

use crossterm::event::EventStream;
use tokio::sync::watch;

use app::App;
use driver::{Pipeline, Reopen};
use model::{Speed, View};
use run::{Exit, run_main_loop, shutdown_signal};
use term::TermGuard;

/// `NO_COLOR` set to anything non-empty turns colours off (no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the UI over a pipeline until the user quits or a signal arrives.
/// `replay`: the input is files (pause, seek); `reopen` enables backward
/// seeks.
pub fn interactive(
    p: Pipeline,
    speed: Speed,
    replay: bool,
    reopen: Option<Reopen>,
) -> io::Result<Exit> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (tx, rx) = watch::channel(Arc::new(View::default()));
    let (ctl_tx, ctl_rx) = mpsc::channel();
    // Detached: a producer blocked on stdin must not hold the exit.
    std::thread::Builder::new()
        .name("corowire-producer".into())
        .spawn(move || driver::run_interactive(p, speed, tx, ctl_rx, reopen))?;
    let mut app = App::new(replay, no_color());
    rt.block_on(async {
        let mut guard = TermGuard::new()?;
        let shutdown = shutdown_signal();
        let r = run_main_loop(
            &mut guard.terminal,
            &mut app,
            EventStream::new(),
            rx,
            ctl_tx,
            shutdown,
        )
        .await;
        drop(guard);
        r
    })
}
