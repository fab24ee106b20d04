//! The UI event loop: one select over terminal events, a slow tick, new
//! views from the producer and a shutdown signal. It draws only after
//! something changed, so an idle screen costs next to nothing.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::watch;

use super::app::{Action, App, handle_key};
use super::driver::Control;
use super::model::View;
use super::render;

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `q` or Ctrl-C.
    Quit,
    /// The terminal's event stream ended.
    EventsClosed,
    /// SIGTERM / SIGINT / SIGHUP.
    Signal,
}

/// Test hook, not for users: with `COROWIRE_TEST_PANIC=1` in the
/// environment the UI loop panics at its second heartbeat (about a second
/// after start, in raw mode on the alternate screen), so an end-to-end test
/// can check that a panic leaves the terminal usable (`tests/tui_tmux.rs`).
pub const TEST_PANIC_ENV: &str = "COROWIRE_TEST_PANIC";

/// Draws one frame of the current state.
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &App) -> io::Result<()> {
    terminal
        .draw(|f| render::draw(f, app))
        .map(|_| ())
        .map_err(|e| io::Error::other(e.to_string()))
}

/// Runs until quit. Generic over the backend so tests can use `TestBackend`.
pub async fn run_main_loop<B, E, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: E,
    mut views: watch::Receiver<Arc<View>>,
    ctl: Sender<Control>,
    shutdown: S,
) -> io::Result<Exit>
where
    B: Backend,
    E: Stream<Item = io::Result<Event>> + Unpin,
    S: Future<Output = ()>,
{
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut producer_alive = true;
    let mut last_view = tokio::time::Instant::now();
    let test_panic = std::env::var_os(TEST_PANIC_ENV).is_some_and(|v| v == "1");
    let mut ticks = 0u32;
    app.set_view(views.borrow_and_update().clone());
    draw(terminal, app)?;
    loop {
        let redraw = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) => match handle_key(app, k) {
                    Action::Quit => return Ok(Exit::Quit),
                    Action::None => false,
                    Action::Redraw => true,
                    Action::Control(c) => {
                        let _ = ctl.send(c);
                        true
                    }
                },
                Some(Ok(Event::Resize(_, _))) => {
                    terminal
                        .autoresize()
                        .map_err(|e| io::Error::other(e.to_string()))?;
                    true
                }
                Some(Ok(_)) => false,
                Some(Err(e)) => return Err(e),
                None => return Ok(Exit::EventsClosed),
            },
            changed = views.changed(), if producer_alive => match changed {
                Ok(()) => {
                    last_view = tokio::time::Instant::now();
                    let stale = app.stale_secs.take().is_some();
                    let v = views.borrow_and_update().clone();
                    app.set_view(v) || stale
                }
                Err(_) => {
                    producer_alive = false;
                    false
                }
            },
            _ = &mut shutdown => return Ok(Exit::Signal),
            // A slow heartbeat: on a live source, say so when nothing came
            // for a while (libpcap may block while an interface is silent,
            // so the producer cannot move its clock on by itself).
            _ = tick.tick() => {
                ticks = ticks.saturating_add(1);
                if test_panic && ticks >= 2 {
                    panic!("{TEST_PANIC_ENV}=1: deliberate panic in the UI loop");
                }
                let live = app.view.header.kind == super::model::SourceKind::Live;
                let idle = last_view.elapsed().as_secs();
                if live && producer_alive && idle >= 3 {
                    app.stale_secs = Some(idle);
                    true
                } else {
                    false
                }
            }
        };
        if redraw {
            draw(terminal, app)?;
        }
    }
}

/// Completes on SIGTERM, SIGINT or SIGHUP.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
