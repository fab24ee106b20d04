//! The replay producer on its own thread, steered like the UI steers it:
//! pause, play to the next finding, step one second, seek ten seconds, and
//! it ends when the UI goes away.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use corowire::tui::driver::{Control, run_interactive};
use corowire::tui::model::{Speed, View};
use tokio::sync::watch;

mod common;

fn wait(rx: &watch::Receiver<Arc<View>>, what: &str, ok: impl Fn(&View) -> bool) -> Arc<View> {
    let t0 = Instant::now();
    loop {
        let v = rx.borrow().clone();
        if ok(&v) {
            return v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}: {:?}",
            v.header
        );
        sleep(Duration::from_millis(10));
    }
}

#[test]
fn pause_next_finding_step_seek() {
    let (p, reopen) = common::tui_pipeline(&[PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/membership-3n-node3-cut-rejoin.pcap")]);
    let (tx, rx) = watch::channel(Arc::new(View::default()));
    let (ctl, ctl_rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        run_interactive(p, Speed::Factor(1.0), tx, ctl_rx, Some(reopen))
    });

    // Recorded speed: the first publish comes before any packet.
    wait(&rx, "first view", |v| {
        v.header.source.contains("membership")
    });
    ctl.send(Control::TogglePause).unwrap();
    let v = wait(&rx, "pause", |v| v.header.paused);
    let paused_at = v.header.now_ts;
    sleep(Duration::from_millis(300));
    assert_eq!(rx.borrow().header.now_ts, paused_at, "moved while paused");

    // Next finding: plays at full speed to the first finding, then pauses.
    ctl.send(Control::NextFinding).unwrap();
    let v = wait(&rx, "first finding", |v| {
        !v.findings.is_empty() && v.header.paused
    });
    // The engine is asked for its findings every 64 frames.
    assert!(!v.findings.is_empty());
    let t1 = v.header.now_ts.expect("time");

    // Step: one second of capture time, paused again.
    ctl.send(Control::Step).unwrap();
    let v = wait(&rx, "step", |v| {
        v.header.now_ts.is_some_and(|t| t >= t1 + 1_000_000_000)
    });
    assert!(v.header.paused);
    let t2 = v.header.now_ts.unwrap();
    assert!(t2 < t1 + 2_000_000_000, "stepped too far: {}", t2 - t1);

    // Seek 10 s forward (stays paused).
    ctl.send(Control::Seek(10)).unwrap();
    let v = wait(&rx, "seek", |v| {
        v.header.now_ts.is_some_and(|t| t >= t2 + 10_000_000_000)
    });
    assert!(v.header.paused);

    // Resume at max speed: runs to the end.
    for _ in 0..20 {
        ctl.send(Control::Faster).unwrap();
    }
    ctl.send(Control::TogglePause).unwrap();
    let v = wait(&rx, "end", |v| v.header.finished);
    assert!(v.findings.len() >= 5);
    let end = v.header.now_ts.unwrap();

    // Back 30 s from the end, paused: the files are replayed up to there.
    ctl.send(Control::TogglePause).unwrap();
    wait(&rx, "pause at the end", |v| v.header.paused);
    ctl.send(Control::Seek(-30)).unwrap();
    let v = wait(&rx, "seek back", |v| {
        !v.header.finished && v.header.now_ts.is_some_and(|t| t >= end - 30_000_000_000)
    });
    assert!(v.header.now_ts.unwrap() < end - 29_000_000_000);
    assert!(v.header.paused);
    ctl.send(Control::TogglePause).unwrap();
    let v = wait(&rx, "end again", |v| v.header.finished);
    assert_eq!(v.header.now_ts, Some(end));

    drop(ctl);
    h.join().expect("producer ends when the UI goes away");
}

#[test]
fn go_to_a_time_forward_and_back() {
    let (p, reopen) = common::tui_pipeline(&[PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures/membership-3n-node3-cut-rejoin.pcap")]);
    let (tx, rx) = watch::channel(Arc::new(View::default()));
    let (ctl, ctl_rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        run_interactive(p, Speed::Factor(1.0), tx, ctl_rx, Some(reopen))
    });
    let v = wait(&rx, "first packet", |v| v.header.first_ts.is_some());
    let first = v.header.first_ts.unwrap();
    ctl.send(Control::TogglePause).unwrap();
    wait(&rx, "pause", |v| v.header.paused);

    // Forward to +40 s: plays there at full speed and stays paused.
    let s = 1_000_000_000;
    ctl.send(Control::SeekTo(first + 40 * s)).unwrap();
    let v = wait(&rx, "go to +40 s", |v| {
        v.header.now_ts.is_some_and(|t| t >= first + 40 * s)
    });
    assert!(v.header.paused);
    assert!(v.header.now_ts.unwrap() < first + 41 * s, "overshot");

    // Back to +5 s: the files are replayed from the start up to there.
    ctl.send(Control::SeekTo(first + 5 * s)).unwrap();
    let v = wait(&rx, "go back to +5 s", |v| {
        v.header
            .now_ts
            .is_some_and(|t| t >= first + 5 * s && t < first + 40 * s)
    });
    assert!(v.header.now_ts.unwrap() < first + 6 * s, "{:?}", v.header);
    assert!(v.header.paused && !v.header.finished);
    drop(ctl);
    h.join().expect("producer ends when the UI goes away");
}
