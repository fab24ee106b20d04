#![no_main]
//! The analysis path on a sequence of arbitrary frames: decode, `Feed`
//! (cleartext, or opaque packets through the keyless inference), the
//! engine, its snapshot, both report writers and the metrics (the live
//! endpoint's exposition and a one-point backfill). No panic, every frame
//! accounted for, and the snapshot's own counts agree with what was fed.
//! The terminal UI drawn from the same snapshot is the `tui` target (it
//! costs ~30 times the rest, so here it kept the rate near 40 runs/s).
//!
//! Input: see `shared/frames.rs`.

#[path = "shared/frames.rs"]
mod frames;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(s) = frames::analyse(data) else {
        return;
    };
    let _ = corowire::report::write_text(&s, &mut std::io::sink());
    let _ = corowire::report::write_json(&s, &mut std::io::sink());
    let _ = corowire::report::exit_code(&s);
    let e = corowire::metrics::Exposition {
        sample: corowire::analysis::timeline::Sample::of(&s),
        source: None,
    };
    let _ = corowire::metrics::openmetrics(&e, Some("fuzz"));
    let _ = corowire::metrics::prometheus_text(&e, None);
    let mut t = corowire::analysis::timeline::Timeline::default();
    t.finish(&s);
    // The backfill checks its timestamps against the encoder's lines.
    corowire::metrics::write_backfill(t, None, &mut std::io::sink()).expect("backfill");
});
