#![no_main]
//! The analysis path on a sequence of arbitrary frames: decode, `Feed`
//! (cleartext, or opaque packets through the keyless inference), the
//! engine, its snapshot, both report writers, and the terminal UI drawn
//! from it (main and detail view, a roomy and a cramped terminal). No
//! panic, and the snapshot's own counts agree with what was fed.
//!
//! Input: one mode byte, then records of [flags, time step (2 bytes LE),
//! frame length (2 bytes LE), frame]. Flags: bits 0-2 the link type, bits
//! 3-4 how time moves (µs step, s step, backwards, far end). Mode: bit 0
//! small limits (every table overflows), bit 1 numbering opaque senders
//! by address, bits 2-7 the node count the thresholds are derived from.

use corowire::analysis::{Engine, Limits, Thresholds};
use corowire::capture::{RawFrame, linktype};
use corowire::decode::{Decoder, Outcome};
use corowire::feed::Feed;
use corowire::tui::app::{App, handle_key};
use corowire::tui::model::View;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const LINKTYPES: [u32; 5] = [
    linktype::ETHERNET,
    linktype::RAW,
    linktype::LINUX_SLL,
    linktype::LINUX_SLL2,
    linktype::IPV4,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut th = Thresholds::corosync31_defaults(u32::from(mode >> 2).max(2));
    if mode & 1 == 1 {
        th.limits = Limits {
            max_paths: 3,
            max_nodes: 2,
            max_addrs: 2,
            max_pending_pings: 2,
            max_findings: 3,
            max_memberships: 2,
            max_transitions: 2,
            series_len: 4,
        };
    }
    let mut feed = Feed::new(Engine::new(th), mode & 2 != 0, 5405);
    let mut dec = Decoder::default();
    let mut ts: i64 = 1_700_000_000_000_000_000;
    let (mut n, mut corosync) = (0u64, 0u64);
    while rest.len() >= 5 {
        let flags = rest[0];
        let step = i64::from(u16::from_le_bytes([rest[1], rest[2]]));
        let len = usize::from(u16::from_le_bytes([rest[3], rest[4]])).min(rest.len() - 5);
        let frame = &rest[5..5 + len];
        rest = &rest[5 + len..];
        ts = match (flags >> 3) & 3 {
            0 => ts.saturating_add(step * 1_000),
            1 => ts.saturating_add(step * 1_000_000_000),
            2 => ts.saturating_sub(step * 1_000),
            _ => i64::MAX - step,
        };
        n += 1;
        let f = RawFrame {
            ts,
            linktype: LINKTYPES[usize::from(flags & 7) % LINKTYPES.len()],
            orig_len: frame.len() as u32,
            data: frame,
            packet_no: n,
            offset: 0,
            source: 0,
        };
        let o = dec.decode(&f);
        if matches!(o, Outcome::Corosync(_)) {
            corosync += 1;
        }
        feed.outcome(&o);
    }
    feed.finish(Some(ts));
    let s = feed.engine.snapshot();
    assert_eq!(s.packets, corosync, "every corosync packet counted once");
    let _ = corowire::report::write_text(&s, &mut std::io::sink());
    let _ = corowire::report::write_json(&s, &mut std::io::sink());
    let _ = corowire::report::exit_code(&s);
    let mut view = View::default();
    corowire::tui::adapter::fill(&mut view, &s, "fuzz");
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
