//! Frame snapshots of the terminal UI (ratatui TestBackend + insta), built
//! from real captures replayed as fast as possible and driven through the
//! same `handle_key` the real event loop uses.

use std::path::PathBuf;
use std::sync::Arc;

use corowire::tui::app::{Action, App, handle_key};
use corowire::tui::model::View;
use corowire::tui::run::draw;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod common;

fn capture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("captures")
        .join(name)
}

fn view(name: &str) -> Arc<View> {
    Arc::new(common::tui_view(&[capture(name)], Default::default()).expect("replay"))
}

fn key(app: &mut App, c: KeyCode) -> Action {
    handle_key(app, KeyEvent::new(c, KeyModifiers::NONE))
}

/// The screen as text (no colours: the frame's symbols only).
fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    draw(&mut t, app).expect("draw");
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn app_with(v: Arc<View>) -> App {
    let mut app = App::new(true, true);
    app.set_view(v);
    app
}

#[test]
fn main_screen_healthy() {
    let app = app_with(view("healthy-3n-clear.pcap"));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn main_screen_membership_change() {
    let app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn main_screen_membership_change_large() {
    let app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    insta::assert_snapshot!(screen(&app, 160, 45));
}

#[test]
fn help_overlay() {
    let mut app = app_with(view("healthy-3n-clear.pcap"));
    assert_eq!(key(&mut app, KeyCode::Char('?')), Action::Redraw);
    insta::assert_snapshot!(screen(&app, 100, 30));
    // Esc closes it again.
    assert_eq!(key(&mut app, KeyCode::Esc), Action::Redraw);
    assert!(!screen(&app, 100, 30).contains(" keys "));
}

#[test]
fn detail_view_of_the_cut_link() {
    let mut app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    // Sorted by pair: n1>n2 l0, n1>n2 l1, n1>n3 l0 — node3's link 0.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(key(&mut app, KeyCode::Enter), Action::Redraw);
    let s = screen(&app, 100, 30);
    assert!(s.contains("detail n1>n3 link 0"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn finding_evidence() {
    let mut app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    assert_eq!(key(&mut app, KeyCode::Enter), Action::Redraw);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn frozen_marker_and_frozen_data() {
    let mut app = app_with(view("healthy-3n-clear.pcap"));
    assert_eq!(key(&mut app, KeyCode::Char('f')), Action::Redraw);
    // A newer view (another capture) must not replace the frozen one.
    assert!(!app.set_view(view("membership-3n-node3-cut-rejoin.pcap")));
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("FROZEN") && s.contains("healthy-3n-clear.pcap"),
        "{s}"
    );
    insta::assert_snapshot!(s);
    key(&mut app, KeyCode::Char('f'));
    assert!(!screen(&app, 100, 30).contains("FROZEN"));
}

#[test]
fn replay_keys_become_producer_controls() {
    use corowire::tui::driver::Control;
    let mut app = app_with(view("healthy-3n-clear.pcap"));
    assert_eq!(
        key(&mut app, KeyCode::Char(' ')),
        Action::Control(Control::TogglePause)
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('.')),
        Action::Control(Control::Step)
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('n')),
        Action::Control(Control::NextFinding)
    );
    assert_eq!(
        key(&mut app, KeyCode::Char(']')),
        Action::Control(Control::Seek(10))
    );
    assert_eq!(key(&mut app, KeyCode::Char('q')), Action::Quit);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(handle_key(&mut app, ctrl_c), Action::Quit);
    // Live: no replay keys.
    let mut live = App::new(false, true);
    assert_eq!(key(&mut live, KeyCode::Char(' ')), Action::None);
}

#[test]
fn sort_and_small_screens_do_not_panic() {
    let mut app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    for c in ['s', 's', 'S', 'l', 'l', 'j', 'k', 'G', 'g'] {
        key(&mut app, KeyCode::Char(c));
        for (w, h) in [(100, 30), (20, 5), (1, 1), (250, 80)] {
            let _ = screen(&app, w, h);
        }
    }
    // The detail view (histogram, silences) and the go-to prompt too.
    key(&mut app, KeyCode::Enter);
    for (w, h) in [(100, 30), (20, 5), (1, 1), (250, 80), (100, 8)] {
        let _ = screen(&app, w, h);
    }
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('1'));
    for (w, h) in [(100, 30), (20, 5), (1, 1)] {
        let _ = screen(&app, w, h);
    }
    let empty = App::new(true, false);
    let _ = screen(&empty, 100, 30);
    let _ = screen(&empty, 3, 3);
}

#[test]
fn names_and_budgets_from_corosync_conf() {
    use corowire::cli::SourceArgs;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let v = common::tui_view(
        &[capture("membership-3n-node3-cut-rejoin.pcap")],
        SourceArgs {
            corosync_conf: Some(
                root.join("captures/logs/membership-3n-node3-cut-rejoin/node1.corosync.conf"),
            ),
            ..SourceArgs::default()
        },
    )
    .expect("replay with config");
    // The truth file's effective budgets.
    assert_eq!(v.budgets.token_ms, 3650);
    assert_eq!(v.budgets.ping_timeout_ms, 1825);
    assert_eq!(v.node_name(3), "node3");
    let app = app_with(Arc::new(v));
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn encrypted_capture_with_its_key() {
    use corowire::cli::SourceArgs;
    let v = common::tui_view(
        &[capture("healthy-3n-aes256-sha256-nss.pcap")],
        SourceArgs {
            authkeys: vec![capture("healthy-3n-aes256-sha256-nss.authkey")],
            ..SourceArgs::default()
        },
    )
    .expect("replay with key");
    assert!(v.header.decrypted > 0, "{:?}", v.header);
    assert_eq!(v.links.len(), 6);
    assert!(
        v.findings
            .iter()
            .all(|f| f.severity != corowire::tui::model::Severity::Critical)
    );
}

#[test]
fn header_shows_kernel_counters_live_and_na_otherwise() {
    let v = view("healthy-3n-clear.pcap");
    let app = app_with(v.clone());
    let s = screen(&app, 100, 30);
    assert!(s.contains("| drops n/a |"), "{s}");
    let mut live = (*v).clone();
    live.header.kind = corowire::tui::model::SourceKind::Live;
    live.header.kernel_stats = true;
    live.header.received_kernel = 123_456;
    live.header.dropped_kernel = 7;
    live.header.dropped_if = 1;
    let mut app = App::new(false, true);
    app.set_view(Arc::new(live));
    let s = screen(&app, 100, 30);
    let line = s.lines().nth(1).expect("header line 2");
    assert!(
        line.contains("| kernel rcvd 123456 drop 7 ifdrop 1 | token 3650/2737"),
        "{line}"
    );
    assert!(!s.contains("n/a"), "{s}");
}

#[test]
fn go_to_time_prompt() {
    use corowire::tui::driver::Control;
    let v = view("membership-3n-node3-cut-rejoin.pcap");
    let first = v.header.first_ts.expect("first packet");
    let mut app = app_with(v);
    assert_eq!(key(&mut app, KeyCode::Char('t')), Action::Redraw);
    for c in "03:26:3x0".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    // 'x' is not taken; the entry reads 03:26:30.
    insta::assert_snapshot!(screen(&app, 100, 30));
    let Action::Control(Control::SeekTo(ts)) = key(&mut app, KeyCode::Enter) else {
        panic!("Enter must seek");
    };
    assert_eq!(corowire::output::clock(ts).get(..12), Some("03:26:30.000"));
    assert!(ts > first && app.goto.is_none());
    // A bad entry keeps the prompt open with the reason; Esc cancels.
    key(&mut app, KeyCode::Char('t'));
    for c in "99:00".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(key(&mut app, KeyCode::Enter), Action::Redraw);
    let s = screen(&app, 100, 30);
    let last = s.lines().last().unwrap_or("");
    assert!(last.contains("'99:00': HH:MM:SS"), "{last}");
    assert_eq!(key(&mut app, KeyCode::Esc), Action::Redraw);
    assert!(app.goto.is_none());
    // Relative to the capture's first packet.
    key(&mut app, KeyCode::Char('t'));
    for c in "+12.5".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        Action::Control(Control::SeekTo(first + 12_500_000_000))
    );
    // Not in live mode.
    let mut live = App::new(false, true);
    assert_eq!(key(&mut live, KeyCode::Char('t')), Action::None);
}

#[test]
fn go_to_time_parsing() {
    use corowire::tui::app::parse_goto;
    // 2026-11-22 23:59:58.5 UTC
    let day = 1_795_305_600_000_000_000i64;
    let first = day + 86_398 * 1_000_000_000 + 500_000_000;
    let s = 1_000_000_000i64;
    assert_eq!(parse_goto("+0", Some(first)), Ok(first));
    assert_eq!(parse_goto(" +2 ", Some(first)), Ok(first + 2 * s));
    assert_eq!(parse_goto("23:59:59", Some(first)), Ok(day + 86_399 * s));
    // The capture's first second counts as the same day.
    assert_eq!(parse_goto("23:59:58", Some(first)), Ok(day + 86_398 * s));
    // After midnight: the next day.
    assert_eq!(
        parse_goto("00:00:01.25", Some(first)),
        Ok(day + 86_401 * s + 250_000_000)
    );
    assert_eq!(parse_goto("00:01", Some(first)), Ok(day + 86_460 * s));
    for bad in [
        "",
        "+",
        "+x",
        "+-3",
        "24:00:00",
        "12:60",
        "1:2:3:4",
        "12:00:61",
        "::",
        "12:00:0.1234567891",
        "+1e9",
    ] {
        assert!(parse_goto(bad, Some(first)).is_err(), "{bad:?}");
    }
    assert!(parse_goto("+1", None).is_err());
}

/// The cut capture replayed up to 2026-11-22 03:26:17 UTC, seven seconds
/// into its token gap.
fn seven_seconds_into_the_token_gap() -> corowire::tui::model::View {
    use corowire::session::Fetch;
    let (mut p, _) = common::tui_pipeline(&[capture("membership-3n-node3-cut-rejoin.pcap")]);
    let until: i64 = 1_795_317_977_000_000_000;
    loop {
        match p.fetch() {
            Fetch::Frame(ts) if ts < until => p.process(),
            _ => break,
        }
    }
    p.view()
}

/// Replayed up to 03:26:17, seven seconds into the token gap of the cut
/// (corosync logged "processor failed" by then): the banner shows every
/// node's time without the token past the 3.65 s timeout, marked, while
/// the token is still away.
#[test]
fn banner_shows_token_ages_during_a_token_gap() {
    let v = seven_seconds_into_the_token_gap();
    let ages: Vec<i64> = v
        .totem
        .last_token
        .iter()
        .map(|(_, at)| (v.header.now_ts.unwrap() - at) / 1_000_000)
        .collect();
    assert_eq!(ages.len(), 3, "{:?}", v.totem.last_token);
    assert!(ages.iter().all(|&ms| ms > 3650), "{ages:?}");
    let app = app_with(Arc::new(v));
    let top = screen(&app, 100, 30);
    let banner = top.lines().nth(2).unwrap();
    assert_eq!(banner.matches('!').count(), 3, "{banner}");
    insta::assert_snapshot!(banner);
}

/// The same moment, seven seconds into the token gap: the token loss is a
/// finding already, open ("-now"), among the open findings pinned at the
/// top, with the gap so far; it grows until the token returns.
#[test]
fn findings_show_the_open_token_loss_during_a_token_gap() {
    let v = seven_seconds_into_the_token_gap();
    let open: Vec<_> = v
        .findings
        .iter()
        .filter(|f| f.end.is_none() && f.text.contains("no token"))
        .collect();
    assert!(!open.is_empty(), "{:?}", v.findings);
    let app = app_with(Arc::new(v));
    let top = screen(&app, 100, 60);
    let rows: Vec<&str> = top.lines().filter(|l| l.contains("no token")).collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|l| l.contains("-now")),
        "{top}"
    );
    insta::assert_snapshot!(rows.join("\n"));
}

/// At 80×24 the links table keeps every column, the link state above all;
/// the node × node grid gives way.
#[test]
fn main_screen_80x24_keeps_the_state_column() {
    let app = app_with(view("membership-3n-node3-cut-rejoin.pcap"));
    let s = screen(&app, 80, 24);
    let head = s
        .lines()
        .find(|l| l.contains("ping>resp"))
        .expect("links header");
    assert!(head.contains("stat") && head.contains("age/tmo"), "{s}");
    assert!(
        s.lines().any(|l| l.contains("n1>n3") && l.contains(" up ")),
        "{s}"
    );
    insta::assert_snapshot!(s);
}
